#ifndef INFOSTORE_METRICS_SERVER_H
#define INFOSTORE_METRICS_SERVER_H

/*
 * [metrics] listen: GET /metrics answers the counters of src/lib/metrics.h
 * and the outbound queue (read from the store at each scrape) as
 * OpenMetrics text, or in the Prometheus text format 0.0.4 for a client
 * whose Accept asks for text/plain and not OpenMetrics (promtool, older
 * scrapers). Any other path is 404, any other method 405.
 *
 * The HTTP is src/web's (web-http.h): bounded heads, a head deadline, an
 * idle timeout, and connections counted against [limits] like any other.
 * No password: bind it to loopback or a monitoring network.
 */

struct server;

/* Bind the listeners, if any. 0, or -1 with *error_r. */
int metrics_server_init(struct server *srv, const char **error_r);
void metrics_server_deinit(void);

#endif
