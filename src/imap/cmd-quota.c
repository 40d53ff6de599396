/*
 * GETQUOTA, GETQUOTAROOT and SETQUOTA (RFC 9208). Every mailbox of a
 * user has one quota root, "", when the administrator gave the user a
 * limit (infostore user set ... quota_storage=, quota_messages=), and
 * none otherwise. Only the resources that have a limit are listed.
 * SETQUOTA is refused: limits are the administrator's, and without it
 * we do not announce QUOTASET (RFC 9208).
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-mailbox.h"
#include "imap-quote.h"
#include "server.h"
#include "store.h"

#define IMAP_QUOTA_ROOT ""

/* The user's quota: 1 with limits, 0 without (no root), -1 (NO sent). */
static int imap_quota_get(struct imap_command *cmd, struct store_quota *quota_r)
{
	struct imap_client *client = cmd->client;
	int ret = store_quota_get(client->session.srv->store, client->user_id, quota_r);

	if (ret <= 0) {
		imap_command_store_error(cmd, "GETQUOTA");
		return -1;
	}
	return quota_r->storage_limit != STORE_QUOTA_UNLIMITED ||
		quota_r->messages_limit != STORE_QUOTA_UNLIMITED ? 1 : 0;
}

/* "* QUOTA "" (STORAGE used limit MESSAGE used limit)": STORAGE in units
   of 1024 octets (RFC 9208), usage rounded up so that a full
   mailbox shows as full. */
static void imap_quota_send(struct imap_command *cmd, const struct store_quota *quota)
{
	struct buffer buf;
	const char *sep = "";

	buffer_init_pool(&buf, cmd->pool, 0);
	buffer_append_str(&buf, "* QUOTA ");
	imap_append_quoted(&buf, IMAP_QUOTA_ROOT);
	buffer_append_str(&buf, " (");
	if (quota->storage_limit != STORE_QUOTA_UNLIMITED) {
		buffer_printf(&buf, "STORAGE %llu %llu",
			      (unsigned long long)((quota->storage_used + 1023) / 1024),
			      (unsigned long long)(quota->storage_limit / 1024));
		sep = " ";
	}
	if (quota->messages_limit != STORE_QUOTA_UNLIMITED)
		buffer_printf(&buf, "%sMESSAGE %llu %llu", sep,
			      (unsigned long long)quota->messages_used,
			      (unsigned long long)quota->messages_limit);
	buffer_append_str(&buf, ")\r\n");
	imap_client_send_buffer(cmd->client, &buf);
}

bool cmd_getquota(struct imap_command *cmd)
{
	struct store_quota quota;
	const char *root;
	int ret;

	if (!imap_arg_get_astring(&cmd->args[0], &root) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: GETQUOTA quota-root.");
		return true;
	}
	if (*root != '\0') {
		imap_command_reply(cmd, "NO", "NONEXISTENT", "No such quota root.");
		return true;
	}
	if ((ret = imap_quota_get(cmd, &quota)) < 0)
		return true;
	if (ret == 0) {
		imap_command_reply(cmd, "NO", "NONEXISTENT", "No quota.");
		return true;
	}
	imap_quota_send(cmd, &quota);
	imap_command_ok(cmd, "Getquota completed.");
	return true;
}

bool cmd_getquotaroot(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct store_mailbox mb;
	struct store_quota quota;
	const char *wire, *name;
	struct buffer buf;
	int ret;

	if (!imap_arg_get_astring(&cmd->args[0], &wire) ||
	    cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: GETQUOTAROOT mailbox.");
		return true;
	}
	if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
		return true;
	if ((ret = imap_quota_get(cmd, &quota)) < 0)
		return true;
	buffer_init_pool(&buf, cmd->pool, 0);
	buffer_append_str(&buf, "* QUOTAROOT ");
	imap_mailbox_name_append(client, &buf, mb.name);
	if (ret > 0) {
		buffer_append_c(&buf, ' ');
		imap_append_quoted(&buf, IMAP_QUOTA_ROOT);
	}
	buffer_append_str(&buf, "\r\n");
	imap_client_send_buffer(client, &buf);
	if (ret > 0)
		imap_quota_send(cmd, &quota);
	imap_command_ok(cmd, "Getquotaroot completed.");
	return true;
}

bool cmd_setquota(struct imap_command *cmd)
{
	imap_command_reply(cmd, "NO", "NOPERM",
			   "Quotas are set by the administrator.");
	return true;
}
