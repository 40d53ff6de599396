#include "mailbox-watch.h"
#include "alloc.h"
#include "ioloop.h"
#include "pool.h"
#include "store.h"

#include <stdbool.h>
#include <stdlib.h>

#define WATCH_BUCKETS 1024
#define WATCH_POLL_MSECS 250

struct mailbox_watcher {
	struct mailbox_watcher *prev, *next;
	struct mailbox_watch *watch;
	struct watched_mailbox *mailbox;
	mailbox_watch_cb *cb;
	void *context;
};

struct watched_mailbox {
	struct watched_mailbox *next;    /* in its bucket */
	struct watched_mailbox *pending_next;
	int64_t id;
	uint64_t modseq;
	uint32_t uidnext;
	struct mailbox_watcher *watchers;
	bool pending;
};

struct mailbox_watch {
	struct ioloop *ioloop;
	struct store *store;
	struct watched_mailbox *buckets[WATCH_BUCKETS];
	struct watched_mailbox *pending;
	struct timer *fire_timer;
	struct timer *poll_timer;
	uint64_t change_counter;
	unsigned int watcher_count;
};

static struct watched_mailbox **watch_find(struct mailbox_watch *watch, int64_t id)
{
	struct watched_mailbox **mp = &watch->buckets[(uint64_t)id % WATCH_BUCKETS];

	for (; *mp != NULL; mp = &(*mp)->next) {
		if ((*mp)->id == id)
			break;
	}
	return mp;
}

static void watch_fire(void *context)
{
	struct mailbox_watch *watch = context;
	struct watched_mailbox *list = watch->pending;

	timer_remove(&watch->fire_timer);
	watch->pending = NULL;
	while (list != NULL) {
		struct watched_mailbox *mb = list;
		struct mailbox_watcher *w, *next;

		list = mb->pending_next;
		mb->pending = false;
		/* a callback may remove its own watcher (and only its own) */
		for (w = mb->watchers; w != NULL; w = next) {
			next = w->next;
			w->cb(w->context);
		}
	}
}

static void watch_schedule(struct mailbox_watch *watch, struct watched_mailbox *mb)
{
	if (mb->pending)
		return;
	mb->pending = true;
	mb->pending_next = watch->pending;
	watch->pending = mb;
	if (watch->fire_timer == NULL)
		watch->fire_timer = timer_add(watch->ioloop, 0, false, watch_fire, watch);
}

static void watch_refresh(struct mailbox_watch *watch, struct watched_mailbox *mb,
			  bool notify)
{
	struct pool *pool = pool_create(512);
	struct store_mailbox info;

	if (store_mailbox_lookup_id(watch->store, mb->id, pool, &info) > 0) {
		if (info.highestmodseq != mb->modseq || info.uidnext != mb->uidnext) {
			mb->modseq = info.highestmodseq;
			mb->uidnext = info.uidnext;
			if (notify)
				watch_schedule(watch, mb);
		}
	} else if (notify) {
		/* deleted: the sessions find out when they look */
		watch_schedule(watch, mb);
	}
	pool_destroy(&pool);
}

static void watch_poll(void *context)
{
	struct mailbox_watch *watch = context;
	uint64_t counter;

	if (watch->watcher_count == 0)
		return;
	counter = store_change_counter(watch->store);
	if (counter == watch->change_counter)
		return;
	watch->change_counter = counter;
	for (unsigned int i = 0; i < WATCH_BUCKETS; i++) {
		for (struct watched_mailbox *mb = watch->buckets[i]; mb != NULL; mb = mb->next)
			watch_refresh(watch, mb, true);
	}
}

struct mailbox_watch *mailbox_watch_create(struct ioloop *ioloop,
					   struct store *loop_store)
{
	struct mailbox_watch *watch = xcalloc(1, sizeof(*watch));

	watch->ioloop = ioloop;
	watch->store = loop_store;
	watch->change_counter = store_change_counter(loop_store);
	watch->poll_timer = timer_add(ioloop, WATCH_POLL_MSECS, true, watch_poll, watch);
	return watch;
}

void mailbox_watch_destroy(struct mailbox_watch **_watch)
{
	struct mailbox_watch *watch = *_watch;

	if (watch == NULL)
		return;
	*_watch = NULL;
	timer_remove(&watch->fire_timer);
	timer_remove(&watch->poll_timer);
	for (unsigned int i = 0; i < WATCH_BUCKETS; i++) {
		while (watch->buckets[i] != NULL) {
			struct watched_mailbox *mb = watch->buckets[i];

			watch->buckets[i] = mb->next;
			while (mb->watchers != NULL) {
				struct mailbox_watcher *w = mb->watchers;

				mb->watchers = w->next;
				free(w);
			}
			free(mb);
		}
	}
	free(watch);
}

struct mailbox_watcher *mailbox_watch_add(struct mailbox_watch *watch,
					  int64_t mailbox_id,
					  mailbox_watch_cb *cb, void *context)
{
	struct watched_mailbox **mp = watch_find(watch, mailbox_id), *mb = *mp;
	struct mailbox_watcher *w = xcalloc(1, sizeof(*w));

	if (mb == NULL) {
		mb = xcalloc(1, sizeof(*mb));
		mb->id = mailbox_id;
		*mp = mb;
		watch_refresh(watch, mb, false);
	}
	w->mailbox = mb;
	w->watch = watch;
	w->cb = cb;
	w->context = context;
	w->next = mb->watchers;
	if (mb->watchers != NULL)
		mb->watchers->prev = w;
	mb->watchers = w;
	watch->watcher_count++;
	return w;
}

void mailbox_watch_remove(struct mailbox_watcher **_w)
{
	struct mailbox_watcher *w = *_w;
	struct watched_mailbox *mb;

	if (w == NULL)
		return;
	*_w = NULL;
	mb = w->mailbox;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		mb->watchers = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->watch->watcher_count--;
	free(w);
}

void mailbox_watch_changed(struct mailbox_watch *watch, int64_t mailbox_id)
{
	struct watched_mailbox *mb = *watch_find(watch, mailbox_id);

	if (mb != NULL)
		watch_refresh(watch, mb, true);
}

void mailbox_watch_poll_now(struct mailbox_watch *watch)
{
	watch_poll(watch);
}
