/*
 * An allow-list HTML sanitiser for mail bodies. It tokenizes roughly as
 * the HTML Standard does (13.2.5: tags, attributes with quoted and
 * unquoted values, comments, raw-text elements) and rebuilds a document
 * from what it allows, so whatever it did not understand is dropped, not
 * passed through.
 */
#include "web-sanitize.h"
#include "web-html.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

#define SANITIZE_MAX_DEPTH 100
#define SANITIZE_MAX_ATTRS 32
#define SANITIZE_NAME_MAX 32

/* Elements kept (their attributes filtered). Void elements are marked. */
static const struct {
	const char *name;
	bool is_void;
} sanitize_elements[] = {
	{ "a", false }, { "abbr", false }, { "address", false }, { "article", false },
	{ "b", false }, { "big", false }, { "blockquote", false }, { "br", true },
	{ "caption", false }, { "center", false }, { "cite", false }, { "code", false },
	{ "col", true }, { "colgroup", false }, { "dd", false }, { "del", false },
	{ "div", false }, { "dl", false }, { "dt", false }, { "em", false },
	{ "figcaption", false }, { "figure", false }, { "font", false },
	{ "footer", false }, { "h1", false }, { "h2", false }, { "h3", false },
	{ "h4", false }, { "h5", false }, { "h6", false }, { "header", false },
	{ "hr", true }, { "i", false }, { "img", true }, { "ins", false },
	{ "kbd", false }, { "li", false }, { "mark", false }, { "ol", false },
	{ "p", false }, { "pre", false }, { "q", false }, { "s", false },
	{ "samp", false }, { "section", false }, { "small", false }, { "span", false },
	{ "strike", false }, { "strong", false }, { "sub", false }, { "sup", false },
	{ "table", false }, { "tbody", false }, { "td", false }, { "tfoot", false },
	{ "th", false }, { "thead", false }, { "tr", false }, { "tt", false },
	{ "u", false }, { "ul", false }, { "var", false }, { "wbr", true },
};

/* Elements dropped together with their content. */
static const char *const sanitize_dropped[] = {
	"script", "style", "title", "head", "iframe", "object", "embed", "applet",
	"frame", "frameset", "noscript", "noembed", "noframes", "template", "svg",
	"math", "textarea", "select", "xmp", "plaintext", "audio", "video",
	"canvas", "button", "form", "option", "datalist", "dialog",
};

/* Attributes kept on any kept element (besides href/src/style). */
static const char *const sanitize_attrs[] = {
	"alt", "title", "width", "height", "align", "valign", "bgcolor", "color",
	"border", "cellpadding", "cellspacing", "colspan", "rowspan", "dir", "lang",
	"face", "size", "start", "type", "reversed", "span", "nowrap", "cite",
	"datetime", "summary", "abbr", "scope", "headers", "hspace", "vspace",
};

struct sanitize_attr {
	char name[SANITIZE_NAME_MAX];
	const char *value;    /* raw, may hold entities; NULL: no value */
	size_t value_len;
};

struct sanitizer {
	struct pool *pool;
	const struct web_sanitize_settings *set;
	struct web_sanitize_result *result;
	struct buffer *out;
	const char *p, *end;
	unsigned int stack[SANITIZE_MAX_DEPTH];  /* indexes into elements */
	unsigned int depth;
};

static int sanitize_element_index(const char *name)
{
	for (size_t i = 0; i < sizeof(sanitize_elements) / sizeof(sanitize_elements[0]); i++) {
		if (strcmp(sanitize_elements[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

static bool sanitize_is_dropped(const char *name)
{
	for (size_t i = 0; i < sizeof(sanitize_dropped) / sizeof(sanitize_dropped[0]); i++) {
		if (strcmp(sanitize_dropped[i], name) == 0)
			return true;
	}
	return false;
}

static bool sanitize_attr_allowed(const char *name)
{
	for (size_t i = 0; i < sizeof(sanitize_attrs) / sizeof(sanitize_attrs[0]); i++) {
		if (strcmp(sanitize_attrs[i], name) == 0)
			return true;
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* "&name;" "&#123;" "&#x1f;": does an entity of that shape start at p? */
static size_t entity_len(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && *q == '#') {
		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			q++;
			while (q < end && (is_alnum(*q)) && q - p < 12)
				q++;
		} else {
			while (q < end && *q >= '0' && *q <= '9' && q - p < 12)
				q++;
		}
	} else {
		while (q < end && is_alnum(*q) && q - p < 40)
			q++;
	}
	if (q < end && *q == ';' && q > p + 1 && !(q == p + 2 && p[1] == '#'))
		return (size_t)(q - p + 1);
	return 0;
}

/* Text: kept as is, but every '<' and '>' escaped and every '&' that
   does not start a well-shaped entity escaped too. */
static void sanitize_text(struct sanitizer *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		size_t n = 0, elen;

		while (p + n < end && p[n] != '&')
			n++;
		html_escape(s->out, p, n);
		p += n;
		if (p >= end)
			break;
		if (*p == '&' && (elen = entity_len(p, end)) > 0 &&
		    memchr(p, '\0', elen) == NULL) {
			buffer_append(s->out, p, elen);
			p += elen;
		} else {
			html_escape(s->out, p, 1);
			p++;
		}
	}
}

static unsigned int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned int)(c - 'A' + 10);
	return 16;
}

static void utf8_put(struct buffer *b, unsigned int cp)
{
	char u[4];

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		buffer_append_c(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		buffer_append(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buffer_append(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buffer_append(b, u, 4);
	}
}

/*
 * Decode an attribute value: numeric references and the few named ones
 * that matter for hiding a URL scheme. *unknown_r is set if a named
 * reference we do not know appeared (a URL with one is refused).
 */
static const char *sanitize_decode(struct sanitizer *s, const char *v, size_t len,
				   bool *unknown_r)
{
	static const struct { const char *name; unsigned int cp; } named[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
		{ "apos", '\'' }, { "colon", ':' }, { "Tab", '\t' }, { "NewLine", '\n' },
		{ "nbsp", 0xa0 }, { "sol", '/' }, { "lpar", '(' }, { "rpar", ')' },
		{ "period", '.' }, { "semi", ';' }, { "num", '#' }, { "equals", '=' },
	};
	struct buffer b;
	const char *end = v + len;

	*unknown_r = false;
	buffer_init_pool(&b, s->pool, 0);
	while (v < end) {
		if (*v != '&') {
			buffer_append_c(&b, *v++);
			continue;
		}
		if (v + 1 < end && v[1] == '#') {
			/* numeric, with or without ';' (browsers accept both) */
			const char *q = v + 2;
			unsigned int cp = 0, base = 10, digits = 0;

			if (q < end && (*q == 'x' || *q == 'X')) {
				base = 16;
				q++;
			}
			while (q < end && hex_digit(*q) < base) {
				if (cp < 0x110000)
					cp = cp * base + hex_digit(*q);
				q++;
				digits++;
			}
			if (digits == 0) {
				*unknown_r = true;
				buffer_append_c(&b, *v++);
				continue;
			}
			if (q < end && *q == ';')
				q++;
			utf8_put(&b, cp);
			v = q;
			continue;
		}
		{
			const char *q = v + 1;
			size_t i;

			while (q < end && is_alnum(*q))
				q++;
			for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
				size_t nlen = strlen(named[i].name);

				if ((size_t)(q - v - 1) == nlen &&
				    memcmp(v + 1, named[i].name, nlen) == 0)
					break;
			}
			if (i < sizeof(named) / sizeof(named[0])) {
				utf8_put(&b, named[i].cp);
				v = q < end && *q == ';' ? q + 1 : q;
			} else {
				if (q > v + 1)
					*unknown_r = true;
				buffer_append_c(&b, *v++);
			}
		}
	}
	return b.data != NULL ? b.data : "";
}

/* The URL with every ASCII control and space removed (browsers ignore
   them inside schemes: "java\tscript:"), lowercased prefix check. */
static bool url_has_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme), k = 0;

	for (const char *p = url; *p != '\0' && k < n; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20)
			continue;
		if ((char)(c >= 'A' && c <= 'Z' ? c + 32 : c) != scheme[k])
			return false;
		k++;
	}
	return k == n;
}

static void sanitize_emit_attr(struct sanitizer *s, const char *name,
			       const char *value)
{
	html_printf(s->out, " %S=\"%s\"", name, value);
}

/* CSS in a style attribute: refuse anything that can load or run. */
static bool sanitize_style_ok(const char *css)
{
	static const char *const bad[] = {
		"url(", "expression", "@import", "javascript", "behavior", "binding",
		"\\", "image-set", "src(", "<", "/*",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mem_imem(css, strlen(css), bad[i], strlen(bad[i])) != NULL)
			return false;
	}
	return true;
}

static void sanitize_start_tag(struct sanitizer *s, const char *name,
			       struct sanitize_attr *attrs, unsigned int count,
			       bool self_closing)
{
	int idx = sanitize_element_index(name);
	bool is_a = strcmp(name, "a") == 0, is_img = strcmp(name, "img") == 0;
	bool have_src = false;

	if (idx < 0)
		return;
	if (!sanitize_elements[idx].is_void && s->depth == SANITIZE_MAX_DEPTH)
		return;
	(void)self_closing;
	html_printf(s->out, "<%S", name);
	for (unsigned int i = 0; i < count; i++) {
		const char *n = attrs[i].name;
		bool unknown;
		const char *v;

		if (attrs[i].value == NULL)
			continue;
		v = sanitize_decode(s, attrs[i].value, attrs[i].value_len, &unknown);
		if (strcmp(n, "href") == 0 && is_a) {
			if (unknown)
				continue;
			if (url_has_scheme(v, "http:") || url_has_scheme(v, "https:") ||
			    url_has_scheme(v, "mailto:"))
				sanitize_emit_attr(s, "href", v);
		} else if (strcmp(n, "src") == 0 && is_img) {
			if (unknown)
				continue;
			if (url_has_scheme(v, "cid:")) {
				const char *cid = strchr(v, ':') + 1;
				const char *local = s->set->cid != NULL ?
					s->set->cid(s->set->context, cid) : NULL;

				if (local != NULL) {
					sanitize_emit_attr(s, "src", local);
					have_src = true;
				}
			} else if (url_has_scheme(v, "http:") || url_has_scheme(v, "https:")) {
				if (s->set->allow_remote) {
					sanitize_emit_attr(s, "src", v);
					have_src = true;
				} else {
					s->result->remote_blocked++;
				}
			}
		} else if (strcmp(n, "style") == 0) {
			if (!unknown && sanitize_style_ok(v))
				sanitize_emit_attr(s, "style", v);
		} else if (sanitize_attr_allowed(n)) {
			sanitize_emit_attr(s, n, v);
		}
	}
	if (is_a)
		buffer_append_str(s->out, " target=\"_blank\" rel=\"noopener noreferrer\"");
	if (is_img && !have_src)
		buffer_append_str(s->out, " data-blocked=\"\"");
	buffer_append_c(s->out, '>');
	if (!sanitize_elements[idx].is_void)
		s->stack[s->depth++] = (unsigned int)idx;
}

static void sanitize_end_tag(struct sanitizer *s, const char *name)
{
	int idx = sanitize_element_index(name);
	unsigned int i;

	if (idx < 0 || sanitize_elements[idx].is_void)
		return;
	for (i = s->depth; i > 0; i--) {
		if (s->stack[i - 1] == (unsigned int)idx)
			break;
	}
	if (i == 0)
		return; /* not open: ignore */
	while (s->depth >= i) {
		s->depth--;
		html_printf(s->out, "</%S>", sanitize_elements[s->stack[s->depth]].name);
	}
}

/* Skip to after "</name" ... '>' (raw text elements), or to the end. */
static void sanitize_skip_raw(struct sanitizer *s, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, "plaintext") == 0) {
		s->p = s->end;
		return;
	}
	while (s->p < s->end) {
		const char *lt = memchr(s->p, '<', (size_t)(s->end - s->p));

		if (lt == NULL) {
			s->p = s->end;
			return;
		}
		s->p = lt + 1;
		if ((size_t)(s->end - s->p) > n && *s->p == '/' &&
		    mem_iequal(s->p + 1, name, n) &&
		    (s->p + 1 + n == s->end || is_space(s->p[1 + n]) ||
		     s->p[1 + n] == '>' || s->p[1 + n] == '/')) {
			const char *gt = memchr(s->p, '>', (size_t)(s->end - s->p));

			s->p = gt != NULL ? gt + 1 : s->end;
			return;
		}
	}
}

static void sanitize_tag_name(struct sanitizer *s, char name[SANITIZE_NAME_MAX])
{
	size_t n = 0;

	while (s->p < s->end && !is_space(*s->p) && *s->p != '/' && *s->p != '>') {
		if (n < SANITIZE_NAME_MAX - 1) {
			char c = *s->p;

			name[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
		}
		s->p++;
	}
	name[n] = '\0';
}

/* After "<name": attributes up to '>' (HTML Standard 13.2.5.32-39). */
static void sanitize_attributes(struct sanitizer *s, struct sanitize_attr *attrs,
				unsigned int *count_r, bool *self_closing_r)
{
	*count_r = 0;
	*self_closing_r = false;
	while (s->p < s->end) {
		struct sanitize_attr a;
		size_t n = 0;

		while (s->p < s->end && (is_space(*s->p) || *s->p == '/')) {
			if (*s->p == '/' && s->p + 1 < s->end && s->p[1] == '>')
				*self_closing_r = true;
			s->p++;
		}
		if (s->p >= s->end)
			return;
		if (*s->p == '>') {
			s->p++;
			return;
		}
		memset(&a, 0, sizeof(a));
		/* the first character may be '=' (it is then part of the name) */
		do {
			char c = *s->p;

			if (n < SANITIZE_NAME_MAX - 1)
				a.name[n++] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
			s->p++;
		} while (s->p < s->end && !is_space(*s->p) && *s->p != '/' &&
			 *s->p != '>' && *s->p != '=');
		while (s->p < s->end && is_space(*s->p))
			s->p++;
		if (s->p < s->end && *s->p == '=') {
			s->p++;
			while (s->p < s->end && is_space(*s->p))
				s->p++;
			if (s->p < s->end && (*s->p == '"' || *s->p == '\'')) {
				char q = *s->p++;
				const char *close = memchr(s->p, q, (size_t)(s->end - s->p));

				if (close == NULL)
					close = s->end;
				a.value = s->p;
				a.value_len = (size_t)(close - s->p);
				s->p = close < s->end ? close + 1 : s->end;
			} else {
				a.value = s->p;
				while (s->p < s->end && !is_space(*s->p) && *s->p != '>')
					s->p++;
				a.value_len = (size_t)(s->p - a.value);
			}
		} else {
			a.value = "";
		}
		/* duplicates: the first wins (13.2.5.33) */
		{
			bool dup = false;

			for (unsigned int i = 0; i < *count_r; i++)
				dup = dup || strcmp(attrs[i].name, a.name) == 0;
			if (!dup && *count_r < SANITIZE_MAX_ATTRS)
				attrs[(*count_r)++] = a;
		}
	}
}

static void sanitize_markup(struct sanitizer *s)
{
	/* s->p is just after '<' */
	if (s->p < s->end && *s->p == '!') {
		if (s->end - s->p >= 3 && s->p[1] == '-' && s->p[2] == '-') {
			const char *q = s->p + 3, *close = NULL;

			for (; q + 3 <= s->end; q++) {
				if (q[0] == '-' && q[1] == '-' && q[2] == '>') {
					close = q + 3;
					break;
				}
			}
			s->p = close != NULL ? close : s->end;
			return;
		}
	}
	if (s->p < s->end && (*s->p == '!' || *s->p == '?')) {
		const char *gt = memchr(s->p, '>', (size_t)(s->end - s->p));

		s->p = gt != NULL ? gt + 1 : s->end;
		return;
	}
	if (s->p < s->end && *s->p == '/') {
		char name[SANITIZE_NAME_MAX];
		const char *gt;

		s->p++;
		sanitize_tag_name(s, name);
		gt = memchr(s->p, '>', (size_t)(s->end - s->p));
		s->p = gt != NULL ? gt + 1 : s->end;
		sanitize_end_tag(s, name);
		return;
	}
	{
		char name[SANITIZE_NAME_MAX];
		struct sanitize_attr attrs[SANITIZE_MAX_ATTRS];
		unsigned int count;
		bool self_closing;

		sanitize_tag_name(s, name);
		sanitize_attributes(s, attrs, &count, &self_closing);
		if (sanitize_is_dropped(name)) {
			if (!self_closing)
				sanitize_skip_raw(s, name);
			return;
		}
		sanitize_start_tag(s, name, attrs, count, self_closing);
	}
}

void web_sanitize_html(struct pool *pool, const char *html, size_t len,
		       const struct web_sanitize_settings *set,
		       struct buffer *out, struct web_sanitize_result *result_r)
{
	struct sanitizer s;

	memset(&s, 0, sizeof(s));
	memset(result_r, 0, sizeof(*result_r));
	s.pool = pool;
	s.set = set;
	s.result = result_r;
	s.out = out;
	s.p = html;
	s.end = html + len;
	while (s.p < s.end) {
		const char *lt = memchr(s.p, '<', (size_t)(s.end - s.p));
		const char *text_end = lt != NULL ? lt : s.end;

		sanitize_text(&s, s.p, (size_t)(text_end - s.p));
		s.p = text_end;
		if (lt == NULL)
			break;
		/* a tag starts with a letter, '/', '!' or '?' (13.2.5.6) */
		if (lt + 1 < s.end && (is_alpha(lt[1]) || lt[1] == '!' || lt[1] == '?' ||
				       (lt[1] == '/' && lt + 2 < s.end && is_alpha(lt[2])))) {
			s.p = lt + 1;
			sanitize_markup(&s);
		} else {
			buffer_append_str(out, "&lt;");
			s.p = lt + 1;
		}
	}
	while (s.depth > 0) {
		s.depth--;
		html_printf(out, "</%S>", sanitize_elements[s.stack[s.depth]].name);
	}
}
