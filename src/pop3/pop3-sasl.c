/*
 * Base64 and SASL PLAIN for AUTH (RFC 5034, RFC 4616).
 */
#include "pop3-sasl.h"
#include "strutil.h"

#include <stdbool.h>
#include <string.h>

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int pop3_base64_decode(const char *in, size_t len, unsigned char *out,
		       size_t *out_len_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		unsigned int pad = 0;

		for (unsigned int k = 0; k < 4; k++) {
			if (p[i + k] == '=') {
				/* padding only at the very end: "xx==" or "xxx=" */
				if (i + 4 != len || k < 2)
					return -1;
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad > 0)
				return -1;
			v[k] = base64_value(p[i + k]);
			if (v[k] < 0)
				return -1;
		}
		out[o++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
		if (pad < 2)
			out[o++] = (unsigned char)(((v[1] & 0x0f) << 4) | (v[2] >> 2));
		if (pad < 1)
			out[o++] = (unsigned char)(((v[2] & 0x03) << 6) | v[3]);
		/* canonical: the bits dropped by padding must be zero */
		if ((pad == 2 && (v[1] & 0x0f) != 0) ||
		    (pad == 1 && (v[2] & 0x03) != 0))
			return -1;
	}
	*out_len_r = o;
	return 0;
}

int pop3_sasl_plain_parse(unsigned char *msg, size_t len,
			  const char **authcid_r, const char **passwd_r,
			  const char **error_r)
{
	const unsigned char *nul1, *nul2;
	const char *authzid = (const char *)msg;

	nul1 = memchr(msg, '\0', len);
	if (nul1 == NULL) {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg));
	if (nul2 == NULL) {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	/* RFC 4616 2: the password is not NUL-terminated on the wire and
	   contains no NUL. */
	if (memchr(nul2 + 1, '\0', len - (size_t)(nul2 + 1 - msg)) != NULL) {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	msg[len] = '\0';
	*authcid_r = (const char *)nul1 + 1;
	*passwd_r = (const char *)nul2 + 1;
	if (**authcid_r == '\0' || **passwd_r == '\0') {
		*error_r = "Invalid PLAIN message";
		return -1;
	}
	if (*authzid != '\0' && !str_iequal(authzid, *authcid_r)) {
		*error_r = "Authorization as another user is not allowed";
		return -1;
	}
	return 0;
}
