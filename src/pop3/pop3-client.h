#ifndef INFOSTORE_POP3_CLIENT_H
#define INFOSTORE_POP3_CLIENT_H

/*
 * One POP3 session over a connection (src/lib/connection.h).
 *
 * Input is read a line at a time and handled in order (RFC 2449 6.6
 * PIPELINING): a command that cannot finish at once -- a long reply while
 * the output is full, a password check on the auth thread -- leaves the
 * rest of the pipelined input waiting in the connection's buffer, and the
 * session resumes where it stopped.
 *
 * Shared by pop3-client.c (the session) and pop3-commands.c (the command
 * table); nothing outside src/pop3 sees it.
 */

#include "session.h"
#include "auth.h"
#include "pop3-parser.h"
#include "pop3-stuff.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct auth_request;
struct connection;
struct mailbox_watcher;
struct pop3_maildrop;
struct server;

/* RFC 1939 3 */
enum pop3_state {
	POP3_STATE_AUTHORIZATION = 0x01,
	POP3_STATE_TRANSACTION = 0x02,
	POP3_STATE_UPDATE = 0x04,
};

/* After this many failed logins on one connection, it is closed. */
#define POP3_MAX_AUTH_FAILURES 3
/* Longest USER argument kept (an address is at most 254 octets). */
#define POP3_MAX_USER 255
/* Blob bytes read per step of RETR/TOP. */
#define POP3_READ_CHUNK (64 * 1024)

struct pop3_client;

/* A multi-line reply in progress: write until done (true) or until the
   output is full (false: called again once it drains). */
typedef bool pop3_continue_fn(struct pop3_client *client);

/* RETR/TOP streaming a blob. */
#define POP3_STREAM_HEAD_MAX 64
struct pop3_stream {
	int fd;
	uint64_t left;           /* stored bytes still to read */
	struct pop3_stuff stuff;
	/* The "+OK" line, sent in one piece with the first chunk; until then
	   a read error can still be answered with -ERR. */
	char head[POP3_STREAM_HEAD_MAX];
	size_t head_len;
	/* RETR: marked retrieved (\\Seen at UPDATE) once sent whole */
	struct pop3_msg *retr_msg;
};

struct pop3_client {
	struct session session;        /* its connection and server */
	enum pop3_state state;

	struct pop3_command cmd;
	char user[POP3_MAX_USER + 1];  /* from USER; "" if none */
	char *address;                 /* canonical, after login (malloc) */

	struct auth_request *auth_request;
	struct auth_session auth_session; /* after login */
	bool sasl_pending;        /* the next line answers "+ " of AUTH PLAIN */
	bool skipping_line;       /* discarding a line that was too long */
	uint64_t cmd_start_usecs; /* the line being answered; 0: none */
	bool closing;             /* closing after the queued output */
	bool disconnected;        /* closed; destroy once the stack unwinds */
	bool draining;            /* server shutting down: close when idle */
	unsigned int running;     /* depth of pop3_client_run() calls */

	unsigned int auth_failures;

	struct pop3_maildrop *maildrop;
	struct mailbox_watcher *watcher;
	bool inbox_changed;       /* the watcher fired since login */

	pop3_continue_fn *cont;   /* a reply in progress, or NULL */
	unsigned int cont_next;   /* LIST/UIDL: next message index */
	struct pop3_stream stream;

	/* for the log line at logout */
	unsigned int retr_count;
	uint64_t retr_bytes;
	unsigned int top_count;
};

/* From the listener: take over fd, and *session (implicit TLS) if set. */
struct tls_session;
void pop3_client_create(struct server *srv, int fd, const struct sockaddr *peer,
			struct tls_session **session);
void pop3_client_destroy_all(void);
/* SIGTERM: close idle sessions now, busy ones when their command ends. */
void pop3_client_drain_all(void);

/* Replies. pop3_client_ok/err write one "+OK text" / "-ERR text" line. */
void pop3_client_ok(struct pop3_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3_client_err(struct pop3_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* -ERR for a client mistake; closes the session after
   [limits] max_bad_commands of them. */
void pop3_client_bad(struct pop3_client *client, const char *text);
/* Send what is queued, then close (no UPDATE unless the caller did it). */
void pop3_client_close(struct pop3_client *client);

/* The RFC 3206 response code for the store's last error: "SYS/TEMP" when
   trying again may help (busy, out of space), else "SYS/PERM". The one
   place where store errors become POP3 replies; the detail goes to the
   log, never to the client. */
const char *pop3_client_store_code(struct pop3_client *client);

/* Is the client allowed to send a password here (TLS or a trusted net)? */
bool pop3_client_auth_allowed(struct pop3_client *client);
/* Verify a password (async); the session pauses until the answer.
   The strings are copied. */
void pop3_client_login(struct pop3_client *client, const char *address,
		       const char *password);

/* pop3-commands.c */

/* Carry out a parsed command. The command table lives there. */
void pop3_commands_dispatch(struct pop3_client *client);
/* The line answering AUTH PLAIN's "+ " (RFC 5034 4). */
void pop3_commands_sasl_response(struct pop3_client *client,
				 const char *line, size_t len);

#endif
