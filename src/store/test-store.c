/*
 * The store API on a temporary data directory: users, mailboxes, messages
 * with modseqs, expunge tracking, copies sharing bodies, full-text search,
 * calendar items and tokens, sessions, the outbound queue, blob cleanup,
 * two handles on one store (the CLI beside the daemon), and imports that
 * keep UIDVALIDITY and UIDs.
 *
 * The same tests run on both backends: SQLite always, PostgreSQL when
 * INFOSTORE_TEST_PG names a cluster (scripts/check starts one; each test
 * gets an empty schema in a database of this run's own). Tests of
 * SQLite's files (modes, locks, its migrations) run on SQLite only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "store-dav.h"
#include "store-imap.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char data_dir[256];
/* the PostgreSQL group's database, NULL while the SQLite group runs */
static char *pg_conninfo;

/* A handle on this test's store, on the backend of the running group. */
static int test_open(struct store **store_r)
{
	struct store_settings settings = {
		.data_dir = data_dir,
		.backend = pg_conninfo != NULL ? STORE_BACKEND_POSTGRESQL :
			STORE_BACKEND_SQLITE,
		.postgresql = pg_conninfo,
	};
	const char *error;

	if (store_open_settings(&settings, store_r, NULL, &error) < 0) {
		fprintf(stderr, "store_open: %s\n", error);
		return -1;
	}
	return 0;
}

static int pg_exec(const char *conninfo, const char *sql)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *result;
	int ret = -1;

	if (PQstatus(conn) == CONNECTION_OK) {
		result = PQexec(conn, sql);
		if (PQresultStatus(result) == PGRES_COMMAND_OK)
			ret = 0;
		else
			fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(result));
		PQclear(result);
	} else {
		fprintf(stderr, "PostgreSQL: %s", PQerrorMessage(conn));
	}
	PQfinish(conn);
	return ret;
}

static int setup(void **state)
{
	struct store *store;

	snprintf(data_dir, sizeof(data_dir), "/tmp/test-store-XXXXXX");
	if (mkdtemp(data_dir) == NULL)
		return -1;
	/* every test starts from an empty database */
	if (pg_conninfo != NULL &&
	    pg_exec(pg_conninfo, "SET client_min_messages = warning;"
		    " DROP SCHEMA public CASCADE; CREATE SCHEMA public") < 0)
		return -1;
	if (test_open(&store) < 0)
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

static int64_t add_user(struct store *store, const char *address)
{
	struct pool *pool = pool_create(512);
	struct store_user user;
	int64_t id;

	assert_int_equal(store_user_add(store, address, "pw-" "secret"), 0);
	assert_int_equal(store_user_lookup(store, address, pool, &user), 1);
	id = user.id;
	pool_destroy(&pool);
	return id;
}

static int64_t mailbox_id(struct store *store, int64_t user_id, const char *name)
{
	struct pool *pool = pool_create(512);
	struct store_mailbox mb;
	int64_t id;

	assert_int_equal(store_mailbox_lookup(store, user_id, name, pool, &mb), 1);
	id = mb.id;
	pool_destroy(&pool);
	return id;
}

/* Store a message body and index it: STORE_ERROR_NONE and *uid_r, or the
   store's error (a quota's refusal). */
static enum store_error try_add_message(struct store *store, int64_t mailbox,
					const char *text, char blob_r[33],
					uint32_t *uid_r)
{
	struct store_blob_writer *w = store_blob_writer_create(store);
	struct store_message_meta meta;

	assert_non_null(w);
	assert_int_equal(store_blob_writer_write(w, text, strlen(text)), 0);
	assert_int_equal(store_blob_writer_finish(w, true, blob_r), 0);
	store_blob_writer_free(&w);
	memset(&meta, 0, sizeof(meta));
	meta.size = meta.vsize = strlen(text);
	meta.envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
	meta.bodystructure = meta.body = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 1 1)";
	meta.text = text;
	meta.headers = "";
	if (store_message_add(store, mailbox, blob_r, &meta, 0, NULL, 0, 0, uid_r) < 0)
		return store_last_error(store);
	return STORE_ERROR_NONE;
}

/* The same, and it must work; returns the UID. */
static uint32_t add_message(struct store *store, int64_t mailbox, const char *text,
			    char blob_r[33])
{
	uint32_t uid;

	assert_int_equal(try_add_message(store, mailbox, text, blob_r, &uid),
			 STORE_ERROR_NONE);
	return uid;
}

/* The same, for messages that may be refused. */
static enum store_error try_add(struct store *store, int64_t mailbox, const char *text)
{
	char blob[33];
	uint32_t uid;

	return try_add_message(store, mailbox, text, blob, &uid);
}

static void test_users(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	struct store_user user;
	struct store_mailbox *mbs;
	unsigned int count;
	int64_t id;

	id = add_user(store, "Alice@Example.test");
	/* lookups are case-insensitive */
	assert_int_equal(store_user_lookup(store, "alice@example.TEST", pool, &user), 1);
	assert_true(user.id == id);
	assert_true(strncmp(user.password_hash, "$argon2id$", 10) == 0);
	assert_int_equal(store_user_add(store, "alice@example.test", "x"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	assert_int_equal(store_user_add(store, "not-an-address", "x"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);

	assert_int_equal(store_user_verify(store, "alice@example.test", "pw-secret", pool, &user), 1);
	assert_int_equal(store_user_verify(store, "alice@example.test", "wrong", pool, &user), 0);
	assert_int_equal(store_user_verify(store, "nobody@example.test", "pw-secret", pool, &user), 0);
	assert_int_equal(store_user_set_password(store, "alice@example.test", "new"), 0);
	assert_int_equal(store_user_verify(store, "alice@example.test", "new", pool, &user), 1);
	assert_int_equal(store_user_set_password(store, "nobody@example.test", "new"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);

	/* standard mailboxes, with SPECIAL-USE and the calendar */
	assert_int_equal(store_mailbox_list(store, id, pool, &mbs, &count), 0);
	assert_int_equal(count, 6);
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(mbs[i].name, "Sent") == 0)
			assert_string_equal(mbs[i].special_use, "\\Sent");
		if (strcmp(mbs[i].name, "Calendar") == 0)
			assert_int_equal(mbs[i].kind, STORE_MAILBOX_CALENDAR);
		assert_int_equal(mbs[i].uidnext, 1);
		assert_true(mbs[i].uidvalidity > 0);
	}
	/* every mailbox got a different UIDVALIDITY */
	for (unsigned int i = 0; i < count; i++)
		for (unsigned int j = i + 1; j < count; j++)
			assert_true(mbs[i].uidvalidity != mbs[j].uidvalidity);

	assert_int_equal(store_user_set(store, "alice@example.test",
					STORE_USER_CALENDAR_FORMAT, "url"), 0);
	assert_int_equal(store_user_set(store, "alice@example.test",
					STORE_USER_DISPLAY_NAME, "Alice Liddell"), 0);
	assert_int_equal(store_user_set(store, "alice@example.test",
					STORE_USER_TIMEZONE, "Europe/Berlin"), 0);
	assert_int_equal(store_user_lookup(store, "alice@example.test", pool, &user), 1);
	assert_string_equal(user.calendar_format, "url");
	assert_string_equal(user.display_name, "Alice Liddell");
	assert_string_equal(user.timezone, "Europe/Berlin");
	assert_int_equal(store_user_set(store, "alice@example.test",
					STORE_USER_TIMEZONE, ""), 0);
	assert_int_equal(store_user_lookup(store, "alice@example.test", pool, &user), 1);
	assert_null(user.timezone);
	assert_int_equal(store_user_set(store, "nobody@example.test",
					STORE_USER_DISPLAY_NAME, "x"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);
	assert_int_equal(store_user_delete(store, "alice@example.test"), 0);
	assert_int_equal(store_user_lookup(store, "alice@example.test", pool, &user), 0);
	assert_int_equal(store_user_delete(store, "alice@example.test"), -1);
	pool_destroy(&pool);
}

static void test_mailboxes(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	struct store_mailbox mb;
	int64_t user = add_user(store, "bob@example.test"), id;
	uint32_t old_validity;
	char blob[33];

	assert_int_equal(store_mailbox_create(store, user, "Work", NULL, &id), 0);
	assert_int_equal(store_mailbox_create(store, user, "Work/2026", NULL, &id), 0);
	assert_int_equal(store_mailbox_create(store, user, "Work", NULL, &id), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	assert_int_equal(store_mailbox_create(store, user, "bad//name", NULL, &id), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);
	assert_int_equal(store_mailbox_create(store, user, "/abs", NULL, &id), -1);
	assert_int_equal(store_mailbox_create(store, user, "a/../b", NULL, &id), -1);
	assert_int_equal(store_mailbox_create(store, user, "star*", NULL, &id), -1);
	/* INBOX in any case is INBOX */
	assert_int_equal(store_mailbox_lookup(store, user, "inbox", pool, &mb), 1);
	assert_string_equal(mb.name, "INBOX");

	assert_int_equal(store_mailbox_rename(store, user, "Work", "Jobs"), 0);
	assert_int_equal(store_mailbox_lookup(store, user, "Jobs/2026", pool, &mb), 1);
	assert_int_equal(store_mailbox_lookup(store, user, "Work/2026", pool, &mb), 0);
	assert_int_equal(store_mailbox_rename(store, user, "Jobs", "Jobs/sub"), -1);
	assert_int_equal(store_mailbox_rename(store, user, "Nope", "X"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);

	/* RENAME INBOX moves the messages and leaves INBOX empty */
	add_message(store, mailbox_id(store, user, "INBOX"), "Subject: a\r\n\r\nx\r\n", blob);
	assert_int_equal(store_mailbox_rename(store, user, "INBOX", "Old"), 0);
	assert_int_equal(store_mailbox_lookup(store, user, "INBOX", pool, &mb), 1);
	assert_int_equal(mb.messages, 0);
	assert_int_equal(store_mailbox_lookup(store, user, "Old", pool, &mb), 1);
	assert_int_equal(mb.messages, 1);

	assert_int_equal(store_mailbox_delete(store, user, "INBOX"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_PERM);
	assert_int_equal(store_mailbox_delete(store, user, "Calendar"), -1);

	/* deleted and created again: a new UIDVALIDITY */
	assert_int_equal(store_mailbox_lookup(store, user, "Jobs", pool, &mb), 1);
	old_validity = mb.uidvalidity;
	assert_int_equal(store_mailbox_delete(store, user, "Jobs"), 0);
	assert_int_equal(store_mailbox_create(store, user, "Jobs", NULL, &id), 0);
	assert_int_equal(store_mailbox_lookup(store, user, "Jobs", pool, &mb), 1);
	assert_true(mb.uidvalidity != old_validity);

	/* subscriptions are names: they outlive the mailbox, follow a
	   rename, and the standard folders start with one */
	assert_int_equal(store_mailbox_lookup(store, user, "Sent", pool, &mb), 1);
	assert_true(mb.subscribed);
	assert_int_equal(store_mailbox_lookup(store, user, "Jobs", pool, &mb), 1);
	assert_false(mb.subscribed);
	assert_int_equal(store_mailbox_subscribe(store, user, "Jobs", true), 0);
	assert_int_equal(store_mailbox_subscribe(store, user, "Jobs", true), 0);
	assert_int_equal(store_mailbox_lookup(store, user, "Jobs", pool, &mb), 1);
	assert_true(mb.subscribed);
	assert_int_equal(store_mailbox_delete(store, user, "Jobs"), 0);
	{
		const char **subs;
		unsigned int n;
		bool found = false;

		assert_int_equal(store_subscription_list(store, user, pool, &subs, &n), 0);
		for (unsigned int i = 0; i < n; i++)
			found = found || strcmp(subs[i], "Jobs") == 0;
		assert_true(found);
	}
	assert_int_equal(store_mailbox_create(store, user, "Jobs", NULL, &id), 0);
	assert_int_equal(store_mailbox_rename(store, user, "Jobs", "Work"), 0);
	assert_int_equal(store_mailbox_lookup(store, user, "Work", pool, &mb), 1);
	assert_true(mb.subscribed);
	assert_int_equal(store_mailbox_subscribe(store, user, "Work", false), 0);
	assert_int_equal(store_mailbox_subscribe(store, user, "Work", false), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);
	assert_int_equal(store_mailbox_subscribe(store, user, "Jobs", false), -1);
	assert_int_equal(store_mailbox_lookup(store, user, "Work", pool, &mb), 1);
	assert_false(mb.subscribed);
	pool_destroy(&pool);
}

struct changes {
	uint32_t changed[16];
	unsigned int nchanged;
	uint32_t vanished[16];
	unsigned int nvanished;
};

static void on_changed(void *context, const struct store_message *msg)
{
	struct changes *c = context;

	c->changed[c->nchanged++] = msg->uid;
}

static void on_vanished(void *context, uint32_t uid)
{
	struct changes *c = context;

	c->vanished[c->nvanished++] = uid;
}

static void collect_uid(void *context, uint32_t uid)
{
	struct changes *c = context;

	c->changed[c->nchanged++] = uid;
}

static void test_messages(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "carol@example.test");
	int64_t inbox = mailbox_id(store, user, "INBOX");
	int64_t trash = mailbox_id(store, user, "Trash");
	struct store_flag_change fc;
	struct store_message msg;
	struct store_mailbox mb;
	struct store_message_iter *iter;
	struct changes ch;
	char blob1[33], blob2[33], blob3[33], path[512];
	uint32_t uid1, uid2, uid3, copy_uid;
	uint64_t modseq;
	struct stat st;
	int n;

	uid1 = add_message(store, inbox, "Subject: one\r\n\r\nthe xylophone plays\r\n", blob1);
	uid2 = add_message(store, inbox, "Subject: two\r\n\r\nnothing here\r\n", blob2);
	uid3 = add_message(store, inbox, "Subject: three\r\n\r\nXYLOPHONE again\r\n", blob3);
	assert_int_equal(uid1, 1);
	assert_int_equal(uid2, 2);
	assert_int_equal(uid3, 3);
	assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
	assert_int_equal(mb.messages, 3);
	assert_int_equal(mb.unseen, 3);
	assert_int_equal(mb.uidnext, 4);
	modseq = mb.highestmodseq;

	/* flags: a change bumps the modseq, a no-op does not */
	assert_int_equal(store_message_set_flags(store, inbox, uid1, STORE_FLAGS_ADD,
		STORE_FLAG_SEEN, "$Important work", 0, pool, &fc), 1);
	assert_true(fc.changed);
	assert_true(fc.modseq > modseq);
	assert_string_equal(fc.keywords, "$Important work");
	assert_int_equal(store_message_set_flags(store, inbox, uid1, STORE_FLAGS_ADD,
		STORE_FLAG_SEEN, "WORK", 0, pool, &fc), 1);
	assert_false(fc.changed);
	assert_int_equal(store_message_set_flags(store, inbox, uid1, STORE_FLAGS_REMOVE,
		0, "work", 0, pool, &fc), 1);
	assert_true(fc.changed);
	assert_string_equal(fc.keywords, "$Important");
	/* CONDSTORE: UNCHANGEDSINCE older than the message's modseq */
	assert_int_equal(store_message_set_flags(store, inbox, uid1, STORE_FLAGS_ADD,
		STORE_FLAG_FLAGGED, NULL, modseq, pool, &fc), 1);
	assert_true(fc.conflict);
	assert_false(fc.changed);
	assert_int_equal(store_message_set_flags(store, inbox, 99, STORE_FLAGS_ADD,
		STORE_FLAG_FLAGGED, NULL, 0, pool, &fc), 0);
	assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
	assert_int_equal(mb.unseen, 2);

	/* copy shares the body; the copy is a new UID in the target */
	assert_int_equal(store_message_copy(store, inbox, uid1, trash, &copy_uid), 0);
	assert_int_equal(copy_uid, 1);
	assert_int_equal(store_message_get(store, trash, copy_uid, STORE_FIELD_STATE, pool, &msg), 1);
	assert_string_equal(msg.blob, blob1);
	assert_int_equal(msg.flags, STORE_FLAG_SEEN);
	assert_int_equal(store_message_copy(store, inbox, 42, trash, &copy_uid), -1);

	/* search finds both spellings through the trigram index */
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_search_text(store, inbox, "Xylophone", false, collect_uid, &ch), 0);
	assert_int_equal(ch.nchanged, 2);
	assert_int_equal(ch.changed[0], uid1);
	assert_int_equal(ch.changed[1], uid3);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_search_text(store, inbox, "100%_", false, collect_uid, &ch), 0);
	assert_int_equal(ch.nchanged, 0);

	/* expunge: recorded for VANISHED, the shared body survives */
	assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
	modseq = mb.highestmodseq;
	assert_int_equal(store_message_expunge(store, inbox, uid1), 1);
	assert_int_equal(store_message_expunge(store, inbox, uid1), 0);
	assert_int_equal(store_message_set_flags(store, inbox, uid2, STORE_FLAGS_ADD,
		STORE_FLAG_DELETED, NULL, 0, pool, &fc), 1);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(store_mailbox_changes(store, inbox, modseq, on_changed, on_vanished, &ch), 0);
	assert_int_equal(ch.nvanished, 1);
	assert_int_equal(ch.vanished[0], uid1);
	assert_int_equal(ch.nchanged, 1);
	assert_int_equal(ch.changed[0], uid2);
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", data_dir, blob1, blob1);
	assert_int_equal(stat(path, &st), 0);
	/* expunging the copy too removes the body file */
	assert_int_equal(store_message_expunge(store, trash, 1), 1);
	assert_int_equal(stat(path, &st), -1);

	/* iterate: UID order, range */
	iter = store_message_iter_init(store, inbox, 1, UINT32_MAX,
				       STORE_FIELD_STATE | STORE_FIELD_SIZES);
	n = 0;
	while (store_message_iter_next(iter, &msg) > 0) {
		assert_true(msg.uid == uid2 || msg.uid == uid3);
		n++;
	}
	store_message_iter_deinit(&iter);
	assert_int_equal(n, 2);
	assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
	assert_int_equal(mb.messages, 2);
	assert_int_equal(mb.deleted, 1);
	pool_destroy(&pool);
}

static void test_two_handles(void **state)
{
	struct store *store = *state, *other;
	struct pool *pool = pool_create(1024);
	struct store_mailbox mb;
	const char *error;
	uint64_t counter;
	int64_t user = add_user(store, "dave@example.test");
	char blob[33];

	(void)error;
	assert_int_equal(test_open(&other), 0);
	counter = store_change_counter(store);
	add_message(other, mailbox_id(other, user, "INBOX"), "Subject: x\r\n\r\ny\r\n", blob);
	/* the first handle notices a commit made through the second (on
	   PostgreSQL the notification arrives on its own, soon after) */
	for (unsigned int i = 0; i < 500 && store_change_counter(store) == counter; i++)
		usleep(10 * 1000);
	assert_true(store_change_counter(store) != counter);
	assert_int_equal(store_mailbox_lookup(store, user, "INBOX", pool, &mb), 1);
	assert_int_equal(mb.messages, 1);
	store_close(&other);
	pool_destroy(&pool);
}

static void test_calendar_and_sessions(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "erin@example.test");
	struct store_cal_item item, found;
	struct store_web_session sess;
	char token[64];

	memset(&item, 0, sizeof(item));
	item.user_id = user;
	item.uid = "event-1@example.test";
	item.summary = "Planning";
	item.status = "TENTATIVE";
	item.partstat = "NEEDS-ACTION";
	item.ical = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n";
	item.dtstart = 1000;
	item.dtend = 2000;
	assert_int_equal(store_cal_item_save(store, &item, pool), 0);
	assert_true(item.id > 0);
	/* at least 128 bits of token, base64url */
	assert_true(strlen(item.token) >= 22);
	assert_int_equal(store_cal_item_lookup_token(store, item.token, pool, &found), 1);
	assert_string_equal(found.summary, "Planning");
	assert_int_equal(store_cal_item_lookup_token(store, "nope", pool, &found), 0);
	item.partstat = "ACCEPTED";
	assert_int_equal(store_cal_item_save(store, &item, pool), 0);
	assert_int_equal(store_cal_item_lookup(store, user, "event-1@example.test", pool, &found), 1);
	assert_string_equal(found.partstat, "ACCEPTED");
	assert_string_equal(found.token, item.token);

	secret_token(token, sizeof(token), 24);
	assert_int_equal(store_web_session_create(store, user, time(NULL) + 60, token, "csrf1",
						  "192.0.2.1, Firefox"), 0);
	assert_int_equal(store_web_session_lookup(store, token, pool, &sess), 1);
	assert_true(sess.user_id == user);
	assert_string_equal(sess.csrf, "csrf1");
	assert_string_equal(sess.client, "192.0.2.1, Firefox");
	assert_true(sess.last_seen == sess.created);
	assert_int_equal(store_web_session_lookup(store, "forged", pool, &sess), 0);
	assert_int_equal(store_web_session_delete(store, token), 0);
	assert_int_equal(store_web_session_lookup(store, token, pool, &sess), 0);
	pool_destroy(&pool);
}

static void count_outbound(void *context, const struct store_outbound *entry)
{
	(*(int *)context)++;
	assert_string_equal(entry->sender, "erin@example.test");
}

static void test_outbound_and_gc(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	struct store_blob_writer *w = store_blob_writer_create(store);
	char blob[33], path[512], stray[512];
	struct stat st;
	int64_t id;
	int n = 0;
	FILE *f;

	assert_int_equal(store_blob_writer_write(w, "x", 1), 0);
	assert_int_equal(store_blob_writer_finish(w, true, blob), 0);
	store_blob_writer_free(&w);
	assert_int_equal(store_outbound_add(store, "erin@example.test",
					    "x@remote.test", blob, &id), 0);
	assert_int_equal(store_outbound_due(store, time(NULL), 10, pool, count_outbound, &n), 0);
	assert_int_equal(n, 1);
	/* claimed: nobody else (another node) gets it while it is sent */
	assert_int_equal(store_outbound_due(store, time(NULL), 10, pool, count_outbound, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_outbound_retry_later(store, id, time(NULL) + 60, "451 later"), 0);
	n = 0;
	assert_int_equal(store_outbound_due(store, time(NULL), 10, pool, count_outbound, &n), 0);
	assert_int_equal(n, 0);
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", data_dir, blob, blob);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(store_outbound_done(store, id), 0);
	assert_int_equal(stat(path, &st), -1);

	/* a blob file nothing refers to (a delivery that died) is removed
	   by the GC, but only once it is old enough */
	snprintf(stray, sizeof(stray), "%s/blobs/ab", data_dir);
	mkdir(stray, 0700);
	snprintf(stray, sizeof(stray), "%s/blobs/ab/abababababababababababababababab", data_dir);
	f = fopen(stray, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_blob_gc(store, 3600), 0);
	assert_int_equal(stat(stray, &st), 0);
	assert_int_equal(store_blob_gc(store, 0), 1);
	assert_int_equal(stat(stray, &st), -1);
	pool_destroy(&pool);
}

/* Logging in again and again (each login makes a session) keeps at most
   STORE_WEB_SESSIONS_PER_USER sessions: the oldest go, the newest work,
   and another user's sessions are not touched. */
static void test_sessions_per_user(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "sess@example.test");
	int64_t other = add_user(store, "other@example.test");
	struct store_web_session sess;
	unsigned int total = STORE_WEB_SESSIONS_PER_USER + 20;
	char id[32];

	assert_int_equal(store_web_session_create(store, other, time(NULL) + 60,
						  "other-session-id-0001", "c", NULL), 0);
	for (unsigned int i = 0; i < total; i++) {
		snprintf(id, sizeof(id), "session-id-%06u", i);
		assert_int_equal(store_web_session_create(store, user, time(NULL) + 60,
							  id, "c", NULL), 0);
	}
	for (unsigned int i = 0; i < total; i++) {
		snprintf(id, sizeof(id), "session-id-%06u", i);
		assert_int_equal(store_web_session_lookup(store, id, pool, &sess),
				 i < total - STORE_WEB_SESSIONS_PER_USER ? 0 : 1);
	}
	assert_int_equal(store_web_session_lookup(store, "other-session-id-0001", pool, &sess), 1);
	pool_destroy(&pool);
}

struct session_list {
	unsigned int count;
	int64_t handles[8];
	time_t last_seen[8];
};

static void session_list_cb(void *context, const struct store_web_session *sess)
{
	struct session_list *list = context;

	assert_null(sess->csrf);
	if (list->count < 8) {
		list->handles[list->count] = sess->handle;
		list->last_seen[list->count] = sess->last_seen;
	}
	list->count++;
}

/* The sessions list: the most recently used first; activity slides the
   expiry; one session or all the others end, and only the user's own. */
static void test_web_session_list(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "list@example.test");
	int64_t other = add_user(store, "list-other@example.test");
	struct store_web_session sess;
	struct session_list list = { 0 };
	time_t now = time(NULL);

	assert_int_equal(store_web_session_create(store, user, now + 60,
						  "list-session-0001", "c", "one"), 0);
	assert_int_equal(store_web_session_create(store, user, now + 60,
						  "list-session-0002", "c", "two"), 0);
	assert_int_equal(store_web_session_create(store, other, now + 60,
						  "list-session-0003", "c", NULL), 0);
	/* the first is used later: it comes first, with its new expiry */
	assert_int_equal(store_web_session_touch(store, "list-session-0001",
						 now + 5, now + 600), 0);
	assert_int_equal(store_web_session_lookup(store, "list-session-0001", pool, &sess), 1);
	assert_true(sess.expires == now + 600);
	assert_true(sess.last_seen == now + 5);
	assert_int_equal(store_web_session_list(store, user, pool, session_list_cb, &list), 0);
	assert_int_equal(list.count, 2);
	assert_true(list.last_seen[0] == now + 5);
	/* another user's handle ends nothing */
	memset(&list, 0, sizeof(list));
	assert_int_equal(store_web_session_list(store, other, pool, session_list_cb, &list), 0);
	assert_int_equal(list.count, 1);
	assert_int_equal(store_web_session_end(store, user, list.handles[0]), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);
	assert_int_equal(store_web_session_lookup(store, "list-session-0003", pool, &sess), 1);
	/* log out everywhere else */
	assert_int_equal(store_web_sessions_end_all(store, user, "list-session-0001"), 0);
	assert_int_equal(store_web_session_lookup(store, "list-session-0001", pool, &sess), 1);
	assert_int_equal(store_web_session_lookup(store, "list-session-0002", pool, &sess), 0);
	assert_int_equal(store_web_session_end(store, user, sess.handle), 0);
	assert_int_equal(store_web_session_lookup(store, "list-session-0001", pool, &sess), 0);
	assert_int_equal(store_web_session_lookup(store, "list-session-0003", pool, &sess), 1);
	pool_destroy(&pool);
}

/* A new password ends the user's web sessions (in the same transaction),
   and nobody else's. */
static void test_password_change_ends_sessions(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "Pw@example.test");
	int64_t other = add_user(store, "pw-other@example.test");
	struct store_web_session sess;

	assert_int_equal(store_web_session_create(store, user, time(NULL) + 60,
						  "pw-session-id-0001", "c", NULL), 0);
	assert_int_equal(store_web_session_create(store, user, time(NULL) + 60,
						  "pw-session-id-0002", "c", NULL), 0);
	assert_int_equal(store_web_session_create(store, other, time(NULL) + 60,
						  "pw-session-id-0003", "c", NULL), 0);
	/* the address in another case is the same user */
	assert_int_equal(store_user_set_password(store, "pw@EXAMPLE.test", "new"), 0);
	assert_int_equal(store_web_session_lookup(store, "pw-session-id-0001", pool, &sess), 0);
	assert_int_equal(store_web_session_lookup(store, "pw-session-id-0002", pool, &sess), 0);
	assert_int_equal(store_web_session_lookup(store, "pw-session-id-0003", pool, &sess), 1);
	assert_int_equal(store_user_verify(store, "pw@example.test", "new", pool,
					   &(struct store_user){ 0 }), 1);
	/* an unknown user changes nothing and says so */
	assert_int_equal(store_user_set_password(store, "nobody@example.test", "x"), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);
	assert_int_equal(store_web_session_lookup(store, "pw-session-id-0003", pool, &sess), 1);
	pool_destroy(&pool);
}

static unsigned int file_mode(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	if (stat(path, &st) < 0)
		return 01000; /* missing */
	return (unsigned int)(st.st_mode & 0777);
}

/* Nothing in the store is readable by others: not the index (password and
   session hashes, envelopes), its WAL, the blob directories nor the
   bodies, whatever the umask; and an index an older version left 0644
   is tightened when the store is opened. */
static void test_private_files(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(512);
	int64_t user = add_user(store, "perm@example.test");
	char blob[33], rel[80];
	const char *error;
	mode_t old_umask;

	add_message(store, mailbox_id(store, user, "INBOX"), "Subject: p\r\n\r\nx\r\n", blob);
	assert_int_equal(file_mode("index.db"), 0600);
	assert_int_equal(file_mode("index.db-wal"), 0600);
	assert_int_equal(file_mode("index.db-shm"), 0600);
	assert_int_equal(file_mode("blobs"), 0700);
	assert_int_equal(file_mode("tmp"), 0700);
	snprintf(rel, sizeof(rel), "blobs/%.2s", blob);
	assert_int_equal(file_mode(rel), 0700);
	snprintf(rel, sizeof(rel), "blobs/%.2s/%s", blob, blob);
	assert_int_equal(file_mode(rel), 0600);

	/* a store made by an older version with a lax umask */
	store_close(&store);
	old_umask = umask(022);
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/index.db", data_dir);
		assert_int_equal(chmod(path, 0644), 0);
		snprintf(path, sizeof(path), "%s/index.db-wal", data_dir);
		assert_int_equal(chmod(path, 0644), 0);
	}
	assert_int_equal(store_open(data_dir, &store, &error), 0);
	*state = store;
	umask(old_umask);
	assert_int_equal(file_mode("index.db"), 0600);
	assert_int_equal(file_mode("index.db-wal"), 0600);
	pool_destroy(&pool);
}

/* The number of users as another process sees them: a fresh SQLite
   connection in a child, opened and closed as the CLI or an admin's
   sqlite3 shell would. */
static int users_seen_by_another_process(void)
{
	char path[512];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/index.db", data_dir);
	pid = fork();
	if (pid == 0) {
		sqlite3 *db;
		sqlite3_stmt *stmt;
		int n = -1;

		if (sqlite3_open(path, &db) == SQLITE_OK &&
		    sqlite3_prepare_v2(db, "SELECT count(*) FROM users", -1, &stmt, NULL) == SQLITE_OK) {
			if (sqlite3_step(stmt) == SQLITE_ROW)
				n = sqlite3_column_int(stmt, 0);
			sqlite3_finalize(stmt);
		}
		sqlite3_close(db);
		_exit(n < 0 ? 255 : n);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Opening a second handle in the same process (the daemon opens one per
   thread) must not drop the first one's locks: POSIX locks go when any
   descriptor of the file is closed, and without them another process
   that closes its connection believes it is the last one, checkpoints
   and deletes the WAL that the daemon goes on writing to, and every
   later commit of the daemon is lost. */
static void test_second_handle_keeps_locks(void **state)
{
	struct store *store = *state, *second;
	const char *error;

	struct store_message_iter *iter;
	struct store_message msg;
	int64_t user = add_user(store, "one@example.test");
	int64_t inbox = mailbox_id(store, user, "INBOX");
	char blob[33];

	add_message(store, inbox, "Subject: a\r\n\r\na\r\n", blob);
	add_message(store, inbox, "Subject: b\r\n\r\nb\r\n", blob);
	/* the first handle is inside a read (an IMAP FETCH under way) */
	iter = store_message_iter_init(store, inbox, 1, UINT32_MAX, STORE_FIELD_STATE);
	assert_int_equal(store_message_iter_next(iter, &msg), 1);
	assert_int_equal(store_open(data_dir, &second, &error), 0);
	assert_int_equal(store_message_iter_next(iter, &msg), 1);
	store_message_iter_deinit(&iter);
	assert_int_equal(users_seen_by_another_process(), 1);
	add_user(store, "two@example.test");
	assert_int_equal(users_seen_by_another_process(), 2);
	add_user(second, "three@example.test");
	assert_int_equal(users_seen_by_another_process(), 3);
	store_close(&second);
}

/* A new store under umask 022 is private from the start. */
static void test_private_new_store(void **state)
{
	struct store *store = *state;
	char dir[300];
	const char *error;
	mode_t old_umask = umask(022);

	snprintf(dir, sizeof(dir), "%s/fresh", data_dir);
	assert_int_equal(store_open(dir, &store, &error), 0);
	umask(old_umask);
	assert_int_equal(file_mode("fresh"), 0700);
	assert_int_equal(file_mode("fresh/index.db"), 0600);
	assert_int_equal(file_mode("fresh/index.db-wal") & 077, 0);
	store_close(&store);
}

/* Schema 4 renumbers message rows to (mailbox_id << 32) + uid: a store
   whose rows still have the old ids opens, and its messages read in UID
   order through the new id ranges. */
static void test_migration_message_ids(void **state)
{
	struct store *store = *state;
	int64_t user = add_user(store, "mig@example.test");
	int64_t inbox = mailbox_id(store, user, "INBOX");
	struct store_message_iter *iter;
	struct store_message msg;
	const char *error;
	char blob[33], sql[256];
	sqlite3 *db;
	uint32_t uids[3];

	for (unsigned int i = 0; i < 3; i++)
		uids[i] = add_message(store, inbox, "Subject: m\r\n\r\nx\r\n", blob);
	store_close(&store);
	*state = NULL;
	/* back to what schema 3 had: small ids, in reverse to make sure the
	   order comes from the new ids and not from the old ones */
	snprintf(sql, sizeof(sql), "%s/index.db", data_dir);
	assert_int_equal(sqlite3_open(sql, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE messages SET id = 1000 - uid;"
				      "PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	/* and without what schema 5 added (the DAV tables and columns) */
	assert_int_equal(sqlite3_exec(db,
		"DROP TABLE dav_tombstones; DROP TABLE cards; DROP TABLE cal_items;"
		"DROP TABLE dav_collections;"
		"CREATE TABLE cal_items (id INTEGER PRIMARY KEY,"
		" user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
		" uid TEXT NOT NULL, sequence INTEGER NOT NULL DEFAULT 0,"
		" dtstart INTEGER NOT NULL DEFAULT 0, dtend INTEGER NOT NULL DEFAULT 0,"
		" all_day INTEGER NOT NULL DEFAULT 0, summary TEXT, location TEXT,"
		" organizer TEXT, status TEXT, partstat TEXT, ical TEXT NOT NULL,"
		" token TEXT NOT NULL UNIQUE, source TEXT, created INTEGER NOT NULL,"
		" updated INTEGER NOT NULL, UNIQUE (user_id, uid));"
		"INSERT INTO cal_items (user_id, uid, ical, token, created, updated)"
		" SELECT id, 'old@x', 'BEGIN:VCALENDAR', 'tok', 0, 0 FROM users"
		" WHERE address = 'mig@example.test';",
		NULL, NULL, NULL), SQLITE_OK);
	/* and without what schema 6 added (quotas, deleted_size with its
	   triggers), with one message already \Deleted */
	assert_int_equal(sqlite3_exec(db,
		"DROP TRIGGER messages_ins; DROP TRIGGER messages_del;"
		"DROP TRIGGER messages_flags;"
		"ALTER TABLE users DROP COLUMN quota_storage;"
		"ALTER TABLE users DROP COLUMN quota_messages;"
		"ALTER TABLE mailboxes DROP COLUMN deleted_size;"
		"CREATE TRIGGER messages_flags AFTER UPDATE OF flags ON messages"
		"  WHEN OLD.flags != NEW.flags BEGIN"
		"  UPDATE mailboxes SET"
		"    deleted = deleted - ((OLD.flags & 8) != 0) + ((NEW.flags & 8) != 0)"
		"  WHERE id = NEW.mailbox_id;"
		"END;"
		"UPDATE messages SET flags = 8 WHERE uid = 2;"
		"CREATE TRIGGER messages_ins AFTER INSERT ON messages BEGIN"
		"  SELECT 1; END;"
		"CREATE TRIGGER messages_del AFTER DELETE ON messages BEGIN"
		"  SELECT 1; END;",
		NULL, NULL, NULL), SQLITE_OK);
	/* and without what schema 7 added (display name, time zone, the
	   sessions' activity) */
	assert_int_equal(sqlite3_exec(db,
		"ALTER TABLE users DROP COLUMN display_name;"
		"ALTER TABLE users DROP COLUMN timezone;"
		"ALTER TABLE web_sessions DROP COLUMN last_seen;"
		"ALTER TABLE web_sessions DROP COLUMN client;",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(data_dir, &store, &error), 0);
	*state = store;
	{
		struct pool *pool = pool_create(1024);
		struct store_mailbox mb;
		struct store_quota quota;

		assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
		assert_int_equal(mb.deleted, 1);
		assert_int_equal(mb.deleted_size, 17);
		assert_int_equal(store_quota_get(store, user, &quota), 1);
		assert_true(quota.storage_limit == STORE_QUOTA_UNLIMITED);
		pool_destroy(&pool);
	}
	iter = store_message_iter_init(store, inbox, 1, UINT32_MAX, STORE_FIELD_STATE);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(store_message_iter_next(iter, &msg), 1);
		assert_int_equal(msg.uid, uids[i]);
	}
	assert_int_equal(store_message_iter_next(iter, &msg), 0);
	store_message_iter_deinit(&iter);
	/* and new rows follow the rule too */
	uids[0] = add_message(store, inbox, "Subject: n\r\n\r\ny\r\n", blob);
	iter = store_message_iter_init(store, inbox, uids[0], uids[0], STORE_FIELD_STATE);
	assert_int_equal(store_message_iter_next(iter, &msg), 1);
	assert_int_equal(msg.uid, uids[0]);
	store_message_iter_deinit(&iter);
	/* schema 5 gave the user a default calendar holding the old item */
	{
		struct pool *pool = pool_create(1024);
		struct store_dav_collection col;
		struct store_cal_item item;

		assert_int_equal(store_dav_collection_lookup(store, user, STORE_DAV_CALENDAR,
							     "calendar", pool, &col), 1);
		assert_true(col.is_default);
		assert_int_equal(store_cal_item_lookup(store, user, "old@x", pool, &item), 1);
		assert_int_equal(item.collection_id, col.id);
		assert_non_null(item.href);
		assert_int_equal(store_dav_collection_lookup(store, user, STORE_DAV_ADDRESSBOOK,
							     "contacts", pool, &col), 1);
		pool_destroy(&pool);
	}
}

/* CalDAV's versions: every change takes the collection's next modseq, a
   delete leaves a tombstone, and too many tombstones raise the floor. */
static void test_dav_versions(void **state)
{
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "dav@example.test");
	struct store_dav_collection col;
	struct store_card card;
	uint64_t first;
	int64_t id;

	assert_int_equal(store_dav_collection_default(store, user, STORE_DAV_ADDRESSBOOK,
						      pool, &col), 0);
	first = col.modseq;
	for (int i = 0; i < 4; i++) {
		memset(&card, 0, sizeof(card));
		card.collection_id = col.id;
		card.href = p_printf(pool, "c%d.vcf", i);
		card.uid = p_printf(pool, "uid-%d", i);
		card.vcard = "BEGIN:VCARD\r\nEND:VCARD\r\n";
		assert_int_equal(store_card_save(store, &card), 0);
		assert_int_equal(card.modseq, first + 1 + (uint64_t)i);
	}
	/* the same UID twice in one address book is refused */
	memset(&card, 0, sizeof(card));
	card.collection_id = col.id;
	card.href = "other.vcf";
	card.uid = "uid-0";
	card.vcard = "x";
	assert_int_equal(store_card_save(store, &card), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	/* keep 2 tombstones: the third delete raises the floor */
	assert_int_equal(store_dav_resource_delete(store, &col, "c0.vcf", 2), 1);
	assert_int_equal(store_dav_resource_delete(store, &col, "c1.vcf", 2), 1);
	assert_int_equal(store_dav_resource_delete(store, &col, "nope.vcf", 2), 0);
	assert_int_equal(store_dav_collection_lookup_id(store, col.id, pool, &col), 1);
	assert_int_equal(col.tomb_floor, 0);
	assert_int_equal(store_dav_resource_delete(store, &col, "c2.vcf", 2), 1);
	assert_int_equal(store_dav_collection_lookup_id(store, col.id, pool, &col), 1);
	assert_int_equal(col.tomb_floor, first + 5);
	assert_int_equal(store_dav_changes(store, &col, first, pool, NULL, NULL), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);
	/* more calendars, but the default stays */
	assert_int_equal(store_dav_collection_create(store, user, STORE_DAV_CALENDAR,
						     "work", "Work", NULL, NULL, &id), 0);
	assert_int_equal(store_dav_collection_create(store, user, STORE_DAV_CALENDAR,
						     "work", NULL, NULL, NULL, &id), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_EXISTS);
	assert_int_equal(store_dav_collection_create(store, user, STORE_DAV_CALENDAR,
						     "../x", NULL, NULL, NULL, &id), -1);
	assert_int_equal(store_dav_collection_delete(store, id), 0);
	assert_int_equal(store_dav_collection_default(store, user, STORE_DAV_CALENDAR,
						      pool, &col), 0);
	assert_int_equal(store_dav_collection_delete(store, col.id), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_PERM);
	pool_destroy(&pool);
}

/* What a store_card_page() or store_user_search() call saw, in order. */
struct seen {
	struct pool *pool;
	const char *names[16];
	struct store_card last;
	unsigned int count;
};

static int seen_card(void *context, const struct store_card *card)
{
	struct seen *seen = context;

	assert_true(seen->count < 16);
	seen->names[seen->count++] = p_strdup(seen->pool, card->href);
	seen->last = *card;
	seen->last.fn = p_strdup(seen->pool, card->fn);
	seen->last.href = seen->last.uid = seen->last.vcard = NULL;
	return 0;
}

static void seen_user(void *context, const struct store_user *user)
{
	struct seen *seen = context;

	assert_true(seen->count < 16);
	assert_null(user->password_hash);
	seen->names[seen->count++] = p_strdup(seen->pool, user->address);
}

static void save_card(struct store *store, int64_t collection_id,
		      const char *href, const char *fn, const char *vcard)
{
	struct store_card card;

	memset(&card, 0, sizeof(card));
	card.collection_id = collection_id;
	card.href = href;
	card.uid = href;
	card.fn = fn;
	card.vcard = vcard;
	assert_int_equal(store_card_save(store, &card), 0);
}

/* The web access's contacts: pages of cards in name order (ties by id,
   no card skipped or repeated), a needle in FN or the text, a card found
   by id only in its own address book; and local users by address or
   name, bounded. */
static void test_card_pages_and_user_search(void **state)
{
	static const char *const order[] = {"nofn.vcf", "ann1.vcf",
					    "ann2.vcf", "bob.vcf",
					    "zoe.vcf",	"under.vcf"};
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "cards@example.test");
	int64_t other = add_user(store, "other@example.test");
	struct store_dav_collection col, other_col;
	struct store_card card;
	struct seen seen;
	unsigned int pages = 0;

	assert_int_equal(store_dav_collection_default(store, user,
						      STORE_DAV_ADDRESSBOOK,
						      pool, &col),
			 0);
	assert_int_equal(store_dav_collection_default(store, other,
						      STORE_DAV_ADDRESSBOOK,
						      pool, &other_col),
			 0);
	save_card(store, col.id, "zoe.vcf", "zoe",
		  "FN:zoe\r\nEMAIL:z@needle.test\r\n");
	save_card(store, col.id, "ann1.vcf", "Ann", "FN:Ann\r\n");
	save_card(store, col.id, "bob.vcf", "bob", "FN:bob\r\n");
	save_card(store, col.id, "ann2.vcf", "ann", "FN:ann\r\n");
	save_card(store, col.id, "nofn.vcf", NULL, "N:x;;;;\r\n");
	/* '_' sorts after the letters in lower case, and is no wildcard */
	save_card(store, col.id, "under.vcf", "~_x", "FN:~_x\r\n");
	save_card(store, other_col.id, "theirs.vcf", "Ann", "FN:Ann\r\n");

	/* two at a time, each page going on from the last card seen */
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	for (;;) {
		unsigned int before = seen.count;

		assert_int_equal(store_card_page(store, col.id, NULL,
						 before > 0 ? &seen.last : NULL,
						 2, seen_card, &seen),
				 0);
		if (seen.count == before)
			break;
		pages++;
	}
	assert_int_equal(pages, 3);
	assert_int_equal(seen.count, 6);
	for (unsigned int i = 0; i < 6; i++)
		assert_string_equal(seen.names[i], order[i]);

	/* the needle: in FN or anywhere in the text, case aside */
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(store_card_page(store, col.id, "NEEDLE", NULL, 10,
					 seen_card, &seen),
			 0);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.names[0], "zoe.vcf");
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(
		store_card_page(store, col.id, "_", NULL, 10, seen_card, &seen),
		0);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.names[0], "under.vcf");
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(
		store_card_page(store, col.id, "an", NULL, 1, seen_card, &seen),
		0);
	assert_int_equal(store_card_page(store, col.id, "an", &seen.last, 10,
					 seen_card, &seen),
			 0);
	assert_int_equal(seen.count, 2);
	assert_string_equal(seen.names[0], "ann1.vcf");
	assert_string_equal(seen.names[1], "ann2.vcf");
	assert_int_equal(
		store_card_page(store, col.id, NULL, NULL, 0, seen_card, &seen),
		-1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);
	assert_int_equal(store_card_page(store, col.id, NULL, NULL,
					 STORE_CARD_PAGE_MAX + 1, seen_card,
					 &seen),
			 -1);

	/* by id, in its own address book only */
	assert_int_equal(store_card_lookup(store, other_col.id, "theirs.vcf",
					   pool, &card),
			 1);
	assert_int_equal(
		store_card_lookup_id(store, col.id, card.id, pool, &card), 0);
	assert_int_equal(
		store_card_lookup_id(store, other_col.id, card.id, pool, &card),
		1);
	assert_string_equal(card.href, "theirs.vcf");

	/* local users, by address or display name */
	add_user(store, "annabel@example.test");
	add_user(store, "x_y@example.test");
	assert_int_equal(store_user_set(store, "other@example.test",
					STORE_USER_DISPLAY_NAME, "Anna Other"),
			 0);
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(
		store_user_search(store, "ANN", 10, pool, seen_user, &seen), 0);
	assert_int_equal(seen.count, 2);
	assert_string_equal(seen.names[0], "annabel@example.test");
	assert_string_equal(seen.names[1], "other@example.test");
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(store_user_search(store, "example.test", 3, pool,
					   seen_user, &seen),
			 0);
	assert_int_equal(seen.count, 3);
	memset(&seen, 0, sizeof(seen));
	seen.pool = pool;
	assert_int_equal(
		store_user_search(store, "_", 10, pool, seen_user, &seen), 0);
	assert_int_equal(seen.count, 1);
	assert_string_equal(seen.names[0], "x_y@example.test");
	assert_int_equal(
		store_user_search(store, "a", 0, pool, seen_user, &seen), -1);
	assert_int_equal(store_user_search(store, "a",
					   STORE_USER_SEARCH_MAX + 1, pool,
					   seen_user, &seen),
			 -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_INVALID);
	pool_destroy(&pool);
}

static void import_blob(struct store *store, const char *text, char blob_r[33],
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

/* Moving in (store-import.c): a mailbox takes the UIDVALIDITY of what is
   moved in only while it never held a message and refuses another one
   afterwards; messages keep their UIDs, never below UIDNEXT. */
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
	import_blob(store, "Subject: 5\r\n\r\nfive\r\n", blobs[0], &meta[0]);
	import_blob(store, "Subject: 9\r\n\r\nnine\r\n", blobs[1], &meta[1]);
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
	import_blob(store, "Subject: 7\r\n\r\nseven\r\n", blobs[0], &meta[0]);
	import_blob(store, "Subject: 30\r\n\r\n30\r\n", blobs[1], &meta[1]);
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

/* Quotas: the limits hold inside transactions, a refusal fails nothing
   around it, copies count, moves within the user do not, the calendar
   mailbox does not, expunging frees, none removes a limit. */
static void test_quota(void **state)
{
	static const char msg17[] = "Subject: m\r\n\r\nx\r\n";  /* 17 bytes */
	struct store *store = *state;
	struct pool *pool = pool_create(1024);
	int64_t user = add_user(store, "quota@example.test");
	int64_t other = add_user(store, "other@example.test");
	int64_t inbox = mailbox_id(store, user, "INBOX");
	int64_t trash = mailbox_id(store, user, "Trash");
	int64_t cal = mailbox_id(store, user, "Calendar");
	int64_t other_inbox = mailbox_id(store, other, "INBOX");
	struct store_quota quota;
	struct store_mailbox mb;
	struct store_flag_change change;
	char blob[33];
	uint32_t uid, uid2, new_uid;

	assert_int_equal(store_quota_get(store, user, &quota), 1);
	assert_true(quota.storage_limit == STORE_QUOTA_UNLIMITED);
	assert_true(quota.messages_limit == STORE_QUOTA_UNLIMITED);
	assert_false(store_quota_exceeded(&quota, UINT64_MAX / 2, 1000000));
	assert_int_equal(store_quota_get(store, 999999, &quota), 0);
	uid = add_message(store, inbox, msg17, blob);

	/* 17 used, 40 allowed: one more fits, then not */
	assert_int_equal(store_user_set_quota(store, "quota@example.test",
					      STORE_QUOTA_STORAGE, 40), 0);
	assert_int_equal(store_user_set_quota(store, "nobody@example.test",
					      STORE_QUOTA_STORAGE, 40), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_NOT_FOUND);
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_NONE);
	assert_int_equal(store_quota_get(store, user, &quota), 1);
	assert_int_equal(quota.storage_used, 34);
	assert_int_equal(quota.messages_used, 2);
	assert_int_equal(quota.storage_limit, 40);
	assert_true(store_quota_exceeded(&quota, 7, 1));
	assert_false(store_quota_exceeded(&quota, 6, 1));
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_OVER_QUOTA);
	/* the calendar mailbox is not the user's mail */
	assert_int_equal(try_add(store, cal, msg17), STORE_ERROR_NONE);
	assert_int_equal(store_quota_get(store, user, &quota), 1);
	assert_int_equal(quota.storage_used, 34);

	/* in a batch: the refused one wrote nothing and failed nothing */
	assert_int_equal(store_begin(store), 0);
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_OVER_QUOTA);
	assert_int_equal(try_add(store, other_inbox, msg17), STORE_ERROR_NONE);
	assert_int_equal(store_commit(store), 0);
	assert_int_equal(store_mailbox_lookup_id(store, other_inbox, pool, &mb), 1);
	assert_int_equal(mb.messages, 1);
	assert_int_equal(store_mailbox_lookup_id(store, inbox, pool, &mb), 1);
	assert_int_equal(mb.messages, 2);

	/* a copy counts; a move within the user does not */
	assert_int_equal(store_message_copy(store, inbox, uid, trash, &new_uid), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_OVER_QUOTA);
	assert_int_equal(store_message_move(store, inbox, uid, trash, &new_uid), 0);
	assert_int_equal(store_mailbox_lookup_id(store, trash, pool, &mb), 1);
	assert_int_equal(mb.messages, 1);
	/* into another user's mailbox it does count */
	assert_int_equal(store_user_set_quota(store, "other@example.test",
					      STORE_QUOTA_MESSAGES, 1), 0);
	assert_int_equal(store_message_move(store, trash, new_uid, other_inbox, &uid2), -1);
	assert_int_equal(store_last_error(store), STORE_ERROR_OVER_QUOTA);
	assert_int_equal(store_mailbox_lookup_id(store, trash, pool, &mb), 1);
	assert_int_equal(mb.messages, 1);

	/* \Deleted is counted for STATUS DELETED-STORAGE; expunging frees */
	assert_int_equal(store_message_set_flags(store, trash, new_uid, STORE_FLAGS_ADD,
						 STORE_FLAG_DELETED, NULL, 0, pool,
						 &change), 1);
	assert_int_equal(store_mailbox_lookup_id(store, trash, pool, &mb), 1);
	assert_int_equal(mb.deleted_size, 17);
	assert_int_equal(store_message_expunge(store, trash, new_uid), 1);
	assert_int_equal(store_mailbox_lookup_id(store, trash, pool, &mb), 1);
	assert_int_equal(mb.deleted_size, 0);
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_NONE);

	/* the message limit, then none */
	assert_int_equal(store_user_set_quota(store, "quota@example.test",
					      STORE_QUOTA_STORAGE, STORE_QUOTA_UNLIMITED), 0);
	assert_int_equal(store_user_set_quota(store, "quota@example.test",
					      STORE_QUOTA_MESSAGES, 2), 0);
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_OVER_QUOTA);
	assert_int_equal(store_user_set_quota(store, "quota@example.test",
					      STORE_QUOTA_MESSAGES, STORE_QUOTA_UNLIMITED), 0);
	assert_int_equal(try_add(store, inbox, msg17), STORE_ERROR_NONE);
	assert_int_equal(store_quota_get(store, user, &quota), 1);
	assert_int_equal(quota.messages_used, 3);
	assert_true(quota.messages_limit == STORE_QUOTA_UNLIMITED);
	pool_destroy(&pool);
}

/* The IMAP iterators read a range longer than a page (on PostgreSQL they
   read in pages of rows) whole, in UID order, and from the middle. */
static void test_fetch_iter_pages(void **state)
{
	struct store *store = *state;
	int64_t user = add_user(store, "pages@example.test");
	int64_t inbox = mailbox_id(store, user, "INBOX");
	struct store_message_iter *iter;
	struct store_message_iter *outer;
	unsigned int inner_total = 0;
	struct store_message msg;
	char blob[33];
	uint32_t expect = 0;
	unsigned int n = 0;

	store_message_page_rows = 256;
	assert_int_equal(store_begin(store), 0);
	for (unsigned int i = 0; i < 600; i++)
		add_message(store, inbox, "Subject: p\r\n\r\np\r\n", blob);
	assert_int_equal(store_commit(store), 0);
	iter = store_message_iter_init(store, inbox, 1, UINT32_MAX,
					  STORE_FIELD_STATE | STORE_FIELD_ENVELOPE);
	while (store_message_iter_next(iter, &msg) > 0) {
		assert_true(msg.uid > expect);
		assert_non_null(msg.envelope);
		expect = msg.uid;
		n++;
	}
	store_message_iter_deinit(&iter);
	assert_int_equal(n, 600);
	/* from the middle to a bound inside a later page */
	n = 0;
	iter = store_message_iter_init(store, inbox, 100, 550, STORE_FIELD_STATE);
	while (store_message_iter_next(iter, &msg) > 0)
		assert_int_equal(msg.uid, 100 + n++);
	store_message_iter_deinit(&iter);
	assert_int_equal(n, 451);
	/* nested: the same column set open twice on one handle */
	n = 0;
	outer = store_message_iter_init(store, inbox, 1, 3, STORE_FIELD_STATE);
	while (store_message_iter_next(outer, &msg) > 0) {
		struct store_message inner_msg;

		n++;
		iter = store_message_iter_init(store, inbox, 1, UINT32_MAX,
					       STORE_FIELD_STATE);
		while (store_message_iter_next(iter, &inner_msg) > 0)
			inner_total++;
		store_message_iter_deinit(&iter);
	}
	store_message_iter_deinit(&outer);
	assert_int_equal(n, 3);
	assert_int_equal(inner_total, 3 * 600);
	store_message_page_rows = 1024;
}

/* The PostgreSQL group: a database of its own on the cluster named by
   INFOSTORE_TEST_PG, dropped at the end. */
static char pg_dbname[64];

static int pg_group_setup(void **state)
{
	const char *cluster = getenv("INFOSTORE_TEST_PG");
	char sql[128];

	(void)state;
	snprintf(pg_dbname, sizeof(pg_dbname), "infostore_unit_%d", (int)getpid());
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s ENCODING 'SQL_ASCII'"
		 " LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0", pg_dbname);
	if (pg_exec(cluster, sql) < 0)
		return -1;
	if (asprintf(&pg_conninfo, "%s dbname=%s", cluster, pg_dbname) < 0)
		return -1;
	return 0;
}

static int pg_group_teardown(void **state)
{
	const char *cluster = getenv("INFOSTORE_TEST_PG");
	char sql[128];

	(void)state;
	free(pg_conninfo);
	pg_conninfo = NULL;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_dbname);
	return pg_exec(cluster, sql);
}

int main(void)
{
	/* the store's behaviour, on each backend */
	const struct CMUnitTest common[] = {
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_web_session_list, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_password_change_ends_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mailboxes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_handles, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_calendar_and_sessions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbound_and_gc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sessions_per_user, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dav_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_card_pages_and_user_search,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fetch_iter_pages, setup,
						teardown),
	};
	/* SQLite's files and migrations */
	const struct CMUnitTest sqlite_only[] = {
		cmocka_unit_test_setup_teardown(test_private_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_handle_keeps_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_new_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_message_ids, setup, teardown),
	};
	int failed;

	secret_init();
	log_set_level(LOG_LEVEL_ERROR);
	failed = cmocka_run_group_tests_name("store-sqlite", common, NULL, NULL);
	failed += cmocka_run_group_tests_name("store-sqlite-files", sqlite_only, NULL, NULL);
	if (getenv("INFOSTORE_TEST_PG") != NULL) {
		/* scripts/check looks for this line */
		printf("group store-postgresql\n");
		fflush(stdout);
		failed += cmocka_run_group_tests_name("store-postgresql", common,
						      pg_group_setup, pg_group_teardown);
	}
	else
		fprintf(stderr, "INFOSTORE_TEST_PG is not set: the PostgreSQL"
			" group did not run (scripts/check runs it)\n");
	return failed;
}
