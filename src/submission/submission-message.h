#ifndef INFOSTORE_SUBMISSION_MESSAGE_H
#define INFOSTORE_SUBMISSION_MESSAGE_H

/*
 * What the submission service checks and adds in a message from a mail
 * app (RFC 6409 8), before anything is stored or queued:
 *
 *   submission_message_scan()      find the header block and the fields
 *                                  that matter, in one bounded pass;
 *   submission_message_check()     From: (and Sender:, if any) must be
 *                                  the logged-in user's own address;
 *   submission_message_complete()  a Received: trace field on top, Date:
 *                                  and Message-ID: at the end of the
 *                                  header when the app left them out.
 *
 * The From: check reads exactly one mailbox with a strict RFC 5322 3.4
 * grammar (RFC 6532 UTF-8 allowed), and then asks GMime (lib-mime) to read
 * the same field: both readings must give the user's address and nothing
 * else. A field that two readers could see differently (two From: lines,
 * a list, a group, a comment hiding a second address) is refused rather
 * than guessed at, since what a recipient's mail app shows is what counts.
 *
 * No I/O. Strings come from the pool given.
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;
struct pool;

/* The header block is read up to this many bytes (Postfix's
   header_size_limit is 100 KiB); a longer one is refused. */
#define SUBMISSION_HEADER_MAX (256 * 1024)

struct submission_headers {
	/* where the header block ends: the start of the empty line, or the
	   end of the message when it has no body */
	size_t header_end;
	bool too_long;          /* no end within SUBMISSION_HEADER_MAX */
	const char *eol;        /* the message's line ending: "\r\n" or "\n" */
	unsigned int from_count, sender_count, date_count, message_id_count;
	const char *from;       /* the first From: value, unfolded, or NULL */
	const char *sender;     /* the first Sender: value, or NULL */
};

/* Scan the header block of data (size bytes). Never fails; see too_long. */
void submission_message_scan(struct pool *pool, const unsigned char *data,
			     size_t size, struct submission_headers *headers_r);

enum submission_author {
	SUBMISSION_AUTHOR_OK,
	SUBMISSION_AUTHOR_MISSING,   /* no From: */
	SUBMISSION_AUTHOR_MULTIPLE,  /* From: or Sender: twice */
	SUBMISSION_AUTHOR_SYNTAX,    /* not exactly one mailbox we can read */
	SUBMISSION_AUTHOR_OTHER,     /* someone else's address */
};

/*
 * Is the author the user (address, compared without regard to case)?
 * *field_r names the field that failed ("From" or "Sender"), *found_r the
 * address read there (or NULL) for the log.
 */
enum submission_author submission_message_check(struct pool *pool,
						const struct submission_headers *headers,
						const char *address,
						const char **field_r,
						const char **found_r);

/*
 * Read one RFC 5322 mailbox ("Alice <alice@example.test>",
 * "alice@example.test (Alice)", "=?utf-8?q?...?= <a@b>") from a field
 * value; *addr_r is its addr-spec as written, without comments, white
 * space or angle brackets. 0, or -1 for anything else (a list, a group,
 * an obsolete route, unbalanced quotes or comments).
 */
int submission_mailbox_parse(struct pool *pool, const char *value,
			     const char **addr_r);

/*
 * Append to out: "Received: " received EOL, then data with "Date: " date
 * and "Message-ID: " message_id added at the end of the header (each only
 * when not NULL), in the message's own line endings. received, date and
 * message_id are single lines. -1 if out's limit was passed.
 */
int submission_message_complete(struct buffer *out, const unsigned char *data,
				size_t size, const struct submission_headers *headers,
				const char *received, const char *date,
				const char *message_id);

#endif
