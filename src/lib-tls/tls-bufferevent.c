#include "tls-bufferevent.h"
#include "tls-private.h"
#include "connection.h"
#include "log.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <unistd.h>

static struct bufferevent *tls_bufferevent_new(struct tls_context *ctx,
					       struct event_base *base, int fd,
					       enum bufferevent_ssl_state state,
					       const char *server_name)
{
	struct bufferevent *bev;
	SSL *ssl = SSL_new(ctx->ssl_ctx);

	if (ssl == NULL) {
		close(fd);
		return NULL;
	}
	if (server_name != NULL)
		SSL_set_tlsext_host_name(ssl, server_name);
	bev = bufferevent_openssl_socket_new(base, fd, ssl, state,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	/* Many clients close without close_notify; that is an EOF, not an
	   attack on a protocol that has its own end-of-data markers. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *tls_bufferevent_accept(struct tls_context *ctx,
					   struct event_base *base, int fd)
{
	return tls_bufferevent_new(ctx, base, fd, BUFFEREVENT_SSL_ACCEPTING, NULL);
}

struct bufferevent *tls_bufferevent_open(struct tls_session **session,
					 struct event_base *base, int fd)
{
	SSL *ssl = tls_session_take_ssl(session);
	struct bufferevent *bev;

	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_OPEN,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct bufferevent *tls_bufferevent_connect(struct tls_context *ctx,
					    struct event_base *base, int fd,
					    const char *server_name)
{
	return tls_bufferevent_new(ctx, base, fd, BUFFEREVENT_SSL_CONNECTING,
				   server_name);
}

void tls_bufferevent_describe(struct bufferevent *bev, char *out, size_t size)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (ssl == NULL) {
		if (size > 0)
			out[0] = '\0';
		return;
	}
	snprintf(out, size, "%s %s", SSL_get_version(ssl),
		 SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
}

const char *tls_bufferevent_error(struct bufferevent *bev)
{
	static char buf[256];
	unsigned long err = bufferevent_get_openssl_error(bev);

	if (err == 0)
		return "connection closed";
	ERR_error_string_n(err, buf, sizeof(buf));
	return buf;
}

static const struct connection_transport tls_transport = {
	.accept = tls_bufferevent_accept,
	.open = tls_bufferevent_open,
	.describe = tls_bufferevent_describe,
	.error = tls_bufferevent_error,
};

void tls_transport_register(void)
{
	connection_transport_register(&tls_transport);
}
