/*
 * Checking and completing a submitted message: the header scan, the
 * author check (RFC 5322 3.4, 3.6.2) and the fields an MSA adds (RFC 6409
 * 8.1-8.3).
 */
#include "submission-message.h"
#include "buffer.h"
#include "mime.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

/* Comments nest (RFC 5322 3.2.2); nobody needs them this deep. */
#define SUBMISSION_COMMENT_DEPTH 8

enum submission_field {
	FIELD_OTHER,
	FIELD_FROM,
	FIELD_SENDER,
};

static bool submission_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* ftext (RFC 5322 3.6.8): printable US-ASCII but ':' */
static bool submission_name_valid(const unsigned char *name, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < 33 || name[i] > 126)
			return false;
	}
	return true;
}

/* Append a line's content to the value being collected. A control
   character (a NUL, a bare CR) would end or split the value for one
   reader and not for another: it becomes DEL, which no part of the
   grammar accepts, so such a field can only be refused. */
static void submission_value_append(struct buffer *value, const unsigned char *p,
				    size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = 0x7f;
		(void)buffer_append_c(value, (char)c);
	}
}

void submission_message_scan(struct pool *pool, const unsigned char *data,
			     size_t size, struct submission_headers *headers_r)
{
	struct submission_headers *h = headers_r;
	const unsigned char *first_lf = size > 0 ? memchr(data, '\n', size) : NULL;
	enum submission_field current = FIELD_OTHER;
	struct buffer value;
	size_t pos = 0;

	memset(h, 0, sizeof(*h));
	h->eol = first_lf != NULL && first_lf > data && first_lf[-1] != '\r' ?
		"\n" : "\r\n";
	buffer_init_pool(&value, pool, SUBMISSION_HEADER_MAX);

	while (pos < size) {
		const unsigned char *line = data + pos;
		const unsigned char *lf = memchr(line, '\n', size - pos);
		size_t next = lf != NULL ? (size_t)(lf - data) + 1 : size;
		size_t len = next - pos;
		const unsigned char *colon;

		if (next > SUBMISSION_HEADER_MAX) {
			h->too_long = true;
			break;
		}
		if (lf != NULL) {
			len--;
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (len == 0) {
				/* the empty line: the body follows */
				h->header_end = pos;
				goto done;
			}
		}
		if (submission_wsp(line[0])) {
			/* a folded line (RFC 5322 2.2.3): unfolding removes
			   only the line break */
			if (current != FIELD_OTHER)
				submission_value_append(&value, line, len);
			pos = next;
			continue;
		}
		if (current != FIELD_OTHER) {
			const char *v = p_strndup(pool, value.data, value.used);

			if (current == FIELD_FROM)
				h->from = v;
			else
				h->sender = v;
			current = FIELD_OTHER;
		}
		colon = memchr(line, ':', len);
		if (colon != NULL) {
			size_t name_len = (size_t)(colon - line);

			/* obs-optional (RFC 5322 4.5.8): white space before
			   the colon; readers take "From :" as From */
			while (name_len > 0 && submission_wsp(line[name_len - 1]))
				name_len--;
			if (!submission_name_valid(line, name_len))
				colon = NULL;
			else if (name_len == 4 && mem_iequal(line, "From", 4)) {
				if (h->from_count++ == 0)
					current = FIELD_FROM;
			} else if (name_len == 6 && mem_iequal(line, "Sender", 6)) {
				if (h->sender_count++ == 0)
					current = FIELD_SENDER;
			} else if (name_len == 4 && mem_iequal(line, "Date", 4)) {
				h->date_count++;
			} else if (name_len == 10 && mem_iequal(line, "Message-ID", 10)) {
				h->message_id_count++;
			}
			if (current != FIELD_OTHER) {
				buffer_reset(&value);
				submission_value_append(&value, colon + 1,
							len - (size_t)(colon + 1 - line));
			}
		}
		/* a line that is no field at all is skipped, not taken as the
		   end of the header: a reader that skips it too would still
		   see a From: below it */
		pos = next;
	}
	h->header_end = h->too_long ? pos : size;
done:
	if (current != FIELD_OTHER) {
		const char *v = p_strndup(pool, value.data, value.used);

		if (current == FIELD_FROM)
			h->from = v;
		else
			h->sender = v;
	}
}

/* --- one mailbox (RFC 5322 3.4, RFC 6532 3.2) --- */

/* atext, with UTF-8 (RFC 6532 3.2) */
static bool submission_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool submission_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* [CFWS]: white space and (nested) comments. -1 if a comment does not
   end, nests too deep or holds a control character. */
static int submission_skip_cfws(const unsigned char **pp)
{
	const unsigned char *p = *pp;

	for (;;) {
		unsigned int depth = 0;

		while (submission_wsp(*p))
			p++;
		if (*p != '(')
			break;
		do {
			if (*p == '\0' || submission_ctl(*p))
				return -1;
			if (*p == '\\') {
				p++;
				if (*p == '\0' || submission_ctl(*p))
					return -1;
			} else if (*p == '(') {
				if (++depth > SUBMISSION_COMMENT_DEPTH)
					return -1;
			} else if (*p == ')') {
				depth--;
			}
			p++;
		} while (depth > 0);
	}
	*pp = p;
	return 0;
}

/* quoted-string without its CFWS; copied to out (when not NULL) as
   written, quotes included. */
static int submission_quoted(const unsigned char **pp, struct buffer *out)
{
	const unsigned char *p = *pp, *start = p;

	if (*p++ != '"')
		return -1;
	while (*p != '"') {
		if (*p == '\0' || submission_ctl(*p))
			return -1;
		if (*p == '\\') {
			p++;
			if (*p == '\0' || submission_ctl(*p))
				return -1;
		}
		p++;
	}
	p++;
	if (out != NULL)
		(void)buffer_append(out, start, (size_t)(p - start));
	*pp = p;
	return 0;
}

/* dot-atom-text: atoms joined by single dots. */
static int submission_dot_atom(const unsigned char **pp, struct buffer *out)
{
	const unsigned char *p = *pp, *start = p;

	for (;;) {
		const unsigned char *atom = p;

		while (submission_atext(*p))
			p++;
		if (p == atom)
			return -1;
		if (*p != '.' || !submission_atext(p[1]))
			break;
		p++;
	}
	(void)buffer_append(out, start, (size_t)(p - start));
	*pp = p;
	return 0;
}

/* addr-spec = local-part "@" domain, without CFWS around the "@" */
static int submission_addr_spec(const unsigned char **pp, struct buffer *out)
{
	const unsigned char *p = *pp;

	if ((*p == '"' ? submission_quoted(&p, out) :
	     submission_dot_atom(&p, out)) < 0)
		return -1;
	if (*p++ != '@')
		return -1;
	(void)buffer_append_c(out, '@');
	if (*p == '[') {
		/* domain-literal: dtext is printable ASCII but [ ] \ */
		const unsigned char *start = p++;

		while (*p != ']') {
			if (*p < 33 || *p > 126 || *p == '[' || *p == '\\')
				return -1;
			p++;
		}
		p++;
		(void)buffer_append(out, start, (size_t)(p - start));
	} else if (submission_dot_atom(&p, out) < 0) {
		return -1;
	}
	*pp = p;
	return 0;
}

int submission_mailbox_parse(struct pool *pool, const char *value,
			     const char **addr_r)
{
	const unsigned char *start = (const unsigned char *)value, *p;
	struct buffer addr;

	buffer_init_pool(&addr, pool, 0);
	p = start;
	/* addr-spec on its own, perhaps with a comment after it */
	if (submission_skip_cfws(&p) == 0 && submission_addr_spec(&p, &addr) == 0 &&
	    submission_skip_cfws(&p) == 0 && *p == '\0') {
		*addr_r = addr.data;
		return 0;
	}
	/* [display-name] angle-addr; the phrase may use obs-phrase's dots */
	buffer_reset(&addr);
	p = start;
	for (;;) {
		if (submission_skip_cfws(&p) < 0)
			return -1;
		if (*p == '<')
			break;
		if (*p == '"') {
			if (submission_quoted(&p, NULL) < 0)
				return -1;
		} else if (submission_atext(*p) || *p == '.') {
			while (submission_atext(*p) || *p == '.')
				p++;
		} else {
			return -1;
		}
	}
	p++;
	if (submission_skip_cfws(&p) < 0 || submission_addr_spec(&p, &addr) < 0 ||
	    submission_skip_cfws(&p) < 0 || *p++ != '>' ||
	    submission_skip_cfws(&p) < 0 || *p != '\0')
		return -1;
	*addr_r = addr.data;
	return 0;
}

static enum submission_author
submission_check_field(struct pool *pool, const char *value, const char *address,
		       const char **found_r)
{
	const char *addr, *gmime;

	if (submission_mailbox_parse(pool, value, &addr) < 0)
		return SUBMISSION_AUTHOR_SYNTAX;
	*found_r = addr;
	if (!str_iequal(addr, address))
		return SUBMISSION_AUTHOR_OTHER;
	/* the second reader: the one our own IMAP ENVELOPE and web access
	   use. A list comes back as "a, b", which equals no address. */
	gmime = mime_address_list_addrs(pool, value);
	if (gmime == NULL || !str_iequal(gmime, address))
		return SUBMISSION_AUTHOR_SYNTAX;
	return SUBMISSION_AUTHOR_OK;
}

enum submission_author submission_message_check(struct pool *pool,
						const struct submission_headers *headers,
						const char *address,
						const char **field_r,
						const char **found_r)
{
	enum submission_author ret;

	*field_r = "From";
	*found_r = NULL;
	if (headers->from_count == 0)
		return SUBMISSION_AUTHOR_MISSING;
	if (headers->from_count > 1)
		return SUBMISSION_AUTHOR_MULTIPLE;
	ret = submission_check_field(pool, headers->from, address, found_r);
	if (ret != SUBMISSION_AUTHOR_OK || headers->sender_count == 0)
		return ret;
	/* RFC 5322 3.6.2: Sender: names who sent it for the author; mail
	   apps show "on behalf of", so it is held to the same rule */
	*field_r = "Sender";
	*found_r = NULL;
	if (headers->sender_count > 1)
		return SUBMISSION_AUTHOR_MULTIPLE;
	return submission_check_field(pool, headers->sender, address, found_r);
}

int submission_message_complete(struct buffer *out, const unsigned char *data,
				size_t size, const struct submission_headers *headers,
				const char *received, const char *date,
				const char *message_id)
{
	const char *eol = headers->eol;
	size_t insert = headers->header_end;

	/* RFC 5321 4.4: the trace field goes on top */
	(void)buffer_printf(out, "Received: %s%s", received, eol);
	(void)buffer_append(out, data, insert);
	if ((date != NULL || message_id != NULL) && insert > 0 &&
	    data[insert - 1] != '\n')
		(void)buffer_append_str(out, eol);
	/* RFC 6409 8.2, 8.3 */
	if (date != NULL)
		(void)buffer_printf(out, "Date: %s%s", date, eol);
	if (message_id != NULL)
		(void)buffer_printf(out, "Message-ID: %s%s", message_id, eol);
	if (size > insert)
		(void)buffer_append(out, data + insert, size - insert);
	return out->overflow ? -1 : 0;
}
