#ifndef INFOSTORE_STORE_IMAP_H
#define INFOSTORE_STORE_IMAP_H

/*
 * Store queries that only IMAP needs: its handle's tuning, a count for
 * the position of a UID, and header search over the decoded headers kept
 * for search. Messages are read with store_message_iter (store.h).
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct store;

/*
 * Tune the daemon's loop store handle for IMAP's read pattern (whole
 * mailboxes at a time): a bigger page cache. 0 or -1.
 */
int store_imap_tune(struct store *store);

/* How many messages of the mailbox have a UID above uid. 0 or -1. */
int store_imap_count_above(struct store *store, int64_t mailbox_id, uint32_t uid,
			   uint32_t *count_r);

/*
 * Jobs inside one group transaction (the IMAP writer thread): a savepoint
 * around each, so that one job's failure undoes only its own changes.
 * store_imap_job_end(ok false) rolls back to the savepoint and clears the
 * failure that nested store calls left on the transaction.
 */
int store_imap_job_begin(struct store *store);
void store_imap_job_end(struct store *store, bool ok);
/* A blob written through another store handle (blob id as returned by
   store_blob_writer_finish()): fsync its directory at this handle's next
   store_blob_sync_dirs(). */
void store_imap_blob_dirty(struct store *store, const char *blob);

/*
 * Statements on this handle that are still running at deadline
 * (CLOCK_MONOTONIC, in milliseconds; 0: no deadline) stop and fail with
 * STORE_ERROR_LIMIT. For a worker's handle that runs the text scans of a
 * SEARCH under a time budget. The deadline belongs to the calling thread:
 * one handle per thread, as always.
 */
void store_imap_set_deadline(struct store *store, uint64_t deadline_msecs);
/* The clock of store_imap_set_deadline(), in milliseconds. */
uint64_t store_imap_now_msecs(void);

/* Messages whose decoded headers contain needle (ASCII case-insensitive),
   in UID order, with those headers ("Name: value\n" lines) for the caller
   to check the field. 0 or -1. */
typedef void store_imap_header_cb(void *context, uint32_t uid, const char *headers);
/* Does such a header text have a field (case-insensitive name) whose
   value contains value (ASCII case-insensitive; "" matches any)? */
bool store_imap_header_has(const char *headers, const char *field,
			   const char *value);
int store_imap_search_headers(struct store *store, int64_t mailbox_id,
			      const char *needle, store_imap_header_cb *cb,
			      void *context);

#endif
