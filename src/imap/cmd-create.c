/* CREATE (RFC 9051 6.3.4): missing parents are created too. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-view.h"
#include "pool.h"
#include "server.h"
#include "store.h"

#include <string.h>

/* A name whose first level is the calendar's would put mail under it. */
static bool create_under_calendar(struct imap_client *client, struct pool *pool,
				  const char *name)
{
	const char *sep = strchr(name, STORE_HIERARCHY_SEP);
	const char *top = sep == NULL ? name : p_strndup(pool, name, (size_t)(sep - name));
	struct store_mailbox mb;

	return store_mailbox_lookup(client->session.srv->store, client->user_id, top, pool, &mb) > 0 &&
		mb.kind != STORE_MAILBOX_MAIL;
}

bool cmd_create(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct store *store = client->session.srv->store;
	const char *wire, *name, *error;
	int64_t id;
	size_t len;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: CREATE mailbox.");
		return true;
	}
	/* "foo/" announces that children will follow: create "foo" */
	len = strlen(wire);
	if (len > 1 && wire[len - 1] == STORE_HIERARCHY_SEP)
		wire = p_strndup(cmd->pool, wire, len - 1);
	if (imap_mailbox_name_decode(client, cmd->pool, wire, &name, &error) < 0) {
		imap_command_reply(cmd, "NO", "CANNOT", "%s.", error);
		return true;
	}
	if (imap_mailbox_is_inbox(name)) {
		imap_command_reply(cmd, "NO", "ALREADYEXISTS", "INBOX always exists.");
		return true;
	}
	if (create_under_calendar(client, cmd->pool, name)) {
		imap_command_reply(cmd, "NO", "CANNOT", "That name is reserved.");
		return true;
	}
	/* RFC 9051 6.3.4: superior hierarchical names are created as needed */
	for (const char *p = strchr(name, STORE_HIERARCHY_SEP); p != NULL;
	     p = strchr(p + 1, STORE_HIERARCHY_SEP)) {
		const char *parent = p_strndup(cmd->pool, name, (size_t)(p - name));
		struct store_mailbox mb;

		if (store_mailbox_lookup(store, client->user_id, parent, cmd->pool, &mb) == 0 &&
		    store_mailbox_create(store, client->user_id, parent, NULL, &id) < 0 &&
		    store_last_error(store) != STORE_ERROR_EXISTS) {
			imap_command_store_error(cmd, "CREATE");
			return true;
		}
	}
	/* a new mailbox is not subscribed (RFC 9051 6.3.4 does not say it
	   is, and clients subscribe themselves); a subscription the name
	   kept from an earlier mailbox stays (RFC 3501 6.3.6) */
	if (store_mailbox_create(store, client->user_id, name, NULL, &id) < 0) {
		imap_command_store_error(cmd, "CREATE");
		return true;
	}
	imap_command_ok(cmd, "Create completed.");
	return true;
}
