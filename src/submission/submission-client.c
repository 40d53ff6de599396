/*
 * Submission sessions: reading (command lines, AUTH responses, DATA, BDAT
 * chunks), replying, logging in, and handing finished messages to the
 * delivery thread. What each command does is in submission-commands.c.
 */
#include "submission-client.h"
#include "auth.h"
#include "conf.h"
#include "connection.h"
#include "deliver-queue.h"
#include "deliver.h"
#include "fatal.h"
#include "log.h"
#include "metrics.h"
#include "mailbox-watch.h"
#include "mime.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "smtp-command.h"
#include "smtp-data.h"
#include "smtp-reply.h"
#include "store.h"
#include "submission-message.h"
#include "submission-send.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * A message handed to the delivery thread. It owns everything the work
 * points to, so that it can outlive its session: if the app disconnects,
 * or the server stops, while the message is being written, the thread
 * still finishes it and the callback frees this.
 */
struct submission_delivery {
	struct submission_client *client;  /* NULL once the session is gone */
	struct server *srv;
	const struct conf *conf;
	struct pool *pool;                 /* used by one thread at a time */
	char *data;                        /* the completed message (malloc) */
	size_t size;
	const char *sender;
	const char **local, **remote;
	unsigned int local_count, remote_count;
	char txn_id[17];
	const char *message_id;            /* for the log, or NULL */

	/* set on the delivery thread */
	enum submission_outcome outcome;
	const char *error;                 /* for the log */
};

static struct submission_client *submission_clients;

static void submission_client_input(void *context);
static void submission_client_drained(void *context);
static void submission_client_closed(void *context,
				     enum connection_close_reason reason,
				     const char *detail);
static void submission_client_tls_ready(void *context);

static const struct connection_callbacks submission_client_callbacks = {
	.input = submission_client_input,
	.output_drained = submission_client_drained,
	.closed = submission_client_closed,
	.tls_ready = submission_client_tls_ready,
};

void submission_client_flush(struct submission_client *client)
{
	if (client->out.used == 0)
		return;
	connection_write(client->conn, client->out.data, client->out.used);
	buffer_reset(&client->out);
}

void submission_client_reply(struct submission_client *client, unsigned int code,
			     const char *enhanced, const char *fmt, ...)
{
	char text[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	smtp_reply_write(&client->out, code, enhanced, text);
	if (client->cmd_start_usecs != 0) {
		metrics_command_done(METRICS_PROTOCOL_SUBMISSION, client->cmd_start_usecs);
		client->cmd_start_usecs = 0;
	}
}

void submission_client_create(struct server *srv, int fd,
			      const struct sockaddr *peer,
			      struct tls_session **session)
{
	const struct conf *conf = srv->conf;
	struct connection_settings set;
	struct submission_client *client;

	memset(&set, 0, sizeof(set));
	set.max_line = conf->max_line_length;
	set.max_input_buffer = SUBMISSION_MAX_INPUT_BUFFER;
	set.idle_timeout_secs = conf->submission_idle_timeout_secs;

	client = calloc(1, sizeof(*client));
	if (client == NULL)
		fatal_oom();
	client->srv = srv;
	client->conn = session != NULL ?
		connection_create_tls_session(srv->ioloop, fd, peer, session, &set,
					      &submission_client_callbacks, client) :
		connection_create(srv->ioloop, fd, peer, NULL, &set,
				  &submission_client_callbacks, client);
	if (client->conn == NULL) {
		free(client);
		return;
	}
	client->txn_pool = pool_create(1024);
	client->parser = smtp_command_parser_create(conf->max_line_length);
	client->data_reader = smtp_data_reader_create();
	buffer_init(&client->out, 0);
	buffer_init(&client->message, conf->max_message_size);
	client->next = submission_clients;
	if (submission_clients != NULL)
		submission_clients->prev = client;
	submission_clients = client;

	if (!server_connection_opened(srv, peer, METRICS_PROTOCOL_SUBMISSION)) {
		/* RFC 5321 3.8 */
		submission_client_reply(client, 421, "4.3.2",
					"%s Too many connections, try again later",
					conf->hostname);
		submission_client_close(client);
		return;
	}
	client->counted = true;
	log_debug("submission", "connect ip=%s%s", connection_peer_ip(client->conn),
		  session != NULL ? " tls" : "");
	/* RFC 5321 4.3.1; no enhanced code in the greeting (RFC 2034 3) */
	submission_client_reply(client, 220, NULL, "%s ESMTP infostore ready",
				conf->hostname);
	submission_client_flush(client);
}

static void submission_client_destroy(struct submission_client *client)
{
	if (client->prev != NULL)
		client->prev->next = client->next;
	else
		submission_clients = client->next;
	if (client->next != NULL)
		client->next->prev = client->prev;

	/* a message being written finishes without us */
	if (client->delivery != NULL)
		client->delivery->client = NULL;
	auth_request_cancel(&client->auth_request);
	if (client->counted)
		server_connection_closed(client->srv, connection_peer(client->conn),
					 METRICS_PROTOCOL_SUBMISSION);
	connection_destroy(&client->conn);
	smtp_command_parser_wipe(client->parser);
	smtp_command_parser_destroy(&client->parser);
	smtp_data_reader_destroy(&client->data_reader);
	buffer_free(&client->out);
	buffer_free(&client->message);
	pool_destroy(&client->txn_pool);
	free(client->helo);
	free(client->sasl_user);
	free(client->user);
	free(client);
}

void submission_client_close(struct submission_client *client)
{
	client->mode = SUBMISSION_INPUT_CLOSING;
	submission_client_flush(client);
	connection_close_after_output(client->conn);
}

void submission_client_bad_command(struct submission_client *client)
{
	const struct conf *conf = client->srv->conf;

	if (conf->max_bad_commands == 0 ||
	    ++client->bad_commands < conf->max_bad_commands)
		return;
	log_info("submission", "too many bad commands, disconnecting user=%s ip=%s",
		 client->user != NULL ? log_value(client->user) : "-",
		 connection_peer_ip(client->conn));
	submission_client_reply(client, 421, "4.7.0", "%s Too many errors, closing",
				conf->hostname);
	submission_client_close(client);
}

void submission_client_reset_transaction(struct submission_client *client)
{
	client->mail_given = false;
	client->smtputf8 = false;
	client->rcpts = NULL;
	client->rcpt_count = 0;
	client->bdat_started = false;
	client->bdat_left = 0;
	client->bdat_last = false;
	client->bdat_bad_sequence = false;
	pool_clear(client->txn_pool);
	/* a 50 MB message should not stay with an idle connection */
	if (client->message.alloc > SUBMISSION_KEEP_MESSAGE_BUFFER)
		buffer_free(&client->message);
	else
		buffer_reset(&client->message);
}

/* The session is idle between transactions: a drain closes it now. */
static bool submission_client_check_drain(struct submission_client *client)
{
	if (!client->draining || client->mode != SUBMISSION_INPUT_COMMAND ||
	    client->mail_given)
		return false;
	submission_client_reply(client, 421, "4.3.2", "%s Service shutting down",
				client->srv->conf->hostname);
	submission_client_close(client);
	return true;
}

static void submission_client_transaction_finished(struct submission_client *client)
{
	submission_client_reset_transaction(client);
	client->mode = SUBMISSION_INPUT_COMMAND;
	if (!submission_client_check_drain(client))
		submission_client_flush(client);
}

static void submission_client_resume(struct submission_client *client)
{
	if (client->mode != SUBMISSION_INPUT_COMMAND)
		return;
	connection_input_pause(client->conn, false);
	connection_input_kick(client->conn);
}

/* --- logging in --- */

bool submission_client_auth_allowed(struct submission_client *client)
{
	return server_plaintext_auth_allowed(client->srv, client->conn);
}

static void submission_client_auth_done(void *context, const struct auth_result *result)
{
	struct submission_client *client = context;

	client->auth_request = NULL;
	client->mode = SUBMISSION_INPUT_COMMAND;
	if (result->throttled) {
		/* RFC 4954 6: temporary, the password was not looked at */
		submission_client_reply(client, 454, "4.7.0", "Too many login attempts, "
					"try again in %u second%s",
					result->retry_after_secs,
					result->retry_after_secs == 1 ? "" : "s");
	} else if (result->temp_failure) {
		submission_client_reply(client, 454, "4.7.0",
					"Temporary authentication failure");
	} else if (!result->success) {
		log_info("submission", "login failed user=%s ip=%s",
			 log_value(client->sasl_user != NULL ? client->sasl_user : "-"),
			 connection_peer_ip(client->conn));
		/* RFC 4954 6 */
		submission_client_reply(client, 535, "5.7.8",
					"Authentication credentials invalid");
		if (++client->auth_failures >= SUBMISSION_MAX_AUTH_FAILURES) {
			submission_client_reply(client, 421, "4.7.0",
						"%s Too many failed logins, closing",
						client->srv->conf->hostname);
			submission_client_close(client);
		}
	} else {
		client->user = strdup(result->address);
		if (client->user == NULL)
			fatal_oom();
		log_info("submission", "login user=%s ip=%s%s%s",
			 log_value(client->user), connection_peer_ip(client->conn),
			 connection_is_tls(client->conn) ? " tls=" : "",
			 connection_is_tls(client->conn) ?
			 log_value(connection_tls_info(client->conn)) : "");
		submission_client_reply(client, 235, "2.7.0", "Authentication successful");
	}
	free(client->sasl_user);
	client->sasl_user = NULL;
	submission_client_flush(client);
	submission_client_resume(client);
}

void submission_client_login(struct submission_client *client,
			     const char *address, const char *password)
{
	if (client->sasl_user != address) {
		free(client->sasl_user);
		client->sasl_user = strdup(address);
		if (client->sasl_user == NULL)
			fatal_oom();
	}
	/* commands pipelined behind the password wait in the buffer */
	client->mode = SUBMISSION_INPUT_AUTHENTICATING;
	connection_input_pause(client->conn, true);
	client->auth_request = auth_verify_from(client->srv->auth,
						METRICS_PROTOCOL_SUBMISSION,
						connection_peer_ip(client->conn),
						address, password,
						submission_client_auth_done, client);
}

/* --- a finished message --- */

/* On the delivery thread: local recipients, then the outbound queue
   (submission-send.h). */
static void submission_delivery_run(void *context, struct store *store)
{
	struct submission_delivery *d = context;
	struct submission_send send = {
		.sender = d->sender,
		.local = d->local, .local_count = d->local_count,
		.remote = d->remote, .remote_count = d->remote_count,
		.data = (const unsigned char *)d->data, .size = d->size,
	};

	d->outcome = submission_send_run(store, d->conf, d->pool, &send);
	d->error = send.error;
}

static void submission_delivery_free(struct submission_delivery *d)
{
	free(d->data);
	pool_destroy(&d->pool);
	free(d);
}

static void submission_delivery_log(const struct submission_delivery *d)
{
	if (d->outcome == SUBMISSION_SENT) {
		log_info("submission", "sent id=%s from=%s local=%u remote=%u "
			 "size=%zu msgid=%s", d->txn_id, log_value(d->sender),
			 d->local_count, d->remote_count, d->size,
			 log_value(d->message_id));
		return;
	}
	log_error("submission", "not sent id=%s from=%s status=%s: %s", d->txn_id,
		  log_value(d->sender), submission_outcome_name(d->outcome),
		  log_value(d->error != NULL ? d->error : ""));
}

static void submission_delivery_done(void *context)
{
	struct submission_delivery *d = context;
	struct submission_client *client = d->client;

	submission_delivery_log(d);
	if (d->local_count > 0 && d->outcome == SUBMISSION_SENT)
		/* IMAP IDLE sessions see the new message now */
		mailbox_watch_poll_now(d->srv->watch);
	if (client == NULL) {
		log_info("submission", "id=%s: the client had gone", d->txn_id);
		submission_delivery_free(d);
		return;
	}
	client->delivery = NULL;
	switch (d->outcome) {
	case SUBMISSION_SENT:
		submission_client_reply(client, 250, "2.0.0", "Ok: queued as %s",
					d->txn_id);
		break;
	case SUBMISSION_NO_SPACE:
		submission_client_reply(client, 452, "4.3.1",
					"Insufficient system storage, try again later");
		break;
	case SUBMISSION_RCPT_GONE:
		submission_client_reply(client, 550, "5.1.1",
					"A recipient's mailbox is no longer here");
		break;
	case SUBMISSION_OVER_QUOTA:
		submission_client_reply(client, 552, "5.2.2",
					"A recipient's mailbox is full (quota exceeded)");
		break;
	case SUBMISSION_TEMPFAIL:
	default:
		submission_client_reply(client, 451, "4.3.0",
					"Temporary failure, try again later");
		break;
	}
	submission_delivery_free(d);
	submission_client_transaction_finished(client);
	submission_client_resume(client);
}

/* The Received: value (RFC 5321 4.4) with the protocol names of RFC 3848
   and RFC 6531 and the TLS details, on one line. */
static const char *submission_received(struct submission_client *client,
				       struct pool *pool)
{
	const struct conf *conf = client->srv->conf;
	bool tls = connection_is_tls(client->conn);
	const char *tls_info = tls ? connection_tls_info(client->conn) : "";
	const char *space = strchr(tls_info, ' ');
	const char *using = "", *for_rcpt = "";
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (tls && space != NULL)
		using = p_printf(pool, " (using %.*s with cipher %s)",
				 (int)(space - tls_info), tls_info, space + 1);
	/* name the recipient only when there is one: the others must not
	   learn about a Bcc (RFC 5321 7.2) */
	if (client->rcpt_count == 1)
		for_rcpt = p_printf(pool, " for <%s>", client->rcpts[0].address);
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	return p_printf(pool, "from %s ([%s])%s by %s (infostore) with %s%s id %s%s; %s",
			client->helo != NULL ? client->helo : "unknown",
			connection_peer_ip(client->conn), using, conf->hostname,
			client->smtputf8 ? "UTF8SMTP" : "ESMTP",
			tls ? "SA" : "A", client->txn_id, for_rcpt, date);
}

/* Why the author check refused, for the app. */
static void submission_client_reply_author(struct submission_client *client,
					   enum submission_author author,
					   const char *field)
{
	switch (author) {
	case SUBMISSION_AUTHOR_MISSING:
		submission_client_reply(client, 553, "5.7.1",
					"The message has no From: header");
		break;
	case SUBMISSION_AUTHOR_MULTIPLE:
		submission_client_reply(client, 553, "5.7.1",
					"The message has more than one %s: header", field);
		break;
	case SUBMISSION_AUTHOR_SYNTAX:
		submission_client_reply(client, 553, "5.7.1",
					"The %s: header must be one address, <%s>",
					field, client->user);
		break;
	case SUBMISSION_AUTHOR_OTHER:
	case SUBMISSION_AUTHOR_OK:
	default:
		submission_client_reply(client, 553, "5.7.1",
					"The %s: header must be your own address, <%s>",
					field, client->user);
		break;
	}
}

void submission_client_message_done(struct submission_client *client)
{
	const struct conf *conf = client->srv->conf;
	struct submission_headers headers;
	struct submission_delivery *d;
	enum submission_author author;
	const char *field, *found, *date = NULL, *message_id = NULL;
	struct buffer out;
	uint64_t size = client->bdat_started ? client->bdat_size :
		smtp_data_reader_size(client->data_reader);

	if (client->message.overflow) {
		/* RFC 1870 6.2; read to the end, stored nothing */
		log_info("submission", "message too big id=%s user=%s size=%llu max=%llu",
			 client->txn_id, log_value(client->user),
			 (unsigned long long)size,
			 (unsigned long long)conf->max_message_size);
		submission_client_reply(client, 552, "5.3.4",
					"Message size exceeds fixed maximum message size");
		submission_client_transaction_finished(client);
		return;
	}
	submission_message_scan(client->txn_pool,
				(const unsigned char *)client->message.data,
				client->message.used, &headers);
	if (headers.too_long) {
		submission_client_reply(client, 552, "5.3.4",
					"Message header exceeds %u KiB",
					SUBMISSION_HEADER_MAX / 1024);
		submission_client_transaction_finished(client);
		return;
	}
	author = submission_message_check(client->txn_pool, &headers, client->user,
					  &field, &found);
	if (author != SUBMISSION_AUTHOR_OK) {
		log_info("submission", "refused id=%s user=%s ip=%s: %s: is %s",
			 client->txn_id, log_value(client->user),
			 connection_peer_ip(client->conn), field,
			 found != NULL ? log_value(found) :
			 author == SUBMISSION_AUTHOR_MISSING ? "missing" :
			 author == SUBMISSION_AUTHOR_MULTIPLE ? "repeated" : "unreadable");
		submission_client_reply_author(client, author, field);
		submission_client_transaction_finished(client);
		return;
	}

	/* RFC 6409 8.2, 8.3: an MSA may add what the app left out */
	if (headers.date_count == 0)
		date = mime_date_now(client->txn_pool);
	if (headers.message_id_count == 0)
		message_id = mime_new_message_id(client->txn_pool, conf->hostname);
	buffer_init(&out, 0);
	(void)submission_message_complete(&out, (const unsigned char *)client->message.data,
					  client->message.used, &headers,
					  submission_received(client, client->txn_pool),
					  date, message_id);
	if (out.used > conf->max_message_size) {
		/* what we added took it over the limit */
		buffer_free(&out);
		submission_client_reply(client, 552, "5.3.4",
					"Message size exceeds fixed maximum message size");
		submission_client_transaction_finished(client);
		return;
	}

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		fatal_oom();
	d->client = client;
	d->srv = client->srv;
	d->conf = conf;
	d->pool = pool_create(2048);
	memcpy(d->txn_id, client->txn_id, sizeof(d->txn_id));
	d->data = buffer_steal(&out, &d->size);
	d->sender = p_strdup(d->pool, client->user);
	d->message_id = message_id != NULL ? p_strdup(d->pool, message_id) :
		mime_get_header(d->pool, (const unsigned char *)client->message.data,
				headers.header_end, "Message-ID");
	d->local = p_new(d->pool, const char *, client->rcpt_count);
	d->remote = p_new(d->pool, const char *, client->rcpt_count);
	for (unsigned int i = 0; i < client->rcpt_count; i++) {
		const char *addr = p_strdup(d->pool, client->rcpts[i].address);

		if (client->rcpts[i].local)
			d->local[d->local_count++] = addr;
		else
			d->remote[d->remote_count++] = addr;
	}

	client->delivery = d;
	client->mode = SUBMISSION_INPUT_SENDING;
	connection_input_pause(client->conn, true);
	deliver_queue_call(client->srv->deliver_queue, submission_delivery_run,
			   submission_delivery_done, d);
}

/* 64 random bits in hex, for Received: and logs. */
void submission_client_new_txn_id(struct submission_client *client)
{
	unsigned char raw[8];

	secret_random(raw, sizeof(raw));
	for (unsigned int i = 0; i < sizeof(raw); i++)
		snprintf(client->txn_id + i * 2, 3, "%02x", raw[i]);
}

/* --- input --- */

static void submission_client_bdat_done(struct submission_client *client)
{
	client->mode = SUBMISSION_INPUT_COMMAND;
	if (client->bdat_bad_sequence) {
		client->bdat_bad_sequence = false;
		submission_client_reply(client, client->bdat_bad_code,
					client->bdat_bad_enhanced, "%s",
					client->bdat_bad_text);
		submission_client_bad_command(client);
		return;
	}
	if (client->bdat_last) {
		submission_client_message_done(client);
		return;
	}
	if (client->message.overflow) {
		/* RFC 3030 4.2: the client must stop sending chunks */
		submission_client_reply(client, 552, "5.3.4",
					"Message size exceeds fixed maximum message size");
		return;
	}
	submission_client_reply(client, 250, "2.0.0", "%llu octets received",
				(unsigned long long)client->bdat_size);
}

/* One AUTH response line, or false when it has not arrived yet. */
static bool submission_client_read_sasl(struct submission_client *client)
{
	const char *line;
	size_t len;
	int ret;

	if (client->sasl_skipping) {
		if (!connection_input_skip_line(client->conn))
			return false;
		client->sasl_skipping = false;
		client->mode = SUBMISSION_INPUT_COMMAND;
		/* RFC 4954 4 */
		submission_client_reply(client, 500, "5.5.6",
					"Authentication exchange line is too long");
		submission_client_bad_command(client);
		return true;
	}
	ret = connection_input_line(client->conn, &line, &len);
	if (ret == 0)
		return false;
	if (ret < 0) {
		client->sasl_skipping = true;
		return true;
	}
	submission_command_sasl_response(client, line, len);
	connection_input_line_consume(client->conn);
	return true;
}

/* Process what is buffered until we must wait (need more input, a login
   or a delivery in flight, or closing). */
static void submission_client_run(struct submission_client *client)
{
	while (client->mode != SUBMISSION_INPUT_SENDING &&
	       client->mode != SUBMISSION_INPUT_AUTHENTICATING &&
	       client->mode != SUBMISSION_INPUT_CLOSING) {
		const unsigned char *data;
		size_t size, consumed;

		if (client->mode == SUBMISSION_INPUT_BDAT && client->bdat_left == 0) {
			submission_client_bdat_done(client);
			continue;
		}
		if (client->mode == SUBMISSION_INPUT_COMMAND && client->out.used > 0) {
			/* a client that pipelines without reading our replies
			   must not make them pile up without bound */
			if (client->out.used >= 4096)
				submission_client_flush(client);
			if (connection_output_full(client->conn)) {
				submission_client_flush(client);
				connection_want_drain(client->conn);
				break;
			}
		}
		if (client->mode == SUBMISSION_INPUT_SASL) {
			if (!submission_client_read_sasl(client))
				break;
			continue;
		}
		data = connection_input_peek(client->conn, (size_t)-1, &size);
		if (size == 0)
			break;
		switch (client->mode) {
		case SUBMISSION_INPUT_COMMAND: {
			struct smtp_command cmd;
			struct smtp_command_error err;
			int ret;

			ret = smtp_command_parser_parse(client->parser, data, size,
							&consumed, &cmd, &err);
			connection_input_consume(client->conn, consumed);
			if (ret == 0)
				break;
			client->cmd_start_usecs = metrics_now_usecs();
			if (ret < 0) {
				submission_client_reply(client, err.code, err.enhanced,
							"%s", err.text);
				submission_client_bad_command(client);
				break;
			}
			submission_command_run(client, &cmd);
			break;
		}
		case SUBMISSION_INPUT_DATA:
			if (smtp_data_reader_parse(client->data_reader, data, size,
						   &consumed, &client->message) == 1) {
				connection_input_consume(client->conn, consumed);
				submission_client_message_done(client);
				break;
			}
			connection_input_consume(client->conn, consumed);
			break;
		case SUBMISSION_INPUT_BDAT:
			consumed = size < client->bdat_left ? size :
				(size_t)client->bdat_left;
			if (!client->bdat_bad_sequence && !client->message.overflow)
				(void)buffer_append(&client->message, data, consumed);
			connection_input_consume(client->conn, consumed);
			client->bdat_left -= consumed;
			break;
		case SUBMISSION_INPUT_SASL:
		case SUBMISSION_INPUT_AUTHENTICATING:
		case SUBMISSION_INPUT_SENDING:
		case SUBMISSION_INPUT_CLOSING:
			break;
		}
	}
	if (client->mode == SUBMISSION_INPUT_COMMAND)
		(void)submission_client_check_drain(client);
	submission_client_flush(client);
}

static void submission_client_input(void *context)
{
	submission_client_run(context);
}

static void submission_client_drained(void *context)
{
	struct submission_client *client = context;

	if (client->mode == SUBMISSION_INPUT_COMMAND ||
	    client->mode == SUBMISSION_INPUT_SASL)
		submission_client_run(client);
}

static void submission_client_tls_ready(void *context)
{
	struct submission_client *client = context;

	log_debug("submission", "starttls ip=%s %s", connection_peer_ip(client->conn),
		  connection_tls_info(client->conn));
}

static const char *submission_close_reason(enum connection_close_reason reason)
{
	switch (reason) {
	case CONNECTION_CLOSED_EOF:
		return "eof";
	case CONNECTION_CLOSED_ERROR:
		return "error";
	case CONNECTION_CLOSED_TIMEOUT:
		return "idle timeout";
	case CONNECTION_CLOSED_BY_US:
		return "closed";
	case CONNECTION_CLOSED_INPUT_FULL:
		return "input full";
	}
	return "unknown";
}

static void submission_client_closed(void *context,
				     enum connection_close_reason reason,
				     const char *detail)
{
	struct submission_client *client = context;

	if (client->user != NULL || reason == CONNECTION_CLOSED_TIMEOUT ||
	    reason == CONNECTION_CLOSED_ERROR || log_enabled(LOG_LEVEL_DEBUG))
		log_info("submission", "disconnect user=%s ip=%s reason=%s%s%s",
			 client->user != NULL ? log_value(client->user) : "-",
			 connection_peer_ip(client->conn),
			 submission_close_reason(reason),
			 detail != NULL ? " detail=" : "",
			 detail != NULL ? log_value(detail) : "");
	if (client->mode == SUBMISSION_INPUT_DATA || client->mode == SUBMISSION_INPUT_BDAT)
		log_info("submission", "disconnected during the message id=%s ip=%s",
			 client->txn_id, connection_peer_ip(client->conn));
	submission_client_destroy(client);
}

void submission_client_drain_all(void)
{
	for (struct submission_client *client = submission_clients; client != NULL;
	     client = client->next) {
		client->draining = true;
		(void)submission_client_check_drain(client);
	}
}

void submission_client_destroy_all(void)
{
	while (submission_clients != NULL)
		submission_client_destroy(submission_clients);
}
