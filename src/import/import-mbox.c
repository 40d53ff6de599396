/*
 * An mbox into one mailbox (see import.h): streamed through lib-import's
 * splitter, each message written to its blob as it is read.
 */
#include "import-private.h"
#include "alloc.h"
#include "conf.h"
#include "mbox-split.h"
#include "mime.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* What recognises a message imported before: a hash of its Message-ID,
   Date header and size, and how many times each is in the mailbox. */
struct seen_key {
	uint64_t hash;
	unsigned int left;
};

struct mbox_import {
	struct store *store;
	const struct conf *conf;
	struct import_batch batch;
	struct import_stats *stats;
	struct seen_key *seen;
	unsigned int seen_count;

	struct store_blob_writer *writer;
	bool too_big;
	bool failed;              /* the store failed: stop */
};

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

static uint64_t message_key(const char *message_id, const char *sent_date,
			    uint64_t size)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	return fnv(fnv(fnv(0xcbf29ce484222325ULL, message_id), sent_date), num);
}

static int seen_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct seen_key *)a)->hash;
	uint64_t y = ((const struct seen_key *)b)->hash;

	return x < y ? -1 : x > y ? 1 : 0;
}

static int seen_load(struct mbox_import *imp, struct pool *pool, int64_t mailbox_id)
{
	struct store_message_iter *iter =
		store_message_iter_init(imp->store, mailbox_id, 1, UINT32_MAX,
					STORE_FIELD_SIZES | STORE_FIELD_ENVELOPE);
	struct store_message msg;
	struct seen_key *keys = NULL;
	unsigned int count = 0, alloc = 0, out = 0;
	int ret;

	while ((ret = store_message_iter_next(iter, &msg)) > 0) {
		keys = p_grow(pool, keys, sizeof(*keys), count, &alloc, 256);
		keys[count].hash = message_key(msg.message_id, msg.sent_date, msg.size);
		keys[count].left = 1;
		count++;
	}
	store_message_iter_deinit(&iter);
	if (ret < 0)
		return -1;
	if (count > 0)
		qsort(keys, count, sizeof(*keys), seen_cmp);
	for (unsigned int i = 0; i < count; i++) {
		if (out > 0 && keys[out - 1].hash == keys[i].hash)
			keys[out - 1].left++;
		else
			keys[out++] = keys[i];
	}
	imp->seen = keys;
	imp->seen_count = out;
	return 0;
}

/* Was this message imported before? Each one in the mailbox answers yes
   once. */
static bool seen_take(struct mbox_import *imp, uint64_t hash)
{
	struct seen_key key = { hash, 0 };
	struct seen_key *k = imp->seen_count == 0 ? NULL :
		bsearch(&key, imp->seen, imp->seen_count, sizeof(key), seen_cmp);

	if (k == NULL || k->left == 0)
		return false;
	k->left--;
	return true;
}

static void mbox_begin(void *context)
{
	struct mbox_import *imp = context;

	imp->too_big = false;
	if (imp->failed)
		return;
	imp->writer = store_blob_writer_create(imp->store);
	if (imp->writer == NULL)
		imp->failed = true;
}

static void mbox_data(void *context, const unsigned char *data, size_t len)
{
	struct mbox_import *imp = context;

	if (imp->writer == NULL)
		return;
	if (store_blob_writer_size(imp->writer) + len > imp->conf->max_message_size) {
		imp->too_big = true;
		store_blob_writer_abort(&imp->writer);
		return;
	}
	if (store_blob_writer_write(imp->writer, data, len) < 0) {
		store_blob_writer_abort(&imp->writer);
		imp->failed = true;
	}
}

static void mbox_end(void *context, const struct mbox_message_state *state)
{
	struct mbox_import *imp = context;
	struct mime_summary sum;
	char blob[33];

	if (imp->too_big) {
		imp->stats->too_big++;
		return;
	}
	if (imp->writer == NULL)
		return;
	if (store_blob_writer_size(imp->writer) == 0) {
		store_blob_writer_abort(&imp->writer);
		imp->stats->unreadable++;
		return;
	}
	if (import_blob_finish(&imp->batch, &imp->writer, blob, &sum) < 0) {
		imp->failed = true;
		return;
	}
	if (seen_take(imp, message_key(sum.message_id, sum.sent_date, sum.size))) {
		store_blob_unlink(imp->store, blob);
		imp->stats->present++;
		import_progress(&imp->batch);
		if (import_batch_trim(&imp->batch) < 0)
			imp->failed = true;
		return;
	}
	if (import_batch_add(&imp->batch, blob, &sum, 0, import_store_flags(state->flags),
			     state->keywords, state->from_time != 0 ?
			     state->from_time : sum.sent_time) < 0)
		imp->failed = true;
}

static const struct mbox_split_callbacks mbox_callbacks = {
	mbox_begin, mbox_data, mbox_end,
};

int import_mbox(struct store *store, const struct conf *conf,
		const struct store_user *user, const char *path,
		const char *mailbox, FILE *progress,
		struct import_stats *stats_r)
{
	struct mbox_import imp;
	struct store_mailbox mb;
	struct mbox_split *split;
	struct pool *pool;
	struct stat st;
	unsigned char *buf;
	ssize_t n;
	int fd, ret = 0;

	memset(stats_r, 0, sizeof(*stats_r));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "infostore: no mbox at %s: %s\n", path,
			fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return EX_NOINPUT;
	}
	memset(&imp, 0, sizeof(imp));
	imp.store = store;
	imp.conf = conf;
	imp.stats = stats_r;
	pool = pool_create(65536);
	if (store_import_mailbox(store, user->id, mailbox, 0, false, pool, &mb) < 0 ||
	    seen_load(&imp, pool, mb.id) < 0) {
		fprintf(stderr, "infostore: %s\n", store_last_error_detail(store));
		pool_destroy(&pool);
		close(fd);
		return store_last_error(store) == STORE_ERROR_TEMP ||
			store_last_error(store) == STORE_ERROR_INTERNAL ?
			EX_TEMPFAIL : EX_DATAERR;
	}
	stats_r->folders = 1;
	import_batch_init(&imp.batch, store, stats_r, progress);
	imp.batch.mailbox_id = mb.id;
	split = mbox_split_create(&mbox_callbacks, &imp);
	buf = xmalloc(65536);
	while (buf != NULL && !imp.failed && (n = read(fd, buf, 65536)) > 0)
		mbox_split_feed(split, buf, (size_t)n);
	if (!imp.failed)
		mbox_split_finish(split);
	free(buf);
	if (imp.writer != NULL)
		store_blob_writer_abort(&imp.writer);
	if (!imp.failed && import_batch_flush(&imp.batch, 0) < 0)
		imp.failed = true;
	if (imp.failed) {
		fprintf(stderr, "infostore: import stopped: %s\n",
			store_last_error_detail(store));
		ret = EX_TEMPFAIL;
	} else if (mbox_split_garbage(split) > 0) {
		if (stats_r->imported + stats_r->present == 0) {
			fprintf(stderr, "infostore: %s is not an mbox (no \"From \" line "
				"starts it)\n", path);
			ret = EX_DATAERR;
		} else {
			fprintf(stderr, "infostore: import: %llu bytes before the first "
				"message ignored\n",
				(unsigned long long)mbox_split_garbage(split));
		}
	}
	mbox_split_destroy(&split);
	import_batch_deinit(&imp.batch);
	pool_destroy(&pool);
	close(fd);
	return ret;
}
