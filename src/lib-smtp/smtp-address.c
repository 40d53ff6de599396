/*
 * SMTP paths, RFC 5321 4.1.2:
 *
 *   Path       = "<" [ A-d-l ":" ] Mailbox ">"
 *   Mailbox    = Local-part "@" ( Domain / address-literal )
 *   Local-part = Dot-string / Quoted-string
 *
 * and RFC 6531 3.3, which lets UTF-8 into atext, qtext and sub-domains
 * when the transaction carries SMTPUTF8.
 */
#include "smtp-address.h"
#include "buffer.h"
#include "strutil.h"

#include <string.h>

static bool smtp_is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool smtp_is_let_dig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/* sub-domain *("." sub-domain); returns the length parsed, 0 on error.
   Stops at the first byte that cannot continue a domain. */
static size_t smtp_domain_scan(const char *str, size_t len, bool utf8)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t i = 0;

	for (;;) {
		size_t start = i;

		/* sub-domain = Let-dig [Ldh-str]; Ldh-str ends in Let-dig */
		while (i < len && (smtp_is_let_dig(p[i]) || p[i] == '-' ||
				   (utf8 && p[i] >= 0x80)))
			i++;
		if (i == start || p[start] == '-' || p[i - 1] == '-')
			return 0;
		if (i < len && p[i] == '.' && i + 1 < len &&
		    (smtp_is_let_dig(p[i + 1]) || (utf8 && p[i + 1] >= 0x80))) {
			i++;
			continue;
		}
		return i;
	}
}

/* "[" ... "]" with dcontent (RFC 5321 4.1.3, the general form) */
static size_t smtp_address_literal_scan(const char *str, size_t len)
{
	size_t i = 1;

	if (len < 3 || str[0] != '[')
		return 0;
	while (i < len && str[i] != ']') {
		unsigned char c = (unsigned char)str[i];

		if (c < 33 || c > 126 || c == '[' || c == '\\')
			return 0;
		i++;
	}
	if (i >= len || i == 1)
		return 0;
	return i + 1;
}

bool smtp_domain_valid(const char *str, size_t len, bool utf8)
{
	size_t n;

	if (len == 0)
		return false;
	if (str[0] == '[')
		n = smtp_address_literal_scan(str, len);
	else
		n = smtp_domain_scan(str, len, utf8);
	if (n != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)str[i] >= 0x80)
			return utf8 && str_utf8_valid(str, len);
	}
	return true;
}

/* Is the decoded local part usable as a Dot-string (no quotes needed)? */
static bool smtp_dot_string_ok(const char *str, size_t len, bool utf8)
{
	bool atom_start = true;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c == '.') {
			if (atom_start)
				return false;
			atom_start = true;
		} else if (smtp_is_atext(c) || (utf8 && c >= 0x80)) {
			atom_start = false;
		} else {
			return false;
		}
	}
	return !atom_start;
}

enum smtp_path_error smtp_path_parse(const char *str, size_t len,
				     unsigned int flags, struct buffer *out,
				     size_t *consumed_r)
{
	const unsigned char *p = (const unsigned char *)str;
	bool utf8_allowed = (flags & SMTP_PATH_UTF8) != 0;
	bool saw_8bit = false;
	size_t i = 1, local_start, n;
	char local[SMTP_PATH_MAX];
	size_t local_used = 0;

	buffer_reset(out);
	*consumed_r = 0;
	if (len < 2 || p[0] != '<')
		return SMTP_PATH_SYNTAX;
	for (size_t k = 0; k < len && p[k] != '>'; k++) {
		if (p[k] >= 0x80)
			saw_8bit = true;
	}
	if (saw_8bit && !utf8_allowed)
		return SMTP_PATH_NON_ASCII;

	if (p[1] == '>') {
		if ((flags & SMTP_PATH_ALLOW_NULL) == 0)
			return SMTP_PATH_SYNTAX;
		*consumed_r = 2;
		return SMTP_PATH_OK;
	}
	/* A-d-l ":" -- a source route, accepted and ignored (RFC 5321 4.1.2,
	   appendix C) */
	if (p[i] == '@') {
		for (;;) {
			i++;
			n = smtp_domain_scan(str + i, len - i, utf8_allowed);
			if (n == 0)
				return SMTP_PATH_SYNTAX;
			i += n;
			if (i < len && p[i] == ',' && i + 1 < len && p[i + 1] == '@') {
				i++;
				continue;
			}
			if (i < len && p[i] == ':') {
				i++;
				break;
			}
			return SMTP_PATH_SYNTAX;
		}
	}
	/* "<Postmaster>" (RCPT only, RFC 5321 4.1.1.3) */
	if ((flags & SMTP_PATH_ALLOW_POSTMASTER) != 0 && i == 1 && len - i >= 11 &&
	    strncasecmp(str + i, "postmaster>", 11) == 0) {
		buffer_append_str(out, "postmaster");
		*consumed_r = i + 11;
		return SMTP_PATH_OK;
	}

	local_start = i;
	if (i < len && p[i] == '"') {
		/* Quoted-string: qtextSMTP / quoted-pairSMTP */
		i++;
		for (;;) {
			if (i >= len)
				return SMTP_PATH_SYNTAX;
			if (p[i] == '"')
				break;
			if (p[i] == '\\') {
				if (i + 1 >= len || p[i + 1] < 32 ||
				    (p[i + 1] > 126 && !utf8_allowed))
					return SMTP_PATH_SYNTAX;
				if (local_used >= sizeof(local))
					return SMTP_PATH_TOO_LONG;
				local[local_used++] = (char)p[i + 1];
				i += 2;
				continue;
			}
			if ((p[i] >= 32 && p[i] <= 126) || (utf8_allowed && p[i] >= 0x80)) {
				if (local_used >= sizeof(local))
					return SMTP_PATH_TOO_LONG;
				local[local_used++] = (char)p[i];
				i++;
				continue;
			}
			return SMTP_PATH_SYNTAX;
		}
		i++;
	} else {
		/* Dot-string */
		while (i < len && (smtp_is_atext(p[i]) || p[i] == '.' ||
				   (utf8_allowed && p[i] >= 0x80)))
			i++;
		if (!smtp_dot_string_ok(str + local_start, i - local_start,
					utf8_allowed))
			return SMTP_PATH_SYNTAX;
		if (i - local_start > sizeof(local))
			return SMTP_PATH_TOO_LONG;
		memcpy(local, str + local_start, i - local_start);
		local_used = i - local_start;
	}
	if (i == local_start || i >= len || p[i] != '@')
		return SMTP_PATH_SYNTAX;
	i++;
	if (i < len && p[i] == '[')
		n = smtp_address_literal_scan(str + i, len - i);
	else
		n = smtp_domain_scan(str + i, len - i, utf8_allowed);
	if (n == 0)
		return SMTP_PATH_SYNTAX;
	if (i + n >= len || p[i + n] != '>')
		return SMTP_PATH_SYNTAX;
	if (i + n + 1 > SMTP_PATH_MAX)
		return SMTP_PATH_TOO_LONG;
	if (utf8_allowed && !str_utf8_valid(str, i + n))
		return SMTP_PATH_SYNTAX;

	/* the mailbox, with a quoted local part unquoted when it can be */
	if (local_used == 0)
		return SMTP_PATH_SYNTAX;
	if (smtp_dot_string_ok(local, local_used, utf8_allowed)) {
		buffer_append(out, local, local_used);
	} else {
		buffer_append_c(out, '"');
		for (size_t k = 0; k < local_used; k++) {
			if (local[k] == '"' || local[k] == '\\')
				buffer_append_c(out, '\\');
			buffer_append_c(out, local[k]);
		}
		buffer_append_c(out, '"');
	}
	buffer_append_c(out, '@');
	buffer_append(out, str + i, n);
	*consumed_r = i + n + 1;
	return SMTP_PATH_OK;
}
