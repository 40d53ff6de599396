/*
 * The store's import operations: a mailbox takes the UIDVALIDITY of what
 * is moved in only while it never held a message, refuses another one
 * afterwards, and messages keep their UIDs, never below UIDNEXT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

	snprintf(data_dir, sizeof(data_dir), "/tmp/test-store-import-XXXXXX");
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

static void blob(struct store *store, const char *text, char blob_r[33],
		 struct store_message_meta *meta)
{
	struct store_blob_writer *w = store_blob_writer_create(store);

	assert_non_null(w);
	assert_int_equal(store_blob_writer_write(w, text, strlen(text)), 0);
	assert_int_equal(store_blob_writer_finish(w, false, blob_r), 0);
	store_blob_writer_free(&w);
	memset(meta, 0, sizeof(*meta));
	meta->size = meta->vsize = strlen(text);
	meta->envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
	meta->bodystructure = meta->body = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
	meta->parts = "";
}

static void test_import(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	struct store_import_message msgs[2];
	struct store_message_meta meta[2];
	struct store_mailbox mb, inbox;
	struct store_user user;
	struct store_message msg;
	char blobs[2][33];

	assert_int_equal(store_user_add(store, "a@example.test", "pw-secret"), 0);
	assert_int_equal(store_user_lookup(store, "a@example.test", pool, &user), 1);

	/* check_only on a missing mailbox: 1, nothing created */
	assert_int_equal(store_import_mailbox(store, user.id, "Work", 77, true, pool, &mb), 1);
	assert_int_equal(store_mailbox_lookup(store, user.id, "Work", pool, &mb), 0);
	assert_int_equal(store_import_mailbox(store, user.id, "Work", 77, false, pool, &mb), 1);
	assert_int_equal(mb.uidvalidity, 77);
	assert_int_equal(mb.uidnext, 1);
	/* INBOX exists and is empty: it takes the UIDVALIDITY */
	assert_int_equal(store_import_mailbox(store, user.id, "INBOX", 99, false, pool, &inbox), 0);
	assert_int_equal(inbox.uidvalidity, 99);

	/* UIDs kept, with gaps; UIDNEXT from the source */
	blob(store, "Subject: 5\r\n\r\nfive\r\n", blobs[0], &meta[0]);
	blob(store, "Subject: 9\r\n\r\nnine\r\n", blobs[1], &meta[1]);
	memset(msgs, 0, sizeof(msgs));
	for (unsigned int i = 0; i < 2; i++) {
		msgs[i].blob = blobs[i];
		msgs[i].meta = &meta[i];
		msgs[i].keywords = i == 0 ? "$Forwarded Work" : NULL;
		msgs[i].flags = STORE_FLAG_SEEN;
		msgs[i].internaldate = 1600000000;
	}
	msgs[0].uid = 5;
	msgs[1].uid = 9;
	assert_int_equal(store_import_messages(store, inbox.id, msgs, 2, 20), 0);
	assert_int_equal(store_mailbox_lookup_id(store, inbox.id, pool, &inbox), 1);
	assert_int_equal(inbox.uidnext, 20);
	assert_int_equal(inbox.messages, 2);
	assert_int_equal(store_message_get(store, inbox.id, 5, STORE_FIELD_STATE, pool, &msg), 1);
	assert_string_equal(msg.keywords, "$Forwarded Work");
	assert_int_equal(msg.flags, STORE_FLAG_SEEN);
	assert_int_equal(msg.internaldate, 1600000000);

	/* below UIDNEXT: refused, and the whole batch with it */
	blob(store, "Subject: 7\r\n\r\nseven\r\n", blobs[0], &meta[0]);
	blob(store, "Subject: 30\r\n\r\n30\r\n", blobs[1], &meta[1]);
	msgs[0].uid = 30;
	msgs[1].uid = 7;
	assert_int_equal(store_import_messages(store, inbox.id, msgs, 2, 0), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	assert_int_equal(store_mailbox_lookup_id(store, inbox.id, pool, &inbox), 1);
	assert_int_equal(inbox.messages, 2);
	assert_int_equal(inbox.uidnext, 20);
	/* UIDNEXT never goes down */
	assert_int_equal(store_import_messages(store, inbox.id, NULL, 0, 3), 0);
	assert_int_equal(store_mailbox_lookup_id(store, inbox.id, pool, &inbox), 1);
	assert_int_equal(inbox.uidnext, 20);

	/* the same UIDVALIDITY again is fine; another one is refused now */
	assert_int_equal(store_import_mailbox(store, user.id, "INBOX", 99, true, pool, &mb), 0);
	assert_int_equal(store_import_mailbox(store, user.id, "INBOX", 98, true, pool, &mb), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	assert_int_equal(store_import_mailbox(store, user.id, "INBOX", 98, false, pool, &mb), -1);
	assert_int_equal(store_mailbox_lookup_id(store, inbox.id, pool, &inbox), 1);
	assert_int_equal(inbox.uidvalidity, 99);
	/* and none to keep (an mbox) fits any */
	assert_int_equal(store_import_mailbox(store, user.id, "INBOX", 0, false, pool, &mb), 0);
	assert_int_equal(store_import_mailbox(store, user.id, "bad//name", 0, false, pool, &mb), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
