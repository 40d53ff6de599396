/*
 * Local delivery on a temporary store: what is stored for each recipient,
 * and that nothing from the envelope or the LHLO name can add a header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "deliver.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "secret.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char data_dir[256];

static int setup(void **state)
{
	struct store *store;
	const char *error;

	snprintf(data_dir, sizeof(data_dir), "/tmp/test-deliver-XXXXXX");
	if (mkdtemp(data_dir) == NULL)
		return -1;
	if (store_open(data_dir, &store, &error) < 0) {
		fprintf(stderr, "store_open: %s\n", error);
		return -1;
	}
	if (store_user_add(store, "rcpt@example.test", "pw") < 0)
		return -1;
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

/* The stored bytes of INBOX's message uid. */
static const char *stored_message(struct store *store, struct pool *pool, uint32_t uid)
{
	struct store_user user;
	struct store_mailbox inbox;
	struct store_message msg;
	const unsigned char *data;
	size_t size;

	assert_int_equal(store_user_lookup(store, "rcpt@example.test", pool, &user), 1);
	assert_int_equal(store_mailbox_lookup(store, user.id, "INBOX", pool, &inbox), 1);
	assert_int_equal(store_message_get(store, inbox.id, uid, 0, pool, &msg), 1);
	assert_int_equal(store_blob_read(store, msg.blob, pool, &data, &size), 0);
	return p_strndup(pool, data, size);
}

/* Line breaks in the envelope sender or in the Received: value (the LHLO
   name, the recipient) stay inside their header: no line of the stored
   message starts a header of the attacker's. */
static void test_trace_headers_one_line(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	static const char message[] = "From: a@example.test\r\nSubject: hi\r\n\r\nbody\r\n";
	const char *rcpt = "rcpt@example.test";
	enum deliver_status status;
	uint32_t uid;
	struct deliver_request req = {
		.sender = "evil@example.test>\r\nX-Injected-Sender: yes\r\nX-A: <",
		.received = deliver_received_value(pool, "mx.example.test",
						   "helo\r\nX-Injected-Helo: yes\rX-B: 1",
						   "192.0.2.1", "LMTP",
						   "rcpt@example.test\nX-Injected-Rcpt: yes",
						   "0123abcd"),
		.data = (const unsigned char *)message,
		.size = sizeof(message) - 1,
		.rcpt_count = 1,
		.recipients = &rcpt,
		.status = &status,
		.uids = &uid,
	};
	struct deliver_request *reqs[] = { &req };
	static const char expect[] =
		"Return-Path: <evil@example.test>??X-Injected-Sender: yes??X-A: <>\r\n"
		"Received: from helo??X-Injected-Helo: yes?X-B: 1 ([192.0.2.1]) by "
		"mx.example.test (infostore) with LMTP id 0123abcd for "
		"<rcpt@example.test?X-Injected-Rcpt: yes>; ";
	const char *stored, *body;

	assert_int_equal(deliver_batch(store, NULL, reqs, 1), 0);
	assert_int_equal(status, DELIVER_OK);
	stored = stored_message(store, pool, uid);
	assert_null(strstr(stored, "\nX-Injected"));
	assert_null(strstr(stored, "\rX-B"));
	/* two trace lines, then the message exactly as it came */
	assert_true(strncmp(stored, expect, strlen(expect)) == 0);
	body = strstr(stored, "\r\nFrom: a@example.test");
	assert_non_null(body);
	assert_string_equal(body + 2, message);
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trace_headers_one_line, setup, teardown),
	};

	secret_init();
	mime_init();
	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
