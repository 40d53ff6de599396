/* LOGOUT (RFC 9051 6.1.3): BYE first, then the tagged OK. */
#include "connection.h"
#include "imap-client.h"
#include "imap-commands.h"

bool cmd_logout(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "LOGOUT takes no arguments.");
		return true;
	}
	client->state = IMAP_STATE_LOGOUT;
	imap_client_send(client, "* BYE Logging out");
	/* no mailbox updates after BYE */
	cmd->sync_done = true;
	imap_command_ok(cmd, "Logout completed.");
	client->closing = true;
	connection_close_after_output(client->session.conn);
	return true;
}
