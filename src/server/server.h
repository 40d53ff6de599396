#ifndef INFOSTORE_SERVER_H
#define INFOSTORE_SERVER_H

/*
 * The daemon's shared runtime: what `infostore serve` builds once and every
 * protocol front-end uses. One process, one event loop, one thread for it;
 * worker threads for what would stall it: password hashing, durable
 * delivery, the IMAP writer and TLS handshakes.
 */

#include <stdbool.h>
#include <sys/socket.h>

#include "metrics.h"

struct auth;
struct conf;
struct conf_addresses;
struct connection;
struct deliver_queue;
struct ioloop;
struct mailbox_watch;
struct store;
struct tls_context;
struct tls_handshaker;
struct tls_session;

struct server {
	struct ioloop *ioloop;
	const struct conf *conf;
	struct store *store;              /* the loop's own store handle */
	struct tls_context *tls;          /* NULL when no certificate is set */
	struct tls_handshaker *handshaker; /* implicit TLS, off the loop */
	struct auth *auth;
	struct mailbox_watch *watch;
	struct deliver_queue *deliver_queue;

	unsigned int connections;
	bool draining;                    /* SIGTERM: no new connections */
};

/* accept callback of a protocol: fd is owned by it from now on. On an
   implicit-TLS listener the handshake is already done and *session is
   the established session, to be taken over by
   connection_create_tls_session(); elsewhere session is NULL. */
typedef void server_accept_fn(void *context, int fd, const struct sockaddr *peer,
			      socklen_t peer_len, struct tls_session **session);

/* Bind every address of addrs now (before privileges are dropped) and
   accept on them once the loop runs. 0, or -1 with *error_r. */
int server_listen(struct server *srv, const struct conf_addresses *addrs,
		  bool tls, const char *name, server_accept_fn *fn,
		  void *context, const char **error_r);

/*
 * Connection accounting against [limits] max_connections and
 * max_connections_per_ip. server_connection_opened() returns false when a
 * limit is reached: the protocol then sends its "too many connections"
 * reply and closes. Every true must be paired with _closed(), with the
 * same protocol: the metrics count connections per protocol here.
 */
bool server_connection_opened(struct server *srv, const struct sockaddr *peer,
			      enum metrics_protocol protocol);
void server_connection_closed(struct server *srv, const struct sockaddr *peer,
			      enum metrics_protocol protocol);

/* May this connection send a password? Over TLS always; in plaintext only
   from [server] plaintext_auth_from networks. */
bool server_plaintext_auth_allowed(const struct server *srv,
				   const struct connection *conn);

/* The same for a peer known only by its IP text (the web access). */
bool server_plaintext_auth_allowed_ip(const struct server *srv, const char *ip);

/* Protocol front-ends register a drain hook: on SIGTERM each is asked to
   finish what it is doing and close its connections. */
typedef void server_drain_fn(void *context);
void server_add_drain_hook(struct server *srv, server_drain_fn *fn, void *context);
void server_drain(struct server *srv);
/* A front-end reports that it has no connections left after a drain. */
void server_check_drained(struct server *srv);

/* For tests and the admin log: listeners in the order they were bound */
void server_stop_listening(struct server *srv);

#endif
