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
	sqlite3_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		struct store_pop3_message msg;

		msg.uid = (uint32_t)sqlite3_column_int64(stmt, 0);
		msg.flags = (uint32_t)sqlite3_column_int(stmt, 1);
		msg.size = (uint64_t)sqlite3_column_int64(stmt, 2);
		msg.vsize = (uint64_t)sqlite3_column_int64(stmt, 3);
		msg.header_size = (uint32_t)sqlite3_column_int64(stmt, 4);
		msg.blob = (const char *)sqlite3_column_text(stmt, 5);
		if (msg.blob == NULL)
			msg.blob = "";
		cb(context, &msg);
	}
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(store, rc, "list POP3 maildrop");
	return 0;
}

int store_pop3_message_exists(struct store *store, int64_t mailbox_id,
			      uint32_t uid)
{
	static const char sql[] =
		"SELECT 1 FROM messages WHERE mailbox_id = ? AND uid = ?";
	sqlite3_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, uid);
	rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_fail_sqlite(store, rc, "POP3 message lookup");
}
