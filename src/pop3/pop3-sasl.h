#ifndef INFOSTORE_POP3_SASL_H
#define INFOSTORE_POP3_SASL_H

/*
 * SASL for POP3 AUTH (RFC 5034): base64 and the PLAIN mechanism
 * (RFC 4616). No I/O; the caller owns every buffer.
 */

#include <stddef.h>

/* Bytes pop3_base64_decode() may write for len input characters. */
#define POP3_BASE64_DECODED_MAX(len) (((len) / 4 + 1) * 3)

/*
 * Decode base64 (RFC 4648 4, padding required, no spaces) into out, which
 * holds POP3_BASE64_DECODED_MAX(len) bytes. 0 with *out_len_r, or -1 on
 * anything that is not canonical base64.
 */
int pop3_base64_decode(const char *in, size_t len, unsigned char *out,
		       size_t *out_len_r);

/*
 * Split a PLAIN message "authzid NUL authcid NUL passwd" in place (a NUL
 * is written after the password, so msg must hold len + 1 bytes).
 * 0, or -1 with *error_r when the message is malformed or asks to act as
 * another user (authzid set and different from authcid: we have no
 * proxy rights).
 */
int pop3_sasl_plain_parse(unsigned char *msg, size_t len,
			  const char **authcid_r, const char **passwd_r,
			  const char **error_r);

#endif
