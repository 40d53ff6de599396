/*
 * Quotas (RFC 9208): a user's limits, their usage, and the check that
 * every write of a new message makes inside its transaction.
 *
 * No per-user usage counter: the usage is the sum of the counters the
 * triggers keep per mailbox (messages, size), read through the
 * (user_id, name) index. With 100 mailboxes that sum costs about as much
 * as one more single-row read (see the README's quota figures), and a
 * per-user counter would add a write of the user's row to every insert,
 * expunge and flag change, and a hot row every delivery to that user
 * contends on. Users without limits pay one indexed read per message.
 */
#include "store-private.h"

/* advisory lock class of quota checks (the second key is the user);
   store-pop3.c uses 7203 */
#define STORE_QUOTA_LOCK_CLASS "7204"

static const char sql_usage[] =
	"SELECT COALESCE(SUM(messages), 0), COALESCE(SUM(size), 0)"
	" FROM mailboxes WHERE user_id = ? AND kind = 0";

static uint64_t store_quota_limit(struct db_stmt *stmt, int col)
{
	int64_t value;

	if (db_column_is_null(stmt, col))
		return STORE_QUOTA_UNLIMITED;
	value = db_column_int64(stmt, col);
	return value < 0 ? 0 : (uint64_t)value;
}

/* The user's usage into quota (limits already set). 0 or -1. */
static int store_quota_usage(struct store *store, int64_t user_id,
			     struct store_quota *quota)
{
	struct db_stmt *stmt = store_stmt(store, sql_usage);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc == DB_DONE ? DB_ERROR : rc, "quota usage");
	}
	quota->messages_used = (uint64_t)db_column_int64(stmt, 0);
	quota->storage_used = (uint64_t)db_column_int64(stmt, 1);
	db_reset(stmt);
	return 0;
}

int store_quota_get(struct store *store, int64_t user_id,
		    struct store_quota *quota_r)
{
	static const char sql[] =
		"SELECT quota_storage, quota_messages FROM users WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		return rc == DB_DONE ? 0 : store_fail_db(store, rc, "quota");
	}
	quota_r->storage_limit = store_quota_limit(stmt, 0);
	quota_r->messages_limit = store_quota_limit(stmt, 1);
	db_reset(stmt);
	return store_quota_usage(store, user_id, quota_r) < 0 ? -1 : 1;
}

/* used + add > limit, without overflowing */
static bool store_quota_over(uint64_t used, uint64_t add, uint64_t limit)
{
	if (limit == STORE_QUOTA_UNLIMITED)
		return false;
	return used > limit || add > limit - used;
}

bool store_quota_exceeded(const struct store_quota *quota, uint64_t bytes,
			  uint64_t count)
{
	return store_quota_over(quota->storage_used, bytes, quota->storage_limit) ||
		store_quota_over(quota->messages_used, count, quota->messages_limit);
}

int store_quota_check(struct store *store, int64_t mailbox_id, uint64_t bytes,
		      uint64_t count)
{
	static const char sql_owner[] =
		"SELECT m.user_id, u.quota_storage, u.quota_messages"
		" FROM mailboxes m JOIN users u ON u.id = m.user_id"
		" WHERE m.id = ? AND m.kind = 0";
	static const char sql_lock[] =
		"SELECT pg_advisory_xact_lock(" STORE_QUOTA_LOCK_CLASS ", CAST(? AS INTEGER))";
	struct store_quota quota;
	struct db_stmt *stmt = store_stmt(store, sql_owner);
	int64_t user_id;
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		/* not a mail mailbox (or none: the write reports that) */
		return rc == DB_DONE ? 0 : store_fail_db(store, rc, "quota owner");
	}
	user_id = db_column_int64(stmt, 0);
	quota.storage_limit = store_quota_limit(stmt, 1);
	quota.messages_limit = store_quota_limit(stmt, 2);
	db_reset(stmt);
	if (quota.storage_limit == STORE_QUOTA_UNLIMITED &&
	    quota.messages_limit == STORE_QUOTA_UNLIMITED)
		return 0;

	/* PostgreSQL: wait for any other transaction writing to this user,
	   then read the usage in a new statement, whose snapshot (READ
	   COMMITTED) includes what that one committed. SQLite's writers are
	   already one at a time. */
	if (db_kind(store->db) == DB_POSTGRESQL) {
		stmt = store_stmt(store, sql_lock);
		if (stmt == NULL)
			return -1;
		db_bind_int64(stmt, 1, user_id);
		if (store_step_done(store, stmt, "quota lock") < 0)
			return -1;
	}
	if (store_quota_usage(store, user_id, &quota) < 0)
		return -1;
	if (store_quota_exceeded(&quota, bytes, count))
		return store_fail(store, STORE_ERROR_OVER_QUOTA,
				  "over quota: user %lld has %llu messages, %llu bytes;"
				  " adding %llu, %llu bytes", (long long)user_id,
				  (unsigned long long)quota.messages_used,
				  (unsigned long long)quota.storage_used,
				  (unsigned long long)count, (unsigned long long)bytes);
	return 0;
}

int store_user_set_quota(struct store *store, const char *address,
			 enum store_quota_resource resource, uint64_t limit)
{
	static const char sql_storage[] =
		"UPDATE users SET quota_storage = ? WHERE address = ?";
	static const char sql_messages[] =
		"UPDATE users SET quota_messages = ? WHERE address = ?";
	struct db_stmt *stmt;

	store_clear_error(store);
	if (limit != STORE_QUOTA_UNLIMITED && limit > INT64_MAX)
		return store_fail(store, STORE_ERROR_INVALID, "quota too large");
	stmt = store_stmt(store, resource == STORE_QUOTA_STORAGE ?
			  sql_storage : sql_messages);
	if (stmt == NULL)
		return -1;
	if (limit != STORE_QUOTA_UNLIMITED)
		db_bind_int64(stmt, 1, (int64_t)limit);
	db_bind_text(stmt, 2, address, -1, DB_STATIC);
	if (store_step_done(store, stmt, "set quota") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no user %s", address);
	store->own_commits++;
	return 0;
}
