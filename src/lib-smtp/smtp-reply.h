#ifndef INFOSTORE_SMTP_REPLY_H
#define INFOSTORE_SMTP_REPLY_H

/*
 * SMTP replies (RFC 5321 4.2) with enhanced status codes (RFC 3463,
 * RFC 2034): writing them as a server, reading them as a client. No I/O.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buffer;
struct smtp_reply_parser;

/*
 * Append a reply to out. text may hold several lines separated by '\n':
 * all but the last go out as "250-", the last as "250 " (RFC 5321 4.2.1).
 * enhanced ("2.0.0") is put at the start of every line, or left out when
 * NULL (the greeting and the LHLO/EHLO reply, RFC 2034 3). CR and LF in
 * text never reach the wire except as line breaks.
 */
void smtp_reply_write(struct buffer *out, unsigned int code,
		      const char *enhanced, const char *text);
void smtp_reply_printf(struct buffer *out, unsigned int code,
		       const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A reply as read by the client: the code, the enhanced code of the first
   line ("" if none), and the text of all lines joined by '\n' without the
   codes. Strings live in the parser until its next call. */
struct smtp_reply {
	unsigned int code;
	const char *enhanced;
	const char *text;
	unsigned int lines;
};

/* Replies are bounded: max_line per line, at most 100 lines. */
struct smtp_reply_parser *smtp_reply_parser_create(size_t max_line);
void smtp_reply_parser_destroy(struct smtp_reply_parser **parser);
void smtp_reply_parser_reset(struct smtp_reply_parser *parser);
/*
 * 1: a whole reply in *reply_r, *consumed_r bytes taken (what follows
 *    stays with the caller);
 * 0: all bytes taken, reply not complete yet;
 * -1: not a valid reply (bad code, codes differ between lines, too long);
 *    *error_r says why. The session should be given up.
 */
int smtp_reply_parser_parse(struct smtp_reply_parser *parser,
			    const void *data, size_t size, size_t *consumed_r,
			    struct smtp_reply *reply_r, const char **error_r);

/* "250 2.0.0 text" on one line (lines joined by " / "), for logs and
   bounce reports. */
const char *smtp_reply_oneline(const struct smtp_reply *reply,
			       struct buffer *out);

#endif
