/*
 * Connections over libevent bufferevents.
 *
 * One bufferevent per connection, socket-based for plain TCP and
 * bufferevent_openssl for TLS. STARTTLS replaces the plain bufferevent by a
 * TLS one on a dup() of the same socket, so only one layer of buffers is
 * ever held per connection; at 10,000 idle connections that matters more
 * than anything else here.
 */
#include "connection.h"
#include "alloc.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "metrics.h"
#include "net.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct connection {
	struct ioloop *ioloop;
	struct bufferevent *bev;
	struct connection_settings set;
	const struct connection_callbacks *callbacks;
	void *context;

	struct sockaddr_storage peer;
	char peer_ip[46];
	char tls_info[96];

	size_t line_consume;     /* bytes of the line returned last */
	struct tls_context *starttls_ctx; /* set while STARTTLS flushes */

	bool tls;
	bool tls_pending;        /* handshake not finished */
	bool starttls;           /* TLS began with connection_starttls() */
	bool skipping_line;
	bool want_drain;
	bool closing;            /* close after output */
	bool paused;
	bool closed_reported;
};

/* The TLS layer's table (lib-tls registers it before any TLS context
   exists, so before any connection could ask for TLS). */
static const struct connection_transport *connection_tls;

void connection_transport_register(const struct connection_transport *tls)
{
	connection_tls = tls;
}

static void connection_read_cb(struct bufferevent *bev, void *arg);
static void connection_write_cb(struct bufferevent *bev, void *arg);
static void connection_event_cb(struct bufferevent *bev, short what, void *arg);

static void connection_report_closed(struct connection *conn,
				     enum connection_close_reason reason,
				     const char *detail)
{
	if (conn->closed_reported)
		return;
	conn->closed_reported = true;
	bufferevent_disable(conn->bev, EV_READ | EV_WRITE);
	conn->callbacks->closed(conn->context, reason, detail);
}

static void connection_setup_bev(struct connection *conn)
{
	struct timeval tv;

	bufferevent_setcb(conn->bev, connection_read_cb, connection_write_cb,
			  connection_event_cb, conn);
	/* libevent stops reading when this much input waits unconsumed. */
	bufferevent_setwatermark(conn->bev, EV_READ, 0, conn->set.max_input_buffer);
	/* libevent writes at most 16 KiB per call by default: a 200 KiB
	   reply would take a dozen writev()s and loop iterations. Not over
	   TLS, where a write is one 16 KiB record anyway and libevent's
	   OpenSSL retry logic corrupts the stream with larger writes. */
	if (!conn->tls)
		bufferevent_set_max_single_write(conn->bev, conn->set.output_high_water);
	if (conn->set.idle_timeout_secs > 0) {
		tv.tv_sec = conn->set.idle_timeout_secs;
		tv.tv_usec = 0;
		bufferevent_set_timeouts(conn->bev, &tv, &tv);
	}
	bufferevent_enable(conn->bev, conn->paused ? EV_WRITE : EV_READ | EV_WRITE);
}

static struct connection *
connection_alloc(struct ioloop *ioloop, int fd, const struct sockaddr *peer,
		 const struct connection_settings *set,
		 const struct connection_callbacks *callbacks, void *context)
{
	struct connection *conn;
	int one = 1;

	if (peer != NULL && peer->sa_family != AF_UNIX)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn = xcalloc(1, sizeof(*conn));
	conn->ioloop = ioloop;
	conn->set = *set;
	if (conn->set.max_input_buffer < conn->set.max_line)
		conn->set.max_input_buffer = conn->set.max_line;
	if (conn->set.output_high_water == 0)
		conn->set.output_high_water = 256 * 1024;
	conn->callbacks = callbacks;
	conn->context = context;
	if (peer != NULL) {
		memcpy(&conn->peer, peer, peer->sa_family == AF_INET6 ?
		       sizeof(struct sockaddr_in6) : peer->sa_family == AF_INET ?
		       sizeof(struct sockaddr_in) : sizeof(sa_family_t));
		net_sockaddr_ip(peer, conn->peer_ip, sizeof(conn->peer_ip));
	} else {
		conn->peer.ss_family = AF_UNIX;
		strcpy(conn->peer_ip, "unix");
	}
	return conn;
}

struct connection *connection_create(struct ioloop *ioloop, int fd,
				     const struct sockaddr *peer,
				     struct tls_context *tls,
				     const struct connection_settings *set,
				     const struct connection_callbacks *callbacks,
				     void *context)
{
	struct event_base *base = ioloop_event_base(ioloop);
	struct connection *conn =
		connection_alloc(ioloop, fd, peer, set, callbacks, context);

	if (tls != NULL) {
		conn->bev = connection_tls->accept(tls, base, fd);
		if (conn->bev == NULL) {
			free(conn);
			return NULL;
		}
		conn->tls = true;
		conn->tls_pending = true;
	} else {
		conn->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (conn->bev == NULL)
			fatal_oom();
	}
	connection_setup_bev(conn);
	return conn;
}

struct connection *connection_create_tls_session(struct ioloop *ioloop, int fd,
						 const struct sockaddr *peer,
						 struct tls_session **session,
						 const struct connection_settings *set,
						 const struct connection_callbacks *callbacks,
						 void *context)
{
	struct connection *conn =
		connection_alloc(ioloop, fd, peer, set, callbacks, context);

	conn->bev = connection_tls->open(session, ioloop_event_base(ioloop), fd);
	if (conn->bev == NULL) {
		free(conn);
		return NULL;
	}
	conn->tls = true;
	connection_tls->describe(conn->bev, conn->tls_info, sizeof(conn->tls_info));
	connection_setup_bev(conn);
	return conn;
}

void connection_destroy(struct connection **_conn)
{
	struct connection *conn = *_conn;

	if (conn == NULL)
		return;
	*_conn = NULL;
	bufferevent_free(conn->bev);
	free(conn);
}

static void connection_read_cb(struct bufferevent *bev, void *arg)
{
	struct connection *conn = arg;

	(void)bev;
	if (conn->closed_reported || conn->starttls_ctx != NULL)
		return;
	conn->callbacks->input(conn->context);
}

static void connection_switch_to_tls(struct connection *conn)
{
	struct event_base *base = ioloop_event_base(conn->ioloop);
	struct tls_context *tls = conn->starttls_ctx;
	int fd = dup(bufferevent_getfd(conn->bev));

	conn->starttls_ctx = NULL;
	bufferevent_free(conn->bev);
	conn->bev = NULL;
	if (fd < 0) {
		conn->bev = bufferevent_socket_new(base, -1, 0);
		connection_report_closed(conn, CONNECTION_CLOSED_ERROR, "dup() failed");
		return;
	}
	conn->bev = connection_tls->accept(tls, base, fd);
	if (conn->bev == NULL) {
		conn->bev = bufferevent_socket_new(base, -1, 0);
		metrics_tls_handshake(METRICS_TLS_STARTTLS, false);
		connection_report_closed(conn, CONNECTION_CLOSED_ERROR,
					 "TLS setup failed");
		return;
	}
	conn->tls = true;
	conn->tls_pending = true;
	conn->starttls = true;
	conn->line_consume = 0;
	conn->skipping_line = false;
	connection_setup_bev(conn);
}

static void connection_write_cb(struct bufferevent *bev, void *arg)
{
	struct connection *conn = arg;
	size_t pending = evbuffer_get_length(bufferevent_get_output(bev));

	if (conn->closed_reported)
		return;
	if (conn->starttls_ctx != NULL) {
		if (pending == 0)
			connection_switch_to_tls(conn);
		return;
	}
	if (conn->closing) {
		if (pending == 0)
			connection_report_closed(conn, CONNECTION_CLOSED_BY_US, NULL);
		return;
	}
	if (conn->want_drain && pending <= conn->set.output_high_water / 2) {
		conn->want_drain = false;
		bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
		conn->callbacks->output_drained(conn->context);
	}
}

static void connection_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct connection *conn = arg;

	if (conn->closed_reported)
		return;
	if ((what & BEV_EVENT_CONNECTED) != 0) {
		if (conn->tls_pending)
			metrics_tls_handshake(conn->starttls ? METRICS_TLS_STARTTLS :
					      METRICS_TLS_IMPLICIT, true);
		conn->tls_pending = false;
		connection_tls->describe(bev, conn->tls_info, sizeof(conn->tls_info));
		if (conn->callbacks->tls_ready != NULL)
			conn->callbacks->tls_ready(conn->context);
		return;
	}
	/* a client that leaves or stalls in the middle failed it too */
	if (conn->tls_pending && conn->tls)
		metrics_tls_handshake(conn->starttls ? METRICS_TLS_STARTTLS :
				      METRICS_TLS_IMPLICIT, false);
	if ((what & BEV_EVENT_TIMEOUT) != 0) {
		connection_report_closed(conn, CONNECTION_CLOSED_TIMEOUT, "idle timeout");
	} else if ((what & BEV_EVENT_EOF) != 0) {
		connection_report_closed(conn, CONNECTION_CLOSED_EOF, NULL);
	} else if ((what & BEV_EVENT_ERROR) != 0) {
		const char *detail;

		if (conn->tls)
			detail = connection_tls->error(bev);
		else
			detail = strerror(EVUTIL_SOCKET_ERROR());
		if (conn->tls_pending && conn->tls)
			detail = "TLS handshake failed";
		connection_report_closed(conn, CONNECTION_CLOSED_ERROR, detail);
	}
}

int connection_input_line(struct connection *conn, const char **line_r,
			  size_t *len_r)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	struct evbuffer_ptr pos;
	size_t eol_len = 0, line_len;
	const char *data;

	pos = evbuffer_search_eol(input, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (pos.pos < 0) {
		if (evbuffer_get_length(input) >= conn->set.max_line)
			return -1;
		return 0;
	}
	line_len = (size_t)pos.pos;
	if (line_len + 1 > conn->set.max_line)
		return -1;
	data = (const char *)evbuffer_pullup(input, (ev_ssize_t)(line_len + 1));
	conn->line_consume = line_len + 1;
	if (line_len > 0 && data[line_len - 1] == '\r')
		line_len--;
	*line_r = data;
	*len_r = line_len;
	return 1;
}

void connection_input_line_consume(struct connection *conn)
{
	evbuffer_drain(bufferevent_get_input(conn->bev), conn->line_consume);
	conn->line_consume = 0;
}

bool connection_input_skip_line(struct connection *conn)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	struct evbuffer_ptr pos;
	size_t eol_len = 0;

	pos = evbuffer_search_eol(input, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (pos.pos < 0) {
		evbuffer_drain(input, evbuffer_get_length(input));
		conn->skipping_line = true;
		return false;
	}
	evbuffer_drain(input, (size_t)pos.pos + 1);
	conn->skipping_line = false;
	return true;
}

size_t connection_input_size(struct connection *conn)
{
	return evbuffer_get_length(bufferevent_get_input(conn->bev));
}

const unsigned char *connection_input_peek(struct connection *conn, size_t n,
					   size_t *len_r)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);
	size_t avail = evbuffer_get_length(input);

	if (n > avail)
		n = avail;
	*len_r = n;
	if (n == 0)
		return NULL;
	return evbuffer_pullup(input, (ev_ssize_t)n);
}

void connection_input_consume(struct connection *conn, size_t n)
{
	evbuffer_drain(bufferevent_get_input(conn->bev), n);
}

void connection_input_pause(struct connection *conn, bool pause)
{
	conn->paused = pause;
	if (conn->closed_reported || conn->starttls_ctx != NULL)
		return;
	if (pause)
		bufferevent_disable(conn->bev, EV_READ);
	else
		bufferevent_enable(conn->bev, EV_READ);
}

void connection_input_kick(struct connection *conn)
{
	if (conn->closed_reported)
		return;
	bufferevent_trigger(conn->bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void connection_write(struct connection *conn, const void *data, size_t len)
{
	if (conn->closed_reported)
		return;
	bufferevent_write(conn->bev, data, len);
}

void connection_write_now(struct connection *conn, const void *data, size_t len)
{
	ssize_t ret;

	if (len == 0 || conn->closed_reported)
		return;
	if (!conn->tls && !conn->closing && conn->starttls_ctx == NULL &&
	    evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0) {
		ret = send(bufferevent_getfd(conn->bev), data, len,
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		if (ret > 0) {
			data = (const char *)data + ret;
			len -= (size_t)ret;
		}
		/* on an error the rest is queued and the bufferevent reports
		   it as usual */
		if (len == 0)
			return;
	}
	bufferevent_write(conn->bev, data, len);
}

struct connection_reference {
	void (*done)(void *context);
	void *context;
};

static void connection_reference_done(const void *data, size_t len, void *arg)
{
	struct connection_reference *ref = arg;

	(void)data;
	(void)len;
	ref->done(ref->context);
	free(ref);
}

void connection_write_reference(struct connection *conn, const void *data,
				size_t len, void (*done)(void *context),
				void *context)
{
	struct connection_reference *ref;

	if (conn->closed_reported || len == 0) {
		done(context);
		return;
	}
	ref = xmalloc(sizeof(*ref));
	ref->done = done;
	ref->context = context;
	/* libevent calls the cleanup when the chain is drained or the
	   bufferevent freed */
	if (evbuffer_add_reference(bufferevent_get_output(conn->bev), data, len,
				   connection_reference_done, ref) < 0)
		fatal_oom();
}

void connection_write_str(struct connection *conn, const char *str)
{
	connection_write(conn, str, strlen(str));
}

void connection_vprintf(struct connection *conn, const char *fmt, va_list args)
{
	if (conn->closed_reported)
		return;
	evbuffer_add_vprintf(bufferevent_get_output(conn->bev), fmt, args);
}

void connection_printf(struct connection *conn, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	connection_vprintf(conn, fmt, args);
	va_end(args);
}

int connection_write_file(struct connection *conn, int fd, off_t offset,
			  size_t len)
{
	int dupfd;

	if (conn->closed_reported)
		return 0;
	if (len == 0)
		return 0;
	dupfd = dup(fd);
	if (dupfd < 0)
		return -1;
	/* on success the evbuffer owns dupfd; on failure it is ours */
	if (evbuffer_add_file(bufferevent_get_output(conn->bev), dupfd,
			      offset, (ev_off_t)len) < 0) {
		close(dupfd);
		return -1;
	}
	return 0;
}

size_t connection_output_size(struct connection *conn)
{
	return evbuffer_get_length(bufferevent_get_output(conn->bev));
}

bool connection_output_full(struct connection *conn)
{
	return connection_output_size(conn) >= conn->set.output_high_water;
}

void connection_want_drain(struct connection *conn)
{
	conn->want_drain = true;
	/* The write callback runs when output falls to the low watermark. */
	bufferevent_setwatermark(conn->bev, EV_WRITE,
				 conn->set.output_high_water / 2, 0);
	if (connection_output_size(conn) <= conn->set.output_high_water / 2)
		bufferevent_trigger(conn->bev, EV_WRITE,
				    BEV_TRIG_IGNORE_WATERMARKS |
				    BEV_TRIG_DEFER_CALLBACKS);
}

int connection_start_tls(struct connection *conn, struct tls_context *tls)
{
	struct evbuffer *input = bufferevent_get_input(conn->bev);

	if (conn->tls)
		return -1;
	/* Whatever the client pipelined after STARTTLS was sent in plaintext
	   and must not be treated as if it came over TLS. */
	evbuffer_drain(input, evbuffer_get_length(input));
	bufferevent_disable(conn->bev, EV_READ);
	conn->starttls_ctx = tls;
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	if (connection_output_size(conn) == 0)
		bufferevent_trigger(conn->bev, EV_WRITE,
				    BEV_TRIG_IGNORE_WATERMARKS |
				    BEV_TRIG_DEFER_CALLBACKS);
	return 0;
}

bool connection_is_tls(const struct connection *conn)
{
	return conn->tls;
}

bool connection_tls_pending(const struct connection *conn)
{
	return conn->tls_pending || conn->starttls_ctx != NULL;
}

const char *connection_tls_info(struct connection *conn)
{
	return conn->tls_info;
}

void connection_close_after_output(struct connection *conn)
{
	if (conn->closed_reported)
		return;
	conn->closing = true;
	bufferevent_disable(conn->bev, EV_READ);
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	if (connection_output_size(conn) == 0)
		bufferevent_trigger(conn->bev, EV_WRITE,
				    BEV_TRIG_IGNORE_WATERMARKS |
				    BEV_TRIG_DEFER_CALLBACKS);
}

void connection_set_idle_timeout(struct connection *conn, unsigned int secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };

	conn->set.idle_timeout_secs = secs;
	if (secs == 0)
		bufferevent_set_timeouts(conn->bev, NULL, NULL);
	else
		bufferevent_set_timeouts(conn->bev, &tv, &tv);
}

const struct sockaddr *connection_peer(const struct connection *conn)
{
	return (const struct sockaddr *)&conn->peer;
}

const char *connection_peer_ip(const struct connection *conn)
{
	return conn->peer_ip;
}

struct ioloop *connection_ioloop(const struct connection *conn)
{
	return conn->ioloop;
}
