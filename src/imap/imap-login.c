#include "imap-login.h"
#include "auth.h"
#include "connection.h"
#include "imap-client.h"
#include "log.h"
#include "server.h"

/* Failed logins before the session is closed. */
#define IMAP_MAX_AUTH_FAILURES 3

static void imap_login_done(void *context, const struct auth_result *result)
{
	struct imap_command *cmd = context;
	struct imap_client *client = cmd->client;

	client->auth_request = NULL;
	if (result->throttled) {
		/* not AUTHENTICATIONFAILED: the password was not looked at,
		   and a client must not take it for a wrong one */
		imap_command_reply(cmd, "NO", "UNAVAILABLE",
				   "Too many login attempts, try again in %u second%s.",
				   result->retry_after_secs,
				   result->retry_after_secs == 1 ? "" : "s");
	} else if (result->temp_failure) {
		imap_command_reply(cmd, "NO", "UNAVAILABLE",
				   "Temporary authentication failure, try again later.");
	} else if (!result->success) {
		client->auth_failures++;
		log_info("imap", "login failed ip=%s", connection_peer_ip(client->session.conn));
		imap_command_reply(cmd, "NO", "AUTHENTICATIONFAILED",
				   "Authentication failed.");
		if (client->auth_failures >= IMAP_MAX_AUTH_FAILURES)
			imap_client_disconnect(client, "Too many authentication failures.");
	} else {
		imap_client_logged_in(client, result->user_id, result->address);
		auth_session_init(&client->auth_session, result);
		imap_command_reply(cmd, "OK", NULL, "[CAPABILITY %s] Logged in",
				   imap_client_capability(client));
	}
	imap_client_resume(client);
}

void imap_login_verify(struct imap_command *cmd, const char *address,
		       const char *password)
{
	struct imap_client *client = cmd->client;

	cmd->waiting = true;
	client->auth_request = auth_verify_from(client->session.srv->auth,
						METRICS_PROTOCOL_IMAP,
						connection_peer_ip(client->session.conn),
						address, password,
						imap_login_done, cmd);
}
