/*
 * The outbound queue without a network: queueing (durable blob, then the
 * entry, with argument checks), the retry schedule, narrowing an entry to
 * the recipients left, and the bounce (RFC 3464) it builds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "log.h"
#include "outbound-dsn.h"
#include "outbound-retry.h"
#include "outbound.h"
#include "pool.h"
#include "secret.h"
#include "store-outbound-rcpt.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char data_dir[256];

static int setup(void **state)
{
	struct store *store;
	const char *error;

	snprintf(data_dir, sizeof(data_dir), "/tmp/test-outbound-XXXXXX");
	if (mkdtemp(data_dir) == NULL)
		return -1;
	if (store_open(data_dir, &store, &error) < 0) {
		fprintf(stderr, "store_open: %s\n", error);
		return -1;
	}
	*state = store;
	return 0;
}

static int teardown(void **state)
{
	struct store *store = *state;
	char cmd[512];

	store_close(&store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", data_dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct entries {
	struct store_outbound list[8];
	unsigned int count;
};

static void collect(void *context, const struct store_outbound *entry)
{
	struct entries *e = context;

	if (e->count < 8)
		e->list[e->count++] = *entry;
}

static void test_queue(void **state)
{
	static const char msg[] = "From: alice@example.test\r\nSubject: Accepted\r\n\r\nyes\r\n";
	const char *rcpts[] = { "org@remote.example", "other@remote.example" };
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	struct entries e = { .count = 0 };
	const unsigned char *data;
	size_t size;
	const char *error;

	assert_int_equal(outbound_queue_message(store, "alice@example.test", rcpts, 2,
						(const unsigned char *)msg,
						sizeof(msg) - 1, &error), 0);
	assert_int_equal(store_outbound_list(store, pool, collect, &e), 0);
	assert_int_equal(e.count, 1);
	assert_string_equal(e.list[0].sender, "alice@example.test");
	assert_string_equal(e.list[0].recipients, "org@remote.example,other@remote.example");
	assert_int_equal(e.list[0].attempts, 0);
	assert_true(e.list[0].next_attempt <= time(NULL));
	assert_int_equal(store_blob_read(store, e.list[0].blob, pool, &data, &size), 0);
	assert_int_equal(size, sizeof(msg) - 1);
	assert_memory_equal(data, msg, size);

	/* due now */
	e.count = 0;
	assert_int_equal(store_outbound_due(store, time(NULL), 10, pool, collect, &e), 0);
	assert_int_equal(e.count, 1);

	/* narrowed to one recipient, tried later: keeps created */
	assert_int_equal(store_outbound_set_recipients(store, e.list[0].id,
						       "other@remote.example"), 0);
	assert_int_equal(store_outbound_retry_later(store, e.list[0].id,
						    time(NULL) + 60, "451 4.3.0 busy"), 0);
	{
		struct entries again = { .count = 0 };

		assert_int_equal(store_outbound_list(store, pool, collect, &again), 0);
		assert_string_equal(again.list[0].recipients, "other@remote.example");
		assert_int_equal(again.list[0].attempts, 1);
		assert_int_equal(again.list[0].created, e.list[0].created);
		assert_string_equal(again.list[0].last_error, "451 4.3.0 busy");
		again.count = 0;
		assert_int_equal(store_outbound_due(store, time(NULL), 10, pool, collect,
						    &again), 0);
		assert_int_equal(again.count, 0);
	}
	assert_int_equal(store_outbound_done(store, e.list[0].id), 0);
	e.count = 0;
	assert_int_equal(store_outbound_list(store, pool, collect, &e), 0);
	assert_int_equal(e.count, 0);
	pool_destroy(&pool);
}

static void test_queue_bad_arguments(void **state)
{
	static const unsigned char msg[] = "Subject: x\r\n\r\ny\r\n";
	const char *good[] = { "org@remote.example" };
	const char *comma[] = { "a,b@remote.example" };
	const char *space[] = { "a b@remote.example" };
	const char *noat[] = { "org" };
	const char *many[101];
	struct store *store = *state;
	struct pool *pool = pool_create(256);
	struct entries e = { .count = 0 };
	const char *error;

	for (unsigned int i = 0; i < 101; i++)
		many[i] = "org@remote.example";
	assert_int_equal(outbound_queue_message(store, "alice@example.test", comma, 1,
						msg, sizeof(msg) - 1, &error), -1);
	assert_string_equal(error, "invalid recipient address");
	assert_int_equal(outbound_queue_message(store, "alice@example.test", space, 1,
						msg, sizeof(msg) - 1, &error), -1);
	assert_int_equal(outbound_queue_message(store, "alice@example.test", noat, 1,
						msg, sizeof(msg) - 1, &error), -1);
	assert_int_equal(outbound_queue_message(store, "alice@example.test", good, 0,
						msg, sizeof(msg) - 1, &error), -1);
	assert_int_equal(outbound_queue_message(store, "alice@example.test", many, 101,
						msg, sizeof(msg) - 1, &error), -1);
	assert_int_equal(outbound_queue_message(store, "not an address", good, 1,
						msg, sizeof(msg) - 1, &error), -1);
	assert_string_equal(error, "invalid envelope sender");
	assert_int_equal(outbound_queue_message(store, "alice@example.test", good, 1,
						msg, 0, &error), -1);
	/* nothing was queued by any of them */
	assert_int_equal(store_outbound_list(store, pool, collect, &e), 0);
	assert_int_equal(e.count, 0);
	/* the null sender is fine (and is never bounced) */
	assert_int_equal(outbound_queue_message(store, "", good, 1, msg, sizeof(msg) - 1,
						&error), 0);
	assert_int_equal(outbound_queue_message(store, "alice@example.test", many, 100,
						msg, sizeof(msg) - 1, &error), 0);
	assert_int_equal(store_outbound_list(store, pool, collect, &e), 0);
	assert_int_equal(e.count, 2);
	pool_destroy(&pool);
}

static void test_retry_schedule(void **state)
{
	static const unsigned int expected[] = { 60, 120, 240, 480, 960, 1920, 3600,
						 3600, 3600 };
	time_t next;

	(void)state;
	for (unsigned int i = 0; i < sizeof(expected) / sizeof(*expected); i++)
		assert_int_equal(outbound_retry_delay(i + 1), expected[i]);
	assert_int_equal(outbound_retry_delay(1000), 3600);
	/* within max_age: the backoff */
	assert_true(outbound_retry_next(1000, 1000, 1, 432000, &next));
	assert_int_equal(next, 1060);
	assert_true(outbound_retry_next(1000, 5000, 3, 432000, &next));
	assert_int_equal(next, 5240);
	/* the last try is at the deadline, never after it */
	assert_true(outbound_retry_next(1000, 1000, 1, 2, &next));
	assert_int_equal(next, 1002);
	assert_true(outbound_retry_next(1000, 432000, 9, 432000, &next));
	assert_int_equal(next, 433000);
	/* out of time: bounce */
	assert_false(outbound_retry_next(1000, 1002, 2, 2, &next));
	assert_false(outbound_retry_next(1000, 433000, 9, 432000, &next));
}

static void test_dsn_status(void **state)
{
	char status[16];

	(void)state;
	outbound_dsn_status("550 5.1.1 <x@y>: no such user", status);
	assert_string_equal(status, "5.1.1");
	outbound_dsn_status("554 5.7.1", status);
	assert_string_equal(status, "5.7.1");
	outbound_dsn_status("550 no enhanced code", status);
	assert_string_equal(status, "5.0.0");
	outbound_dsn_status("550 4.1.1 wrong class", status);
	assert_string_equal(status, "5.0.0");
	outbound_dsn_status("451 4.3.0 try later", status);
	assert_string_equal(status, "5.4.7");
	outbound_dsn_status("connect to relay:25: Connection refused", status);
	assert_string_equal(status, "5.4.7");
	outbound_dsn_status("550 5.1234.1 bad", status);
	assert_string_equal(status, "5.0.0");
	outbound_dsn_status("", status);
	assert_string_equal(status, "5.4.7");
}

static void test_dsn_build(void **state)
{
	static const char original[] =
		"From: alice@example.test\nTo: org@remote.example\n"
		"Subject: Accepted: Review\n\nbody that is not included\n";
	const struct outbound_dsn_rcpt rcpts[] = {
		{ "org@remote.example", "5.1.1", "550 5.1.1 <org@remote.example>: no such user",
		  "relay.example.test" },
		{ "late@remote.example", "5.4.7", "connect to relay:25: Connection refused",
		  NULL },
	};
	struct outbound_dsn dsn = {
		.reporting_mta = "mail.example.test",
		.sender = "alice@example.test",
		.boundary = "=_b1",
		.message_id = "<bounce.1@mail.example.test>",
		.arrival = 1795510800,     /* 2026-11-24 09:00:00 UTC */
		.now = 1795942800,
		.rcpts = rcpts,
		.rcpt_count = 2,
		.original = (const unsigned char *)original,
		.original_size = sizeof(original) - 1,
	};
	struct buffer out;

	(void)state;
	buffer_init(&out, 0);
	outbound_dsn_build(&dsn, &out);
	assert_non_null(strstr(out.data, "From: Mail Delivery System <MAILER-DAEMON@mail.example.test>\r\n"));
	assert_non_null(strstr(out.data, "To: <alice@example.test>\r\n"));
	assert_non_null(strstr(out.data, "Auto-Submitted: auto-replied\r\n"));
	assert_non_null(strstr(out.data, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"=_b1\"\r\n"));
	assert_non_null(strstr(out.data, "Date: Sun, 29 Nov 2026 09:00:00 +0000\r\n"));
	assert_non_null(strstr(out.data, "\r\n--=_b1\r\nContent-Type: message/delivery-status\r\n"));
	assert_non_null(strstr(out.data, "Reporting-MTA: dns; mail.example.test\r\n"
			       "Arrival-Date: Tue, 24 Nov 2026 09:00:00 +0000\r\n"));
	assert_non_null(strstr(out.data, "\r\nFinal-Recipient: rfc822; org@remote.example\r\n"
			       "Action: failed\r\nStatus: 5.1.1\r\n"
			       "Remote-MTA: dns; relay.example.test\r\n"
			       "Diagnostic-Code: smtp; 550 5.1.1 <org@remote.example>: no such user\r\n"));
	assert_non_null(strstr(out.data, "Final-Recipient: rfc822; late@remote.example\r\n"
			       "Action: failed\r\nStatus: 5.4.7\r\n"
			       "Diagnostic-Code: x-infostore; connect to relay:25: Connection refused\r\n"));
	/* the original's header, with CRLF, and not its body */
	assert_non_null(strstr(out.data, "Content-Type: text/rfc822-headers\r\n"));
	assert_non_null(strstr(out.data, "\r\n\r\nFrom: alice@example.test\r\nTo: org@remote.example\r\n"
			       "Subject: Accepted: Review\r\n\r\n--=_b1--\r\n"));
	assert_null(strstr(out.data, "body that is not included"));
	/* no bare LF anywhere */
	for (size_t i = 0; i < out.used; i++) {
		if (out.data[i] == '\n')
			assert_true(i > 0 && out.data[i - 1] == '\r');
	}
	buffer_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_bad_arguments, setup, teardown),
		cmocka_unit_test(test_retry_schedule),
		cmocka_unit_test(test_dsn_status),
		cmocka_unit_test(test_dsn_build),
	};

	secret_init();
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
