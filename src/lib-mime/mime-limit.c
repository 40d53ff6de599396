/*
 * The scan behind mime_limit_size() (see mime-limit.h). It follows the
 * message the way a MIME parser does, without building anything:
 *
 *   header   field lines ("Name:" and continuations) until an empty line;
 *            the body follows (a line that is no field also starts it);
 *   body     a line starting with "--" may be a boundary delimiter, and a
 *            part's header block follows it; right after a header block,
 *            field lines start another one (message/rfc822, digests).
 *
 * Any "--" line is counted as a delimiter, whether or not a boundary was
 * declared for it, so a hostile message cannot hide its parts from the
 * count. The exceptions are "-- " (signatures, SQL comments) and a bare
 * "--", which can only be delimiters of a boundary that starts with a
 * space or is empty: those are counted too once a header declares such a
 * boundary, or one in RFC 2231 pieces that the scan does not reassemble.
 */
#include "mime-limit.h"
#include "strutil.h"

#include <stdbool.h>
#include <string.h>

enum mime_limit_state {
	MIME_LIMIT_HEADER,
	MIME_LIMIT_BODY_START,
	MIME_LIMIT_BODY,
};

/* RFC 5322 2.2: field-name = 1*ftext (printable ASCII but ':'), then ':' */
static bool mime_limit_is_field(const unsigned char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] > 32 && line[i] < 127 && line[i] != ':')
		i++;
	return i > 0 && i < len && line[i] == ':';
}

/* Does this header line declare a boundary that starts with a space or is
   empty (or one we cannot read whole)? */
static bool mime_limit_lax_boundary(const unsigned char *line, size_t len)
{
	const unsigned char *p = line, *end = line + len;

	while ((p = mem_imem(p, (size_t)(end - p), "boundary", 8)) != NULL) {
		p += 8;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '*')
			return true;  /* RFC 2231 continuation or charset */
		if (p >= end || *p != '=')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p == ';')
			return true;  /* empty */
		if (*p == '"' && (p + 1 >= end || p[1] == ' ' || p[1] == '\t' ||
				  p[1] == '"'))
			return true;
	}
	return false;
}

size_t mime_limit_size(const unsigned char *data, size_t size)
{
	enum mime_limit_state state = MIME_LIMIT_HEADER;
	size_t pos = 0, header_lines = 0, header_bytes = 0, delimiters = 0;
	bool in_field = false, lax = false;

	while (pos < size) {
		const unsigned char *line = data + pos;
		const unsigned char *nl = memchr(line, '\n', size - pos);
		size_t total = nl != NULL ? (size_t)(nl - line) + 1 : size - pos;
		size_t len = nl != NULL ? total - 1 : total;
		bool field;

		if (len > 0 && line[len - 1] == '\r')
			len--;
		field = mime_limit_is_field(line, len);
		if (state == MIME_LIMIT_BODY_START)
			state = field ? MIME_LIMIT_HEADER : MIME_LIMIT_BODY;
		if (state == MIME_LIMIT_HEADER) {
			if (len == 0) {
				state = MIME_LIMIT_BODY_START;
				in_field = false;
				pos += total;
				continue;
			}
			if (field || (in_field && (line[0] == ' ' || line[0] == '\t'))) {
				if (++header_lines > MIME_LIMIT_HEADER_LINES ||
				    (header_bytes += total) > MIME_LIMIT_HEADER_BYTES)
					return pos;
				if (!lax)
					lax = mime_limit_lax_boundary(line, len);
				in_field = true;
				pos += total;
				continue;
			}
			/* not a field: the body starts here (RFC 5322 2.1) */
			state = MIME_LIMIT_BODY;
			in_field = false;
		}
		if (len >= 2 && line[0] == '-' && line[1] == '-' &&
		    (lax || (len > 2 && line[2] != ' ' && line[2] != '\t'))) {
			if (++delimiters > MIME_LIMIT_DELIMITER_LINES)
				return pos;
			state = MIME_LIMIT_HEADER;
		}
		pos += total;
	}
	return size;
}
