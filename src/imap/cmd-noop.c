/* NOOP (RFC 9051 6.1.2): the usual way to poll for mailbox changes. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-view.h"

bool cmd_noop(struct imap_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "NOOP takes no arguments.");
		return true;
	}
	/* look at the store even if no change was signalled */
	imap_view_sync(cmd->client, true, true);
	imap_command_ok(cmd, "NOOP completed.");
	return true;
}
