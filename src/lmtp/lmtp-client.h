#ifndef INFOSTORE_LMTP_CLIENT_H
#define INFOSTORE_LMTP_CLIENT_H

/*
 * One LMTP session (RFC 2033) on the SMTP session core
 * (src/smtp-server/smtp-session.h), which reads commands and data. While a
 * message is being made durable, reading stops and whatever the MTA
 * pipelined waits in the connection's buffer; the per-recipient replies go
 * out only after the delivery queue has said DELIVER_OK or not
 * (RFC 2033 4.2).
 *
 * Shared by lmtp-client.c (the session) and lmtp-commands.c (the command
 * table); nothing outside src/lmtp sees it.
 */

#include "deliver.h"
#include "smtp-session.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;

struct lmtp_recipient {
	const char *address;             /* as given in RCPT TO */
	struct deliver_request request;  /* one per recipient: its own Received */
	enum deliver_status status;
	uint32_t uid;
};

/*
 * A message handed to the delivery queue. It owns everything the requests
 * point to, so that it can outlive its session: if the MTA disconnects, or
 * the server stops, while the message is being written, the queue still
 * finishes it and the callback frees this.
 */
struct lmtp_delivery {
	struct lmtp_client *client;      /* NULL once the session is gone */
	struct server *srv;
	struct pool *pool;
	char *data;                      /* the message (malloc) */
	size_t size;
	struct lmtp_recipient *rcpts;    /* pool */
	unsigned int rcpt_count;
	unsigned int pending;
	char txn_id[17];
};

struct lmtp_client {
	struct smtp_session smtp;	 /* connection, input, transaction */
	struct lmtp_delivery *delivery;  /* in flight, or NULL */
	struct lmtp_recipient *rcpts;	 /* smtp.txn_pool, smtp.rcpt_count */
};

/* The command table (lmtp-commands.c). */
extern const struct smtp_session_protocol lmtp_protocol;

/* After DATA/BDAT LAST: deliver, or answer 552 for each recipient. */
void lmtp_client_message_done(struct smtp_session *s);

/* lmtp-server.c keeps the list. */
void lmtp_client_create(struct server *srv, int fd, const struct sockaddr *peer);
void lmtp_client_drain_all(void);
void lmtp_client_destroy_all(void);

#endif
