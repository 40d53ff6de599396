#include "imap-section.h"
#include "buffer.h"
#include "mime.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" with
   astring names; quoted names are accepted without escapes. */
static int section_parse_fields(struct pool *pool, const char *p,
				struct imap_section *sect, const char **error_r)
{
	const char **fields;
	unsigned int n = 0, max = 1;

	for (const char *c = p; *c != '\0'; c++) {
		if (*c == ' ')
			max++;
	}
	fields = p_new(pool, const char *, max);
	if (*p++ != '(') {
		*error_r = "Missing header field list";
		return -1;
	}
	for (;;) {
		const char *start = p;
		bool quoted = *p == '"';

		if (quoted) {
			start = ++p;
			while (*p != '\0' && *p != '"' && *p != '\\')
				p++;
			if (*p != '"') {
				*error_r = "Invalid header field name";
				return -1;
			}
		} else {
			while (*p > ' ' && *p < 0x7f && *p != '(' && *p != ')' &&
			       *p != '"' && *p != ':')
				p++;
		}
		if (p == start && !quoted) {
			*error_r = "Invalid header field name";
			return -1;
		}
		fields[n++] = p_strndup(pool, start, (size_t)(p - start));
		if (quoted)
			p++;
		if (*p == ')')
			break;
		if (*p != ' ' || n == max) {
			*error_r = "Invalid header field list";
			return -1;
		}
		p++;
	}
	if (p[1] != '\0') {
		*error_r = "Garbage after header field list";
		return -1;
	}
	sect->fields = fields;
	sect->field_count = n;
	return 0;
}

int imap_section_parse(struct pool *pool, const char *spec,
		       struct imap_section *sect_r, const char **error_r)
{
	const char *p = spec;

	memset(sect_r, 0, sizeof(*sect_r));
	sect_r->kind = IMAP_SECTION_ALL;
	/* section-part = nz-number *("." nz-number) */
	while (*p >= '1' && *p <= '9') {
		uint64_t num = 0;

		while (*p >= '0' && *p <= '9') {
			num = num * 10 + (uint64_t)(*p - '0');
			if (num > 100000) {
				*error_r = "Invalid section number";
				return -1;
			}
			p++;
		}
		if (sect_r->path_len == IMAP_SECTION_MAX_PATH) {
			*error_r = "Section nested too deeply";
			return -1;
		}
		sect_r->path[sect_r->path_len++] = (unsigned int)num;
		if (*p == '\0')
			return 0;
		if (*p != '.') {
			*error_r = "Invalid section";
			return -1;
		}
		p++;
	}
	if (*p == '\0') {
		if (sect_r->path_len > 0) {
			*error_r = "Invalid section";
			return -1;
		}
		return 0;
	}
	if (str_iequal(p, "HEADER")) {
		sect_r->kind = IMAP_SECTION_HEADER;
	} else if (str_iequal(p, "TEXT")) {
		sect_r->kind = IMAP_SECTION_TEXT;
	} else if (str_iequal(p, "MIME")) {
		if (sect_r->path_len == 0) {
			*error_r = "MIME needs a part number";
			return -1;
		}
		sect_r->kind = IMAP_SECTION_MIME;
	} else if (str_begins_icase(p, "HEADER.FIELDS.NOT ")) {
		sect_r->kind = IMAP_SECTION_HEADER_FIELDS_NOT;
		return section_parse_fields(pool, p + 18, sect_r, error_r);
	} else if (str_begins_icase(p, "HEADER.FIELDS ")) {
		sect_r->kind = IMAP_SECTION_HEADER_FIELDS;
		return section_parse_fields(pool, p + 14, sect_r, error_r);
	} else {
		*error_r = "Invalid section";
		return -1;
	}
	return 0;
}

/* The k-th (1-based) direct child of node idx in the pre-order list. */
static int section_child(const struct mime_part_pos *parts, unsigned int count,
			 unsigned int idx, unsigned int k)
{
	unsigned int depth = parts[idx].depth, seen = 0;

	for (unsigned int i = idx + 1; i < count; i++) {
		if (parts[i].depth <= depth)
			break;
		if (parts[i].depth == depth + 1 && ++seen == k)
			return (int)i;
	}
	return -1;
}

/* RFC 9051 6.4.5: part k of a message is the k-th part of its multipart
   body, or its only body part (k = 1) when it is not multipart; an
   embedded message/rfc822 part is numbered like a message. */
static int section_step(const struct mime_part_pos *parts, unsigned int count,
			int cur, unsigned int k)
{
	int body;

	switch (parts[cur].kind) {
	case 'r':
		cur = section_child(parts, count, (unsigned int)cur, 1);
		if (cur < 0 || parts[cur].kind != 'e')
			return -1;
		/* fall through */
	case 'e':
		body = section_child(parts, count, (unsigned int)cur, 1);
		if (body < 0)
			return -1;
		if (parts[body].kind == 'm')
			return section_child(parts, count, (unsigned int)body, k);
		return k == 1 ? body : -1;
	case 'm':
		return section_child(parts, count, (unsigned int)cur, k);
	default:
		return -1;
	}
}

int imap_section_resolve(const struct imap_section *sect,
			 const struct mime_part_pos *parts, unsigned int count,
			 uint64_t size, struct imap_section_region *region_r)
{
	const struct mime_part_pos *msg;
	int cur = 0;

	memset(region_r, 0, sizeof(*region_r));
	if (count == 0 || parts[0].kind != 'e')
		return 0;
	for (unsigned int i = 0; i < sect->path_len; i++) {
		cur = section_step(parts, count, cur, sect->path[i]);
		if (cur < 0)
			return 0;
	}
	if (sect->path_len > 0 && sect->kind == IMAP_SECTION_ALL) {
		region_r->start = parts[cur].body_start;
		region_r->end = parts[cur].body_end;
		return 1;
	}
	if (sect->path_len == 0 && sect->kind == IMAP_SECTION_ALL) {
		region_r->start = 0;
		region_r->end = size;
		return 1;
	}
	if (sect->kind == IMAP_SECTION_MIME) {
		region_r->start = parts[cur].header_start;
		region_r->end = parts[cur].body_start;
		return 1;
	}
	/* HEADER, TEXT and HEADER.FIELDS are of a message: the top one, or
	   the one inside a message/rfc822 part */
	if (sect->path_len > 0) {
		if (parts[cur].kind != 'r')
			return 0;
		cur = section_child(parts, count, (unsigned int)cur, 1);
		if (cur < 0 || parts[cur].kind != 'e')
			return 0;
	}
	msg = &parts[cur];
	if (sect->kind == IMAP_SECTION_TEXT) {
		region_r->start = msg->body_start;
		region_r->end = msg->body_end;
	} else {
		region_r->start = msg->header_start;
		region_r->end = msg->body_start;
		region_r->filter = sect->kind != IMAP_SECTION_HEADER;
	}
	return 1;
}

static bool header_field_wanted(const unsigned char *line, size_t len,
				const char *const *fields, unsigned int count)
{
	const unsigned char *colon = memchr(line, ':', len);
	size_t name_len;

	if (colon == NULL)
		return false;
	name_len = (size_t)(colon - line);
	/* "Subject :" is obsolete syntax (RFC 5322 4.5) but seen */
	while (name_len > 0 && (line[name_len - 1] == ' ' || line[name_len - 1] == '\t'))
		name_len--;
	for (unsigned int i = 0; i < count; i++) {
		if (strlen(fields[i]) == name_len && mem_iequal(line, fields[i], name_len))
			return true;
	}
	return false;
}

void imap_header_filter(const unsigned char *hdr, size_t len,
			const char *const *fields, unsigned int count, bool not,
			struct buffer *out)
{
	size_t pos = 0;
	bool keep = false;

	while (pos < len) {
		const unsigned char *lf = memchr(hdr + pos, '\n', len - pos);
		size_t line_end = lf != NULL ? (size_t)(lf - hdr) + 1 : len;
		size_t text_len = line_end - pos;

		/* the text of the line without its line end */
		if (text_len > 0 && hdr[pos + text_len - 1] == '\n')
			text_len--;
		if (text_len > 0 && hdr[pos + text_len - 1] == '\r')
			text_len--;
		if (text_len == 0)
			break; /* the blank line ending the header */
		if (hdr[pos] != ' ' && hdr[pos] != '\t')
			keep = header_field_wanted(hdr + pos, text_len, fields, count) != not;
		if (keep) {
			buffer_append(out, hdr + pos, text_len);
			buffer_append(out, "\r\n", 2);
		}
		pos = line_end;
	}
	buffer_append(out, "\r\n", 2);
}

void imap_append_crlf(struct buffer *out, const unsigned char *data, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
			buffer_append(out, data + start, i - start);
			buffer_append(out, "\r\n", 2);
			start = i + 1;
		}
	}
	buffer_append(out, data + start, len - start);
}

uint64_t imap_crlf_size(const unsigned char *data, size_t len)
{
	uint64_t size = len;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			size++;
	}
	return size;
}
