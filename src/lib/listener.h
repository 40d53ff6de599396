#ifndef INFOSTORE_LISTENER_H
#define INFOSTORE_LISTENER_H

/*
 * Accepting connections on a listening socket (from net_listen()). When
 * accept() fails for lack of file descriptors the listener pauses for a
 * second instead of spinning.
 */

#include <stdbool.h>
#include <sys/socket.h>

struct ioloop;
struct listener;

/* fd is the new connection, owned by the callback from now on. */
typedef void listener_accept_cb(void *context, int fd,
				const struct sockaddr *peer, socklen_t peer_len);

/* Takes ownership of listen_fd. */
struct listener *listener_create(struct ioloop *ioloop, int listen_fd,
				 const char *name, listener_accept_cb *cb,
				 void *context);
void listener_destroy(struct listener **listener);

#endif
