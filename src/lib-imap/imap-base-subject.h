#ifndef INFOSTORE_IMAP_BASE_SUBJECT_H
#define INFOSTORE_IMAP_BASE_SUBJECT_H

/*
 * The "base subject" of RFC 5256 2.1, which SORT (SUBJECT) compares: the
 * subject without "Re:", "Fwd:", "[list]" prefixes, "(fwd)" trailers and
 * "[fwd: ...]" wrappers, whitespace collapsed.
 */

#include <stdbool.h>

struct pool;

/* subject is already decoded to UTF-8 (step 1's RFC 2047 part is the
   caller's); NULL counts as empty. The result is from pool. Letters are
   left as they are: the comparison (i;ascii-casemap) ignores case. */
const char *imap_base_subject(struct pool *pool, const char *subject);
/* The same, and whether the subject marked a reply or forward: a "Re:",
   "Fw:" or "Fwd:" leader, a "(fwd)" trailer or a "[fwd: ...]" wrapper
   was taken off (THREAD=REFERENCES, RFC 5256 4 (5)(C)). */
const char *imap_base_subject_reply(struct pool *pool, const char *subject,
				    bool *reply_r);

#endif
