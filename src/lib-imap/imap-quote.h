#ifndef INFOSTORE_IMAP_QUOTE_H
#define INFOSTORE_IMAP_QUOTE_H

/*
 * Writing IMAP strings (RFC 9051 4.3): a quoted string when the value is
 * short 7-bit text without CR, LF or NUL, a literal {n} otherwise, NIL for
 * NULL. These are used when the ENVELOPE and BODYSTRUCTURE caches are
 * built at delivery, and by every command that sends names or text.
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;

/* "value", {n}CRLFvalue or NIL */
void imap_append_nstring(struct buffer *buf, const char *value);
void imap_append_nstring_len(struct buffer *buf, const char *value, size_t len);
/* as above, but never NIL ("" for NULL) */
void imap_append_string(struct buffer *buf, const char *value);
/* A quoted string, even for 8-bit data (for UTF8=ACCEPT sessions);
   characters that cannot be quoted (CR, LF, NUL) are replaced by spaces. */
void imap_append_quoted(struct buffer *buf, const char *value);
/* An astring: atom if possible, else string (mailbox names, LIST). */
void imap_append_astring(struct buffer *buf, const char *value);
/* Can value be sent as a quoted string? */
bool imap_is_quotable(const char *value, size_t len);
/* Is this an atom char (RFC 9051 ATOM-CHAR)? */
bool imap_is_atom_char(unsigned char c);

#endif
