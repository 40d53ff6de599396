#ifndef INFOSTORE_IMAP_SEQMAP_H
#define INFOSTORE_IMAP_SEQMAP_H

/*
 * A session's message sequence numbers: the ascending UIDs of the selected
 * mailbox, index i holding sequence number i + 1. Kept as runs of
 * consecutive UIDs, so that the 10,000 idle sessions of a 100,000-message
 * INBOX with few expunges cost a few bytes each instead of 400 KB.
 *
 * Lookups by index are O(1) when they walk forwards (the usual loop) and
 * O(log runs) otherwise.
 */

#include <stdbool.h>
#include <stdint.h>

struct imap_seqmap_run {
	uint32_t uid;      /* first UID of the run */
	uint32_t index;    /* its position in the map */
	uint32_t len;
};

struct imap_seqmap {
	struct imap_seqmap_run *runs;
	unsigned int run_count, run_alloc;
	unsigned int count;            /* messages */
	unsigned int hint;             /* run of the last lookup */
};

void imap_seqmap_free(struct imap_seqmap *map);
/* Add a UID above every one in the map. */
void imap_seqmap_append(struct imap_seqmap *map, uint32_t uid);
/* The UID at index (< count). */
uint32_t imap_seqmap_uid(struct imap_seqmap *map, unsigned int index);
/* Index of the first UID >= uid (count if none). */
unsigned int imap_seqmap_lower_bound(const struct imap_seqmap *map, uint32_t uid);
/* Sequence number of uid, 0 if absent. */
uint32_t imap_seqmap_seq(const struct imap_seqmap *map, uint32_t uid);
/* Highest UID, 0 for an empty map. */
uint32_t imap_seqmap_last(const struct imap_seqmap *map);
/* Remove the UIDs of a sorted array (absent ones are ignored). */
void imap_seqmap_remove(struct imap_seqmap *map, const uint32_t *uids,
			unsigned int count);

#endif
