/*
 * The submission command table (RFC 6409, RFC 5321 4.1) and what each
 * command does, with STARTTLS (RFC 3207) and AUTH (RFC 4954). Each entry
 * says in which state the command is allowed (checked here, in one place,
 * from the table) and what it does (the handler). The parser in
 * src/lib-smtp has already checked the syntax.
 */
#include "submission-client.h"
#include "alloc.h"
#include "auth-sasl.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "smtp-command.h"
#include "smtp-data.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* --- the session --- */

static void cmd_ehlo(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	const struct conf *conf = client->smtp.session.srv->conf;
	struct buffer caps;

	/* RFC 5321 4.1.4: a new hello resets the transaction */
	smtp_session_reset_transaction(&client->smtp);
	free(client->smtp.helo);
	client->smtp.helo = xstrdup(cmd->arg);
	if (cmd->verb == SMTP_VERB_HELO) {
		smtp_session_reply(&client->smtp, 250, NULL, "%s",
				   conf->hostname);
		return;
	}
	/* RFC 1869 4.3; no enhanced codes here (RFC 2034 3) */
	buffer_init(&caps, 0);
	buffer_printf(&caps, "%s\nPIPELINING\nSIZE %llu\n8BITMIME\nSMTPUTF8\n"
		      "ENHANCEDSTATUSCODES\nCHUNKING", conf->hostname,
		      (unsigned long long)conf->max_message_size);
	if (!connection_is_tls(client->smtp.session.conn) &&
	    client->smtp.session.srv->tls != NULL)
		buffer_append_str(&caps, "\nSTARTTLS");
	/* RFC 4954 4 and RFC 8314 3.3 spirit: a password is asked for only
	   where it may be sent, so before STARTTLS an app learns that it
	   must upgrade first */
	if (client->user == NULL && submission_client_auth_allowed(client))
		buffer_append_str(&caps, "\nAUTH PLAIN LOGIN");
	smtp_session_reply(&client->smtp, 250, NULL, "%s", caps.data);
	buffer_free(&caps);
}

static void cmd_lhlo(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	(void)cmd;
	smtp_session_reply(&client->smtp, 500, "5.5.1",
			   "This is SMTP submission: use EHLO");
	smtp_session_bad_command(&client->smtp);
}

/* RFC 3207 4 */
static void cmd_starttls(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	(void)cmd;
	if (client->smtp.session.srv->tls == NULL) {
		smtp_session_reply(&client->smtp, 454, "4.7.0",
				   "TLS not available");
		return;
	}
	smtp_session_reply(&client->smtp, 220, "2.0.0", "Ready to start TLS");
	smtp_session_flush(&client->smtp);
	/* RFC 3207 4.2: nothing learnt before carries over; whatever was
	   pipelined after the command is dropped with the plaintext */
	free(client->smtp.helo);
	client->smtp.helo = NULL;
	smtp_session_reset_transaction(&client->smtp);
	smtp_command_parser_reset(client->smtp.parser);
	connection_start_tls(client->smtp.session.conn,
			     client->smtp.session.srv->tls);
}

/* --- AUTH (RFC 4954) --- */

static void submission_auth_plain(struct submission_client *client,
				  const char *b64, size_t len)
{
	struct buffer msg;
	const char *authcid, *passwd, *error;

	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (auth_sasl_decode(b64, len, &msg) < 0) {
		/* RFC 4954 4 */
		smtp_session_reply(&client->smtp, 501, "5.5.2",
				   "Invalid base64 data");
		smtp_session_bad_command(&client->smtp);
	} else if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					 &error) < 0) {
		smtp_session_reply(&client->smtp, 535, "5.7.8", "%s", error);
		if (++client->auth_failures >= SUBMISSION_MAX_AUTH_FAILURES)
			smtp_session_close(&client->smtp);
	} else {
		submission_client_login(client, authcid, passwd);
	}
	auth_sasl_wipe(&msg);
}

/* LOGIN: the user name, then the password, each in base64. */
static void submission_auth_login(struct submission_client *client,
				  const char *b64, size_t len)
{
	struct buffer msg;

	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (auth_sasl_decode(b64, len, &msg) < 0 || msg.used == 0 ||
	    memchr(msg.data, '\0', msg.used) != NULL) {
		smtp_session_reply(&client->smtp, 501, "5.5.2",
				   "Invalid base64 data");
		smtp_session_bad_command(&client->smtp);
		client->smtp.mode = SMTP_SESSION_COMMAND;
	} else if (client->sasl_step == SUBMISSION_SASL_LOGIN_USER) {
		free(client->sasl_user);
		client->sasl_user = xstrdup(msg.data);
		client->sasl_step = SUBMISSION_SASL_LOGIN_PASS;
		client->smtp.mode = SMTP_SESSION_OTHER;
		smtp_session_reply(&client->smtp, 334, NULL, "UGFzc3dvcmQ6");
	} else {
		submission_client_login(client, client->sasl_user, msg.data);
	}
	auth_sasl_wipe(&msg);
}

static void cmd_auth(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	const char *space = strchr(cmd->arg, ' ');
	size_t mech_len = space != NULL ? (size_t)(space - cmd->arg) : strlen(cmd->arg);
	const char *initial = space != NULL ? space + 1 : NULL;

	if (!submission_client_auth_allowed(client)) {
		/* RFC 4954 6; not advertised here either */
		smtp_session_reply(&client->smtp, 538, "5.7.11",
				   "Encryption required for requested "
				   "authentication mechanism");
		smtp_session_bad_command(&client->smtp);
	} else if (mech_len == 5 && mem_iequal(cmd->arg, "PLAIN", 5)) {
		client->sasl_step = SUBMISSION_SASL_PLAIN;
		if (initial != NULL) {
			submission_auth_plain(client, initial, strlen(initial));
		} else {
			/* an empty challenge; the next line is the response */
			client->smtp.mode = SMTP_SESSION_OTHER;
			smtp_session_reply(&client->smtp, 334, NULL, "%s", "");
		}
	} else if (mech_len == 5 && mem_iequal(cmd->arg, "LOGIN", 5)) {
		client->sasl_step = SUBMISSION_SASL_LOGIN_USER;
		if (initial != NULL) {
			submission_auth_login(client, initial, strlen(initial));
		} else {
			client->smtp.mode = SMTP_SESSION_OTHER;
			smtp_session_reply(&client->smtp, 334, NULL,
					   "VXNlcm5hbWU6");
		}
	} else {
		smtp_session_reply(&client->smtp, 504, "5.5.4",
				   "Unrecognized authentication type");
		smtp_session_bad_command(&client->smtp);
	}
	/* the line held the initial response, password and all */
	smtp_command_parser_wipe(client->smtp.parser);
}

void submission_command_sasl_response(struct submission_client *client,
				      const char *line, size_t len)
{
	client->smtp.mode = SMTP_SESSION_COMMAND;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* RFC 4954 4 */
	if (len == 1 && line[0] == '*') {
		free(client->sasl_user);
		client->sasl_user = NULL;
		smtp_session_reply(&client->smtp, 501, "5.7.0",
				   "Authentication cancelled");
		return;
	}
	if (client->sasl_step == SUBMISSION_SASL_PLAIN)
		submission_auth_plain(client, line, len);
	else
		submission_auth_login(client, line, len);
}

/* --- the transaction --- */

static void cmd_mail(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	const struct conf *conf = client->smtp.session.srv->conf;

	/* RFC 1870 6.1 */
	if (cmd->size_given && cmd->size > conf->max_message_size) {
		smtp_session_reply(
			&client->smtp, 552, "5.3.4",
			"Message size exceeds fixed maximum message size");
		return;
	}
	/* RFC 6409 6.1: the sender is the user, and only the user; a null
	   sender is for bounces, which apps do not send */
	if (!str_iequal(cmd->arg, client->user)) {
		log_info("submission", "refused sender user=%s from=%s ip=%s",
			 log_value(client->user), log_value(cmd->arg),
			 connection_peer_ip(client->smtp.session.conn));
		smtp_session_reply(&client->smtp, 553, "5.7.1",
				   "Sender address must be your own, <%s>",
				   client->user);
		smtp_session_bad_command(&client->smtp);
		return;
	}
	smtp_session_begin_transaction(&client->smtp, cmd);
	client->rcpts = p_new(client->smtp.txn_pool, struct submission_rcpt,
			      SMTP_SESSION_MAX_RECIPIENTS);
	smtp_session_reply(&client->smtp, 250, "2.1.0", "Sender OK");
}

static void cmd_rcpt(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct submission_client *client = s->session.owner;
	struct store *store = client->smtp.session.srv->store;
	struct pool *pool;
	struct store_user user;
	struct store_quota quota;
	int ret;

	if (cmd->utf8_path && !client->smtp.smtputf8) {
		/* RFC 6531 3.5 */
		smtp_session_reply(&client->smtp, 553, "5.6.7",
				   "Non-ASCII recipient needs SMTPUTF8");
		return;
	}
	/* an address the outbound queue and the relay can take:
	   local@domain, no postmaster without a domain */
	if (!str_is_address(cmd->arg)) {
		smtp_session_reply(&client->smtp, 553, "5.1.3",
				   "<%s> Recipient address not accepted here",
				   cmd->arg);
		return;
	}
	for (unsigned int i = 0; i < client->smtp.rcpt_count; i++) {
		/* the same recipient twice gets the message once */
		if (str_iequal(client->rcpts[i].address, cmd->arg)) {
			smtp_session_reply(&client->smtp, 250, "2.1.5",
					   "<%s> Recipient OK", cmd->arg);
			return;
		}
	}
	if (client->smtp.rcpt_count >= SMTP_SESSION_MAX_RECIPIENTS) {
		/* RFC 5321 4.5.3.1.10 */
		smtp_session_reply(&client->smtp, 452, "4.5.3",
				   "Too many recipients");
		return;
	}
	pool = pool_create(512);
	ret = store_user_lookup(store, cmd->arg, pool, &user);
	if (ret < 0) {
		log_error("submission", "user lookup failed for %s: %s",
			  log_value(cmd->arg), store_last_error_detail(store));
		smtp_session_reply(&client->smtp, 451, "4.3.0",
				   "Temporary failure, try again later");
	} else if (ret > 0 && store_quota_get(store, user.id, &quota) > 0 &&
		   store_quota_exceeded(&quota, 1, 1)) {
		/* a local recipient who is full: refused now, as LMTP does,
		   so that the app can tell the user which one. (The sender's
		   own quota is not checked: submission stores nothing of
		   theirs, and a full mailbox must not stop them writing to
		   the administrator about it.) */
		smtp_session_reply(&client->smtp, 552, "5.2.2",
				   "<%s> Mailbox is full (quota exceeded)",
				   cmd->arg);
	} else {
		struct submission_rcpt *rcpt =
			&client->rcpts[client->smtp.rcpt_count++];

		/* a user here gets it straight into INBOX; anyone else
		   through the outbound queue */
		rcpt->address = p_strdup(client->smtp.txn_pool, cmd->arg);
		rcpt->local = ret > 0;
		smtp_session_reply(&client->smtp, 250, "2.1.5",
				   "<%s> Recipient OK", cmd->arg);
	}
	pool_destroy(&pool);
}

static void submission_reset(struct smtp_session *s)
{
	struct submission_client *client = s->session.owner;

	client->rcpts = NULL;
}

#define HELO   SMTP_CMD_NEEDS_HELO
#define AUTHED (SMTP_CMD_NEEDS_HELO | SMTP_CMD_NEEDS_AUTH)

static const struct smtp_session_command submission_commands[] = {
	{SMTP_VERB_EHLO, 0, cmd_ehlo},
	{SMTP_VERB_HELO, 0, cmd_ehlo},
	{SMTP_VERB_LHLO, 0, cmd_lhlo},
	/* RFC 3207 4.2: STARTTLS once */
	{SMTP_VERB_STARTTLS, SMTP_CMD_NO_TLS | SMTP_CMD_NO_MAIL, cmd_starttls},
	/* RFC 4954 4: AUTH once */
	{SMTP_VERB_AUTH, HELO | SMTP_CMD_NO_AUTH | SMTP_CMD_NO_MAIL, cmd_auth},
	/* RFC 6409 4.3, RFC 4954 6 */
	{SMTP_VERB_MAIL, AUTHED | SMTP_CMD_NO_MAIL, cmd_mail},
	{SMTP_VERB_RCPT, AUTHED | SMTP_CMD_NEEDS_MAIL | SMTP_CMD_NO_BDAT,
	 cmd_rcpt},
};

const struct smtp_session_protocol submission_protocol = {
	.name = "submission",
	.hello = "EHLO first",
	.help = "EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY",
	.commands = submission_commands,
	.command_count =
		sizeof(submission_commands) / sizeof(submission_commands[0]),
	.message_done = submission_client_message_done,
	.reset = submission_reset,
	.input_other = submission_client_read_sasl,
};
