#ifndef INFOSTORE_IMAP_THREAD_H
#define INFOSTORE_IMAP_THREAD_H

/*
 * The THREAD algorithms of RFC 5256: ORDEREDSUBJECT and REFERENCES, on
 * messages whose keys the caller has read. No I/O: the result is written
 * as the thread-list of a "* THREAD" response.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct buffer;
struct pool;

struct imap_thread_msg {
	uint32_t number;          /* what the response shows (UID or sequence) */
	time_t date;              /* SORT's DATE: Date: header, else INTERNALDATE */
	const char *base_subject; /* RFC 5256 2.1 */
	bool reply;               /* the subject had Re:/Fwd: taken off */
	const char *message_id;   /* without <>, or NULL */
	const char **refs;        /* References (else In-Reply-To), oldest first */
	unsigned int ref_count;
};

enum imap_thread_algorithm {
	IMAP_THREAD_ORDEREDSUBJECT,
	IMAP_THREAD_REFERENCES,
};

/* msgs in mailbox order. Appends the threads ("(1 2)(3 (4)(5))") to out;
   nothing for no messages. */
void imap_thread_write(struct pool *pool, enum imap_thread_algorithm alg,
		       const struct imap_thread_msg *msgs, unsigned int count,
		       struct buffer *out);

/* The msg-ids ("<...>") of a header value, without their brackets, into
   *ids_r from pool; their count. */
unsigned int imap_thread_parse_ids(struct pool *pool, const char *value,
				   const char ***ids_r);

#endif
