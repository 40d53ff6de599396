/*
 * Content-Transfer-Encoding decoding (RFC 2045 6) with GMime's streaming
 * decoders, for IMAP's FETCH BINARY (RFC 3516).
 */
#include "mime.h"
#include "pool.h"
#include "strutil.h"

#include <gmime/gmime.h>
#include <string.h>

/* RFC 2045 6.7 (3): whitespace at the end of an encoded line was added
   on the way and is deleted when decoding, so that "=  " is still a soft
   line break; GMime's decoder keeps it. */
static const unsigned char *mime_qp_strip_trailing_space(struct pool *pool,
							 const unsigned char *data,
							 size_t *size)
{
	unsigned char *out = p_malloc(pool, *size + 1);
	size_t o = 0, line = 0;

	for (size_t i = 0; i <= *size; i++) {
		if (i < *size && data[i] != '\n')
			continue;
		/* [line, i) is a line; drop its CR and trailing blanks */
		size_t end = i;

		if (end > line && data[end - 1] == '\r')
			end--;
		while (end > line && (data[end - 1] == ' ' || data[end - 1] == '\t'))
			end--;
		memcpy(out + o, data + line, end - line);
		o += end - line;
		if (i < *size) {
			if (i > line && data[i - 1] == '\r')
				out[o++] = '\r';
			out[o++] = '\n';
		}
		line = i + 1;
	}
	*size = o;
	return out;
}

int mime_transfer_decode(struct pool *pool, const char *encoding,
			 const unsigned char *data, size_t size,
			 const unsigned char **out_r, size_t *size_r)
{
	GMimeContentEncoding enc;
	GMimeEncoding state;
	char *name, *out;
	size_t len;

	*out_r = data;
	*size_r = size;
	if (encoding == NULL)
		return MIME_TRANSFER_LINES;
	name = str_trim(p_strdup(pool, encoding));
	if (*name == '\0' || str_iequal(name, "7bit") || str_iequal(name, "8bit"))
		return MIME_TRANSFER_LINES;
	if (str_iequal(name, "binary"))
		return MIME_TRANSFER_BINARY;
	enc = g_mime_content_encoding_from_string(name);
	if (enc != GMIME_CONTENT_ENCODING_BASE64 &&
	    enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    enc != GMIME_CONTENT_ENCODING_UUENCODE)
		return -1;
	if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
		data = mime_qp_strip_trailing_space(pool, data, &size);
		*out_r = data;
	}
	g_mime_encoding_init_decode(&state, enc);
	/* decoding never grows the data; the bound covers GMime's slack */
	out = p_malloc(pool, g_mime_encoding_outlen(&state, size) + 1);
	len = g_mime_encoding_step(&state, (const char *)data, size, out);
	len += g_mime_encoding_flush(&state, "", 0, out + len);
	*out_r = (const unsigned char *)out;
	*size_r = len;
	return MIME_TRANSFER_DECODED;
}
