/*
 * AUTHENTICATE PLAIN (RFC 9051 6.2.2, RFC 4616) with the initial response
 * on the command line (RFC 4959 SASL-IR) or after a "+" continuation.
 */
#include "auth-sasl.h"
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-login.h"
#include "pool.h"
#include "secret.h"
#include "strutil.h"

#include <string.h>

/* message = [authzid] NUL authcid NUL passwd (RFC 4616 2) */
static bool authenticate_plain(struct imap_command *cmd, const char *response,
			       size_t len)
{
	struct buffer msg;
	const char *authcid, *password, *error;
	bool done = false;
	int ret;

	if (len == 1 && response[0] == '*') {
		/* RFC 9051 6.2.2: the client cancelled */
		imap_command_bad(cmd, "Authentication aborted by client.");
		return true;
	}
	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (auth_sasl_decode(len == 0 ? "=" : response, len == 0 ? 1 : len, &msg) < 0) {
		imap_command_bad(cmd, "Invalid base64 data.");
		done = true;
	} else if ((ret = auth_sasl_plain_parse(msg.data, msg.used, &authcid,
						&password, &error)) == -2) {
		/* acting as another user is not supported */
		imap_command_reply(cmd, "NO", "AUTHORIZATIONFAILED",
				   "Authorization identity not allowed.");
		done = true;
	} else if (ret < 0) {
		imap_command_reply(cmd, "NO", "AUTHENTICATIONFAILED",
				   "Invalid PLAIN response.");
		done = true;
	} else {
		imap_login_verify(cmd, authcid, password);
	}
	auth_sasl_wipe(&msg);
	return done;
}

static bool authenticate_line(struct imap_command *cmd, const char *line, size_t len)
{
	/* the line lives in the input buffer: copy what we keep */
	char *copy = p_strndup(cmd->pool, line, len);
	bool done = authenticate_plain(cmd, copy, len);

	secret_wipe(copy, len);
	return done;
}

bool cmd_authenticate(struct imap_command *cmd)
{
	const char *mech, *ir = NULL;

	if (!imap_arg_get_atom(&cmd->args[0], &mech)) {
		imap_command_bad(cmd, "Missing authentication mechanism.");
		return true;
	}
	if (cmd->args[1].type != IMAP_ARG_EOL) {
		if (!imap_arg_get_atom(&cmd->args[1], &ir) ||
		    cmd->args[2].type != IMAP_ARG_EOL) {
			imap_command_bad(cmd, "Invalid AUTHENTICATE arguments.");
			return true;
		}
	}
	if (!str_iequal(mech, "PLAIN")) {
		imap_command_no(cmd, "Unsupported authentication mechanism.");
		return true;
	}
	if (ir != NULL)
		return authenticate_plain(cmd, ir, strlen(ir));
	/* an empty challenge; the response comes as a line */
	imap_client_send(cmd->client, "+ ");
	cmd->line_func = authenticate_line;
	return false;
}
