#include "store-private.h"
#include "store-dav.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "strutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	const char *special_use;
	enum store_mailbox_kind kind;
} store_default_mailboxes[] = {
	{ "INBOX", NULL, STORE_MAILBOX_MAIL },
	{ "Sent", "\\Sent", STORE_MAILBOX_MAIL },
	{ "Drafts", "\\Drafts", STORE_MAILBOX_MAIL },
	{ "Trash", "\\Trash", STORE_MAILBOX_MAIL },
	{ "Junk", "\\Junk", STORE_MAILBOX_MAIL },
	{ "Calendar", NULL, STORE_MAILBOX_CALENDAR },
};

int store_mailbox_create_kind(struct store *store, int64_t user_id,
			      const char *name, const char *special_use,
			      enum store_mailbox_kind kind, int64_t *mailbox_id_r);

#define STORE_USER_COLUMNS \
	"id, address, password, calendar_format, display_name, timezone"

static void store_user_fill(struct db_stmt *stmt, struct pool *pool,
			    struct store_user *user_r)
{
	user_r->id = db_column_int64(stmt, 0);
	user_r->address = store_col_text(stmt, 1, pool);
	user_r->password_hash = store_col_text(stmt, 2, pool);
	user_r->calendar_format = store_col_text(stmt, 3, pool);
	user_r->display_name = store_col_text(stmt, 4, pool);
	user_r->timezone = store_col_text(stmt, 5, pool);
}

int store_user_add(struct store *store, const char *address, const char *password)
{
	static const char sql[] =
		"INSERT INTO users (address, password, created) VALUES (?, ?, ?)"
		" RETURNING id";
	char hash[SECRET_HASH_MAX];
	struct db_stmt *stmt;
	int64_t user_id;

	store_clear_error(store);
	if (!str_is_address(address))
		return store_fail(store, STORE_ERROR_INVALID,
				  "not an address: %s", address);
	if (secret_password_hash(password, hash) < 0)
		return store_fail(store, STORE_ERROR_TEMP, "password hashing failed");
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, address, -1, DB_STATIC);
	db_bind_text(stmt, 2, hash, -1, DB_STATIC);
	db_bind_int64(stmt, 3, (int64_t)time(NULL));
	if (store_step_id(store, stmt, "add user", &user_id) < 0) {
		if (store->error == STORE_ERROR_EXISTS)
			store_fail(store, STORE_ERROR_EXISTS, "user %s exists", address);
		goto failed;
	}
	for (size_t i = 0; i < sizeof(store_default_mailboxes) /
			       sizeof(store_default_mailboxes[0]); i++) {
		int64_t id;

		if (store_mailbox_create_kind(store, user_id,
					      store_default_mailboxes[i].name,
					      store_default_mailboxes[i].special_use,
					      store_default_mailboxes[i].kind, &id) < 0)
			goto failed;
		/* the standard folders start subscribed, as clients expect */
		if (store_default_mailboxes[i].kind == STORE_MAILBOX_MAIL &&
		    store_mailbox_subscribe(store, user_id,
					    store_default_mailboxes[i].name, true) < 0)
			goto failed;
	}
	/* the default calendar and address book for CalDAV/CardDAV */
	{
		struct pool *pool = pool_create(512);
		struct store_dav_collection col;
		int ret = store_dav_collection_default(store, user_id,
						       STORE_DAV_CALENDAR, pool, &col);

		if (ret == 0)
			ret = store_dav_collection_default(store, user_id,
							   STORE_DAV_ADDRESSBOOK, pool, &col);
		pool_destroy(&pool);
		if (ret < 0)
			goto failed;
	}
	secret_wipe(hash, sizeof(hash));
	return store_commit(store);
failed:
	secret_wipe(hash, sizeof(hash));
	store_rollback(store);
	return -1;
}

int store_user_set_password(struct store *store, const char *address,
			    const char *password)
{
	static const char sql[] = "UPDATE users SET password = ? WHERE address = ?";
	/* A new password ends every web login made with the old one (someone
	   who learnt it must not stay in). The password cache of a running
	   server needs nothing: its entries are bound to the stored hash. */
	static const char sql_sessions[] =
		"DELETE FROM web_sessions WHERE user_id ="
		" (SELECT id FROM users WHERE address = ?)";
	char hash[SECRET_HASH_MAX];
	struct db_stmt *stmt;

	store_clear_error(store);
	if (secret_password_hash(password, hash) < 0)
		return store_fail(store, STORE_ERROR_TEMP, "password hashing failed");
	if (store_begin(store) < 0)
		goto failed_nobegin;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, hash, -1, DB_STATIC);
	db_bind_text(stmt, 2, address, -1, DB_STATIC);
	if (store_step_done(store, stmt, "set password") < 0)
		goto failed;
	if (db_changes(store->db) == 0) {
		store_fail(store, STORE_ERROR_NOT_FOUND, "no user %s", address);
		goto failed;
	}
	stmt = store_stmt(store, sql_sessions);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, address, -1, DB_STATIC);
	if (store_step_done(store, stmt, "end web sessions") < 0)
		goto failed;
	secret_wipe(hash, sizeof(hash));
	return store_commit(store);
failed:
	store_rollback(store);
failed_nobegin:
	secret_wipe(hash, sizeof(hash));
	return -1;
}

int store_user_delete(struct store *store, const char *address)
{
	static const char sql[] = "DELETE FROM users WHERE address = ?";
	struct db_stmt *stmt;

	store_clear_error(store);
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL) {
		store_rollback(store);
		return -1;
	}
	db_bind_text(stmt, 1, address, -1, DB_STATIC);
	if (store_step_done(store, stmt, "delete user") < 0) {
		store_rollback(store);
		return -1;
	}
	if (db_changes(store->db) == 0) {
		store_rollback(store);
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no user %s", address);
	}
	store->blobs_maybe_unused = true;
	return store_commit(store);
}

int store_user_lookup(struct store *store, const char *address,
		      struct pool *pool, struct store_user *user_r)
{
	static const char sql[] =
		"SELECT " STORE_USER_COLUMNS " FROM users WHERE address = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_text(stmt, 1, address, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_user_fill(stmt, pool, user_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup user");
}

int store_user_lookup_id(struct store *store, int64_t user_id,
			 struct pool *pool, struct store_user *user_r)
{
	static const char sql[] =
		"SELECT " STORE_USER_COLUMNS " FROM users WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_user_fill(stmt, pool, user_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup user");
}

int store_user_set(struct store *store, const char *address,
		   enum store_user_setting setting, const char *value)
{
	/* one statement per column: the column name is never data */
	static const char *const sql[] = {
		[STORE_USER_CALENDAR_FORMAT] =
			"UPDATE users SET calendar_format = ? WHERE address = ?",
		[STORE_USER_DISPLAY_NAME] =
			"UPDATE users SET display_name = ? WHERE address = ?",
		[STORE_USER_TIMEZONE] =
			"UPDATE users SET timezone = ? WHERE address = ?",
	};
	struct db_stmt *stmt;

	if ((unsigned int)setting >= sizeof(sql) / sizeof(sql[0]))
		return store_fail(store, STORE_ERROR_INTERNAL, "no such user setting");
	if ((stmt = store_stmt(store, sql[setting])) == NULL)
		return -1;
	if (value != NULL && value[0] != '\0')
		db_bind_text(stmt, 1, value, -1, DB_STATIC);
	db_bind_text(stmt, 2, address, -1, DB_STATIC);
	if (store_step_done(store, stmt, "set a user setting") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no user %s", address);
	store->own_commits++;
	return 0;
}

/* Step stmt (bound) through its users. */
static int store_user_rows(struct store *store, struct db_stmt *stmt,
			   struct pool *pool, store_user_list_cb *cb,
			   void *context, const char *what)
{
	int rc;

	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_user user;

		store_user_fill(stmt, pool, &user);
		cb(context, &user);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, what);
	return 0;
}

int store_user_list(struct store *store, struct pool *pool,
		    store_user_list_cb *cb, void *context)
{
	static const char sql[] =
		"SELECT " STORE_USER_COLUMNS " FROM users ORDER BY address";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	return store_user_rows(store, stmt, pool, cb, context, "list users");
}

int store_user_search(struct store *store, const char *needle,
		      unsigned int limit, struct pool *pool,
		      store_user_list_cb *cb, void *context)
{
	/* never the password hash: nobody searching needs it */
	static const char sql[] =
		"SELECT id, address, NULL, calendar_format, display_name, timezone"
		" FROM users WHERE address LIKE ?1 ESCAPE '\\'"
		" OR display_name LIKE ?1 ESCAPE '\\' ORDER BY address LIMIT ?2";
	struct db_stmt *stmt;
	char *pattern;

	if (limit == 0 || limit > STORE_USER_SEARCH_MAX || needle == NULL)
		return store_fail(store, STORE_ERROR_INVALID,
				  "user search: bad limit");
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	pattern = store_like_pattern(needle);
	db_bind_text(stmt, 1, pattern, -1, DB_TRANSIENT);
	free(pattern);
	db_bind_int64(stmt, 2, limit);
	return store_user_rows(store, stmt, pool, cb, context, "search users");
}

/* A valid hash of a random password: unknown users cost the same time as
   known ones, so timing does not tell which exist. Made by whichever
   password worker needs it first (there are several), and never changed
   after that. */
static char store_user_dummy_hash[SECRET_HASH_MAX];
static pthread_mutex_t store_user_dummy_lock = PTHREAD_MUTEX_INITIALIZER;

/* 0, or -1 when it cannot be made (then the next call tries again) */
static int store_user_dummy(void)
{
	char random_pw[33];
	int ret = 0;

	pthread_mutex_lock(&store_user_dummy_lock);
	if (store_user_dummy_hash[0] == '\0') {
		secret_token(random_pw, sizeof(random_pw), 16);
		if (secret_password_hash(random_pw, store_user_dummy_hash) < 0) {
			store_user_dummy_hash[0] = '\0';
			ret = -1;
		}
		secret_wipe(random_pw, sizeof(random_pw));
	}
	pthread_mutex_unlock(&store_user_dummy_lock);
	return ret;
}

int store_user_verify(struct store *store, const char *address,
		      const char *password, struct pool *pool,
		      struct store_user *user_r)
{
	int ret;

	ret = store_user_lookup(store, address, pool, user_r);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		if (store_user_dummy() < 0)
			return store_fail(store, STORE_ERROR_TEMP, "hashing failed");
		secret_password_verify(store_user_dummy_hash, password);
		return 0;
	}
	ret = secret_password_verify(user_r->password_hash, password);
	if (ret < 0) {
		log_error("store", "unusable password hash for %s", log_value(address));
		return 0;
	}
	return ret;
}
