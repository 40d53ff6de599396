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
/* A SOCK_SEQPACKET pair and a fork (tls-signer.c): the child's pid, 0 in
   the child, or -1 with *error_r (nothing left open). The parent keeps
   fds[0], the child fds[1]. */
#include <sys/types.h>
pid_t tls_fork_pair(int fds[2], const char **error_r);
/* Give src/lib/connection.c the TLS bufferevents (tls-bufferevent.c);
   called before the first server context exists. */
void tls_transport_register(void);

#endif
