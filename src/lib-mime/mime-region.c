#include "mime-region.h"

#include <string.h>

size_t mime_region_body_start(const unsigned char *data, size_t start, size_t end)
{
	size_t i = start;

	/* An entity with no header fields starts with its blank line. */
	if (i < end && data[i] == '\n')
		return i + 1;
	if (i + 1 < end && data[i] == '\r' && data[i + 1] == '\n')
		return i + 2;
	for (; i < end; i++) {
		if (data[i] != '\n')
			continue;
		if (i + 1 < end && data[i + 1] == '\n')
			return i + 2;
		if (i + 2 < end && data[i + 1] == '\r' && data[i + 2] == '\n')
			return i + 3;
	}
	return end;
}

/* Is there a delimiter line "--boundary" at pos (pos at a line start)?
   Sets *close_r for "--boundary--" and *next_r to the next line's start. */
static int mime_is_delimiter(const unsigned char *data, size_t pos, size_t end,
			     const char *boundary, size_t blen, int *close_r,
			     size_t *next_r)
{
	size_t p = pos;

	if (end - pos < blen + 2 || data[p] != '-' || data[p + 1] != '-' ||
	    memcmp(data + p + 2, boundary, blen) != 0)
		return 0;
	p += 2 + blen;
	*close_r = 0;
	if (p + 1 < end && data[p] == '-' && data[p + 1] == '-') {
		*close_r = 1;
		p += 2;
	}
	/* only transport padding may follow (RFC 2046 5.1.1) */
	while (p < end && (data[p] == ' ' || data[p] == '\t'))
		p++;
	if (p < end && data[p] == '\r')
		p++;
	if (p < end && data[p] != '\n')
		return 0;
	*next_r = p < end ? p + 1 : end;
	return 1;
}

unsigned int mime_region_split(const unsigned char *data, size_t start,
			       size_t end, const char *boundary,
			       struct mime_region *children, unsigned int max)
{
	size_t blen = strlen(boundary);
	size_t pos = start;
	unsigned int count = 0;
	int in_child = 0;

	if (blen == 0)
		return 0;
	while (pos < end) {
		const unsigned char *nl;
		size_t next;
		int is_close;

		if (mime_is_delimiter(data, pos, end, boundary, blen,
				      &is_close, &next)) {
			if (in_child) {
				/* the line break before the delimiter is the
				   delimiter's */
				size_t child_end = pos;

				if (child_end > children[count - 1].header_start &&
				    data[child_end - 1] == '\n') {
					child_end--;
					if (child_end > children[count - 1].header_start &&
					    data[child_end - 1] == '\r')
						child_end--;
				}
				children[count - 1].end = child_end;
				in_child = 0;
			}
			if (is_close)
				return count;
			if (count < max) {
				children[count].header_start = next;
				children[count].body_start = next;
				children[count].end = end;
				count++;
				in_child = 1;
			} else {
				return count;
			}
			pos = next;
			continue;
		}
		nl = memchr(data + pos, '\n', end - pos);
		if (nl == NULL)
			break;
		pos = (size_t)(nl - data) + 1;
	}
	return count;
}

void mime_region_measure(const unsigned char *data, size_t start, size_t end,
			 uint64_t *vsize_r, uint64_t *lines_r)
{
	uint64_t lines = 0, bare = 0;
	const unsigned char *p = data + start, *e = data + end;

	while (p < e) {
		const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));

		if (nl == NULL)
			break;
		lines++;
		if (nl == data + start || nl[-1] != '\r')
			bare++;
		p = nl + 1;
	}
	/* a last line without a line break is still a line */
	if (end > start && data[end - 1] != '\n')
		lines++;
	*vsize_r = (end - start) + bare;
	*lines_r = lines;
}
