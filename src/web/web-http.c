/*
 * HTTP/1.1 connections of the web access: src/lib-http reads the
 * requests, src/lib's connection carries the bytes (TLS, buffers, idle
 * timeout), server_listen() accepts and does the implicit-TLS handshake.
 * Pages only see struct web_request.
 *
 * A connection goes IDLE -> HEAD -> BODY -> HANDLING and back to IDLE
 * (keep-alive, RFC 9112 9.3), or ends in LINGER/CLOSING. While HANDLING
 * the input is paused, so pipelined requests wait in the socket buffer
 * and are read one at a time, in order, as RFC 9112 9.3.2 requires of the
 * responses.
 *
 * Time bounds: the connection's idle timeout closes a keep-alive
 * connection nobody uses and a transfer that stalls; a separate deadline
 * covers the whole request head, which a client could otherwise send a
 * byte every minute (slowloris).
 *
 * After an error answer the connection lingers: it keeps reading and
 * dropping what the client still sends (the rest of a body we refused)
 * for a moment before closing, because closing with unread input makes
 * the kernel send a reset that can destroy the answer before the client
 * reads it (RFC 9112 9.6).
 */
#include "web-http.h"
#include "alloc.h"
#include "conf.h"
#include "connection.h"
#include "fatal.h"
#include "http-parser.h"
#include "http-response.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"

#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bodies at least this large are queued by reference (freed with the
   request's pool once sent) instead of being copied. */
#define WEB_HTTP_REFERENCE_MIN (64 * 1024)
/* RFC 9112 3: at least 8000 octets of request line should be supported. */
#define WEB_HTTP_MAX_REQUEST_LINE 8192
/* Unread input at most: beyond it the connection stops reading until the
   current request is done (pipelining cannot make us buffer more). */
#define WEB_HTTP_MAX_INPUT (64 * 1024)
/* How long and how much to read and drop after an error answer. */
#define WEB_HTTP_LINGER_MSECS 2000
#define WEB_HTTP_LINGER_MAX_BYTES (1024 * 1024)
#define WEB_HTTP_DAV_PREFIX "/dav/"
/* A streamed file goes out this much at a time, when the output has room. */
#define WEB_HTTP_FILE_CHUNK (256 * 1024)

enum web_conn_state {
	WEB_CONN_IDLE,     /* between requests: nothing of the next one yet */
	WEB_CONN_HEAD,     /* reading a request head */
	WEB_CONN_BODY,     /* reading its body */
	WEB_CONN_HANDLING, /* the handler runs, or the request is suspended */
	WEB_CONN_SENDING,  /* streaming a file answer (input still paused) */
	WEB_CONN_LINGER,   /* answered an error; dropping input, then close */
	WEB_CONN_CLOSING,  /* flushing output, then closed */
};

struct web_dispatch_state {
	bool sent;
	bool suspended;
};

struct web_conn {
	struct web_conn *prev, *next;
	struct pool *pool;         /* the connection's: this and the parser */
	struct web_http *http;
	struct connection *conn;
	struct http_parser *parser;
	enum web_conn_state state;
	struct web_request *req;   /* being read or handled */
	struct timer *timer;       /* head deadline, or end of linger */
	size_t linger_bytes;
	int file_fd;               /* SENDING: what is left of the file */
	uint64_t file_offset, file_left;
	bool file_close;           /* ...and close the connection after it */
	unsigned int running;      /* inside one of our callbacks */
	bool https;
	bool counted;              /* server_connection_opened() said yes */
	bool closed;               /* the connection reported closed */
};

struct web_http {
	struct server *srv;
	struct web_http_settings set;
	struct http_parser_settings parser_set;
	web_http_handler *handler;
	void *context;
	struct web_conn *conns;
	bool draining;
};

static const struct {
	const char *name;
	enum web_method method;
} web_methods[] = {
	{ "GET", WEB_METHOD_GET },
	{ "HEAD", WEB_METHOD_HEAD },
	{ "POST", WEB_METHOD_POST },
	{ "PUT", WEB_METHOD_PUT },
	{ "DELETE", WEB_METHOD_DELETE },
	{ "OPTIONS", WEB_METHOD_OPTIONS },
	{ "PROPFIND", WEB_METHOD_PROPFIND },
	{ "PROPPATCH", WEB_METHOD_PROPPATCH },
	{ "REPORT", WEB_METHOD_REPORT },
	{ "MKCOL", WEB_METHOD_MKCOL },
	{ "MKCALENDAR", WEB_METHOD_MKCALENDAR },
	{ "MOVE", WEB_METHOD_MOVE },
	{ "COPY", WEB_METHOD_COPY },
	{ "LOCK", WEB_METHOD_LOCK },
	{ "UNLOCK", WEB_METHOD_UNLOCK },
};

static void web_conn_run(struct web_conn *wc);

static enum web_method web_method_parse(const char *name)
{
	/* RFC 9110 9.1: method names are case-sensitive */
	for (size_t i = 0; i < sizeof(web_methods) / sizeof(web_methods[0]); i++) {
		if (strcmp(web_methods[i].name, name) == 0)
			return web_methods[i].method;
	}
	return WEB_METHOD_OTHER;
}

/* The Date field (RFC 9110 6.6.1), formatted once a second. */
static const char *web_http_date(void)
{
	static char date[HTTP_DATE_SIZE];
	static time_t date_time = -1;
	time_t now = time(NULL);

	if (now != date_time) {
		http_date_format(now, date);
		date_time = now;
	}
	return date;
}

/* --- requests --- */

static void web_request_free_body(void *context)
{
	struct web_request *req = context;

	buffer_free(&req->in_body);
	if (req->body_fd >= 0)
		close(req->body_fd);
}

static void web_conn_request_begin(struct web_conn *wc)
{
	struct pool *pool = pool_create(8192);
	struct web_request *req = p_new(pool, struct web_request, 1);

	req->pool = pool;
	req->http = wc->http;
	req->conn = wc;
	req->https = wc->https;
	req->peer_ip = p_strdup(pool, connection_peer_ip(wc->conn));
	req->metrics_protocol = wc->http->set.request_protocol;
	req->status = 200;
	req->body_fd = -1;
	buffer_init_pool(&req->body, pool, 0);
	/* on the heap: a 10 MiB upload grows by realloc(), not by copies
	   left behind in the pool */
	buffer_init(&req->in_body, 0);
	pool_add_cleanup(pool, web_request_free_body, req);
	wc->req = req;
	http_parser_reset(wc->parser, pool);
	wc->state = WEB_CONN_HEAD;
}

/* Let go of the current request: one being read is freed; one that a
   handler owns (running or suspended) only loses its connection, so that
   web_request_gone() says so and web_response_send() frees it. */
static void web_conn_drop_request(struct web_conn *wc)
{
	struct web_request *req = wc->req;
	struct pool *pool;

	if (req == NULL)
		return;
	wc->req = NULL;
	if (wc->state == WEB_CONN_HANDLING) {
		req->conn = NULL;
		return;
	}
	pool = req->pool;
	pool_destroy(&pool);
}

/* --- closing --- */

static void web_conn_destroy(struct web_conn *wc)
{
	struct web_http *http = wc->http;
	struct pool *pool = wc->pool;

	if (wc->prev != NULL)
		wc->prev->next = wc->next;
	else
		http->conns = wc->next;
	if (wc->next != NULL)
		wc->next->prev = wc->prev;
	timer_remove(&wc->timer);
	web_conn_drop_request(wc);
	if (wc->file_fd >= 0)
		close(wc->file_fd);
	if (wc->counted)
		server_connection_closed(http->srv, connection_peer(wc->conn),
					 http->set.protocol);
	connection_destroy(&wc->conn);
	pool_destroy(&pool);
}

static void web_conn_close(struct web_conn *wc)
{
	if (wc->state == WEB_CONN_CLOSING)
		return;
	timer_remove(&wc->timer);
	web_conn_drop_request(wc);
	wc->state = WEB_CONN_CLOSING;
	connection_close_after_output(wc->conn);
}

static void web_conn_linger_timeout(void *context)
{
	struct web_conn *wc = context;

	timer_remove(&wc->timer);
	web_conn_close(wc);
}

static void web_conn_linger(struct web_conn *wc)
{
	web_conn_drop_request(wc);
	timer_remove(&wc->timer);
	wc->state = WEB_CONN_LINGER;
	wc->linger_bytes = 0;
	connection_input_pause(wc->conn, false);
	wc->timer = timer_add(connection_ioloop(wc->conn), WEB_HTTP_LINGER_MSECS,
			      false, web_conn_linger_timeout, wc);
}

static void web_conn_linger_input(struct web_conn *wc)
{
	size_t size = connection_input_size(wc->conn);

	connection_input_consume(wc->conn, size);
	wc->linger_bytes += size;
	if (wc->linger_bytes > WEB_HTTP_LINGER_MAX_BYTES)
		web_conn_close(wc);
}

/* An answer of our own (not a page's), then close: a request we cannot
   read, a refused connection. */
static void web_conn_fail(struct web_conn *wc, int status, const char *detail)
{
	const char *reason = http_reason_phrase(status);
	struct buffer out;

	buffer_init(&out, 0);
	buffer_printf(&out, "%d %s: %s\n", status, reason, detail);
	connection_printf(wc->conn,
			  "HTTP/1.1 %d %s\r\n"
			  "Date: %s\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\n"
			  "Content-Length: %zu\r\n"
			  "%s"
			  "Connection: close\r\n"
			  "\r\n",
			  status, reason, web_http_date(), out.used,
			  status == 503 ? "Retry-After: 60\r\n" : "");
	connection_write(wc->conn, out.data, out.used);
	buffer_free(&out);
	web_conn_linger(wc);
}

/* --- responses --- */

/* Pools that large give their memory back to the system when freed. */
#define WEB_HTTP_TRIM_MIN (1024 * 1024)

static void web_response_pool_free(void *context)
{
	struct pool *pool = context;
	size_t used = pool_used(pool);

	pool_destroy(&pool);
	/* A big answer (a CalDAV query or sync over thousands of items) is
	   built whole in its pool; glibc keeps freed heap pages, so without
	   this the process would hold the peak of its largest answer for
	   good. Rare and proportional to the heap: cheap enough. */
	if (used >= WEB_HTTP_TRIM_MIN)
		malloc_trim(0);
}

/* Fields web_response_send() writes itself. */
static bool web_response_header_reserved(const char *name)
{
	return str_iequal(name, "Content-Length") ||
		str_iequal(name, "Transfer-Encoding") ||
		str_iequal(name, "Connection") || str_iequal(name, "Date");
}

/* Write the response; takes over req->pool. */
static void web_conn_write_response(struct web_conn *wc, struct web_request *req,
				    bool close)
{
	struct pool *pool = req->pool;
	int status = req->status;
	/* RFC 9110 6.4.1: no content in 1xx, 204, 304, or any HEAD answer */
	bool no_content = status < 200 || status == 204 || status == 304;
	bool send_body = !no_content && req->method != WEB_METHOD_HEAD &&
		req->body.used > 0;
	uint64_t length = req->body_fd >= 0 ? req->body_fd_size : req->body.used;
	struct buffer out;

	buffer_init_pool(&out, pool, 0);
	buffer_printf(&out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
		      http_reason_phrase(status), web_http_date());
	if (req->content_type != NULL && !no_content)
		buffer_printf(&out, "Content-Type: %s\r\n", req->content_type);
	for (unsigned int i = 0; i < req->header_count; i++) {
		buffer_printf(&out, "%s: %s\r\n", req->headers[i].name,
			      req->headers[i].value);
	}
	/* RFC 9110 8.6: never in 1xx or 204; for HEAD the size a GET would
	   get. (304 would need the size of the 200, which we do not know.) */
	if (!no_content)
		buffer_printf(&out, "Content-Length: %llu\r\n", (unsigned long long)length);
	if (close)
		buffer_append_str(&out, "Connection: close\r\n");
	else if (req->head->version_minor == 0)
		buffer_append_str(&out, "Connection: keep-alive\r\n");
	buffer_append_str(&out, "\r\n");

	if (req->body_fd >= 0) {
		/* the file follows from web_conn_send_file() */
		connection_write(wc->conn, out.data, out.used);
		if (!no_content && req->method != WEB_METHOD_HEAD && length > 0) {
			wc->file_fd = req->body_fd;
			wc->file_offset = 0;
			wc->file_left = length;
			req->body_fd = -1;
		}
		pool_destroy(&pool);
		return;
	}
	if (send_body && req->body.used >= WEB_HTTP_REFERENCE_MIN) {
		connection_write(wc->conn, out.data, out.used);
		/* the pool, and the body in it, goes once the bytes are out */
		connection_write_reference(wc->conn, req->body.data, req->body.used,
					   web_response_pool_free, pool);
		return;
	}
	if (send_body)
		buffer_append(&out, req->body.data, req->body.used);
	connection_write_now(wc->conn, out.data, out.used);
	pool_destroy(&pool);
}

static void web_conn_request_done(struct web_conn *wc, bool close)
{
	if (close) {
		web_conn_close(wc);
		return;
	}
	wc->state = WEB_CONN_IDLE;
	connection_input_pause(wc->conn, false);
	/* Answered later (a suspended request): pipelined input may be
	   waiting with no new bytes to wake us. Answered from inside the
	   input loop, the loop goes on by itself. */
	if (wc->running == 0)
		connection_input_kick(wc->conn);
}

/* Queue more of a streamed file while the output has room. true: all of
   it is queued (the request is done), false: wait for the output to
   drain. */
static bool web_conn_send_file(struct web_conn *wc)
{
	while (wc->file_left > 0 && !connection_output_full(wc->conn)) {
		size_t chunk = wc->file_left < WEB_HTTP_FILE_CHUNK ?
			(size_t)wc->file_left : WEB_HTTP_FILE_CHUNK;

		if (connection_write_file(wc->conn, wc->file_fd, (off_t)wc->file_offset,
					  chunk) < 0) {
			log_error("web", "cannot send a file: %m");
			wc->file_left = 0;
			wc->file_close = true;
			break;
		}
		wc->file_offset += chunk;
		wc->file_left -= chunk;
	}
	if (wc->file_left > 0) {
		connection_want_drain(wc->conn);
		return false;
	}
	close(wc->file_fd);
	wc->file_fd = -1;
	web_conn_request_done(wc, wc->file_close);
	return true;
}

/* --- reading requests --- */

static void web_conn_dispatch(struct web_conn *wc)
{
	struct web_http *http = wc->http;
	struct web_request *req = wc->req;
	struct web_dispatch_state state = { false, false };

	wc->state = WEB_CONN_HANDLING;
	connection_input_pause(wc->conn, true);
	req->start_usecs = metrics_now_usecs();
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

static void web_conn_head_timeout(void *context)
{
	struct web_conn *wc = context;

	timer_remove(&wc->timer);
	if (wc->state != WEB_CONN_HEAD)
		return;
	wc->running++;
	if (http_parser_started(wc->parser)) {
		log_debug("web", "request head timeout ip=%s",
			  connection_peer_ip(wc->conn));
		web_conn_fail(wc, 408, "The request took too long to arrive.");
	} else {
		web_conn_close(wc);
	}
	wc->running--;
	if (wc->running == 0 && wc->closed)
		web_conn_destroy(wc);
}

/* Is target path, with or without a query? */
static bool web_conn_target_is(const char *target, const char *path)
{
	size_t len;

	if (path == NULL || !str_begins(target, path))
		return false;
	len = strlen(path);
	return target[len] == '\0' || target[len] == '?';
}

/* The body a target may send: CalDAV clients upload whole calendars,
   the compose form attachments, the login a form kept across it, other
   pages take forms. */
static size_t web_conn_max_body(const struct web_http_settings *set,
				const char *target)
{
	if (str_begins(target, WEB_HTTP_DAV_PREFIX))
		return set->max_dav_body_size;
	if (web_conn_target_is(target, set->upload_path))
		return set->max_upload_body_size;
	if (web_conn_target_is(target, set->login_path))
		return set->max_login_body_size;
	return set->max_body_size;
}

/* The head is complete: decide about the body. */
static void web_conn_head(struct web_conn *wc)
{
	const struct web_http_settings *set = &wc->http->set;
	const struct http_request_head *head = http_parser_head(wc->parser);
	struct web_request *req = wc->req;
	const char *reason;

	timer_remove(&wc->timer);
	req->head = head;
	req->method_name = head->method;
	req->method = web_method_parse(head->method);
	req->target = head->target;
	if (http_parser_set_max_body(wc->parser,
				     web_conn_max_body(set, head->target)) < 0) {
		int status = http_parser_error(wc->parser, &reason);

		log_debug("web", "request refused ip=%s status=%d target=%s",
			  req->peer_ip, status, log_value(head->target));
		web_conn_fail(wc, status, reason);
		return;
	}
	/* RFC 9110 10.1.1: a client waiting for us gets the go-ahead; one
	   that already sends its body does not need it */
	if (head->expect_continue && connection_input_size(wc->conn) == 0)
		connection_write_str(wc->conn, "HTTP/1.1 100 Continue\r\n\r\n");
	wc->state = WEB_CONN_BODY;
}

/* Parse what is buffered. true to be called again, false when more input
   is needed. */
static bool web_conn_read(struct web_conn *wc)
{
	const unsigned char *data;
	size_t avail, consumed;
	enum http_parse_result ret;
	const char *reason;
	int status;

	if (wc->state == WEB_CONN_IDLE) {
		if (connection_input_size(wc->conn) == 0)
			return false;
		/* a client that sends requests and reads no answers stops
		   being read until it catches up */
		if (connection_output_full(wc->conn)) {
			connection_want_drain(wc->conn);
			return false;
		}
		web_conn_request_begin(wc);
		wc->timer = timer_add(connection_ioloop(wc->conn),
				      wc->http->set.head_timeout_secs * 1000, false,
				      web_conn_head_timeout, wc);
	}
	data = connection_input_peek(wc->conn, WEB_HTTP_MAX_INPUT, &avail);
	ret = http_parser_parse(wc->parser, data, avail, &consumed);
	if (ret == HTTP_PARSE_BODY_DATA) {
		const unsigned char *body;
		size_t len;

		/* the parser checked the limit */
		http_parser_body_data(wc->parser, &body, &len);
		buffer_append(&wc->req->in_body, body, len);
	}
	connection_input_consume(wc->conn, consumed);

	switch (ret) {
	case HTTP_PARSE_NEED_MORE:
		return connection_input_size(wc->conn) > 0;
	case HTTP_PARSE_HEAD:
		web_conn_head(wc);
		return true;
	case HTTP_PARSE_BODY_DATA:
		return true;
	case HTTP_PARSE_END:
		web_conn_dispatch(wc);
		return true;
	case HTTP_PARSE_ERROR:
		break;
	}
	status = http_parser_error(wc->parser, &reason);
	log_debug("web", "bad request ip=%s status=%d reason=%s",
		  connection_peer_ip(wc->conn), status, reason);
	web_conn_fail(wc, status, reason);
	return true;
}

static void web_conn_run(struct web_conn *wc)
{
	while (!wc->closed) {
		switch (wc->state) {
		case WEB_CONN_IDLE:
		case WEB_CONN_HEAD:
		case WEB_CONN_BODY:
			if (!web_conn_read(wc))
				return;
			break;
		case WEB_CONN_LINGER:
			web_conn_linger_input(wc);
			return;
		case WEB_CONN_SENDING:
			if (!web_conn_send_file(wc))
				return;
			break;
		case WEB_CONN_HANDLING:
		case WEB_CONN_CLOSING:
			return;
		}
	}
}

static void web_conn_input(void *context)
{
	struct web_conn *wc = context;

	wc->running++;
	web_conn_run(wc);
	wc->running--;
	if (wc->running == 0 && wc->closed)
		web_conn_destroy(wc);
}

static void web_conn_closed(void *context, enum connection_close_reason reason,
			    const char *detail)
{
	struct web_conn *wc = context;

	(void)reason;
	wc->closed = true;
	if (detail != NULL && reason == CONNECTION_CLOSED_ERROR)
		log_debug("web", "connection closed ip=%s detail=%s",
			  connection_peer_ip(wc->conn), log_value(detail));
	if (wc->running == 0)
		web_conn_destroy(wc);
}

static const struct connection_callbacks web_conn_callbacks = {
	.input = web_conn_input,
	.output_drained = web_conn_input,
	.closed = web_conn_closed,
};

static void web_http_accept(void *context, int fd, const struct sockaddr *peer,
			    socklen_t peer_len, struct tls_session **session)
{
	struct web_http *http = context;
	struct server *srv = http->srv;
	struct connection_settings set;
	struct pool *pool;
	struct web_conn *wc;

	(void)peer_len;
	memset(&set, 0, sizeof(set));
	set.max_line = WEB_HTTP_MAX_INPUT;
	set.max_input_buffer = WEB_HTTP_MAX_INPUT;
	set.idle_timeout_secs = http->set.timeout_secs;

	pool = pool_create(1024);
	wc = p_new(pool, struct web_conn, 1);
	wc->pool = pool;
	wc->http = http;
	wc->https = session != NULL;
	wc->state = WEB_CONN_IDLE;
	wc->file_fd = -1;
	wc->conn = session != NULL ?
		connection_create_tls_session(srv->ioloop, fd, peer, session, &set,
					      &web_conn_callbacks, wc) :
		connection_create(srv->ioloop, fd, peer, NULL, &set,
				  &web_conn_callbacks, wc);
	if (wc->conn == NULL) {
		pool_destroy(&pool);
		return;
	}
	wc->parser = http_parser_create(pool, &http->parser_set);
	wc->next = http->conns;
	if (http->conns != NULL)
		http->conns->prev = wc;
	http->conns = wc;

	if (http->draining) {
		web_conn_close(wc);
		return;
	}
	if (!server_connection_opened(srv, peer, http->set.protocol)) {
		log_warning("web", "connection refused: too many connections ip=%s",
			    connection_peer_ip(wc->conn));
		web_conn_fail(wc, 503, "Too many connections, try again later.");
		return;
	}
	wc->counted = true;
}

/* --- the API --- */

struct web_http *web_http_create(struct server *srv,
				 const struct web_http_settings *set,
				 web_http_handler *handler, void *context)
{
	struct web_http *http = xcalloc(1, sizeof(*http));

	http->srv = srv;
	http->set = *set;
	http->handler = handler;
	http->context = context;
	http->parser_set.max_request_line =
		set->max_headers_size < WEB_HTTP_MAX_REQUEST_LINE ?
		set->max_headers_size : WEB_HTTP_MAX_REQUEST_LINE;
	http->parser_set.max_head_size = set->max_headers_size;
	http->parser_set.max_fields = set->max_header_fields;
	/* the larger limit; web_conn_head() applies the one of the target */
	http->parser_set.max_body_size = set->max_body_size > set->max_dav_body_size ?
		set->max_body_size : set->max_dav_body_size;
	if (set->max_upload_body_size > http->parser_set.max_body_size)
		http->parser_set.max_body_size = set->max_upload_body_size;
	if (set->max_login_body_size > http->parser_set.max_body_size)
		http->parser_set.max_body_size = set->max_login_body_size;
	return http;
}

int web_http_listen(struct web_http *http, const struct conf_addresses *addrs,
		    bool tls, const char *name, const char **error_r)
{
	return server_listen(http->srv, addrs, tls, name, web_http_accept, http,
			     error_r);
}

void web_http_drain(struct web_http *http)
{
	struct web_conn *wc, *next;

	http->draining = true;
	for (wc = http->conns; wc != NULL; wc = next) {
		next = wc->next;
		/* Idle keep-alive connections close now; a request under way
		   is finished and answered with "Connection: close". */
		if (wc->state == WEB_CONN_IDLE ||
		    (wc->state == WEB_CONN_HEAD && !http_parser_started(wc->parser)))
			web_conn_close(wc);
	}
}

void web_http_destroy(struct web_http **_http)
{
	struct web_http *http = *_http;

	if (http == NULL)
		return;
	*_http = NULL;
	while (http->conns != NULL)
		web_conn_destroy(http->conns);
	free(http);
}

const char *web_request_header(const struct web_request *req, const char *name)
{
	return http_request_field(req->head, name);
}

const char *web_request_body(struct web_request *req, size_t *size_r)
{
	*size_r = req->in_body.used;
	return req->in_body.data != NULL ? req->in_body.data : "";
}

void web_response_header(struct web_request *req, const char *name,
			 const char *value)
{
	if (value == NULL || strpbrk(value, "\r\n") != NULL ||
	    strpbrk(name, "\r\n: ") != NULL || web_response_header_reserved(name))
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
	return req->conn == NULL;
}

void web_response_send(struct web_request *req)
{
	struct web_conn *wc = req->conn;
	bool close;

	if (req->dispatch != NULL)
		req->dispatch->sent = true;
	metrics_command_done(req->metrics_protocol, req->start_usecs);
	if (wc == NULL) {
		struct pool *pool = req->pool;

		pool_destroy(&pool);
		return;
	}
	close = !req->head->keep_alive || wc->http->draining;
	wc->req = NULL;
	web_conn_write_response(wc, req, close);
	if (wc->file_fd >= 0) {
		wc->state = WEB_CONN_SENDING;
		wc->file_close = close;
		/* from inside the input loop, the loop goes on by itself */
		if (wc->running == 0)
			web_conn_send_file(wc);
		return;
	}
	web_conn_request_done(wc, close);
}

void web_response_send_file(struct web_request *req, int fd, uint64_t size)
{
	/* the request's pool closes it if it is not sent */
	req->body_fd = fd;
	req->body_fd_size = size;
	buffer_reset(&req->body);
	web_response_send(req);
}
