#ifndef INFOSTORE_TLS_H
#define INFOSTORE_TLS_H

/*
 * Server TLS contexts (OpenSSL). The rest of the code sees only this
 * opaque type; <openssl/...> is included in src/lib-tls alone.
 *
 * Settings are fixed here, in one place: TLS 1.2 minimum, the server's
 * cipher preference, no compression, no renegotiation, and buffers released
 * while a connection is idle (an idle IMAP connection should cost a few KiB,
 * not the 34 KiB of OpenSSL's read and write buffers).
 */

#include <stdbool.h>

struct tls_context;

/*
 * Load the certificate chain and key, and check that they match.
 * 0 on success, -1 with a readable *error_r (valid until the next call).
 */
int tls_context_create(const char *cert_file, const char *key_file,
		       struct tls_context **ctx_r, const char **error_r);
/*
 * Re-read the files (SIGHUP). On success new connections use the new
 * certificate and existing ones keep theirs; on failure the old context
 * stays in use. 0 or -1 with *error_r.
 */
int tls_context_reload(struct tls_context *ctx, const char **error_r);
void tls_context_destroy(struct tls_context **ctx);

/* Check that both files are readable and that the key fits the cert, in
   a child process (the key never enters the caller's memory). Which of
   the two is wrong goes into *bad_key_r (true: the key). */
int tls_check_files(const char *cert_file, const char *key_file,
		    bool *bad_key_r, const char **error_r);

/* A client context for outgoing SMTP (STARTTLS to the relay). The peer is
   not verified unless verify is set (relays on loopback rarely have a cert
   that matches). */
struct tls_context *tls_client_context_create(bool verify);

#endif
