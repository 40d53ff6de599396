/*
 * The scrape endpoint: one page, built on the loop from static counters
 * and one aggregate query, so a scrape costs microseconds.
 */
#include "metrics-server.h"
#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "store.h"
#include "strutil.h"
#include "web-http.h"

#include <string.h>
#include <time.h>

/* A scraper sends a short GET: anything larger is not one. */
#define METRICS_MAX_HEADERS_SIZE 8192
#define METRICS_MAX_HEADER_FIELDS 32
/* small bodies are read, so that a POST gets its 405 rather than 413 */
#define METRICS_MAX_BODY_SIZE 4096
#define METRICS_TIMEOUT_SECS 30
#define METRICS_HEAD_TIMEOUT_SECS 10
#define METRICS_PATH "/metrics"

static struct {
	struct server *srv;
	struct web_http *http;
} metrics_server;

/* RFC 9110 12.5.1, as far as a scraper needs it: OpenMetrics unless the
   client names text/plain and not OpenMetrics. */
static enum metrics_format metrics_server_format(const struct web_request *req)
{
	const char *accept = web_request_header(req, "Accept");

	if (accept == NULL || strcasestr(accept, "application/openmetrics-text") != NULL ||
	    strcasestr(accept, "text/plain") == NULL)
		return METRICS_FORMAT_OPENMETRICS;
	return METRICS_FORMAT_TEXT;
}

/* The outbound queue, read now; nothing when the store cannot say (its
   error is counted in infostore_store_errors). */
static void metrics_server_write_queue(struct metrics_writer *w)
{
	unsigned int count;
	time_t oldest, now = time(NULL);

	if (store_outbound_stats(metrics_server.srv->store, &count, &oldest) < 0) {
		log_warning("metrics", "cannot read the outbound queue: %s",
			    store_last_error_detail(metrics_server.srv->store));
		return;
	}
	metrics_write_family(w, "infostore_outbound_queue_messages",
			     METRICS_TYPE_GAUGE, NULL,
			     "Messages waiting in the outbound queue.");
	metrics_write_value(w, NULL, 0, count);
	metrics_write_family(w, "infostore_outbound_queue_oldest_age_seconds",
			     METRICS_TYPE_GAUGE, "seconds",
			     "How long the oldest queued message has waited; 0 when "
			     "the queue is empty.");
	metrics_write_value(w, NULL, 0, count > 0 && oldest > 0 && now > oldest ?
			    (uint64_t)(now - oldest) : 0);
}

static void metrics_server_handle(void *context, struct web_request *req)
{
	const char *target = req->target;
	size_t len = strlen(METRICS_PATH);
	struct metrics_writer w;

	(void)context;
	req->content_type = "text/plain; charset=utf-8";
	if (strncmp(target, METRICS_PATH, len) != 0 ||
	    (target[len] != '\0' && target[len] != '?')) {
		req->status = 404;
		buffer_append_str(&req->body, "Not found: the metrics are at /metrics.\n");
		web_response_send(req);
		return;
	}
	if (req->method != WEB_METHOD_GET && req->method != WEB_METHOD_HEAD) {
		/* RFC 9110 15.5.6: say what is allowed */
		req->status = 405;
		web_response_header(req, "Allow", "GET, HEAD");
		buffer_append_str(&req->body, "Only GET and HEAD.\n");
		web_response_send(req);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.out = &req->body;
	w.format = metrics_server_format(req);
	metrics_write_all(&w);
	metrics_server_write_queue(&w);
	metrics_write_end(&w);
	req->content_type = metrics_content_type(w.format);
	web_response_header(req, "Cache-Control", "no-store");
	web_response_send(req);
}

static void metrics_server_drain(void *context)
{
	(void)context;
	if (metrics_server.http != NULL)
		web_http_drain(metrics_server.http);
}

int metrics_server_init(struct server *srv, const char **error_r)
{
	static const struct web_http_settings set = {
		.max_headers_size = METRICS_MAX_HEADERS_SIZE,
		.max_header_fields = METRICS_MAX_HEADER_FIELDS,
		.max_body_size = METRICS_MAX_BODY_SIZE,
		.max_dav_body_size = METRICS_MAX_BODY_SIZE,
		.timeout_secs = METRICS_TIMEOUT_SECS,
		.head_timeout_secs = METRICS_HEAD_TIMEOUT_SECS,
		.protocol = METRICS_PROTOCOL_METRICS,
		.request_protocol = METRICS_PROTOCOL_METRICS,
	};

	memset(&metrics_server, 0, sizeof(metrics_server));
	metrics_server.srv = srv;
	if (srv->conf->metrics_listen.count == 0)
		return 0;
	metrics_server.http = web_http_create(srv, &set, metrics_server_handle, NULL);
	if (web_http_listen(metrics_server.http, &srv->conf->metrics_listen, false,
			    "metrics", error_r) < 0)
		return -1;
	server_add_drain_hook(srv, metrics_server_drain, NULL);
	return 0;
}

void metrics_server_deinit(void)
{
	web_http_destroy(&metrics_server.http);
}
