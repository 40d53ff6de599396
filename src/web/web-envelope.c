#include "web-envelope.h"
#include "pool.h"
#include "strutil.h"

#include <stdbool.h>
#include <string.h>

struct env_parser {
	struct pool *pool;
	const char *p, *end;
};

static void env_skip_sp(struct env_parser *ep)
{
	while (ep->p < ep->end && *ep->p == ' ')
		ep->p++;
}

/* nstring: NIL, "quoted" or {n}CRLF literal (RFC 9051 4.3). */
static int env_nstring(struct env_parser *ep, const char **value_r)
{
	env_skip_sp(ep);
	*value_r = NULL;
	if (ep->end - ep->p >= 3 && mem_iequal(ep->p, "NIL", 3)) {
		ep->p += 3;
		return 0;
	}
	if (ep->p < ep->end && *ep->p == '"') {
		char *out = p_malloc(ep->pool, (size_t)(ep->end - ep->p));
		size_t o = 0;

		ep->p++;
		while (ep->p < ep->end && *ep->p != '"') {
			if (*ep->p == '\\') {
				ep->p++;
				if (ep->p == ep->end)
					return -1;
			}
			out[o++] = *ep->p++;
		}
		if (ep->p == ep->end)
			return -1;
		ep->p++;
		out[o] = '\0';
		*value_r = out;
		return 0;
	}
	if (ep->p < ep->end && *ep->p == '{') {
		uint64_t len;
		const char *close = memchr(ep->p, '}', (size_t)(ep->end - ep->p));

		if (close == NULL ||
		    mem_to_u64(ep->p + 1, (size_t)(close - ep->p - 1), 1 << 24, &len) < 0)
			return -1;
		ep->p = close + 1;
		if (ep->end - ep->p < 2 || ep->p[0] != '\r' || ep->p[1] != '\n')
			return -1;
		ep->p += 2;
		if ((uint64_t)(ep->end - ep->p) < len)
			return -1;
		*value_r = p_strndup(ep->pool, ep->p, (size_t)len);
		ep->p += len;
		return 0;
	}
	return -1;
}

/* An address list; the first real mailbox goes to name_r/addr_r. */
static int env_addresses(struct env_parser *ep, const char **name_r,
			 const char **addr_r)
{
	const char *dummy;
	unsigned int count = 0;

	env_skip_sp(ep);
	if (ep->end - ep->p >= 3 && mem_iequal(ep->p, "NIL", 3)) {
		ep->p += 3;
		return 0;
	}
	if (ep->p == ep->end || *ep->p != '(')
		return -1;
	ep->p++;
	for (;;) {
		const char *name, *mailbox, *host;

		env_skip_sp(ep);
		if (ep->p == ep->end)
			return -1;
		if (*ep->p == ')') {
			ep->p++;
			return 0;
		}
		if (*ep->p != '(' || ++count > 1000)
			return -1;
		ep->p++;
		if (env_nstring(ep, &name) < 0 || env_nstring(ep, &dummy) < 0 ||
		    env_nstring(ep, &mailbox) < 0 || env_nstring(ep, &host) < 0)
			return -1;
		env_skip_sp(ep);
		if (ep->p == ep->end || *ep->p != ')')
			return -1;
		ep->p++;
		/* a group start has a NIL host (RFC 9051 7.5.2) */
		if (addr_r != NULL && *addr_r == NULL && mailbox != NULL && host != NULL) {
			*addr_r = p_printf(ep->pool, "%s@%s", mailbox, host);
			if (name_r != NULL)
				*name_r = name;
		}
	}
}

int web_envelope_parse(struct pool *pool, const char *env,
		       struct web_envelope *env_r)
{
	struct env_parser ep = { pool, env, env + (env != NULL ? strlen(env) : 0) };
	const char *dummy;

	memset(env_r, 0, sizeof(*env_r));
	if (env == NULL || ep.p == ep.end || *ep.p != '(')
		return -1;
	ep.p++;
	if (env_nstring(&ep, &env_r->date) < 0 ||
	    env_nstring(&ep, &env_r->subject) < 0 ||
	    env_addresses(&ep, &env_r->from_name, &env_r->from_addr) < 0 ||
	    env_addresses(&ep, NULL, NULL) < 0 ||     /* sender */
	    env_addresses(&ep, NULL, NULL) < 0 ||     /* reply-to */
	    env_addresses(&ep, &dummy, &env_r->to_addr) < 0 ||
	    env_addresses(&ep, NULL, NULL) < 0 ||     /* cc */
	    env_addresses(&ep, NULL, NULL) < 0 ||     /* bcc */
	    env_nstring(&ep, &dummy) < 0 ||           /* in-reply-to */
	    env_nstring(&ep, &dummy) < 0)             /* message-id */
		return -1;
	env_skip_sp(&ep);
	if (ep.p == ep.end || *ep.p != ')')
		return -1;
	return 0;
}
