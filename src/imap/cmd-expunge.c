/* EXPUNGE (RFC 9051 6.4.3) and UID EXPUNGE (RFC 4315 2.1). */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-expunge.h"
#include "imap-seqset.h"
#include "imap-view.h"

static void cmd_expunge_done(struct imap_command *cmd, const uint32_t *uids,
			     unsigned int count, int result, enum store_error error)
{
	struct imap_client *client = cmd->client;

	if (result < 0) {
		imap_command_error(cmd, error);
		return;
	}
	imap_view_expunged(client, uids, count);
	if (client->qresync) {
		imap_command_reply(cmd, "OK", NULL, "[HIGHESTMODSEQ %llu] Expunge completed.",
				   (unsigned long long)client->view->modseq);
	} else {
		imap_command_ok(cmd, "Expunge completed.");
	}
}

bool cmd_expunge(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct imap_seqset set, *uid_set = NULL;
	const char *str, *error;

	if (cmd->uid) {
		if (!imap_arg_get_atom(&cmd->args[0], &str) ||
		    cmd->args[1].type != IMAP_ARG_EOL) {
			imap_command_bad(cmd, "Usage: UID EXPUNGE uid-set.");
			return true;
		}
		if (imap_view_parse_set(cmd, str, &set, &error) < 0) {
			imap_command_bad(cmd, "%s.", error);
			return true;
		}
		uid_set = &set;
	} else if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "EXPUNGE takes no arguments.");
		return true;
	}
	if (client->view->readonly) {
		imap_command_reply(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return true;
	}
	return imap_expunge_start(cmd, uid_set, cmd_expunge_done);
}
