/* FETCH and UID FETCH (RFC 9051 6.4.5, 6.4.9); the work is in
   imap-fetch.c. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-fetch.h"
#include "pool.h"

static bool cmd_fetch_continue(struct imap_command *cmd)
{
	struct imap_fetch *fetch = cmd->context;
	bool failed;

	if (!imap_fetch_run(cmd, fetch, &failed))
		return false;
	if (failed && fetch->seen_error != 0)
		imap_command_error(cmd, (enum store_error)fetch->seen_error);
	else if (failed)
		imap_command_store_error(cmd, "FETCH");
	else if (fetch->unknown_cte)
		/* RFC 3516 4.3 */
		imap_command_reply(cmd, "NO", "UNKNOWN-CTE",
				   "Cannot decode a part's transfer encoding.");
	else if (fetch->expunged)
		/* RFC 5530 EXPUNGEISSUED: another session expunged some */
		imap_command_reply(cmd, "NO", "EXPUNGEISSUED",
				   "Some of the requested messages no longer exist.");
	else
		imap_command_ok(cmd, "Fetch completed.");
	return true;
}

bool cmd_fetch(struct imap_command *cmd)
{
	struct imap_fetch *fetch = p_new(cmd->pool, struct imap_fetch, 1);
	const char *error;

	if (imap_fetch_parse(cmd, fetch, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	cmd->context = fetch;
	cmd->func = cmd_fetch_continue;
	return cmd_fetch_continue(cmd);
}
