#ifndef INFOSTORE_IOLOOP_H
#define INFOSTORE_IOLOOP_H

/*
 * The event loop: one per process (or per thread that needs one), a thin
 * layer over libevent so that the rest of the code never includes it.
 *
 * Timers and deferred calls run on the loop's thread. ioloop_notify_*() is
 * the one thread-safe entry point: a worker thread fires a notify, and its
 * callback runs on the loop's thread.
 */

#include <stdbool.h>

struct ioloop;
struct timer;
struct ioloop_notify;
struct event_base;

typedef void ioloop_callback(void *context);

struct ioloop *ioloop_create(void);
void ioloop_destroy(struct ioloop **ioloop);
/* Run until ioloop_stop() or until nothing is left to wait for. */
void ioloop_run(struct ioloop *ioloop);
void ioloop_stop(struct ioloop *ioloop);
/* The libevent base, for the connection, listener and HTTP glue only. */
struct event_base *ioloop_event_base(struct ioloop *ioloop);

/* Call cb(context) after msecs, and then every msecs if repeat. */
struct timer *timer_add(struct ioloop *ioloop, unsigned int msecs, bool repeat,
			ioloop_callback *cb, void *context);
/* Re-arm a timer to fire msecs from now. */
void timer_reset(struct timer *timer, unsigned int msecs);
void timer_remove(struct timer **timer);

/* Call cb(context) on signal signo (on the loop, not in signal context). */
void ioloop_add_signal(struct ioloop *ioloop, int signo,
		       ioloop_callback *cb, void *context);

struct ioloop_notify *ioloop_notify_create(struct ioloop *ioloop,
					   ioloop_callback *cb, void *context);
/* Thread-safe; several fires before the callback runs coalesce into one. */
void ioloop_notify_fire(struct ioloop_notify *notify);
void ioloop_notify_destroy(struct ioloop_notify **notify);

/* Milliseconds of a monotonic clock (cached per loop iteration). */
unsigned long long ioloop_now_msecs(struct ioloop *ioloop);

#endif
