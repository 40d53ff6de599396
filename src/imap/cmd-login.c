/* LOGIN (RFC 9051 6.2.3): only over TLS or from trusted networks (the
   client checks IMAP_CMD_PASSWORD before this runs). */
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-login.h"
#include "secret.h"

#include <string.h>

bool cmd_login(struct imap_command *cmd)
{
	const char *user, *password;

	if (!imap_arg_get_astring(&cmd->args[0], &user) ||
	    !imap_arg_get_astring(&cmd->args[1], &password) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: LOGIN user password.");
		return true;
	}
	imap_login_verify(cmd, user, password);
	/* auth_verify() has its own copy: the command's can go */
	secret_wipe((char *)password, strlen(password));
	return false;
}
