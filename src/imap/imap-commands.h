#ifndef INFOSTORE_IMAP_COMMANDS_H
#define INFOSTORE_IMAP_COMMANDS_H

/*
 * The command table: verb, handler, and what the command needs: the
 * states it is allowed in, whether it may see untagged EXPUNGE responses
 * (RFC 9051 7.5.1: not around FETCH, STORE and SEARCH that use sequence
 * numbers), and whether it carries literals that are streamed (APPEND).
 * Checking (state, arguments) is kept apart from doing: the client checks
 * the table's flags before the handler runs.
 */

#include <stdbool.h>
#include <stdint.h>

#include "imap-client.h"

enum imap_command_flags {
	/* allowed states: any of */
	IMAP_CMD_NOT_AUTH = IMAP_STATE_NOT_AUTH,
	IMAP_CMD_AUTH = IMAP_STATE_AUTH,
	IMAP_CMD_SELECTED = IMAP_STATE_SELECTED,
	IMAP_CMD_ANY = IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED,
	IMAP_CMD_LOGGED_IN = IMAP_STATE_AUTH | IMAP_STATE_SELECTED,
	/* uses message sequence numbers: no EXPUNGE around it (unless UID) */
	IMAP_CMD_USES_SEQS = 0x100,
	/* has a UID variant (UID FETCH, UID STORE, ...) */
	IMAP_CMD_HAS_UID = 0x200,
	/* sends a password: refused before TLS unless allowed */
	IMAP_CMD_PASSWORD = 0x400,
};

struct imap_command_def {
	const char *name;
	imap_command_func *func;
	unsigned int flags;
};

/* Look a verb up (case-insensitively); NULL if unknown. */
const struct imap_command_def *imap_command_find(const char *name);

/* The handlers, one file each (cmd-*.c). */
bool cmd_append(struct imap_command *cmd);
bool cmd_authenticate(struct imap_command *cmd);
bool cmd_capability(struct imap_command *cmd);
bool cmd_check(struct imap_command *cmd);
bool cmd_close(struct imap_command *cmd);
bool cmd_copy(struct imap_command *cmd);
bool cmd_create(struct imap_command *cmd);
bool cmd_delete(struct imap_command *cmd);
bool cmd_enable(struct imap_command *cmd);
bool cmd_examine(struct imap_command *cmd);
bool cmd_expunge(struct imap_command *cmd);
bool cmd_fetch(struct imap_command *cmd);
bool cmd_getquota(struct imap_command *cmd);
bool cmd_getquotaroot(struct imap_command *cmd);
bool cmd_id(struct imap_command *cmd);
bool cmd_idle(struct imap_command *cmd);
bool cmd_list(struct imap_command *cmd);
bool cmd_login(struct imap_command *cmd);
bool cmd_logout(struct imap_command *cmd);
bool cmd_lsub(struct imap_command *cmd);
bool cmd_move(struct imap_command *cmd);
bool cmd_namespace(struct imap_command *cmd);
bool cmd_noop(struct imap_command *cmd);
bool cmd_rename(struct imap_command *cmd);
bool cmd_search(struct imap_command *cmd);
bool cmd_sort(struct imap_command *cmd);
bool cmd_thread(struct imap_command *cmd);
bool cmd_select(struct imap_command *cmd);
bool cmd_setquota(struct imap_command *cmd);
bool cmd_starttls(struct imap_command *cmd);
bool cmd_status(struct imap_command *cmd);
bool cmd_store(struct imap_command *cmd);
bool cmd_subscribe(struct imap_command *cmd);
bool cmd_unselect(struct imap_command *cmd);
bool cmd_unsubscribe(struct imap_command *cmd);

#endif
