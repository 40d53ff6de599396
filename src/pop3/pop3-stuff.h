#ifndef INFOSTORE_POP3_STUFF_H
#define INFOSTORE_POP3_STUFF_H

/*
 * Turning stored message bytes into the body of a POP3 multi-line reply
 * (RFC 1939 3): a line that begins with "." gets another "." in front
 * (byte-stuffing), a bare LF goes out as CRLF, and the reply ends with
 * ".\r\n" on a line of its own. For TOP (RFC 1939 7) the header goes out
 * whole and then only the first n lines of the body.
 *
 * No I/O: the caller reads the blob in chunks of any size and feeds them
 * in order; the result does not depend on where the chunks are split.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each input byte becomes at most two output bytes ("." -> "..",
   LF -> CRLF). */
#define POP3_STUFF_OUT_MAX(len) ((len) * 2)
/* pop3_stuff_finish() writes at most this many bytes. */
#define POP3_STUFF_FINISH_MAX 5

struct pop3_stuff {
	bool line_start;       /* the next input byte begins a line */
	bool after_cr;         /* the last input byte was CR */
	bool top;              /* counting body lines */
	bool done;             /* TOP has all it wants: feed no more */
	uint64_t header_left;  /* TOP: stored header bytes still to pass */
	uint64_t lines_left;   /* TOP: body lines still to send */
};

/* The whole message. */
void pop3_stuff_init(struct pop3_stuff *st);
/* TOP: header_size stored bytes (the blank line included), then lines
   lines of the body. */
void pop3_stuff_init_top(struct pop3_stuff *st, uint64_t header_size,
			 uint64_t lines);

/*
 * Transform in[0..len) into out (room for POP3_STUFF_OUT_MAX(len)) and
 * return the bytes written. With TOP, input after the last wanted line is
 * ignored and st->done becomes true.
 */
size_t pop3_stuff_feed(struct pop3_stuff *st, const unsigned char *in,
		       size_t len, unsigned char *out);

/* End the reply: CRLF if the message's last line had no line end, then
   ".\r\n". Returns the bytes written into out. */
size_t pop3_stuff_finish(struct pop3_stuff *st, unsigned char *out);

#endif
