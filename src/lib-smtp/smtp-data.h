#ifndef INFOSTORE_SMTP_DATA_H
#define INFOSTORE_SMTP_DATA_H

/*
 * The DATA phase (RFC 5321 4.1.1.4, 4.5.2), both ways. No I/O.
 *
 * Reading: smtp_data_reader_parse() takes the bytes after "354" in chunks
 * of any size, removes the dot-stuffing and finds the end, CRLF "." CRLF,
 * even when it is split across chunks. Only CRLF ends a line here: a bare
 * LF followed by "." neither ends the data nor loses its dot, so the same
 * bytes cannot be read as two different messages (the 2023 SMTP smuggling
 * class of bugs).
 *
 * Writing: smtp_data_stuff() turns a message into what follows DATA.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buffer;
struct smtp_data_reader;

struct smtp_data_reader *smtp_data_reader_create(void);
void smtp_data_reader_destroy(struct smtp_data_reader **reader);
/* Start a new message. */
void smtp_data_reader_reset(struct smtp_data_reader *reader);

/*
 * Unstuff data (size bytes) into out. The message bytes are everything
 * before the final "." CRLF, so a message ends with its own CRLF. When out
 * has a limit and overflows, reading goes on (the caller still has to find
 * the end) but nothing more is stored; check out->overflow afterwards.
 *   1: the end was found; *consumed_r bytes were taken, up to and
 *      including the final CRLF (what follows is the next command).
 *   0: all size bytes were taken; more to come.
 */
int smtp_data_reader_parse(struct smtp_data_reader *reader, const void *data,
			   size_t size, size_t *consumed_r, struct buffer *out);
/* Message bytes seen so far, stored or not (for SIZE checks and logs). */
uint64_t smtp_data_reader_size(const struct smtp_data_reader *reader);

/*
 * Append the DATA content for a message to out: bare LF and bare CR become
 * CRLF (RFC 5321 2.3.8), a "." at the start of a line is doubled (4.5.2),
 * a missing final CRLF is added, and the "." CRLF terminator follows.
 * Returns -1 if out's limit was passed.
 */
int smtp_data_stuff(struct buffer *out, const void *data, size_t size);

#endif
