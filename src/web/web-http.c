/*
 * libevent's HTTP server under the web access. Everything that touches
 * evhttp is in this file; pages only see struct web_request.
 *
 * Connection accounting: evhttp 2.1 has no "new connection" hook that
 * gives the peer, so the bufferevent callback (which runs inside evhttp's
 * accept, before the socket is attached) records the new bufferevent and
 * activates a sweep event. The sweep runs right after the accept callback
 * returns, finds the connection (evhttp installs its callbacks on the
 * bufferevent with the evhttp_connection as their argument), checks
 * [limits] through server_connection_opened() and registers a close
 * callback that balances it. A request that arrives before the sweep ran
 * runs the sweep itself first.
 */
#include "web-http.h"
#include "fatal.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "server.h"
#include "ioloop.h"
#include "tls-bufferevent.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* Bodies at least this large are handed to libevent by reference (freed
   with the request's pool once sent) instead of being copied. */
#define WEB_HTTP_REFERENCE_MIN (64 * 1024)

struct web_dispatch_state {
	bool sent;
	bool suspended;
};

struct web_conn {
	struct web_conn *prev, *next;
	struct web_http *http;
	struct bufferevent *bev;
	struct evhttp_connection *evcon;
	struct sockaddr_storage peer;
	bool have_peer;
	bool refused;
};

struct web_bound {
	struct web_bound *next;
	struct web_bound *all_next; /* web_bound_all */
	struct evconnlistener *evl;
	struct evhttp_bound_socket *handle;
	struct event *resume;
	char name[300];
};

struct web_http {
	struct server *srv;
	struct tls_context *tls;
	struct evhttp *evhttp;
	struct event_base *base;
	web_http_handler *handler;
	void *context;
	unsigned int timeout_secs;

	struct web_bound *bound;
	/* connections not yet seen by the sweep, and counted ones */
	struct web_conn *fresh;
	struct web_conn *conns;
	struct event *sweep_ev;
	bool draining;
};

/* Every bound socket of every instance: the listener error callback gets
   evhttp's argument, not ours, so it finds its socket here. */
static struct web_bound *web_bound_all;

static void conn_unlink(struct web_conn **list, struct web_conn *wc)
{
	if (wc->prev != NULL)
		wc->prev->next = wc->next;
	else
		*list = wc->next;
	if (wc->next != NULL)
		wc->next->prev = wc->prev;
	wc->prev = wc->next = NULL;
}

static void conn_link(struct web_conn **list, struct web_conn *wc)
{
	wc->prev = NULL;
	wc->next = *list;
	if (*list != NULL)
		(*list)->prev = wc;
	*list = wc;
}

static void web_http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct web_conn *wc = arg;
	struct web_http *http = wc->http;

	(void)evcon;
	conn_unlink(&http->conns, wc);
	server_connection_closed(http->srv, wc->have_peer ?
				 (const struct sockaddr *)&wc->peer : NULL);
	free(wc);
}

/*
 * Count the connections accepted since the last sweep. current is the
 * connection whose request is being dispatched (or NULL); if it is over
 * the limit it is not freed here but reported, so that the caller
 * answers 503 and closes. Returns true if current was refused.
 */
static bool web_http_sweep(struct web_http *http, struct evhttp_connection *current)
{
	bool current_refused = false;

	while (http->fresh != NULL) {
		struct web_conn *wc = http->fresh;
		void (*readcb)(struct bufferevent *, void *);
		void (*writecb)(struct bufferevent *, void *);
		void (*eventcb)(struct bufferevent *, short, void *);
		void *cbarg = NULL;
		const struct sockaddr *sa;

		conn_unlink(&http->fresh, wc);
		bufferevent_getcb(wc->bev, &readcb, &writecb, &eventcb, &cbarg);
		if (cbarg == NULL ||
		    evhttp_connection_get_bufferevent(cbarg) != wc->bev) {
			/* already freed by evhttp (setup failed) */
			bufferevent_decref(wc->bev);
			free(wc);
			continue;
		}
		wc->evcon = cbarg;
		bufferevent_decref(wc->bev);
		sa = evhttp_connection_get_addr(wc->evcon);
		if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
			memcpy(&wc->peer, sa, sa->sa_family == AF_INET ?
			       sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
			wc->have_peer = true;
		}
		if (http->draining ||
		    !server_connection_opened(http->srv, wc->have_peer ?
					      (const struct sockaddr *)&wc->peer : NULL)) {
			if (!http->draining)
				log_warning("web", "connection refused: too many connections");
			if (wc->evcon == current) {
				current_refused = true;
			} else {
				evhttp_connection_free(wc->evcon);
			}
			free(wc);
			continue;
		}
		wc->http = http;
		conn_link(&http->conns, wc);
		evhttp_connection_set_closecb(wc->evcon, web_http_conn_closed, wc);
		if (http->draining)
			evhttp_connection_set_timeout(wc->evcon, 1);
	}
	return current_refused;
}

static void web_http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	web_http_sweep(arg, NULL);
}

static struct bufferevent *web_http_bevcb(struct event_base *base, void *arg)
{
	struct web_http *http = arg;
	struct bufferevent *bev;
	struct web_conn *wc;

	/* the socket is attached by evhttp right after we return */
	if (http->tls != NULL)
		bev = tls_bufferevent_accept(http->tls, base, -1);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		fatal("web: cannot create a bufferevent");
	wc = calloc(1, sizeof(*wc));
	if (wc == NULL)
		fatal_oom();
	wc->http = http;
	wc->bev = bev;
	/* keep it alive until the sweep has looked at it */
	bufferevent_incref(bev);
	conn_link(&http->fresh, wc);
	event_active(http->sweep_ev, EV_TIMEOUT, 0);
	return bev;
}

static enum web_method web_http_method(struct evhttp_request *evreq)
{
	switch (evhttp_request_get_command(evreq)) {
	case EVHTTP_REQ_HEAD:
		return WEB_METHOD_HEAD;
	case EVHTTP_REQ_POST:
		return WEB_METHOD_POST;
	default:
		return WEB_METHOD_GET;
	}
}

static void web_http_request_cb(struct evhttp_request *evreq, void *arg)
{
	struct web_http *http = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(evreq);
	struct web_request *req;
	struct pool *pool;
	const char *host = NULL;
	ev_uint16_t port = 0;
	struct web_dispatch_state state = { false, false };

	if (evcon != NULL && web_http_sweep(http, evcon)) {
		evhttp_add_header(evhttp_request_get_output_headers(evreq),
				  "Connection", "close");
		evhttp_send_error(evreq, 503, "Too many connections");
		return;
	}
	if (evhttp_request_get_uri(evreq) == NULL) {
		/* evhttp reports a request it could not parse with no URI */
		evhttp_send_error(evreq, 400, NULL);
		return;
	}
	pool = pool_create(8192);
	req = p_new(pool, struct web_request, 1);
	req->pool = pool;
	req->http = http;
	req->evreq = evreq;
	req->method = web_http_method(evreq);
	req->https = http->tls != NULL;
	req->target = p_strdup(pool, evhttp_request_get_uri(evreq));
	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, (char **)&host, &port);
	req->peer_ip = p_strdup(pool, host != NULL ? host : "");
	req->status = 200;
	buffer_init_pool(&req->body, pool, 0);
	req->dispatch = &state;
	http->handler(http->context, req);
	/* once sent, req is freed: only the state on our stack is safe */
	if (state.sent)
		return;
	req->dispatch = NULL;
	if (!state.suspended) {
		req->status = 500;
		web_response_send(req);
	}
}

struct web_http *web_http_create(struct server *srv, struct tls_context *tls,
				 const struct web_http_settings *set,
				 web_http_handler *handler, void *context)
{
	struct web_http *http = calloc(1, sizeof(*http));

	if (http == NULL)
		fatal_oom();
	http->srv = srv;
	http->tls = tls;
	http->handler = handler;
	http->context = context;
	http->timeout_secs = set->timeout_secs;
	http->base = ioloop_event_base(srv->ioloop);
	http->evhttp = evhttp_new(http->base);
	if (http->evhttp == NULL)
		fatal("web: cannot create the HTTP server");
	http->sweep_ev = event_new(http->base, -1, 0, web_http_sweep_cb, http);
	if (http->sweep_ev == NULL)
		fatal_oom();
	evhttp_set_bevcb(http->evhttp, web_http_bevcb, http);
	evhttp_set_gencb(http->evhttp, web_http_request_cb, http);
	evhttp_set_allowed_methods(http->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
				   EVHTTP_REQ_POST);
	evhttp_set_max_headers_size(http->evhttp, (ev_ssize_t)set->max_headers_size);
	evhttp_set_max_body_size(http->evhttp, (ev_ssize_t)set->max_body_size);
	evhttp_set_timeout(http->evhttp, (int)set->timeout_secs);
	/* we set Content-Type on every response ourselves */
	evhttp_set_default_content_type(http->evhttp, NULL);
	return http;
}

static void web_http_resume(evutil_socket_t fd, short what, void *arg)
{
	struct web_bound *b = arg;

	(void)fd;
	(void)what;
	evconnlistener_enable(b->evl);
}

static void web_http_accept_error(struct evconnlistener *evl, void *arg)
{
	struct web_bound *b = web_bound_all;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 1, 0 };

	(void)arg;
	while (b != NULL && b->evl != evl)
		b = b->all_next;
	if (b == NULL)
		return;
	log_error("web", "accept failed on %s: %s", b->name, strerror(err));
	/* out of descriptors: pause a second instead of spinning */
	evconnlistener_disable(evl);
	evtimer_add(b->resume, &tv);
}

int web_http_listen(struct web_http *http, const struct net_address *addr,
		    const char *name, const char **error_r)
{
	static char errbuf[512];
	struct web_bound *b;
	const char *step;
	char addr_str[300];
	int fd;

	net_address_str(addr, addr_str, sizeof(addr_str));
	fd = net_listen(addr, 1024, &step);
	if (fd < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s on %s: %s failed: %s", name,
			 addr_str, step, strerror(errno));
		*error_r = errbuf;
		return -1;
	}
	if (!addr->is_unix) {
		/* Responses go out as header and body writes (TLS records):
		   without TCP_NODELAY, Nagle holds the second until the client's
		   delayed ACK, 40 ms per request. Accepted sockets inherit it. */
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		fatal_oom();
	snprintf(b->name, sizeof(b->name), "%s", addr_str);
	b->evl = evconnlistener_new(http->base, NULL, NULL,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				    -1, fd);
	if (b->evl == NULL)
		fatal("web: cannot listen on %s", addr_str);
	b->handle = evhttp_bind_listener(http->evhttp, b->evl);
	if (b->handle == NULL)
		fatal("web: cannot bind the HTTP server to %s", addr_str);
	b->resume = evtimer_new(http->base, web_http_resume, b);
	evconnlistener_set_error_cb(b->evl, web_http_accept_error);
	b->next = http->bound;
	http->bound = b;
	b->all_next = web_bound_all;
	web_bound_all = b;
	log_info("server", "listening service=%s address=%s%s", name, addr_str,
		 http->tls != NULL ? " tls" : "");
	return 0;
}

static void web_http_unbind(struct web_http *http)
{
	while (http->bound != NULL) {
		struct web_bound *b = http->bound;

		http->bound = b->next;
		for (struct web_bound **bp = &web_bound_all; *bp != NULL;
		     bp = &(*bp)->all_next) {
			if (*bp == b) {
				*bp = b->all_next;
				break;
			}
		}
		evhttp_del_accept_socket(http->evhttp, b->handle);
		event_free(b->resume);
		free(b);
	}
}

void web_http_drain(struct web_http *http)
{
	http->draining = true;
	web_http_unbind(http);
	web_http_sweep(http, NULL);
	/* Idle keep-alive connections close within a second; a response
	   being written keeps going as long as it makes progress. */
	for (struct web_conn *wc = http->conns; wc != NULL; wc = wc->next)
		evhttp_connection_set_timeout(wc->evcon, 1);
}

void web_http_destroy(struct web_http **_http)
{
	struct web_http *http = *_http;

	if (http == NULL)
		return;
	*_http = NULL;
	web_http_unbind(http);
	web_http_sweep(http, NULL);
	/* frees every connection; their close callbacks uncount them */
	evhttp_free(http->evhttp);
	event_free(http->sweep_ev);
	free(http);
}

const char *web_request_header(const struct web_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req->evreq), name);
}

const char *web_request_body(struct web_request *req, size_t *size_r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->evreq);
	size_t len = evbuffer_get_length(in);
	char *data = p_malloc(req->pool, len + 1);

	if (len > 0)
		evbuffer_copyout(in, data, len);
	*size_r = len;
	return data;
}

void web_response_header(struct web_request *req, const char *name,
			 const char *value)
{
	if (value == NULL || strpbrk(value, "\r\n") != NULL)
		return;
	if (req->header_count == WEB_RESPONSE_MAX_HEADERS)
		fatal("web: too many response headers");
	req->headers[req->header_count].name = p_strdup(req->pool, name);
	req->headers[req->header_count].value = p_strdup(req->pool, value);
	req->header_count++;
}

void web_request_suspend(struct web_request *req)
{
	if (req->dispatch != NULL)
		req->dispatch->suspended = true;
	req->suspended = true;
}

bool web_request_gone(const struct web_request *req)
{
	return evhttp_request_get_connection(req->evreq) == NULL;
}

static void web_http_pool_cleanup(const void *data, size_t len, void *arg)
{
	struct pool *pool = arg;

	(void)data;
	(void)len;
	pool_destroy(&pool);
}

void web_response_send(struct web_request *req)
{
	struct evhttp_request *evreq = req->evreq;
	struct evkeyvalq *out = evhttp_request_get_output_headers(evreq);
	struct evbuffer *buf;
	struct pool *pool = req->pool;
	bool by_reference;

	if (req->dispatch != NULL)
		req->dispatch->sent = true;
	if (req->content_type != NULL)
		evhttp_add_header(out, "Content-Type", req->content_type);
	for (unsigned int i = 0; i < req->header_count; i++)
		evhttp_add_header(out, req->headers[i].name, req->headers[i].value);
	if (req->http->draining)
		evhttp_add_header(out, "Connection", "close");
	buf = evbuffer_new();
	if (buf == NULL)
		fatal_oom();
	by_reference = req->body.used >= WEB_HTTP_REFERENCE_MIN;
	if (by_reference) {
		/* the pool (and the body in it) is freed once libevent has
		   sent or dropped the data */
		evbuffer_add_reference(buf, req->body.data, req->body.used,
				       web_http_pool_cleanup, pool);
	} else if (req->body.used > 0) {
		evbuffer_add(buf, req->body.data, req->body.used);
	}
	evhttp_send_reply(evreq, req->status, NULL, buf);
	evbuffer_free(buf);
	if (!by_reference)
		pool_destroy(&pool);
}
