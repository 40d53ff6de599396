/*
 * LMTP's own commands (RFC 2033, RFC 5321 4.1): LHLO, MAIL and RCPT, and the
 * refusal of SMTP's hellos. Each entry says in which state the command is
 * allowed (checked by the session core, in one place) and what it does. The
 * parser in src/lib-smtp has already checked the syntax; the commands both
 * protocols share are the core's.
 */
#include "lmtp-client.h"
#include "alloc.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "smtp-command.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

static void cmd_lhlo(struct smtp_session *s, const struct smtp_command *cmd)
{
	const struct conf *conf = s->session.srv->conf;

	/* RFC 5321 4.1.4: a new hello resets the transaction */
	smtp_session_reset_transaction(s);
	free(s->helo);
	s->helo = xstrdup(cmd->arg);
	/* RFC 2033 4.1 and RFC 1869 4.3; no enhanced codes here (RFC 2034 3) */
	smtp_session_reply(s, 250, NULL,
			   "%s\nPIPELINING\nENHANCEDSTATUSCODES\n8BITMIME\n"
			   "SMTPUTF8\nSIZE %llu\nCHUNKING",
			   conf->hostname,
			   (unsigned long long) conf->max_message_size);
}

static void cmd_helo(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void)cmd;
	/* RFC 2033 4.1: an LMTP server must not accept HELO or EHLO, so that
	   an SMTP client that reaches it by mistake stops here */
	smtp_session_reply(s, 500, "5.5.1", "This is LMTP: use LHLO");
	smtp_session_bad_command(s);
}

static void cmd_mail(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct lmtp_client *client = s->session.owner;
	const struct conf *conf = s->session.srv->conf;

	/* RFC 1870 6.1 */
	if (cmd->size_given && cmd->size > conf->max_message_size) {
		smtp_session_reply(
			s, 552, "5.3.4",
			"Message size exceeds fixed maximum message size");
		return;
	}
	smtp_session_begin_transaction(s, cmd);
	client->rcpts = p_new(s->txn_pool, struct lmtp_recipient,
			      SMTP_SESSION_MAX_RECIPIENTS);
	smtp_session_reply(s, 250, "2.1.0", "Sender OK");
}

static void cmd_rcpt(struct smtp_session *s, const struct smtp_command *cmd)
{
	struct lmtp_client *client = s->session.owner;
	struct store *store = s->session.srv->store;
	struct pool *pool;
	struct store_user user;
	struct store_quota quota;
	int ret;

	if (cmd->utf8_path && !s->smtputf8) {
		/* RFC 6531 3.5 */
		smtp_session_reply(s, 553, "5.6.7",
				   "Non-ASCII recipient needs SMTPUTF8");
		return;
	}
	if (s->rcpt_count >= SMTP_SESSION_MAX_RECIPIENTS) {
		/* RFC 5321 4.5.3.1.10 */
		smtp_session_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	/* RFC 2033 4.2 wants unknown users refused here, so that the MTA
	   bounces at once instead of after the data */
	pool = pool_create(512);
	ret = store_user_lookup(store, cmd->arg, pool, &user);
	if (ret < 0) {
		log_error("lmtp", "user lookup failed for %s: %s", log_value(cmd->arg),
			  store_last_error_detail(store));
		smtp_session_reply(s, 451, "4.3.0",
				   "Temporary failure, try again later");
	} else if (ret == 0) {
		log_info("lmtp", "unknown recipient id=%s to=%s", s->txn_id,
			 log_value(cmd->arg));
		smtp_session_reply(s, 550, "5.1.1", "<%s> User unknown",
				   cmd->arg);
	} else if (store_quota_get(store, user.id, &quota) > 0 &&
		   store_quota_exceeded(
			   &quota, s->mail_size > 0 ? s->mail_size : 1, 1)) {
		/* Already full (or too full for the SIZE the client
		   announced), so refuse now rather than after the data;
		   the check that counts is the one at delivery */
		log_info("lmtp", "over quota id=%s to=%s", s->txn_id,
			 log_value(cmd->arg));
		smtp_session_reply(s, 552, "5.2.2",
				   "<%s> Mailbox is full (quota exceeded)",
				   cmd->arg);
	} else {
		struct lmtp_recipient *rcpt = &client->rcpts[s->rcpt_count++];

		memset(rcpt, 0, sizeof(*rcpt));
		rcpt->address = p_strdup(s->txn_pool, cmd->arg);
		smtp_session_reply(s, 250, "2.1.5", "<%s> Recipient OK",
				   cmd->arg);
	}
	pool_destroy(&pool);
}

static void cmd_not_here(struct smtp_session *s, const struct smtp_command *cmd)
{
	smtp_session_reply(s, 502, "5.5.1", "%s not implemented",
			   smtp_verb_name(cmd->verb));
}

static void lmtp_reset(struct smtp_session *s)
{
	struct lmtp_client *client = s->session.owner;

	client->rcpts = NULL;
}

#define TXN SMTP_CMD_NEEDS_HELO

static const struct smtp_session_command lmtp_commands[] = {
	{SMTP_VERB_LHLO, 0, cmd_lhlo},
	{SMTP_VERB_HELO, 0, cmd_helo},
	{SMTP_VERB_EHLO, 0, cmd_helo},
	{SMTP_VERB_MAIL, TXN | SMTP_CMD_NO_MAIL, cmd_mail},
	{SMTP_VERB_RCPT, TXN | SMTP_CMD_NEEDS_MAIL | SMTP_CMD_NO_BDAT,
	 cmd_rcpt},
	{SMTP_VERB_STARTTLS, 0, cmd_not_here},
	{SMTP_VERB_AUTH, 0, cmd_not_here},
};

const struct smtp_session_protocol lmtp_protocol = {
	.name = "lmtp",
	.hello = "LHLO first",
	.help = "LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY",
	.commands = lmtp_commands,
	.command_count = sizeof(lmtp_commands) / sizeof(lmtp_commands[0]),
	.message_done = lmtp_client_message_done,
	.reset = lmtp_reset,
};
