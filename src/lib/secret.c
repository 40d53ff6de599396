#include "secret.h"
#include "fatal.h"

#include <sodium.h>
#include <string.h>

/*
 * Interactive limits: about 64 MiB and a fraction of a second here. Logins
 * are rare next to commands, and a failed login is delayed anyway.
 */
#define SECRET_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define SECRET_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

void secret_init(void)
{
	if (sodium_init() < 0)
		fatal("libsodium initialisation failed");
}

void secret_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

size_t secret_token_len(size_t bytes)
{
	return sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING) - 1;
}

void secret_token(char *out, size_t out_size, size_t bytes)
{
	unsigned char raw[64];

	if (bytes > sizeof(raw) || out_size < secret_token_len(bytes) + 1)
		fatal("secret_token: bad sizes");
	randombytes_buf(raw, bytes);
	sodium_bin2base64(out, out_size, raw, bytes,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool secret_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

bool secret_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	/* Compare over the shorter length, then fold in the length check, so
	   the time does not say where the first difference is. */
	size_t n = la < lb ? la : lb;
	bool same = sodium_memcmp(a, b, n) == 0;

	return same && la == lb;
}

void secret_wipe(void *buf, size_t len)
{
	sodium_memzero(buf, len);
}

int secret_password_hash(const char *password, char out[SECRET_HASH_MAX])
{
	_Static_assert(crypto_pwhash_STRBYTES <= SECRET_HASH_MAX, "hash size");
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  SECRET_OPSLIMIT, SECRET_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	return 0;
}

int secret_password_verify(const char *hash, const char *password)
{
	if (strncmp(hash, "$argon2id$", 10) != 0)
		return -1;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 1 : 0;
}

void secret_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, data, len);
	sodium_bin2hex(out, 65, digest, sizeof(digest));
}

void secret_mac(const unsigned char key[SECRET_MAC_KEY_LEN], const void *data,
		size_t len, unsigned char out[SECRET_MAC_LEN])
{
	crypto_generichash(out, SECRET_MAC_LEN, data, len, key, SECRET_MAC_KEY_LEN);
}

int secret_base64_decode(const char *in, size_t len, unsigned char *out,
			 size_t out_size, size_t *len_r)
{
	const char *end;

	/* libsodium's decoder takes some bytes outside the alphabet (one with
	   the high bit set decodes as '/': found by fuzz-pop3); only the
	   alphabet and '=' are base64 */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return -1;
	}
	if (sodium_base642bin(out, out_size, in, len, NULL, len_r, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != in + len)
		return -1;
	return 0;
}
