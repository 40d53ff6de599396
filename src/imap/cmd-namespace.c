/* NAMESPACE (RFC 2342, RFC 9051 6.3.10): one personal namespace. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"

bool cmd_namespace(struct imap_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "NAMESPACE takes no arguments.");
		return true;
	}
	imap_client_send(cmd->client, "* NAMESPACE ((\"\" \"" IMAP_HIERARCHY_SEP "\")) NIL NIL");
	imap_command_ok(cmd, "Namespace completed.");
	return true;
}
