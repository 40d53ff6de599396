#ifndef INFOSTORE_MAILBOX_WATCH_H
#define INFOSTORE_MAILBOX_WATCH_H

/*
 * Telling sessions that a mailbox changed: IMAP IDLE wakes within
 * milliseconds of a change made in this process, and within the poll
 * interval (250 ms) of one made by another process (`infostore deliver`
 * while the daemon runs). Callbacks always run from the loop, never inside
 * the code that made the change.
 */

#include <stdint.h>

struct ioloop;
struct store;
struct mailbox_watch;
struct mailbox_watcher;

typedef void mailbox_watch_cb(void *context);

struct mailbox_watch *mailbox_watch_create(struct ioloop *ioloop,
					   struct store *loop_store);
void mailbox_watch_destroy(struct mailbox_watch **watch);

struct mailbox_watcher *mailbox_watch_add(struct mailbox_watch *watch,
					  int64_t mailbox_id,
					  mailbox_watch_cb *cb, void *context);
void mailbox_watch_remove(struct mailbox_watcher **watcher);

/* Look for changes made through other store handles now, instead of at
   the next poll (after a delivery thread committed). */
void mailbox_watch_poll_now(struct mailbox_watch *watch);

/* A change was committed to this mailbox by this process. */
void mailbox_watch_changed(struct mailbox_watch *watch, int64_t mailbox_id);

#endif
