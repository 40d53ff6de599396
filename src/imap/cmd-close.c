/* CLOSE (RFC 9051 6.4.1): expunge silently, then leave the mailbox. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-expunge.h"
#include "imap-view.h"

bool cmd_close(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	uint32_t *uids;
	unsigned int count;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "CLOSE takes no arguments.");
		return true;
	}
	if (!client->view->readonly &&
	    imap_expunge_deleted(client, cmd->pool, NULL, &uids, &count) < 0) {
		imap_command_store_error(cmd, "CLOSE");
		return true;
	}
	imap_view_close(client);
	client->state = IMAP_STATE_AUTH;
	imap_command_ok(cmd, "Close completed.");
	return true;
}
