/*
 * The shared in-memory mailbox state (see imap-index.h). Unused indexes
 * stay on an LRU list so that a client reconnecting to a big mailbox finds
 * it warm; past IMAP_INDEX_KEEP of them the oldest go.
 */
#include "imap-index.h"
#include "alloc.h"
#include "pool.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

#define IMAP_INDEX_BUCKETS 1024
/* Unused indexes kept warm. */
#define IMAP_INDEX_KEEP 64

static struct imap_index *index_buckets[IMAP_INDEX_BUCKETS];
static struct imap_index *lru_head, *lru_tail; /* unused, oldest at head */
static unsigned int lru_count;

static struct imap_index **index_find(int64_t mailbox_id)
{
	struct imap_index **ip = &index_buckets[(uint64_t)mailbox_id % IMAP_INDEX_BUCKETS];

	while (*ip != NULL && (*ip)->mailbox_id != mailbox_id)
		ip = &(*ip)->hash_next;
	return ip;
}

static void lru_unlink(struct imap_index *index)
{
	if (index->lru_prev != NULL)
		index->lru_prev->lru_next = index->lru_next;
	else if (lru_head == index)
		lru_head = index->lru_next;
	else
		return; /* not on the list */
	if (index->lru_next != NULL)
		index->lru_next->lru_prev = index->lru_prev;
	else
		lru_tail = index->lru_prev;
	index->lru_prev = index->lru_next = NULL;
	lru_count--;
}

static void index_clear(struct imap_index *index)
{
	if (index->keywords != NULL) {
		for (unsigned int i = 0; i < index->count; i++)
			free(index->keywords[i]);
		free(index->keywords);
		index->keywords = NULL;
	}
	free(index->recs);
	index->recs = NULL;
	index->count = index->alloc = 0;
	index->modseq = 0;
	index->uidnext = 0;
}

static void index_free(struct imap_index *index)
{
	struct imap_index **ip = index_find(index->mailbox_id);

	if (*ip == index)
		*ip = index->hash_next;
	lru_unlink(index);
	index_clear(index);
	free(index);
}

static void index_reserve(struct imap_index *index, unsigned int need)
{
	unsigned int na;

	if (need <= index->alloc)
		return;
	na = index->alloc < 64 ? 64 : index->alloc;
	while (na < need)
		na *= 2;
	index->recs = xrealloc(index->recs, sizeof(*index->recs) * na);
	if (index->keywords != NULL) {
		index->keywords = xrealloc(index->keywords, sizeof(char *) * na);
		memset(index->keywords + index->alloc, 0,
		       sizeof(char *) * (na - index->alloc));
	}
	index->alloc = na;
}

static void index_set_keywords(struct imap_index *index, unsigned int pos,
			       const char *keywords)
{
	if (keywords == NULL || *keywords == '\0') {
		if (index->keywords != NULL) {
			free(index->keywords[pos]);
			index->keywords[pos] = NULL;
		}
		return;
	}
	if (index->keywords == NULL) {
		index->keywords = xcalloc(index->alloc > 0 ? index->alloc : 1, sizeof(char *));
	}
	free(index->keywords[pos]);
	index->keywords[pos] = xstrdup(keywords);
}

static void index_append(struct imap_index *index, const struct store_message *msg)
{
	struct imap_index_rec *rec;

	index_reserve(index, index->count + 1);
	rec = &index->recs[index->count];
	rec->uid = msg->uid;
	rec->flags = msg->flags;
	rec->modseq = msg->modseq;
	if (index->keywords != NULL)
		index->keywords[index->count] = NULL;
	index->count++;
	if (msg->keywords != NULL)
		index_set_keywords(index, index->count - 1, msg->keywords);
}

unsigned int imap_index_lower_bound(const struct imap_index *index, uint32_t uid)
{
	unsigned int lo = 0, hi = index->count;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (index->recs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int index_load(struct store *store, struct imap_index *index,
		      const struct store_mailbox *mb)
{
	struct store_message_iter *iter;
	struct store_message msg;
	int ret;

	index_clear(index);
	index->uidvalidity = mb->uidvalidity;
	index->modseq = mb->highestmodseq;
	index->uidnext = mb->uidnext;
	index_reserve(index, mb->messages + 16);
	iter = store_message_iter_init(store, mb->id, 1, UINT32_MAX, STORE_FIELD_STATE);
	while ((ret = store_message_iter_next(iter, &msg)) > 0) {
		index_append(index, &msg);
		if (msg.modseq > index->modseq)
			index->modseq = msg.modseq;
	}
	store_message_iter_deinit(&iter);
	if (ret < 0) {
		index_clear(index);
		return -1;
	}
	if (index->count > 0 && index->recs[index->count - 1].uid >= index->uidnext)
		index->uidnext = index->recs[index->count - 1].uid + 1;
	return 0;
}

struct index_sync_ctx {
	struct imap_index *index;
	uint32_t *vanished;
	unsigned int vanished_count, vanished_alloc;
	uint64_t max_modseq;
};

static void index_sync_vanished(void *context, uint32_t uid)
{
	struct index_sync_ctx *ctx = context;

	ctx->vanished = mem_grow(ctx->vanished, sizeof(uint32_t), ctx->vanished_count,
				 &ctx->vanished_alloc, 64);
	ctx->vanished[ctx->vanished_count++] = uid;
}

static void index_sync_changed(void *context, const struct store_message *msg)
{
	struct index_sync_ctx *ctx = context;
	struct imap_index *index = ctx->index;
	unsigned int pos;

	if (msg->modseq > ctx->max_modseq)
		ctx->max_modseq = msg->modseq;
	if (index->count == 0 || msg->uid > index->recs[index->count - 1].uid) {
		/* new: UIDs only grow */
		index_append(index, msg);
		return;
	}
	pos = imap_index_lower_bound(index, msg->uid);
	if (pos < index->count && index->recs[pos].uid == msg->uid) {
		index->recs[pos].flags = msg->flags;
		index->recs[pos].modseq = msg->modseq;
		index_set_keywords(index, pos, msg->keywords);
	}
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Drop the records of the sorted vanished UIDs, keeping the order. */
static void index_remove(struct imap_index *index, uint32_t *uids, unsigned int count)
{
	unsigned int out = 0, v = 0;

	qsort(uids, count, sizeof(uint32_t), uid_cmp);
	for (unsigned int i = 0; i < index->count; i++) {
		while (v < count && uids[v] < index->recs[i].uid)
			v++;
		if (v < count && uids[v] == index->recs[i].uid) {
			if (index->keywords != NULL)
				free(index->keywords[i]);
			continue;
		}
		if (out != i) {
			index->recs[out] = index->recs[i];
			if (index->keywords != NULL)
				index->keywords[out] = index->keywords[i];
		}
		out++;
	}
	if (index->keywords != NULL) {
		for (unsigned int i = out; i < index->count; i++)
			index->keywords[i] = NULL;
	}
	index->count = out;
}

int imap_index_sync(struct store *store, struct imap_index *index)
{
	struct index_sync_ctx ctx;
	struct store_mailbox mb;
	struct pool *pool = pool_create(512);
	int ret;

	ret = store_mailbox_lookup_id(store, index->mailbox_id, pool, &mb);
	pool_destroy(&pool);
	if (ret <= 0) {
		index_clear(index);
		return ret;
	}
	if (mb.uidvalidity != index->uidvalidity || index->recs == NULL)
		return index_load(store, index, &mb) < 0 ? -1 : 1;
	if (mb.highestmodseq == index->modseq && mb.uidnext == index->uidnext)
		return 1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.index = index;
	if (store_mailbox_changes(store, index->mailbox_id, index->modseq,
				  index_sync_changed, index_sync_vanished, &ctx) < 0) {
		free(ctx.vanished);
		return -1;
	}
	if (ctx.vanished_count > 0)
		index_remove(index, ctx.vanished, ctx.vanished_count);
	free(ctx.vanished);
	index->modseq = mb.highestmodseq > ctx.max_modseq ? mb.highestmodseq : ctx.max_modseq;
	index->uidnext = mb.uidnext;
	if (index->count > 0 && index->recs[index->count - 1].uid >= index->uidnext)
		index->uidnext = index->recs[index->count - 1].uid + 1;
	return 1;
}

int imap_index_get(struct store *store, int64_t mailbox_id,
		   struct imap_index **index_r)
{
	struct imap_index **ip = index_find(mailbox_id), *index = *ip;
	int ret;

	if (index == NULL) {
		index = xcalloc(1, sizeof(*index));
		index->mailbox_id = mailbox_id;
		index->hash_next = index_buckets[(uint64_t)mailbox_id % IMAP_INDEX_BUCKETS];
		index_buckets[(uint64_t)mailbox_id % IMAP_INDEX_BUCKETS] = index;
	}
	lru_unlink(index);
	index->refs++;
	ret = imap_index_sync(store, index);
	if (ret <= 0) {
		imap_index_unref(&index);
		return ret;
	}
	*index_r = index;
	return 1;
}

void imap_index_unref(struct imap_index **_index)
{
	struct imap_index *index = *_index;

	if (index == NULL)
		return;
	*_index = NULL;
	if (--index->refs > 0)
		return;
	if (index->recs == NULL) {
		index_free(index);
		return;
	}
	/* newest at the tail */
	index->lru_prev = lru_tail;
	index->lru_next = NULL;
	if (lru_tail != NULL)
		lru_tail->lru_next = index;
	else
		lru_head = index;
	lru_tail = index;
	lru_count++;
	while (lru_count > IMAP_INDEX_KEEP)
		index_free(lru_head);
}

void imap_index_deinit(void)
{
	for (unsigned int i = 0; i < IMAP_INDEX_BUCKETS; i++) {
		while (index_buckets[i] != NULL)
			index_free(index_buckets[i]);
	}
}
