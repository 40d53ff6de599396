#include "dav-headers.h"
#include "pool.h"
#include "secret.h"
#include "strutil.h"

#include <string.h>

int dav_depth_parse(const char *value)
{
	if (value == NULL)
		return DAV_DEPTH_ABSENT;
	if (strcmp(value, "0") == 0)
		return 0;
	if (strcmp(value, "1") == 0)
		return 1;
	if (str_iequal(value, "infinity"))
		return DAV_DEPTH_INFINITY;
	return DAV_DEPTH_INVALID;
}

bool dav_etag_listed(const char *list, const char *etag)
{
	const char *p = list;
	size_t len = strlen(etag);

	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p == '*')
			return etag[0] != '\0';
		if (str_begins(p, "W/")) {
			/* a weak tag never passes a strong comparison */
			p += strcspn(p, ",");
			continue;
		}
		if (len > 0 && strncmp(p, etag, len) == 0 &&
		    (p[len] == '\0' || p[len] == ',' || p[len] == ' ' || p[len] == '\t'))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

bool dav_basic_parse(struct pool *pool, const char *header, const char **user_r,
		     char **password_r)
{
	unsigned char buf[DAV_AUTH_MAX];
	size_t len, b64_len;
	const char *b64;
	char *colon, *text;

	if (header == NULL || !str_begins_icase(header, "Basic "))
		return false;
	b64 = header + 6;
	while (*b64 == ' ')
		b64++;
	b64_len = strlen(b64);
	while (b64_len > 0 && b64[b64_len - 1] == ' ')
		b64_len--;
	if (b64_len == 0 || b64_len > DAV_AUTH_MAX ||
	    secret_base64_decode(b64, b64_len, buf, sizeof(buf) - 1, &len) < 0)
		return false;
	if (memchr(buf, '\0', len) != NULL) {
		secret_wipe(buf, sizeof(buf));
		return false;
	}
	text = p_strndup(pool, buf, len);
	secret_wipe(buf, sizeof(buf));
	/* RFC 7617 2: the user-id cannot contain a colon; the password can */
	colon = strchr(text, ':');
	if (colon == NULL || colon == text || colon[1] == '\0') {
		secret_wipe(text, len);
		return false;
	}
	*colon = '\0';
	*user_r = text;
	*password_r = colon + 1;
	return true;
}

bool dav_brief(const char *brief, const char *prefer)
{
	return (brief != NULL && str_iequal(brief, "t")) ||
		(prefer != NULL && strstr(prefer, "return=minimal") != NULL);
}
