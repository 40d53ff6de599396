/*
 * The TLS handshake thread (see tls-handshake.h). Handshakes move between
 * three lists: incoming (started on the loop, not yet seen by the thread),
 * active (the thread's, each waiting on its socket with a deadline) and
 * done (back to the loop). incoming and done are under the lock; active
 * belongs to the thread alone.
 */
#include "tls-handshake.h"
#include "alloc.h"
#include "tls-private.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct tls_session {
	SSL *ssl;
};

struct tls_handshake {
	struct tls_handshake *next, *prev;
	struct tls_handshaker *hs;
	SSL *ssl;
	int fd;
	struct event *ev;          /* on the thread's base, while active */
	struct timespec deadline;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	tls_handshake_cb *cb;
	void *context;
	bool ok;
};

struct tls_handshaker {
	struct ioloop *loop;
	struct ioloop_notify *done_notify;   /* fires on loop */
	struct ioloop *thread_loop;
	struct ioloop_notify *incoming_notify; /* fires on thread_loop */
	pthread_t thread;
	pthread_mutex_t lock;
	struct tls_handshake *incoming, *done;   /* under lock */
	struct tls_handshake *active;            /* the thread's */
	unsigned int timeout_secs;
	unsigned int pending;                    /* the loop's count */
	bool stopping;                           /* under lock */
};

/* On the loop, once the thread is gone: close what is left and tell the
   callbacks it failed. */
static void hs_list_abandon(struct tls_handshaker *hs, struct tls_handshake *list)
{
	while (list != NULL) {
		struct tls_handshake *h = list;

		list = h->next;
		if (h->ev != NULL)
			event_free(h->ev);
		if (h->ssl != NULL)
			SSL_free(h->ssl);
		if (h->fd >= 0)
			close(h->fd);
		hs->pending--;
		h->cb(h->context, -1, NULL, (const struct sockaddr *)&h->peer, h->peer_len);
		free(h);
	}
}

/* On the thread: hand h back to the loop. */
static void hs_finish(struct tls_handshake *h, bool ok)
{
	struct tls_handshaker *hs = h->hs;

	if (h->ev != NULL) {
		event_free(h->ev);
		h->ev = NULL;
	}
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		hs->active = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	h->ok = ok;
	if (!ok) {
		SSL_free(h->ssl);
		h->ssl = NULL;
		close(h->fd);
		h->fd = -1;
	}
	pthread_mutex_lock(&hs->lock);
	h->prev = NULL;
	h->next = hs->done;
	hs->done = h;
	pthread_mutex_unlock(&hs->lock);
	ioloop_notify_fire(hs->done_notify);
}

static void hs_event_cb(evutil_socket_t fd, short what, void *arg);

/* On the thread: one more step of the handshake, then wait for the socket
   if OpenSSL needs it. */
static void hs_step(struct tls_handshake *h)
{
	struct event_base *base = ioloop_event_base(h->hs->thread_loop);
	struct timespec now;
	struct timeval tv;
	short what;
	int ret;

	ERR_clear_error();
	ret = SSL_do_handshake(h->ssl);
	if (ret == 1) {
		hs_finish(h, true);
		return;
	}
	switch (SSL_get_error(h->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		what = EV_READ;
		break;
	case SSL_ERROR_WANT_WRITE:
		what = EV_WRITE;
		break;
	default:
		/* a client that gave up, or spoke something else: the
		   session never existed, and there is nobody to tell */
		ERR_clear_error();
		hs_finish(h, false);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > h->deadline.tv_sec ||
	    (now.tv_sec == h->deadline.tv_sec && now.tv_nsec >= h->deadline.tv_nsec)) {
		hs_finish(h, false);
		return;
	}
	tv.tv_sec = h->deadline.tv_sec - now.tv_sec;
	tv.tv_usec = (h->deadline.tv_nsec - now.tv_nsec) / 1000;
	if (tv.tv_usec < 0) {
		tv.tv_sec--;
		tv.tv_usec += 1000000;
	}
	if (h->ev == NULL)
		h->ev = event_new(base, h->fd, what, hs_event_cb, h);
	else
		event_assign(h->ev, base, h->fd, what, hs_event_cb, h);
	if (h->ev == NULL)
		fatal_oom();
	event_add(h->ev, &tv);
}

static void hs_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tls_handshake *h = arg;

	(void)fd;
	if ((what & EV_TIMEOUT) != 0)
		hs_finish(h, false);
	else
		hs_step(h);
}

/* On the thread: take the new handshakes, or stop. */
static void hs_incoming(void *context)
{
	struct tls_handshaker *hs = context;
	struct tls_handshake *list;
	bool stopping;

	pthread_mutex_lock(&hs->lock);
	stopping = hs->stopping;
	/* when stopping, destroy() frees them once the thread is gone */
	list = stopping ? NULL : hs->incoming;
	if (!stopping)
		hs->incoming = NULL;
	pthread_mutex_unlock(&hs->lock);
	if (stopping) {
		ioloop_stop(hs->thread_loop);
		return;
	}
	while (list != NULL) {
		struct tls_handshake *h = list;

		list = h->next;
		h->prev = NULL;
		h->next = hs->active;
		if (hs->active != NULL)
			hs->active->prev = h;
		hs->active = h;
		hs_step(h);
	}
}

static void *hs_thread(void *arg)
{
	struct tls_handshaker *hs = arg;

	/* notifies are not pending events: without this flag the loop
	   would return at once while no handshake waits on a socket */
	event_base_loop(ioloop_event_base(hs->thread_loop), EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* On the loop: the handshakes that are over. */
static void hs_done(void *context)
{
	struct tls_handshaker *hs = context;
	struct tls_handshake *list, *ordered = NULL;

	pthread_mutex_lock(&hs->lock);
	list = hs->done;
	hs->done = NULL;
	pthread_mutex_unlock(&hs->lock);
	/* oldest first */
	while (list != NULL) {
		struct tls_handshake *h = list;

		list = h->next;
		h->next = ordered;
		ordered = h;
	}
	while (ordered != NULL) {
		struct tls_handshake *h = ordered;
		struct tls_session *session = NULL;

		ordered = h->next;
		hs->pending--;
		if (h->ok) {
			session = xcalloc(1, sizeof(*session));
			session->ssl = h->ssl;
		}
		h->cb(h->context, h->fd, session, (const struct sockaddr *)&h->peer,
		      h->peer_len);
		free(h);
	}
}

struct tls_handshaker *tls_handshaker_create(struct ioloop *loop,
					     unsigned int timeout_secs)
{
	struct tls_handshaker *hs = xcalloc(1, sizeof(*hs));

	hs->loop = loop;
	hs->timeout_secs = timeout_secs;
	pthread_mutex_init(&hs->lock, NULL);
	hs->done_notify = ioloop_notify_create(loop, hs_done, hs);
	hs->thread_loop = ioloop_create();
	hs->incoming_notify = ioloop_notify_create(hs->thread_loop, hs_incoming, hs);
	if (pthread_create(&hs->thread, NULL, hs_thread, hs) != 0)
		fatal("cannot start the TLS handshake thread");
	return hs;
}

void tls_handshaker_destroy(struct tls_handshaker **_hs)
{
	struct tls_handshaker *hs = *_hs;

	if (hs == NULL)
		return;
	*_hs = NULL;
	pthread_mutex_lock(&hs->lock);
	hs->stopping = true;
	pthread_mutex_unlock(&hs->lock);
	ioloop_notify_fire(hs->incoming_notify);
	pthread_join(hs->thread, NULL);
	hs_list_abandon(hs, hs->incoming);
	hs_list_abandon(hs, hs->active);
	hs_list_abandon(hs, hs->done);
	ioloop_notify_destroy(&hs->incoming_notify);
	ioloop_notify_destroy(&hs->done_notify);
	ioloop_destroy(&hs->thread_loop);
	pthread_mutex_destroy(&hs->lock);
	free(hs);
}

void tls_handshake_start(struct tls_handshaker *hs, struct tls_context *ctx,
			 int fd, const struct sockaddr *peer, socklen_t peer_len,
			 tls_handshake_cb *cb, void *context)
{
	struct tls_handshake *h = xcalloc(1, sizeof(*h));

	h->hs = hs;
	h->fd = fd;
	h->cb = cb;
	h->context = context;
	if (peer_len > sizeof(h->peer))
		peer_len = sizeof(h->peer);
	memcpy(&h->peer, peer, peer_len);
	h->peer_len = peer_len;
	clock_gettime(CLOCK_MONOTONIC, &h->deadline);
	h->deadline.tv_sec += hs->timeout_secs;
	h->ssl = SSL_new(ctx->ssl_ctx);
	if (h->ssl == NULL || SSL_set_fd(h->ssl, fd) != 1)
		fatal_oom();
	SSL_set_accept_state(h->ssl);
	hs->pending++;
	pthread_mutex_lock(&hs->lock);
	h->next = hs->incoming;
	hs->incoming = h;
	pthread_mutex_unlock(&hs->lock);
	ioloop_notify_fire(hs->incoming_notify);
}

unsigned int tls_handshaker_pending(const struct tls_handshaker *hs)
{
	return hs->pending;
}

void tls_session_free(struct tls_session **_session)
{
	struct tls_session *session = *_session;

	if (session == NULL)
		return;
	*_session = NULL;
	SSL_free(session->ssl);
	free(session);
}

SSL *tls_session_take_ssl(struct tls_session **_session)
{
	struct tls_session *session = *_session;
	SSL *ssl = session->ssl;

	*_session = NULL;
	free(session);
	return ssl;
}
