/* MOVE and UID MOVE (RFC 6851): COPY and EXPUNGE in one transaction. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-copy.h"

bool cmd_move(struct imap_command *cmd)
{
	return imap_copy_run(cmd, true);
}
