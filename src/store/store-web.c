#include "store-private.h"
#include "pool.h"
#include "secret.h"

#include <string.h>
#include <time.h>

/* The index keeps SHA-256(id), not the id: a copy of index.db does not
   let anyone take over a session. */
static void session_hash(const char *id, char out[65])
{
	secret_sha256_hex(id, strlen(id), out);
}

#define STORE_WEB_SESSION_COLUMNS \
	"rowid, user_id, created, last_seen, expires, client"

static void store_web_session_fill(struct db_stmt *stmt, struct pool *pool,
				   struct store_web_session *sess_r)
{
	sess_r->handle = db_column_int64(stmt, 0);
	sess_r->user_id = db_column_int64(stmt, 1);
	sess_r->created = (time_t)db_column_int64(stmt, 2);
	sess_r->last_seen = (time_t)db_column_int64(stmt, 3);
	sess_r->expires = (time_t)db_column_int64(stmt, 4);
	sess_r->client = store_col_text(stmt, 5, pool);
	sess_r->csrf = NULL;
}

int store_web_session_create(struct store *store, int64_t user_id,
			     time_t expires, const char *id, const char *csrf,
			     const char *client)
{
	static const char sql[] =
		"INSERT INTO web_sessions (id_hash, user_id, csrf, created, expires,"
		" last_seen, client) VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?6)";
	/* the newest sessions stay (rowid breaks ties within a second) */
	static const char sql_trim[] =
		"DELETE FROM web_sessions WHERE user_id = ?1 AND rowid NOT IN"
		" (SELECT rowid FROM web_sessions WHERE user_id = ?1"
		"  ORDER BY created DESC, rowid DESC LIMIT ?2)";
	struct db_stmt *stmt;
	char hash[65];

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	session_hash(id, hash);
	db_bind_text(stmt, 1, hash, -1, DB_TRANSIENT);
	db_bind_int64(stmt, 2, user_id);
	db_bind_text(stmt, 3, csrf, -1, DB_STATIC);
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	db_bind_int64(stmt, 5, (int64_t)expires);
	if (client != NULL)
		db_bind_text(stmt, 6, client, -1, DB_STATIC);
	if (store_step_done(store, stmt, "create session") < 0)
		goto failed;
	stmt = store_stmt(store, sql_trim);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, STORE_WEB_SESSIONS_PER_USER);
	if (store_step_done(store, stmt, "trim sessions") < 0)
		goto failed;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_web_session_lookup(struct store *store, const char *id,
			     struct pool *pool, struct store_web_session *sess_r)
{
	static const char sql[] =
		"SELECT " STORE_WEB_SESSION_COLUMNS ", csrf FROM web_sessions"
		" WHERE id_hash = ? AND expires > ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	char hash[65];
	int rc;

	if (stmt == NULL)
		return -1;
	session_hash(id, hash);
	db_bind_text(stmt, 1, hash, -1, DB_TRANSIENT);
	db_bind_int64(stmt, 2, (int64_t)time(NULL));
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_web_session_fill(stmt, pool, sess_r);
		sess_r->csrf = store_col_text(stmt, 6, pool);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup session");
}

int store_web_session_delete(struct store *store, const char *id)
{
	static const char sql[] = "DELETE FROM web_sessions WHERE id_hash = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	char hash[65];

	if (stmt == NULL)
		return -1;
	session_hash(id, hash);
	db_bind_text(stmt, 1, hash, -1, DB_TRANSIENT);
	if (store_step_done(store, stmt, "delete session") < 0)
		return -1;
	store->own_commits++;
	return 0;
}

int store_web_sessions_expire(struct store *store, time_t now)
{
	static const char sql[] = "DELETE FROM web_sessions WHERE expires <= ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, (int64_t)now);
	return store_step_done(store, stmt, "expire sessions");
}

int store_web_session_touch(struct store *store, const char *id, time_t now,
			    time_t expires)
{
	static const char sql[] =
		"UPDATE web_sessions SET last_seen = ?, expires = ? WHERE id_hash = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	char hash[65];

	if (stmt == NULL)
		return -1;
	session_hash(id, hash);
	db_bind_int64(stmt, 1, (int64_t)now);
	db_bind_int64(stmt, 2, (int64_t)expires);
	db_bind_text(stmt, 3, hash, -1, DB_TRANSIENT);
	return store_step_done(store, stmt, "touch session");
}

int store_web_session_list(struct store *store, int64_t user_id,
			   struct pool *pool, store_web_session_cb *cb,
			   void *context)
{
	static const char sql[] =
		"SELECT " STORE_WEB_SESSION_COLUMNS " FROM web_sessions"
		" WHERE user_id = ? AND expires > ?"
		" ORDER BY last_seen DESC, rowid DESC";
	struct db_stmt *stmt = store_stmt(store, sql);
	struct store_web_session sess;
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int64(stmt, 2, (int64_t)time(NULL));
	while ((rc = db_step(stmt)) == DB_ROW) {
		store_web_session_fill(stmt, pool, &sess);
		cb(context, &sess);
	}
	db_reset(stmt);
	return rc == DB_DONE ? 0 : store_fail_db(store, rc, "list sessions");
}

int store_web_session_end(struct store *store, int64_t user_id, int64_t handle)
{
	static const char sql[] =
		"DELETE FROM web_sessions WHERE user_id = ? AND rowid = ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int64(stmt, 2, handle);
	if (store_step_done(store, stmt, "end session") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no such session");
	store->own_commits++;
	return 0;
}

int store_web_sessions_end_all(struct store *store, int64_t user_id,
			       const char *except_id)
{
	static const char sql[] =
		"DELETE FROM web_sessions WHERE user_id = ? AND id_hash != ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	char hash[65] = "";

	if (stmt == NULL)
		return -1;
	if (except_id != NULL)
		session_hash(except_id, hash);
	db_bind_int64(stmt, 1, user_id);
	db_bind_text(stmt, 2, hash, -1, DB_TRANSIENT);
	if (store_step_done(store, stmt, "end sessions") < 0)
		return -1;
	store->own_commits++;
	return 0;
}
