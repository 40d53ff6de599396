/*
 * POP3's queries: the maildrop snapshot and an existence check.
 */
#include "store-private.h"
#include "store-pop3.h"

int store_pop3_list(struct store *store, int64_t mailbox_id,
		    store_pop3_message_cb *cb, void *context)
{
	static const char sql[] =
		"SELECT m.uid, m.flags, m.size, m.vsize, m.header_size, b.name"
		" FROM messages m JOIN blobs b ON b.id = m.blob_id"
		" WHERE m.mailbox_id = ? ORDER BY m.uid";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_pop3_message msg;

		msg.uid = (uint32_t)db_column_int64(stmt, 0);
		msg.flags = (uint32_t)db_column_int(stmt, 1);
		msg.size = (uint64_t)db_column_int64(stmt, 2);
		msg.vsize = (uint64_t)db_column_int64(stmt, 3);
		msg.header_size = (uint32_t)db_column_int64(stmt, 4);
		msg.blob = (const char *)db_column_text(stmt, 5);
		if (msg.blob == NULL)
			msg.blob = "";
		cb(context, &msg);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list POP3 maildrop");
	return 0;
}

int store_pop3_message_exists(struct store *store, int64_t mailbox_id,
			      uint32_t uid)
{
	static const char sql[] =
		"SELECT 1 FROM messages WHERE mailbox_id = ? AND uid = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	rc = db_step(stmt);
	db_reset(stmt);
	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "POP3 message lookup");
}

/* advisory lock class of POP3 maildrops (the second key is the user) */
#define STORE_POP3_LOCK_CLASS "7203"

int store_pop3_lock(struct store *store, int64_t user_id)
{
	static const char sql[] =
		"SELECT pg_try_advisory_lock(" STORE_POP3_LOCK_CLASS ", CAST(? AS INTEGER))";
	struct db_stmt *stmt;
	int rc, locked;

	if (db_kind(store->db) != DB_POSTGRESQL)
		return 1;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	rc = db_step(stmt);
	locked = rc == DB_ROW ? (int)db_column_int64(stmt, 0) : 0;
	db_reset(stmt);
	if (rc != DB_ROW)
		return store_fail_db(store, rc, "lock maildrop");
	return locked != 0 ? 1 : 0;
}

void store_pop3_unlock(struct store *store, int64_t user_id)
{
	static const char sql[] =
		"SELECT pg_advisory_unlock(" STORE_POP3_LOCK_CLASS ", CAST(? AS INTEGER))";
	struct db_stmt *stmt;

	if (db_kind(store->db) != DB_POSTGRESQL)
		return;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return;
	db_bind_int64(stmt, 1, user_id);
	(void)db_step(stmt);
	db_reset(stmt);
}
