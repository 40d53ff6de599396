#include "dav-path.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

#define DAV_PATH_MAX_SEGMENTS 6

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one segment; NUL, '/' and control characters are refused. */
static const char *segment_decode(struct pool *pool, const char *s, size_t len)
{
	char *out = p_malloc(pool, len + 1), *o = out;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '/')
			return NULL;
		*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

int dav_path_parse(struct pool *pool, const char *target, struct dav_path *path_r)
{
	const char *segs[DAV_PATH_MAX_SEGMENTS];
	unsigned int n = 0;
	const char *p, *end;
	size_t len;

	memset(path_r, 0, sizeof(*path_r));
	if (target == NULL)
		return -1;
	/* an href may be an absolute URL (RFC 4918 8.3) */
	if (str_begins_icase(target, "https://") || str_begins_icase(target, "http://")) {
		const char *host = strstr(target, "://") + 3;

		target = strchr(host, '/');
		if (target == NULL)
			return -1;
	}
	len = strcspn(target, "?#");
	if (len > DAV_PATH_MAX || !str_begins(target, "/dav") )
		return -1;
	if (len < 4 || (len > 4 && target[4] != '/'))
		return -1;
	p = target + 4;
	end = target + len;
	path_r->trailing_slash = len > 4 && end[-1] == '/';
	while (p < end) {
		const char *seg_end;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		seg_end = memchr(p, '/', (size_t)(end - p));
		if (seg_end == NULL)
			seg_end = end;
		if (n == DAV_PATH_MAX_SEGMENTS)
			return -1;
		segs[n] = segment_decode(pool, p, (size_t)(seg_end - p));
		if (segs[n] == NULL || *segs[n] == '\0' || strcmp(segs[n], ".") == 0 ||
		    strcmp(segs[n], "..") == 0)
			return -1;
		n++;
		p = seg_end;
	}
	if (n == 0) {
		path_r->kind = DAV_PATH_ROOT;
		return 0;
	}
	if (strcmp(segs[0], "principals") == 0) {
		if (n == 1)
			path_r->kind = DAV_PATH_PRINCIPALS;
		else if (n == 2)
			path_r->kind = DAV_PATH_PRINCIPAL;
		else
			return -1;
	} else if (strcmp(segs[0], "calendars") == 0 && n >= 2 && n <= 4) {
		if (n == 2)
			path_r->kind = DAV_PATH_CAL_HOME;
		else if (n == 3 && strcmp(segs[2], "inbox") == 0)
			path_r->kind = DAV_PATH_SCHED_INBOX;
		else if (n == 3 && strcmp(segs[2], "outbox") == 0)
			path_r->kind = DAV_PATH_SCHED_OUTBOX;
		else if (n == 3)
			path_r->kind = DAV_PATH_CALENDAR;
		else if (strcmp(segs[2], "inbox") == 0 || strcmp(segs[2], "outbox") == 0)
			return -1;
		else
			path_r->kind = DAV_PATH_CAL_OBJECT;
	} else if (strcmp(segs[0], "addressbooks") == 0 && n >= 2 && n <= 4) {
		path_r->kind = n == 2 ? DAV_PATH_CARD_HOME :
			n == 3 ? DAV_PATH_ADDRESSBOOK : DAV_PATH_CARD;
	} else {
		return -1;
	}
	if (n >= 2)
		path_r->address = segs[1];
	if (n >= 3)
		path_r->collection = segs[2];
	if (n >= 4)
		path_r->resource = segs[3];
	return 0;
}

bool dav_path_is_collection(enum dav_path_kind kind)
{
	return kind != DAV_PATH_CAL_OBJECT && kind != DAV_PATH_CARD &&
		kind != DAV_PATH_NONE;
}

const char *dav_path_escape(struct pool *pool, const char *segment)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(segment);
	char *out = p_malloc(pool, len * 3 + 1), *o = out;

	for (const char *s = segment; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@+=,", c) != NULL) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

const char *dav_path_href(struct pool *pool, enum dav_path_kind kind,
			  const char *address, const char *collection,
			  const char *resource)
{
	const char *a = address != NULL ? dav_path_escape(pool, address) : "";
	const char *c = collection != NULL ? dav_path_escape(pool, collection) : "";
	const char *r = resource != NULL ? dav_path_escape(pool, resource) : "";

	switch (kind) {
	case DAV_PATH_ROOT:
		return "/dav/";
	case DAV_PATH_PRINCIPALS:
		return "/dav/principals/";
	case DAV_PATH_PRINCIPAL:
		return p_printf(pool, "/dav/principals/%s/", a);
	case DAV_PATH_CAL_HOME:
		return p_printf(pool, "/dav/calendars/%s/", a);
	case DAV_PATH_SCHED_INBOX:
		return p_printf(pool, "/dav/calendars/%s/inbox/", a);
	case DAV_PATH_SCHED_OUTBOX:
		return p_printf(pool, "/dav/calendars/%s/outbox/", a);
	case DAV_PATH_CALENDAR:
		return p_printf(pool, "/dav/calendars/%s/%s/", a, c);
	case DAV_PATH_CAL_OBJECT:
		return p_printf(pool, "/dav/calendars/%s/%s/%s", a, c, r);
	case DAV_PATH_CARD_HOME:
		return p_printf(pool, "/dav/addressbooks/%s/", a);
	case DAV_PATH_ADDRESSBOOK:
		return p_printf(pool, "/dav/addressbooks/%s/%s/", a, c);
	case DAV_PATH_CARD:
		return p_printf(pool, "/dav/addressbooks/%s/%s/%s", a, c, r);
	case DAV_PATH_NONE:
		break;
	}
	return "/dav/";
}
