#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

/* buffer's text, NUL-terminated */
static const char *text(struct buffer *buf)
{
	buffer_append_c(buf, '\0');
	buf->used--;
	return buf->data;
}

/* An OpenMetrics writer into an empty buffer. */
static void writer_init(struct metrics_writer *w, struct buffer *buf)
{
	buffer_init(buf, 0);
	memset(w, 0, sizeof(*w));
	w->out = buf;
	w->format = METRICS_FORMAT_OPENMETRICS;
}

static void test_metrics_format_fixed(void **state)
{
	static const struct {
		uint64_t value;
		unsigned int decimals;
		const char *want;
	} cases[] = {
		{ 100, 6, "0.0001" }, { 2500, 6, "0.0025" }, { 1000000, 6, "1.0" },
		{ 2500000, 6, "2.5" }, { 10000000, 6, "10.0" }, { 0, 6, "0.0" },
		{ 1234567, 6, "1.234567" }, { 1, 0, "1.0" }, { 64, 0, "64.0" },
		{ 0, 0, "0.0" }, { UINT64_MAX, 0, "18446744073709551615.0" },
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		metrics_format_fixed(cases[i].value, cases[i].decimals, out);
		assert_string_equal(out, cases[i].want);
	}
}

/* Counter names: the family without _total in OpenMetrics, with it in
   the text format; UNIT only in OpenMetrics; label values escaped. */
static void test_metrics_counter_formats(void **state)
{
	const struct metrics_label labels[] = {
		{ "protocol", "imap" }, { "odd", "a\"b\\c\nd" },
	};
	struct buffer buf;
	struct metrics_writer w;

	(void)state;
	writer_init(&w, &buf);
	metrics_write_family(&w, "x_requests", METRICS_TYPE_COUNTER, NULL, "Requests.");
	metrics_write_value(&w, labels, 2, 7);
	metrics_write_family(&w, "x_open", METRICS_TYPE_GAUGE, NULL, "Open.");
	metrics_write_value(&w, NULL, 0, 3);
	metrics_write_end(&w);
	assert_string_equal(text(&buf),
		"# TYPE x_requests counter\n"
		"# HELP x_requests Requests.\n"
		"x_requests_total{protocol=\"imap\",odd=\"a\\\"b\\\\c\\nd\"} 7\n"
		"# TYPE x_open gauge\n"
		"# HELP x_open Open.\n"
		"x_open 3\n"
		"# EOF\n");

	buffer_reset(&buf);
	w.format = METRICS_FORMAT_TEXT;
	metrics_write_family(&w, "x_requests", METRICS_TYPE_COUNTER, NULL, "Requests.");
	metrics_write_value(&w, labels, 1, 7);
	metrics_write_end(&w);
	assert_string_equal(text(&buf),
		"# TYPE x_requests_total counter\n"
		"# HELP x_requests_total Requests.\n"
		"x_requests_total{protocol=\"imap\"} 7\n");
	buffer_free(&buf);
}

/* Buckets are cumulative, +Inf and _count agree, le and _sum are in the
   family's unit. */
static void test_metrics_histogram(void **state)
{
	static const uint64_t bounds[] = { 1000, 500000, 2000000 };
	static const uint64_t counts[] = { 2, 0, 1, 4 };
	const struct metrics_label label = { "protocol", "pop3" };
	struct buffer buf;
	struct metrics_writer w;

	(void)state;
	writer_init(&w, &buf);
	metrics_write_family(&w, "x_seconds", METRICS_TYPE_HISTOGRAM, "seconds", "T.");
	metrics_write_histogram(&w, &label, 1, bounds, counts, 3, 12345678, 6);
	metrics_write_family(&w, "x_batch", METRICS_TYPE_HISTOGRAM, NULL, "B.");
	metrics_write_histogram(&w, NULL, 0, bounds, counts, 1, 9, 0);
	assert_string_equal(text(&buf),
		"# TYPE x_seconds histogram\n"
		"# UNIT x_seconds seconds\n"
		"# HELP x_seconds T.\n"
		"x_seconds_bucket{protocol=\"pop3\",le=\"0.001\"} 2\n"
		"x_seconds_bucket{protocol=\"pop3\",le=\"0.5\"} 2\n"
		"x_seconds_bucket{protocol=\"pop3\",le=\"2.0\"} 3\n"
		"x_seconds_bucket{protocol=\"pop3\",le=\"+Inf\"} 7\n"
		"x_seconds_sum{protocol=\"pop3\"} 12.345678\n"
		"x_seconds_count{protocol=\"pop3\"} 7\n"
		"# TYPE x_batch histogram\n"
		"# HELP x_batch B.\n"
		"x_batch_bucket{le=\"1000.0\"} 2\n"
		"x_batch_bucket{le=\"+Inf\"} 2\n"
		"x_batch_sum 9.0\n"
		"x_batch_count 2\n");
	buffer_free(&buf);
}

/* What is recorded lands in its bucket and series. */
static void test_metrics_recording(void **state)
{
	struct buffer buf;
	struct metrics_writer w;

	(void)state;
	metrics_reset();
	metrics_delivery_batch(1);
	metrics_delivery_batch(3);
	metrics_delivery_batch(64);
	metrics_delivery_batch(65);
	metrics_login(METRICS_PROTOCOL_IMAP, METRICS_LOGIN_FAILED);
	metrics_connection_opened(METRICS_PROTOCOL_POP3);
	metrics_connection_opened(METRICS_PROTOCOL_POP3);
	metrics_connection_closed(METRICS_PROTOCOL_POP3);
	metrics_tls_handshake(METRICS_TLS_STARTTLS, false);

	writer_init(&w, &buf);
	metrics_write_all(&w);
	text(&buf);
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_bucket{le=\"1.0\"} 1\n"));
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_bucket{le=\"2.0\"} 1\n"));
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_bucket{le=\"4.0\"} 2\n"));
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_bucket{le=\"64.0\"} 3\n"));
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_bucket{le=\"+Inf\"} 4\n"));
	assert_non_null(strstr(buf.data, "infostore_delivery_batch_messages_sum 133.0\n"));
	assert_non_null(strstr(buf.data,
		"infostore_logins_total{protocol=\"imap\",result=\"failed\"} 1\n"));
	assert_non_null(strstr(buf.data,
		"infostore_logins_total{protocol=\"imap\",result=\"ok\"} 0\n"));
	assert_non_null(strstr(buf.data, "infostore_connections{protocol=\"pop3\"} 1\n"));
	assert_non_null(strstr(buf.data,
		"infostore_connections_accepted_total{protocol=\"pop3\"} 2\n"));
	assert_non_null(strstr(buf.data,
		"infostore_tls_handshakes_total{mode=\"starttls\",result=\"failed\"} 1\n"));
	/* series nothing can record are not written */
	assert_null(strstr(buf.data, "infostore_connections{protocol=\"dav\"}"));
	assert_null(strstr(buf.data, "infostore_logins_total{protocol=\"lmtp\""));
	buffer_free(&buf);
	metrics_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_format_fixed),
		cmocka_unit_test(test_metrics_counter_formats),
		cmocka_unit_test(test_metrics_histogram),
		cmocka_unit_test(test_metrics_recording),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
