/*
 * LMTP sessions: the greeting, handing finished messages to the delivery
 * queue and answering per recipient. Reading and the shared commands are
 * the SMTP session core's (src/smtp-server).
 */
#include "lmtp-client.h"
#include "alloc.h"
#include "conf.h"
#include "connection.h"
#include "deliver-queue.h"
#include "log.h"
#include "metrics.h"
#include "mailbox-watch.h"
#include "pool.h"
#include "server.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static struct session_list lmtp_clients;

static void lmtp_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail);

static const struct connection_callbacks lmtp_client_callbacks = {
	.input = smtp_session_input,
	.output_drained = smtp_session_drained,
	.closed = lmtp_client_closed,
};

void lmtp_client_create(struct server *srv, int fd, const struct sockaddr *peer)
{
	const struct conf *conf = srv->conf;
	struct lmtp_client *client;

	client = xcalloc(1, sizeof(*client));
	if (!smtp_session_open(&client->smtp, &lmtp_clients, &lmtp_protocol,
			       srv, METRICS_PROTOCOL_LMTP,
			       conf->lmtp_idle_timeout_secs, fd, peer, NULL,
			       &lmtp_client_callbacks, client)) {
		free(client);
		return;
	}
	/* the MTA is trusted by where it connects from: no AUTH */
	client->smtp.authenticated = true;
	if (!session_count(&client->smtp.session)) {
		/* RFC 5321 3.8 */
		smtp_session_reply(&client->smtp, 421, "4.3.2",
				   "%s Too many connections, try again later",
				   conf->hostname);
		smtp_session_close(&client->smtp);
		return;
	}
	log_debug("lmtp", "connect ip=%s",
		  connection_peer_ip(client->smtp.session.conn));
	/* RFC 2033 4.1 / RFC 5321 4.3.1; no enhanced code in the greeting
	   (RFC 2034 3) */
	smtp_session_reply(&client->smtp, 220, NULL, "%s LMTP infostore ready",
			   conf->hostname);
	smtp_session_flush(&client->smtp);
}

static void lmtp_client_destroy(struct lmtp_client *client)
{
	/* a message being written finishes without us */
	if (client->delivery != NULL)
		client->delivery->client = NULL;
	smtp_session_deinit(&client->smtp, &lmtp_clients);
	free(client);
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
	struct smtp_session *s = &client->smtp;

	for (unsigned int i = 0; i < count; i++) {
		const struct lmtp_recipient *rcpt = &rcpts[i];
		const char *addr = rcpt->address;

		switch (rcpt->status) {
		case DELIVER_OK:
			smtp_session_reply(s, 250, "2.0.0",
					   "<%s> %s Saved as UID %u", addr,
					   s->txn_id, rcpt->uid);
			break;
		case DELIVER_UNKNOWN_USER:
			smtp_session_reply(s, 550, "5.1.1", "<%s> User unknown",
					   addr);
			break;
		case DELIVER_TOO_BIG:
			smtp_session_reply(s, 552, "5.3.4",
					   "<%s> Message too big for system",
					   addr);
			break;
		case DELIVER_BAD_MESSAGE:
			smtp_session_reply(s, 554, "5.6.0",
					   "<%s> Message content rejected",
					   addr);
			break;
		case DELIVER_OVER_QUOTA:
			/* RFC 3463 X.2.2 mailbox full; permanent, as Dovecot
			   answers by default */
			smtp_session_reply(
				s, 552, "5.2.2",
				"<%s> Mailbox is full (quota exceeded)", addr);
			break;
		case DELIVER_TEMPFAIL:
		default:
			smtp_session_reply(
				s, 451, "4.3.0",
				"<%s> Temporary failure, try again later",
				addr);
			break;
		}
		log_info("lmtp", "rcpt id=%s from=%s to=%s size=%zu status=%s",
			 s->txn_id, log_value(s->sender), log_value(addr), size,
			 lmtp_status_name(rcpt->status));
	}
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
	mailbox_watch_poll_now(client->smtp.session.srv->watch);
	client->delivery = NULL;
	lmtp_client_reply_recipients(client, delivery->rcpts, delivery->rcpt_count,
				     delivery->size);
	lmtp_delivery_free(delivery);
	smtp_session_transaction_done(&client->smtp);
}

void lmtp_client_message_done(struct smtp_session *s)
{
	struct lmtp_client *client = s->session.owner;
	const struct conf *conf = s->session.srv->conf;
	const char *protocol = s->smtputf8 ? "UTF8LMTP" : "LMTP";
	struct lmtp_delivery *delivery;
	const char *sender;

	if (s->message.overflow) {
		/* RFC 1870 6.2; read to the end, stored nothing */
		for (unsigned int i = 0; i < s->rcpt_count; i++)
			client->rcpts[i].status = DELIVER_TOO_BIG;
		log_info("lmtp", "message too big id=%s size=%llu max=%llu",
			 s->txn_id,
			 (unsigned long long) smtp_session_message_size(s),
			 (unsigned long long) conf->max_message_size);
		lmtp_client_reply_recipients(client, client->rcpts,
					     s->rcpt_count, 0);
		smtp_session_transaction_done(s);
		return;
	}

	delivery = xcalloc(1, sizeof(*delivery));
	delivery->client = client;
	delivery->srv = s->session.srv;
	delivery->pool = pool_create(2048);
	memcpy(delivery->txn_id, s->txn_id, sizeof(delivery->txn_id));
	delivery->data = buffer_steal(&s->message, &delivery->size);
	if (delivery->data == NULL) {
		/* an empty message: nothing was ever appended */
		delivery->data = xstrdup("");
	}
	delivery->rcpt_count = s->rcpt_count;
	delivery->rcpts =
		p_new(delivery->pool, struct lmtp_recipient, s->rcpt_count);
	sender = p_strdup(delivery->pool, s->sender);

	/* One request per recipient, each with its own Received: "for"
	   clause (RFC 5321 4.4); submitted together they land in the same
	   group commit. Nothing is answered until all are back. */
	for (unsigned int i = 0; i < s->rcpt_count; i++) {
		struct lmtp_recipient *rcpt = &delivery->rcpts[i];
		struct deliver_request *req = &rcpt->request;

		rcpt->address = p_strdup(delivery->pool, client->rcpts[i].address);
		rcpt->status = DELIVER_TEMPFAIL;
		req->sender = sender;
		req->received = deliver_received_value(
			delivery->pool, conf->hostname, s->helo,
			connection_peer_ip(s->session.conn), protocol,
			rcpt->address, s->txn_id);
		req->data = (const unsigned char *)delivery->data;
		req->size = delivery->size;
		req->rcpt_count = 1;
		req->recipients = &rcpt->address;
		req->status = &rcpt->status;
		req->uids = &rcpt->uid;
		req->source = METRICS_DELIVERY_LMTP;
	}
	client->delivery = delivery;
	smtp_session_busy(s);
	delivery->pending = delivery->rcpt_count;
	for (unsigned int i = 0; i < delivery->rcpt_count; i++)
		deliver_queue_submit(s->session.srv->deliver_queue,
				     &delivery->rcpts[i].request,
				     lmtp_client_delivered, delivery);
}

static void lmtp_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail)
{
	struct smtp_session *s = context;
	const char *ip = connection_peer_ip(s->session.conn);

	if (reason == CONNECTION_CLOSED_TIMEOUT)
		log_info("lmtp", "idle timeout ip=%s", ip);
	else if (reason == CONNECTION_CLOSED_ERROR)
		log_info("lmtp", "connection error ip=%s: %s", ip,
			 detail != NULL ? detail : "");
	if (s->mode == SMTP_SESSION_DATA || s->mode == SMTP_SESSION_BDAT)
		log_info("lmtp", "disconnected during the message id=%s ip=%s",
			 s->txn_id, ip);
	lmtp_client_destroy(s->session.owner);
}

static void lmtp_client_drain(void *owner)
{
	struct lmtp_client *client = owner;

	smtp_session_drain(&client->smtp);
}

void lmtp_client_drain_all(void)
{
	session_list_foreach(&lmtp_clients, lmtp_client_drain);
}

void lmtp_client_destroy_all(void)
{
	while (lmtp_clients.head != NULL)
		lmtp_client_destroy(lmtp_clients.head->owner);
}
