#ifndef INFOSTORE_SMTP_ADDRESS_H
#define INFOSTORE_SMTP_ADDRESS_H

/*
 * SMTP paths (RFC 5321 4.1.2), with the UTF-8 extension of RFC 6531 3.3.
 * No I/O, no allocation beyond the output buffer given.
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;

/* RFC 5321 4.5.3.1.3: a path is at most 256 octets, brackets included. */
#define SMTP_PATH_MAX 256

enum smtp_path_flags {
	SMTP_PATH_ALLOW_NULL = 0x01,       /* "<>" (MAIL FROM) */
	SMTP_PATH_ALLOW_POSTMASTER = 0x02, /* "<Postmaster>" (RCPT TO) */
	SMTP_PATH_UTF8 = 0x04,             /* SMTPUTF8 was given */
};

enum smtp_path_error {
	SMTP_PATH_OK,
	SMTP_PATH_SYNTAX,     /* 501 5.1.3 (5.1.7 for the sender) */
	SMTP_PATH_TOO_LONG,   /* 501 5.1.3 */
	SMTP_PATH_NON_ASCII,  /* 553 5.6.7 (RFC 6531 3.5): UTF-8 without SMTPUTF8 */
};

/*
 * Parse a path at the start of str (len bytes, need not be NUL-terminated).
 * On success the mailbox goes into out (reset first, NUL-terminated): ""
 * for "<>", "postmaster" for "<Postmaster>", else local@domain with any
 * source route dropped (RFC 5321 4.1.2 says to ignore it) and a quoted
 * local part unquoted when it needs no quoting. *consumed_r is the length
 * of the path including its brackets.
 */
enum smtp_path_error smtp_path_parse(const char *str, size_t len,
				     unsigned int flags, struct buffer *out,
				     size_t *consumed_r);

/* Is this a valid Domain or address-literal (RFC 5321 4.1.2) for HELO,
   EHLO and LHLO? utf8 allows U-labels (RFC 6531 3.3). */
bool smtp_domain_valid(const char *str, size_t len, bool utf8);

#endif
