#ifndef INFOSTORE_AUTH_SASL_H
#define INFOSTORE_AUTH_SASL_H

/*
 * SASL messages that carry a password: PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login), as IMAP's AUTHENTICATE, POP3's and
 * submission's AUTH and the Postfix auth socket read them. No I/O; the
 * password is checked by auth.h.
 *
 * The decoded bytes go into a buffer the caller owns and must wipe
 * (auth_sasl_wipe()) once the password has been handed to auth_verify().
 */

#include <stddef.h>

struct buffer;

/* A decoded response is at most this long: RFC 4616 allows 255 octets
   for each of the three fields, and an AUTH line is at most 12288 octets
   (RFC 4954 4), far more than any password needs. */
#define AUTH_SASL_RESPONSE_MAX 4096

/*
 * Decode a client response: base64 (RFC 4648 4, padding required), or
 * "=" for an empty initial response (RFC 4954 4). out is reset first and
 * holds the bytes followed by a NUL (not counted). 0, or -1 when it is not
 * base64 or decodes to more than AUTH_SASL_RESPONSE_MAX bytes.
 */
int auth_sasl_decode(const char *b64, size_t len, struct buffer *out);

/*
 * Split a PLAIN message "authzid NUL authcid NUL passwd" held in msg (as
 * auth_sasl_decode() leaves it: NUL-terminated at len). The returned
 * strings point into msg. 0; -1 with *error_r (static text) when it is
 * malformed or a field is empty; -2 (with *error_r) when it asks to act
 * as another user (authzid set and not the authcid: nobody here has proxy
 * rights).
 */
int auth_sasl_plain_parse(const char *msg, size_t len, const char **authcid_r,
			  const char **passwd_r, const char **error_r);

/* Overwrite and free a buffer that held a decoded response. */
void auth_sasl_wipe(struct buffer *buf);

#endif
