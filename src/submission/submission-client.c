/*
 * Submission sessions: reading (command lines, AUTH responses, DATA, BDAT
 * chunks), replying, logging in, and handing finished messages to the
 * delivery thread. What each command does is in submission-commands.c.
 */
#include "submission-client.h"
#include "alloc.h"
#include "auth.h"
#include "conf.h"
#include "connection.h"
#include "deliver-queue.h"
#include "deliver.h"
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

static struct session_list submission_clients;

static void submission_client_closed(void *context,
				     enum connection_close_reason reason,
				     const char *detail);
static void submission_client_tls_ready(void *context);

static const struct connection_callbacks submission_client_callbacks = {
	.input = smtp_session_input,
	.output_drained = smtp_session_drained,
	.closed = submission_client_closed,
	.tls_ready = submission_client_tls_ready,
};

void submission_client_create(struct server *srv, int fd,
			      const struct sockaddr *peer,
			      struct tls_session **session)
{
	const struct conf *conf = srv->conf;
	struct submission_client *client;
	bool tls = session != NULL;

	client = xcalloc(1, sizeof(*client));
	if (!smtp_session_open(&client->smtp, &submission_clients,
			       &submission_protocol, srv,
			       METRICS_PROTOCOL_SUBMISSION,
			       conf->submission_idle_timeout_secs, fd, peer,
			       session, &submission_client_callbacks, client)) {
		free(client);
		return;
	}
	if (!session_count(&client->smtp.session)) {
		/* RFC 5321 3.8 */
		smtp_session_reply(&client->smtp, 421, "4.3.2",
				   "%s Too many connections, try again later",
				   conf->hostname);
		smtp_session_close(&client->smtp);
		return;
	}
	log_debug("submission", "connect ip=%s%s",
		  connection_peer_ip(client->smtp.session.conn),
		  tls ? " tls" : "");
	/* RFC 5321 4.3.1; no enhanced code in the greeting (RFC 2034 3) */
	smtp_session_reply(&client->smtp, 220, NULL, "%s ESMTP infostore ready",
			   conf->hostname);
	smtp_session_flush(&client->smtp);
}

static void submission_client_destroy(struct submission_client *client)
{
	/* a message being written finishes without us */
	if (client->delivery != NULL)
		client->delivery->client = NULL;
	auth_request_cancel(&client->auth_request);
	smtp_session_deinit(&client->smtp, &submission_clients);
	free(client->sasl_user);
	free(client->user);
	free(client);
}

/* --- logging in --- */

bool submission_client_auth_allowed(struct submission_client *client)
{
	return server_plaintext_auth_allowed(client->smtp.session.srv,
					     client->smtp.session.conn);
}

static void submission_client_auth_done(void *context, const struct auth_result *result)
{
	struct submission_client *client = context;

	client->auth_request = NULL;
	client->smtp.mode = SMTP_SESSION_COMMAND;
	if (result->throttled) {
		/* RFC 4954 6: temporary, the password was not looked at */
		smtp_session_reply(&client->smtp, 454, "4.7.0",
				   "Too many login attempts, "
				   "try again in %u second%s",
				   result->retry_after_secs,
				   result->retry_after_secs == 1 ? "" : "s");
	} else if (result->temp_failure) {
		smtp_session_reply(&client->smtp, 454, "4.7.0",
				   "Temporary authentication failure");
	} else if (!result->success) {
		log_info("submission", "login failed user=%s ip=%s",
			 log_value(client->sasl_user != NULL ?
					   client->sasl_user :
					   "-"),
			 connection_peer_ip(client->smtp.session.conn));
		/* RFC 4954 6 */
		smtp_session_reply(&client->smtp, 535, "5.7.8",
				   "Authentication credentials invalid");
		if (++client->auth_failures >= SUBMISSION_MAX_AUTH_FAILURES) {
			smtp_session_reply(
				&client->smtp, 421, "4.7.0",
				"%s Too many failed logins, closing",
				client->smtp.session.srv->conf->hostname);
			smtp_session_close(&client->smtp);
		}
	} else {
		client->user = xstrdup(result->address);
		client->smtp.authenticated = true;
		log_info("submission", "login user=%s ip=%s%s%s",
			 log_value(client->user),
			 connection_peer_ip(client->smtp.session.conn),
			 connection_is_tls(client->smtp.session.conn) ?
				 " tls=" :
				 "",
			 connection_is_tls(client->smtp.session.conn) ?
				 log_value(connection_tls_info(
					 client->smtp.session.conn)) :
				 "");
		smtp_session_reply(&client->smtp, 235, "2.7.0",
				   "Authentication successful");
	}
	free(client->sasl_user);
	client->sasl_user = NULL;
	smtp_session_flush(&client->smtp);
	smtp_session_resume(&client->smtp);
}

void submission_client_login(struct submission_client *client,
			     const char *address, const char *password)
{
	if (client->sasl_user != address) {
		free(client->sasl_user);
		client->sasl_user = xstrdup(address);
	}
	/* commands pipelined behind the password wait in the buffer */
	smtp_session_busy(&client->smtp);
	client->auth_request = auth_verify_from(
		client->smtp.session.srv->auth, METRICS_PROTOCOL_SUBMISSION,
		connection_peer_ip(client->smtp.session.conn), address,
		password, submission_client_auth_done, client);
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
		smtp_session_reply(&client->smtp, 250, "2.0.0",
				   "Ok: queued as %s", d->txn_id);
		break;
	case SUBMISSION_NO_SPACE:
		smtp_session_reply(
			&client->smtp, 452, "4.3.1",
			"Insufficient system storage, try again later");
		break;
	case SUBMISSION_RCPT_GONE:
		smtp_session_reply(&client->smtp, 550, "5.1.1",
				   "A recipient's mailbox is no longer here");
		break;
	case SUBMISSION_OVER_QUOTA:
		smtp_session_reply(
			&client->smtp, 552, "5.2.2",
			"A recipient's mailbox is full (quota exceeded)");
		break;
	case SUBMISSION_TEMPFAIL:
	default:
		smtp_session_reply(&client->smtp, 451, "4.3.0",
				   "Temporary failure, try again later");
		break;
	}
	submission_delivery_free(d);
	smtp_session_transaction_done(&client->smtp);
}

/* The Received: value (RFC 5321 4.4) with the protocol names of RFC 3848
   and RFC 6531 and the TLS details, on one line. */
static const char *submission_received(struct submission_client *client,
				       struct pool *pool)
{
	const struct conf *conf = client->smtp.session.srv->conf;
	bool tls = connection_is_tls(client->smtp.session.conn);
	const char *tls_info =
		tls ? connection_tls_info(client->smtp.session.conn) : "";
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
	if (client->smtp.rcpt_count == 1)
		for_rcpt = p_printf(pool, " for <%s>", client->rcpts[0].address);
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	return p_printf(
		pool,
		"from %s ([%s])%s by %s (infostore) with %s%s id %s%s; %s",
		client->smtp.helo != NULL ? client->smtp.helo : "unknown",
		connection_peer_ip(client->smtp.session.conn), using,
		conf->hostname, client->smtp.smtputf8 ? "UTF8SMTP" : "ESMTP",
		tls ? "SA" : "A", client->smtp.txn_id, for_rcpt, date);
}

/* Why the author check refused, for the app. */
static void submission_client_reply_author(struct submission_client *client,
					   enum submission_author author,
					   const char *field)
{
	switch (author) {
	case SUBMISSION_AUTHOR_MISSING:
		smtp_session_reply(&client->smtp, 553, "5.7.1",
				   "The message has no From: header");
		break;
	case SUBMISSION_AUTHOR_MULTIPLE:
		smtp_session_reply(&client->smtp, 553, "5.7.1",
				   "The message has more than one %s: header",
				   field);
		break;
	case SUBMISSION_AUTHOR_SYNTAX:
		smtp_session_reply(&client->smtp, 553, "5.7.1",
				   "The %s: header must be one address, <%s>",
				   field, client->user);
		break;
	case SUBMISSION_AUTHOR_OTHER:
	case SUBMISSION_AUTHOR_OK:
	default:
		smtp_session_reply(
			&client->smtp, 553, "5.7.1",
			"The %s: header must be your own address, <%s>", field,
			client->user);
		break;
	}
}

void submission_client_message_done(struct smtp_session *s)
{
	struct submission_client *client = s->session.owner;
	const struct conf *conf = client->smtp.session.srv->conf;
	struct submission_headers headers;
	struct submission_delivery *d;
	enum submission_author author;
	const char *field, *found, *date = NULL, *message_id = NULL;
	struct buffer out;
	uint64_t size = client->smtp.bdat_started ?
				client->smtp.bdat_size :
				smtp_data_reader_size(client->smtp.data_reader);

	if (client->smtp.message.overflow) {
		/* RFC 1870 6.2; read to the end, stored nothing */
		log_info("submission",
			 "message too big id=%s user=%s size=%llu max=%llu",
			 client->smtp.txn_id, log_value(client->user),
			 (unsigned long long) size,
			 (unsigned long long) conf->max_message_size);
		smtp_session_reply(
			&client->smtp, 552, "5.3.4",
			"Message size exceeds fixed maximum message size");
		smtp_session_transaction_done(&client->smtp);
		return;
	}
	submission_message_scan(
		client->smtp.txn_pool,
		(const unsigned char *) client->smtp.message.data,
		client->smtp.message.used, &headers);
	if (headers.too_long) {
		smtp_session_reply(&client->smtp, 552, "5.3.4",
				   "Message header exceeds %u KiB",
				   SUBMISSION_HEADER_MAX / 1024);
		smtp_session_transaction_done(&client->smtp);
		return;
	}
	author = submission_message_check(client->smtp.txn_pool, &headers,
					  client->user, &field, &found);
	if (author != SUBMISSION_AUTHOR_OK) {
		log_info("submission", "refused id=%s user=%s ip=%s: %s: is %s",
			 client->smtp.txn_id, log_value(client->user),
			 connection_peer_ip(client->smtp.session.conn), field,
			 found != NULL ? log_value(found) :
			 author == SUBMISSION_AUTHOR_MISSING  ? "missing" :
			 author == SUBMISSION_AUTHOR_MULTIPLE ? "repeated" :
								"unreadable");
		submission_client_reply_author(client, author, field);
		smtp_session_transaction_done(&client->smtp);
		return;
	}

	/* RFC 6409 8.2, 8.3: an MSA may add what the app left out */
	if (headers.date_count == 0)
		date = mime_date_now(client->smtp.txn_pool);
	if (headers.message_id_count == 0)
		message_id = mime_new_message_id(client->smtp.txn_pool,
						 conf->hostname);
	buffer_init(&out, 0);
	(void) submission_message_complete(
		&out, (const unsigned char *) client->smtp.message.data,
		client->smtp.message.used, &headers,
		submission_received(client, client->smtp.txn_pool), date,
		message_id);
	if (out.used > conf->max_message_size) {
		/* what we added took it over the limit */
		buffer_free(&out);
		smtp_session_reply(
			&client->smtp, 552, "5.3.4",
			"Message size exceeds fixed maximum message size");
		smtp_session_transaction_done(&client->smtp);
		return;
	}

	d = xcalloc(1, sizeof(*d));
	d->client = client;
	d->srv = client->smtp.session.srv;
	d->conf = conf;
	d->pool = pool_create(2048);
	memcpy(d->txn_id, client->smtp.txn_id, sizeof(d->txn_id));
	d->data = buffer_steal(&out, &d->size);
	d->sender = p_strdup(d->pool, client->user);
	d->message_id =
		message_id != NULL ?
			p_strdup(d->pool, message_id) :
			mime_get_header(d->pool,
					(const unsigned char *)
						client->smtp.message.data,
					headers.header_end, "Message-ID");
	d->local = p_new(d->pool, const char *, client->smtp.rcpt_count);
	d->remote = p_new(d->pool, const char *, client->smtp.rcpt_count);
	for (unsigned int i = 0; i < client->smtp.rcpt_count; i++) {
		const char *addr = p_strdup(d->pool, client->rcpts[i].address);

		if (client->rcpts[i].local)
			d->local[d->local_count++] = addr;
		else
			d->remote[d->remote_count++] = addr;
	}

	client->delivery = d;
	smtp_session_busy(&client->smtp);
	deliver_queue_call(client->smtp.session.srv->deliver_queue,
			   submission_delivery_run, submission_delivery_done,
			   d);
}

/* One AUTH response line, or false when it has not arrived yet. */
bool submission_client_read_sasl(struct smtp_session *s)
{
	struct submission_client *client = s->session.owner;
	const char *line;
	size_t len;
	int ret;

	if (client->sasl_skipping) {
		if (!connection_input_skip_line(client->smtp.session.conn))
			return false;
		client->sasl_skipping = false;
		client->smtp.mode = SMTP_SESSION_COMMAND;
		/* RFC 4954 4 */
		smtp_session_reply(&client->smtp, 500, "5.5.6",
				   "Authentication exchange line is too long");
		smtp_session_bad_command(&client->smtp);
		return true;
	}
	ret = connection_input_line(client->smtp.session.conn, &line, &len);
	if (ret == 0)
		return false;
	if (ret < 0) {
		client->sasl_skipping = true;
		return true;
	}
	submission_command_sasl_response(client, line, len);
	connection_input_line_consume(client->smtp.session.conn);
	return true;
}

static void submission_client_tls_ready(void *context)
{
	struct smtp_session *s = context;

	log_debug("submission", "starttls ip=%s %s",
		  connection_peer_ip(s->session.conn),
		  connection_tls_info(s->session.conn));
}

static void submission_client_closed(void *context,
				     enum connection_close_reason reason,
				     const char *detail)
{
	struct smtp_session *s = context;
	struct submission_client *client = s->session.owner;
	const char *ip = connection_peer_ip(s->session.conn);

	if (client->user != NULL || reason == CONNECTION_CLOSED_TIMEOUT ||
	    reason == CONNECTION_CLOSED_ERROR || log_enabled(LOG_LEVEL_DEBUG))
		log_info("submission", "disconnect user=%s ip=%s reason=%s%s%s",
			 client->user != NULL ? log_value(client->user) : "-",
			 ip, session_close_reason(reason),
			 detail != NULL ? " detail=" : "",
			 detail != NULL ? log_value(detail) : "");
	if (s->mode == SMTP_SESSION_DATA || s->mode == SMTP_SESSION_BDAT)
		log_info("submission",
			 "disconnected during the message id=%s ip=%s",
			 s->txn_id, ip);
	submission_client_destroy(client);
}

static void submission_client_drain(void *owner)
{
	struct submission_client *client = owner;

	smtp_session_drain(&client->smtp);
}

void submission_client_drain_all(void)
{
	session_list_foreach(&submission_clients, submission_client_drain);
}

void submission_client_destroy_all(void)
{
	while (submission_clients.head != NULL)
		submission_client_destroy(submission_clients.head->owner);
}
