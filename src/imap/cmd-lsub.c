/* LSUB (RFC 3501 6.3.9; deprecated by IMAP4rev2 in favour of
   LIST (SUBSCRIBED)), which shares LIST's matching. */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-list.h"

bool cmd_lsub(struct imap_command *cmd)
{
	return imap_list_run(cmd, true);
}
