/*
 * IDLE (RFC 2177, RFC 9051 6.3.13): report mailbox changes as they happen
 * until the client sends DONE. The mailbox watch wakes us within
 * milliseconds of a change in this process and within its poll interval
 * of one made elsewhere (a delivery by the CLI).
 */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-view.h"
#include "strutil.h"

static bool idle_line(struct imap_command *cmd, const char *line, size_t len)
{
	if (len == 4 && mem_iequal(line, "DONE", 4)) {
		imap_command_ok(cmd, "Idle completed.");
	} else {
		imap_command_bad(cmd, "Expected DONE.");
	}
	return true;
}

/* The first call starts IDLE; later ones come when the mailbox changed. */
static bool idle_continue(struct imap_command *cmd)
{
	imap_view_sync(cmd->client, true, false);
	cmd->line_func = idle_line;
	return false;
}

bool cmd_idle(struct imap_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "IDLE takes no arguments.");
		return true;
	}
	imap_client_send(cmd->client, "+ idling");
	imap_view_sync(cmd->client, true, true);
	cmd->func = idle_continue;
	cmd->line_func = idle_line;
	return false;
}
