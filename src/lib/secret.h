#ifndef INFOSTORE_SECRET_H
#define INFOSTORE_SECRET_H

/*
 * Secrets: random tokens, constant-time comparison and password hashing.
 * This file is the only place that speaks to libsodium.
 */

#include <stdbool.h>
#include <stddef.h>

/* Must be called once before any other function here; fatal on failure. */
void secret_init(void);

void secret_random(void *buf, size_t len);
/* A random token of bytes * 8 bits, base64url without padding, NUL-terminated
   into out (out_size >= secret_token_len(bytes) + 1). */
void secret_token(char *out, size_t out_size, size_t bytes);
size_t secret_token_len(size_t bytes);

/* Constant-time equality of two byte strings of the same length. */
bool secret_equal(const void *a, const void *b, size_t len);
/* Constant-time equality of two NUL-terminated strings (the time depends
   only on their lengths). */
bool secret_str_equal(const char *a, const char *b);

/* Wipe memory in a way the compiler will not optimise away. */
void secret_wipe(void *buf, size_t len);

/* What a user may choose as a password (`user add`, `user passwd`, the
   web access's Settings): at least SECRET_PASSWORD_MIN characters (UTF-8
   sequences, not bytes) and at most SECRET_PASSWORD_MAX bytes. */
#define SECRET_PASSWORD_MIN 8
#define SECRET_PASSWORD_MAX 1023

/* Argon2id hash in libsodium's encoded "$argon2id$..." form. 0 or -1. */
#define SECRET_HASH_MAX 128
int secret_password_hash(const char *password, char out[SECRET_HASH_MAX]);
/* 1 if password matches hash, 0 if not, -1 on an unusable hash. */
int secret_password_verify(const char *hash, const char *password);

/* A keyed hash (BLAKE2b-256) of data with a 32-byte key into out[32]. */
#define SECRET_MAC_KEY_LEN 32
#define SECRET_MAC_LEN 32
void secret_mac(const unsigned char key[SECRET_MAC_KEY_LEN], const void *data,
		size_t len, unsigned char out[SECRET_MAC_LEN]);

/* Decode standard base64 (RFC 4648 4, padding required) into out, at most
   out_size bytes (len * 3 / 4 is always enough). 0 with *len_r, or -1
   for anything that is not base64 or does not fit. */
int secret_base64_decode(const char *in, size_t len, unsigned char *out,
			 size_t out_size, size_t *len_r);

/* SHA-256 of data as 64 lowercase hex digits into out[65]. */
void secret_sha256_hex(const void *data, size_t len, char out[65]);

#endif
