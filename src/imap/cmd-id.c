/* ID (RFC 2971): log what the client says it is, say what we are. */
#include "config.h"
#include "connection.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "log.h"

#define ID_MAX_PAIRS 30

bool cmd_id(struct imap_command *cmd)
{
	const struct imap_arg *list;
	unsigned int count;

	if (cmd->args[0].type == IMAP_ARG_NIL) {
		count = 0;
	} else if (!imap_arg_get_list(&cmd->args[0], &list, &count) ||
		   count % 2 != 0 || count / 2 > ID_MAX_PAIRS) {
		imap_command_bad(cmd, "Invalid ID parameters.");
		return true;
	} else {
		for (unsigned int i = 0; i < count; i += 2) {
			const char *key, *value;

			if (!imap_arg_get_nstring(&list[i], &key) || key == NULL ||
			    !imap_arg_get_nstring(&list[i + 1], &value)) {
				imap_command_bad(cmd, "Invalid ID parameters.");
				return true;
			}
			log_debug("imap", "client id ip=%s %s=%s",
				  connection_peer_ip(cmd->client->session.conn), log_value(key),
				  value != NULL ? log_value(value) : "NIL");
		}
	}
	if (cmd->args[1].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Invalid ID parameters.");
		return true;
	}
	imap_client_send(cmd->client, "* ID (\"name\" \"infostore\" \"version\" \"%s\")",
			 INFOSTORE_VERSION);
	imap_command_ok(cmd, "ID completed.");
	return true;
}
