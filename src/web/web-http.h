#ifndef INFOSTORE_WEB_HTTP_H
#define INFOSTORE_WEB_HTTP_H

/*
 * HTTP/1.1 server connections for the web access and the CalDAV front-end.
 * The framing is ours (src/lib-http's I/O-free request reader) over
 * src/lib's connections, so any method token reaches the handler:
 * PROPFIND and MKCALENDAR as well as GET. Pages see a struct web_request
 * and answer through web_response_*().
 *
 * One request at a time per connection: while a request is handled (or
 * suspended, waiting for a password check) pipelined input waits unread.
 * The whole body is read before the handler runs, within a limit that
 * depends on the target (max_dav_body_size under /dav/,
 * max_upload_body_size for upload_path, max_login_body_size for
 * login_path, else max_body_size); a larger one is answered 413 and the
 * connection closes.
 * "Expect: 100-continue" is answered before the body is read.
 *
 * One struct web_http per kind of listener (HTTPS, plain HTTP, redirect),
 * each with its own addresses. Connections are counted against [limits]
 * max_connections and max_connections_per_ip through
 * server_connection_opened(); over the limit a client gets 503.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "metrics.h"

struct conf_addresses;
struct http_request_head;
struct pool;
struct server;
struct web_conn;
struct web_http;
struct web_dispatch_state;

enum web_method {
	WEB_METHOD_GET,
	WEB_METHOD_HEAD,
	WEB_METHOD_POST,
	WEB_METHOD_PUT,
	WEB_METHOD_DELETE,
	WEB_METHOD_OPTIONS,
	WEB_METHOD_PROPFIND,   /* RFC 4918 9.1 */
	WEB_METHOD_PROPPATCH,
	WEB_METHOD_REPORT,     /* RFC 3253 3.6 */
	WEB_METHOD_MKCOL,
	WEB_METHOD_MKCALENDAR, /* RFC 4791 5.3.1 */
	WEB_METHOD_MOVE,
	WEB_METHOD_COPY,
	WEB_METHOD_LOCK,
	WEB_METHOD_UNLOCK,
	WEB_METHOD_OTHER,      /* any other token: see method_name */
};

#define WEB_RESPONSE_MAX_HEADERS 24

struct web_request {
	struct pool *pool;       /* lives until the response is sent */
	struct web_http *http;
	enum web_method method;
	const char *method_name; /* the method as sent ("PROPFIND") */
	bool https;              /* came in over TLS */
	const char *target;      /* the request target as sent */
	const char *peer_ip;
	/* whose command latency the request counts in (the settings'
	   request_protocol; a front-end may change it) */
	enum metrics_protocol metrics_protocol;

	/* the response being built */
	int status;
	struct buffer body;
	const char *content_type;
	struct {
		const char *name;
		const char *value;
	} headers[WEB_RESPONSE_MAX_HEADERS];
	unsigned int header_count;

	/* private to web-http.c */
	struct web_conn *conn;   /* NULL once the connection is gone */
	const struct http_request_head *head;
	struct buffer in_body;
	struct web_dispatch_state *dispatch; /* while the handler runs */
	uint64_t start_usecs;    /* read whole: metrics_now_usecs() */
	bool suspended;
	int body_fd;             /* web_response_send_file(), or -1 */
	uint64_t body_fd_size;
};

typedef void web_http_handler(void *context, struct web_request *req);

struct web_http_settings {
	size_t max_headers_size;        /* request line and fields: 431 */
	unsigned int max_header_fields; /* field lines: 431 */
	size_t max_body_size;           /* any target but /dav/: 413 */
	size_t max_dav_body_size;       /* targets under /dav/: 413 */
	/* the one page that takes uploads (the compose form's attachments):
	   its path, with or without a query, and its limit; NULL for none */
	const char *upload_path;
	size_t max_upload_body_size;
	/* the login, which may carry a form kept across an ended session:
	   its path and limit; NULL for none */
	const char *login_path;
	size_t max_login_body_size;
	unsigned int timeout_secs;      /* idle keep-alive, stalled I/O */
	unsigned int head_timeout_secs; /* a whole request head (slowloris): 408 */
	enum metrics_protocol protocol;         /* its connections */
	enum metrics_protocol request_protocol; /* its requests, at first */
};

struct web_http *web_http_create(struct server *srv,
				 const struct web_http_settings *set,
				 web_http_handler *handler, void *context);
/* Bind every address of addrs now (before privileges drop); with tls, the
   server's certificate and implicit TLS. 0, or -1 with *error_r. */
int web_http_listen(struct web_http *http, const struct conf_addresses *addrs,
		    bool tls, const char *name, const char **error_r);
/* SIGTERM (the listeners are already closed by server_drain()): idle
   connections close now; a request in progress is answered with
   "Connection: close" and its connection closes after that. */
void web_http_drain(struct web_http *http);
/* Close every connection; suspended requests become gone. */
void web_http_destroy(struct web_http **http);

/* A request header (the first of that name, case-insensitive), or NULL.
   Valid while req is. */
const char *web_request_header(const struct web_request *req, const char *name);
/* The request body, NUL-terminated (the NUL not counted), valid while req
   is. Never NULL. */
const char *web_request_body(struct web_request *req, size_t *size_r);

/* Add a response header (copied into req->pool). Values with CR or LF
   are dropped; so are Content-Length, Transfer-Encoding, Connection and
   Date, which web_response_send() writes itself. */
void web_response_header(struct web_request *req, const char *name,
			 const char *value);
/* Keep the request open after the handler returns (waiting for a
   password check); web_response_send() answers it later. */
void web_request_suspend(struct web_request *req);
/* Send status, headers and req->body (no body for HEAD, 1xx, 204 and
   304; HEAD gets the Content-Length a GET would), and free req. */
void web_response_send(struct web_request *req);
/* Send status, headers and size bytes of the file fd from its start as
   the body, streamed: a piece at a time as the client reads, never the
   whole file in memory (sendfile on plain connections). Takes fd (closes
   it), and frees req like web_response_send(). req->body is not sent. */
void web_response_send_file(struct web_request *req, int fd, uint64_t size);
/* Has the connection of a suspended request closed? (then sending just
   frees it) */
bool web_request_gone(const struct web_request *req);

#endif
