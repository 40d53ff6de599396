#ifndef INFOSTORE_IMAP_VIEW_H
#define INFOSTORE_IMAP_VIEW_H

/*
 * The selected mailbox as this session sees it: the map from message
 * sequence numbers to UIDs, the changes already told to the client, and
 * the expunges not yet told.
 *
 * Other sessions and processes change the mailbox at any time; this
 * session hears of it (mailbox_watch) and tells the client only at the
 * moments RFC 9051 7.5.1 allows: EXISTS and FETCH FLAGS after any command,
 * EXPUNGE (or QRESYNC's VANISHED) only after commands that do not use
 * sequence numbers, and at once while IDLE. Until an expunge is told, the
 * message keeps its sequence number here, so numbers never go wrong.
 */

#include <stdbool.h>
#include <stdint.h>

#include "imap-seqmap.h"

struct imap_client;
struct imap_command;
struct imap_index;
struct imap_seqset;
struct mailbox_watcher;
struct pool;
struct store_mailbox;
struct store_message;

/* A growing array of UIDs in a pool. */
struct imap_uid_array {
	uint32_t *uids;
	unsigned int count, alloc;
};
void imap_uid_array_add(struct pool *pool, struct imap_uid_array *arr, uint32_t uid);
/* Is uid in the ascending array? */
bool imap_uids_contain(const uint32_t *uids, unsigned int count, uint32_t uid);

struct imap_view_reported {
	uint32_t uid;
	uint64_t modseq;
};

struct imap_view {
	int64_t mailbox_id;
	char *name;                  /* UTF-8 */
	bool readonly;               /* EXAMINE */
	uint32_t uidvalidity;

	struct imap_seqmap seqs;     /* sequence numbers to UIDs */
	unsigned int count;          /* messages (== seqs.count) */
	uint32_t uidnext;            /* UIDs from here on are not in the view */
	uint64_t modseq;             /* changes up to here are known */

	char **keywords;             /* announced in FLAGS */
	unsigned int keyword_count;

	/* \Recent here: (recent_floor, recent_top] and recent_extra */
	uint32_t recent_floor, recent_top;
	uint32_t *recent_extra;
	unsigned int recent_extra_count, recent_extra_alloc;

	uint32_t *expunged;          /* gone from the store, not yet told */
	unsigned int expunged_count, expunged_alloc;

	/* flag changes this session made and already reported (FETCH after
	   STORE); a sync does not report them again */
	struct imap_view_reported *reported;
	unsigned int reported_count, reported_alloc;

	struct mailbox_watcher *watcher;
	struct imap_index *index;    /* the shared state (imap-index.h) */
	bool changed;                /* the watcher fired or we wrote */
};

struct imap_view_open_info {
	uint32_t first_unseen;       /* sequence number, 0: none */
	uint32_t recent;             /* messages recent in this session */
	uint64_t highestmodseq;
};

/*
 * Select mb for the client: load the UIDs, start watching. The client's
 * previous view must be closed. 0, or -1 (store error).
 */
int imap_view_open(struct imap_client *client, const struct store_mailbox *mb,
		   bool readonly, struct imap_view_open_info *info_r);
void imap_view_close(struct imap_client *client);

/* The shared index of the selected mailbox, up to date with the store
   (imap_index_sync()); NULL on a store error or if the mailbox is gone. */
struct imap_index *imap_view_index(struct imap_client *client);

/* Is uid \Recent in this session? */
bool imap_view_is_recent(const struct imap_view *view, uint32_t uid);
unsigned int imap_view_recent_count(const struct imap_view *view);

/* The UID of message index (sequence number index + 1). */
static inline uint32_t imap_view_uid(struct imap_view *view, unsigned int index)
{
	return imap_seqmap_uid(&view->seqs, index);
}
/* The highest UID in the view, 0 if empty. */
static inline uint32_t imap_view_last_uid(const struct imap_view *view)
{
	return imap_seqmap_last(&view->seqs);
}

/* Sequence number of uid, 0 if not in the view. */
uint32_t imap_view_seq(const struct imap_view *view, uint32_t uid);
/* Index of the first UID >= uid (count if none). */
unsigned int imap_view_lower_bound(const struct imap_view *view, uint32_t uid);

/*
 * A sequence set (or with cmd->uid a UID set, or "$") as UID ranges
 * within the view. Sequence numbers past the end are a client error.
 * 0, or -1 with *error_r (a BAD reply).
 */
int imap_view_parse_set(struct imap_command *cmd, const char *str,
			struct imap_seqset *uids_r, const char **error_r);

/*
 * The UIDs (ascending) of the view's messages in set that the store still
 * has and that filter (NULL: all) accepts. *expected_r (may be NULL): how
 * many view messages the set named, so the caller can tell if some were
 * expunged meanwhile. 0, or -1 (store error).
 */
typedef bool imap_view_filter(void *context, const struct store_message *msg);
int imap_view_collect(struct imap_command *cmd, const struct imap_seqset *set,
		      imap_view_filter *filter, void *context,
		      struct imap_uid_array *uids_r, unsigned int *expected_r);

/* Send the pending updates. allow_expunges false: EXPUNGEs wait. force:
   look at the store even if nothing told us it changed. */
void imap_view_sync(struct imap_client *client, bool allow_expunges, bool force);
/* Messages this session expunged (ascending UIDs, all in the view): tell
   the client now and drop them. */
void imap_view_expunged(struct imap_client *client, const uint32_t *uids,
			unsigned int count);
/* This session reported uid's flags at modseq already. */
void imap_view_reported(struct imap_view *view, uint32_t uid, uint64_t modseq);
/* Make sure every keyword in the list has been announced (FLAGS and
   PERMANENTFLAGS go out for new ones). */
void imap_view_announce_keywords(struct imap_client *client, const char *keywords);
/* Send FLAGS and PERMANENTFLAGS with the announced keywords. */
void imap_view_send_flags(struct imap_client *client);
/* Mark the view changed after this session wrote to the mailbox, and wake
   the other sessions watching it. */
void imap_view_notify_changed(struct imap_client *client, int64_t mailbox_id);

#endif
