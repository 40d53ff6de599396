/* SUBSCRIBE (RFC 9051 6.3.7); UNSUBSCRIBE shares it. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-subscribe.h"
#include "server.h"
#include "store.h"

bool imap_subscribe_run(struct imap_command *cmd, bool subscribe)
{
	struct imap_client *client = cmd->client;
	const char *wire, *name;
	struct store_mailbox mb;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: %s mailbox.", cmd->name);
		return true;
	}
	if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
		return true;
	if (store_mailbox_subscribe(client->srv->store, client->user_id, name,
				    subscribe) < 0) {
		imap_command_store_error(cmd, cmd->name);
		return true;
	}
	imap_command_ok(cmd, "%s completed.", subscribe ? "Subscribe" : "Unsubscribe");
	return true;
}

bool cmd_subscribe(struct imap_command *cmd)
{
	return imap_subscribe_run(cmd, true);
}
