#ifndef INFOSTORE_SUBMISSION_SEND_H
#define INFOSTORE_SUBMISSION_SEND_H

/*
 * Sending a message from a local user, as the submission service does it
 * and the web access's compose form reuses: recipients who are users here
 * get it in their INBOX through deliver_batch() (the calendar hook
 * included), and only when that is durable are the others put on the
 * outbound queue as one entry, so that a failure leaves nothing queued
 * that a retry would send a second time.
 *
 * Runs on the delivery thread (deliver_queue_call()), with that thread's
 * store handle; it blocks on fsync.
 */

#include <stddef.h>
#include <stdint.h>

#include "deliver.h"

struct conf;
struct pool;
struct store;

/* What became of a message. */
enum submission_outcome {
	SUBMISSION_SENT,
	SUBMISSION_TEMPFAIL,      /* 451 4.3.0 */
	SUBMISSION_NO_SPACE,      /* 452 4.3.1 */
	SUBMISSION_RCPT_GONE,     /* 550 5.1.1: a user removed meanwhile */
	SUBMISSION_OVER_QUOTA,    /* 552 5.2.2: a local recipient is full */
};

struct submission_send {
	const char *sender;              /* the user's own address */
	const char *const *local;        /* users here */
	unsigned int local_count;
	const char *const *remote;       /* everyone else: 1..100 */
	unsigned int remote_count;
	const unsigned char *data;       /* the whole message, CRLF */
	size_t size;

	/* filled in: one per local recipient (pool memory) */
	enum deliver_status *status;
	uint32_t *uids;
	/* why it was not sent, for the log (pool or store memory), or NULL */
	const char *error;
};

/* Deliver and queue send's message. store NULL (the thread has no store)
   is a temporary failure. Allocates from pool. */
enum submission_outcome submission_send_run(struct store *store,
					    const struct conf *conf,
					    struct pool *pool,
					    struct submission_send *send);

/* "sent", "tempfail", ... for the log */
const char *submission_outcome_name(enum submission_outcome outcome);

#endif
