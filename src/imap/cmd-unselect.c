/* UNSELECT (RFC 3691): leave the mailbox without expunging. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-view.h"

bool cmd_unselect(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "UNSELECT takes no arguments.");
		return true;
	}
	imap_view_close(client);
	client->state = IMAP_STATE_AUTH;
	imap_command_ok(cmd, "Unselect completed.");
	return true;
}
