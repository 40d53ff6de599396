#include "ioloop.h"
#include "alloc.h"
#include "fatal.h"
#include "log.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ioloop {
	struct event_base *base;
	struct event **signals;
	unsigned int signal_count;
};

struct timer {
	struct event *ev;
	bool repeat;
	ioloop_callback *cb;
	void *context;
};

struct signal_ctx {
	ioloop_callback *cb;
	void *context;
};

struct ioloop_notify {
	struct event *ev;
	ioloop_callback *cb;
	void *context;
};

static void ioloop_log_cb(int severity, const char *msg)
{
	/* libevent's own warnings are rare and worth seeing on stderr. */
	if (severity >= EVENT_LOG_WARN)
		log_warning("libevent", "%s", msg);
}

struct ioloop *ioloop_create(void)
{
	static bool threads_enabled = false;
	struct ioloop *ioloop;
	struct event_config *cfg;

	if (!threads_enabled) {
		/* Worker threads (the store's committer, password hashing)
		   wake the loop through notifies, which need locking. */
		if (evthread_use_pthreads() < 0)
			fatal("libevent: evthread_use_pthreads() failed");
		event_set_log_callback(ioloop_log_cb);
		threads_enabled = true;
	}
	ioloop = xcalloc(1, sizeof(*ioloop));
	cfg = event_config_new();
	/* Precise timers are not needed; epoll's coarse timeouts are fine. */
	ioloop->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (ioloop->base == NULL)
		fatal("libevent: event_base_new() failed");
	return ioloop;
}

void ioloop_destroy(struct ioloop **_ioloop)
{
	struct ioloop *ioloop = *_ioloop;

	if (ioloop == NULL)
		return;
	*_ioloop = NULL;
	for (unsigned int i = 0; i < ioloop->signal_count; i++) {
		struct signal_ctx *ctx = event_get_callback_arg(ioloop->signals[i]);

		event_free(ioloop->signals[i]);
		free(ctx);
	}
	free(ioloop->signals);
	event_base_free(ioloop->base);
	free(ioloop);
}

void ioloop_run(struct ioloop *ioloop)
{
	event_base_dispatch(ioloop->base);
}

void ioloop_stop(struct ioloop *ioloop)
{
	event_base_loopbreak(ioloop->base);
}

struct event_base *ioloop_event_base(struct ioloop *ioloop)
{
	return ioloop->base;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timer *timer = arg;

	(void)fd;
	(void)what;
	timer->cb(timer->context);
}

static struct timeval msecs_to_tv(unsigned int msecs)
{
	struct timeval tv = {
		.tv_sec = msecs / 1000,
		.tv_usec = (msecs % 1000) * 1000,
	};
	return tv;
}

struct timer *timer_add(struct ioloop *ioloop, unsigned int msecs, bool repeat,
			ioloop_callback *cb, void *context)
{
	struct timer *timer = xcalloc(1, sizeof(*timer));
	struct timeval tv = msecs_to_tv(msecs);

	timer->repeat = repeat;
	timer->cb = cb;
	timer->context = context;
	timer->ev = event_new(ioloop->base, -1, repeat ? EV_PERSIST : 0,
			      timer_cb, timer);
	if (timer->ev == NULL)
		fatal_oom();
	event_add(timer->ev, &tv);
	return timer;
}

void timer_reset(struct timer *timer, unsigned int msecs)
{
	struct timeval tv = msecs_to_tv(msecs);

	event_add(timer->ev, &tv);
}

void timer_remove(struct timer **_timer)
{
	struct timer *timer = *_timer;

	if (timer == NULL)
		return;
	*_timer = NULL;
	event_free(timer->ev);
	free(timer);
}

static void signal_cb(evutil_socket_t fd, short what, void *arg)
{
	struct signal_ctx *ctx = arg;

	(void)fd;
	(void)what;
	ctx->cb(ctx->context);
}

void ioloop_add_signal(struct ioloop *ioloop, int signo,
		       ioloop_callback *cb, void *context)
{
	struct signal_ctx *ctx = xcalloc(1, sizeof(*ctx));
	struct event *ev;

	ctx->cb = cb;
	ctx->context = context;
	ev = evsignal_new(ioloop->base, signo, signal_cb, ctx);
	if (ev == NULL || event_add(ev, NULL) < 0)
		fatal("libevent: cannot watch signal %d", signo);
	ioloop->signals = xrealloc(ioloop->signals,
				  sizeof(*ioloop->signals) * (ioloop->signal_count + 1));
	ioloop->signals[ioloop->signal_count++] = ev;
}

static void notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ioloop_notify *notify = arg;

	(void)fd;
	(void)what;
	notify->cb(notify->context);
}

struct ioloop_notify *ioloop_notify_create(struct ioloop *ioloop,
					   ioloop_callback *cb, void *context)
{
	struct ioloop_notify *notify = xcalloc(1, sizeof(*notify));

	notify->cb = cb;
	notify->context = context;
	notify->ev = event_new(ioloop->base, -1, 0, notify_cb, notify);
	if (notify->ev == NULL)
		fatal_oom();
	return notify;
}

void ioloop_notify_fire(struct ioloop_notify *notify)
{
	/* event_active() is safe from other threads once
	   evthread_use_pthreads() has run, and wakes the loop. */
	event_active(notify->ev, EV_TIMEOUT, 0);
}

void ioloop_notify_destroy(struct ioloop_notify **_notify)
{
	struct ioloop_notify *notify = *_notify;

	if (notify == NULL)
		return;
	*_notify = NULL;
	event_free(notify->ev);
	free(notify);
}

unsigned long long ioloop_now_msecs(struct ioloop *ioloop)
{
	struct timeval tv;

	if (event_base_gettimeofday_cached(ioloop->base, &tv) < 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (unsigned long long)ts.tv_sec * 1000 +
		       (unsigned long long)ts.tv_nsec / 1000000;
	}
	return (unsigned long long)tv.tv_sec * 1000 +
	       (unsigned long long)tv.tv_usec / 1000;
}
