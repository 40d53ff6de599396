#ifndef INFOSTORE_IMAP_ENVELOPE_H
#define INFOSTORE_IMAP_ENVELOPE_H

/*
 * Reading back an ENVELOPE (RFC 9051 7.5.2) stored with every message, for
 * what SORT (RFC 5256, RFC 5957) compares and the web access's message
 * list shows: the date, the subject and the first address of From, To and
 * Cc. No I/O; fuzzed.
 */

#include <stdbool.h>

struct pool;

struct imap_envelope_addr {
	const char *name;       /* display name as written (may hold
				   RFC 2047 words), or NULL */
	const char *mailbox;    /* local part, or NULL */
	const char *host;       /* domain, or NULL */
};

struct imap_envelope {
	const char *date;       /* Date: as written, or NULL */
	const char *subject;    /* as written, or NULL */
	struct imap_envelope_addr from, to, cc; /* the first of each */
};

/* Parse env (an ENVELOPE's parenthesised list). 0, or -1 if it is not
   one; strings come from pool. For a list that starts with a group the
   first address is the group's start marker: its name as mailbox, no
   host. */
int imap_envelope_parse(struct pool *pool, const char *env,
			struct imap_envelope *env_r);

#endif
