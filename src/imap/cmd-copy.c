/*
 * COPY (RFC 9051 6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315).
 * The bodies are shared, not copied. All messages go in one transaction:
 * either every one is copied (and for MOVE expunged) or none.
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-copy.h"
#include "imap-mailbox.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "pool.h"
#include "server.h"
#include "store.h"

bool imap_copy_run(struct imap_command *cmd, bool move)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct store *store = client->srv->store;
	const char *setstr, *wire, *name, *error;
	struct store_mailbox dst;
	struct imap_seqset set;
	struct imap_uid_array src;
	uint32_t *uids, *new_uids;
	unsigned int count, expected;
	bool expunged;
	struct buffer code;
	int ret;

	if (!imap_arg_get_atom(&cmd->args[0], &setstr) ||
	    !imap_arg_get_astring(&cmd->args[1], &wire) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: %s set mailbox.", move ? "MOVE" : "COPY");
		return true;
	}
	if (imap_view_parse_set(cmd, setstr, &set, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (imap_mailbox_name_decode(client, cmd->pool, wire, &name, &error) < 0) {
		imap_command_reply(cmd, "NO", "TRYCREATE", "%s.", error);
		return true;
	}
	ret = imap_mailbox_lookup(client, cmd->pool, name, &dst);
	if (ret <= 0) {
		/* RFC 9051 6.4.7: TRYCREATE tells the client to create it */
		if (ret == 0)
			imap_command_reply(cmd, "NO", "TRYCREATE", "Mailbox doesn't exist.");
		else
			imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	if (move && view->readonly) {
		imap_command_reply(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return true;
	}
	if (imap_view_collect(cmd, &set, NULL, NULL, &src, &expected) < 0) {
		imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	uids = src.uids;
	count = src.count;
	expunged = count < expected;
	if (count == 0) {
		if (expunged)
			imap_command_reply(cmd, "NO", "EXPUNGEISSUED",
					   "Some of the requested messages no longer exist.");
		else
			imap_command_ok(cmd, "No messages found.");
		return true;
	}
	new_uids = p_new(cmd->pool, uint32_t, count);
	if (store_begin(store) < 0) {
		imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (store_message_copy(store, view->mailbox_id, uids[i], dst.id,
				       &new_uids[i]) < 0 ||
		    (move && store_message_expunge(store, view->mailbox_id, uids[i]) < 0)) {
			store_rollback(store);
			imap_command_store_error(cmd, move ? "MOVE" : "COPY");
			return true;
		}
	}
	if (store_commit(store) < 0) {
		imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	imap_view_notify_changed(client, dst.id);
	/* RFC 4315 3: COPYUID uidvalidity source-uids dest-uids */
	buffer_init_pool(&code, cmd->pool, 0);
	buffer_printf(&code, "COPYUID %u ", dst.uidvalidity);
	imap_seqset_write_array(&code, uids, count);
	buffer_append_c(&code, ' ');
	imap_seqset_write_array(&code, new_uids, count);
	if (!move) {
		imap_command_reply(cmd, "OK", code.data, "Copy completed.");
		return true;
	}
	/* RFC 6851 4.3: COPYUID untagged, then the expunges */
	imap_view_notify_changed(client, view->mailbox_id);
	imap_client_send(client, "* OK [%s] Moved UIDs.", code.data);
	imap_view_expunged(client, uids, count);
	imap_command_ok(cmd, "Move completed.");
	return true;
}

bool cmd_copy(struct imap_command *cmd)
{
	return imap_copy_run(cmd, false);
}
