/*
 * STARTTLS (RFC 9051 6.2.1): the OK goes out in plaintext, then the
 * handshake. Whatever the client pipelined after the command was sent in
 * the clear and is thrown away unread (connection_start_tls() drops it):
 * the command-injection bug class of CVE-2011-0411.
 */
#include "connection.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "server.h"

bool cmd_starttls(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;

	if (cmd->args[0].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "STARTTLS takes no arguments.");
		return true;
	}
	if (connection_is_tls(client->session.conn)) {
		imap_command_bad(cmd, "TLS is already active.");
		return true;
	}
	if (client->session.srv->tls == NULL) {
		imap_command_no(cmd, "TLS is not available.");
		return true;
	}
	imap_command_ok(cmd, "Begin TLS negotiation now.");
	if (connection_start_tls(client->session.conn, client->session.srv->tls) < 0)
		imap_client_disconnect(client, "TLS failed.");
	return true;
}
