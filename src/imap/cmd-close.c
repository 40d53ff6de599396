/* CLOSE (RFC 9051 6.4.1): expunge silently, then leave the mailbox. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-expunge.h"
#include "imap-view.h"

static void cmd_close_done(struct imap_command *cmd, const uint32_t *uids,
			   unsigned int count, int result, enum store_error error)
{
	struct imap_client *client = cmd->client;

	(void)uids;
	(void)count;
	if (result < 0) {
		imap_command_error(cmd, error);
		return;
	}
	imap_view_close(client);
	client->state = IMAP_STATE_AUTH;
	imap_command_ok(cmd, "Close completed.");
}

bool cmd_close(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "CLOSE takes no arguments.");
		return true;
	}
	if (client->view->readonly) {
		cmd_close_done(cmd, NULL, 0, 0, STORE_ERROR_NONE);
		return true;
	}
	return imap_expunge_start(cmd, NULL, cmd_close_done);
}
