/* CAPABILITY (RFC 9051 6.1.1) */
#include "imap-client.h"
#include "imap-commands.h"

bool cmd_capability(struct imap_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "CAPABILITY takes no arguments.");
		return true;
	}
	imap_client_send(cmd->client, "* CAPABILITY %s",
			 imap_client_capability(cmd->client));
	imap_command_ok(cmd, "Capability completed.");
	return true;
}
