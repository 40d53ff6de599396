/*
 * The metrics registry: fixed arrays of relaxed atomics, indexed by the
 * label enums of metrics.h, and the writer of both exposition formats.
 *
 * The two formats differ in three places only: a counter family is
 * "name" with samples "name_total" in OpenMetrics but "name_total"
 * throughout in the text format; OpenMetrics has "# UNIT" lines; and it
 * ends with "# EOF". Prometheus asks for OpenMetrics first, and promtool
 * (check metrics) reads only the text format, so both are written.
 */
#include "metrics.h"
#include "buffer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define METRICS_MAX_BUCKETS 16

struct metrics_histogram {
	/* per bucket, not cumulative; [bound_count] is above the last */
	_Atomic uint64_t counts[METRICS_MAX_BUCKETS + 1];
	_Atomic uint64_t sum;
};

/* Latencies in microseconds: 100 us (a cached NOOP) to 10 s (a large
   FETCH, a delivery waiting for a busy disk). */
static const uint64_t metrics_latency_bounds[] = {
	100, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
	500000, 1000000, 2500000, 5000000, 10000000,
};
#define METRICS_LATENCY_BOUNDS \
	(sizeof(metrics_latency_bounds) / sizeof(metrics_latency_bounds[0]))
/* Messages per group commit: the delivery thread takes at most 64. */
static const uint64_t metrics_batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64 };
#define METRICS_BATCH_BOUNDS \
	(sizeof(metrics_batch_bounds) / sizeof(metrics_batch_bounds[0]))
_Static_assert(METRICS_LATENCY_BOUNDS <= METRICS_MAX_BUCKETS, "grow counts");

static const char *const metrics_protocol_names[METRICS_PROTOCOL_COUNT] = {
	[METRICS_PROTOCOL_IMAP] = "imap",
	[METRICS_PROTOCOL_POP3] = "pop3",
	[METRICS_PROTOCOL_LMTP] = "lmtp",
	[METRICS_PROTOCOL_SUBMISSION] = "submission",
	[METRICS_PROTOCOL_HTTP] = "http",
	[METRICS_PROTOCOL_WEB] = "web",
	[METRICS_PROTOCOL_DAV] = "dav",
	[METRICS_PROTOCOL_AUTH] = "auth",
	[METRICS_PROTOCOL_OUTBOUND] = "outbound",
	[METRICS_PROTOCOL_METRICS] = "metrics",
};
static const char *const metrics_login_names[METRICS_LOGIN_RESULT_COUNT] = {
	"ok", "failed", "throttled", "error",
};
static const char *const metrics_source_names[METRICS_DELIVERY_SOURCE_COUNT] = {
	"local", "lmtp",
};
static const char *const metrics_delivery_names[METRICS_DELIVERY_RESULT_COUNT] = {
	"ok", "tempfail", "rejected",
};
static const char *const metrics_tls_names[METRICS_TLS_MODE_COUNT] = {
	"implicit", "starttls",
};
static const char *const metrics_store_error_names[METRICS_STORE_ERROR_COUNT] = {
	"temp", "internal",
};

#define P(x) (1u << METRICS_PROTOCOL_##x)
/* Which protocols each family has series for: no series that stays 0
   forever because nothing can record it. */
#define METRICS_CONNECTION_PROTOCOLS \
	(P(IMAP) | P(POP3) | P(LMTP) | P(SUBMISSION) | P(HTTP) | P(AUTH) | \
	 P(OUTBOUND) | P(METRICS))
#define METRICS_COMMAND_PROTOCOLS \
	(P(IMAP) | P(POP3) | P(LMTP) | P(SUBMISSION) | P(WEB) | P(DAV) | P(METRICS))
#define METRICS_LOGIN_PROTOCOLS \
	(P(IMAP) | P(POP3) | P(SUBMISSION) | P(WEB) | P(DAV) | P(AUTH))

static struct {
	_Atomic uint64_t connections[METRICS_PROTOCOL_COUNT];
	_Atomic uint64_t accepted[METRICS_PROTOCOL_COUNT];
	_Atomic uint64_t refused[METRICS_PROTOCOL_COUNT];
	struct metrics_histogram commands[METRICS_PROTOCOL_COUNT];
	_Atomic uint64_t logins[METRICS_PROTOCOL_COUNT][METRICS_LOGIN_RESULT_COUNT];
	_Atomic uint64_t deliveries[METRICS_DELIVERY_SOURCE_COUNT]
		[METRICS_DELIVERY_RESULT_COUNT];
	struct metrics_histogram delivery_time[METRICS_DELIVERY_SOURCE_COUNT];
	struct metrics_histogram batches;
	_Atomic uint64_t tls[METRICS_TLS_MODE_COUNT][2];
	_Atomic uint64_t store_errors[METRICS_STORE_ERROR_COUNT];
} metrics;

static void metrics_add(_Atomic uint64_t *v, uint64_t n)
{
	atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static uint64_t metrics_get(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void metrics_observe(struct metrics_histogram *h, const uint64_t *bounds,
			    unsigned int bound_count, uint64_t value)
{
	unsigned int i = 0;

	while (i < bound_count && value > bounds[i])
		i++;
	metrics_add(&h->counts[i], 1);
	metrics_add(&h->sum, value);
}

uint64_t metrics_now_usecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t metrics_since(uint64_t start_usecs)
{
	uint64_t now = metrics_now_usecs();

	return now > start_usecs ? now - start_usecs : 0;
}

void metrics_connection_opened(enum metrics_protocol protocol)
{
	metrics_add(&metrics.connections[protocol], 1);
	metrics_add(&metrics.accepted[protocol], 1);
}

void metrics_connection_closed(enum metrics_protocol protocol)
{
	atomic_fetch_sub_explicit(&metrics.connections[protocol], 1,
				  memory_order_relaxed);
}

void metrics_connection_refused(enum metrics_protocol protocol)
{
	metrics_add(&metrics.refused[protocol], 1);
}

void metrics_command_done(enum metrics_protocol protocol, uint64_t start_usecs)
{
	metrics_observe(&metrics.commands[protocol], metrics_latency_bounds,
			METRICS_LATENCY_BOUNDS, metrics_since(start_usecs));
}

void metrics_login(enum metrics_protocol protocol, enum metrics_login_result result)
{
	metrics_add(&metrics.logins[protocol][result], 1);
}

void metrics_delivery(enum metrics_delivery_source source,
		      enum metrics_delivery_result result, unsigned int count)
{
	metrics_add(&metrics.deliveries[source][result], count);
}

void metrics_delivery_duration(enum metrics_delivery_source source,
			       uint64_t start_usecs)
{
	metrics_observe(&metrics.delivery_time[source], metrics_latency_bounds,
			METRICS_LATENCY_BOUNDS, metrics_since(start_usecs));
}

void metrics_delivery_batch(unsigned int messages)
{
	metrics_observe(&metrics.batches, metrics_batch_bounds,
			METRICS_BATCH_BOUNDS, messages);
}

void metrics_tls_handshake(enum metrics_tls_mode mode, bool ok)
{
	metrics_add(&metrics.tls[mode][ok ? 0 : 1], 1);
}

void metrics_store_error(enum metrics_store_error kind)
{
	metrics_add(&metrics.store_errors[kind], 1);
}

void metrics_reset(void)
{
	/* tests only, with no other thread recording */
	memset(&metrics, 0, sizeof(metrics));
}

/* --- the writer --- */

const char *metrics_content_type(enum metrics_format format)
{
	return format == METRICS_FORMAT_OPENMETRICS ?
		"application/openmetrics-text; version=1.0.0; charset=utf-8" :
		"text/plain; version=0.0.4; charset=utf-8";
}

void metrics_format_fixed(uint64_t value, unsigned int decimals, char out[32])
{
	uint64_t scale = 1, frac;
	int len;

	for (unsigned int i = 0; i < decimals; i++)
		scale *= 10;
	frac = value % scale;
	len = snprintf(out, 32, "%llu.%0*llu", (unsigned long long)(value / scale),
		       decimals > 0 ? (int)decimals : 1, (unsigned long long)frac);
	/* trailing zeros go, one digit after the point stays */
	while (len > 2 && out[len - 1] == '0' && out[len - 2] != '.')
		out[--len] = '\0';
}

static const char *metrics_type_name(enum metrics_type type)
{
	switch (type) {
	case METRICS_TYPE_COUNTER: return "counter";
	case METRICS_TYPE_GAUGE: return "gauge";
	case METRICS_TYPE_HISTOGRAM: return "histogram";
	}
	return "unknown";
}

/* The family name as the format writes it in TYPE and HELP. */
static void metrics_write_name(struct metrics_writer *w)
{
	buffer_append_str(w->out, w->family);
	if (w->type == METRICS_TYPE_COUNTER && w->format == METRICS_FORMAT_TEXT)
		buffer_append_str(w->out, "_total");
}

void metrics_write_family(struct metrics_writer *w, const char *name,
			  enum metrics_type type, const char *unit,
			  const char *help)
{
	w->family = name;
	w->type = type;
	buffer_append_str(w->out, "# TYPE ");
	metrics_write_name(w);
	buffer_printf(w->out, " %s\n", metrics_type_name(type));
	if (unit != NULL && w->format == METRICS_FORMAT_OPENMETRICS)
		buffer_printf(w->out, "# UNIT %s %s\n", name, unit);
	buffer_append_str(w->out, "# HELP ");
	metrics_write_name(w);
	buffer_printf(w->out, " %s\n", help);
}

/* A label value: backslash, double quote and newline escaped (both
   formats alike). */
static void metrics_write_escaped(struct buffer *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\')
			buffer_append_str(out, "\\\\");
		else if (*p == '"')
			buffer_append_str(out, "\\\"");
		else if (*p == '\n')
			buffer_append_str(out, "\\n");
		else
			buffer_append_c(out, *p);
	}
}

/* name{labels[,le="..."]} with its suffix, up to the space before the value */
static void metrics_write_sample_name(struct metrics_writer *w, const char *suffix,
				      const struct metrics_label *labels,
				      unsigned int label_count, const char *le)
{
	buffer_append_str(w->out, w->family);
	buffer_append_str(w->out, suffix);
	if (label_count == 0 && le == NULL) {
		buffer_append_c(w->out, ' ');
		return;
	}
	buffer_append_c(w->out, '{');
	for (unsigned int i = 0; i < label_count; i++) {
		buffer_printf(w->out, "%s%s=\"", i > 0 ? "," : "", labels[i].name);
		metrics_write_escaped(w->out, labels[i].value);
		buffer_append_c(w->out, '"');
	}
	if (le != NULL)
		buffer_printf(w->out, "%sle=\"%s\"", label_count > 0 ? "," : "", le);
	buffer_append_str(w->out, "} ");
}

void metrics_write_value(struct metrics_writer *w,
			 const struct metrics_label *labels,
			 unsigned int label_count, uint64_t value)
{
	metrics_write_sample_name(w, w->type == METRICS_TYPE_COUNTER ? "_total" : "",
				  labels, label_count, NULL);
	buffer_printf(w->out, "%llu\n", (unsigned long long)value);
}

void metrics_write_histogram(struct metrics_writer *w,
			     const struct metrics_label *labels,
			     unsigned int label_count, const uint64_t *bounds,
			     const uint64_t *counts, unsigned int bound_count,
			     uint64_t sum, unsigned int decimals)
{
	uint64_t cumulative = 0;
	char num[32];

	for (unsigned int i = 0; i <= bound_count; i++) {
		cumulative += counts[i];
		if (i < bound_count)
			metrics_format_fixed(bounds[i], decimals, num);
		else
			strcpy(num, "+Inf");
		metrics_write_sample_name(w, "_bucket", labels, label_count, num);
		buffer_printf(w->out, "%llu\n", (unsigned long long)cumulative);
	}
	metrics_write_sample_name(w, "_sum", labels, label_count, NULL);
	metrics_format_fixed(sum, decimals, num);
	buffer_printf(w->out, "%s\n", num);
	metrics_write_sample_name(w, "_count", labels, label_count, NULL);
	buffer_printf(w->out, "%llu\n", (unsigned long long)cumulative);
}

void metrics_write_end(struct metrics_writer *w)
{
	if (w->format == METRICS_FORMAT_OPENMETRICS)
		buffer_append_str(w->out, "# EOF\n");
}

/* Read a histogram once: the count is the sum of the buckets read, so
   _count and the +Inf bucket agree even while other threads record. */
static void metrics_write_recorded(struct metrics_writer *w,
				   const struct metrics_label *labels,
				   unsigned int label_count,
				   struct metrics_histogram *h,
				   const uint64_t *bounds, unsigned int bound_count,
				   unsigned int decimals)
{
	uint64_t counts[METRICS_MAX_BUCKETS + 1];

	for (unsigned int i = 0; i <= bound_count; i++)
		counts[i] = metrics_get(&h->counts[i]);
	metrics_write_histogram(w, labels, label_count, bounds, counts, bound_count,
				metrics_get(&h->sum), decimals);
}

/* One series per protocol of mask, of a counter or gauge array. */
static void metrics_write_per_protocol(struct metrics_writer *w, unsigned int mask,
				       _Atomic uint64_t *values)
{
	for (unsigned int p = 0; p < METRICS_PROTOCOL_COUNT; p++) {
		struct metrics_label label = { "protocol", metrics_protocol_names[p] };

		if ((mask & (1u << p)) != 0)
			metrics_write_value(w, &label, 1, metrics_get(&values[p]));
	}
}

void metrics_write_all(struct metrics_writer *w)
{
	struct metrics_label labels[2];

	metrics_write_family(w, "infostore_connections", METRICS_TYPE_GAUGE, NULL,
			     "Connections open now.");
	metrics_write_per_protocol(w, METRICS_CONNECTION_PROTOCOLS, metrics.connections);
	metrics_write_family(w, "infostore_connections_accepted", METRICS_TYPE_COUNTER,
			     NULL, "Connections accepted (within [limits]).");
	metrics_write_per_protocol(w, METRICS_CONNECTION_PROTOCOLS, metrics.accepted);
	metrics_write_family(w, "infostore_connections_refused", METRICS_TYPE_COUNTER,
			     NULL, "Connections turned away over max_connections "
			     "or max_connections_per_ip.");
	metrics_write_per_protocol(w, METRICS_CONNECTION_PROTOCOLS, metrics.refused);

	metrics_write_family(w, "infostore_command_duration_seconds",
			     METRICS_TYPE_HISTOGRAM, "seconds",
			     "Time from reading a command (an HTTP request) to its "
			     "status reply.");
	labels[0].name = "protocol";
	for (unsigned int p = 0; p < METRICS_PROTOCOL_COUNT; p++) {
		if ((METRICS_COMMAND_PROTOCOLS & (1u << p)) == 0)
			continue;
		labels[0].value = metrics_protocol_names[p];
		metrics_write_recorded(w, labels, 1, &metrics.commands[p],
				       metrics_latency_bounds, METRICS_LATENCY_BOUNDS, 6);
	}

	metrics_write_family(w, "infostore_logins", METRICS_TYPE_COUNTER, NULL,
			     "Password checks by result.");
	labels[1].name = "result";
	for (unsigned int p = 0; p < METRICS_PROTOCOL_COUNT; p++) {
		if ((METRICS_LOGIN_PROTOCOLS & (1u << p)) == 0)
			continue;
		labels[0].value = metrics_protocol_names[p];
		for (unsigned int r = 0; r < METRICS_LOGIN_RESULT_COUNT; r++) {
			labels[1].value = metrics_login_names[r];
			metrics_write_value(w, labels, 2, metrics_get(&metrics.logins[p][r]));
		}
	}

	metrics_write_family(w, "infostore_deliveries", METRICS_TYPE_COUNTER, NULL,
			     "Messages delivered into mailboxes, per recipient.");
	labels[0].name = "source";
	for (unsigned int s = 0; s < METRICS_DELIVERY_SOURCE_COUNT; s++) {
		labels[0].value = metrics_source_names[s];
		for (unsigned int r = 0; r < METRICS_DELIVERY_RESULT_COUNT; r++) {
			labels[1].value = metrics_delivery_names[r];
			metrics_write_value(w, labels, 2,
					    metrics_get(&metrics.deliveries[s][r]));
		}
	}
	metrics_write_family(w, "infostore_delivery_duration_seconds",
			     METRICS_TYPE_HISTOGRAM, "seconds",
			     "Time to store a delivery durably (its whole group commit).");
	for (unsigned int s = 0; s < METRICS_DELIVERY_SOURCE_COUNT; s++) {
		labels[0].value = metrics_source_names[s];
		metrics_write_recorded(w, labels, 1, &metrics.delivery_time[s],
				       metrics_latency_bounds, METRICS_LATENCY_BOUNDS, 6);
	}
	metrics_write_family(w, "infostore_delivery_batch_messages",
			     METRICS_TYPE_HISTOGRAM, NULL,
			     "Delivery requests per group commit of the delivery "
			     "thread (LMTP sends one per recipient).");
	metrics_write_recorded(w, NULL, 0, &metrics.batches, metrics_batch_bounds,
			       METRICS_BATCH_BOUNDS, 0);

	metrics_write_family(w, "infostore_tls_handshakes", METRICS_TYPE_COUNTER, NULL,
			     "TLS handshakes of clients, implicit (tls_listen) or "
			     "after STARTTLS/STLS.");
	labels[0].name = "mode";
	for (unsigned int m = 0; m < METRICS_TLS_MODE_COUNT; m++) {
		labels[0].value = metrics_tls_names[m];
		for (unsigned int ok = 0; ok < 2; ok++) {
			labels[1].value = ok == 0 ? "ok" : "failed";
			metrics_write_value(w, labels, 2, metrics_get(&metrics.tls[m][ok]));
		}
	}

	metrics_write_family(w, "infostore_store_errors", METRICS_TYPE_COUNTER, NULL,
			     "Store failures: temp (busy, full, I/O) and internal "
			     "(see the log).");
	labels[0].name = "kind";
	for (unsigned int k = 0; k < METRICS_STORE_ERROR_COUNT; k++) {
		labels[0].value = metrics_store_error_names[k];
		metrics_write_value(w, labels, 1, metrics_get(&metrics.store_errors[k]));
	}
}
