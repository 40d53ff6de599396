/* CHECK (RFC 3501 6.4.1; gone from IMAP4rev2): everything is always
   committed, so it is a NOOP. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-view.h"

bool cmd_check(struct imap_command *cmd)
{
	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "CHECK takes no arguments.");
		return true;
	}
	imap_view_sync(cmd->client, true, true);
	imap_command_ok(cmd, "Check completed.");
	return true;
}
