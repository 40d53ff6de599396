/*
 * The [imap] listeners: listen (STARTTLS, LOGINDISABLED until TLS) and
 * tls_listen (implicit TLS, RFC 8314). Sessions are in imap-client.c.
 */
#include "imap-server.h"
#include "conf.h"
#include "imap-client.h"
#include "imap-index.h"
#include "imap-recent.h"
#include "imap-writer.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "store-imap.h"

/* imap_writer_init() was called (IMAP listens): deinit ends it. */
static bool imap_server_writer;

static void imap_server_accept(void *context, int fd, const struct sockaddr *peer,
			       socklen_t peer_len, struct tls_session **session)
{
	(void)peer_len;
	imap_client_create(context, fd, peer, session);
}

static void imap_server_drain(void *context)
{
	(void)context;
	imap_client_drain_all();
}

int imap_server_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;

	if (conf->imap_listen.count == 0 && conf->imap_tls_listen.count == 0)
		return 0;
	if (srv->tls == NULL && conf->imap_tls_listen.count > 0) {
		*error_r = "imap: tls_listen needs [server] tls_cert and tls_key";
		return -1;
	}
	if (server_listen(srv, &conf->imap_listen, false, "imap",
			  imap_server_accept, srv, error_r) < 0 ||
	    server_listen(srv, &conf->imap_tls_listen, true, "imaps",
			  imap_server_accept, srv, error_r) < 0)
		return -1;
	server_add_drain_hook(srv, imap_server_drain, NULL);
	imap_writer_init(srv->ioloop, srv->store);
	imap_server_writer = true;
	if (store_imap_tune(srv->store) < 0)
		log_warning("imap", "cannot tune the index cache: %s",
			    store_last_error_detail(srv->store));
	return 0;
}

void imap_server_deinit(void)
{
	imap_client_destroy_all();
	if (imap_server_writer)
		imap_writer_deinit();
	imap_server_writer = false;
	imap_index_deinit();
	imap_recent_deinit();
}
