#ifndef INFOSTORE_TLS_BUFFEREVENT_H
#define INFOSTORE_TLS_BUFFEREVENT_H

/*
 * The one place where OpenSSL and libevent meet: bufferevents that speak
 * TLS (libevent's bufferevent_openssl). Used by src/lib/connection.c
 * (through its transport table, registered by tls.c), the web listener
 * and the SMTP client; nothing else should need it.
 */

#include <stddef.h>

struct tls_context;
struct bufferevent;
struct event_base;

/* A server-side TLS bufferevent on fd, which it takes ownership of (closed
   when the bufferevent is freed). NULL on failure (fd is closed). */
struct bufferevent *tls_bufferevent_accept(struct tls_context *ctx,
					   struct event_base *base, int fd);
/* A TLS bufferevent on fd for a session whose handshake is done
   (tls-handshake.h); takes ownership of both, as above. */
struct tls_session;
struct bufferevent *tls_bufferevent_open(struct tls_session **session,
					 struct event_base *base, int fd);
/* A client-side TLS bufferevent on a connected fd (owned, as above). */
struct bufferevent *tls_bufferevent_connect(struct tls_context *ctx,
					    struct event_base *base, int fd,
					    const char *server_name);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" into out, or "" if bev is not TLS. */
void tls_bufferevent_describe(struct bufferevent *bev, char *out, size_t size);
/* The last TLS error on this bufferevent as text, for logs. */
const char *tls_bufferevent_error(struct bufferevent *bev);

#endif
