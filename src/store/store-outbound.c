#include "store-private.h"
#include "pool.h"

#include <string.h>
#include <time.h>

#define OUTBOUND_COLUMNS \
	"o.id, o.sender, o.recipients, b.name, o.created, o.next_attempt," \
	" o.attempts, o.last_error"

static void store_outbound_fill(struct db_stmt *stmt, struct pool *pool,
				struct store_outbound *entry)
{
	entry->id = db_column_int64(stmt, 0);
	entry->sender = store_col_text(stmt, 1, pool);
	entry->recipients = store_col_text(stmt, 2, pool);
	entry->blob = store_col_text(stmt, 3, pool);
	entry->created = (time_t)db_column_int64(stmt, 4);
	entry->next_attempt = (time_t)db_column_int64(stmt, 5);
	entry->attempts = (unsigned int)db_column_int(stmt, 6);
	entry->last_error = store_col_text(stmt, 7, pool);
}

int store_outbound_add(struct store *store, const char *sender,
		       const char *recipients, const char *blob, int64_t *id_r)
{
	static const char sql_blob_get[] = "SELECT id FROM blobs WHERE name = ?";
	static const char sql_blob[] =
		"INSERT INTO blobs (name, refs) VALUES (?, 0) RETURNING id";
	static const char sql[] =
		"INSERT INTO outbound (sender, recipients, blob_id, created, next_attempt)"
		" VALUES (?, ?, ?, ?, ?) RETURNING id";
	time_t now = time(NULL);
	struct db_stmt *stmt;
	int64_t blob_id = 0, id;
	int rc;

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_blob_get);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, blob, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		blob_id = db_column_int64(stmt, 0);
	db_reset(stmt);
	if (blob_id == 0) {
		stmt = store_stmt(store, sql_blob);
		if (stmt == NULL)
			goto failed;
		db_bind_text(stmt, 1, blob, -1, DB_STATIC);
		rc = db_step(stmt);
		if (rc != DB_ROW) {
			db_reset(stmt);
			store_fail_db(store, rc, "add blob");
			goto failed;
		}
		blob_id = db_column_int64(stmt, 0);
		db_reset(stmt);
	}
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, sender, -1, DB_STATIC);
	db_bind_text(stmt, 2, recipients, -1, DB_STATIC);
	db_bind_int64(stmt, 3, blob_id);
	db_bind_int64(stmt, 4, (int64_t)now);
	db_bind_int64(stmt, 5, (int64_t)now);
	if (store_step_id(store, stmt, "queue outbound", &id) < 0)
		goto failed;
	if (id_r != NULL)
		*id_r = id;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

static int store_outbound_query(struct store *store, struct db_stmt *stmt,
				struct pool *pool, store_outbound_cb *cb,
				void *context)
{
	int rc;

	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_outbound entry;

		store_outbound_fill(stmt, pool, &entry);
		cb(context, &entry);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "outbound queue");
	return 0;
}

int store_outbound_due(struct store *store, time_t now, unsigned int limit,
		       struct pool *pool, store_outbound_cb *cb, void *context)
{
	/* Claimed in one transaction: the lease moves next_attempt ahead, so
	   that no other node (several share one PostgreSQL) and no later
	   tick sends the entry again while this one does; retry_later or
	   done end the lease, a crash lets it run out. On PostgreSQL, SKIP
	   LOCKED lets two nodes claim different entries at once; SQLite's
	   one writer needs no row locks. */
	static const char sql_claim_pg[] =
		"UPDATE outbound SET next_attempt = ?3 WHERE id IN"
		" (SELECT id FROM outbound WHERE next_attempt <= ?1"
		"  ORDER BY next_attempt, id LIMIT ?2 FOR UPDATE SKIP LOCKED)"
		" RETURNING id";
	static const char sql_claim_sqlite[] =
		"UPDATE outbound SET next_attempt = ?3 WHERE id IN"
		" (SELECT id FROM outbound WHERE next_attempt <= ?1"
		"  ORDER BY next_attempt, id LIMIT ?2)"
		" RETURNING id";
	static const char sql[] =
		"SELECT " OUTBOUND_COLUMNS " FROM outbound o JOIN blobs b ON b.id = o.blob_id"
		" WHERE o.id = ?";
	int64_t ids[STORE_OUTBOUND_CLAIM_MAX];
	unsigned int count = 0;
	struct db_stmt *stmt;
	int rc;

	if (limit > STORE_OUTBOUND_CLAIM_MAX)
		limit = STORE_OUTBOUND_CLAIM_MAX;
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, db_kind(store->db) == DB_POSTGRESQL ?
			  sql_claim_pg : sql_claim_sqlite);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, (int64_t)now);
	db_bind_int64(stmt, 2, limit);
	db_bind_int64(stmt, 3, (int64_t)(now + STORE_OUTBOUND_LEASE_SECS));
	while ((rc = db_step(stmt)) == DB_ROW && count < limit)
		ids[count++] = db_column_int64(stmt, 0);
	db_reset(stmt);
	if (rc != DB_DONE && rc != DB_ROW) {
		store_fail_db(store, rc, "claim outbound");
		goto failed;
	}
	for (unsigned int i = 0; i < count; i++) {
		stmt = store_stmt(store, sql);
		if (stmt == NULL)
			goto failed;
		db_bind_int64(stmt, 1, ids[i]);
		if (store_outbound_query(store, stmt, pool, cb, context) < 0)
			goto failed;
	}
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_outbound_list(struct store *store, struct pool *pool,
			store_outbound_cb *cb, void *context)
{
	static const char sql[] =
		"SELECT " OUTBOUND_COLUMNS " FROM outbound o JOIN blobs b ON b.id = o.blob_id"
		" ORDER BY o.id";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	return store_outbound_query(store, stmt, pool, cb, context);
}

int store_outbound_stats(struct store *store, unsigned int *count_r,
			 time_t *oldest_r)
{
	static const char sql[] = "SELECT count(*), min(created) FROM outbound";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc, "outbound stats");
	}
	*count_r = (unsigned int)db_column_int64(stmt, 0);
	*oldest_r = db_column_is_null(stmt, 1) ? 0 : (time_t)db_column_int64(stmt, 1);
	db_reset(stmt);
	return 0;
}

int store_outbound_retry_later(struct store *store, int64_t id,
			       time_t next_attempt, const char *error)
{
	static const char sql[] =
		"UPDATE outbound SET next_attempt = ?, attempts = attempts + 1,"
		" last_error = ? WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, (int64_t)next_attempt);
	db_bind_text(stmt, 2, error, -1, DB_STATIC);
	db_bind_int64(stmt, 3, id);
	if (store_step_done(store, stmt, "outbound retry") < 0)
		return -1;
	store->own_commits++;
	return 0;
}

int store_outbound_done(struct store *store, int64_t id)
{
	static const char sql[] = "DELETE FROM outbound WHERE id = ?";
	struct db_stmt *stmt;

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL) {
		store_rollback(store);
		return -1;
	}
	db_bind_int64(stmt, 1, id);
	if (store_step_done(store, stmt, "outbound done") < 0) {
		store_rollback(store);
		return -1;
	}
	store->blobs_maybe_unused = true;
	return store_commit(store);
}
