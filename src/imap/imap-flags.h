#ifndef INFOSTORE_IMAP_FLAGS_H
#define INFOSTORE_IMAP_FLAGS_H

/*
 * Message flags on the wire (RFC 9051 2.3.2): system flags as store bits,
 * keywords as a space-separated string (the store's form).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buffer;
struct imap_arg;
struct pool;

#define IMAP_SYSTEM_FLAGS "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
/* Keywords a mailbox may have; more are refused with [LIMIT]. */
#define IMAP_MAX_KEYWORDS 200

/*
 * Parse flags from args (up to EOL): "\Seen", keywords. \Recent is
 * accepted and ignored (RFC 3501 2.3.2: clients cannot set it).
 * *keywords_r is NULL when there are none. 0, or -1 with *error_r.
 */
int imap_flags_parse(struct pool *pool, const struct imap_arg *args,
		     uint32_t *flags_r, const char **keywords_r,
		     const char **error_r);
/* Append "(\Seen $Label1)", with \Recent first if recent. */
void imap_flags_write(struct buffer *buf, uint32_t flags, const char *keywords,
		      bool recent);
/* Is kw (len bytes) one of the space-separated keywords in list? */
bool imap_keyword_in(const char *list, const char *kw, size_t len);

#endif
