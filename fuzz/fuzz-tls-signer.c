/* The TLS key process's request reader (tls-signer.c): what the daemon
   sends it, which after a compromise of the daemon is hostile. The two
   slots hold an RSA and an ECDSA key made at the first call, so that the
   signing paths run too. LOAD requests are not fuzzed (they name a file
   to read). */
#include "tls-signer.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load_key(EVP_PKEY *key)
{
	char path[] = "/tmp/fuzz-tls-signer-XXXXXX";
	unsigned char req[8 + sizeof(path)], resp[8 + 4096];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t len = strlen(path);

	if (f == NULL || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	fclose(f);
	memset(req, 0, 8);
	req[0] = 1;  /* LOAD */
	req[7] = (unsigned char)len;
	memcpy(req + 8, path, len);
	if (tls_signer_answer(req, (unsigned int)(8 + len), resp, sizeof(resp)) <= 8 ||
	    resp[0] != 1)
		abort();
	unlink(path);
	EVP_PKEY_free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	unsigned char resp[8 + 4096];

	if (!initialised) {
		load_key(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024));
		load_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
		initialised = 1;
	}
	if (size > 8 + 4096 || (size > 0 && data[0] == 1))
		return 0;
	if (tls_signer_answer(data, (unsigned int)size, resp, sizeof(resp)) >
	    sizeof(resp))
		__builtin_trap();
	return 0;
}
