#ifndef INFOSTORE_OUTBOUND_DSN_H
#define INFOSTORE_OUTBOUND_DSN_H

/*
 * The bounce a local sender gets when the relay refused a message or it
 * could not be sent in time: a delivery status notification, RFC 3464, in
 * a multipart/report (RFC 6522) with a readable explanation, the
 * machine-readable status per recipient and the original's header. No I/O:
 * every varying value (dates, ids) comes in, so tests can pin the output.
 */

#include <stddef.h>
#include <time.h>

struct buffer;

struct outbound_dsn_rcpt {
	const char *address;
	const char *status;       /* RFC 3463 code, "5.1.1" */
	const char *diagnostic;   /* the relay's reply, or our reason */
	const char *remote_mta;   /* the relay's name if it answered, or NULL */
};

struct outbound_dsn {
	const char *reporting_mta;   /* our hostname */
	const char *sender;          /* who gets the bounce */
	const char *boundary;        /* random, not in the original */
	const char *message_id;      /* "<...@host>" */
	time_t arrival;              /* when it was queued */
	time_t now;
	const struct outbound_dsn_rcpt *rcpts;
	unsigned int rcpt_count;
	const unsigned char *original;   /* the queued message, may be NULL */
	size_t original_size;
};

/* Append the whole bounce message (CRLF line ends) to out. */
void outbound_dsn_build(const struct outbound_dsn *dsn, struct buffer *out);

/* The RFC 3463 status for a failed recipient, from the relay's reply as
   one line ("550 5.1.1 text"): its own enhanced code when that is a
   permanent one, 5.0.0 for another 5xx, and 5.4.7 (delivery time expired)
   for temporary failures and local reasons that ran out of time. */
void outbound_dsn_status(const char *reply, char status_r[16]);

#endif
