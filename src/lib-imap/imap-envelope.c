/*
 * ENVELOPE strings back into their parts. The IMAP command parser cannot
 * read them: an address list is addresses with no space between them
 * ("((...)(...))", RFC 9051 9 env-to), which no command argument allows.
 * This reads the response syntax instead: lists, NIL, quoted strings and
 * literals.
 */
#include "imap-envelope.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

/* ENVELOPE field positions (RFC 9051 7.5.2) */
enum {
	ENV_DATE = 0,
	ENV_SUBJECT = 1,
	ENV_FROM = 2,
	ENV_TO = 5,
	ENV_CC = 6,
	ENV_FIELDS = 10,
};

struct env_reader {
	struct pool *pool;
	const char *p;
};

static void env_skip_sp(struct env_reader *r)
{
	while (*r->p == ' ')
		r->p++;
}

/* nstring: 1 with *str_r (NULL for NIL), 0 if none is here, -1 bad */
static int env_nstring(struct env_reader *r, const char **str_r)
{
	env_skip_sp(r);
	if (strncmp(r->p, "NIL", 3) == 0) {
		r->p += 3;
		*str_r = NULL;
		return 1;
	}
	if (*r->p == '"') {
		char *out = p_malloc(r->pool, strlen(r->p) + 1), *w = out;

		for (r->p++; *r->p != '"'; r->p++) {
			if (*r->p == '\0')
				return -1;
			if (*r->p == '\\' && r->p[1] != '\0')
				r->p++;
			*w++ = *r->p;
		}
		r->p++;
		*w = '\0';
		*str_r = out;
		return 1;
	}
	if (*r->p == '{') {
		char *end;
		unsigned long len = strtoul(r->p + 1, &end, 10);

		if (end == r->p + 1 || strncmp(end, "}\r\n", 3) != 0 ||
		    strnlen(end + 3, len) < len)
			return -1;
		*str_r = p_strndup(r->pool, end + 3, len);
		r->p = end + 3 + len;
		return 1;
	}
	return 0;
}

/* Skip one value of any kind (string, NIL, list). 0 or -1. */
static int env_skip(struct env_reader *r)
{
	const char *str;
	int ret = env_nstring(r, &str);

	if (ret != 0)
		return ret < 0 ? -1 : 0;
	if (*r->p != '(')
		return -1;
	for (r->p++;;) {
		env_skip_sp(r);
		if (*r->p == ')') {
			r->p++;
			return 0;
		}
		if (env_skip(r) < 0)
			return -1;
	}
}

/* An address list, or NIL: the first entry with a mailbox, which for a
   group is its start marker, the group's name (RFC 5256 3 sorts on that
   as Dovecot does); the end marker is all NIL. 0 or -1. */
static int env_first_addr(struct env_reader *r, struct imap_envelope_addr *addr_r)
{
	const char *str;
	int ret;

	memset(addr_r, 0, sizeof(*addr_r));
	if ((ret = env_nstring(r, &str)) != 0)
		return ret < 0 || str != NULL ? -1 : 0;
	if (*r->p != '(')
		return -1;
	for (r->p++;;) {
		const char *f[4];

		env_skip_sp(r);
		if (*r->p == ')') {
			r->p++;
			return 0;
		}
		if (*r->p != '(')
			return -1;
		r->p++;
		for (unsigned int i = 0; i < 4; i++) {
			if (env_nstring(r, &f[i]) <= 0)
				return -1;
		}
		env_skip_sp(r);
		if (*r->p != ')')
			return -1;
		r->p++;
		if (addr_r->mailbox == NULL && f[2] != NULL) {
			addr_r->name = f[0];
			addr_r->mailbox = f[2];
			addr_r->host = f[3];
		}
	}
}

int imap_envelope_parse(struct pool *pool, const char *env,
			struct imap_envelope *env_r)
{
	struct env_reader r = { .pool = pool, .p = env };

	memset(env_r, 0, sizeof(*env_r));
	env_skip_sp(&r);
	if (*r.p++ != '(')
		return -1;
	for (unsigned int i = 0; i < ENV_FIELDS; i++) {
		int ret;

		switch (i) {
		case ENV_DATE:
			ret = env_nstring(&r, &env_r->date) > 0 ? 0 : -1;
			break;
		case ENV_SUBJECT:
			ret = env_nstring(&r, &env_r->subject) > 0 ? 0 : -1;
			break;
		case ENV_FROM:
			ret = env_first_addr(&r, &env_r->from);
			break;
		case ENV_TO:
			ret = env_first_addr(&r, &env_r->to);
			break;
		case ENV_CC:
			ret = env_first_addr(&r, &env_r->cc);
			break;
		default:
			ret = env_skip(&r);
			break;
		}
		if (ret < 0)
			return -1;
	}
	env_skip_sp(&r);
	return *r.p == ')' ? 0 : -1;
}
