/*
 * Copying a whole store into an empty one (`infostore store copy`), either
 * way between SQLite and PostgreSQL: every table row by row, in pages of
 * STORE_COPY_PAGE rows read by key (bounded memory whatever the size),
 * each page one transaction on the target; then the bodies.
 *
 * Rows go through as text, named by column: both schemas have the same
 * tables and columns (in their own order and spelling), and each
 * database reads its own integers back from the text. The counters that
 * triggers keep (a mailbox's messages, unseen, deleted, size and
 * deleted_size; a blob's references) start at 0 on the target and are rebuilt by the same
 * triggers as the messages and queue entries arrive, so they cannot
 * disagree with the rows. Web sessions are not copied: users log in
 * again. Link tokens, UIDVALIDITY, UIDs and MODSEQs are columns like any
 * other, so old links keep opening and clients keep their caches.
 */
#include "store-private.h"
#include "alloc.h"
#include "buffer.h"
#include "fatal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_COPY_PAGE 500
#define STORE_COPY_MAX_COLUMNS 32

struct store_copy_table {
	const char *name;
	const char *key;          /* ORDER BY / keyset columns */
	unsigned int key_count;
	const char *zeroed;       /* columns the target's triggers rebuild */
	const char *upsert;       /* ON CONFLICT clause, or NULL */
};

/* In the order references need. */
static const struct store_copy_table store_copy_tables[] = {
	/* a counter the target has (a user added and removed there) takes
	   the source's value, which is what its UIDVALIDITYs continue */
	{ "counters", "name", 1, NULL,
	  " ON CONFLICT (name) DO UPDATE SET value = excluded.value" },
	{ "users", "id", 1, NULL },
	{ "mailboxes", "id", 1, " messages unseen deleted size deleted_size " },
	{ "subscriptions", "user_id, name", 2, NULL },
	{ "blobs", "id", 1, " refs " },
	{ "blob_text", "id", 1, NULL },
	{ "messages", "id", 1, NULL },
	{ "expunged", "mailbox_id, uid", 2, NULL },
	{ "dav_collections", "id", 1, NULL },
	{ "cal_items", "id", 1, NULL },
	{ "cards", "id", 1, NULL },
	{ "dav_tombstones", "collection_id, href", 2, NULL },
	{ "outbound", "id", 1, NULL },
};

/* Tables whose id comes from an identity column on PostgreSQL: its
   sequence must continue after the copied ids. */
static const char *const store_copy_identities[] = {
	"users", "mailboxes", "blobs", "dav_collections", "cal_items", "cards",
	"outbound",
};

static int store_copy_count(struct store *store, const char *sql, int64_t *count_r)
{
	struct db_stmt *stmt;
	int rc;

	if ((rc = db_prepare(store->db, sql, false, &stmt)) != DB_OK)
		return store_fail_db(store, rc, sql);
	rc = db_step(stmt);
	*count_r = rc == DB_ROW ? db_column_int64(stmt, 0) : 0;
	db_finalize(stmt);
	if (rc != DB_ROW)
		return store_fail_db(store, rc, sql);
	return 0;
}

int store_is_empty(struct store *store)
{
	int64_t users, messages;

	if (store_copy_count(store, "SELECT count(*) FROM users", &users) < 0 ||
	    store_copy_count(store, "SELECT count(*) FROM messages", &messages) < 0)
		return -1;
	return users == 0 && messages == 0 ? 1 : 0;
}

static bool is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* The SELECT of one page: the first, or the one after the last key. */
static char *store_copy_select(const struct store_copy_table *t, bool first)
{
	struct buffer sql;
	char *text;

	buffer_init(&sql, 0);
	buffer_printf(&sql, "SELECT * FROM %s", t->name);
	if (!first) {
		buffer_printf(&sql, " WHERE (%s) > (", t->key);
		for (unsigned int i = 0; i < t->key_count; i++)
			buffer_append_str(&sql, i == 0 ? "?" : ", ?");
		buffer_append_str(&sql, ")");
	}
	buffer_printf(&sql, " ORDER BY %s LIMIT %d", t->key, STORE_COPY_PAGE);
	buffer_append_c(&sql, '\0');
	text = buffer_steal(&sql, NULL);
	if (text == NULL)
		fatal_oom();
	return text;
}

/* The INSERT for the columns a page of src has (names from its result). */
static char *store_copy_insert(struct store *dst, const struct store_copy_table *t,
			       struct db_stmt *src, int columns)
{
	struct buffer sql;
	char *text;

	buffer_init(&sql, 0);
	buffer_printf(&sql, "INSERT INTO %s (", t->name);
	for (int i = 0; i < columns; i++)
		buffer_printf(&sql, "%s%s", i == 0 ? "" : ", ", db_column_name(src, i));
	/* an identity column that is GENERATED ALWAYS takes a given value
	   only with OVERRIDING; ours are BY DEFAULT, which takes it as is */
	buffer_append_str(&sql, ") VALUES (");
	for (int i = 0; i < columns; i++)
		buffer_append_str(&sql, i == 0 ? "?" : ", ?");
	buffer_append_str(&sql, ")");
	if (t->upsert != NULL)
		buffer_append_str(&sql, t->upsert);
	(void)dst;
	buffer_append_c(&sql, '\0');
	text = buffer_steal(&sql, NULL);
	if (text == NULL)
		fatal_oom();
	return text;
}

static bool store_copy_zeroed(const struct store_copy_table *t, const char *column)
{
	char word[80];

	if (t->zeroed == NULL)
		return false;
	snprintf(word, sizeof(word), " %s ", column);
	return strstr(t->zeroed, word) != NULL;
}

/* One table, page by page. *rows_r counts what was copied. */
static int store_copy_table(struct store *dst, struct store *src,
			    const struct store_copy_table *t,
			    store_copy_progress_cb *progress, void *context,
			    uint64_t *rows_r)
{
	char *select_first = store_copy_select(t, true);
	char *select_next = store_copy_select(t, false);
	char *insert_sql = NULL;
	char *last_key[4] = { NULL, NULL, NULL, NULL };
	int key_cols[4] = { -1, -1, -1, -1 };
	struct db_stmt *sel = NULL, *ins = NULL;
	bool first = true;
	int ret = -1, rc;

	for (;;) {
		unsigned int page_rows = 0;
		int columns;

		rc = db_prepare(src->db, first ? select_first : select_next, false, &sel);
		if (rc != DB_OK) {
			store_fail_db(src, rc, "read for copy");
			goto out;
		}
		for (unsigned int k = 0; !first && k < t->key_count; k++) {
			if (is_integer(last_key[k]))
				db_bind_int64(sel, (int)k + 1, strtoll(last_key[k], NULL, 10));
			else
				db_bind_text(sel, (int)k + 1, last_key[k], -1, DB_STATIC);
		}
		if (store_begin(dst) < 0)
			goto out;
		while ((rc = db_step(sel)) == DB_ROW) {
			columns = db_column_count(sel);
			if (columns > STORE_COPY_MAX_COLUMNS) {
				store_fail(dst, STORE_ERROR_INTERNAL, "%s: too many columns",
					   t->name);
				goto failed;
			}
			if (ins == NULL) {
				insert_sql = store_copy_insert(dst, t, sel, columns);
				rc = db_prepare(dst->db, insert_sql, true, &ins);
				if (rc != DB_OK) {
					store_fail_db(dst, rc, insert_sql);
					goto failed;
				}
				/* where the key columns are in the rows */
				for (int c = 0; c < columns; c++) {
					const char *name = db_column_name(sel, c);
					const char *p = t->key;

					for (unsigned int k = 0; k < t->key_count; k++) {
						size_t len = strcspn(p, ",");

						if (strlen(name) == len && strncmp(p, name, len) == 0)
							key_cols[k] = c;
						p += len;
						p += strspn(p, ", ");
					}
				}
			}
			db_reset(ins);
			db_clear_bindings(ins);
			for (int c = 0; c < columns; c++) {
				const char *value = db_column_text(sel, c);

				if (value == NULL)
					db_bind_null(ins, c + 1);
				else if (store_copy_zeroed(t, db_column_name(sel, c)))
					db_bind_int64(ins, c + 1, 0);
				else
					db_bind_text(ins, c + 1, value, db_column_bytes(sel, c),
						     DB_TRANSIENT);
			}
			rc = db_step(ins);
			db_reset(ins);
			if (rc != DB_DONE) {
				store_fail_db(dst, rc, t->name);
				goto failed;
			}
			for (unsigned int k = 0; k < t->key_count; k++) {
				const char *v = key_cols[k] >= 0 ?
					db_column_text(sel, key_cols[k]) : NULL;

				free(last_key[k]);
				last_key[k] = xstrdup(v != NULL ? v : "");
			}
			page_rows++;
		}
		if (rc != DB_DONE) {
			store_fail_db(src, rc, t->name);
			/* the source's error, told through the target */
			store_fail(dst, src->error, "%s", src->error_detail);
			goto failed;
		}
		db_finalize(sel);
		sel = NULL;
		if (store_commit(dst) < 0)
			goto out;
		*rows_r += page_rows;
		if (progress != NULL && page_rows > 0)
			progress(context, t->name, *rows_r);
		if (page_rows < STORE_COPY_PAGE)
			break;
		first = false;
	}
	ret = 0;
	goto out;
failed:
	store_rollback(dst);
out:
	db_finalize(sel);
	db_finalize(ins);
	for (unsigned int k = 0; k < 4; k++)
		free(last_key[k]);
	free(insert_sql);
	free(select_first);
	free(select_next);
	return ret;
}

/* The target's identity sequences continue after the copied ids. */
static int store_copy_identities_reset(struct store *dst)
{
	char sql[256];

	if (db_kind(dst->db) != DB_POSTGRESQL)
		return 0;
	for (size_t i = 0; i < sizeof(store_copy_identities) /
		     sizeof(*store_copy_identities); i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			 " COALESCE((SELECT max(id) FROM %s), 0) + 1, false)",
			 store_copy_identities[i], store_copy_identities[i]);
		if (store_exec(dst, sql) < 0)
			return -1;
	}
	return 0;
}

/* A body into the target under its own name, durable before the caller
   goes on; one the target already has (a shared blob folder) is kept. */
static int store_copy_blob(struct store *dst, struct store *src, const char *blob)
{
	struct store_blob_writer *writer;
	char rel[80], buf[65536], name[33];
	struct stat st;
	ssize_t n;
	int fd;

	store_blob_relpath(blob, rel, sizeof(rel));
	if (fstatat(dst->blobs_dir_fd, rel, &st, 0) == 0)
		return 0;
	fd = store_blob_open(src, blob);
	if (fd < 0) {
		store_fail(dst, src->error, "%s", src->error_detail);
		return -1;
	}
	writer = store_blob_writer_create_named(dst, blob);
	if (writer == NULL) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (store_blob_writer_write(writer, buf, (size_t)n) < 0)
			break;
	}
	close(fd);
	if (n < 0) {
		store_blob_writer_abort(&writer);
		return store_fail(dst, STORE_ERROR_INTERNAL, "read blob %s: %s", blob,
				  strerror(errno));
	}
	if (n > 0 || store_blob_writer_finish(writer, false, name) < 0) {
		store_blob_writer_abort(&writer);
		return -1;
	}
	store_blob_writer_free(&writer);
	return 0;
}

/* Every body the source's index names, page by page. */
static int store_copy_blobs(struct store *dst, struct store *src,
			    store_copy_progress_cb *progress, void *context)
{
	static const char sql[] =
		"SELECT id, name FROM blobs WHERE id > ? ORDER BY id LIMIT 500";
	int64_t last = 0;
	uint64_t copied = 0;

	for (;;) {
		struct db_stmt *stmt;
		unsigned int page = 0;
		char (*names)[33] = xcalloc(500, 33);
		int rc;

		if ((rc = db_prepare(src->db, sql, false, &stmt)) != DB_OK) {
			free(names);
			store_fail_db(src, rc, "list blobs");
			return store_fail(dst, src->error, "%s", src->error_detail);
		}
		db_bind_int64(stmt, 1, last);
		while ((rc = db_step(stmt)) == DB_ROW && page < 500) {
			const char *name = db_column_text(stmt, 1);

			last = db_column_int64(stmt, 0);
			snprintf(names[page++], 33, "%s", name != NULL ? name : "");
		}
		db_finalize(stmt);
		for (unsigned int i = 0; i < page; i++) {
			if (store_copy_blob(dst, src, names[i]) < 0) {
				free(names);
				return -1;
			}
		}
		free(names);
		/* the page's bodies durable (one syncfs) before the next */
		if (page > 0 && store_blob_sync_dirs(dst) < 0)
			return -1;
		copied += page;
		if (progress != NULL && page > 0)
			progress(context, "bodies", copied);
		if (page < 500)
			return 0;
	}
}

int store_copy(struct store *dst, struct store *src,
	       store_copy_progress_cb *progress, void *context)
{
	int empty = store_is_empty(dst);

	if (empty < 0)
		return -1;
	if (empty == 0)
		return store_fail(dst, STORE_ERROR_EXISTS,
				  "the target store is not empty");
	/* bodies first: a row may only name a body that is there */
	if (store_copy_blobs(dst, src, progress, context) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(store_copy_tables) / sizeof(*store_copy_tables); i++) {
		uint64_t rows = 0;

		if (store_copy_table(dst, src, &store_copy_tables[i], progress,
				     context, &rows) < 0)
			return -1;
	}
	return store_copy_identities_reset(dst);
}
