#ifndef INFOSTORE_SESSION_H
#define INFOSTORE_SESSION_H

/*
 * What every protocol session has in common, whatever it speaks (IMAP,
 * POP3, LMTP, submission): its connection, its place in its protocol's list
 * (for drain and shutdown), the node's connection accounting, the count of
 * bad commands in a row, and the names of close reasons for the logs. A
 * protocol's client embeds one and reaches its connection and server
 * through it.
 */

#include "connection.h"
#include "metrics.h"

#include <stdbool.h>

struct server;
struct tls_session;

struct session {
	struct session *prev, *next;   /* in the protocol's list */
	struct server *srv;
	struct connection *conn;
	enum metrics_protocol protocol;
	void *owner;                   /* the protocol's client */
	unsigned int bad_commands;     /* in a row */
	bool counted;                  /* server_connection_opened() said yes */
};

struct session_list {
	struct session *head;
};

/*
 * The connection over fd: plaintext, or over *tls_session (a finished
 * handshake) when it is set; callbacks get owner. Added to list. Then the
 * node's limits with session_count(). false if the connection could not
 * be made (fd and *tls_session are freed; nothing to close).
 */
bool session_open(struct session *s, struct session_list *list,
		  struct server *srv, enum metrics_protocol protocol, int fd,
		  const struct sockaddr *peer, struct tls_session **tls_session,
		  const struct connection_settings *set,
		  const struct connection_callbacks *callbacks, void *owner);
/* The node's limits: true if the session may go on; false if a limit is
   reached: the caller sends its "too many connections" and closes. */
bool session_count(struct session *s);
/* Out of the list, out of the accounting, the connection freed. */
void session_close(struct session *s, struct session_list *list);

/* "eof", "idle timeout", ... */
const char *session_close_reason(enum connection_close_reason reason);

/* A bad command: true when [server] max_bad_commands in a row is reached
   (logged here; the caller answers in its protocol and closes). A good one
   starts the count again. */
bool session_bad_command(struct session *s, const char *log_name);
void session_good_command(struct session *s);

/* Call fn for every session's owner; fn may close and free it. */
void session_list_foreach(struct session_list *list, void (*fn)(void *owner));

#endif
