/*
 * The key-holding process (tls-signer.h).
 *
 * Requests and answers are single SOCK_SEQPACKET datagrams:
 *
 *   request  op:u8 slot:u8 padding:u16 len:u32 data[len]
 *   answer   ok:u8 slot:u8 0:u16        len:u32 data[len]
 *
 *   LOAD      data = key file path        answer: the new slot, the public
 *                                          key (DER SubjectPublicKeyInfo)
 *   RSA_SIGN  data = the block to raise   answer: RSA_private_encrypt()
 *             to d (padding as given)
 *   EC_SIGN   data = the digest            answer: ECDSA signature (DER)
 *
 * Delegating a key's private operation is what OpenSSL 3 offers through
 * RSA_METHOD and EC_KEY_METHOD (or a whole provider): those interfaces are
 * deprecated but supported, and a key with its own method is kept on
 * OpenSSL's legacy path ("foreign" keys), which is what we need.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "tls-signer.h"
#include "tls-private.h"
#include "fatal.h"
#include "log.h"

#include <errno.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum tls_signer_op {
	TLS_SIGNER_LOAD = 1,
	TLS_SIGNER_RSA_SIGN = 2,
	TLS_SIGNER_EC_SIGN = 3,
};

#define TLS_SIGNER_HEADER 8
/* a path, or an RSA block of a 16384-bit key, and the header */
#define TLS_SIGNER_MAX_DATA 4096
#define TLS_SIGNER_MAX_MSG (TLS_SIGNER_HEADER + TLS_SIGNER_MAX_DATA)
/* the key of now and the one before it */
#define TLS_SIGNER_SLOTS 2

static int signer_fd = -1;
static pid_t signer_pid = -1;
static pthread_mutex_t signer_lock = PTHREAD_MUTEX_INITIALIZER;
static int signer_rsa_index = -1, signer_ec_index = -1;
static RSA_METHOD *signer_rsa_method;
static EC_KEY_METHOD *signer_ec_method;

/* --- the child --- */

static EVP_PKEY *signer_keys[TLS_SIGNER_SLOTS];
static unsigned int signer_current;

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
		((uint32_t)p[2] << 8) | p[3];
}

static unsigned int signer_reply(unsigned char *resp, unsigned int resp_size,
				 bool ok, unsigned int slot, unsigned int len)
{
	if (len > resp_size - TLS_SIGNER_HEADER)
		ok = false;
	resp[0] = ok ? 1 : 0;
	resp[1] = (unsigned char)slot;
	resp[2] = resp[3] = 0;
	put_u32(resp + 4, ok ? len : 0);
	return TLS_SIGNER_HEADER + (ok ? len : 0);
}

static unsigned int signer_load(const unsigned char *path, unsigned int len,
				unsigned char *resp, unsigned int resp_size)
{
	unsigned int slot = (signer_current + 1) % TLS_SIGNER_SLOTS;
	char file[TLS_SIGNER_MAX_DATA + 1];
	unsigned char *out = resp + TLS_SIGNER_HEADER;
	EVP_PKEY *key;
	FILE *f;
	int der_len;

	memcpy(file, path, len);
	file[len] = '\0';
	if (strlen(file) != len || (f = fopen(file, "r")) == NULL)
		return signer_reply(resp, resp_size, false, 0, 0);
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (key == NULL || (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA &&
			    EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)) {
		EVP_PKEY_free(key);
		return signer_reply(resp, resp_size, false, 0, 0);
	}
	der_len = i2d_PUBKEY(key, NULL);
	if (der_len <= 0 || (unsigned int)der_len > resp_size - TLS_SIGNER_HEADER) {
		EVP_PKEY_free(key);
		return signer_reply(resp, resp_size, false, 0, 0);
	}
	i2d_PUBKEY(key, &out);
	EVP_PKEY_free(signer_keys[slot]);
	signer_keys[slot] = key;
	signer_current = slot;
	return signer_reply(resp, resp_size, true, slot, (unsigned int)der_len);
}

unsigned int tls_signer_answer(const unsigned char *req, unsigned int req_len,
			       unsigned char *resp, unsigned int resp_size)
{
	unsigned int op, slot, padding, len;
	unsigned char *out = resp + TLS_SIGNER_HEADER;
	EVP_PKEY *key;

	if (req_len < TLS_SIGNER_HEADER || resp_size < TLS_SIGNER_MAX_MSG)
		return signer_reply(resp, resp_size, false, 0, 0);
	op = req[0];
	slot = req[1];
	padding = ((unsigned int)req[2] << 8) | req[3];
	len = get_u32(req + 4);
	if (len != req_len - TLS_SIGNER_HEADER || len > TLS_SIGNER_MAX_DATA)
		return signer_reply(resp, resp_size, false, 0, 0);
	req += TLS_SIGNER_HEADER;
	if (op == TLS_SIGNER_LOAD)
		return signer_load(req, len, resp, resp_size);
	if (slot >= TLS_SIGNER_SLOTS || (key = signer_keys[slot]) == NULL)
		return signer_reply(resp, resp_size, false, slot, 0);
	if (op == TLS_SIGNER_RSA_SIGN && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		const RSA *rsa = EVP_PKEY_get0_RSA(key);
		int n;

		if ((unsigned int)RSA_size(rsa) > resp_size - TLS_SIGNER_HEADER ||
		    (padding != RSA_PKCS1_PADDING && padding != RSA_NO_PADDING))
			return signer_reply(resp, resp_size, false, slot, 0);
		n = RSA_private_encrypt((int)len, req, out, (RSA *)rsa, (int)padding);
		ERR_clear_error();
		return signer_reply(resp, resp_size, n > 0, slot, n > 0 ? (unsigned int)n : 0);
	}
	if (op == TLS_SIGNER_EC_SIGN && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
		const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(key);
		unsigned int siglen = 0;

		if ((unsigned int)ECDSA_size(ec) > resp_size - TLS_SIGNER_HEADER ||
		    len > 64)
			return signer_reply(resp, resp_size, false, slot, 0);
		if (ECDSA_sign(0, req, (int)len, out, &siglen, (EC_KEY *)ec) != 1)
			siglen = 0;
		ERR_clear_error();
		return signer_reply(resp, resp_size, siglen > 0, slot, siglen);
	}
	return signer_reply(resp, resp_size, false, slot, 0);
}

static noreturn void signer_child(int fd, int (*setup)(void *context),
				  void *context)
{
	unsigned char req[TLS_SIGNER_MAX_MSG + 1], resp[TLS_SIGNER_MAX_MSG];

	for (;;) {
		ssize_t n = recv(fd, req, sizeof(req), 0);
		unsigned int len;

		if (n == 0)
			_exit(0);     /* the daemon has gone */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		len = tls_signer_answer(req, (unsigned int)n, resp, sizeof(resp));
		if (send(fd, resp, len, MSG_NOSIGNAL) < 0 && errno != EINTR)
			_exit(1);
		/* the first key is read with the daemon's starting
		   privileges, as it would have read it itself; then the
		   same drop as the daemon's */
		if (setup != NULL) {
			if (setup(context) != 0)
				_exit(1);
			setup = NULL;
		}
	}
}

pid_t tls_fork_pair(int fds[2], const char **error_r)
{
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
		*error_r = "socketpair() failed";
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		*error_r = "fork() failed";
	}
	return pid;
}

int tls_signer_start(int (*child_setup)(void *context), void *context,
		     const char **error_r)
{
	struct timeval tv = { .tv_sec = 5, .tv_usec = 0 };
	int fds[2];
	pid_t pid = tls_fork_pair(fds, error_r);

	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* everything the daemon had open stays with the daemon */
		if (dup2(fds[1], 3) < 0 || close_range(4, ~0U, 0) < 0)
			_exit(1);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		signer_child(3, child_setup, context);
	}
	close(fds[1]);
	/* a signer that stops answering fails the handshake, not the thread */
	setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	signer_fd = fds[0];
	signer_pid = pid;
	return 0;
}

bool tls_signer_running(void)
{
	return signer_fd >= 0;
}

void tls_signer_stop(void)
{
	if (signer_fd < 0)
		return;
	close(signer_fd);
	signer_fd = -1;
	/* it exits on the closed socket */
	waitpid(signer_pid, NULL, 0);
	signer_pid = -1;
}

/* --- the daemon's side --- */

/* One request, one answer, under the lock (handshakes run on the
   handshaker thread and STARTTLS on the loop). The answer's data goes to
   out (at most out_size); its length, or -1. */
static int signer_call(unsigned int op, unsigned int slot, unsigned int padding,
		       const unsigned char *data, unsigned int len,
		       unsigned char *out, unsigned int out_size, unsigned int *slot_r)
{
	unsigned char msg[TLS_SIGNER_MAX_MSG];
	ssize_t n;
	uint32_t rlen;

	if (signer_fd < 0 || len > TLS_SIGNER_MAX_DATA)
		return -1;
	msg[0] = (unsigned char)op;
	msg[1] = (unsigned char)slot;
	msg[2] = (unsigned char)(padding >> 8);
	msg[3] = (unsigned char)padding;
	put_u32(msg + 4, len);
	memcpy(msg + TLS_SIGNER_HEADER, data, len);
	pthread_mutex_lock(&signer_lock);
	n = send(signer_fd, msg, TLS_SIGNER_HEADER + len, MSG_NOSIGNAL);
	if (n >= 0) {
		do {
			n = recv(signer_fd, msg, sizeof(msg), 0);
		} while (n < 0 && errno == EINTR);
	}
	pthread_mutex_unlock(&signer_lock);
	if (n < TLS_SIGNER_HEADER) {
		log_error("tls", "the key process does not answer");
		return -1;
	}
	rlen = get_u32(msg + 4);
	if (msg[0] != 1 || rlen != (uint32_t)n - TLS_SIGNER_HEADER || rlen > out_size)
		return -1;
	memcpy(out, msg + TLS_SIGNER_HEADER, rlen);
	if (slot_r != NULL)
		*slot_r = msg[1];
	return (int)rlen;
}

static int signer_rsa_priv_enc(int flen, const unsigned char *from,
			       unsigned char *to, RSA *rsa, int padding)
{
	unsigned int slot = (unsigned int)(uintptr_t)RSA_get_ex_data(rsa, signer_rsa_index);

	if (flen < 0)
		return -1;
	return signer_call(TLS_SIGNER_RSA_SIGN, slot, (unsigned int)padding, from,
			   (unsigned int)flen, to, (unsigned int)RSA_size(rsa), NULL);
}

static ECDSA_SIG *signer_ec_sign_sig(const unsigned char *dgst, int dgst_len,
				     const BIGNUM *kinv, const BIGNUM *r,
				     EC_KEY *ec)
{
	unsigned int slot = (unsigned int)(uintptr_t)EC_KEY_get_ex_data(ec, signer_ec_index);
	unsigned char der[TLS_SIGNER_MAX_DATA];
	const unsigned char *p = der;
	int n;

	(void)kinv;
	(void)r;
	if (dgst_len < 0)
		return NULL;
	n = signer_call(TLS_SIGNER_EC_SIGN, slot, 0, dgst, (unsigned int)dgst_len,
			der, sizeof(der), NULL);
	return n > 0 ? d2i_ECDSA_SIG(NULL, &p, n) : NULL;
}

static void signer_methods_init(void)
{
	if (signer_rsa_method != NULL)
		return;
	signer_rsa_index = RSA_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	signer_ec_index = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	signer_rsa_method = RSA_meth_dup(RSA_get_default_method());
	signer_ec_method = EC_KEY_METHOD_new(EC_KEY_get_default_method());
	if (signer_rsa_method == NULL || signer_ec_method == NULL)
		fatal_oom();
	RSA_meth_set1_name(signer_rsa_method, "infostore key process");
	RSA_meth_set_priv_enc(signer_rsa_method, signer_rsa_priv_enc);
	/* no RSA key exchange (the suites are ECDHE/DHE only): no priv_dec */
	RSA_meth_set_priv_dec(signer_rsa_method, NULL);
	{
		int (*sign)(int, const unsigned char *, int, unsigned char *,
			    unsigned int *, const BIGNUM *, const BIGNUM *, EC_KEY *);
		int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);

		/* the default sign() encodes what sign_sig() returns */
		EC_KEY_METHOD_get_sign(signer_ec_method, &sign, &setup, NULL);
		EC_KEY_METHOD_set_sign(signer_ec_method, sign, setup, signer_ec_sign_sig);
	}
}

EVP_PKEY *tls_signer_load(const char *key_file, const char **error_r)
{
	static __thread char errbuf[600];
	unsigned char der[TLS_SIGNER_MAX_DATA];
	const unsigned char *p = der;
	unsigned int slot;
	EVP_PKEY *pub, *key;
	int n;

	n = signer_call(TLS_SIGNER_LOAD, 0, 0, (const unsigned char *)key_file,
			(unsigned int)strlen(key_file), der, sizeof(der), &slot);
	if (n <= 0 || (pub = d2i_PUBKEY(NULL, &p, n)) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "cannot load private key %s in the key "
			 "process (unreadable, not PEM, or neither RSA nor ECDSA)",
			 key_file);
		*error_r = errbuf;
		ERR_clear_error();
		return NULL;
	}
	signer_methods_init();
	key = EVP_PKEY_new();
	if (key == NULL)
		fatal_oom();
	/* the method is set before the key goes into the EVP_PKEY: OpenSSL
	   decides there that the key is "foreign" and signs through it */
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		RSA *rsa = EVP_PKEY_get1_RSA(pub);

		RSA_set_method(rsa, signer_rsa_method);
		RSA_set_ex_data(rsa, signer_rsa_index, (void *)(uintptr_t)slot);
		EVP_PKEY_assign_RSA(key, rsa);
	} else {
		EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pub);

		EC_KEY_set_method(ec, signer_ec_method);
		EC_KEY_set_ex_data(ec, signer_ec_index, (void *)(uintptr_t)slot);
		EVP_PKEY_assign_EC_KEY(key, ec);
	}
	EVP_PKEY_free(pub);
	return key;
}
