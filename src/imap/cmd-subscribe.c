/* SUBSCRIBE (RFC 9051 6.3.7) and UNSUBSCRIBE (6.3.8). */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-subscribe.h"
#include "server.h"
#include "store.h"

bool imap_subscribe_run(struct imap_command *cmd, bool subscribe)
{
	struct imap_client *client = cmd->client;
	const char *wire, *name, *error;
	struct store_mailbox mb;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: %s mailbox.", cmd->name);
		return true;
	}
	if (subscribe) {
		/* we validate what is subscribed (6.3.7 allows it) */
		if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
			return true;
	} else if (imap_mailbox_name_decode(client, cmd->pool, wire, &name, &error) < 0) {
		imap_command_reply(cmd, "NO", "NONEXISTENT", "%s.", error);
		return true;
	}
	/* UNSUBSCRIBE works on names whose mailbox is gone: the list keeps
	   them until the user removes them (RFC 3501 6.3.6) */
	if (store_mailbox_subscribe(client->session.srv->store, client->user_id, name,
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
