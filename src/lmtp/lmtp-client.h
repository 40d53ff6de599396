#ifndef INFOSTORE_LMTP_CLIENT_H
#define INFOSTORE_LMTP_CLIENT_H

/*
 * One LMTP session (RFC 2033) over a connection (src/lib/connection.h).
 *
 * Input is handled in order (PIPELINING, RFC 2920): a line at a time in
 * command mode, raw bytes in the DATA and BDAT phases. While a message is
 * being made durable, reading stops and whatever the MTA pipelined waits in
 * the connection's buffer; the per-recipient replies go out only after the
 * delivery queue has said DELIVER_OK or not (RFC 2033 4.2).
 *
 * Shared by lmtp-client.c (the session) and lmtp-commands.c (the command
 * table); nothing outside src/lmtp sees it.
 */

#include "buffer.h"
#include "deliver.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct connection;
struct server;
struct smtp_command;
struct smtp_command_parser;
struct smtp_data_reader;

/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
#define LMTP_MAX_RECIPIENTS 100
/* Unconsumed input we let libevent buffer (pipelined commands, data). */
#define LMTP_MAX_INPUT_BUFFER (256 * 1024)
/* A message buffer this small is kept for the next transaction. */
#define LMTP_KEEP_MESSAGE_BUFFER (1024 * 1024)

enum lmtp_input_mode {
	LMTP_INPUT_COMMAND,
	LMTP_INPUT_DATA,        /* after 354: dot-stuffed message */
	LMTP_INPUT_BDAT,        /* reading a chunk of bdat_left bytes */
	LMTP_INPUT_DELIVERING,  /* waiting for the delivery queue */
	LMTP_INPUT_CLOSING,     /* QUIT, an error or a drain: no more input */
};

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
	struct lmtp_client *prev, *next;
	uint64_t cmd_start_usecs;        /* the command being answered; 0: none */
	struct server *srv;
	struct connection *conn;
	struct pool *txn_pool;           /* the transaction's strings */
	struct smtp_command_parser *parser;
	struct smtp_data_reader *data_reader;
	struct buffer out;               /* replies, flushed once per input run */
	enum lmtp_input_mode mode;

	char *helo;                      /* LHLO argument (malloc), NULL before */
	unsigned int bad_commands;
	bool counted;                    /* server_connection_opened() said yes */
	bool draining;                   /* server stopping: close when idle */
	struct lmtp_delivery *delivery;  /* in flight, or NULL */

	/* the transaction (RFC 5321 3.3) */
	bool mail_given;
	const char *sender;              /* "" for <> */
	uint64_t mail_size;              /* MAIL's SIZE= (RFC 1870), 0 if none */
	bool smtputf8;
	char txn_id[17];                 /* for Received: and the log */
	struct lmtp_recipient *rcpts;    /* txn_pool */
	unsigned int rcpt_count;
	struct buffer message;           /* limit: max_message_size */
	bool bdat_started;               /* BDAT used: DATA no longer allowed */
	uint64_t bdat_left;
	uint64_t bdat_size;
	bool bdat_last;
	bool bdat_bad_sequence;          /* chunk to discard, then 503 */
};

/* Queue a reply (enhanced may be NULL, text may have '\n' for more lines). */
void lmtp_client_reply(struct lmtp_client *client, unsigned int code,
		       const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Forget the transaction (RSET, LHLO, after the data). */
void lmtp_client_reset_transaction(struct lmtp_client *client);
/* After DATA/BDAT LAST: deliver, or answer 552 for each recipient. */
void lmtp_client_message_done(struct lmtp_client *client);
/* A fresh transaction id (MAIL). */
void lmtp_client_new_txn_id(struct lmtp_client *client);
/* Send what is queued, then close (QUIT, too many errors, draining). */
void lmtp_client_close(struct lmtp_client *client);
/* A client mistake that counts toward [limits] max_bad_commands. */
void lmtp_client_bad_command(struct lmtp_client *client);

/* lmtp-commands.c: check and run one parsed command. */
void lmtp_command_run(struct lmtp_client *client, const struct smtp_command *cmd);

/* lmtp-server.c keeps the list. */
void lmtp_client_create(struct server *srv, int fd, const struct sockaddr *peer);
void lmtp_client_drain_all(void);
void lmtp_client_destroy_all(void);

#endif
