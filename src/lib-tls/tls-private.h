#ifndef INFOSTORE_TLS_PRIVATE_H
#define INFOSTORE_TLS_PRIVATE_H

#include <openssl/ssl.h>

struct tls_context {
	SSL_CTX *ssl_ctx;
	char *cert_file; /* NULL for client contexts */
	char *key_file;
};

#endif
