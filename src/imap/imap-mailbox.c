#include "imap-mailbox.h"
#include "buffer.h"
#include "imap-client.h"
#include "imap-quote.h"
#include "imap-utf7.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <string.h>

bool imap_mailbox_is_inbox(const char *name)
{
	return str_iequal(name, "INBOX");
}

int imap_mailbox_name_decode(struct imap_client *client, struct pool *pool,
			     const char *wire, const char **name_r,
			     const char **error_r)
{
	struct buffer buf;
	const char *name;

	if (client->utf8_accept) {
		if (!imap_utf8_is_valid(wire, strlen(wire))) {
			*error_r = "Mailbox name is not valid UTF-8";
			return -1;
		}
		name = wire;
	} else {
		buffer_init_pool(&buf, pool, STORE_MAILBOX_NAME_MAX * 4);
		if (imap_utf7_to_utf8(wire, &buf) < 0 || buf.overflow) {
			*error_r = "Mailbox name is not valid modified UTF-7";
			return -1;
		}
		name = buf.data != NULL ? buf.data : "";
	}
	/* INBOX is case-insensitive (RFC 9051 5.1), and so is it as the
	   first level of its children */
	if (str_begins_icase(name, "INBOX") &&
	    (name[5] == '\0' || name[5] == STORE_HIERARCHY_SEP)) {
		char *copy = p_strdup(pool, name);

		memcpy(copy, "INBOX", 5);
		name = copy;
	}
	if (!store_mailbox_name_valid(name)) {
		*error_r = "Invalid mailbox name";
		return -1;
	}
	*name_r = name;
	return 0;
}

void imap_mailbox_name_append(struct imap_client *client, struct buffer *buf,
			      const char *name)
{
	struct buffer wire;

	if (client->utf8_accept) {
		imap_append_astring(buf, name);
		return;
	}
	buffer_init(&wire, 0);
	if (imap_utf8_to_utf7(name, &wire) < 0) {
		/* not UTF-8 in the store: send it as it is rather than lose it */
		buffer_reset(&wire);
		buffer_append_str(&wire, name);
	}
	imap_append_astring(buf, wire.data != NULL ? wire.data : "");
	buffer_free(&wire);
}

int imap_mailbox_lookup(struct imap_client *client, struct pool *pool,
			const char *name, struct store_mailbox *mb_r)
{
	int ret = store_mailbox_lookup(client->session.srv->store, client->user_id, name,
				       pool, mb_r);

	if (ret > 0 && mb_r->kind != STORE_MAILBOX_MAIL)
		return 0;
	return ret;
}

bool imap_mailbox_arg_lookup(struct imap_command *cmd, const char *wire,
			     const char **name_r, struct store_mailbox *mb_r)
{
	const char *error;
	int ret;

	if (imap_mailbox_name_decode(cmd->client, cmd->pool, wire, name_r, &error) < 0) {
		imap_command_reply(cmd, "NO", "NONEXISTENT", "%s.", error);
		return false;
	}
	ret = imap_mailbox_lookup(cmd->client, cmd->pool, *name_r, mb_r);
	if (ret == 0)
		imap_command_reply(cmd, "NO", "NONEXISTENT", "Mailbox doesn't exist.");
	else if (ret < 0)
		imap_command_store_error(cmd, cmd->name != NULL ? cmd->name : "lookup");
	return ret > 0;
}
