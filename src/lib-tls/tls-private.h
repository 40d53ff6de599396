#ifndef INFOSTORE_TLS_PRIVATE_H
#define INFOSTORE_TLS_PRIVATE_H

#include <openssl/ssl.h>

struct tls_context {
	SSL_CTX *ssl_ctx;
	char *cert_file; /* NULL for client contexts */
	char *key_file;
};

struct tls_session;
/* The SSL of an established session (tls-handshake.c); the session is
   freed, the SSL is the caller's. */
SSL *tls_session_take_ssl(struct tls_session **session);
/* Give src/lib/connection.c the TLS bufferevents (tls-bufferevent.c);
   called before the first server context exists. */
void tls_transport_register(void);

#endif
