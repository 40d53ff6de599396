/* DELETE (RFC 9051 6.3.5). Children stay; the parent then shows as
   \NonExistent in LIST. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-view.h"
#include "server.h"
#include "store.h"

bool cmd_delete(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct store *store = client->session.srv->store;
	const char *wire, *name;
	struct store_mailbox mb;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: DELETE mailbox.");
		return true;
	}
	if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
		return true;
	if (imap_mailbox_is_inbox(name)) {
		imap_command_reply(cmd, "NO", "CANNOT", "INBOX can't be deleted.");
		return true;
	}
	if (client->view != NULL && client->view->mailbox_id == mb.id) {
		/* deleting the selected mailbox: leave it first */
		imap_view_close(client);
		client->state = IMAP_STATE_AUTH;
	}
	if (store_mailbox_delete(store, client->user_id, name) < 0) {
		imap_command_store_error(cmd, "DELETE");
		return true;
	}
	imap_view_notify_changed(client, mb.id);
	imap_command_ok(cmd, "Delete completed.");
	return true;
}
