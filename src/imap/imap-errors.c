#include "imap-errors.h"

static const struct imap_error_reply imap_error_replies[] = {
	[STORE_ERROR_NONE] = { "SERVERBUG", "Internal error" },
	[STORE_ERROR_NOT_FOUND] = { "NONEXISTENT", "Mailbox doesn't exist" },
	[STORE_ERROR_EXISTS] = { "ALREADYEXISTS", "Mailbox already exists" },
	[STORE_ERROR_INVALID] = { "CANNOT", "Invalid mailbox name" },
	[STORE_ERROR_TEMP] = { "UNAVAILABLE", "Temporary failure, try again later" },
	[STORE_ERROR_LIMIT] = { "LIMIT", "Limit reached" },
	[STORE_ERROR_PERM] = { "NOPERM", "Permission denied" },
	[STORE_ERROR_INTERNAL] = { "SERVERBUG", "Internal error occurred, see the server log" },
	/* RFC 9208 */
	[STORE_ERROR_OVER_QUOTA] = { "OVERQUOTA", "Quota exceeded" },
};

const struct imap_error_reply *imap_error_reply(enum store_error error)
{
	if ((unsigned int)error >= sizeof(imap_error_replies) / sizeof(imap_error_replies[0]))
		error = STORE_ERROR_INTERNAL;
	return &imap_error_replies[error];
}
