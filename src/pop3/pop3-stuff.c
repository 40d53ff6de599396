/*
 * Byte-stuffing and line ends for RETR and TOP (RFC 1939 3, 7, 11).
 *
 * Runs between line ends are copied with memcpy; only the bytes at a line
 * end or a line start are looked at one by one, so a message with long
 * lines costs little more than a copy.
 */
#include "pop3-stuff.h"

#include <string.h>

void pop3_stuff_init(struct pop3_stuff *st)
{
	memset(st, 0, sizeof(*st));
	st->line_start = true;
}

void pop3_stuff_init_top(struct pop3_stuff *st, uint64_t header_size,
			 uint64_t lines)
{
	pop3_stuff_init(st);
	st->top = true;
	st->header_left = header_size;
	st->lines_left = lines;
	if (header_size == 0 && lines == 0)
		st->done = true;
}

size_t pop3_stuff_feed(struct pop3_stuff *st, const unsigned char *in,
		       size_t len, unsigned char *out)
{
	unsigned char *o = out;
	size_t i = 0;

	while (i < len && !st->done) {
		size_t end = len, run;
		const unsigned char *lf;
		bool in_header = st->top && st->header_left > 0;

		/* In the header of a TOP, stop at its end so that its line
		   ends are not counted as body lines. */
		if (in_header && st->header_left < end - i)
			end = i + (size_t)st->header_left;

		if (st->line_start) {
			if (in[i] == '.')
				*o++ = '.';
			st->line_start = false;
		}
		lf = memchr(in + i, '\n', end - i);
		run = lf != NULL ? (size_t)(lf - (in + i)) : end - i;
		memcpy(o, in + i, run);
		o += run;
		if (run > 0)
			st->after_cr = in[i + run - 1] == '\r';
		i += run;
		if (lf != NULL) {
			/* RFC 1939 11: bare LF in the store goes out as CRLF */
			if (!st->after_cr)
				*o++ = '\r';
			*o++ = '\n';
			i++;
			run++;
			st->after_cr = false;
			st->line_start = true;
		}
		if (in_header) {
			st->header_left -= run;
			if (st->header_left == 0 && st->lines_left == 0)
				st->done = true;
		} else if (st->top && lf != NULL) {
			if (--st->lines_left == 0)
				st->done = true;
		}
	}
	return (size_t)(o - out);
}

size_t pop3_stuff_finish(struct pop3_stuff *st, unsigned char *out)
{
	size_t n = 0;

	/* A last line without its line end gets one: the terminating "."
	   must stand on a line of its own. A final lone CR becomes the
	   CR of that CRLF. */
	if (!st->line_start) {
		if (!st->after_cr)
			out[n++] = '\r';
		out[n++] = '\n';
	}
	memcpy(out + n, ".\r\n", 3);
	return n + 3;
}
