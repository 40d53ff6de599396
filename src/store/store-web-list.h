#ifndef INFOSTORE_STORE_WEB_LIST_H
#define INFOSTORE_STORE_WEB_LIST_H

/*
 * Paged message lists for the web access: newest first, by UID, with
 * keyset paging (UIDs below or above an anchor) so that a page of a
 * 100,000-message folder costs an index range scan of one page, never an
 * OFFSET walk. Same idiom as store.h.
 */

#include <stdint.h>
#include <time.h>

struct pool;
struct store;

struct store_web_message {
	uint32_t uid;
	uint32_t flags;           /* enum store_flag */
	time_t internaldate;
	time_t sent_time;         /* 0: no usable Date: */
	uint64_t size;
	const char *envelope;     /* IMAP ENVELOPE, in pool */
	const char *bodystructure;
};

/*
 * At most limit messages of the mailbox, newest (highest UID) first.
 * before_uid != 0: only UIDs below it (the next, older page);
 * after_uid != 0: the limit UIDs just above it (the previous, newer page).
 * The array is allocated from pool. 0 or -1.
 */
int store_web_message_page(struct store *store, int64_t mailbox_id,
			   uint32_t before_uid, uint32_t after_uid,
			   unsigned int limit, struct pool *pool,
			   struct store_web_message **msgs_r,
			   unsigned int *count_r);
/* How many messages of the mailbox have lo <= UID <= hi (an index range
   count: cost grows with the count, so callers count the smaller side). */
int store_web_message_count(struct store *store, int64_t mailbox_id,
			    uint32_t lo, uint32_t hi, uint32_t *count_r);

#endif
