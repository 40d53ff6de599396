#ifndef INFOSTORE_SMTP_CLIENT_H
#define INFOSTORE_SMTP_CLIENT_H

/*
 * An SMTP client for one message to one relay (RFC 5321 3, 4.1): connect,
 * EHLO (HELO if refused), STARTTLS when offered (RFC 3207), MAIL, RCPT for
 * each recipient, DATA with dot-stuffing, QUIT. One command at a time; the
 * outbound queue sends few messages and wants clear results per recipient
 * more than speed.
 *
 * This file and smtp-client.c are the one place in src/lib-smtp that
 * speaks to libevent (bufferevents, and evdns for relay names that are not
 * numeric); the protocol's syntax lives in the I/O-free smtp-reply.c and
 * smtp-data.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioloop;
struct smtp_client;
struct tls_context;

struct smtp_client_settings {
	const char *host;               /* relay: name or numeric address */
	uint16_t port;
	const char *helo;               /* our name for EHLO */
	struct tls_context *tls;        /* client context; NULL: no STARTTLS */
	unsigned int connect_timeout_secs;  /* 0: 30 s */
	/* RFC 5321 4.5.3.2 suggests minutes per command; 0: 300 s */
	unsigned int command_timeout_secs;
};

enum smtp_client_status {
	SMTP_CLIENT_SENT,       /* the relay took it (250 after the data) */
	SMTP_CLIENT_TEMPFAIL,   /* 4xx, or the connection failed: try later */
	SMTP_CLIENT_PERMFAIL,   /* 5xx: bounce */
};

struct smtp_client_rcpt {
	const char *address;
	enum smtp_client_status status;
	/* What happened, for logs and bounces: the relay's reply on one line
	   ("550 5.1.1 <x@y>: no such user"), or our own reason
	   ("connect to relay.example:25: Connection refused"). */
	const char *reply;
	const char *stage;      /* "connect", "MAIL FROM", "RCPT TO", "DATA", ... */
};

struct smtp_client_result {
	const struct smtp_client_rcpt *rcpts;
	unsigned int count;
	bool tls;               /* the message went over STARTTLS */
};

/* Called once, from the loop, with results valid during the call only;
   the client frees itself afterwards. */
typedef void smtp_client_done_cb(void *context,
				 const struct smtp_client_result *result);

/*
 * Start sending. sender: "" for the null path. data: the message (CRLF or
 * LF line ends; stuffed here). Everything is copied: the caller's memory
 * may go at once. Never fails: a failure to start is reported through cb.
 */
struct smtp_client *smtp_client_send(struct ioloop *ioloop,
				     const struct smtp_client_settings *set,
				     const char *sender,
				     const char *const *recipients,
				     unsigned int count, const void *data,
				     size_t size, smtp_client_done_cb *cb,
				     void *context);
/* Stop now without calling cb (shutdown). Sets *client to NULL. */
void smtp_client_abort(struct smtp_client **client);

#endif
