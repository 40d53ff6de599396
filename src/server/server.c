#include "server.h"
#include "alloc.h"
#include "conf.h"
#include "connection.h"
#include "ioloop.h"
#include "listener.h"
#include "log.h"
#include "net.h"
#include "tls-handshake.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct server_listener {
	struct server_listener *next;
	struct listener *listener;
	struct server *srv;
	server_accept_fn *fn;
	void *context;
	bool tls;
};

struct server_drain_hook {
	struct server_drain_hook *next;
	server_drain_fn *fn;
	void *context;
};

/* per-IP connection counts: a small open hash of IPv4/IPv6 addresses */
#define SERVER_IP_BUCKETS 4096
struct server_ip_count {
	struct server_ip_count *next;
	unsigned char addr[16];
	unsigned int count;
};

static struct server_listener *server_listeners;
static struct server_drain_hook *server_drain_hooks;
static struct server_ip_count *server_ip_buckets[SERVER_IP_BUCKETS];
/* the same for TLS handshakes in progress (server_accept()) */
static struct server_ip_count *server_hs_buckets[SERVER_IP_BUCKETS];

static bool server_ip_count_add(struct server_ip_count **buckets,
				const struct sockaddr *peer, unsigned int limit);
static void server_ip_count_remove(struct server_ip_count **buckets,
				   const struct sockaddr *peer);

/* Handshakes in progress at most; beyond that new implicit-TLS
   connections are closed at once. Each costs a socket and a few KiB. */
#define SERVER_MAX_HANDSHAKES 4096
/* Handshakes in progress from one address at most (or
   max_connections_per_ip if that is lower): one address cannot take
   every slot, and a burst from behind a NAT still fits. */
#define SERVER_MAX_HANDSHAKES_PER_IP 64
/* A client that has not finished its handshake by then (or by
   [limits] login_timeout if that is shorter) is dropped. */
#define SERVER_HANDSHAKE_TIMEOUT_SECS 60

static void server_handshake_done(void *context, int fd, struct tls_session *session,
				  const struct sockaddr *peer, socklen_t peer_len)
{
	struct server_listener *sl = context;

	server_ip_count_remove(server_hs_buckets, peer);
	metrics_tls_handshake(METRICS_TLS_IMPLICIT, session != NULL);
	if (session == NULL)
		return; /* failed or timed out; fd is closed */
	if (sl->srv->draining) {
		tls_session_free(&session);
		close(fd);
		return;
	}
	sl->fn(sl->context, fd, peer, peer_len, &session);
	tls_session_free(&session);
}

static void server_accept(void *context, int fd, const struct sockaddr *peer,
			  socklen_t peer_len)
{
	struct server_listener *sl = context;
	struct server *srv = sl->srv;
	unsigned int hs_per_ip = SERVER_MAX_HANDSHAKES_PER_IP;

	if (srv->conf->max_connections_per_ip > 0 &&
	    srv->conf->max_connections_per_ip < hs_per_ip)
		hs_per_ip = srv->conf->max_connections_per_ip;
	if (srv->draining) {
		close(fd);
		return;
	}
	if (!sl->tls) {
		sl->fn(sl->context, fd, peer, peer_len, NULL);
		return;
	}
	/* the private-key operation of each handshake runs on the
	   handshaker's thread, not on the loop (tls-handshake.h) */
	if (srv->handshaker == NULL)
		srv->handshaker = tls_handshaker_create(srv->ioloop,
			conf_login_timeout(srv->conf, SERVER_HANDSHAKE_TIMEOUT_SECS));
	if (tls_handshaker_pending(srv->handshaker) >= SERVER_MAX_HANDSHAKES ||
	    !server_ip_count_add(server_hs_buckets, peer, hs_per_ip)) {
		static time_t last_warning;
		time_t now = time(NULL);

		/* a flood would otherwise write a line per connection */
		if (now - last_warning >= 60) {
			log_warning("server", "too many TLS handshakes in progress "
				    "(or from one address); closing new connections");
			last_warning = now;
		}
		close(fd);
		return;
	}
	tls_handshake_start(srv->handshaker, srv->tls, fd, peer, peer_len,
			    server_handshake_done, sl);
}

int server_listen(struct server *srv, const struct conf_addresses *addrs,
		  bool tls, const char *name, server_accept_fn *fn,
		  void *context, const char **error_r)
{
	static __thread char errbuf[512];

	for (unsigned int i = 0; i < addrs->count; i++) {
		struct server_listener *sl;
		const char *step;
		char addr_str[300];
		int fd;

		net_address_str(&addrs->addr[i], addr_str, sizeof(addr_str));
		fd = net_listen(&addrs->addr[i], 1024, &step);
		if (fd < 0) {
			snprintf(errbuf, sizeof(errbuf), "%s on %s: %s failed: %s",
				 name, addr_str, step, strerror(errno));
			*error_r = errbuf;
			return -1;
		}
		sl = xcalloc(1, sizeof(*sl));
		sl->srv = srv;
		sl->fn = fn;
		sl->context = context;
		sl->tls = tls;
		sl->listener = listener_create(srv->ioloop, fd, addr_str,
					       server_accept, sl);
		sl->next = server_listeners;
		server_listeners = sl;
		log_info("server", "listening service=%s address=%s%s", name,
			 addr_str, tls ? " tls" : "");
	}
	return 0;
}

void server_stop_listening(struct server *srv)
{
	/* handshakes under way are abandoned with the listeners they came
	   from (their sockets closed) */
	tls_handshaker_destroy(&srv->handshaker);
	while (server_listeners != NULL) {
		struct server_listener *sl = server_listeners;

		server_listeners = sl->next;
		listener_destroy(&sl->listener);
		free(sl);
	}
}

static bool server_ip_key(const struct sockaddr *peer, unsigned char key[16])
{
	memset(key, 0, 16);
	if (peer->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		return true;
	}
	if (peer->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
		return true;
	}
	return false; /* unix sockets are not counted per IP */
}

static struct server_ip_count **server_ip_find(struct server_ip_count **buckets,
					       const unsigned char key[16])
{
	unsigned int h = 0;
	struct server_ip_count **cp;

	for (int i = 0; i < 16; i++)
		h = h * 31 + key[i];
	cp = &buckets[h % SERVER_IP_BUCKETS];
	for (; *cp != NULL; cp = &(*cp)->next) {
		if (memcmp((*cp)->addr, key, 16) == 0)
			break;
	}
	return cp;
}

/* Count one more for peer's address, unless it has limit already. */
static bool server_ip_count_add(struct server_ip_count **buckets,
				const struct sockaddr *peer, unsigned int limit)
{
	struct server_ip_count **cp;
	unsigned char key[16];

	if (peer == NULL || !server_ip_key(peer, key))
		return true;
	cp = server_ip_find(buckets, key);
	if (*cp == NULL) {
		*cp = xcalloc(1, sizeof(**cp));
		memcpy((*cp)->addr, key, 16);
	}
	if ((*cp)->count >= limit)
		return false;
	(*cp)->count++;
	return true;
}

static void server_ip_count_remove(struct server_ip_count **buckets,
				   const struct sockaddr *peer)
{
	struct server_ip_count **cp, *c;
	unsigned char key[16];

	if (peer == NULL || !server_ip_key(peer, key))
		return;
	cp = server_ip_find(buckets, key);
	c = *cp;
	if (c != NULL && --c->count == 0) {
		*cp = c->next;
		free(c);
	}
}

bool server_connection_opened(struct server *srv, const struct sockaddr *peer,
			      enum metrics_protocol protocol)
{
	const struct conf *conf = srv->conf;

	if ((conf->max_connections > 0 && srv->connections >= conf->max_connections) ||
	    (conf->max_connections_per_ip > 0 &&
	     !server_ip_count_add(server_ip_buckets, peer,
				  conf->max_connections_per_ip))) {
		metrics_connection_refused(protocol);
		return false;
	}
	srv->connections++;
	metrics_connection_opened(protocol);
	return true;
}

void server_connection_closed(struct server *srv, const struct sockaddr *peer,
			      enum metrics_protocol protocol)
{
	metrics_connection_closed(protocol);
	if (srv->connections > 0)
		srv->connections--;
	if (srv->conf->max_connections_per_ip > 0)
		server_ip_count_remove(server_ip_buckets, peer);
	if (srv->draining)
		server_check_drained(srv);
}

bool server_plaintext_auth_allowed(const struct server *srv,
				   const struct connection *conn)
{
	const struct conf *conf = srv->conf;

	if (connection_is_tls(conn) && !connection_tls_pending(conn))
		return true;
	for (unsigned int i = 0; i < conf->plaintext_auth_from_count; i++) {
		if (net_cidr_match(&conf->plaintext_auth_from[i], connection_peer(conn)))
			return true;
	}
	return false;
}

void server_add_drain_hook(struct server *srv, server_drain_fn *fn, void *context)
{
	struct server_drain_hook *hook = xcalloc(1, sizeof(*hook));

	(void)srv;
	hook->fn = fn;
	hook->context = context;
	hook->next = server_drain_hooks;
	server_drain_hooks = hook;
}

void server_drain(struct server *srv)
{
	if (srv->draining)
		return;
	srv->draining = true;
	log_info("server", "draining connections=%u", srv->connections);
	server_stop_listening(srv);
	for (struct server_drain_hook *h = server_drain_hooks; h != NULL; h = h->next)
		h->fn(h->context);
	server_check_drained(srv);
}

void server_check_drained(struct server *srv)
{
	if (srv->draining && srv->connections == 0)
		ioloop_stop(srv->ioloop);
}

bool server_plaintext_auth_allowed_ip(const struct server *srv, const char *ip)
{
	const struct conf *conf = srv->conf;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1)
		sin6->sin6_family = AF_INET6;
	else
		return false;
	for (unsigned int i = 0; i < conf->plaintext_auth_from_count; i++) {
		if (net_cidr_match(&conf->plaintext_auth_from[i],
				   (const struct sockaddr *)&ss))
			return true;
	}
	return false;
}
