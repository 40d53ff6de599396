/*
 * The LMTP command table (RFC 2033, RFC 5321 4.1). Each entry says in which
 * state the command is allowed (checked here, in one place) and what it
 * does (the handler). The parser in src/lib-smtp has already checked the
 * syntax.
 */
#include "lmtp-client.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "smtp-command.h"
#include "smtp-data.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

enum lmtp_command_flags {
	LMTP_CMD_NEEDS_LHLO = 0x01,  /* RFC 2033 4.1: LHLO first */
	LMTP_CMD_NEEDS_MAIL = 0x02,  /* inside a transaction */
	LMTP_CMD_NO_MAIL = 0x04,     /* not inside a transaction */
	LMTP_CMD_NEEDS_RCPT = 0x08,  /* at least one accepted recipient */
	LMTP_CMD_NO_BDAT = 0x10,     /* not after BDAT (RFC 3030 3) */
};

typedef void lmtp_command_fn(struct lmtp_client *client,
			     const struct smtp_command *cmd);

struct lmtp_command {
	enum smtp_verb verb;
	unsigned int flags;
	lmtp_command_fn *handler;
};

static void cmd_lhlo(struct lmtp_client *client, const struct smtp_command *cmd)
{
	const struct conf *conf = client->srv->conf;

	/* RFC 5321 4.1.4: a new hello resets the transaction */
	lmtp_client_reset_transaction(client);
	free(client->helo);
	client->helo = strdup(cmd->arg);
	/* RFC 2033 4.1 and RFC 1869 4.3; no enhanced codes here (RFC 2034 3) */
	lmtp_client_reply(client, 250, NULL,
			  "%s\nPIPELINING\nENHANCEDSTATUSCODES\n8BITMIME\n"
			  "SMTPUTF8\nSIZE %llu\nCHUNKING", conf->hostname,
			  (unsigned long long)conf->max_message_size);
}

static void cmd_helo(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	/* RFC 2033 4.1: an LMTP server must not accept HELO or EHLO, so that
	   an SMTP client that reaches it by mistake stops here */
	lmtp_client_reply(client, 500, "5.5.1", "This is LMTP: use LHLO");
	lmtp_client_bad_command(client);
}

static void cmd_mail(struct lmtp_client *client, const struct smtp_command *cmd)
{
	const struct conf *conf = client->srv->conf;

	/* RFC 1870 6.1 */
	if (cmd->size_given && cmd->size > conf->max_message_size) {
		lmtp_client_reply(client, 552, "5.3.4",
				  "Message size exceeds fixed maximum message size");
		return;
	}
	lmtp_client_reset_transaction(client);
	client->mail_given = true;
	client->sender = p_strdup(client->txn_pool, cmd->arg);
	client->mail_size = cmd->size_given ? cmd->size : 0;
	client->smtputf8 = cmd->smtputf8;
	client->rcpts = p_new(client->txn_pool, struct lmtp_recipient,
			      LMTP_MAX_RECIPIENTS);
	lmtp_client_new_txn_id(client);
	lmtp_client_reply(client, 250, "2.1.0", "Sender OK");
}

static void cmd_rcpt(struct lmtp_client *client, const struct smtp_command *cmd)
{
	struct store *store = client->srv->store;
	struct pool *pool = pool_create(512);
	struct store_user user;
	struct store_quota quota;
	int ret;

	if (cmd->utf8_path && !client->smtputf8) {
		/* RFC 6531 3.5 */
		lmtp_client_reply(client, 553, "5.6.7",
				  "Non-ASCII recipient needs SMTPUTF8");
		pool_destroy(&pool);
		return;
	}
	if (client->rcpt_count >= LMTP_MAX_RECIPIENTS) {
		/* RFC 5321 4.5.3.1.10 */
		lmtp_client_reply(client, 452, "4.5.3", "Too many recipients");
		pool_destroy(&pool);
		return;
	}
	/* RFC 2033 4.2 wants unknown users refused here, so that the MTA
	   bounces at once instead of after the data */
	ret = store_user_lookup(store, cmd->arg, pool, &user);
	if (ret < 0) {
		log_error("lmtp", "user lookup failed for %s: %s", log_value(cmd->arg),
			  store_last_error_detail(store));
		lmtp_client_reply(client, 451, "4.3.0",
				  "Temporary failure, try again later");
	} else if (ret == 0) {
		log_info("lmtp", "unknown recipient id=%s to=%s", client->txn_id,
			 log_value(cmd->arg));
		lmtp_client_reply(client, 550, "5.1.1", "<%s> User unknown", cmd->arg);
	} else if (store_quota_get(store, user.id, &quota) > 0 &&
		   store_quota_exceeded(&quota, client->mail_size > 0 ?
					client->mail_size : 1, 1)) {
		/* Already full (or too full for the SIZE the
		   client announced), so refuse now rather than after the
		   data; the check that counts is the one at delivery */
		log_info("lmtp", "over quota id=%s to=%s", client->txn_id,
			 log_value(cmd->arg));
		lmtp_client_reply(client, 552, "5.2.2",
				  "<%s> Mailbox is full (quota exceeded)", cmd->arg);
	} else {
		struct lmtp_recipient *rcpt = &client->rcpts[client->rcpt_count++];

		memset(rcpt, 0, sizeof(*rcpt));
		rcpt->address = p_strdup(client->txn_pool, cmd->arg);
		lmtp_client_reply(client, 250, "2.1.5", "<%s> Recipient OK", cmd->arg);
	}
	pool_destroy(&pool);
}

static void cmd_data(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	lmtp_client_reply(client, 354, NULL, "Start mail input; end with <CRLF>.<CRLF>");
	smtp_data_reader_reset(client->data_reader);
	buffer_reset(&client->message);
	client->mode = LMTP_INPUT_DATA;
}

static void cmd_bdat(struct lmtp_client *client, const struct smtp_command *cmd)
{
	/* The chunk follows the command whatever we think of it: read it
	   and throw it away if the command cannot be accepted (RFC 3030 4.2) */
	client->mode = LMTP_INPUT_BDAT;
	client->bdat_left = cmd->chunk_size;
	client->bdat_last = cmd->last;
	if (!client->mail_given || client->rcpt_count == 0) {
		client->bdat_bad_sequence = true;
		return;
	}
	if (!client->bdat_started) {
		client->bdat_started = true;
		client->bdat_size = 0;
		buffer_reset(&client->message);
	}
	client->bdat_size += cmd->chunk_size;
}

static void cmd_rset(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	lmtp_client_reset_transaction(client);
	lmtp_client_reply(client, 250, "2.0.0", "OK");
}

static void cmd_noop(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	lmtp_client_reply(client, 250, "2.0.0", "OK");
}

static void cmd_quit(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	lmtp_client_reply(client, 221, "2.0.0", "%s Bye",
			  client->srv->conf->hostname);
	lmtp_client_close(client);
}

static void cmd_vrfy(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	/* RFC 5321 3.5.3: we do not tell who exists */
	lmtp_client_reply(client, 252, "2.5.2",
			  "Cannot VRFY user, but will accept message and attempt delivery");
}

static void cmd_help(struct lmtp_client *client, const struct smtp_command *cmd)
{
	(void)cmd;
	lmtp_client_reply(client, 214, "2.0.0",
			  "Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
}

static void cmd_not_implemented(struct lmtp_client *client,
				const struct smtp_command *cmd)
{
	lmtp_client_reply(client, 502, "5.5.1", "%s not implemented",
			  smtp_verb_name(cmd->verb));
}

static const struct lmtp_command lmtp_commands[] = {
	{ SMTP_VERB_LHLO, 0, cmd_lhlo },
	{ SMTP_VERB_HELO, 0, cmd_helo },
	{ SMTP_VERB_EHLO, 0, cmd_helo },
	{ SMTP_VERB_MAIL, LMTP_CMD_NEEDS_LHLO | LMTP_CMD_NO_MAIL, cmd_mail },
	{ SMTP_VERB_RCPT, LMTP_CMD_NEEDS_LHLO | LMTP_CMD_NEEDS_MAIL |
	  LMTP_CMD_NO_BDAT, cmd_rcpt },
	{ SMTP_VERB_DATA, LMTP_CMD_NEEDS_LHLO | LMTP_CMD_NEEDS_MAIL |
	  LMTP_CMD_NEEDS_RCPT | LMTP_CMD_NO_BDAT, cmd_data },
	/* BDAT checks its state itself: its chunk must be read either way */
	{ SMTP_VERB_BDAT, LMTP_CMD_NEEDS_LHLO, cmd_bdat },
	{ SMTP_VERB_RSET, 0, cmd_rset },
	{ SMTP_VERB_NOOP, 0, cmd_noop },
	{ SMTP_VERB_QUIT, 0, cmd_quit },
	{ SMTP_VERB_VRFY, 0, cmd_vrfy },
	{ SMTP_VERB_HELP, 0, cmd_help },
	{ SMTP_VERB_EXPN, 0, cmd_not_implemented },
	{ SMTP_VERB_STARTTLS, 0, cmd_not_implemented },
	{ SMTP_VERB_AUTH, 0, cmd_not_implemented },
};

/* Why a command may not run now, or NULL (RFC 5321 4.1.4 ordering). */
static const char *lmtp_command_check(const struct lmtp_client *client,
				      unsigned int flags)
{
	if ((flags & LMTP_CMD_NEEDS_LHLO) != 0 && client->helo == NULL)
		return "LHLO first";
	if ((flags & LMTP_CMD_NEEDS_MAIL) != 0 && !client->mail_given)
		return "MAIL first";
	if ((flags & LMTP_CMD_NO_MAIL) != 0 && client->mail_given)
		return "MAIL already given";
	if ((flags & LMTP_CMD_NO_BDAT) != 0 && client->bdat_started)
		return "Not allowed after BDAT";
	/* RFC 2033 4.2: DATA with no accepted recipient fails with 503 */
	if ((flags & LMTP_CMD_NEEDS_RCPT) != 0 && client->rcpt_count == 0)
		return "No valid recipients";
	return NULL;
}

void lmtp_command_run(struct lmtp_client *client, const struct smtp_command *cmd)
{
	for (unsigned int i = 0; i < sizeof(lmtp_commands) / sizeof(*lmtp_commands); i++) {
		const struct lmtp_command *c = &lmtp_commands[i];
		const char *why;

		if (c->verb != cmd->verb)
			continue;
		why = lmtp_command_check(client, c->flags);
		if (why != NULL) {
			if (cmd->verb == SMTP_VERB_BDAT) {
				/* still read (and drop) the chunk */
				client->mode = LMTP_INPUT_BDAT;
				client->bdat_left = cmd->chunk_size;
				client->bdat_last = cmd->last;
				client->bdat_bad_sequence = true;
				return;
			}
			lmtp_client_reply(client, 503, "5.5.1", "%s", why);
			lmtp_client_bad_command(client);
			return;
		}
		c->handler(client, cmd);
		return;
	}
	cmd_not_implemented(client, cmd);
}
