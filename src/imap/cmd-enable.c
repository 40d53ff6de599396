/* ENABLE (RFC 5161): CONDSTORE, QRESYNC (RFC 7162) and IMAP4rev2. */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "pool.h"
#include "strutil.h"

bool cmd_enable(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct buffer enabled;

	if (cmd->args[0].type == IMAP_ARG_EOL) {
		imap_command_bad(cmd, "ENABLE needs a capability.");
		return true;
	}
	buffer_init_pool(&enabled, cmd->pool, 0);
	buffer_append_str(&enabled, "* ENABLED");
	for (const struct imap_arg *arg = cmd->args; arg->type != IMAP_ARG_EOL; arg++) {
		const char *name;

		if (!imap_arg_get_atom(arg, &name)) {
			imap_command_bad(cmd, "Invalid ENABLE arguments.");
			return true;
		}
		/* RFC 5161 3.1: only what was not already on is listed */
		if (str_iequal(name, "CONDSTORE") && !client->condstore) {
			client->condstore = true;
			buffer_append_str(&enabled, " CONDSTORE");
		} else if (str_iequal(name, "QRESYNC") && !client->qresync) {
			client->qresync = true;
			client->condstore = true;
			buffer_append_str(&enabled, " QRESYNC");
		} else if (str_iequal(name, "IMAP4rev2") && !client->imap4rev2) {
			client->imap4rev2 = true;
			buffer_append_str(&enabled, " IMAP4rev2");
		}
	}
	imap_client_send(client, "%s", enabled.data);
	imap_command_ok(cmd, "Enabled.");
	return true;
}
