#ifndef INFOSTORE_WEB_ENVELOPE_H
#define INFOSTORE_WEB_ENVELOPE_H

/*
 * Reading back the IMAP ENVELOPE stored with every message (RFC 9051
 * 7.5.2) for the message list: subject and first sender. No I/O; fuzzed.
 * Values come back raw (RFC 2047 encoded words are not decoded here).
 */

struct pool;

struct web_envelope {
	const char *date;        /* Date: as written, or NULL */
	const char *subject;     /* or NULL */
	const char *from_name;   /* display name of the first From, or NULL */
	const char *from_addr;   /* "user@host" of the first From, or NULL */
	const char *to_addr;     /* first To address, or NULL */
};

/* 0, or -1 if env is not a well-formed ENVELOPE (fields parsed so far are
   kept). */
int web_envelope_parse(struct pool *pool, const char *env,
		       struct web_envelope *env_r);

#endif
