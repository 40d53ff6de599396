#ifndef INFOSTORE_SUBMISSION_CLIENT_H
#define INFOSTORE_SUBMISSION_CLIENT_H

/*
 * One message submission session (RFC 6409) over a connection
 * (src/lib/connection.h): a mail app that logs in and hands over mail
 * from its user.
 *
 * On the SMTP session core (src/smtp-server/smtp-session.h), which reads
 * commands and data; an AUTH exchange is read here a line at a time. While
 * a password is checked or a message is made durable, reading stops and
 * whatever the client pipelined waits in the connection's buffer.
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

#include "smtp-session.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct auth_request;
struct server;
struct tls_session;

/* After this many failed logins on one connection, it is closed. */
#define SUBMISSION_MAX_AUTH_FAILURES 3

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
	struct smtp_session smtp; /* connection, input, transaction */

	/* AUTH (RFC 4954): SMTP_SESSION_OTHER reads its response lines */
	enum submission_sasl_step sasl_step;
	char *sasl_user;                  /* LOGIN: the user name (malloc) */
	bool sasl_skipping;               /* a response line too long */
	struct auth_request *auth_request;
	char *user;                       /* the logged-in address (malloc) */
	unsigned int auth_failures;

	struct submission_delivery *delivery; /* in flight, or NULL */
	struct submission_rcpt *rcpts; /* smtp.txn_pool, smtp.rcpt_count */
};

/* The command table (submission-commands.c). */
extern const struct smtp_session_protocol submission_protocol;

/* After DATA/BDAT LAST: check, complete and send the message. */
void submission_client_message_done(struct smtp_session *s);

/* May a password be sent here: TLS, or [server] plaintext_auth_from. */
bool submission_client_auth_allowed(struct submission_client *client);
/* Check a password (async: reading pauses until the answer, which is
   235, 535 or 454). The strings are copied. */
void submission_client_login(struct submission_client *client,
			     const char *address, const char *password);

/* SMTP_SESSION_OTHER: one AUTH response line; false until it is there. */
bool submission_client_read_sasl(struct smtp_session *s);
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
