#ifndef INFOSTORE_CONNECTION_H
#define INFOSTORE_CONNECTION_H

/*
 * A buffered client connection over plain TCP, a unix socket or TLS, on the
 * event loop. Every protocol front-end (IMAP, POP3, LMTP) owns one per
 * client and talks to it through this API only.
 *
 * Input: when bytes arrive, callbacks->input runs. The handler looks at
 * what is buffered (connection_input_line(), connection_input_peek()),
 * consumes what it used, and returns. Lines longer than the configured limit
 * are reported, never buffered without bound: connection_input_line()
 * returns -1 and the protocol answers with its error.
 *
 * Output: connection_write() queues bytes. A long reply (a FETCH of 100,000
 * messages) checks connection_output_full() and, when true, stops and asks
 * for callbacks->output_drained with connection_want_drain(); it is called
 * once the queue falls under half the high-water mark.
 *
 * Closing: callbacks->closed runs once when the peer goes away, an error
 * happens or the idle timeout passes. The owner then calls
 * connection_destroy(). connection_close_after_output() sends what is queued
 * and then reports closed with CONNECTION_CLOSED_BY_US.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ioloop;
struct tls_context;
struct tls_session;
struct connection;

enum connection_close_reason {
	CONNECTION_CLOSED_EOF,        /* the peer closed */
	CONNECTION_CLOSED_ERROR,      /* socket or TLS error */
	CONNECTION_CLOSED_TIMEOUT,    /* idle timeout */
	CONNECTION_CLOSED_BY_US,      /* after connection_close_after_output() */
	CONNECTION_CLOSED_INPUT_FULL, /* input buffer limit passed */
};

struct connection_callbacks {
	void (*input)(void *context);
	void (*output_drained)(void *context);
	void (*closed)(void *context, enum connection_close_reason reason,
		       const char *detail);
	/* TLS handshake done (implicit TLS or after STARTTLS); optional. */
	void (*tls_ready)(void *context);
};

/*
 * What a connection needs from a TLS layer, as a table of functions (as
 * Redis's ConnectionType): src/lib knows no TLS library, src/lib-tls
 * registers its table when it makes its first context, and the
 * struct tls_context and tls_session pointers below are only passed
 * through to it.
 */
struct bufferevent;
struct event_base;
struct connection_transport {
	/* A server-side bufferevent on fd (owned from now on); NULL on
	   failure, fd closed. */
	struct bufferevent *(*accept)(struct tls_context *ctx,
				      struct event_base *base, int fd);
	/* One for a session whose handshake is done; takes both over. */
	struct bufferevent *(*open)(struct tls_session **session,
				    struct event_base *base, int fd);
	/* "TLSv1.3 TLS_AES_256_GCM_SHA384" into out. */
	void (*describe)(struct bufferevent *bev, char *out, size_t size);
	/* The last error on bev as text, for logs. */
	const char *(*error)(struct bufferevent *bev);
};
void connection_transport_register(const struct connection_transport *tls);

struct connection_settings {
	size_t max_line;          /* longest input line, CRLF included */
	size_t max_input_buffer;  /* stop reading past this many unconsumed bytes */
	size_t output_high_water; /* connection_output_full() threshold */
	unsigned int idle_timeout_secs; /* 0: none */
};

/*
 * Wrap an accepted fd (owned from now on). With tls set, the connection
 * starts with a TLS handshake (implicit TLS). Never fails for lack of
 * memory; NULL if TLS setup failed (fd closed).
 */
struct connection *connection_create(struct ioloop *ioloop, int fd,
				     const struct sockaddr *peer,
				     struct tls_context *tls,
				     const struct connection_settings *set,
				     const struct connection_callbacks *callbacks,
				     void *context);
/* Wrap an accepted fd whose TLS handshake is already done
   (tls_handshake_start()); takes over fd and *session. NULL if that
   failed (both freed). The tls_ready callback is not called: the
   connection is ready from the start. */
struct connection *connection_create_tls_session(struct ioloop *ioloop, int fd,
						 const struct sockaddr *peer,
						 struct tls_session **session,
						 const struct connection_settings *set,
						 const struct connection_callbacks *callbacks,
						 void *context);
void connection_destroy(struct connection **conn);

/* A line ending in LF (CR before it removed), not NUL-terminated.
   1: *line_r and *len_r point into the input buffer until the next consume or
      return to the loop; the line and its EOL are consumed by
      connection_input_line_consume();
   0: no complete line yet;
  -1: the line is longer than max_line (call connection_input_skip_line()
      to throw it away as it arrives). */
int connection_input_line(struct connection *conn, const char **line_r,
			  size_t *len_r);
void connection_input_line_consume(struct connection *conn);
/* Discard input up to and including the next LF, even if it has not arrived
   yet. Returns true once the end of that line has been discarded. */
bool connection_input_skip_line(struct connection *conn);

/* Bytes buffered and not yet consumed. */
size_t connection_input_size(struct connection *conn);
/* Make the first min(n, size) buffered bytes contiguous and return them. */
const unsigned char *connection_input_peek(struct connection *conn, size_t n,
					   size_t *len_r);
void connection_input_consume(struct connection *conn, size_t n);
/* Stop or resume reading from the peer (e.g. while a command waits on the
   store). */
void connection_input_pause(struct connection *conn, bool pause);
/* Run the input callback again soon even if no new bytes arrive (after a
   paused command finished and pipelined input may be waiting). */
void connection_input_kick(struct connection *conn);

void connection_write(struct connection *conn, const void *data, size_t len);
void connection_write_str(struct connection *conn, const char *str);
void connection_printf(struct connection *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void connection_vprintf(struct connection *conn, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));
/* Like connection_write(), but when nothing is queued on a plain (not TLS)
   connection, send at once with one send() instead of on the next loop
   iteration; what the socket does not take is queued. For a reply built
   whole in one buffer (a POP3 RETR): it saves a loop iteration and the
   write event's two epoll_ctl() calls. */
void connection_write_now(struct connection *conn, const void *data, size_t len);
/* Queue len bytes without copying them, for a large reply built whole in
   memory (a web page over 64 KiB): data must stay valid until
   done(context) runs, which is once the bytes are sent, or dropped with
   the connection. If the connection is already closed, done runs at once. */
void connection_write_reference(struct connection *conn, const void *data,
				size_t len, void (*done)(void *context),
				void *context);
/* Queue len bytes of a file from offset without copying them into memory
   for plain connections (sendfile); the fd is dup()ed. 0 or -1. */
int connection_write_file(struct connection *conn, int fd, off_t offset,
			  size_t len);
size_t connection_output_size(struct connection *conn);
bool connection_output_full(struct connection *conn);
/* Ask for one callbacks->output_drained call when the output has drained. */
void connection_want_drain(struct connection *conn);

/*
 * Switch to TLS after STARTTLS/STLS: everything buffered so far is
 * discarded (RFC 3207 5, the command-injection bug class), reading stops,
 * queued output (the "OK, begin TLS" reply) is flushed in plaintext, then
 * the TLS handshake runs on the same socket. 0, or -1 if already TLS.
 */
int connection_start_tls(struct connection *conn, struct tls_context *tls);
bool connection_is_tls(const struct connection *conn);
/* Handshake still under way (no application data yet). */
bool connection_tls_pending(const struct connection *conn);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384" or "" */
const char *connection_tls_info(struct connection *conn);

/* Flush queued output, then report closed(CONNECTION_CLOSED_BY_US). */
void connection_close_after_output(struct connection *conn);
void connection_set_idle_timeout(struct connection *conn, unsigned int secs);

const struct sockaddr *connection_peer(const struct connection *conn);
/* Peer IP as text ("unix" for unix sockets). */
const char *connection_peer_ip(const struct connection *conn);
struct ioloop *connection_ioloop(const struct connection *conn);

#endif
