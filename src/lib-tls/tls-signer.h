#ifndef INFOSTORE_TLS_SIGNER_H
#define INFOSTORE_TLS_SIGNER_H

/*
 * The TLS private key in a process of its own (privilege separation, as
 * OpenSMTPD's "ca" process does it): the daemon, which parses everything
 * the network sends, never holds the key. A small child process reads the
 * key file and answers one request at a time over a socketpair: "sign
 * these bytes with key N". The daemon's SSL_CTX gets a key object with the
 * public half only whose private operation (RSA_METHOD / EC_KEY_METHOD)
 * is that request. A memory disclosure in the daemon cannot show the key.
 *
 * RSA and ECDSA keys; others (Ed25519) are refused with a clear error.
 * The signer keeps the previous key after a reload, so that a handshake
 * begun before it still gets a signature that matches its certificate.
 */

#include <stdbool.h>

struct evp_pkey_st;

/* Fork the signer, before any thread exists. It keeps no descriptor of
   the daemon's. child_setup runs in the child once it has answered its
   first request (the first key is read with the starting privileges):
   drop privileges there; non-zero ends the child. 0, or -1 with
   *error_r. */
int tls_signer_start(int (*child_setup)(void *context), void *context,
		     const char **error_r);
bool tls_signer_running(void);
void tls_signer_stop(void);

/* Ask the signer to load key_file (the key files are read there, not
   here) and return a key object that signs through it, for
   SSL_CTX_use_PrivateKey(). NULL with *error_r; the signer keeps its
   keys as they were. */
struct evp_pkey_st *tls_signer_load(const char *key_file, const char **error_r);

/* The child's loop, exposed for the fuzzer: answer one request (req,
   req_len) into resp (at most resp_size), return its length. */
unsigned int tls_signer_answer(const unsigned char *req, unsigned int req_len,
			       unsigned char *resp, unsigned int resp_size);

#endif
