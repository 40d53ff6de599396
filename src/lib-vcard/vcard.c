/*
 * vCard reading (RFC 6350 vCard 4.0, RFC 2426 vCard 3.0): unfold the
 * whole card into one pool copy, then cut each logical line in place into
 * group, name, parameters and value, remembering where each line was. And
 * the few pieces an editor needs to write a line again.
 */
#include "vcard.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

static bool vcard_name_char(char c)
{
	/* RFC 6350 3.3: ALPHA / DIGIT / "-"; "_" is not allowed but is
	   written by real exporters */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void vcard_upcase(char *str)
{
	for (; *str != '\0'; str++) {
		if (*str >= 'a' && *str <= 'z')
			*str = (char)(*str - 'a' + 'A');
	}
}

/*
 * Unfold (RFC 6350 3.2) the whole input into one buffer of logical lines,
 * each NUL-terminated, line ends (CRLF or LF) dropped. Returns the number
 * of lines, or -1 with *error_r. out has room for size + 1 bytes:
 * unfolding only removes. spans gets each logical line's place in data
 * (start, then end past its line break): room for one per physical line.
 */
static int vcard_unfold(const char *data, size_t size, char *out,
			size_t (*spans)[2], const char **error_r)
{
	size_t pos = 0, out_len = 0, line_start = 0;
	int lines = 0;
	bool have_line = false;

	while (pos < size) {
		const char *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl != NULL ? (size_t)(nl - data) : size;
		size_t next = nl != NULL ? end + 1 : size;
		size_t from = pos;

		if (end > pos && data[end - 1] == '\r')
			end--;
		if (from < end && (data[from] == ' ' || data[from] == '\t')) {
			/* a continuation: its first white space goes too */
			if (!have_line) {
				*error_r = "a folded line with no line before it";
				return -1;
			}
			from++;
		} else {
			if (have_line) {
				out[out_len++] = '\0';
				lines++;
			}
			line_start = out_len;
			have_line = true;
			spans[lines][0] = pos;
		}
		spans[lines][1] = next;
		if (out_len - line_start + (end - from) > VCARD_MAX_LINE) {
			*error_r = "line too long";
			return -1;
		}
		memcpy(out + out_len, data + from, end - from);
		out_len += end - from;
		pos = next;
	}
	if (have_line) {
		out[out_len++] = '\0';
		lines++;
	}
	return lines;
}

/* Is the logical line "BEGIN:VCARD" / "END:VCARD" (any case, no params)? */
static bool vcard_line_is(const char *line, const char *keyword)
{
	size_t len = strlen(keyword);

	if (!str_begins_icase(line, keyword) || line[len] != ':')
		return false;
	return str_iequal(line + len + 1, "VCARD");
}

/*
 * Read the value of a parameter in place, from *pp (just after "="):
 * double quotes are dropped, what they enclose (";", ":", ",") is kept.
 * Stops at an unquoted ';' or ':' (or the end), where *pp is left; the
 * value is compacted to end at *end_r, which the caller terminates once
 * it has read **pp. -1 if a quote is left open.
 */
static int vcard_param_value_read(char **pp, char **end_r)
{
	char *p = *pp, *out = *pp;
	bool quoted = false;

	for (; *p != '\0'; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (*p == ';' || *p == ':'))
			break;
		*out++ = *p;
	}
	if (quoted)
		return -1;
	*pp = p;
	*end_r = out;
	return 0;
}

/* Cut one logical line into prop, in place. */
static int vcard_line_parse(struct pool *pool, char *line, struct vcard_prop *prop,
			    const char **error_r)
{
	struct vcard_param params[VCARD_MAX_PARAMS];
	unsigned int param_count = 0;
	char *p = line, *name = line, *dot = NULL;
	char stop;

	memset(prop, 0, sizeof(*prop));
	for (; vcard_name_char(*p) || *p == '.'; p++) {
		if (*p == '.') {
			if (dot != NULL || p == line) {
				*error_r = "invalid property name";
				return -1;
			}
			dot = p;
		}
	}
	if (*p != ';' && *p != ':') {
		*error_r = *p == '\0' ? "a line without \":\"" : "invalid property name";
		return -1;
	}
	if (p == line || (dot != NULL && dot + 1 == p) || p - line > VCARD_MAX_NAME * 2) {
		*error_r = "invalid property name";
		return -1;
	}
	stop = *p;
	*p++ = '\0';
	if (dot != NULL) {
		*dot = '\0';
		prop->group = line;
		name = dot + 1;
	}
	if (strlen(name) > VCARD_MAX_NAME) {
		*error_r = "invalid property name";
		return -1;
	}
	vcard_upcase(name);
	prop->name = name;

	while (stop == ';') {
		struct vcard_param *param;
		char *pname = p;

		for (; vcard_name_char(*p); p++) ;
		if (p == pname || p - pname > VCARD_MAX_NAME ||
		    (*p != '=' && *p != ';' && *p != ':')) {
			*error_r = *p == '\0' ? "a line without \":\"" : "invalid parameter name";
			return -1;
		}
		if (param_count >= VCARD_MAX_PARAMS) {
			*error_r = "too many parameters";
			return -1;
		}
		param = &params[param_count++];
		param->name = pname;
		param->value = NULL;
		if (*p == '=') {
			char *end;

			*p++ = '\0';
			param->value = p;
			if (vcard_param_value_read(&p, &end) < 0) {
				*error_r = "unterminated quoted parameter value";
				return -1;
			}
			if (*p == '\0') {
				*error_r = "a line without \":\"";
				return -1;
			}
			stop = *p;
			*p++ = '\0';
			*end = '\0';
		} else {
			stop = *p;
			*p++ = '\0';
		}
		vcard_upcase(pname);
	}
	prop->value = p;
	prop->param_count = param_count;
	if (param_count > 0) {
		prop->params = p_new(pool, struct vcard_param, param_count);
		memcpy(prop->params, params, sizeof(*params) * param_count);
	}
	return 0;
}

int vcard_parse(struct pool *pool, const void *data, size_t size,
		struct vcard **card_r, const char **error_r)
{
	struct vcard *card;
	size_t(*spans)[2], physical = 1;
	char *text, *line, *next;
	int lines;
	bool begun = false, ended = false;
	unsigned int uids = 0;

	*card_r = NULL;
	if (data == NULL)
		data = "";
	if (size > VCARD_MAX_SIZE) {
		*error_r = "vCard too big";
		return -1;
	}
	if (memchr(data, '\0', size) != NULL) {
		*error_r = "NUL in vCard";
		return -1;
	}
	text = p_malloc(pool, size + 1);
	/* a span per physical line is enough */
	for (size_t pos = 0; pos < size; pos++) {
		if (((const char *) data)[pos] == '\n')
			physical++;
	}
	spans = p_malloc(pool, sizeof(*spans) * physical);
	lines = vcard_unfold(data, size, text, spans, error_r);
	if (lines < 0)
		return -1;
	card = p_new(pool, struct vcard, 1);
	/* one property a line at most */
	card->props = p_new(pool, struct vcard_prop, lines > 0 ? (size_t)lines : 1);

	line = text;
	for (int i = 0; i < lines; i++, line = next) {
		struct vcard_prop *prop;

		/* before the line is cut in place */
		next = line + strlen(line) + 1;
		if (*line == '\0')
			continue;
		/* after unfolding: a fold may cut a character in two */
		if (!str_utf8_valid(line, strlen(line))) {
			*error_r = "vCard is not UTF-8";
			return -1;
		}
		if (ended) {
			*error_r = "data after END:VCARD";
			return -1;
		}
		if (!begun) {
			if (!vcard_line_is(line, "BEGIN")) {
				*error_r = "no BEGIN:VCARD";
				return -1;
			}
			begun = true;
			continue;
		}
		if (vcard_line_is(line, "END")) {
			ended = true;
			continue;
		}
		if (card->prop_count >= VCARD_MAX_PROPS) {
			*error_r = "too many properties";
			return -1;
		}
		prop = &card->props[card->prop_count];
		if (vcard_line_parse(pool, line, prop, error_r) < 0)
			return -1;
		prop->start = spans[i][0];
		prop->end = spans[i][1];
		if (strcmp(prop->name, "BEGIN") == 0 || strcmp(prop->name, "END") == 0) {
			/* RFC 2426 3.5.4 lets AGENT hold a vCard; written
			   inline it is a nested BEGIN, which we do not read */
			*error_r = "nested BEGIN or stray END in vCard";
			return -1;
		}
		card->prop_count++;
		if (strcmp(prop->name, "VERSION") == 0) {
			if (card->version != NULL) {
				*error_r = "VERSION given twice";
				return -1;
			}
			card->version = prop->value;
		} else if (strcmp(prop->name, "UID") == 0) {
			/* RFC 6350 6.7.6: at most one */
			if (uids++ > 0) {
				*error_r = "several UIDs";
				return -1;
			}
			card->uid = vcard_unescape(pool, prop->value);
		} else if (strcmp(prop->name, "FN") == 0 && card->fn == NULL) {
			card->fn = vcard_unescape(pool, prop->value);
		}
	}
	if (!begun) {
		*error_r = "no BEGIN:VCARD";
		return -1;
	}
	if (!ended) {
		*error_r = "no END:VCARD";
		return -1;
	}
	if (card->version == NULL) {
		/* RFC 6350 6.7.9, RFC 2426 3.6.9: required */
		*error_r = "no VERSION";
		return -1;
	}
	if (strcmp(card->version, "3.0") != 0 && strcmp(card->version, "4.0") != 0) {
		*error_r = "unsupported vCard VERSION (3.0 and 4.0 are)";
		return -1;
	}
	if (card->fn == NULL && strcmp(card->version, "4.0") == 0) {
		/* RFC 6350 6.2.1: FN is 1* */
		*error_r = "no FN";
		return -1;
	}
	*card_r = card;
	return 0;
}

const char *vcard_unescape(struct pool *pool, const char *value)
{
	size_t len;
	char *out, *o;

	if (value == NULL)
		return NULL;
	if (strchr(value, '\\') == NULL)
		return value;
	len = strlen(value);
	out = o = p_malloc(pool, len + 1);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*o++ = *p;
			continue;
		}
		p++;
		*o++ = *p == 'n' || *p == 'N' ? '\n' : *p;
	}
	*o = '\0';
	return out;
}

static unsigned int vcard_split_parts(struct pool *pool, const char *value,
				      char sep, bool unescape,
				      const char ***parts_r)
{
	unsigned int count = 1, n = 0;
	const char **parts;
	const char *start, *p;

	if (value == NULL)
		value = "";
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == sep)
			count++;
	}
	parts = p_new(pool, const char *, count);
	for (start = p = value;; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == sep || *p == '\0') {
			const char *part =
				p_strndup(pool, start, (size_t) (p - start));

			parts[n++] =
				unescape ? vcard_unescape(pool, part) : part;
			if (*p == '\0')
				break;
			start = p + 1;
		}
	}
	*parts_r = parts;
	return count;
}

unsigned int vcard_split(struct pool *pool, const char *value, char sep,
			 const char ***parts_r)
{
	return vcard_split_parts(pool, value, sep, true, parts_r);
}

unsigned int vcard_split_raw(struct pool *pool, const char *value, char sep,
			     const char ***parts_r)
{
	return vcard_split_parts(pool, value, sep, false, parts_r);
}

const struct vcard_prop *vcard_find(const struct vcard *card, const char *name)
{
	for (unsigned int i = 0; i < card->prop_count; i++) {
		if (str_iequal(card->props[i].name, name))
			return &card->props[i];
	}
	return NULL;
}

const char *vcard_param_value(const struct vcard_prop *prop, const char *name)
{
	for (unsigned int i = 0; i < prop->param_count; i++) {
		if (str_iequal(prop->params[i].name, name))
			return prop->params[i].value;
	}
	return NULL;
}

static bool vcard_mem_equal(const char *a, const char *b, size_t len, bool casemap)
{
	return casemap ? mem_iequal(a, b, len) : memcmp(a, b, len) == 0;
}

bool vcard_text_match(const char *value, const char *needle, bool casemap,
		      enum vcard_match_type match_type)
{
	size_t vlen, nlen;

	if (value == NULL || needle == NULL)
		return false;
	vlen = strlen(value);
	nlen = strlen(needle);
	switch (match_type) {
	case VCARD_MATCH_EQUALS:
		return vlen == nlen && vcard_mem_equal(value, needle, nlen, casemap);
	case VCARD_MATCH_STARTS_WITH:
		return vlen >= nlen && vcard_mem_equal(value, needle, nlen, casemap);
	case VCARD_MATCH_ENDS_WITH:
		return vlen >= nlen &&
			vcard_mem_equal(value + vlen - nlen, needle, nlen, casemap);
	case VCARD_MATCH_CONTAINS:
		if (nlen == 0)
			return true;
		if (casemap)
			return mem_imem(value, vlen, needle, nlen) != NULL;
		return memmem(value, vlen, needle, nlen) != NULL;
	}
	return false;
}

void vcard_escape(struct buffer *out, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
		case ',':
		case ';':
			buffer_append_c(out, '\\');
			buffer_append_c(out, *p);
			break;
		case '\r':
			if (p[1] == '\n')
				p++;
			/* fall through */
		case '\n':
			buffer_append_str(out, "\\n");
			break;
		default:
			buffer_append_c(out, *p);
			break;
		}
	}
}

/* RFC 6350 3.2: lines of at most 75 octets, a fold being CRLF and a
   space; a fold never cuts a UTF-8 character in two here (the RFC allows
   it, not every reader does). */
#define VCARD_FOLD_OCTETS 75

static void vcard_append_folded(struct buffer *out, const char *line,
				size_t len)
{
	size_t pos = 0, room = VCARD_FOLD_OCTETS;

	while (len - pos > room) {
		size_t cut = pos + room;

		/* back to the first byte of a character */
		while (cut > pos + 1 &&
		       ((unsigned char) line[cut] & 0xc0) == 0x80)
			cut--;
		buffer_append(out, line + pos, cut - pos);
		buffer_append_str(out, "\r\n ");
		pos = cut;
		room = VCARD_FOLD_OCTETS - 1;
	}
	buffer_append(out, line + pos, len - pos);
	buffer_append_str(out, "\r\n");
}

void vcard_write_prop(struct buffer *out, const struct vcard_prop *prop)
{
	struct buffer line;

	buffer_init(&line, 0);
	if (prop->group != NULL) {
		buffer_append_str(&line, prop->group);
		buffer_append_c(&line, '.');
	}
	buffer_append_str(&line, prop->name);
	for (unsigned int i = 0; i < prop->param_count; i++) {
		const struct vcard_param *param = &prop->params[i];

		buffer_append_c(&line, ';');
		buffer_append_str(&line, param->name);
		if (param->value == NULL)
			continue;
		buffer_append_c(&line, '=');
		/* commas stay bare: they separate a parameter's values */
		if (strpbrk(param->value, ";:") != NULL)
			buffer_append_c(&line, '"');
		for (const char *p = param->value; *p != '\0'; p++) {
			if (*p != '"')
				buffer_append_c(&line, *p);
		}
		if (strpbrk(param->value, ";:") != NULL)
			buffer_append_c(&line, '"');
	}
	buffer_append_c(&line, ':');
	buffer_append_str(&line, prop->value != NULL ? prop->value : "");
	vcard_append_folded(out, line.data, line.used);
	buffer_free(&line);
}
