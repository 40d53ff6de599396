#ifndef INFOSTORE_TLS_HANDSHAKE_H
#define INFOSTORE_TLS_HANDSHAKE_H

/*
 * Server TLS handshakes on a thread of their own.
 *
 * A full handshake costs a private-key signature (about a millisecond for
 * RSA-2048, more for bigger keys), and on the event loop that is a
 * millisecond every other connection waits: under imaptest's TLS mix, where
 * every session is a new connection, a fifth of the loop's time went to
 * it. Implicit-TLS listeners hand each accepted socket to the handshaker;
 * its thread runs the handshakes without blocking (many at once, each with
 * a deadline, so slow or silent clients cost a socket, not a thread), and
 * gives the established session back to the loop, where the connection
 * takes it over (tls_bufferevent_open()).
 *
 * STARTTLS upgrades stay on the loop: they are rarer, and the connection
 * already exists there.
 */

#include <sys/socket.h>

struct ioloop;
struct tls_context;
struct tls_handshaker;
struct tls_session;

/*
 * On the loop: the handshake of fd is over. session is the established
 * TLS session (given to tls_bufferevent_open() or tls_session_free()), and
 * fd is the caller's again; on failure or timeout session is NULL and fd
 * has been closed. peer is the address given to tls_handshake_start().
 */
typedef void tls_handshake_cb(void *context, int fd, struct tls_session *session,
			      const struct sockaddr *peer, socklen_t peer_len);

/* Start the thread; callbacks run on loop. timeout_secs bounds each
   handshake. */
struct tls_handshaker *tls_handshaker_create(struct ioloop *loop,
					     unsigned int timeout_secs);
/* Stop the thread; handshakes still running are abandoned: their sockets
   are closed and their callbacks called as failures, here and now. */
void tls_handshaker_destroy(struct tls_handshaker **hs);

/*
 * Hand the accepted, non-blocking socket fd to the handshaker, with a new
 * session of ctx (made here, on the loop, so that a certificate reload
 * does not race with it). cb runs on the loop when it is over, exactly
 * once, at the latest from tls_handshaker_destroy().
 */
void tls_handshake_start(struct tls_handshaker *hs, struct tls_context *ctx,
			 int fd, const struct sockaddr *peer, socklen_t peer_len,
			 tls_handshake_cb *cb, void *context);
/* Handshakes started and not yet called back. */
unsigned int tls_handshaker_pending(const struct tls_handshaker *hs);

/* Free a session nobody took over (the socket is not closed). */
void tls_session_free(struct tls_session **session);

#endif
