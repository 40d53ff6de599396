#include "store-private.h"
#include "pool.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAILBOX_COLUMNS \
	"id, user_id, name, kind, special_use, EXISTS (SELECT 1 FROM " \
	"subscriptions s WHERE s.user_id = mailboxes.user_id AND " \
	"s.name = mailboxes.name), uidvalidity, " \
	"uidnext, highestmodseq, messages, unseen, deleted, size, deleted_size"

int store_mailbox_create_kind(struct store *store, int64_t user_id,
			      const char *name, const char *special_use,
			      enum store_mailbox_kind kind, int64_t *mailbox_id_r);

static void store_mailbox_fill(struct db_stmt *stmt, struct pool *pool,
			       struct store_mailbox *mb)
{
	mb->id = db_column_int64(stmt, 0);
	mb->user_id = db_column_int64(stmt, 1);
	mb->name = store_col_text(stmt, 2, pool);
	mb->kind = (enum store_mailbox_kind)db_column_int(stmt, 3);
	mb->special_use = store_col_text(stmt, 4, pool);
	mb->subscribed = db_column_int(stmt, 5) != 0;
	mb->uidvalidity = (uint32_t)db_column_int64(stmt, 6);
	mb->uidnext = (uint32_t)db_column_int64(stmt, 7);
	mb->highestmodseq = (uint64_t)db_column_int64(stmt, 8);
	mb->messages = (uint32_t)db_column_int64(stmt, 9);
	mb->unseen = (uint32_t)db_column_int64(stmt, 10);
	mb->deleted = (uint32_t)db_column_int64(stmt, 11);
	mb->size = (uint64_t)db_column_int64(stmt, 12);
	mb->deleted_size = (uint64_t)db_column_int64(stmt, 13);
}

bool store_mailbox_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > STORE_MAILBOX_NAME_MAX)
		return false;
	if (name[0] == STORE_HIERARCHY_SEP || name[len - 1] == STORE_HIERARCHY_SEP)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c == STORE_HIERARCHY_SEP && name[i + 1] == STORE_HIERARCHY_SEP)
			return false;
		/* IMAP list wildcards cannot be matched literally */
		if (c == '*' || c == '%')
			return false;
	}
	/* "." and ".." levels could be confused with paths by some tools */
	for (const char *p = name; p != NULL; ) {
		const char *next = strchr(p, STORE_HIERARCHY_SEP);
		size_t l = next != NULL ? (size_t)(next - p) : strlen(p);

		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p = next != NULL ? next + 1 : NULL;
	}
	return true;
}

/* INBOX is case-insensitive (RFC 3501 5.1); so are its children's first
   level. Everything else is case-sensitive. */
static const char *store_mailbox_normalize(const char *name, char *buf, size_t size)
{
	if (str_begins_icase(name, "INBOX") &&
	    (name[5] == '\0' || name[5] == STORE_HIERARCHY_SEP) &&
	    strlen(name) < size) {
		strcpy(buf, name);
		memcpy(buf, "INBOX", 5);
		return buf;
	}
	return name;
}

int store_mailbox_list(struct store *store, int64_t user_id, struct pool *pool,
		       struct store_mailbox **mailboxes_r, unsigned int *count_r)
{
	static const char sql[] =
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE user_id = ? ORDER BY name";
	struct db_stmt *stmt = store_stmt(store, sql);
	struct store_mailbox *list = NULL;
	unsigned int count = 0, alloc = 0;
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	while ((rc = db_step(stmt)) == DB_ROW) {
		list = p_grow(pool, list, sizeof(*list), count, &alloc, 16);
		store_mailbox_fill(stmt, pool, &list[count++]);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list mailboxes");
	*mailboxes_r = list;
	*count_r = count;
	return 0;
}

int store_mailbox_lookup(struct store *store, int64_t user_id, const char *name,
			 struct pool *pool, struct store_mailbox *mailbox_r)
{
	static const char sql[] =
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE user_id = ? AND name = ?";
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	name = store_mailbox_normalize(name, buf, sizeof(buf));
	db_bind_int64(stmt, 1, user_id);
	db_bind_text(stmt, 2, name, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_mailbox_fill(stmt, pool, mailbox_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup mailbox");
}

int store_mailbox_lookup_id(struct store *store, int64_t mailbox_id,
			    struct pool *pool, struct store_mailbox *mailbox_r)
{
	static const char sql[] =
		"SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_mailbox_fill(stmt, pool, mailbox_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup mailbox");
}

/* A UIDVALIDITY never handed out before in this store, so that a mailbox
   deleted and created again under the same name gets a new one. */
static int store_next_uidvalidity(struct store *store, uint32_t *uidvalidity_r)
{
	static const char sql_get[] =
		"SELECT value FROM counters WHERE name = 'uidvalidity'";
	static const char sql_set[] =
		"INSERT INTO counters (name, value) VALUES ('uidvalidity', ?)"
		" ON CONFLICT (name) DO UPDATE SET value = excluded.value";
	struct db_stmt *stmt = store_stmt(store, sql_get);
	uint64_t last = 0, next;

	if (stmt == NULL)
		return -1;
	if (db_step(stmt) == DB_ROW)
		last = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	next = (uint64_t)time(NULL);
	if (next <= last)
		next = last + 1;
	if (next > UINT32_MAX)
		next = 1; /* after 2106; any unused value works */
	stmt = store_stmt(store, sql_set);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, (int64_t)next);
	if (store_step_done(store, stmt, "uidvalidity counter") < 0)
		return -1;
	*uidvalidity_r = (uint32_t)next;
	return 0;
}

int store_mailbox_create_kind(struct store *store, int64_t user_id,
			      const char *name, const char *special_use,
			      enum store_mailbox_kind kind, int64_t *mailbox_id_r)
{
	static const char sql[] =
		"INSERT INTO mailboxes (user_id, name, kind, special_use, uidvalidity)"
		" VALUES (?, ?, ?, ?, ?) RETURNING id";
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	struct db_stmt *stmt;
	uint32_t uidvalidity;

	store_clear_error(store);
	if (!store_mailbox_name_valid(name))
		return store_fail(store, STORE_ERROR_INVALID, "invalid mailbox name");
	name = store_mailbox_normalize(name, buf, sizeof(buf));
	if (store_begin(store) < 0)
		return -1;
	if (store_next_uidvalidity(store, &uidvalidity) < 0)
		goto failed;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, user_id);
	db_bind_text(stmt, 2, name, -1, DB_STATIC);
	db_bind_int(stmt, 3, (int)kind);
	if (special_use != NULL)
		db_bind_text(stmt, 4, special_use, -1, DB_STATIC);
	db_bind_int64(stmt, 5, uidvalidity);
	if (store_step_id(store, stmt, "create mailbox", mailbox_id_r) < 0) {
		if (store->error == STORE_ERROR_EXISTS)
			store_fail(store, STORE_ERROR_EXISTS, "mailbox exists");
		goto failed;
	}
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_mailbox_create(struct store *store, int64_t user_id, const char *name,
			 const char *special_use, int64_t *mailbox_id_r)
{
	return store_mailbox_create_kind(store, user_id, name, special_use,
					 STORE_MAILBOX_MAIL, mailbox_id_r);
}

int store_mailbox_delete(struct store *store, int64_t user_id, const char *name)
{
	static const char sql[] =
		"DELETE FROM mailboxes WHERE user_id = ? AND name = ? AND kind = 0";
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	struct db_stmt *stmt;

	store_clear_error(store);
	name = store_mailbox_normalize(name, buf, sizeof(buf));
	if (strcmp(name, "INBOX") == 0)
		return store_fail(store, STORE_ERROR_PERM, "INBOX cannot be deleted");
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, user_id);
	db_bind_text(stmt, 2, name, -1, DB_STATIC);
	if (store_step_done(store, stmt, "delete mailbox") < 0)
		goto failed;
	if (db_changes(store->db) == 0) {
		store_fail(store, STORE_ERROR_NOT_FOUND, "no mailbox %s", name);
		goto failed;
	}
	store->blobs_maybe_unused = true;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_mailbox_rename(struct store *store, int64_t user_id,
			 const char *old_name, const char *new_name)
{
	static const char sql_rename[] =
		"UPDATE mailboxes SET name = ? || substr(name, ?) "
		"WHERE user_id = ? AND kind = 0 AND (name = ? OR substr(name, 1, ?) = ?)";
	/* a name the subscription moves onto is dropped first (it stays
	   once) */
	static const char sql_rename_subs_clash[] =
		"DELETE FROM subscriptions WHERE user_id = ?3 AND name IN"
		" (SELECT ?1 || substr(name, ?2) FROM subscriptions"
		"  WHERE user_id = ?3 AND (name = ?4 OR substr(name, 1, ?5) = ?6))";
	static const char sql_rename_subs[] =
		"UPDATE subscriptions SET name = ? || substr(name, ?) "
		"WHERE user_id = ? AND (name = ? OR substr(name, 1, ?) = ?)";
	static const char *const sql_renames[] = {
		sql_rename, sql_rename_subs_clash, sql_rename_subs,
	};
	char obuf[STORE_MAILBOX_NAME_MAX + 1], nbuf[STORE_MAILBOX_NAME_MAX + 1];
	char prefix[STORE_MAILBOX_NAME_MAX + 2];
	struct store_mailbox mb;
	struct pool *pool;
	struct db_stmt *stmt;
	int ret;

	store_clear_error(store);
	old_name = store_mailbox_normalize(old_name, obuf, sizeof(obuf));
	new_name = store_mailbox_normalize(new_name, nbuf, sizeof(nbuf));
	if (!store_mailbox_name_valid(new_name))
		return store_fail(store, STORE_ERROR_INVALID, "invalid mailbox name");
	if (strcmp(new_name, "INBOX") == 0)
		return store_fail(store, STORE_ERROR_EXISTS, "INBOX exists");
	if (str_begins(new_name, old_name) &&
	    new_name[strlen(old_name)] == STORE_HIERARCHY_SEP)
		return store_fail(store, STORE_ERROR_INVALID,
				  "cannot move a mailbox into itself");

	pool = pool_create(1024);
	if (store_begin(store) < 0) {
		pool_destroy(&pool);
		return -1;
	}
	ret = store_mailbox_lookup(store, user_id, old_name, pool, &mb);
	if (ret <= 0 || mb.kind != STORE_MAILBOX_MAIL) {
		if (ret >= 0)
			store_fail(store, STORE_ERROR_NOT_FOUND, "no mailbox %s", old_name);
		goto failed;
	}
	ret = store_mailbox_lookup(store, user_id, new_name, pool, &mb);
	if (ret != 0) {
		if (ret > 0)
			store_fail(store, STORE_ERROR_EXISTS, "mailbox %s exists", new_name);
		goto failed;
	}

	if (strcmp(old_name, "INBOX") == 0) {
		/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new
		   mailbox and leaves INBOX (and its children) in place. */
		struct store_mailbox inbox;
		int64_t new_id;

		if (store_mailbox_lookup(store, user_id, "INBOX", pool, &inbox) <= 0 ||
		    store_mailbox_create(store, user_id, new_name, NULL, &new_id) < 0)
			goto failed;
		/* Move by copying and expunging, so that UIDs stay strictly
		   ascending in the new mailbox and INBOX records the expunges. */
		{
			struct store_message_iter *iter =
				store_message_iter_init(store, inbox.id, 1, UINT32_MAX,
							STORE_FIELD_STATE);
			struct store_message msg;
			uint32_t *uids = NULL;
			unsigned int n = 0, alloc = 0;

			while (iter != NULL && store_message_iter_next(iter, &msg) > 0) {
				uids = p_grow(pool, uids, sizeof(*uids), n, &alloc, 64);
				uids[n++] = msg.uid;
			}
			store_message_iter_deinit(&iter);
			for (unsigned int i = 0; i < n; i++) {
				uint32_t new_uid;

				if (store_message_move(store, inbox.id, uids[i], new_id,
						       &new_uid) < 0)
					goto failed;
			}
		}
		pool_destroy(&pool);
		return store_commit(store);
	}

	/* the mailbox and its children, then the subscriptions, which
	   follow the names they subscribe (one the new name already had is
	   kept once) */
	snprintf(prefix, sizeof(prefix), "%s%c", old_name, STORE_HIERARCHY_SEP);
	for (unsigned int i = 0; i < sizeof(sql_renames) / sizeof(*sql_renames); i++) {
		stmt = store_stmt(store, sql_renames[i]);
		if (stmt == NULL)
			goto failed;
		db_bind_text(stmt, 1, new_name, -1, DB_STATIC);
		db_bind_int64(stmt, 2, (int64_t)strlen(old_name) + 1);
		db_bind_int64(stmt, 3, user_id);
		db_bind_text(stmt, 4, old_name, -1, DB_STATIC);
		db_bind_int64(stmt, 5, (int64_t)strlen(prefix));
		db_bind_text(stmt, 6, prefix, -1, DB_STATIC);
		if (store_step_done(store, stmt, "rename mailbox") < 0)
			goto failed;
	}
	pool_destroy(&pool);
	return store_commit(store);
failed:
	pool_destroy(&pool);
	store_rollback(store);
	return -1;
}

int store_mailbox_subscribe(struct store *store, int64_t user_id,
			    const char *name, bool subscribe)
{
	static const char sql_add[] =
		"INSERT INTO subscriptions (user_id, name) VALUES (?, ?)"
		" ON CONFLICT DO NOTHING";
	static const char sql_del[] =
		"DELETE FROM subscriptions WHERE user_id = ? AND name = ?";
	char buf[STORE_MAILBOX_NAME_MAX + 1];
	struct db_stmt *stmt;

	store_clear_error(store);
	if (!store_mailbox_name_valid(name))
		return store_fail(store, STORE_ERROR_INVALID, "invalid mailbox name");
	stmt = store_stmt(store, subscribe ? sql_add : sql_del);
	if (stmt == NULL)
		return -1;
	name = store_mailbox_normalize(name, buf, sizeof(buf));
	db_bind_int64(stmt, 1, user_id);
	db_bind_text(stmt, 2, name, -1, DB_STATIC);
	if (store_step_done(store, stmt, "subscribe") < 0)
		return -1;
	if (!subscribe && db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "%s is not subscribed", name);
	store->own_commits++;
	return 0;
}

int store_subscription_list(struct store *store, int64_t user_id,
			    struct pool *pool, const char ***names_r,
			    unsigned int *count_r)
{
	static const char sql[] =
		"SELECT name FROM subscriptions WHERE user_id = ? ORDER BY name";
	struct db_stmt *stmt = store_stmt(store, sql);
	const char **names = NULL;
	unsigned int count = 0, alloc = 0;
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	while ((rc = db_step(stmt)) == DB_ROW) {
		names = p_grow(pool, names, sizeof(*names), count, &alloc, 16);
		names[count++] = store_col_text(stmt, 0, pool);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list subscriptions");
	*names_r = names;
	*count_r = count;
	return 0;
}
