#ifndef INFOSTORE_IMAP_INDEX_H
#define INFOSTORE_IMAP_INDEX_H

/*
 * An in-memory copy of a mailbox's message state (UID, flags, keywords,
 * MODSEQ), shared by every session of this process that uses the mailbox
 * and kept for a while after the last one leaves. SELECT, FETCH of flags
 * and searches on flags read it instead of walking 100,000 rows of the
 * store; it is brought up to date from the store's change log
 * (store_mailbox_changes()) whenever it is used, which costs one indexed
 * lookup when nothing changed.
 *
 * Like Dovecot's index files, but in memory and never authoritative: the
 * store is.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct imap_index_rec {
	uint32_t uid;
	uint32_t flags;       /* enum store_flag */
	uint64_t modseq;
};

struct imap_index {
	int64_t mailbox_id;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t modseq;              /* the store's HIGHESTMODSEQ seen */
	struct imap_index_rec *recs;  /* ascending UIDs */
	unsigned int count;
	char **keywords;              /* NULL, or count entries (NULL: none) */

	/* private */
	unsigned int alloc;
	unsigned int refs;
	struct imap_index *hash_next;
	struct imap_index *lru_prev, *lru_next;
};

/*
 * The mailbox's index, up to date with the store. The caller holds a
 * reference until imap_index_unref(). 1: found, 0: no such mailbox, -1:
 * store error.
 */
int imap_index_get(struct store *store, int64_t mailbox_id,
		   struct imap_index **index_r);
/* Bring a held index up to date. 1, 0 (mailbox gone), -1. */
int imap_index_sync(struct store *store, struct imap_index *index);
void imap_index_unref(struct imap_index **index);

/* Position of the first record with UID >= uid (count if none). */
unsigned int imap_index_lower_bound(const struct imap_index *index, uint32_t uid);
static inline const char *imap_index_keywords(const struct imap_index *index,
					      unsigned int pos)
{
	return index->keywords != NULL ? index->keywords[pos] : NULL;
}

/* Drop every cached index (shutdown). */
void imap_index_deinit(void);

#endif
