/* RENAME (RFC 9051 6.3.6): children move along; renaming INBOX moves its
   messages into a new mailbox (the store does that). */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-view.h"
#include "pool.h"
#include "server.h"
#include "store.h"

#include <string.h>

bool cmd_rename(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct store *store = client->session.srv->store;
	const char *old_wire, *new_wire, *old_name, *new_name, *error;
	struct store_mailbox mb;
	int64_t id;

	if (!imap_arg_get_astring(&cmd->args[0], &old_wire) ||
	    !imap_arg_get_astring(&cmd->args[1], &new_wire) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: RENAME old new.");
		return true;
	}
	if (!imap_mailbox_arg_lookup(cmd, old_wire, &old_name, &mb))
		return true;
	if (imap_mailbox_name_decode(client, cmd->pool, new_wire, &new_name, &error) < 0) {
		imap_command_reply(cmd, "NO", "CANNOT", "%s.", error);
		return true;
	}
	if (store_mailbox_lookup(store, client->user_id, new_name, cmd->pool, &mb) > 0) {
		imap_command_reply(cmd, "NO", "ALREADYEXISTS", "Mailbox already exists.");
		return true;
	}
	if (store_begin(store) < 0) {
		imap_command_store_error(cmd, "RENAME");
		return true;
	}
	/* superior names of the new one are created as needed */
	for (const char *p = strchr(new_name, STORE_HIERARCHY_SEP); p != NULL;
	     p = strchr(p + 1, STORE_HIERARCHY_SEP)) {
		const char *parent = p_strndup(cmd->pool, new_name, (size_t)(p - new_name));
		struct store_mailbox pmb;

		if (store_mailbox_lookup(store, client->user_id, parent, cmd->pool, &pmb) == 0 &&
		    store_mailbox_create(store, client->user_id, parent, NULL, &id) < 0) {
			store_rollback(store);
			imap_command_store_error(cmd, "RENAME");
			return true;
		}
	}
	if (store_mailbox_rename(store, client->user_id, old_name, new_name) < 0 ||
	    store_commit(store) < 0) {
		store_rollback(store);
		imap_command_store_error(cmd, "RENAME");
		return true;
	}
	if (imap_mailbox_lookup(client, cmd->pool, old_name, &mb) > 0)
		imap_view_notify_changed(client, mb.id);
	imap_command_ok(cmd, "Rename completed.");
	return true;
}
