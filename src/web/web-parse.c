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
	if (!str_utf8_valid(out, o))
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

/* A text field's bytes: UTF-8, no controls but TAB, CR, LF. */
static bool web_text_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') ||
		    s[i] == 0x7f)
			return false;
	}
	return str_utf8_valid((const char *)s, len);
}

/* A parameter of a header value ("form-data; name=\"x\""), unquoted,
   from pool, or NULL. Backslash escapes are not used by browsers (they
   percent-encode '"' in names, WHATWG HTML 4.10.21.8) and are kept as
   they are. */
static const char *web_header_param(struct pool *pool, const char *value,
				    size_t len, const char *name)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	while (i < len) {
		/* to the next ';' outside quotes */
		while (i < len && value[i] != ';') {
			if (value[i] == '"') {
				i++;
				while (i < len && value[i] != '"')
					i++;
			}
			i++;
		}
		if (i >= len)
			break;
		i++;
		while (i < len && (value[i] == ' ' || value[i] == '\t'))
			i++;
		if (len - i > nlen && mem_iequal(value + i, name, nlen) &&
		    value[i + nlen] == '=') {
			const char *v = value + i + nlen + 1;
			size_t rest = len - i - nlen - 1, vlen = 0;

			if (rest > 0 && v[0] == '"') {
				v++;
				rest--;
				while (vlen < rest && v[vlen] != '"')
					vlen++;
				if (vlen == rest)
					return NULL;
			} else {
				while (vlen < rest && v[vlen] != ';' && v[vlen] != ' ' &&
				       v[vlen] != '\t')
					vlen++;
			}
			return p_strndup(pool, v, vlen);
		}
	}
	return NULL;
}

/* The value of header name in a part's header block, or NULL. */
static const char *web_part_header(const char *head, size_t len, const char *name,
				   size_t *vlen_r)
{
	size_t nlen = strlen(name), pos = 0;

	while (pos < len) {
		const char *line = head + pos;
		const char *eol = memmem(line, len - pos, "\r\n", 2);
		size_t llen = eol != NULL ? (size_t)(eol - line) : len - pos;

		if (llen > nlen && line[nlen] == ':' && mem_iequal(line, name, nlen)) {
			const char *v = line + nlen + 1;

			while (v < line + llen && (*v == ' ' || *v == '\t'))
				v++;
			*vlen_r = (size_t)(line + llen - v);
			return v;
		}
		pos += llen + 2;
	}
	return NULL;
}

int web_multipart_parse(struct pool *pool, const char *content_type,
			const char *body, size_t size, unsigned int max_files,
			struct web_form *form_r, struct web_upload **files_r,
			unsigned int *file_count_r)
{
	const char *boundary, *delim, *p, *end = body + size;
	struct web_upload *files = p_new(pool, struct web_upload,
					 max_files > 0 ? max_files : 1);
	unsigned int file_count = 0;
	size_t dlen;

	form_r->count = 0;
	*files_r = files;
	*file_count_r = 0;
	if (content_type == NULL ||
	    !str_begins_icase(content_type, "multipart/form-data"))
		return -1;
	boundary = web_header_param(pool, content_type, strlen(content_type),
				    "boundary");
	/* RFC 2046 5.1.1: 1 to 70 characters */
	if (boundary == NULL || *boundary == '\0' || strlen(boundary) > 70)
		return -1;
	/* "\r\n--" boundary; the first one may start the body */
	delim = p_printf(pool, "\r\n--%s", boundary);
	dlen = strlen(delim);
	if (size >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0) {
		p = body + dlen - 2;
	} else {
		p = memmem(body, size, delim, dlen);
		if (p == NULL)
			return -1;
		p += dlen;
	}
	for (;;) {
		const char *head, *head_end, *data, *next, *disp, *name, *filename, *type;
		size_t disp_len, type_len;

		/* after a delimiter: "--" ends it all, else CRLF and a part */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -1;
		head = p + 2;
		head_end = memmem(head, (size_t)(end - head), "\r\n\r\n", 4);
		if (head_end == NULL && end - head >= 2 && head[0] == '\r' && head[1] == '\n')
			head_end = head - 2;   /* no header lines at all */
		if (head_end == NULL || head_end - head > WEB_MULTIPART_MAX_HEADER)
			return -1;
		data = head_end + 4;
		if (data > end)
			return -1;
		next = memmem(data, (size_t)(end - data), delim, dlen);
		if (next == NULL)
			return -1;
		disp = web_part_header(head, (size_t)(head_end - head > 0 ? head_end - head : 0),
				       "Content-Disposition", &disp_len);
		if (disp == NULL || disp_len < 9 || !mem_iequal(disp, "form-data", 9))
			return -1;
		name = web_header_param(pool, disp, disp_len, "name");
		filename = web_header_param(pool, disp, disp_len, "filename");
		if (name == NULL || !web_text_valid((const unsigned char *)name, strlen(name)))
			return -1;
		if (filename != NULL) {
			const char *base = filename;

			if (!web_text_valid((const unsigned char *)filename, strlen(filename)) ||
			    strpbrk(filename, "\r\n") != NULL)
				return -1;
			for (const char *c = filename; *c != '\0'; c++) {
				if (*c == '/' || *c == '\\')
					base = c + 1;
			}
			if (*base == '\0')
				goto next_part;   /* an empty file input */
			if (file_count == max_files)
				return -1;
			type = web_part_header(head, (size_t)(head_end - head > 0 ? head_end - head : 0),
					       "Content-Type", &type_len);
			files[file_count].field = name;
			files[file_count].filename = base;
			files[file_count].content_type = type != NULL ?
				p_strndup(pool, type, type_len) : NULL;
			files[file_count].data = (const unsigned char *)data;
			files[file_count].size = (size_t)(next - data);
			file_count++;
		} else {
			struct web_form_field *f;

			if (form_r->count == WEB_FORM_MAX_FIELDS ||
			    !web_text_valid((const unsigned char *)data, (size_t)(next - data)))
				return -1;
			f = &form_r->fields[form_r->count++];
			f->name = name;
			f->value = p_strndup(pool, data, (size_t)(next - data));
		}
next_part:
		p = next + dlen;
	}
	*file_count_r = file_count;
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
