/*
 * Request interpretation without I/O: targets, percent-decoding, forms,
 * cookies and tokens. Fuzzed by fuzz/fuzz-http.c.
 */
#include "web-parse.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Well-formed UTF-8 (RFC 3629 4): no overlongs, no surrogates, <= U+10FFFF */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

int web_url_decode(struct pool *pool, const char *str, size_t len,
		   bool plus_space, bool allow_newlines, const char **out_r)
{
	char *out = p_malloc(pool, len + 1);
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c == '%') {
			int hi, lo;

			if (len - i < 3)
				return -1;
			hi = hexval((unsigned char)str[i + 1]);
			lo = hexval((unsigned char)str[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f) {
			if (!(c == '\t' || (allow_newlines && (c == '\r' || c == '\n'))))
				return -1;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!utf8_valid((const unsigned char *)out, o))
		return -1;
	*out_r = out;
	return 0;
}

int web_form_parse(struct pool *pool, const char *data, size_t len,
		   struct web_form *form_r)
{
	size_t pos = 0;

	form_r->count = 0;
	while (pos < len) {
		const char *part = data + pos;
		const char *amp = memchr(part, '&', len - pos);
		size_t plen = amp != NULL ? (size_t)(amp - part) : len - pos;
		const char *eq = memchr(part, '=', plen);
		size_t nlen = eq != NULL ? (size_t)(eq - part) : plen;
		struct web_form_field *f;

		pos += plen + 1;
		if (plen == 0)
			continue;
		if (form_r->count == WEB_FORM_MAX_FIELDS)
			return -1;
		f = &form_r->fields[form_r->count];
		if (web_url_decode(pool, part, nlen, true, false, &f->name) < 0)
			return -1;
		if (eq == NULL) {
			f->value = "";
		} else if (web_url_decode(pool, eq + 1, plen - nlen - 1, true, true,
					  &f->value) < 0) {
			return -1;
		}
		form_r->count++;
	}
	return 0;
}

const char *web_form_get(const struct web_form *form, const char *name)
{
	for (unsigned int i = 0; i < form->count; i++) {
		if (strcmp(form->fields[i].name, name) == 0)
			return form->fields[i].value;
	}
	return NULL;
}

const char *web_cookie_get(struct pool *pool, const char *header,
			   const char *name)
{
	size_t name_len = strlen(name);
	const char *p = header;

	if (header == NULL || name_len == 0)
		return NULL;
	while (*p != '\0') {
		const char *end, *eq;
		size_t vlen;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == name_len &&
		    memcmp(p, name, name_len) == 0) {
			const char *v = eq + 1;

			vlen = (size_t)(end - v);
			while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
				vlen--;
			/* RFC 6265 4.1.1: cookie-value may be DQUOTEd */
			if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
				v++;
				vlen -= 2;
			}
			for (size_t i = 0; i < vlen; i++) {
				unsigned char c = (unsigned char)v[i];

				if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' ||
				    c == '\\')
					return NULL;
			}
			return p_strndup(pool, v, vlen);
		}
		p = end;
	}
	return NULL;
}

static bool target_segment(struct pool *pool, const char *seg, size_t len,
			   const char **out_r)
{
	const char *dec;

	if (web_url_decode(pool, seg, len, false, false, &dec) < 0)
		return false;
	if (strchr(dec, '/') != NULL || strchr(dec, '\\') != NULL ||
	    strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0)
		return false;
	*out_r = dec;
	return true;
}

int web_target_parse(struct pool *pool, const char *target,
		     struct web_target *target_r)
{
	size_t len = strlen(target);
	const char *q, *p;
	size_t path_len;

	memset(target_r, 0, sizeof(*target_r));
	if (len == 0 || len > WEB_TARGET_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)target[i];

		if (c <= 0x20 || c >= 0x7f)
			return -1;
	}
	/* RFC 9112 3.2.2 absolute-form: drop scheme and authority */
	if (str_begins_icase(target, "http://") || str_begins_icase(target, "https://")) {
		const char *auth = strstr(target, "//") + 2;

		target = auth + strcspn(auth, "/?");
		if (*target != '/')
			return -1;
	}
	if (target[0] != '/')
		return -1;
	q = strchr(target, '?');
	path_len = q != NULL ? (size_t)(q - target) : strlen(target);
	if (memchr(target, '#', path_len) != NULL)
		return -1;
	target_r->path = p_strndup(pool, target, path_len);
	target_r->query = q != NULL ? p_strdup(pool, q + 1) : NULL;

	p = target_r->path + 1;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t slen = slash != NULL ? (size_t)(slash - p) : strlen(p);

		if (slen == 0)
			return -1; /* "//" */
		if (target_r->segment_count == WEB_PATH_MAX_SEGMENTS)
			return -1;
		if (!target_segment(pool, p, slen,
				    &target_r->segments[target_r->segment_count]))
			return -1;
		target_r->segment_count++;
		if (slash == NULL)
			break;
		p = slash + 1; /* a trailing '/' ends the loop here */
	}
	return 0;
}

bool web_token_valid(const char *token)
{
	size_t len = 0;

	if (token == NULL)
		return false;
	for (; token[len] != '\0'; len++) {
		char c = token[len];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
		if (len > 128)
			return false;
	}
	return len >= 16;
}

bool web_return_path_safe(const char *path)
{
	size_t len;

	if (path == NULL || path[0] != '/' || path[1] == '/' || path[1] == '\\')
		return false;
	len = strlen(path);
	if (len > WEB_TARGET_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		/* browsers strip TAB/CR/LF inside URLs, so "/\t/evil" would
		   become "//evil": refuse every control character */
		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
	}
	return true;
}

int web_parse_id(const char *str, uint64_t max, uint64_t *id_r)
{
	if (str == NULL || str[0] == '0')
		return -1;
	if (str_to_u64(str, max, id_r) < 0 || *id_r == 0)
		return -1;
	return 0;
}

bool web_section_valid(const char *section)
{
	size_t len = strlen(section);
	bool digit_before = false;

	if (len == 0 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (section[i] >= '0' && section[i] <= '9') {
			digit_before = true;
		} else if (section[i] == '.' && digit_before) {
			digit_before = false;
		} else {
			return false;
		}
	}
	return digit_before;
}

static int parse_fixed_digits(const char *s, size_t n, int *out_r)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out_r = v;
	return 0;
}

int web_parse_date(const char *str, int *year_r, int *month_r, int *day_r)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (str == NULL || strlen(str) != 10 || str[4] != '-' || str[7] != '-')
		return -1;
	if (parse_fixed_digits(str, 4, &y) < 0 ||
	    parse_fixed_digits(str + 5, 2, &m) < 0 ||
	    parse_fixed_digits(str + 8, 2, &d) < 0)
		return -1;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*year_r = y;
	*month_r = m;
	*day_r = d;
	return 0;
}

int web_parse_hhmm(const char *str, int *minutes_r)
{
	int h, m;

	/* <input type=time> sends "HH:MM" (or "HH:MM:SS" with a step) */
	if (str == NULL || (strlen(str) != 5 && strlen(str) != 8) || str[2] != ':')
		return -1;
	if (parse_fixed_digits(str, 2, &h) < 0 ||
	    parse_fixed_digits(str + 3, 2, &m) < 0 || h > 23 || m > 59)
		return -1;
	if (strlen(str) == 8 && (str[5] != ':' || str[6] < '0' || str[6] > '5' ||
				 str[7] < '0' || str[7] > '9'))
		return -1;
	*minutes_r = h * 60 + m;
	return 0;
}
