#ifndef INFOSTORE_IMPORT_PRIVATE_H
#define INFOSTORE_IMPORT_PRIVATE_H

#include "import.h"
#include "store.h"

#include <time.h>

struct mime_summary;
struct pool;

/* A batch is one store transaction: this many messages or bytes. */
#define IMPORT_BATCH_MAX 200
#define IMPORT_BATCH_BYTES (64 * 1024 * 1024)

/* Messages on their way into one mailbox (import-batch.c). */
struct import_batch {
	struct store *store;
	struct pool *pool;        /* the batch's summaries; cleared per batch */
	int64_t mailbox_id;
	struct import_stats *stats;
	FILE *progress;
	unsigned int last_progress;

	struct store_import_message msgs[IMPORT_BATCH_MAX];
	struct store_message_meta metas[IMPORT_BATCH_MAX];
	char blobs[IMPORT_BATCH_MAX][33];
	unsigned int count;
	uint64_t bytes;
};

void import_batch_init(struct import_batch *batch, struct store *store,
		       struct import_stats *stats, FILE *progress);
void import_batch_deinit(struct import_batch *batch);

/* Finish the blob in *writer (freed) without sync and summarise it into
   the batch's pool. 0, or -1 (store error). */
int import_blob_finish(struct import_batch *batch,
		       struct store_blob_writer **writer, char blob_r[33],
		       struct mime_summary *sum_r);
/* Queue a finished blob for batch->mailbox_id (uid 0: the next one);
   flushes a full batch. 0, or -1 (store error: the batch's blobs are
   removed). */
int import_batch_add(struct import_batch *batch, const char *blob,
		     const struct mime_summary *sum, uint32_t uid,
		     uint32_t flags, const char *keywords, time_t internaldate);
/* Commit what is queued and raise UIDNEXT to uidnext_min. 0 or -1. */
int import_batch_flush(struct import_batch *batch, uint32_t uidnext_min);
/* After a message was summarised but not queued: give its memory back
   (committing what is queued if the pool has grown big). 0 or -1. */
int import_batch_trim(struct import_batch *batch);
/* lib-import's enum maildir_flag as enum store_flag. */
uint32_t import_store_flags(uint32_t flags);
/* A progress line, if IMPORT_PROGRESS_EVERY more messages were seen. */
void import_progress(struct import_batch *batch);

#endif
