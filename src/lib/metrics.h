#ifndef INFOSTORE_METRICS_H
#define INFOSTORE_METRICS_H

/*
 * The daemon's counters, gauges and histograms, and their exposition as
 * OpenMetrics 1.0 text (or the older Prometheus text format 0.0.4) for
 * [metrics] listen (src/metrics).
 *
 * Every series is a static variable of this file: recording one never
 * allocates and never locks. Each is a relaxed atomic, so any thread may
 * record (the delivery thread records batches and deliveries, every
 * store handle its errors); a scrape reads each value once, without a
 * snapshot of all of them together, which Prometheus does not need.
 *
 * The labels are fixed names from the enums below, so the number of
 * series is known in advance; nothing a client sends becomes a label.
 */

#include <stdbool.h>
#include <stdint.h>

struct buffer;

enum metrics_protocol {
	METRICS_PROTOCOL_IMAP,
	METRICS_PROTOCOL_POP3,
	METRICS_PROTOCOL_LMTP,
	METRICS_PROTOCOL_SUBMISSION,
	METRICS_PROTOCOL_HTTP,       /* connections of the web listeners */
	METRICS_PROTOCOL_WEB,        /* requests for the web pages */
	METRICS_PROTOCOL_DAV,        /* requests for CalDAV and CardDAV */
	METRICS_PROTOCOL_AUTH,       /* Postfix's SASL socket ([auth]) */
	METRICS_PROTOCOL_OUTBOUND,   /* our SMTP client to the relay */
	METRICS_PROTOCOL_METRICS,    /* scrapes of [metrics] listen */
	METRICS_PROTOCOL_COUNT
};

enum metrics_login_result {
	METRICS_LOGIN_OK,
	METRICS_LOGIN_FAILED,        /* wrong address or password */
	METRICS_LOGIN_THROTTLED,     /* refused unchecked (auth-throttle.h) */
	METRICS_LOGIN_ERROR,         /* the store was unavailable */
	METRICS_LOGIN_RESULT_COUNT
};

enum metrics_delivery_source {
	METRICS_DELIVERY_LOCAL,      /* made here: submission, DSNs, invitations */
	METRICS_DELIVERY_LMTP,
	METRICS_DELIVERY_SOURCE_COUNT
};

enum metrics_delivery_result {
	METRICS_DELIVERY_OK,
	METRICS_DELIVERY_TEMPFAIL,   /* the sender will try again */
	METRICS_DELIVERY_REJECTED,   /* unknown user, too big, bad message */
	METRICS_DELIVERY_RESULT_COUNT
};

enum metrics_tls_mode {
	METRICS_TLS_IMPLICIT,        /* tls_listen */
	METRICS_TLS_STARTTLS,
	METRICS_TLS_MODE_COUNT
};

enum metrics_store_error {
	METRICS_STORE_ERROR_TEMP,    /* busy, full, I/O: STORE_ERROR_TEMP */
	METRICS_STORE_ERROR_INTERNAL,
	METRICS_STORE_ERROR_COUNT
};

/* A monotonic clock in microseconds, for the start of what is timed. */
uint64_t metrics_now_usecs(void);

/* --- recording: any thread, never fails --- */

/* A connection was accepted and admitted ([limits]); every opened is
   followed by one closed. refused: turned away over a limit. */
void metrics_connection_opened(enum metrics_protocol protocol);
void metrics_connection_closed(enum metrics_protocol protocol);
void metrics_connection_refused(enum metrics_protocol protocol);

/* A command (an HTTP request) got its status reply; start_usecs is
   metrics_now_usecs() from when it was read. */
void metrics_command_done(enum metrics_protocol protocol, uint64_t start_usecs);

void metrics_login(enum metrics_protocol protocol, enum metrics_login_result result);

/* One message for count recipients, each with the same result. */
void metrics_delivery(enum metrics_delivery_source source,
		      enum metrics_delivery_result result, unsigned int count);
/* A delivery transaction (one or more messages) took this long. */
void metrics_delivery_duration(enum metrics_delivery_source source,
			       uint64_t start_usecs);
/* The delivery thread committed messages messages together. */
void metrics_delivery_batch(unsigned int messages);

void metrics_tls_handshake(enum metrics_tls_mode mode, bool ok);

void metrics_store_error(enum metrics_store_error kind);

/* --- exposition --- */

enum metrics_format {
	METRICS_FORMAT_OPENMETRICS,  /* application/openmetrics-text 1.0.0 */
	METRICS_FORMAT_TEXT,         /* text/plain; version=0.0.4 */
};

enum metrics_type {
	METRICS_TYPE_COUNTER,
	METRICS_TYPE_GAUGE,
	METRICS_TYPE_HISTOGRAM,
};

struct metrics_label {
	const char *name;
	const char *value;           /* escaped when written */
};

struct metrics_writer {
	struct buffer *out;
	enum metrics_format format;
	/* the family being written */
	const char *family;
	enum metrics_type type;
};

/* The Content-Type of a format. A static string. */
const char *metrics_content_type(enum metrics_format format);

/*
 * The metadata of a family: TYPE, UNIT (OpenMetrics only; name must then
 * end in "_" unit) and HELP. A counter's name is given without "_total":
 * OpenMetrics names the family so and its sample with the suffix, the
 * text format names both with it. help must not contain a newline.
 */
void metrics_write_family(struct metrics_writer *w, const char *name,
			  enum metrics_type type, const char *unit,
			  const char *help);
/* A sample of the current gauge or counter family. */
void metrics_write_value(struct metrics_writer *w,
			 const struct metrics_label *labels,
			 unsigned int label_count, uint64_t value);
/*
 * A whole histogram sample set from per-bucket (not cumulative) counts:
 * counts[i] for values up to bounds[i], counts[bound_count] above the
 * last bound. Values, bounds and sum are in units of 10^-decimals (0:
 * whole numbers, 6: microseconds of a family in seconds).
 */
void metrics_write_histogram(struct metrics_writer *w,
			     const struct metrics_label *labels,
			     unsigned int label_count, const uint64_t *bounds,
			     const uint64_t *counts, unsigned int bound_count,
			     uint64_t sum, unsigned int decimals);
/* "# EOF" for OpenMetrics; nothing for the text format. */
void metrics_write_end(struct metrics_writer *w);

/* Every family recorded above (not the end). */
void metrics_write_all(struct metrics_writer *w);

/* value / 10^decimals as the shortest decimal with at least one digit
   after the point ("0.0005", "2.5", "1.0"), as OpenMetrics writes le.
   Writes to out (at least 32 bytes). */
void metrics_format_fixed(uint64_t value, unsigned int decimals, char out[32]);

/* For tests: every value back to zero. */
void metrics_reset(void);

#endif
