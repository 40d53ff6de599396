#include "smtp-data.h"
#include "alloc.h"
#include "buffer.h"

#include <stdlib.h>
#include <string.h>

enum smtp_data_state {
	SMTP_DATA_LINE_START,  /* after CRLF (or at the start) */
	SMTP_DATA_DOT,         /* "." at line start, held back */
	SMTP_DATA_DOT_CR,      /* "." CR at line start, both held back */
	SMTP_DATA_MIDDLE,      /* inside a line */
	SMTP_DATA_CR,          /* after a CR inside a line */
	SMTP_DATA_DONE,
};

struct smtp_data_reader {
	enum smtp_data_state state;
	uint64_t size;
};

struct smtp_data_reader *smtp_data_reader_create(void)
{
	struct smtp_data_reader *reader = xcalloc(1, sizeof(*reader));

	return reader;
}

void smtp_data_reader_destroy(struct smtp_data_reader **reader)
{
	free(*reader);
	*reader = NULL;
}

void smtp_data_reader_reset(struct smtp_data_reader *reader)
{
	reader->state = SMTP_DATA_LINE_START;
	reader->size = 0;
}

uint64_t smtp_data_reader_size(const struct smtp_data_reader *reader)
{
	return reader->size;
}

static void smtp_data_out(struct smtp_data_reader *reader, struct buffer *out,
			  const void *data, size_t len)
{
	reader->size += len;
	if (!out->overflow)
		(void)buffer_append(out, data, len);
}

int smtp_data_reader_parse(struct smtp_data_reader *reader, const void *data,
			   size_t size, size_t *consumed_r, struct buffer *out)
{
	const unsigned char *p = data;
	size_t i = 0;

	*consumed_r = 0;
	if (reader->state == SMTP_DATA_DONE)
		return 1;
	while (i < size) {
		unsigned char c = p[i];

		switch (reader->state) {
		case SMTP_DATA_LINE_START:
			if (c == '.') {
				reader->state = SMTP_DATA_DOT;
				i++;
				break;
			}
			reader->state = SMTP_DATA_MIDDLE;
			break;
		case SMTP_DATA_DOT:
			if (c == '\r') {
				reader->state = SMTP_DATA_DOT_CR;
				i++;
				break;
			}
			/* "If the first character is a period and there are
			   other characters on the line, the first character
			   is deleted." (RFC 5321 4.5.2) */
			reader->state = SMTP_DATA_MIDDLE;
			break;
		case SMTP_DATA_DOT_CR:
			if (c == '\n') {
				reader->state = SMTP_DATA_DONE;
				*consumed_r = i + 1;
				return 1;
			}
			/* "." CR x: the dot was stuffing, the CR is data */
			smtp_data_out(reader, out, "\r", 1);
			reader->state = SMTP_DATA_CR;
			break;
		case SMTP_DATA_MIDDLE: {
			/* copy up to and including the next CR in one go */
			const unsigned char *cr = memchr(p + i, '\r', size - i);
			size_t n = cr != NULL ? (size_t)(cr - (p + i)) + 1 : size - i;

			smtp_data_out(reader, out, p + i, n);
			i += n;
			if (cr != NULL)
				reader->state = SMTP_DATA_CR;
			break;
		}
		case SMTP_DATA_CR:
			smtp_data_out(reader, out, p + i, 1);
			i++;
			if (c == '\n')
				reader->state = SMTP_DATA_LINE_START;
			else if (c != '\r')
				reader->state = SMTP_DATA_MIDDLE;
			break;
		case SMTP_DATA_DONE:
			*consumed_r = i;
			return 1;
		}
	}
	*consumed_r = size;
	return 0;
}

int smtp_data_stuff(struct buffer *out, const void *data, size_t size)
{
	const unsigned char *p = data;
	size_t start = 0, i = 0;
	bool line_start = true;

	if (size == 0)
		return buffer_append(out, ".\r\n", 3);
	while (i < size) {
		unsigned char c = p[i];

		if (line_start && c == '.') {
			if (buffer_append(out, p + start, i - start) < 0 ||
			    buffer_append_c(out, '.') < 0)
				return -1;
			start = i;
		}
		line_start = false;
		if (c == '\r' || c == '\n') {
			/* CRLF stays; a bare CR or LF becomes CRLF */
			if (buffer_append(out, p + start, i - start) < 0 ||
			    buffer_append(out, "\r\n", 2) < 0)
				return -1;
			if (c == '\r' && i + 1 < size && p[i + 1] == '\n')
				i++;
			i++;
			start = i;
			line_start = true;
			continue;
		}
		i++;
	}
	if (buffer_append(out, p + start, i - start) < 0)
		return -1;
	if (!line_start && buffer_append(out, "\r\n", 2) < 0)
		return -1;
	return buffer_append(out, ".\r\n", 3);
}
