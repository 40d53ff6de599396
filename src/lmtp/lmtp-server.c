/*
 * The [lmtp] listeners (TCP and unix sockets): where the MTA hands over
 * mail for local users (RFC 2033). Sessions are in lmtp-client.c.
 */
#include "lmtp-server.h"
#include "conf.h"
#include "lmtp-client.h"
#include "server.h"

static void lmtp_server_accept(void *context, int fd, const struct sockaddr *peer,
			       socklen_t peer_len, struct tls_session **session)
{
	(void)peer_len;
	(void)session;
	lmtp_client_create(context, fd, peer);
}

static void lmtp_server_drain(void *context)
{
	(void)context;
	lmtp_client_drain_all();
}

int lmtp_server_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;

	if (conf->lmtp_listen.count == 0)
		return 0;
	if (server_listen(srv, &conf->lmtp_listen, false, "lmtp",
			  lmtp_server_accept, srv, error_r) < 0)
		return -1;
	server_add_drain_hook(srv, lmtp_server_drain, NULL);
	return 0;
}

void lmtp_server_deinit(void)
{
	lmtp_client_destroy_all();
}
