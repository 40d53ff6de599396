/*
 * The [submission] listeners: listen (587, STARTTLS) and tls_listen (465,
 * implicit TLS). Sessions are in submission-client.c.
 */
#include "submission-server.h"
#include "conf.h"
#include "server.h"
#include "submission-client.h"

static void submission_server_accept(void *context, int fd,
				     const struct sockaddr *peer,
				     socklen_t peer_len, struct tls_session **session)
{
	(void)peer_len;
	submission_client_create(context, fd, peer, session);
}

static void submission_server_drain(void *context)
{
	(void)context;
	submission_client_drain_all();
}

int submission_server_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;

	if (conf->submission_listen.count == 0 &&
	    conf->submission_tls_listen.count == 0)
		return 0;
	if (server_listen(srv, &conf->submission_listen, false, "submission",
			  submission_server_accept, srv, error_r) < 0 ||
	    server_listen(srv, &conf->submission_tls_listen, true, "submissions",
			  submission_server_accept, srv, error_r) < 0)
		return -1;
	server_add_drain_hook(srv, submission_server_drain, NULL);
	return 0;
}

void submission_server_deinit(void)
{
	submission_client_destroy_all();
}
