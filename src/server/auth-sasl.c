/*
 * SASL PLAIN and LOGIN responses (RFC 4616, RFC 4954).
 */
#include "auth-sasl.h"
#include "buffer.h"
#include "secret.h"
#include "strutil.h"

#include <string.h>

int auth_sasl_decode(const char *b64, size_t len, struct buffer *out)
{
	size_t max = len / 4 * 3, decoded;

	buffer_reset(out);
	/* RFC 4954 4: "=" is an initial response of zero length */
	if (len == 1 && b64[0] == '=')
		return buffer_append(out, "", 0);
	/* padding is required (RFC 4648 4): whole groups of four only */
	if (len == 0 || len % 4 != 0 || max > AUTH_SASL_RESPONSE_MAX + 2)
		return -1;
	/* room for the bytes and the NUL buffer keeps after them */
	if (buffer_append(out, b64, max) < 0)
		return -1;
	if (secret_base64_decode(b64, len, (unsigned char *)out->data, max,
				 &decoded) < 0 || decoded > AUTH_SASL_RESPONSE_MAX) {
		secret_wipe(out->data, out->alloc);
		buffer_reset(out);
		return -1;
	}
	buffer_truncate(out, decoded);
	return 0;
}

int auth_sasl_plain_parse(const char *msg, size_t len, const char **authcid_r,
			  const char **passwd_r, const char **error_r)
{
	const char *nul1, *nul2;

	nul1 = memchr(msg, '\0', len);
	nul2 = nul1 == NULL ? NULL :
		memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg));
	/* RFC 4616 2: exactly two NULs; the password is not terminated on
	   the wire and holds none */
	if (nul2 == NULL ||
	    memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - msg)) != NULL) {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	*authcid_r = nul1 + 1;
	*passwd_r = nul2 + 1;
	if (**authcid_r == '\0' || **passwd_r == '\0') {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	if (*msg != '\0' && !str_iequal(msg, *authcid_r)) {
		*error_r = "Authorization as another user is not allowed";
		return -2;
	}
	return 0;
}

void auth_sasl_wipe(struct buffer *buf)
{
	if (buf->data != NULL)
		secret_wipe(buf->data, buf->alloc);
	buffer_free(buf);
}
