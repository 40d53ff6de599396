#ifndef INFOSTORE_STRUTIL_H
#define INFOSTORE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool str_begins(const char *str, const char *prefix);
bool str_begins_icase(const char *str, const char *prefix);
/* ASCII case-insensitive comparison, like strcasecmp() but locale-free. */
int str_icmp(const char *a, const char *b);
bool str_iequal(const char *a, const char *b);
/* The i;ascii-casemap collation (RFC 4790 9.2), which IMAP SORT and
   THREAD order by: octets, with a-z taken as A-Z. NULL is "". (Not
   str_icmp(): folding to lower case orders "_" and "[" differently.) */
int str_casemap_cmp(const char *a, const char *b);
bool mem_iequal(const void *a, const void *b, size_t len);

/* Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
   past U+10FFFF. NUL bytes pass (callers that forbid them check). */
bool str_utf8_valid(const char *str, size_t len);

/* Characters of a UTF-8 string: the bytes that do not continue a
   sequence (the string is taken to be UTF-8). */
size_t str_utf8_length(const char *str);

/* A person's display name as users set it (the phrase of their From:):
   1 to STR_DISPLAY_NAME_MAX bytes of UTF-8, no control characters, not
   only spaces. */
#define STR_DISPLAY_NAME_MAX 128
bool str_display_name_valid(const char *name);

/* Trim ASCII whitespace in place; returns str moved past the leading part. */
char *str_trim(char *str);
/* Lowercase ASCII in place. */
void str_lcase(char *str);

/*
 * Parse a decimal number with no sign, no spaces and no leading '+', that
 * fits in the output type and is <= max. 0 on success, -1 otherwise.
 */
int str_to_u64(const char *str, uint64_t max, uint64_t *num_r);
int str_to_u32(const char *str, uint32_t *num_r);
/* Like str_to_u64 over len bytes (no NUL needed). */
int mem_to_u64(const char *str, size_t len, uint64_t max, uint64_t *num_r);

/* Find needle in haystack, ASCII case-insensitively. */
const void *mem_imem(const void *haystack, size_t hlen, const void *needle,
		     size_t nlen);

/* Is this a plausible user@domain address (no spaces, one '@', both sides)? */
bool str_is_address(const char *str);

/*
 * A size for people, in the configuration's units (K, M, G and T are
 * powers of 1024): at most three significant digits, one decimal below
 * 100 ("12.3", "512", "1"). words: "12.3 MB" and "100 bytes" (the web
 * access); else "12.3M" and "100" (the CLI, as a config would write it).
 * Returns buf.
 */
#define STR_SIZE_MAX 32
const char *str_size_human(uint64_t bytes, bool words, char buf[STR_SIZE_MAX]);

#endif
