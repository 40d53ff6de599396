/*
 * `infostore serve` and `infostore config check`.
 */
#include "auth.h"
#include "auth-socket.h"
#include "cal.h"
#include "dav.h"
#include "cli.h"
#include "conf.h"
#include "deliver-queue.h"
#include "imap-server.h"
#include "ioloop.h"
#include "lmtp-server.h"
#include "log.h"
#include "mailbox-watch.h"
#include "metrics-server.h"
#include "outbound.h"
#include "pop3-server.h"
#include "server.h"
#include "service-notify.h"
#include "store.h"
#include "submission-server.h"
#include "tls.h"
#include "tls-signer.h"
#include "web-server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

/* After SIGTERM, connections get this long to finish before we stop. */
#define SERVE_DRAIN_MSECS 10000
/* Descriptors besides the connections: listeners, the store (index, WAL
   and shared memory for each thread's handle: the loop, the password
   workers, delivery, the IMAP writer), blobs being read or written, the
   log, and TLS handshakes not yet counted as connections. */
#define SERVE_FD_RESERVE 256
/* Linux's default fs.nr_open: the most a soft limit may be when the hard
   limit says "unlimited" */
#define SERVE_NOFILE_UNLIMITED 1048576

int cli_config_check(struct cli *cli)
{
	struct conf *conf;

	if (cli_wants_help(cli)) {
		printf("usage: infostore [-c FILE] config check\n"
		       "  print the effective settings and the base of meeting-request\n"
		       "  links, or every configuration error (exit 78)\n");
		return 0;
	}
	if (cli->argc != 0) {
		fprintf(stderr, "usage: infostore [-c FILE] config check\n");
		return EX_USAGE;
	}
	conf = cli_load_conf(cli, 1);
	if (conf == NULL)
		return EX_CONFIG;
	conf_print(conf, stdout);
	conf_free(&conf);
	return 0;
}

struct serve_ctx {
	struct server srv;
	struct timer *drain_timer;
	struct conf *conf;
};

static void serve_drain_timeout(void *context)
{
	struct serve_ctx *ctx = context;

	log_warning("server", "stopping with %u connections still open",
		    ctx->srv.connections);
	ioloop_stop(ctx->srv.ioloop);
}

static void serve_sigterm(void *context)
{
	struct serve_ctx *ctx = context;

	if (ctx->srv.draining) {
		ioloop_stop(ctx->srv.ioloop);
		return;
	}
	log_info("server", "shutting down");
	service_notify_stopping();
	ctx->drain_timer = timer_add(ctx->srv.ioloop, SERVE_DRAIN_MSECS, false,
				     serve_drain_timeout, ctx);
	server_drain(&ctx->srv);
}

/* In the TLS key process, once it has read the key: the same privileges
   as the daemon's. */
static int serve_signer_setup(void *context)
{
	const struct conf *conf = context;

	return cli_privileges_drop(conf) < 0 ? -1 : 0;
}

static void serve_sighup(void *context)
{
	struct serve_ctx *ctx = context;
	const char *error;

	service_notify_reloading();
	if (ctx->srv.tls == NULL)
		log_info("server", "SIGHUP: no TLS certificate to reload");
	else if (tls_context_reload(ctx->srv.tls, &error) < 0)
		log_error("server", "TLS reload failed, keeping the old certificate: %s",
			  error);
	else
		log_info("server", "TLS certificate reloaded");
	/* ready again either way: a failed reload keeps serving with the
	   old certificate, which the log says */
	service_notify_ready(NULL);
}

/*
 * Each connection is a descriptor, and the soft limit is often 1024 while
 * the hard one is far higher (systemd: 524288): take all we may. Then say
 * so if [limits] max_connections cannot be reached, rather than failing
 * accept() with EMFILE at the 1000th client.
 */
static void serve_raise_nofile(const struct conf *conf)
{
	struct rlimit rl;
	rlim_t want;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warning("server", "cannot read the open-file limit: %s",
			    strerror(errno));
		return;
	}
	want = rl.rlim_max == RLIM_INFINITY ? SERVE_NOFILE_UNLIMITED : rl.rlim_max;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) {
		want = rl.rlim_cur;
	} else {
		struct rlimit raised = { .rlim_cur = want, .rlim_max = rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &raised) < 0) {
			log_warning("server", "cannot raise the open-file limit from %llu "
				    "to %llu: %s", (unsigned long long)rl.rlim_cur,
				    (unsigned long long)want, strerror(errno));
			want = rl.rlim_cur;
		}
	}
	if (conf->max_connections == 0) {
		log_info("server", "open-file limit %llu; max_connections is 0, so "
			 "that limit is what caps connections", (unsigned long long)want);
	} else if (want != RLIM_INFINITY &&
		   (rlim_t)conf->max_connections + SERVE_FD_RESERVE > want) {
		log_warning("server", "max_connections=%u does not fit into the "
			    "open-file limit %llu (%u kept for listeners, the store "
			    "and files): raise the hard limit (LimitNOFILE= in the "
			    "systemd unit, ulimit -Hn) or lower max_connections",
			    conf->max_connections, (unsigned long long)want,
			    SERVE_FD_RESERVE);
	}
}

int cli_serve(struct cli *cli)
{
	struct serve_ctx ctx;
	sigset_t stop_signals;
	const char *error;
	int ret = 0;

	/* A SIGTERM that comes once the ports accept (a supervisor that sees
	   them open) waits for the loop's handler instead of killing the
	   process mid-start. Blocked before any thread starts, so that every
	   worker thread keeps them blocked and the loop's thread, which
	   unblocks them once its handlers are in place, gets them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

	if (cli_wants_help(cli)) {
		printf("usage: infostore [-c FILE] serve\n"
		       "  run in the foreground, logging to stderr; SIGTERM drains and\n"
		       "  stops, SIGHUP reloads the TLS certificate and key\n");
		return 0;
	}
	if (cli->argc != 0) {
		fprintf(stderr, "usage: infostore [-c FILE] serve\n");
		return EX_USAGE;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = cli_load_conf(cli, 1);
	if (ctx.conf == NULL)
		return EX_CONFIG;
	ctx.srv.conf = ctx.conf;
	serve_raise_nofile(ctx.conf);
	if (cli_privileges_prepare(ctx.conf) < 0) {
		conf_free(&ctx.conf);
		return EX_CONFIG;
	}
	ctx.srv.store = cli_open_store_privileged(ctx.conf);
	if (ctx.srv.store == NULL) {
		conf_free(&ctx.conf);
		return EX_TEMPFAIL;
	}
	/* a first start has just made blobs/, tmp/ and the index as root */
	if (cli_privileges_prepare(ctx.conf) < 0) {
		store_close(&ctx.srv.store);
		conf_free(&ctx.conf);
		return EX_CONFIG;
	}
	/* the TLS key is read by a process of its own, forked now while
	   there is no thread and before anything listens (tls-signer.h) */
	if (ctx.conf->tls_cert != NULL &&
	    tls_signer_start(serve_signer_setup, ctx.conf, &error) < 0) {
		fprintf(stderr, "infostore: cannot start the TLS key process: %s\n",
			error);
		store_close(&ctx.srv.store);
		conf_free(&ctx.conf);
		return EX_OSERR;
	}
	if (ctx.conf->tls_cert != NULL &&
	    tls_context_create(ctx.conf->tls_cert, ctx.conf->tls_key,
			       &ctx.srv.tls, &error) < 0) {
		fprintf(stderr, "%s: tls_cert: %s\n", ctx.conf->path, error);
		store_close(&ctx.srv.store);
		conf_free(&ctx.conf);
		return EX_CONFIG;
	}
	/* Remove what crashed deliveries left behind (older than an hour,
	   so nothing in flight elsewhere is touched). */
	{
		int removed = store_blob_gc(ctx.srv.store, 3600);

		if (removed > 0)
			log_info("server", "removed unreferenced blobs count=%d", removed);
	}

	ctx.srv.ioloop = ioloop_create();
	ctx.srv.auth = auth_create(ctx.srv.ioloop, ctx.srv.store, ctx.conf);
	ctx.srv.watch = mailbox_watch_create(ctx.srv.ioloop, ctx.srv.store);
	ctx.srv.deliver_queue = deliver_queue_create(ctx.srv.ioloop,
						     ctx.srv.store, ctx.conf);
	cal_init(ctx.conf);

	if (imap_server_init(&ctx.srv, &error) < 0 ||
	    pop3_server_init(&ctx.srv, &error) < 0 ||
	    lmtp_server_init(&ctx.srv, &error) < 0 ||
	    submission_server_init(&ctx.srv, &error) < 0 ||
	    auth_socket_init(&ctx.srv, &error) < 0 ||
	    web_server_init(&ctx.srv, &error) < 0 ||
	    dav_init(&ctx.srv, &error) < 0 ||
	    outbound_init(&ctx.srv, &error) < 0 ||
	    metrics_server_init(&ctx.srv, &error) < 0) {
		fprintf(stderr, "infostore: %s\n", error);
		ret = EX_OSERR;
		goto out;
	}
	/* ports bound and the key loaded: from here on, [server] user */
	if (cli_privileges_drop(ctx.conf) < 0) {
		ret = EX_CONFIG;
		goto out;
	}
	if (ctx.conf->run_user != NULL)
		log_info("server", "running as user=%s", ctx.conf->run_user);
	ioloop_add_signal(ctx.srv.ioloop, SIGTERM, serve_sigterm, &ctx);
	ioloop_add_signal(ctx.srv.ioloop, SIGINT, serve_sigterm, &ctx);
	ioloop_add_signal(ctx.srv.ioloop, SIGHUP, serve_sighup, &ctx);
	pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
	log_info("server", "infostore started hostname=%s data_dir=%s links=%s",
		 ctx.conf->hostname, log_value(ctx.conf->data_dir),
		 ctx.conf->link_base != NULL ? ctx.conf->link_base : "none");
	/* listeners bound, privileges dropped, signals handled: the
	   service manager may now send clients and reloads our way */
	service_notify_ready("serving");
	ioloop_run(ctx.srv.ioloop);
	log_info("server", "stopped");
out:
	timer_remove(&ctx.drain_timer);
	metrics_server_deinit();
	outbound_deinit();
	dav_deinit();
	web_server_deinit();
	auth_socket_deinit();
	submission_server_deinit();
	lmtp_server_deinit();
	pop3_server_deinit();
	imap_server_deinit();
	server_stop_listening(&ctx.srv);
	deliver_queue_destroy(&ctx.srv.deliver_queue);
	cal_deinit();
	mailbox_watch_destroy(&ctx.srv.watch);
	auth_destroy(&ctx.srv.auth);
	ioloop_destroy(&ctx.srv.ioloop);
	tls_context_destroy(&ctx.srv.tls);
	tls_signer_stop();
	store_close(&ctx.srv.store);
	conf_free(&ctx.conf);
	return ret;
}
