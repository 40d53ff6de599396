/*
 * Batches of imported messages: bodies are written as they are read
 * (not yet synced), summarised from the written file, and committed a
 * batch at a time by store_import_messages(), which makes the bodies
 * durable before the rows.
 */
#include "import-private.h"
#include "deliver.h"
#include "maildir-parse.h"
#include "mime.h"
#include "pool.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void import_batch_init(struct import_batch *batch, struct store *store,
		       struct import_stats *stats, FILE *progress)
{
	memset(batch, 0, sizeof(*batch));
	batch->store = store;
	batch->pool = pool_create(65536);
	batch->stats = stats;
	batch->progress = progress;
}

static void import_batch_drop(struct import_batch *batch)
{
	for (unsigned int i = 0; i < batch->count; i++)
		store_blob_unlink(batch->store, batch->blobs[i]);
	batch->count = 0;
	batch->bytes = 0;
	pool_clear(batch->pool);
}

void import_batch_deinit(struct import_batch *batch)
{
	import_batch_drop(batch);
	pool_destroy(&batch->pool);
}

int import_blob_finish(struct import_batch *batch,
		       struct store_blob_writer **writer, char blob_r[33],
		       struct mime_summary *sum_r)
{
	struct stat st;
	void *map;
	int fd;

	if (store_blob_writer_finish(*writer, false, blob_r) < 0) {
		store_blob_writer_abort(writer);
		return -1;
	}
	store_blob_writer_free(writer);
	fd = store_blob_open(batch->store, blob_r);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			0)) == MAP_FAILED) {
		close(fd);
		store_blob_unlink(batch->store, blob_r);
		return -1;
	}
	mime_summarize(batch->pool, map, (size_t)st.st_size, sum_r);
	munmap(map, (size_t)st.st_size);
	close(fd);
	return 0;
}

int import_batch_add(struct import_batch *batch, const char *blob,
		     const struct mime_summary *sum, uint32_t uid,
		     uint32_t flags, const char *keywords, time_t internaldate)
{
	unsigned int i = batch->count++;
	struct store_import_message *msg = &batch->msgs[i];

	memcpy(batch->blobs[i], blob, sizeof(batch->blobs[i]));
	deliver_summary_meta(batch->pool, sum, &batch->metas[i]);
	msg->blob = batch->blobs[i];
	msg->meta = &batch->metas[i];
	msg->uid = uid;
	msg->flags = flags;
	msg->keywords = keywords != NULL && *keywords != '\0' ?
		p_strdup(batch->pool, keywords) : NULL;
	msg->internaldate = internaldate;
	batch->bytes += sum->size;
	if (batch->count == IMPORT_BATCH_MAX || batch->bytes >= IMPORT_BATCH_BYTES)
		return import_batch_flush(batch, 0);
	return 0;
}

int import_batch_flush(struct import_batch *batch, uint32_t uidnext_min)
{
	if (batch->count == 0 && uidnext_min <= 1)
		return 0;
	if (store_import_messages(batch->store, batch->mailbox_id, batch->msgs,
				  batch->count, uidnext_min) < 0) {
		import_batch_drop(batch);
		return -1;
	}
	batch->stats->imported += batch->count;
	batch->count = 0;
	batch->bytes = 0;
	pool_clear(batch->pool);
	import_progress(batch);
	return 0;
}

void import_progress(struct import_batch *batch)
{
	const struct import_stats *s = batch->stats;
	unsigned int seen = s->imported + s->present + s->uid_used + s->too_big +
		s->unreadable;

	if (batch->progress == NULL ||
	    seen - batch->last_progress < IMPORT_PROGRESS_EVERY)
		return;
	batch->last_progress = seen;
	fprintf(batch->progress,
		"infostore: import: %u messages imported, %u already present so far\n",
		s->imported, s->present);
	fflush(batch->progress);
}

int import_batch_trim(struct import_batch *batch)
{
	if (batch->count == 0) {
		pool_clear(batch->pool);
		return 0;
	}
	if (pool_used(batch->pool) > IMPORT_BATCH_BYTES)
		return import_batch_flush(batch, 0);
	return 0;
}

uint32_t import_store_flags(uint32_t flags)
{
	static const uint32_t map[][2] = {
		{ MAILDIR_FLAG_SEEN, STORE_FLAG_SEEN },
		{ MAILDIR_FLAG_ANSWERED, STORE_FLAG_ANSWERED },
		{ MAILDIR_FLAG_FLAGGED, STORE_FLAG_FLAGGED },
		{ MAILDIR_FLAG_DELETED, STORE_FLAG_DELETED },
		{ MAILDIR_FLAG_DRAFT, STORE_FLAG_DRAFT },
	};
	uint32_t out = 0;

	for (unsigned int i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if ((flags & map[i][0]) != 0)
			out |= map[i][1];
	}
	return out;
}
