/*
 * The [pop3] listeners: listen (STLS, RFC 2595) and tls_listen (implicit
 * TLS, RFC 8314). Sessions are in pop3-client.c.
 */
#include "pop3-server.h"
#include "conf.h"
#include "pop3-client.h"
#include "pop3-login-delay.h"
#include "server.h"

static void pop3_server_accept(void *context, int fd, const struct sockaddr *peer,
			       socklen_t peer_len, struct tls_session **session)
{
	(void)peer_len;
	pop3_client_create(context, fd, peer, session);
}

static void pop3_server_drain(void *context)
{
	(void)context;
	pop3_client_drain_all();
}

int pop3_server_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;

	if (conf->pop3_listen.count == 0 && conf->pop3_tls_listen.count == 0)
		return 0;
	if (server_listen(srv, &conf->pop3_listen, false, "pop3",
			  pop3_server_accept, srv, error_r) < 0 ||
	    server_listen(srv, &conf->pop3_tls_listen, true, "pop3s",
			  pop3_server_accept, srv, error_r) < 0)
		return -1;
	server_add_drain_hook(srv, pop3_server_drain, NULL);
	return 0;
}

void pop3_server_deinit(void)
{
	pop3_client_destroy_all();
	pop3_login_delay_deinit();
}
