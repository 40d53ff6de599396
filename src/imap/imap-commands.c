/*
 * The IMAP command table (RFC 9051 6, RFC 3501 6 and the extensions we
 * advertise). UID is a prefix, not a command: "UID FETCH" runs FETCH with
 * cmd->uid set, for the entries flagged IMAP_CMD_HAS_UID.
 */
#include "imap-commands.h"
#include "strutil.h"

#include <stddef.h>

static const struct imap_command_def imap_commands[] = {
	/* any state (RFC 9051 6.1) */
	{ "CAPABILITY", cmd_capability, IMAP_CMD_ANY },
	{ "NOOP", cmd_noop, IMAP_CMD_ANY },
	{ "LOGOUT", cmd_logout, IMAP_CMD_ANY },
	{ "ID", cmd_id, IMAP_CMD_ANY },
	/* not authenticated (6.2) */
	{ "STARTTLS", cmd_starttls, IMAP_CMD_NOT_AUTH },
	{ "AUTHENTICATE", cmd_authenticate, IMAP_CMD_NOT_AUTH | IMAP_CMD_PASSWORD },
	{ "LOGIN", cmd_login, IMAP_CMD_NOT_AUTH | IMAP_CMD_PASSWORD },
	/* authenticated (6.3) */
	{ "ENABLE", cmd_enable, IMAP_CMD_LOGGED_IN },
	{ "SELECT", cmd_select, IMAP_CMD_LOGGED_IN },
	{ "EXAMINE", cmd_examine, IMAP_CMD_LOGGED_IN },
	{ "CREATE", cmd_create, IMAP_CMD_LOGGED_IN },
	{ "DELETE", cmd_delete, IMAP_CMD_LOGGED_IN },
	{ "RENAME", cmd_rename, IMAP_CMD_LOGGED_IN },
	{ "SUBSCRIBE", cmd_subscribe, IMAP_CMD_LOGGED_IN },
	{ "UNSUBSCRIBE", cmd_unsubscribe, IMAP_CMD_LOGGED_IN },
	{ "LIST", cmd_list, IMAP_CMD_LOGGED_IN },
	{ "LSUB", cmd_lsub, IMAP_CMD_LOGGED_IN },
	{ "NAMESPACE", cmd_namespace, IMAP_CMD_LOGGED_IN },
	{ "STATUS", cmd_status, IMAP_CMD_LOGGED_IN },
	{ "APPEND", cmd_append, IMAP_CMD_LOGGED_IN },
	{ "GETQUOTA", cmd_getquota, IMAP_CMD_LOGGED_IN },
	{ "GETQUOTAROOT", cmd_getquotaroot, IMAP_CMD_LOGGED_IN },
	{ "SETQUOTA", cmd_setquota, IMAP_CMD_LOGGED_IN },
	{ "IDLE", cmd_idle, IMAP_CMD_LOGGED_IN },
	/* selected (6.4) */
	{ "CHECK", cmd_check, IMAP_CMD_SELECTED },
	{ "CLOSE", cmd_close, IMAP_CMD_SELECTED },
	{ "UNSELECT", cmd_unselect, IMAP_CMD_SELECTED },
	{ "EXPUNGE", cmd_expunge, IMAP_CMD_SELECTED | IMAP_CMD_HAS_UID },
	{ "SEARCH", cmd_search, IMAP_CMD_SELECTED | IMAP_CMD_USES_SEQS | IMAP_CMD_HAS_UID },
	{ "SORT", cmd_sort, IMAP_CMD_SELECTED | IMAP_CMD_USES_SEQS | IMAP_CMD_HAS_UID },
	{ "THREAD", cmd_thread, IMAP_CMD_SELECTED | IMAP_CMD_USES_SEQS | IMAP_CMD_HAS_UID },
	{ "FETCH", cmd_fetch, IMAP_CMD_SELECTED | IMAP_CMD_USES_SEQS | IMAP_CMD_HAS_UID },
	{ "STORE", cmd_store, IMAP_CMD_SELECTED | IMAP_CMD_USES_SEQS | IMAP_CMD_HAS_UID },
	{ "COPY", cmd_copy, IMAP_CMD_SELECTED | IMAP_CMD_HAS_UID },
	{ "MOVE", cmd_move, IMAP_CMD_SELECTED | IMAP_CMD_HAS_UID },
};

const struct imap_command_def *imap_command_find(const char *name)
{
	for (size_t i = 0; i < sizeof(imap_commands) / sizeof(imap_commands[0]); i++) {
		if (str_iequal(name, imap_commands[i].name))
			return &imap_commands[i];
	}
	return NULL;
}
