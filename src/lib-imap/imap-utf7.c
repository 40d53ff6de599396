#include "imap-utf7.h"
#include "buffer.h"
#include "strutil.h"

#include <stdint.h>
#include <string.h>

static const char mbase64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int mbase64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/* Decode one UTF-8 character; its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp_r)
{
	uint32_t cp;
	size_t n;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		n = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		n = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		n = 4;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past Unicode */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

bool imap_utf8_is_valid(const char *str, size_t len)
{
	return memchr(str, '\0', len) == NULL && str_utf8_valid(str, len);
}

static void utf8_encode(struct buffer *dest, uint32_t cp)
{
	char out[4];
	size_t n;

	if (cp < 0x80) {
		out[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buffer_append(dest, out, n);
}

struct utf7_encoder {
	struct buffer *dest;
	uint32_t bits;
	unsigned int nbits;
	bool open;
};

static void utf7_put_unit(struct utf7_encoder *enc, uint16_t unit)
{
	if (!enc->open) {
		buffer_append_c(enc->dest, '&');
		enc->open = true;
		enc->bits = 0;
		enc->nbits = 0;
	}
	enc->bits = (enc->bits << 16) | unit;
	enc->nbits += 16;
	while (enc->nbits >= 6) {
		enc->nbits -= 6;
		buffer_append_c(enc->dest, mbase64[(enc->bits >> enc->nbits) & 0x3f]);
	}
}

static void utf7_close(struct utf7_encoder *enc)
{
	if (!enc->open)
		return;
	if (enc->nbits > 0)
		buffer_append_c(enc->dest, mbase64[(enc->bits << (6 - enc->nbits)) & 0x3f]);
	buffer_append_c(enc->dest, '-');
	enc->open = false;
}

int imap_utf8_to_utf7(const char *src, struct buffer *dest)
{
	const unsigned char *s = (const unsigned char *)src;
	struct utf7_encoder enc = { .dest = dest };
	size_t len = strlen(src), i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n;

		if (s[i] >= 0x20 && s[i] <= 0x7e) {
			utf7_close(&enc);
			if (s[i] == '&')
				buffer_append(dest, "&-", 2);
			else
				buffer_append_c(dest, (char)s[i]);
			i++;
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return -1;
		i += n;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			utf7_put_unit(&enc, (uint16_t)(0xd800 | (cp >> 10)));
			utf7_put_unit(&enc, (uint16_t)(0xdc00 | (cp & 0x3ff)));
		} else {
			utf7_put_unit(&enc, (uint16_t)cp);
		}
	}
	utf7_close(&enc);
	return 0;
}

int imap_utf7_to_utf8(const char *src, struct buffer *dest)
{
	const unsigned char *s = (const unsigned char *)src;

	while (*s != '\0') {
		uint32_t bits = 0, high = 0;
		unsigned int nbits = 0;
		bool any = false;

		if (*s != '&') {
			if (*s < 0x20 || *s > 0x7e)
				return -1;
			buffer_append_c(dest, (char)*s++);
			continue;
		}
		s++;
		if (*s == '-') {
			buffer_append_c(dest, '&');
			s++;
			continue;
		}
		while (*s != '-') {
			int v = mbase64_value(*s);

			if (v < 0)
				return -1;
			s++;
			bits = (bits << 6) | (uint32_t)v;
			nbits += 6;
			if (nbits >= 16) {
				uint32_t unit;

				nbits -= 16;
				unit = (bits >> nbits) & 0xffff;
				any = true;
				if (high != 0) {
					if (unit < 0xdc00 || unit > 0xdfff)
						return -1;
					utf8_encode(dest, 0x10000 + ((high - 0xd800) << 10) +
						    (unit - 0xdc00));
					high = 0;
				} else if (unit >= 0xd800 && unit <= 0xdbff) {
					high = unit;
				} else if (unit >= 0xdc00 && unit <= 0xdfff) {
					return -1;
				} else {
					/* RFC 3501: printable ASCII must not be
					   encoded */
					if ((unit >= 0x20 && unit <= 0x7e) || unit == 0)
						return -1;
					utf8_encode(dest, unit);
				}
			}
		}
		s++;
		/* "&-" handled above; "&" + "-" with no data is invalid here,
		   left-over bits must be zero padding, no dangling surrogate */
		if (!any || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0 || high != 0)
			return -1;
	}
	return 0;
}
