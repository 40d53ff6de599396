#ifndef INFOSTORE_IMAP_ERRORS_H
#define INFOSTORE_IMAP_ERRORS_H

/*
 * Store errors as IMAP replies (RFC 5530 response codes), in one table:
 * the user sees the code and a generic text, the log gets the detail.
 */

#include "store.h"

struct imap_error_reply {
	const char *code;   /* "NONEXISTENT", or NULL */
	const char *text;
};

const struct imap_error_reply *imap_error_reply(enum store_error error);

#endif
