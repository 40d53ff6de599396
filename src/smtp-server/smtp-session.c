/*
 * The SMTP session core shared by LMTP and submission (smtp-session.h).
 */
#include "smtp-session.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "smtp-data.h"
#include "smtp-reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool smtp_session_open(struct smtp_session *s, struct session_list *list,
		       const struct smtp_session_protocol *protocol,
		       struct server *srv, enum metrics_protocol metrics,
		       unsigned int idle_timeout_secs, int fd,
		       const struct sockaddr *peer,
		       struct tls_session **tls_session,
		       const struct connection_callbacks *callbacks,
		       void *owner)
{
	const struct conf *conf = srv->conf;
	struct connection_settings set;

	memset(&set, 0, sizeof(set));
	set.max_line = conf->max_line_length;
	set.max_input_buffer = SMTP_SESSION_MAX_INPUT_BUFFER;
	set.idle_timeout_secs = idle_timeout_secs;
	s->protocol = protocol;
	/* the connection's callbacks get the session; the client is owner */
	if (!session_open(&s->session, list, srv, metrics, fd, peer,
			  tls_session, &set, callbacks, s))
		return false;
	s->session.owner = owner;
	s->txn_pool = pool_create(1024);
	s->parser = smtp_command_parser_create(conf->max_line_length);
	s->data_reader = smtp_data_reader_create();
	buffer_init(&s->out, 0);
	buffer_init(&s->message, conf->max_message_size);
	return true;
}

void smtp_session_deinit(struct smtp_session *s, struct session_list *list)
{
	session_close(&s->session, list);
	smtp_command_parser_wipe(s->parser);
	smtp_command_parser_destroy(&s->parser);
	smtp_data_reader_destroy(&s->data_reader);
	buffer_free(&s->out);
	buffer_free(&s->message);
	pool_destroy(&s->txn_pool);
	free(s->helo);
	s->helo = NULL;
}

void smtp_session_flush(struct smtp_session *s)
{
	if (s->out.used == 0)
		return;
	connection_write(s->session.conn, s->out.data, s->out.used);
	buffer_reset(&s->out);
}

void smtp_session_reply(struct smtp_session *s, unsigned int code,
			const char *enhanced, const char *fmt, ...)
{
	char text[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	smtp_reply_write(&s->out, code, enhanced, text);
	if (s->cmd_start_usecs != 0) {
		metrics_command_done(s->session.protocol, s->cmd_start_usecs);
		s->cmd_start_usecs = 0;
	}
}

void smtp_session_close(struct smtp_session *s)
{
	s->mode = SMTP_SESSION_CLOSING;
	smtp_session_flush(s);
	connection_close_after_output(s->session.conn);
}

void smtp_session_bad_command(struct smtp_session *s)
{
	if (!session_bad_command(&s->session, s->protocol->name))
		return;
	smtp_session_reply(s, 421, "4.7.0", "%s Too many errors, closing",
			   s->session.srv->conf->hostname);
	smtp_session_close(s);
}

void smtp_session_reset_transaction(struct smtp_session *s)
{
	s->mail_given = false;
	s->sender = NULL;
	s->mail_size = 0;
	s->smtputf8 = false;
	s->rcpt_count = 0;
	s->bdat_started = false;
	s->bdat_left = 0;
	s->bdat_last = false;
	s->bdat_bad_sequence = false;
	s->protocol->reset(s);
	pool_clear(s->txn_pool);
	/* a 50 MB message should not stay with an idle connection */
	if (s->message.alloc > SMTP_SESSION_KEEP_MESSAGE_BUFFER)
		buffer_free(&s->message);
	else
		buffer_reset(&s->message);
}

void smtp_session_begin_transaction(struct smtp_session *s,
				    const struct smtp_command *mail)
{
	unsigned char raw[8];

	smtp_session_reset_transaction(s);
	s->mail_given = true;
	s->sender = p_strdup(s->txn_pool, mail->arg);
	s->mail_size = mail->size_given ? mail->size : 0;
	s->smtputf8 = mail->smtputf8;
	/* 64 random bits in hex, for Received: and logs */
	secret_random(raw, sizeof(raw));
	for (unsigned int i = 0; i < sizeof(raw); i++)
		snprintf(s->txn_id + i * 2, 3, "%02x", raw[i]);
}

uint64_t smtp_session_message_size(const struct smtp_session *s)
{
	return s->bdat_started ? s->bdat_size :
				 smtp_data_reader_size(s->data_reader);
}

/* The session is idle between transactions: a drain closes it now. */
static bool smtp_session_check_drain(struct smtp_session *s)
{
	if (!s->draining || s->mode != SMTP_SESSION_COMMAND || s->mail_given)
		return false;
	smtp_session_reply(s, 421, "4.3.2", "%s Service shutting down",
			   s->session.srv->conf->hostname);
	smtp_session_close(s);
	return true;
}

void smtp_session_drain(struct smtp_session *s)
{
	s->draining = true;
	(void) smtp_session_check_drain(s);
}

void smtp_session_busy(struct smtp_session *s)
{
	s->mode = SMTP_SESSION_BUSY;
	connection_input_pause(s->session.conn, true);
}

void smtp_session_resume(struct smtp_session *s)
{
	if (s->mode != SMTP_SESSION_COMMAND)
		return;
	connection_input_pause(s->session.conn, false);
	connection_input_kick(s->session.conn);
}

void smtp_session_transaction_done(struct smtp_session *s)
{
	smtp_session_reset_transaction(s);
	s->mode = SMTP_SESSION_COMMAND;
	if (!smtp_session_check_drain(s))
		smtp_session_flush(s);
	smtp_session_resume(s);
}

/* --- the commands both protocols share --- */

static void cmd_data(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	smtp_session_reply(s, 354, NULL,
			   "Start mail input; end with <CRLF>.<CRLF>");
	smtp_data_reader_reset(s->data_reader);
	buffer_reset(&s->message);
	s->mode = SMTP_SESSION_DATA;
}

static void cmd_bdat(struct smtp_session *s, const struct smtp_command *cmd)
{
	s->mode = SMTP_SESSION_BDAT;
	s->bdat_left = cmd->chunk_size;
	s->bdat_last = cmd->last;
	if (!s->bdat_started) {
		s->bdat_started = true;
		s->bdat_size = 0;
		buffer_reset(&s->message);
	}
	s->bdat_size += cmd->chunk_size;
}

static void cmd_rset(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	smtp_session_reset_transaction(s);
	smtp_session_reply(s, 250, "2.0.0", "OK");
}

static void cmd_noop(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	smtp_session_reply(s, 250, "2.0.0", "OK");
}

static void cmd_quit(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	smtp_session_reply(s, 221, "2.0.0", "%s Bye",
			   s->session.srv->conf->hostname);
	smtp_session_close(s);
}

static void cmd_vrfy(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	/* RFC 5321 3.5.3: we do not tell who exists */
	smtp_session_reply(
		s, 252, "2.5.2",
		"Cannot VRFY user, but will accept message and attempt delivery");
}

static void cmd_help(struct smtp_session *s, const struct smtp_command *cmd)
{
	(void) cmd;
	smtp_session_reply(s, 214, "2.0.0", "Commands: %s", s->protocol->help);
}

static void cmd_not_implemented(struct smtp_session *s,
				const struct smtp_command *cmd)
{
	smtp_session_reply(s, 502, "5.5.1", "%s not implemented",
			   smtp_verb_name(cmd->verb));
}

#define TXN (SMTP_CMD_NEEDS_HELO | SMTP_CMD_NEEDS_AUTH)

static const struct smtp_session_command smtp_session_commands[] = {
	{SMTP_VERB_DATA,
	 TXN | SMTP_CMD_NEEDS_MAIL | SMTP_CMD_NEEDS_RCPT | SMTP_CMD_NO_BDAT,
	 cmd_data},
	/* a refused BDAT still has its chunk read (and dropped) */
	{SMTP_VERB_BDAT, TXN | SMTP_CMD_NEEDS_MAIL | SMTP_CMD_NEEDS_RCPT,
	 cmd_bdat},
	{SMTP_VERB_RSET, 0, cmd_rset},
	{SMTP_VERB_NOOP, 0, cmd_noop},
	{SMTP_VERB_QUIT, 0, cmd_quit},
	{SMTP_VERB_VRFY, 0, cmd_vrfy},
	{SMTP_VERB_HELP, 0, cmd_help},
	{SMTP_VERB_EXPN, 0, cmd_not_implemented},
};

struct smtp_refusal {
	unsigned int code;
	const char *enhanced;
	const char *text;
};

/* Why a command may not run now, or false (RFC 5321 4.1.4 ordering). A
   client that has not logged in hears about AUTH before anything else:
   that is what it has to do next. */
static bool smtp_session_check(const struct smtp_session *s, unsigned int flags,
			       struct smtp_refusal *r)
{
	r->code = 503;
	r->enhanced = "5.5.1";
	if ((flags & SMTP_CMD_NO_TLS) != 0 &&
	    connection_is_tls(s->session.conn))
		r->text = "TLS already active";
	else if ((flags & SMTP_CMD_NEEDS_HELO) != 0 && s->helo == NULL)
		r->text = s->protocol->hello;
	else if ((flags & SMTP_CMD_NEEDS_AUTH) != 0 && !s->authenticated) {
		/* RFC 4954 6 */
		r->code = 530;
		r->enhanced = "5.7.0";
		r->text = "Authentication required";
	} else if ((flags & SMTP_CMD_NO_AUTH) != 0 && s->authenticated)
		r->text = "Already authenticated";
	else if ((flags & SMTP_CMD_NEEDS_MAIL) != 0 && !s->mail_given)
		r->text = "MAIL first";
	else if ((flags & SMTP_CMD_NO_MAIL) != 0 && s->mail_given)
		r->text = "Not allowed inside a mail transaction";
	else if ((flags & SMTP_CMD_NO_BDAT) != 0 && s->bdat_started)
		r->text = "Not allowed after BDAT";
	/* RFC 2033 4.2: DATA with no accepted recipient fails with 503 */
	else if ((flags & SMTP_CMD_NEEDS_RCPT) != 0 && s->rcpt_count == 0)
		r->text = "No valid recipients";
	else
		return false;
	return true;
}

static const struct smtp_session_command *
smtp_session_command_find(const struct smtp_session *s, enum smtp_verb verb)
{
	const struct smtp_session_protocol *p = s->protocol;

	for (unsigned int i = 0; i < p->command_count; i++) {
		if (p->commands[i].verb == verb)
			return &p->commands[i];
	}
	for (size_t i = 0; i < sizeof(smtp_session_commands) /
				       sizeof(smtp_session_commands[0]);
	     i++) {
		if (smtp_session_commands[i].verb == verb)
			return &smtp_session_commands[i];
	}
	return NULL;
}

static void smtp_session_command_run(struct smtp_session *s,
				     const struct smtp_command *cmd)
{
	const struct smtp_session_command *c =
		smtp_session_command_find(s, cmd->verb);
	struct smtp_refusal refusal;

	if (c == NULL) {
		/* a verb the parser knows but this protocol does not */
		cmd_not_implemented(s, cmd);
		return;
	}
	if (!smtp_session_check(s, c->flags, &refusal)) {
		c->handler(s, cmd);
		return;
	}
	if (cmd->verb == SMTP_VERB_BDAT && refusal.code == 530) {
		/* a chunk from someone not logged in is not worth reading:
		   up to 2^62 bytes could follow */
		smtp_session_reply(s, 530, "5.7.0", "Authentication required");
		smtp_session_close(s);
		return;
	}
	if (cmd->verb == SMTP_VERB_BDAT) {
		/* RFC 3030 4.2: read (and drop) the chunk, then refuse */
		s->mode = SMTP_SESSION_BDAT;
		s->bdat_left = cmd->chunk_size;
		s->bdat_last = cmd->last;
		s->bdat_bad_sequence = true;
		s->bdat_bad_code = refusal.code;
		s->bdat_bad_enhanced = refusal.enhanced;
		s->bdat_bad_text = refusal.text;
		return;
	}
	smtp_session_reply(s, refusal.code, refusal.enhanced, "%s",
			   refusal.text);
	smtp_session_bad_command(s);
	if (cmd->verb == SMTP_VERB_AUTH)
		smtp_command_parser_wipe(s->parser);
}

/* --- input --- */

static void smtp_session_bdat_done(struct smtp_session *s)
{
	s->mode = SMTP_SESSION_COMMAND;
	if (s->bdat_bad_sequence) {
		s->bdat_bad_sequence = false;
		smtp_session_reply(s, s->bdat_bad_code, s->bdat_bad_enhanced,
				   "%s", s->bdat_bad_text);
		smtp_session_bad_command(s);
		return;
	}
	if (s->bdat_last) {
		s->protocol->message_done(s);
		return;
	}
	if (s->message.overflow) {
		/* RFC 3030 4.2: the client must stop sending chunks */
		smtp_session_reply(
			s, 552, "5.3.4",
			"Message size exceeds fixed maximum message size");
		return;
	}
	smtp_session_reply(s, 250, "2.0.0", "%llu octets received",
			   (unsigned long long) s->bdat_size);
}

static void smtp_session_read_command(struct smtp_session *s,
				      const unsigned char *data, size_t size)
{
	struct smtp_command cmd;
	struct smtp_command_error err;
	size_t consumed;
	int ret;

	ret = smtp_command_parser_parse(s->parser, data, size, &consumed, &cmd,
					&err);
	connection_input_consume(s->session.conn, consumed);
	if (ret == 0)
		return;
	s->cmd_start_usecs = metrics_now_usecs();
	if (ret < 0) {
		smtp_session_reply(s, err.code, err.enhanced, "%s", err.text);
		smtp_session_bad_command(s);
		return;
	}
	smtp_session_command_run(s, &cmd);
}

/* Process what is buffered until we must wait (more input needed, a login
   or a message in flight, or closing). */
static void smtp_session_run(struct smtp_session *s)
{
	while (s->mode != SMTP_SESSION_BUSY &&
	       s->mode != SMTP_SESSION_CLOSING) {
		const unsigned char *data;
		size_t size, consumed;

		if (s->mode == SMTP_SESSION_BDAT && s->bdat_left == 0) {
			smtp_session_bdat_done(s);
			continue;
		}
		if (s->mode == SMTP_SESSION_COMMAND && s->out.used > 0) {
			/* a client that pipelines without reading our replies
			   must not make them pile up without bound */
			if (s->out.used >= 4096)
				smtp_session_flush(s);
			if (connection_output_full(s->session.conn)) {
				smtp_session_flush(s);
				connection_want_drain(s->session.conn);
				break;
			}
		}
		if (s->mode == SMTP_SESSION_OTHER) {
			if (!s->protocol->input_other(s))
				break;
			continue;
		}
		data = connection_input_peek(s->session.conn, (size_t) -1,
					     &size);
		if (size == 0)
			break;
		switch (s->mode) {
		case SMTP_SESSION_COMMAND:
			smtp_session_read_command(s, data, size);
			break;
		case SMTP_SESSION_DATA:
			if (smtp_data_reader_parse(s->data_reader, data, size,
						   &consumed,
						   &s->message) == 1) {
				connection_input_consume(s->session.conn,
							 consumed);
				s->protocol->message_done(s);
				break;
			}
			connection_input_consume(s->session.conn, consumed);
			break;
		case SMTP_SESSION_BDAT:
			consumed = size < s->bdat_left ? size :
							 (size_t) s->bdat_left;
			if (!s->bdat_bad_sequence && !s->message.overflow)
				(void) buffer_append(&s->message, data,
						     consumed);
			connection_input_consume(s->session.conn, consumed);
			s->bdat_left -= consumed;
			break;
		case SMTP_SESSION_OTHER:
		case SMTP_SESSION_BUSY:
		case SMTP_SESSION_CLOSING:
			break;
		}
	}
	if (s->mode == SMTP_SESSION_COMMAND)
		(void) smtp_session_check_drain(s);
	smtp_session_flush(s);
}

void smtp_session_input(void *context)
{
	smtp_session_run(context);
}

void smtp_session_drained(void *context)
{
	struct smtp_session *s = context;

	if (s->mode == SMTP_SESSION_COMMAND || s->mode == SMTP_SESSION_OTHER)
		smtp_session_run(s);
}
