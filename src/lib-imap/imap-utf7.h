#ifndef INFOSTORE_IMAP_UTF7_H
#define INFOSTORE_IMAP_UTF7_H

/*
 * Mailbox names on the wire (RFC 3501 5.1.3): modified UTF-7, in which
 * printable ASCII stands for itself except "&" (written "&-"), and other
 * characters are UTF-16 in modified base64 ("," for "/") between "&" and
 * "-". The store keeps names in UTF-8; clients that ENABLE UTF8=ACCEPT
 * (RFC 6855) send and get UTF-8 directly.
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;

/* Decode src into dest as UTF-8. 0, or -1 if src is not valid modified
   UTF-7 (bad base64, unpadded bits, an encoded printable ASCII character,
   bytes over 0x7e, broken surrogates, "&" not closed). */
int imap_utf7_to_utf8(const char *src, struct buffer *dest);
/* Encode UTF-8 src into dest. 0, or -1 if src is not valid UTF-8. */
int imap_utf8_to_utf7(const char *src, struct buffer *dest);
/* Is str valid UTF-8 (no overlong forms, no surrogates)? */
bool imap_utf8_is_valid(const char *str, size_t len);

#endif
