#ifndef INFOSTORE_SMTP_SESSION_H
#define INFOSTORE_SMTP_SESSION_H

/*
 * What LMTP (RFC 2033) and submission (RFC 6409) sessions share: the
 * input loop (PIPELINING, RFC 2920: a line at a time in command mode, raw
 * bytes in DATA and BDAT, RFC 3030), replies queued and flushed once per
 * run, the command table's ordering checks (RFC 5321 4.1.4), the commands
 * that mean the same in both (DATA, BDAT, RSET, NOOP, QUIT, VRFY, HELP),
 * the transaction's common state, drain, and the count of bad commands.
 * The protocol adds its own commands, what happens to a finished message,
 * and (submission) an AUTH exchange read a line at a time.
 *
 * The connection's context is the struct smtp_session; the protocol's
 * client is session.owner.
 */

#include "buffer.h"
#include "session.h"
#include "smtp-command.h"

#include <stdbool.h>
#include <stdint.h>

struct pool;
struct smtp_session;

/* Unconsumed input libevent may buffer (pipelined commands, data). */
#define SMTP_SESSION_MAX_INPUT_BUFFER (256 * 1024)
/* RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted. */
#define SMTP_SESSION_MAX_RECIPIENTS 100
/* A message buffer this small is kept for the next transaction. */
#define SMTP_SESSION_KEEP_MESSAGE_BUFFER (1024 * 1024)

enum smtp_session_mode {
	SMTP_SESSION_COMMAND,
	SMTP_SESSION_DATA,    /* after 354: the dot-stuffed message */
	SMTP_SESSION_BDAT,    /* a chunk of bdat_left bytes */
	SMTP_SESSION_OTHER,   /* the protocol reads (an AUTH response) */
	SMTP_SESSION_BUSY,    /* a login or a message in flight: input paused */
	SMTP_SESSION_CLOSING, /* QUIT, an error or a drain: no more input */
};

/* When a command may run (RFC 5321 4.1.4), checked in this order. */
enum smtp_session_command_flags {
	SMTP_CMD_NO_TLS = 0x01,	    /* not over TLS (STARTTLS) */
	SMTP_CMD_NEEDS_HELO = 0x02, /* after EHLO/HELO/LHLO */
	SMTP_CMD_NEEDS_AUTH = 0x04, /* logged in (530, RFC 4954 6) */
	SMTP_CMD_NO_AUTH = 0x08,    /* not logged in yet */
	SMTP_CMD_NEEDS_MAIL = 0x10, /* inside a transaction */
	SMTP_CMD_NO_MAIL = 0x20,    /* not inside a transaction */
	SMTP_CMD_NO_BDAT = 0x40,    /* not after BDAT (RFC 3030 3) */
	SMTP_CMD_NEEDS_RCPT = 0x80, /* at least one accepted recipient */
};

typedef void smtp_session_command_fn(struct smtp_session *s,
				     const struct smtp_command *cmd);

struct smtp_session_command {
	enum smtp_verb verb;
	unsigned int flags;
	smtp_session_command_fn *handler;
};

struct smtp_session_protocol {
	const char *name;  /* "lmtp": logs */
	const char *hello; /* "LHLO first": the refusal before it */
	const char *help;  /* HELP's list of commands */
	/* the protocol's own commands, looked at before the shared ones */
	const struct smtp_session_command *commands;
	unsigned int command_count;
	/* the data is complete (s->message): answer, or go BUSY until the
	   message is durable and then smtp_session_transaction_done() */
	void (*message_done)(struct smtp_session *s);
	/* forget the protocol's part of a transaction (its recipients) */
	void (*reset)(struct smtp_session *s);
	/* SMTP_SESSION_OTHER: read; false when more input is needed */
	bool (*input_other)(struct smtp_session *s);
};

struct smtp_session {
	struct session session; /* connection, server, owner */
	const struct smtp_session_protocol *protocol;
	uint64_t cmd_start_usecs; /* the command being answered; 0: none */
	struct pool *txn_pool;	  /* the transaction's strings */
	struct smtp_command_parser *parser;
	struct smtp_data_reader *data_reader;
	struct buffer out; /* replies, flushed once per run */
	enum smtp_session_mode mode;
	char *helo;	    /* the hello's argument (malloc) */
	bool authenticated; /* NEEDS_AUTH holds (LMTP: always) */
	bool draining;	    /* server stopping: close when idle */

	/* the transaction (RFC 5321 3.3) */
	bool mail_given;
	const char *sender; /* txn_pool; "" for <> */
	uint64_t mail_size; /* MAIL's SIZE= (RFC 1870), 0 if none */
	bool smtputf8;
	char txn_id[17]; /* for Received: and the log */
	unsigned int rcpt_count;
	struct buffer message; /* limit: max_message_size */
	bool bdat_started;     /* BDAT used: DATA no longer allowed */
	uint64_t bdat_left;
	uint64_t bdat_size;
	bool bdat_last;
	bool bdat_bad_sequence; /* chunk to discard, then refuse: */
	unsigned int bdat_bad_code;
	const char *bdat_bad_enhanced, *bdat_bad_text; /* static */
};

/* The connection callbacks' input and output_drained (context: the
   struct smtp_session); the protocol adds closed and tls_ready. */
void smtp_session_input(void *context);
void smtp_session_drained(void *context);

/* Open the session (session_open() and the readers); false if there is
   no connection (nothing to free but the client). Then the protocol
   counts it (session_count()) and greets. */
bool smtp_session_open(struct smtp_session *s, struct session_list *list,
		       const struct smtp_session_protocol *protocol,
		       struct server *srv, enum metrics_protocol metrics,
		       unsigned int idle_timeout_secs, int fd,
		       const struct sockaddr *peer,
		       struct tls_session **tls_session,
		       const struct connection_callbacks *callbacks,
		       void *owner);
/* Out of the list, the connection and everything else freed (not s). */
void smtp_session_deinit(struct smtp_session *s, struct session_list *list);

/* Queue a reply (enhanced may be NULL, text may have '\n' for more
   lines); send the queue now. */
void smtp_session_reply(struct smtp_session *s, unsigned int code,
			const char *enhanced, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void smtp_session_flush(struct smtp_session *s);
/* Send what is queued, then close (QUIT, too many errors, draining). */
void smtp_session_close(struct smtp_session *s);
/* A client mistake that counts toward [limits] max_bad_commands. */
void smtp_session_bad_command(struct smtp_session *s);

/* Forget the transaction (RSET, a hello, MAIL, after the data). */
void smtp_session_reset_transaction(struct smtp_session *s);
/* MAIL FROM accepted: a new transaction with its id. */
void smtp_session_begin_transaction(struct smtp_session *s,
				    const struct smtp_command *mail);
/* The reply to the data is queued: back to commands (a drain closes
   now), and reading again if it had stopped. */
void smtp_session_transaction_done(struct smtp_session *s);
/* Stop reading (a message or a login in flight) / read again. */
void smtp_session_busy(struct smtp_session *s);
void smtp_session_resume(struct smtp_session *s);
/* Size of the message as sent (BDAT chunks or DATA's lines). */
uint64_t smtp_session_message_size(const struct smtp_session *s);

/* Drain: an idle session closes now, others when their transaction ends. */
void smtp_session_drain(struct smtp_session *s);

#endif
