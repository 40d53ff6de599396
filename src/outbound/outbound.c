/*
 * The outbound queue runner: takes due entries from the store one at a
 * time, sends each to [outbound] relay (smtp-client.c), and then, per
 * recipient: forgets it (sent), tries it again later with backoff (4xx or
 * no connection), or bounces it to the local sender (5xx, or out of time).
 *
 * Nothing is forgotten before it is safe to: a sent recipient leaves the
 * entry only after the relay's 250 to the data, and a bounced one only
 * after the bounce is durable in the sender's INBOX.
 *
 * With no relay configured ([outbound] relay empty), entries wait: an
 * administrator who forgot the setting can add it and restart without
 * anyone's mail being lost. They still bounce when max_age runs out, so
 * senders learn that their reply never left, just as they would if the
 * relay had been down.
 */
#include "outbound.h"
#include "alloc.h"
#include "buffer.h"
#include "conf.h"
#include "deliver-queue.h"
#include "deliver.h"
#include "ioloop.h"
#include "log.h"
#include "outbound-dsn.h"
#include "outbound-retry.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "smtp-client.h"
#include "store-outbound-rcpt.h"
#include "store.h"
#include "tls.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Look at the queue at least this often (entries queued by the CLI, or
   whose time came). */
#define OUTBOUND_TICK_MAX_SECS 60

struct outbound_job {
	struct pool *pool;
	struct store_outbound entry;       /* strings in pool */
	const char **rcpts;
	unsigned int rcpt_count;
	const unsigned char *data;
	size_t size;

	/* the outcome of this attempt */
	const char **retry;                /* temporary failures still in time */
	unsigned int retry_count;
	struct outbound_dsn_rcpt *bounce;  /* permanent, or out of time */
	unsigned int bounce_count;
	unsigned int sent_count;
	const char *last_error;
	time_t next_attempt;
	unsigned int kept;                 /* recipients left in the queue */

	/* the bounce on its way into the sender's INBOX */
	struct deliver_request req;
	enum deliver_status req_status;
	uint32_t req_uid;
	const char *bounce_to;
	bool counted;                      /* as a server connection (drain) */
	bool orphaned;                     /* the runner is gone */
};

struct outbound {
	struct server *srv;
	struct timer *timer;
	struct ioloop_notify *kick;        /* thread-safe wake-up */
	struct tls_context *tls;
	struct smtp_client *client;
	struct outbound_job *job;          /* at most one at a time */
	bool draining;
	unsigned int waiting_logged;       /* no relay: count last logged */
};

static struct outbound *outbound;

static void outbound_run(void);

static void outbound_schedule(unsigned int secs)
{
	timer_reset(outbound->timer, secs * 1000);
}

static void outbound_tick(void *context)
{
	(void)context;
	outbound_run();
}

static void outbound_kicked(void *context)
{
	(void)context;
	if (!outbound->draining)
		timer_reset(outbound->timer, 0);
}

void outbound_kick(void)
{
	/* through a notify: outbound_queue_message() may run on a thread
	   other than the loop's */
	if (outbound != NULL)
		ioloop_notify_fire(outbound->kick);
}

static void outbound_job_free(struct outbound_job *job)
{
	pool_destroy(&job->pool);
	free(job);
}

/* The job is over: release it and look for the next entry. */
static void outbound_job_end(struct outbound_job *job)
{
	struct server *srv = outbound->srv;
	bool counted = job->counted;

	outbound->job = NULL;
	outbound_job_free(job);
	if (counted)
		server_connection_closed(srv, NULL, METRICS_PROTOCOL_OUTBOUND);
	if (outbound != NULL && !outbound->draining)
		outbound_schedule(0);
}

static const char *outbound_join(struct pool *pool, const char *const *list,
				 unsigned int count)
{
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			buffer_append_c(&buf, ',');
		buffer_append_str(&buf, list[i]);
	}
	return buf.data;
}

/* Write the outcome to the queue in store (the loop's, or the delivery
   thread's inside the bounce's transaction): keep the recipients still to
   be tried (and those whose bounce could not be stored), drop the rest.
   0, or -1 (logged). */
static int outbound_job_write(struct outbound_job *job, struct store *store,
			      bool bounce_stored)
{
	const char **keep;
	unsigned int keep_count = 0;
	int64_t id = job->entry.id;
	int ret = 0;

	keep = p_new(job->pool, const char *, job->rcpt_count);
	for (unsigned int i = 0; i < job->retry_count; i++)
		keep[keep_count++] = job->retry[i];
	if (!bounce_stored) {
		for (unsigned int i = 0; i < job->bounce_count; i++)
			keep[keep_count++] = job->bounce[i].address;
		if (job->next_attempt == 0)
			job->next_attempt = time(NULL) +
				(time_t)outbound_retry_delay(job->entry.attempts + 1);
	}
	job->kept = keep_count;
	if (keep_count == 0) {
		if ((ret = store_outbound_done(store, id)) < 0)
			log_error("outbound", "cannot remove queue entry id=%lld: %s",
				  (long long)id, store_last_error_detail(store));
		return ret;
	}
	if (keep_count != job->rcpt_count)
		ret = store_outbound_set_recipients(store, id,
			outbound_join(job->pool, keep, keep_count));
	if (ret == 0)
		ret = store_outbound_retry_later(store, id, job->next_attempt,
						 job->last_error);
	if (ret < 0)
		log_error("outbound", "cannot update queue entry id=%lld: %s",
			  (long long)id, store_last_error_detail(store));
	return ret;
}

/* The outcome is written (ret 0) or could not be (-1, logged): say so,
   and end the job. */
static void outbound_job_written(struct outbound_job *job, int ret)
{
	if (ret == 0 && job->kept == 0)
		log_info("outbound", "done id=%lld sent=%u bounced=%u",
			 (long long)job->entry.id, job->sent_count, job->bounce_count);
	else if (ret == 0)
		log_info("outbound", "deferred id=%lld recipients=%u next_in=%llds",
			 (long long)job->entry.id, job->kept,
			 (long long)(job->next_attempt - time(NULL)));
	outbound_job_end(job);
}

static void outbound_job_update(struct outbound_job *job, bool bounce_stored)
{
	outbound_job_written(job, outbound_job_write(job, outbound->srv->store,
						     bounce_stored));
}

/* deliver_request.commit of the bounce: the queue entry changes in the
   bounce's own transaction, so that a crash between the two can neither
   bounce the message twice nor send it again. */
static int outbound_bounce_commit(void *context, struct store *store)
{
	return outbound_job_write(context, store, true);
}

static void outbound_bounce_delivered(void *context, struct deliver_request *req)
{
	struct outbound_job *job = context;

	(void)req;
	if (job->orphaned) {
		/* the server stopped meanwhile; the queue entry changed with
		   the bounce, or neither did */
		outbound_job_free(job);
		return;
	}
	switch (job->req_status) {
	case DELIVER_OK:
		log_info("outbound", "bounced id=%lld to=%s uid=%u recipients=%u",
			 (long long)job->entry.id, log_value(job->bounce_to),
			 job->req_uid, job->bounce_count);
		/* the queue entry was written with it (outbound_bounce_commit) */
		outbound_job_written(job, 0);
		return;
	case DELIVER_OVER_QUOTA:
		/* the sender's own mailbox is full: as for any other
		   message to them, it is not stored */
		log_warning("outbound", "bounce for id=%lld dropped: sender %s is "
			    "over quota", (long long)job->entry.id,
			    log_value(job->bounce_to));
		outbound_job_update(job, true);
		return;
	case DELIVER_UNKNOWN_USER:
	case DELIVER_TOO_BIG:
	case DELIVER_BAD_MESSAGE:
		/* nobody here to tell: the log is all there is */
		log_warning("outbound", "bounce for id=%lld dropped: sender %s is not "
			    "a local user", (long long)job->entry.id,
			    log_value(job->bounce_to));
		outbound_job_update(job, true);
		return;
	case DELIVER_TEMPFAIL:
		break;
	}
	log_error("outbound", "cannot store the bounce for id=%lld; will retry",
		  (long long)job->entry.id);
	outbound_job_update(job, false);
}

/* Tell the sender about the recipients in job->bounce, then update. */
static void outbound_job_bounce(struct outbound_job *job)
{
	const struct conf *conf = outbound->srv->conf;
	struct outbound_dsn dsn;
	struct buffer msg;
	char boundary[32], id[32];

	if (job->bounce_count == 0) {
		outbound_job_update(job, true);
		return;
	}
	if (job->entry.sender[0] == '\0') {
		/* RFC 5321 6.1: a message with the null sender is never
		   bounced */
		log_info("outbound", "not bouncing id=%lld: null sender",
			 (long long)job->entry.id);
		outbound_job_update(job, true);
		return;
	}
	secret_token(boundary, sizeof(boundary), 15);
	secret_token(id, sizeof(id), 15);
	memset(&dsn, 0, sizeof(dsn));
	dsn.reporting_mta = conf->hostname;
	dsn.sender = job->entry.sender;
	dsn.boundary = p_printf(job->pool, "=_bounce_%s", boundary);
	dsn.message_id = p_printf(job->pool, "<bounce.%s@%s>", id, conf->hostname);
	dsn.arrival = job->entry.created;
	dsn.now = time(NULL);
	dsn.rcpts = job->bounce;
	dsn.rcpt_count = job->bounce_count;
	dsn.original = job->data;
	dsn.original_size = job->size;
	buffer_init_pool(&msg, job->pool, 0);
	outbound_dsn_build(&dsn, &msg);

	job->bounce_to = job->entry.sender;
	memset(&job->req, 0, sizeof(job->req));
	job->req.sender = "";      /* Return-Path: <> */
	job->req.data = (const unsigned char *)msg.data;
	job->req.size = msg.used;
	job->req.rcpt_count = 1;
	job->req.recipients = &job->bounce_to;
	job->req.status = &job->req_status;
	job->req.uids = &job->req_uid;
	job->req.commit = outbound_bounce_commit;
	job->req.commit_context = job;
	deliver_queue_submit(outbound->srv->deliver_queue, &job->req,
			     outbound_bounce_delivered, job);
}

static void outbound_add_bounce(struct outbound_job *job, const char *address,
				const char *reply, const char *remote_mta)
{
	struct outbound_dsn_rcpt *rcpt = &job->bounce[job->bounce_count++];
	char status[16];

	outbound_dsn_status(reply, status);
	rcpt->address = address;
	rcpt->status = p_strdup(job->pool, status);
	rcpt->diagnostic = p_strdup(job->pool, reply);
	rcpt->remote_mta = remote_mta;
}

static void outbound_sent(void *context, const struct smtp_client_result *result)
{
	struct outbound_job *job = context;
	const struct conf *conf = outbound->srv->conf;
	time_t now = time(NULL), next = 0;
	unsigned int attempts = job->entry.attempts + 1;
	bool in_time = outbound_retry_next(job->entry.created, now, attempts,
					   conf->outbound_max_age_secs, &next);

	outbound->client = NULL;
	for (unsigned int i = 0; i < result->count; i++) {
		const struct smtp_client_rcpt *r = &result->rcpts[i];
		const char *address = job->rcpts[i];
		const char *status;
		/* the relay's own words, or a local reason (no connection) */
		const char *remote = strcmp(r->stage, "connect") == 0 ? NULL :
			conf->relay_host;

		switch (r->status) {
		case SMTP_CLIENT_SENT:
			job->sent_count++;
			status = "sent";
			break;
		case SMTP_CLIENT_PERMFAIL:
			outbound_add_bounce(job, address, r->reply, remote);
			status = "bounced";
			break;
		case SMTP_CLIENT_TEMPFAIL:
		default:
			if (in_time) {
				job->retry[job->retry_count++] = address;
				status = "deferred";
			} else {
				outbound_add_bounce(job, address, r->reply, remote);
				status = "expired";
			}
			break;
		}
		if (r->status != SMTP_CLIENT_SENT && job->last_error == NULL)
			job->last_error = p_strdup(job->pool, r->reply);
		log_info("outbound", "attempt id=%lld n=%u from=%s to=%s relay=%s:%u%s "
			 "status=%s stage=%s reply=%s", (long long)job->entry.id,
			 attempts, log_value(job->entry.sender), log_value(address),
			 conf->relay_host, conf->relay_port, result->tls ? " tls" : "",
			 status, log_value(r->stage), log_value(r->reply));
	}
	job->next_attempt = next;
	outbound_job_bounce(job);
}

static void outbound_entry_cb(void *context, const struct store_outbound *entry)
{
	struct outbound_job *job = context;

	if (job->entry.id != 0)
		return;
	job->entry = *entry;
}

static struct outbound_job *outbound_job_create(const struct store_outbound *entry)
{
	struct outbound_job *job = xcalloc(1, sizeof(*job));
	char *list, *p;
	unsigned int n = 1;

	job->pool = pool_create(4096);
	job->entry = *entry;
	job->entry.sender = p_strdup(job->pool, entry->sender);
	job->entry.recipients = p_strdup(job->pool, entry->recipients);
	job->entry.blob = p_strdup(job->pool, entry->blob);
	job->entry.last_error = NULL;
	for (const char *c = entry->recipients; *c != '\0'; c++) {
		if (*c == ',')
			n++;
	}
	job->rcpts = p_new(job->pool, const char *, n);
	job->retry = p_new(job->pool, const char *, n);
	job->bounce = p_new(job->pool, struct outbound_dsn_rcpt, n);
	list = p_strdup(job->pool, entry->recipients);
	for (p = list; p != NULL;) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (*p != '\0')
			job->rcpts[job->rcpt_count++] = p;
		p = comma != NULL ? comma + 1 : NULL;
	}
	outbound->job = job;
	job->counted = server_connection_opened(outbound->srv, NULL,
						 METRICS_PROTOCOL_OUTBOUND);
	return job;
}

/* Bounce every recipient of the job with reason, now. */
static void outbound_job_expire(struct outbound_job *job, const char *reason)
{
	for (unsigned int i = 0; i < job->rcpt_count; i++) {
		outbound_add_bounce(job, job->rcpts[i], reason, NULL);
		log_info("outbound", "attempt id=%lld from=%s to=%s status=expired "
			 "reply=%s", (long long)job->entry.id,
			 log_value(job->entry.sender), log_value(job->rcpts[i]),
			 log_value(reason));
	}
	job->last_error = reason;
	outbound_job_bounce(job);
}

struct outbound_scan {
	struct pool *pool;
	time_t now;
	unsigned int max_age;
	unsigned int count;
	time_t soonest;            /* next_attempt, or deadline without a relay */
	struct store_outbound expired;
	bool have_expired;
	bool by_deadline;
};

static void outbound_scan_cb(void *context, const struct store_outbound *entry)
{
	struct outbound_scan *scan = context;
	time_t when = scan->by_deadline ?
		entry->created + (time_t)scan->max_age : entry->next_attempt;

	scan->count++;
	if (scan->by_deadline && when <= scan->now && !scan->have_expired) {
		scan->expired = *entry;
		scan->expired.sender = p_strdup(scan->pool, entry->sender);
		scan->expired.recipients = p_strdup(scan->pool, entry->recipients);
		scan->expired.blob = p_strdup(scan->pool, entry->blob);
		scan->have_expired = true;
	}
	if (scan->soonest == 0 || when < scan->soonest)
		scan->soonest = when;
}

/* When nothing is due: sleep until the soonest entry (at most a minute). */
static void outbound_schedule_scan(struct outbound_scan *scan)
{
	time_t wait = OUTBOUND_TICK_MAX_SECS;

	if (scan->soonest != 0 && scan->soonest - scan->now < wait)
		wait = scan->soonest - scan->now;
	outbound_schedule(wait < 1 ? 1 : (unsigned int)wait);
}

static void outbound_run_no_relay(struct store *store, struct pool *pool, time_t now)
{
	struct outbound_scan scan;
	struct outbound_job *job;

	memset(&scan, 0, sizeof(scan));
	scan.pool = pool;
	scan.now = now;
	scan.max_age = outbound->srv->conf->outbound_max_age_secs;
	scan.by_deadline = true;
	if (store_outbound_list(store, pool, outbound_scan_cb, &scan) < 0) {
		log_error("outbound", "cannot read the queue: %s",
			  store_last_error_detail(store));
		outbound_schedule(OUTBOUND_TICK_MAX_SECS);
		return;
	}
	if (scan.count != outbound->waiting_logged) {
		outbound->waiting_logged = scan.count;
		if (scan.count > 0)
			log_warning("outbound", "%u message(s) wait: no [outbound] relay "
				    "is configured; they bounce after max_age",
				    scan.count);
	}
	if (!scan.have_expired) {
		outbound_schedule_scan(&scan);
		return;
	}
	job = outbound_job_create(&scan.expired);
	(void)store_blob_read(store, job->entry.blob, job->pool, &job->data,
			      &job->size);
	outbound_job_expire(job, "no [outbound] relay is configured on this server");
}

static void outbound_run(void)
{
	const struct conf *conf = outbound->srv->conf;
	struct store *store = outbound->srv->store;
	struct pool *pool;
	struct outbound_job probe, *job;
	struct smtp_client_settings set;
	time_t now = time(NULL);

	if (outbound->job != NULL || outbound->draining)
		return;
	pool = pool_create(4096);
	if (conf->relay_host == NULL) {
		outbound_run_no_relay(store, pool, now);
		pool_destroy(&pool);
		return;
	}
	memset(&probe, 0, sizeof(probe));
	if (store_outbound_due(store, now, 1, pool, outbound_entry_cb, &probe) < 0) {
		log_error("outbound", "cannot read the queue: %s",
			  store_last_error_detail(store));
		outbound_schedule(OUTBOUND_TICK_MAX_SECS);
		pool_destroy(&pool);
		return;
	}
	if (probe.entry.id == 0) {
		struct outbound_scan scan;

		memset(&scan, 0, sizeof(scan));
		scan.pool = pool;
		scan.now = now;
		if (store_outbound_list(store, pool, outbound_scan_cb, &scan) < 0)
			scan.soonest = 0;
		outbound_schedule_scan(&scan);
		pool_destroy(&pool);
		return;
	}
	job = outbound_job_create(&probe.entry);
	pool_destroy(&pool);

	if (job->rcpt_count == 0) {
		outbound_job_update(job, true);
		return;
	}
	if (store_blob_read(store, job->entry.blob, job->pool, &job->data,
			    &job->size) < 0) {
		const char *reason = p_printf(job->pool, "cannot read the queued "
					      "message: %s",
					      store_last_error_detail(store));
		time_t next;

		log_error("outbound", "id=%lld: %s", (long long)job->entry.id, reason);
		if (!outbound_retry_next(job->entry.created, now, job->entry.attempts + 1,
					 conf->outbound_max_age_secs, &next)) {
			outbound_job_expire(job, reason);
			return;
		}
		for (unsigned int i = 0; i < job->rcpt_count; i++)
			job->retry[job->retry_count++] = job->rcpts[i];
		job->last_error = reason;
		job->next_attempt = next;
		outbound_job_update(job, true);
		return;
	}
	memset(&set, 0, sizeof(set));
	set.host = conf->relay_host;
	set.port = conf->relay_port;
	set.helo = conf->hostname;
	set.tls = outbound->tls;
	outbound->client = smtp_client_send(outbound->srv->ioloop, &set,
					    job->entry.sender, job->rcpts,
					    job->rcpt_count, job->data, job->size,
					    outbound_sent, job);
}

static void outbound_drain(void *context)
{
	(void)context;
	if (outbound != NULL)
		outbound->draining = true;
}

int outbound_init(struct server *srv, const char **error_r)
{
	(void)error_r;
	outbound = xcalloc(1, sizeof(*outbound));
	outbound->srv = srv;
	outbound->tls = tls_client_context_create(false);
	/* first look once the loop runs */
	outbound->timer = timer_add(srv->ioloop, 0, false, outbound_tick, NULL);
	outbound->kick = ioloop_notify_create(srv->ioloop, outbound_kicked, NULL);
	server_add_drain_hook(srv, outbound_drain, NULL);
	return 0;
}

void outbound_deinit(void)
{
	if (outbound == NULL)
		return;
	smtp_client_abort(&outbound->client);
	if (outbound->job != NULL) {
		if (outbound->job->req.recipients != NULL) {
			/* its bounce is still with the delivery queue, which
			   will call back once and free it then */
			outbound->job->orphaned = true;
		} else {
			outbound_job_free(outbound->job);
		}
	}
	timer_remove(&outbound->timer);
	ioloop_notify_destroy(&outbound->kick);
	tls_context_destroy(&outbound->tls);
	free(outbound);
	outbound = NULL;
}
