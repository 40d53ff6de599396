#ifndef INFOSTORE_SUBMISSION_CLIENT_H
#define INFOSTORE_SUBMISSION_CLIENT_H

/*
 * One message submission session (RFC 6409) over a connection
 * (src/lib/connection.h): a mail app that logs in and hands over mail
 * from its user.
 *
 * Input is handled in order (PIPELINING, RFC 2920): a line at a time in
 * command mode, a line at a time during an AUTH exchange, raw bytes in the
 * DATA and BDAT phases. While a password is checked or a message is made
 * durable, reading stops and whatever the client pipelined waits in the
 * connection's buffer.
 *
 * A finished message is checked (submission-message.h), completed with a
 * Received: field (and Date:, Message-ID: when missing), then handed to
 * the delivery thread in one piece (deliver_queue_call()): recipients who
 * are users here are delivered into their INBOX through deliver_batch(),
 * the calendar hook included, and only when that is durable are the
 * others put on the outbound queue as one entry. The reply to the data
 * comes after both: 250 means every copy is on disk.
 *
 * Shared by submission-client.c (the session) and submission-commands.c
 * (the command table); nothing outside src/submission sees it.
 */

#include "buffer.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct auth_request;
struct connection;
struct server;
struct smtp_command;
struct smtp_command_parser;
struct smtp_data_reader;
struct tls_session;

/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
#define SUBMISSION_MAX_RECIPIENTS 100
/* Unconsumed input we let libevent buffer (pipelined commands, data). */
#define SUBMISSION_MAX_INPUT_BUFFER (256 * 1024)
/* A message buffer this small is kept for the next transaction. */
#define SUBMISSION_KEEP_MESSAGE_BUFFER (1024 * 1024)
/* After this many failed logins on one connection, it is closed. */
#define SUBMISSION_MAX_AUTH_FAILURES 3

enum submission_input_mode {
	SUBMISSION_INPUT_COMMAND,
	SUBMISSION_INPUT_SASL,        /* after 334: one response line */
	SUBMISSION_INPUT_AUTHENTICATING, /* the password is being checked */
	SUBMISSION_INPUT_DATA,        /* after 354: dot-stuffed message */
	SUBMISSION_INPUT_BDAT,        /* reading a chunk of bdat_left bytes */
	SUBMISSION_INPUT_SENDING,     /* delivering and queueing, durably */
	SUBMISSION_INPUT_CLOSING,     /* QUIT, an error or a drain */
};

enum submission_sasl_step {
	SUBMISSION_SASL_PLAIN,        /* waiting for the PLAIN message */
	SUBMISSION_SASL_LOGIN_USER,   /* LOGIN: waiting for the user name */
	SUBMISSION_SASL_LOGIN_PASS,   /* LOGIN: waiting for the password */
};

struct submission_rcpt {
	const char *address;          /* as given in RCPT TO */
	bool local;                   /* a user of this store */
};

struct submission_delivery;

struct submission_client {
	struct submission_client *prev, *next;
	uint64_t cmd_start_usecs;        /* the command being answered; 0: none */
	struct server *srv;
	struct connection *conn;
	struct pool *txn_pool;            /* the transaction's strings */
	struct smtp_command_parser *parser;
	struct smtp_data_reader *data_reader;
	struct buffer out;                /* replies, flushed once per input run */
	enum submission_input_mode mode;

	char *helo;                       /* EHLO/HELO argument (malloc), NULL before */
	unsigned int bad_commands;
	bool counted;                     /* server_connection_opened() said yes */
	bool draining;                    /* server stopping: close when idle */

	/* AUTH (RFC 4954) */
	enum submission_sasl_step sasl_step;
	char *sasl_user;                  /* LOGIN: the user name (malloc) */
	bool sasl_skipping;               /* a response line too long */
	struct auth_request *auth_request;
	char *user;                       /* the logged-in address (malloc) */
	unsigned int auth_failures;

	struct submission_delivery *delivery; /* in flight, or NULL */

	/* the transaction (RFC 5321 3.3) */
	bool mail_given;
	bool smtputf8;
	char txn_id[17];                  /* for Received: and the log */
	struct submission_rcpt *rcpts;    /* txn_pool */
	unsigned int rcpt_count;
	struct buffer message;            /* limit: max_message_size */
	bool bdat_started;                /* BDAT used: DATA no longer allowed */
	uint64_t bdat_left;
	uint64_t bdat_size;
	bool bdat_last;
	bool bdat_bad_sequence;           /* chunk to discard, then refuse: */
	unsigned int bdat_bad_code;       /* 503 or 530, */
	const char *bdat_bad_enhanced;    /* its enhanced code and */
	const char *bdat_bad_text;        /* text (static) */
};

/* Queue a reply (enhanced may be NULL, text may have '\n' for more lines). */
void submission_client_reply(struct submission_client *client, unsigned int code,
			     const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Send the queued replies now (before STARTTLS switches the socket). */
void submission_client_flush(struct submission_client *client);
/* Forget the transaction (RSET, EHLO, STARTTLS, after the data). */
void submission_client_reset_transaction(struct submission_client *client);
/* After DATA/BDAT LAST: check, complete and send the message. */
void submission_client_message_done(struct submission_client *client);
/* A fresh transaction id (MAIL). */
void submission_client_new_txn_id(struct submission_client *client);
/* Send what is queued, then close (QUIT, too many errors, draining). */
void submission_client_close(struct submission_client *client);
/* A client mistake that counts toward [limits] max_bad_commands. */
void submission_client_bad_command(struct submission_client *client);
/* May a password be sent here: TLS, or [server] plaintext_auth_from. */
bool submission_client_auth_allowed(struct submission_client *client);
/* Check a password (async: reading pauses until the answer, which is
   235, 535 or 454). The strings are copied. */
void submission_client_login(struct submission_client *client,
			     const char *address, const char *password);

/* submission-commands.c: check and run one parsed command. */
void submission_command_run(struct submission_client *client,
			    const struct smtp_command *cmd);
/* The line that answers a 334 of AUTH. */
void submission_command_sasl_response(struct submission_client *client,
				      const char *line, size_t len);

/* submission-server.c keeps the list. *session: implicit TLS, or NULL. */
void submission_client_create(struct server *srv, int fd,
			      const struct sockaddr *peer,
			      struct tls_session **session);
void submission_client_drain_all(void);
void submission_client_destroy_all(void);

#endif
