/*
 * LMTP sessions: reading (command lines, DATA, BDAT chunks), replying, and
 * handing finished messages to the delivery queue.
 */
#include "lmtp-client.h"
#include "conf.h"
#include "connection.h"
#include "deliver-queue.h"
#include "fatal.h"
#include "log.h"
#include "metrics.h"
#include "mailbox-watch.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "smtp-command.h"
#include "smtp-data.h"
#include "smtp-reply.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct lmtp_client *lmtp_clients;

static void lmtp_client_input(void *context);
static void lmtp_client_drained(void *context);
static void lmtp_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail);

static const struct connection_callbacks lmtp_client_callbacks = {
	.input = lmtp_client_input,
	.output_drained = lmtp_client_drained,
	.closed = lmtp_client_closed,
};

static void lmtp_client_flush(struct lmtp_client *client)
{
	if (client->out.used == 0)
		return;
	connection_write(client->conn, client->out.data, client->out.used);
	buffer_reset(&client->out);
}

void lmtp_client_reply(struct lmtp_client *client, unsigned int code,
		       const char *enhanced, const char *fmt, ...)
{
	char text[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	smtp_reply_write(&client->out, code, enhanced, text);
	if (client->cmd_start_usecs != 0) {
		metrics_command_done(METRICS_PROTOCOL_LMTP, client->cmd_start_usecs);
		client->cmd_start_usecs = 0;
	}
}

void lmtp_client_create(struct server *srv, int fd, const struct sockaddr *peer)
{
	const struct conf *conf = srv->conf;
	struct connection_settings set;
	struct lmtp_client *client;

	memset(&set, 0, sizeof(set));
	set.max_line = conf->max_line_length;
	set.max_input_buffer = LMTP_MAX_INPUT_BUFFER;
	set.idle_timeout_secs = conf->lmtp_idle_timeout_secs;

	client = calloc(1, sizeof(*client));
	if (client == NULL)
		fatal_oom();
	client->srv = srv;
	client->conn = connection_create(srv->ioloop, fd, peer, NULL, &set,
					 &lmtp_client_callbacks, client);
	if (client->conn == NULL) {
		free(client);
		return;
	}
	client->txn_pool = pool_create(1024);
	client->parser = smtp_command_parser_create(conf->max_line_length);
	client->data_reader = smtp_data_reader_create();
	buffer_init(&client->out, 0);
	buffer_init(&client->message, conf->max_message_size);
	client->next = lmtp_clients;
	if (lmtp_clients != NULL)
		lmtp_clients->prev = client;
	lmtp_clients = client;

	if (!server_connection_opened(srv, peer, METRICS_PROTOCOL_LMTP)) {
		/* RFC 5321 3.8 */
		lmtp_client_reply(client, 421, "4.3.2",
				  "%s Too many connections, try again later",
				  conf->hostname);
		lmtp_client_close(client);
		return;
	}
	client->counted = true;
	log_debug("lmtp", "connect ip=%s", connection_peer_ip(client->conn));
	/* RFC 2033 4.1 / RFC 5321 4.3.1; no enhanced code in the greeting
	   (RFC 2034 3) */
	lmtp_client_reply(client, 220, NULL, "%s LMTP infostore ready",
			  conf->hostname);
	lmtp_client_flush(client);
}

static void lmtp_client_destroy(struct lmtp_client *client)
{
	if (client->prev != NULL)
		client->prev->next = client->next;
	else
		lmtp_clients = client->next;
	if (client->next != NULL)
		client->next->prev = client->prev;

	/* a message being written finishes without us */
	if (client->delivery != NULL)
		client->delivery->client = NULL;
	if (client->counted)
		server_connection_closed(client->srv, connection_peer(client->conn),
					 METRICS_PROTOCOL_LMTP);
	connection_destroy(&client->conn);
	smtp_command_parser_destroy(&client->parser);
	smtp_data_reader_destroy(&client->data_reader);
	buffer_free(&client->out);
	buffer_free(&client->message);
	pool_destroy(&client->txn_pool);
	free(client->helo);
	free(client);
}

void lmtp_client_close(struct lmtp_client *client)
{
	client->mode = LMTP_INPUT_CLOSING;
	lmtp_client_flush(client);
	connection_close_after_output(client->conn);
}

void lmtp_client_bad_command(struct lmtp_client *client)
{
	const struct conf *conf = client->srv->conf;

	if (conf->max_bad_commands == 0 ||
	    ++client->bad_commands < conf->max_bad_commands)
		return;
	log_info("lmtp", "too many bad commands, disconnecting ip=%s",
		 connection_peer_ip(client->conn));
	lmtp_client_reply(client, 421, "4.7.0", "%s Too many errors, closing",
			  conf->hostname);
	lmtp_client_close(client);
}

void lmtp_client_reset_transaction(struct lmtp_client *client)
{
	client->mail_given = false;
	client->sender = NULL;
	client->smtputf8 = false;
	client->rcpts = NULL;
	client->rcpt_count = 0;
	client->bdat_started = false;
	client->bdat_left = 0;
	client->bdat_last = false;
	client->bdat_bad_sequence = false;
	pool_clear(client->txn_pool);
	/* a 50 MB message should not stay with an idle connection */
	if (client->message.alloc > LMTP_KEEP_MESSAGE_BUFFER)
		buffer_free(&client->message);
	else
		buffer_reset(&client->message);
}

/* The session is idle between transactions: a drain closes it now. */
static bool lmtp_client_check_drain(struct lmtp_client *client)
{
	if (!client->draining || client->mode != LMTP_INPUT_COMMAND ||
	    client->mail_given)
		return false;
	lmtp_client_reply(client, 421, "4.3.2", "%s Service shutting down",
			  client->srv->conf->hostname);
	lmtp_client_close(client);
	return true;
}

static const char *lmtp_status_name(enum deliver_status status)
{
	switch (status) {
	case DELIVER_OK:
		return "delivered";
	case DELIVER_UNKNOWN_USER:
		return "unknown-user";
	case DELIVER_TOO_BIG:
		return "too-big";
	case DELIVER_BAD_MESSAGE:
		return "bad-message";
	case DELIVER_OVER_QUOTA:
		return "over-quota";
	case DELIVER_TEMPFAIL:
		break;
	}
	return "tempfail";
}

/* RFC 2033 4.2: one reply per recipient that RCPT accepted, in order. */
static void lmtp_client_reply_recipients(struct lmtp_client *client,
					 const struct lmtp_recipient *rcpts,
					 unsigned int count, size_t size)
{
	for (unsigned int i = 0; i < count; i++) {
		const struct lmtp_recipient *rcpt = &rcpts[i];
		const char *addr = rcpt->address;

		switch (rcpt->status) {
		case DELIVER_OK:
			lmtp_client_reply(client, 250, "2.0.0", "<%s> %s Saved as UID %u",
					  addr, client->txn_id, rcpt->uid);
			break;
		case DELIVER_UNKNOWN_USER:
			lmtp_client_reply(client, 550, "5.1.1", "<%s> User unknown", addr);
			break;
		case DELIVER_TOO_BIG:
			lmtp_client_reply(client, 552, "5.3.4",
					  "<%s> Message too big for system", addr);
			break;
		case DELIVER_BAD_MESSAGE:
			lmtp_client_reply(client, 554, "5.6.0",
					  "<%s> Message content rejected", addr);
			break;
		case DELIVER_OVER_QUOTA:
			/* RFC 3463 X.2.2 mailbox full; permanent, as Dovecot
			   answers by default */
			lmtp_client_reply(client, 552, "5.2.2",
					  "<%s> Mailbox is full (quota exceeded)", addr);
			break;
		case DELIVER_TEMPFAIL:
		default:
			lmtp_client_reply(client, 451, "4.3.0",
					  "<%s> Temporary failure, try again later",
					  addr);
			break;
		}
		log_info("lmtp", "rcpt id=%s from=%s to=%s size=%zu status=%s",
			 client->txn_id, log_value(client->sender), log_value(addr),
			 size, lmtp_status_name(rcpt->status));
	}
}

static void lmtp_client_transaction_finished(struct lmtp_client *client)
{
	lmtp_client_reset_transaction(client);
	client->mode = LMTP_INPUT_COMMAND;
	if (!lmtp_client_check_drain(client))
		lmtp_client_flush(client);
}

static void lmtp_delivery_free(struct lmtp_delivery *delivery)
{
	free(delivery->data);
	pool_destroy(&delivery->pool);
	free(delivery);
}

static void lmtp_client_delivered(void *context, struct deliver_request *request)
{
	struct lmtp_delivery *delivery = context;
	struct lmtp_client *client = delivery->client;

	(void)request;
	assert(delivery->pending > 0);
	if (--delivery->pending > 0)
		return;
	if (client == NULL) {
		for (unsigned int i = 0; i < delivery->rcpt_count; i++) {
			log_info("lmtp", "rcpt id=%s to=%s status=%s (the client had gone)",
				 delivery->txn_id, log_value(delivery->rcpts[i].address),
				 lmtp_status_name(delivery->rcpts[i].status));
		}
		lmtp_delivery_free(delivery);
		return;
	}
	/* IMAP IDLE sessions see the new messages now rather than at the
	   next poll */
	mailbox_watch_poll_now(client->srv->watch);
	client->delivery = NULL;
	lmtp_client_reply_recipients(client, delivery->rcpts, delivery->rcpt_count,
				     delivery->size);
	lmtp_delivery_free(delivery);
	lmtp_client_transaction_finished(client);
	if (client->mode == LMTP_INPUT_COMMAND) {
		connection_input_pause(client->conn, false);
		connection_input_kick(client->conn);
	}
}

void lmtp_client_message_done(struct lmtp_client *client)
{
	const struct conf *conf = client->srv->conf;
	const char *protocol = client->smtputf8 ? "UTF8LMTP" : "LMTP";
	struct lmtp_delivery *delivery;
	const char *sender;

	if (client->message.overflow) {
		/* RFC 1870 6.2; read to the end, stored nothing */
		for (unsigned int i = 0; i < client->rcpt_count; i++)
			client->rcpts[i].status = DELIVER_TOO_BIG;
		log_info("lmtp", "message too big id=%s size=%llu max=%llu",
			 client->txn_id, (unsigned long long)
			 (client->bdat_started ? client->bdat_size :
			  smtp_data_reader_size(client->data_reader)),
			 (unsigned long long)conf->max_message_size);
		lmtp_client_reply_recipients(client, client->rcpts,
					     client->rcpt_count, 0);
		lmtp_client_transaction_finished(client);
		return;
	}

	delivery = calloc(1, sizeof(*delivery));
	if (delivery == NULL)
		fatal_oom();
	delivery->client = client;
	delivery->srv = client->srv;
	delivery->pool = pool_create(2048);
	memcpy(delivery->txn_id, client->txn_id, sizeof(delivery->txn_id));
	delivery->data = buffer_steal(&client->message, &delivery->size);
	if (delivery->data == NULL) {
		/* an empty message: nothing was ever appended */
		delivery->data = strdup("");
		if (delivery->data == NULL)
			fatal_oom();
	}
	delivery->rcpt_count = client->rcpt_count;
	delivery->rcpts = p_new(delivery->pool, struct lmtp_recipient,
				client->rcpt_count);
	sender = p_strdup(delivery->pool, client->sender);

	/* One request per recipient, each with its own Received: "for"
	   clause (RFC 5321 4.4); submitted together they land in the same
	   group commit. Nothing is answered until all are back. */
	for (unsigned int i = 0; i < client->rcpt_count; i++) {
		struct lmtp_recipient *rcpt = &delivery->rcpts[i];
		struct deliver_request *req = &rcpt->request;

		rcpt->address = p_strdup(delivery->pool, client->rcpts[i].address);
		rcpt->status = DELIVER_TEMPFAIL;
		req->sender = sender;
		req->received = deliver_received_value(delivery->pool, conf->hostname,
						       client->helo,
						       connection_peer_ip(client->conn),
						       protocol, rcpt->address,
						       client->txn_id);
		req->data = (const unsigned char *)delivery->data;
		req->size = delivery->size;
		req->rcpt_count = 1;
		req->recipients = &rcpt->address;
		req->status = &rcpt->status;
		req->uids = &rcpt->uid;
		req->source = METRICS_DELIVERY_LMTP;
	}
	client->delivery = delivery;
	client->mode = LMTP_INPUT_DELIVERING;
	connection_input_pause(client->conn, true);
	delivery->pending = delivery->rcpt_count;
	for (unsigned int i = 0; i < delivery->rcpt_count; i++)
		deliver_queue_submit(client->srv->deliver_queue,
				     &delivery->rcpts[i].request,
				     lmtp_client_delivered, delivery);
}

/* 64 random bits in hex, for Received: and logs. */
void lmtp_client_new_txn_id(struct lmtp_client *client)
{
	unsigned char raw[8];

	secret_random(raw, sizeof(raw));
	for (unsigned int i = 0; i < sizeof(raw); i++)
		snprintf(client->txn_id + i * 2, 3, "%02x", raw[i]);
}

static void lmtp_client_bdat_done(struct lmtp_client *client)
{
	client->mode = LMTP_INPUT_COMMAND;
	if (client->bdat_bad_sequence) {
		client->bdat_bad_sequence = false;
		lmtp_client_reply(client, 503, "5.5.1",
				  client->mail_given ? "RCPT first" : "MAIL first");
		lmtp_client_bad_command(client);
		return;
	}
	if (client->bdat_last) {
		lmtp_client_message_done(client);
		return;
	}
	if (client->message.overflow) {
		/* RFC 3030 4.2: the client must stop sending chunks */
		lmtp_client_reply(client, 552, "5.3.4", "Message too big for system");
		return;
	}
	lmtp_client_reply(client, 250, "2.0.0", "%llu octets received",
			  (unsigned long long)client->bdat_size);
}

/* Process what is buffered until we must wait (need more input, a
   delivery in flight, or closing). */
static void lmtp_client_run(struct lmtp_client *client)
{
	while (client->mode != LMTP_INPUT_DELIVERING &&
	       client->mode != LMTP_INPUT_CLOSING) {
		const unsigned char *data;
		size_t size, consumed;

		if (client->mode == LMTP_INPUT_BDAT && client->bdat_left == 0) {
			lmtp_client_bdat_done(client);
			continue;
		}
		if (client->mode == LMTP_INPUT_COMMAND && client->out.used > 0) {
			/* a client that pipelines without reading our replies
			   must not make them pile up without bound */
			if (client->out.used >= 4096)
				lmtp_client_flush(client);
			if (connection_output_full(client->conn)) {
				lmtp_client_flush(client);
				connection_want_drain(client->conn);
				break;
			}
		}
		data = connection_input_peek(client->conn, (size_t)-1, &size);
		if (size == 0)
			break;
		switch (client->mode) {
		case LMTP_INPUT_COMMAND: {
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
				lmtp_client_reply(client, err.code, err.enhanced,
						  "%s", err.text);
				lmtp_client_bad_command(client);
				break;
			}
			lmtp_command_run(client, &cmd);
			break;
		}
		case LMTP_INPUT_DATA:
			if (smtp_data_reader_parse(client->data_reader, data, size,
						   &consumed, &client->message) == 1) {
				connection_input_consume(client->conn, consumed);
				lmtp_client_message_done(client);
				break;
			}
			connection_input_consume(client->conn, consumed);
			break;
		case LMTP_INPUT_BDAT:
			consumed = size < client->bdat_left ? size :
				(size_t)client->bdat_left;
			if (!client->bdat_bad_sequence && !client->message.overflow)
				(void)buffer_append(&client->message, data, consumed);
			connection_input_consume(client->conn, consumed);
			client->bdat_left -= consumed;
			break;
		case LMTP_INPUT_DELIVERING:
		case LMTP_INPUT_CLOSING:
			break;
		}
	}
	if (client->mode == LMTP_INPUT_COMMAND)
		(void)lmtp_client_check_drain(client);
	lmtp_client_flush(client);
}

static void lmtp_client_input(void *context)
{
	lmtp_client_run(context);
}

static void lmtp_client_drained(void *context)
{
	struct lmtp_client *client = context;

	if (client->mode == LMTP_INPUT_COMMAND)
		lmtp_client_run(client);
}

static void lmtp_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail)
{
	struct lmtp_client *client = context;

	if (reason == CONNECTION_CLOSED_TIMEOUT)
		log_info("lmtp", "idle timeout ip=%s", connection_peer_ip(client->conn));
	else if (reason == CONNECTION_CLOSED_ERROR)
		log_info("lmtp", "connection error ip=%s: %s",
			 connection_peer_ip(client->conn), detail != NULL ? detail : "");
	if (client->mode == LMTP_INPUT_DATA || client->mode == LMTP_INPUT_BDAT)
		log_info("lmtp", "disconnected during the message id=%s ip=%s",
			 client->txn_id, connection_peer_ip(client->conn));
	lmtp_client_destroy(client);
}

void lmtp_client_drain_all(void)
{
	struct lmtp_client *client, *next;

	for (client = lmtp_clients; client != NULL; client = next) {
		next = client->next;
		client->draining = true;
		if (lmtp_client_check_drain(client))
			continue;
	}
}

void lmtp_client_destroy_all(void)
{
	while (lmtp_clients != NULL)
		lmtp_client_destroy(lmtp_clients);
}
