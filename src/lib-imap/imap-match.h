#ifndef INFOSTORE_IMAP_MATCH_H
#define INFOSTORE_IMAP_MATCH_H

/*
 * LIST patterns (RFC 9051 6.3.9): "*" matches anything, "%" anything but
 * the hierarchy separator. Case-sensitive; INBOX's case is the caller's
 * business (it canonicalises both sides).
 */

#include <stdbool.h>

bool imap_match(const char *pattern, const char *name, char sep);

#endif
