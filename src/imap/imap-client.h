#ifndef INFOSTORE_IMAP_CLIENT_H
#define INFOSTORE_IMAP_CLIENT_H

/*
 * An IMAP session: one per connection. It owns the connection, a pool for
 * the session's life and a pool per command (cleared when the command
 * ends), the parser, the login state and the selected mailbox's view.
 *
 * Commands run one at a time. A command handler returns true when it has
 * written its tagged reply, or false to be called again: after the output
 * drains (a FETCH of 100,000 messages), after imap_client_continue_later()
 * (a long SEARCH giving the loop a turn), or when an asynchronous answer
 * comes (password check) and imap_client_resume() is called.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "session.h"
#include "auth.h"
#include "imap-parser.h"
#include "store.h"

struct auth_request;
struct buffer;
struct connection;
struct imap_append;
struct imap_command;
struct imap_view;
struct imap_write_job;
struct pool;
struct server;
struct timer;

enum imap_client_state {
	IMAP_STATE_NOT_AUTH = 0x01,
	IMAP_STATE_AUTH = 0x02,
	IMAP_STATE_SELECTED = 0x04,
	IMAP_STATE_LOGOUT = 0x08,
};

/* Handler: true when the command has answered, false to be called again. */
typedef bool imap_command_func(struct imap_command *cmd);
/* A raw input line for a command that reads them (IDLE, AUTHENTICATE). */
typedef bool imap_command_line_func(struct imap_command *cmd, const char *line,
				    size_t len);

struct imap_command {
	struct imap_client *client;
	struct pool *pool;            /* cleared when the command ends */
	const struct imap_command_def *def;
	const char *tag;
	const char *name;             /* as in the table ("FETCH") */
	const struct imap_arg *args;  /* after the name, EOL-terminated */
	bool uid;                     /* UID FETCH etc. */
	uint64_t start_usecs;         /* read whole (metrics_now_usecs()) */

	imap_command_func *func;      /* called (again) to continue */
	imap_command_line_func *line_func; /* set: reads raw lines */
	void *context;                /* the command's own state */
	bool waiting;                 /* on an async answer: not run */
	bool wakeup;                  /* resumed: run func even if reading lines */
	bool done;                    /* the tagged reply is written */
	bool sync_done;               /* updates sent before the reply */
};

struct imap_client {
	struct session session;       /* its connection and server */
	struct pool *pool;
	struct pool *cmd_pool;
	struct imap_parser *parser;
	enum imap_client_state state;

	int64_t user_id;
	char *address;
	struct imap_view *view;       /* the selected mailbox */
	struct imap_command *cmd;     /* running, or NULL */
	struct imap_append *append;   /* APPEND literals being streamed */
	struct auth_request *auth_request;
	struct auth_session auth_session; /* after login */
	struct imap_write_job *write_job; /* the running command's, in flight */
	struct timer *continue_timer;

	/* RFC 5182 SEARCHRES: the saved result, UIDs ascending */
	uint32_t *saved_uids;
	unsigned int saved_count;

	unsigned int auth_failures;
	unsigned int running;         /* nested run loops */

	/* ENABLE (RFC 5161) */
	bool condstore;               /* RFC 7162: also on after its first use */
	bool qresync;
	bool imap4rev2;
	bool utf8_accept;             /* RFC 6855 */

	bool tls_listener;
	bool disconnected;
	bool closing;
	bool draining;
	bool counted;
	bool literal_plus_sent;       /* "+" sent for a sync literal */
};

/* From the listener: take over fd, and *session (implicit TLS) if set. */
struct tls_session;
void imap_client_create(struct server *srv, int fd, const struct sockaddr *peer,
			struct tls_session **session);
void imap_client_drain_all(void);
void imap_client_destroy_all(void);

/* Untagged and continuation output. Lines get their CRLF here. */
void imap_client_send(struct imap_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imap_client_send_raw(struct imap_client *client, const void *data, size_t len);
/* Write a buffer and empty it. */
void imap_client_send_buffer(struct imap_client *client, struct buffer *buf);

/* The CAPABILITY list for the session's current state. */
const char *imap_client_capability(struct imap_client *client);
/* May the client send a password now (TLS, or a trusted network)? */
bool imap_client_auth_allowed(struct imap_client *client);

/* "* BYE text" and close after output. */
void imap_client_disconnect(struct imap_client *client, const char *text);
/* Count a bad command; past the limit the session ends. */
void imap_client_bad_command(struct imap_client *client);

/* A CONDSTORE enabling command (RFC 7162 3.1) ran: turn it on, and if a
   mailbox is selected tell its HIGHESTMODSEQ. */
void imap_client_enable_condstore(struct imap_client *client);

/* Login succeeded: switch to the authenticated state. */
void imap_client_logged_in(struct imap_client *client, int64_t user_id,
			   const char *address);
/* Run the client's loop again soon (from a timer, not the caller's stack). */
void imap_client_continue_later(struct imap_client *client);
/* An asynchronous step of the running command finished. */
void imap_client_resume(struct imap_client *client);

/*
 * The tagged reply: sends the pending mailbox updates first (unless the
 * command forbids expunges), then "tag OK/NO/BAD [code] text". code may be
 * NULL. Marks the command done.
 */
void imap_command_reply(struct imap_command *cmd, const char *status,
			const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define imap_command_ok(cmd, ...) imap_command_reply(cmd, "OK", NULL, __VA_ARGS__)
#define imap_command_no(cmd, ...) imap_command_reply(cmd, "NO", NULL, __VA_ARGS__)
/* BAD also counts against max_bad_commands. */
void imap_command_bad(struct imap_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NO with the response code of the store's last error, detail logged. */
void imap_command_store_error(struct imap_command *cmd, const char *what);
/* NO with the response code of error (from a write job). */
void imap_command_error(struct imap_command *cmd, enum store_error error);

/* Hand a write job to the writer thread: the command waits (its handler
   returns false) until the job's done callback resumes it. */
void imap_command_write(struct imap_command *cmd, struct imap_write_job *job);
/* The same for a job that only reads (imap_write_job_submit_read()). */
void imap_command_read(struct imap_command *cmd, struct imap_write_job *job);
/* In a job's done callback: the job is over; run the client again. */
void imap_command_write_done(struct imap_command *cmd);

#endif
