/* UNSUBSCRIBE (RFC 9051 6.3.8) */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-subscribe.h"

bool cmd_unsubscribe(struct imap_command *cmd)
{
	return imap_subscribe_run(cmd, false);
}
