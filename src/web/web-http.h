#ifndef INFOSTORE_WEB_HTTP_H
#define INFOSTORE_WEB_HTTP_H

/*
 * HTTP for the web access: libevent's HTTP server (evhttp) does the
 * framing; this file and web-http.c are the only ones in src/web that
 * speak to libevent (the documented exception to "libevent only in
 * src/lib"). Pages see a struct web_request and answer through
 * web_response_*().
 *
 * One struct web_http per kind of listener (HTTPS, plain HTTP, redirect),
 * each with its own addresses. Connections are counted against
 * [limits] max_connections and max_connections_per_ip through
 * server_connection_opened().
 */

#include <stdbool.h>
#include <stddef.h>

#include "buffer.h"

struct net_address;
struct pool;
struct server;
struct tls_context;
struct web_http;
struct web_dispatch_state;

enum web_method {
	WEB_METHOD_GET,
	WEB_METHOD_HEAD,
	WEB_METHOD_POST,
};

#define WEB_RESPONSE_MAX_HEADERS 24

struct web_request {
	struct pool *pool;       /* lives until the response is sent */
	struct web_http *http;
	enum web_method method;
	bool https;              /* came in over TLS */
	const char *target;      /* the request target as sent */
	const char *peer_ip;

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
	void *evreq;
	struct web_dispatch_state *dispatch; /* while the handler runs */
	bool suspended;
};

typedef void web_http_handler(void *context, struct web_request *req);

struct web_http_settings {
	size_t max_headers_size;
	size_t max_body_size;
	unsigned int timeout_secs;
};

/* tls: NULL for plain HTTP. */
struct web_http *web_http_create(struct server *srv, struct tls_context *tls,
				 const struct web_http_settings *set,
				 web_http_handler *handler, void *context);
/* Bind addr now (before privileges drop). 0, or -1 with *error_r. */
int web_http_listen(struct web_http *http, const struct net_address *addr,
		    const char *name, const char **error_r);
/* Stop accepting and close every idle connection (SIGTERM); connections
   with a request in progress close after answering. */
void web_http_drain(struct web_http *http);
void web_http_destroy(struct web_http **http);

/* A request header, or NULL. Valid while req is. */
const char *web_request_header(const struct web_request *req, const char *name);
/* The request body (NUL-terminated copy in req->pool). */
const char *web_request_body(struct web_request *req, size_t *size_r);

/* Add a response header (copied into req->pool). Values with CR or LF
   are dropped. */
void web_response_header(struct web_request *req, const char *name,
			 const char *value);
/* Keep the request open after the handler returns (waiting for a
   password check); web_response_send() answers it later. */
void web_request_suspend(struct web_request *req);
/* Send status, headers and req->body, and free req. */
void web_response_send(struct web_request *req);
/* Is the connection of a suspended request gone? (then sending just
   frees it) */
bool web_request_gone(const struct web_request *req);

#endif
