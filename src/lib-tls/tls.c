#include "tls.h"
#include "alloc.h"
#include "tls-private.h"
#include "tls-signer.h"
#include "fatal.h"
#include "log.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static __thread char tls_error_buf[512];

static const char *tls_last_error(const char *what, const char *file)
{
	unsigned long err = ERR_get_error();
	char reason[256];

	if (err == 0)
		snprintf(reason, sizeof(reason), "unknown error");
	else
		ERR_error_string_n(err, reason, sizeof(reason));
	ERR_clear_error();
	if (file != NULL)
		snprintf(tls_error_buf, sizeof(tls_error_buf), "%s %s: %s",
			 what, file, reason);
	else
		snprintf(tls_error_buf, sizeof(tls_error_buf), "%s: %s", what, reason);
	return tls_error_buf;
}

static const char *tls_mismatch(const char *cert_file, const char *key_file)
{
	ERR_clear_error();
	snprintf(tls_error_buf, sizeof(tls_error_buf),
		 "private key %s does not match certificate %s", key_file, cert_file);
	return tls_error_buf;
}

/* The key of ssl_ctx: from the key process when it runs (tls-signer.h),
   else from the file. 0, or -1 with *error_r. */
static int tls_use_key(SSL_CTX *ssl_ctx, const char *cert_file,
		       const char *key_file, const char **error_r)
{
	bool mismatch;

	if (tls_signer_running()) {
		EVP_PKEY *key = tls_signer_load(key_file, error_r);
		int ret;

		if (key == NULL)
			return -1;
		ret = SSL_CTX_use_PrivateKey(ssl_ctx, key);
		EVP_PKEY_free(key);
		if (ret == 1)
			return 0;
		mismatch = true;
	} else {
		if (SSL_CTX_use_PrivateKey_file(ssl_ctx, key_file, SSL_FILETYPE_PEM) == 1)
			return 0;
		mismatch = ERR_GET_REASON(ERR_peek_last_error()) ==
			X509_R_KEY_VALUES_MISMATCH;
	}
	*error_r = mismatch ? tls_mismatch(cert_file, key_file) :
		tls_last_error("cannot load private key", key_file);
	return -1;
}

static SSL_CTX *tls_ssl_ctx_load(const char *cert_file, const char *key_file,
				 bool *bad_key_r, const char **error_r)
{
	SSL_CTX *ssl_ctx = SSL_CTX_new(TLS_server_method());

	*bad_key_r = false;
	if (ssl_ctx == NULL) {
		*error_r = tls_last_error("SSL_CTX_new", NULL);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
				     SSL_OP_NO_COMPRESSION |
				     SSL_OP_NO_RENEGOTIATION);
	/* TLS 1.2 suites: forward secrecy and AEAD only. */
	SSL_CTX_set_cipher_list(ssl_ctx,
		"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20");
	SSL_CTX_set_mode(ssl_ctx, SSL_MODE_RELEASE_BUFFERS |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_ENABLE_PARTIAL_WRITE);
	SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ssl_ctx, (const unsigned char *)"infostore", 9);

	if (SSL_CTX_use_certificate_chain_file(ssl_ctx, cert_file) != 1) {
		*error_r = tls_last_error("cannot load certificate", cert_file);
		SSL_CTX_free(ssl_ctx);
		return NULL;
	}
	if (tls_use_key(ssl_ctx, cert_file, key_file, error_r) < 0 ||
	    (SSL_CTX_check_private_key(ssl_ctx) != 1 &&
	     (*error_r = tls_mismatch(cert_file, key_file)) != NULL)) {
		*bad_key_r = true;
		SSL_CTX_free(ssl_ctx);
		return NULL;
	}
	return ssl_ctx;
}

int tls_check_files(const char *cert_file, const char *key_file,
		    bool *bad_key_r, const char **error_r)
{
	/* in a child that exits: the daemon checks its configuration before
	   anything else, and the key must never be in its memory, not even
	   freed (tls-signer.h) */
	struct {
		int bad_key;
		char error[sizeof(tls_error_buf)];
	} result;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	*bad_key_r = false;
	if ((pid = tls_fork_pair(fds, error_r)) < 0)
		return -1;
	if (pid == 0) {
		bool bad_key;
		const char *error = NULL;
		SSL_CTX *ssl_ctx = tls_ssl_ctx_load(cert_file, key_file, &bad_key, &error);

		close(fds[0]);
		memset(&result, 0, sizeof(result));
		result.bad_key = bad_key;
		if (ssl_ctx == NULL)
			snprintf(result.error, sizeof(result.error), "%s", error);
		if (write(fds[1], &result, sizeof(result)) != (ssize_t)sizeof(result))
			_exit(2);
		_exit(ssl_ctx == NULL ? 1 : 0);
	}
	close(fds[1]);
	do {
		n = read(fds[0], &result, sizeof(result));
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(result) || !WIFEXITED(status) ||
	    WEXITSTATUS(status) > 1) {
		*error_r = "the check of the certificate and key failed";
		*bad_key_r = false;
		return -1;
	}
	*bad_key_r = result.bad_key != 0;
	if (WEXITSTATUS(status) == 0)
		return 0;
	snprintf(tls_error_buf, sizeof(tls_error_buf), "%s", result.error);
	*error_r = tls_error_buf;
	return -1;
}

int tls_context_create(const char *cert_file, const char *key_file,
		       struct tls_context **ctx_r, const char **error_r)
{
	struct tls_context *ctx;
	bool bad_key;
	SSL_CTX *ssl_ctx = tls_ssl_ctx_load(cert_file, key_file, &bad_key, error_r);

	if (ssl_ctx == NULL)
		return -1;
	tls_transport_register();
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = ssl_ctx;
	ctx->cert_file = xstrdup(cert_file);
	ctx->key_file = xstrdup(key_file);
	*ctx_r = ctx;
	return 0;
}

int tls_context_reload(struct tls_context *ctx, const char **error_r)
{
	bool bad_key;
	SSL_CTX *ssl_ctx;

	if (ctx->cert_file == NULL) {
		*error_r = "not a server context";
		return -1;
	}
	ssl_ctx = tls_ssl_ctx_load(ctx->cert_file, ctx->key_file, &bad_key, error_r);
	if (ssl_ctx == NULL)
		return -1;
	/* Connections made so far hold a reference to the old SSL_CTX. */
	SSL_CTX_free(ctx->ssl_ctx);
	ctx->ssl_ctx = ssl_ctx;
	return 0;
}

void tls_context_destroy(struct tls_context **_ctx)
{
	struct tls_context *ctx = *_ctx;

	if (ctx == NULL)
		return;
	*_ctx = NULL;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx->cert_file);
	free(ctx->key_file);
	free(ctx);
}

struct tls_context *tls_client_context_create(bool verify)
{
	struct tls_context *ctx = xcalloc(1, sizeof(*ctx));

	ctx->ssl_ctx = SSL_CTX_new(TLS_client_method());
	if (ctx->ssl_ctx == NULL)
		fatal("SSL_CTX_new(client) failed");
	SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	if (verify) {
		SSL_CTX_set_default_verify_paths(ctx->ssl_ctx);
		SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}
