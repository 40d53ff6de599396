/*
 * The submission command table (RFC 6409, RFC 5321 4.1) and what each
 * command does, with STARTTLS (RFC 3207) and AUTH (RFC 4954). Each entry
 * says in which state the command is allowed (checked here, in one place,
 * from the table) and what it does (the handler). The parser in
 * src/lib-smtp has already checked the syntax.
 */
#include "submission-client.h"
#include "auth-sasl.h"
#include "conf.h"
#include "connection.h"
#include "fatal.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "smtp-command.h"
#include "smtp-data.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

enum submission_command_flags {
	SUBMISSION_CMD_NEEDS_HELO = 0x01,  /* RFC 5321 4.1.4: EHLO first */
	SUBMISSION_CMD_NEEDS_AUTH = 0x02,  /* RFC 6409 4.3, RFC 4954 6 */
	SUBMISSION_CMD_NO_AUTH = 0x04,     /* RFC 4954 4: AUTH once */
	SUBMISSION_CMD_NEEDS_MAIL = 0x08,  /* inside a transaction */
	SUBMISSION_CMD_NO_MAIL = 0x10,     /* not inside a transaction */
	SUBMISSION_CMD_NEEDS_RCPT = 0x20,  /* at least one accepted recipient */
	SUBMISSION_CMD_NO_BDAT = 0x40,     /* not after BDAT (RFC 3030 3) */
	SUBMISSION_CMD_NO_TLS = 0x80,      /* RFC 3207 4.2: STARTTLS once */
};

typedef void submission_command_fn(struct submission_client *client,
				   const struct smtp_command *cmd);

struct submission_command {
	enum smtp_verb verb;
	unsigned int flags;
	submission_command_fn *handler;
};

/* A refusal from the table: code, enhanced code and text. */
struct submission_refusal {
	unsigned int code;
	const char *enhanced;
	const char *text;
};

/* --- the session --- */

static void cmd_ehlo(struct submission_client *client, const struct smtp_command *cmd)
{
	const struct conf *conf = client->srv->conf;
	struct buffer caps;

	/* RFC 5321 4.1.4: a new hello resets the transaction */
	submission_client_reset_transaction(client);
	free(client->helo);
	client->helo = strdup(cmd->arg);
	if (cmd->verb == SMTP_VERB_HELO) {
		submission_client_reply(client, 250, NULL, "%s", conf->hostname);
		return;
	}
	/* RFC 1869 4.3; no enhanced codes here (RFC 2034 3) */
	buffer_init(&caps, 0);
	buffer_printf(&caps, "%s\nPIPELINING\nSIZE %llu\n8BITMIME\nSMTPUTF8\n"
		      "ENHANCEDSTATUSCODES\nCHUNKING", conf->hostname,
		      (unsigned long long)conf->max_message_size);
	if (!connection_is_tls(client->conn) && client->srv->tls != NULL)
		buffer_append_str(&caps, "\nSTARTTLS");
	/* RFC 4954 4 and RFC 8314 3.3 spirit: a password is asked for only
	   where it may be sent, so before STARTTLS an app learns that it
	   must upgrade first */
	if (client->user == NULL && submission_client_auth_allowed(client))
		buffer_append_str(&caps, "\nAUTH PLAIN LOGIN");
	submission_client_reply(client, 250, NULL, "%s", caps.data);
	buffer_free(&caps);
}

static void cmd_lhlo(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reply(client, 500, "5.5.1", "This is SMTP submission: use EHLO");
	submission_client_bad_command(client);
}

/* RFC 3207 4 */
static void cmd_starttls(struct submission_client *client,
			 const struct smtp_command *cmd)
{
	(void)cmd;
	if (client->srv->tls == NULL) {
		submission_client_reply(client, 454, "4.7.0", "TLS not available");
		return;
	}
	submission_client_reply(client, 220, "2.0.0", "Ready to start TLS");
	submission_client_flush(client);
	/* RFC 3207 4.2: nothing learnt before carries over; whatever was
	   pipelined after the command is dropped with the plaintext */
	free(client->helo);
	client->helo = NULL;
	submission_client_reset_transaction(client);
	smtp_command_parser_reset(client->parser);
	connection_start_tls(client->conn, client->srv->tls);
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
		submission_client_reply(client, 501, "5.5.2", "Invalid base64 data");
		submission_client_bad_command(client);
	} else if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					 &error) < 0) {
		submission_client_reply(client, 535, "5.7.8", "%s", error);
		if (++client->auth_failures >= SUBMISSION_MAX_AUTH_FAILURES)
			submission_client_close(client);
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
		submission_client_reply(client, 501, "5.5.2", "Invalid base64 data");
		submission_client_bad_command(client);
		client->mode = SUBMISSION_INPUT_COMMAND;
	} else if (client->sasl_step == SUBMISSION_SASL_LOGIN_USER) {
		free(client->sasl_user);
		client->sasl_user = strdup(msg.data);
		if (client->sasl_user == NULL)
			fatal_oom();
		client->sasl_step = SUBMISSION_SASL_LOGIN_PASS;
		client->mode = SUBMISSION_INPUT_SASL;
		submission_client_reply(client, 334, NULL, "UGFzc3dvcmQ6");
	} else {
		submission_client_login(client, client->sasl_user, msg.data);
	}
	auth_sasl_wipe(&msg);
}

static void cmd_auth(struct submission_client *client, const struct smtp_command *cmd)
{
	const char *space = strchr(cmd->arg, ' ');
	size_t mech_len = space != NULL ? (size_t)(space - cmd->arg) : strlen(cmd->arg);
	const char *initial = space != NULL ? space + 1 : NULL;

	if (!submission_client_auth_allowed(client)) {
		/* RFC 4954 6; not advertised here either */
		submission_client_reply(client, 538, "5.7.11",
					"Encryption required for requested "
					"authentication mechanism");
		submission_client_bad_command(client);
	} else if (mech_len == 5 && mem_iequal(cmd->arg, "PLAIN", 5)) {
		client->sasl_step = SUBMISSION_SASL_PLAIN;
		if (initial != NULL) {
			submission_auth_plain(client, initial, strlen(initial));
		} else {
			/* an empty challenge; the next line is the response */
			client->mode = SUBMISSION_INPUT_SASL;
			submission_client_reply(client, 334, NULL, "%s", "");
		}
	} else if (mech_len == 5 && mem_iequal(cmd->arg, "LOGIN", 5)) {
		client->sasl_step = SUBMISSION_SASL_LOGIN_USER;
		if (initial != NULL) {
			submission_auth_login(client, initial, strlen(initial));
		} else {
			client->mode = SUBMISSION_INPUT_SASL;
			submission_client_reply(client, 334, NULL, "VXNlcm5hbWU6");
		}
	} else {
		submission_client_reply(client, 504, "5.5.4",
					"Unrecognized authentication type");
		submission_client_bad_command(client);
	}
	/* the line held the initial response, password and all */
	smtp_command_parser_wipe(client->parser);
}

void submission_command_sasl_response(struct submission_client *client,
				      const char *line, size_t len)
{
	client->mode = SUBMISSION_INPUT_COMMAND;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* RFC 4954 4 */
	if (len == 1 && line[0] == '*') {
		free(client->sasl_user);
		client->sasl_user = NULL;
		submission_client_reply(client, 501, "5.7.0", "Authentication cancelled");
		return;
	}
	if (client->sasl_step == SUBMISSION_SASL_PLAIN)
		submission_auth_plain(client, line, len);
	else
		submission_auth_login(client, line, len);
}

/* --- the transaction --- */

static void cmd_mail(struct submission_client *client, const struct smtp_command *cmd)
{
	const struct conf *conf = client->srv->conf;

	/* RFC 1870 6.1 */
	if (cmd->size_given && cmd->size > conf->max_message_size) {
		submission_client_reply(client, 552, "5.3.4",
					"Message size exceeds fixed maximum message size");
		return;
	}
	/* RFC 6409 6.1: the sender is the user, and only the user; a null
	   sender is for bounces, which apps do not send */
	if (!str_iequal(cmd->arg, client->user)) {
		log_info("submission", "refused sender user=%s from=%s ip=%s",
			 log_value(client->user), log_value(cmd->arg),
			 connection_peer_ip(client->conn));
		submission_client_reply(client, 553, "5.7.1",
					"Sender address must be your own, <%s>",
					client->user);
		submission_client_bad_command(client);
		return;
	}
	submission_client_reset_transaction(client);
	client->mail_given = true;
	client->smtputf8 = cmd->smtputf8;
	client->rcpts = p_new(client->txn_pool, struct submission_rcpt,
			      SUBMISSION_MAX_RECIPIENTS);
	submission_client_new_txn_id(client);
	submission_client_reply(client, 250, "2.1.0", "Sender OK");
}

static void cmd_rcpt(struct submission_client *client, const struct smtp_command *cmd)
{
	struct store *store = client->srv->store;
	struct pool *pool;
	struct store_user user;
	struct store_quota quota;
	int ret;

	if (cmd->utf8_path && !client->smtputf8) {
		/* RFC 6531 3.5 */
		submission_client_reply(client, 553, "5.6.7",
					"Non-ASCII recipient needs SMTPUTF8");
		return;
	}
	/* an address the outbound queue and the relay can take:
	   local@domain, no postmaster without a domain */
	if (!str_is_address(cmd->arg)) {
		submission_client_reply(client, 553, "5.1.3",
					"<%s> Recipient address not accepted here",
					cmd->arg);
		return;
	}
	for (unsigned int i = 0; i < client->rcpt_count; i++) {
		/* the same recipient twice gets the message once */
		if (str_iequal(client->rcpts[i].address, cmd->arg)) {
			submission_client_reply(client, 250, "2.1.5",
						"<%s> Recipient OK", cmd->arg);
			return;
		}
	}
	if (client->rcpt_count >= SUBMISSION_MAX_RECIPIENTS) {
		/* RFC 5321 4.5.3.1.10 */
		submission_client_reply(client, 452, "4.5.3", "Too many recipients");
		return;
	}
	pool = pool_create(512);
	ret = store_user_lookup(store, cmd->arg, pool, &user);
	if (ret < 0) {
		log_error("submission", "user lookup failed for %s: %s",
			  log_value(cmd->arg), store_last_error_detail(store));
		submission_client_reply(client, 451, "4.3.0",
					"Temporary failure, try again later");
	} else if (ret > 0 && store_quota_get(store, user.id, &quota) > 0 &&
		   store_quota_exceeded(&quota, 1, 1)) {
		/* a local recipient who is full: refused now, as LMTP does,
		   so that the app can tell the user which one. (The sender's
		   own quota is not checked: submission stores nothing of
		   theirs, and a full mailbox must not stop them writing to
		   the administrator about it.) */
		submission_client_reply(client, 552, "5.2.2",
					"<%s> Mailbox is full (quota exceeded)", cmd->arg);
	} else {
		struct submission_rcpt *rcpt = &client->rcpts[client->rcpt_count++];

		/* a user here gets it straight into INBOX; anyone else
		   through the outbound queue */
		rcpt->address = p_strdup(client->txn_pool, cmd->arg);
		rcpt->local = ret > 0;
		submission_client_reply(client, 250, "2.1.5", "<%s> Recipient OK",
					cmd->arg);
	}
	pool_destroy(&pool);
}

static void cmd_data(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reply(client, 354, NULL,
				"Start mail input; end with <CRLF>.<CRLF>");
	smtp_data_reader_reset(client->data_reader);
	buffer_reset(&client->message);
	client->mode = SUBMISSION_INPUT_DATA;
}

static void cmd_bdat(struct submission_client *client, const struct smtp_command *cmd)
{
	client->mode = SUBMISSION_INPUT_BDAT;
	client->bdat_left = cmd->chunk_size;
	client->bdat_last = cmd->last;
	if (!client->bdat_started) {
		client->bdat_started = true;
		client->bdat_size = 0;
		buffer_reset(&client->message);
	}
	client->bdat_size += cmd->chunk_size;
}

static void cmd_rset(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reset_transaction(client);
	submission_client_reply(client, 250, "2.0.0", "OK");
}

static void cmd_noop(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reply(client, 250, "2.0.0", "OK");
}

static void cmd_quit(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reply(client, 221, "2.0.0", "%s Bye",
				client->srv->conf->hostname);
	submission_client_close(client);
}

static void cmd_vrfy(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	/* RFC 5321 3.5.3: we do not tell who exists */
	submission_client_reply(client, 252, "2.5.2",
				"Cannot VRFY user, but will accept message and attempt delivery");
}

static void cmd_help(struct submission_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	submission_client_reply(client, 214, "2.0.0", "Commands: EHLO HELO STARTTLS "
				"AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
}

static void cmd_not_implemented(struct submission_client *client,
				const struct smtp_command *cmd)
{
	submission_client_reply(client, 502, "5.5.1", "%s not implemented",
				smtp_verb_name(cmd->verb));
}

#define HELO SUBMISSION_CMD_NEEDS_HELO
#define AUTHED (SUBMISSION_CMD_NEEDS_HELO | SUBMISSION_CMD_NEEDS_AUTH)

static const struct submission_command submission_commands[] = {
	{ SMTP_VERB_EHLO, 0, cmd_ehlo },
	{ SMTP_VERB_HELO, 0, cmd_ehlo },
	{ SMTP_VERB_LHLO, 0, cmd_lhlo },
	{ SMTP_VERB_STARTTLS, SUBMISSION_CMD_NO_TLS | SUBMISSION_CMD_NO_MAIL,
	  cmd_starttls },
	{ SMTP_VERB_AUTH, HELO | SUBMISSION_CMD_NO_AUTH | SUBMISSION_CMD_NO_MAIL,
	  cmd_auth },
	{ SMTP_VERB_MAIL, AUTHED | SUBMISSION_CMD_NO_MAIL, cmd_mail },
	{ SMTP_VERB_RCPT, AUTHED | SUBMISSION_CMD_NEEDS_MAIL |
	  SUBMISSION_CMD_NO_BDAT, cmd_rcpt },
	{ SMTP_VERB_DATA, AUTHED | SUBMISSION_CMD_NEEDS_MAIL |
	  SUBMISSION_CMD_NEEDS_RCPT | SUBMISSION_CMD_NO_BDAT, cmd_data },
	/* a refused BDAT still has its chunk read (and dropped) */
	{ SMTP_VERB_BDAT, AUTHED | SUBMISSION_CMD_NEEDS_MAIL |
	  SUBMISSION_CMD_NEEDS_RCPT, cmd_bdat },
	{ SMTP_VERB_RSET, 0, cmd_rset },
	{ SMTP_VERB_NOOP, 0, cmd_noop },
	{ SMTP_VERB_QUIT, 0, cmd_quit },
	{ SMTP_VERB_VRFY, 0, cmd_vrfy },
	{ SMTP_VERB_HELP, 0, cmd_help },
	{ SMTP_VERB_EXPN, 0, cmd_not_implemented },
};

/* Why a command may not run now, or false (RFC 5321 4.1.4 ordering). An
   unauthenticated client hears about AUTH before anything else: that is
   what it has to do next. */
static bool submission_command_check(const struct submission_client *client,
				     unsigned int flags, struct submission_refusal *r)
{
	r->code = 503;
	r->enhanced = "5.5.1";
	if ((flags & SUBMISSION_CMD_NO_TLS) != 0 && connection_is_tls(client->conn))
		r->text = "TLS already active";
	else if ((flags & SUBMISSION_CMD_NEEDS_HELO) != 0 && client->helo == NULL)
		r->text = "EHLO first";
	else if ((flags & SUBMISSION_CMD_NEEDS_AUTH) != 0 && client->user == NULL) {
		/* RFC 4954 6 */
		r->code = 530;
		r->enhanced = "5.7.0";
		r->text = "Authentication required";
	} else if ((flags & SUBMISSION_CMD_NO_AUTH) != 0 && client->user != NULL)
		r->text = "Already authenticated";
	else if ((flags & SUBMISSION_CMD_NEEDS_MAIL) != 0 && !client->mail_given)
		r->text = "MAIL first";
	else if ((flags & SUBMISSION_CMD_NO_MAIL) != 0 && client->mail_given)
		r->text = "Not allowed inside a mail transaction";
	else if ((flags & SUBMISSION_CMD_NO_BDAT) != 0 && client->bdat_started)
		r->text = "Not allowed after BDAT";
	else if ((flags & SUBMISSION_CMD_NEEDS_RCPT) != 0 && client->rcpt_count == 0)
		r->text = "No valid recipients";
	else
		return false;
	return true;
}

void submission_command_run(struct submission_client *client,
			    const struct smtp_command *cmd)
{
	for (unsigned int i = 0; i < sizeof(submission_commands) /
		     sizeof(*submission_commands); i++) {
		const struct submission_command *c = &submission_commands[i];
		struct submission_refusal refusal;

		if (c->verb != cmd->verb)
			continue;
		if (submission_command_check(client, c->flags, &refusal)) {
			if (cmd->verb == SMTP_VERB_BDAT && refusal.code == 530) {
				/* a chunk from someone not logged in is not
				   worth reading: up to 2^62 bytes could follow */
				submission_client_reply(client, 530, "5.7.0",
							"Authentication required");
				submission_client_close(client);
				return;
			}
			if (cmd->verb == SMTP_VERB_BDAT) {
				/* RFC 3030 4.2: read (and drop) the chunk,
				   then refuse */
				client->mode = SUBMISSION_INPUT_BDAT;
				client->bdat_left = cmd->chunk_size;
				client->bdat_last = cmd->last;
				client->bdat_bad_sequence = true;
				client->bdat_bad_code = refusal.code;
				client->bdat_bad_enhanced = refusal.enhanced;
				client->bdat_bad_text = refusal.text;
				return;
			}
			submission_client_reply(client, refusal.code, refusal.enhanced,
						"%s", refusal.text);
			submission_client_bad_command(client);
			if (cmd->verb == SMTP_VERB_AUTH)
				smtp_command_parser_wipe(client->parser);
			return;
		}
		c->handler(client, cmd);
		return;
	}
	/* LMTP's verb and everything else the parser knows but we do not */
	cmd_not_implemented(client, cmd);
}
