#include "store-web-list.h"
#include "store-private.h"
#include "pool.h"

#include <string.h>

#define WEB_LIST_COLUMNS \
	"uid, flags, internaldate, sent_time, size, envelope, bodystructure"

static void store_web_fill(struct db_stmt *stmt, struct pool *pool,
			   struct store_web_message *msg)
{
	msg->uid = (uint32_t)db_column_int64(stmt, 0);
	msg->flags = (uint32_t)db_column_int(stmt, 1);
	msg->internaldate = (time_t)db_column_int64(stmt, 2);
	msg->sent_time = (time_t)db_column_int64(stmt, 3);
	msg->size = (uint64_t)db_column_int64(stmt, 4);
	msg->envelope = store_col_text(stmt, 5, pool);
	msg->bodystructure = store_col_text(stmt, 6, pool);
}

int store_web_message_page(struct store *store, int64_t mailbox_id,
			   uint32_t before_uid, uint32_t after_uid,
			   unsigned int limit, struct pool *pool,
			   struct store_web_message **msgs_r,
			   unsigned int *count_r)
{
	/* both walk the (mailbox_id, uid) unique index */
	static const char sql_older[] =
		"SELECT " WEB_LIST_COLUMNS " FROM messages"
		" WHERE mailbox_id = ? AND uid < ? ORDER BY uid DESC LIMIT ?";
	static const char sql_newer[] =
		"SELECT " WEB_LIST_COLUMNS " FROM messages"
		" WHERE mailbox_id = ? AND uid > ? ORDER BY uid ASC LIMIT ?";
	bool newer = after_uid != 0;
	struct db_stmt *stmt = store_stmt(store, newer ? sql_newer : sql_older);
	struct store_web_message *msgs;
	unsigned int count = 0;
	int rc = DB_DONE;

	if (stmt == NULL)
		return -1;
	msgs = p_new(pool, struct store_web_message, limit > 0 ? limit : 1);
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, newer ? (int64_t)after_uid :
			   before_uid != 0 ? (int64_t)before_uid : (int64_t)1 << 33);
	db_bind_int64(stmt, 3, limit);
	while (count < limit && (rc = db_step(stmt)) == DB_ROW)
		store_web_fill(stmt, pool, &msgs[count++]);
	if (count < limit && rc != DB_DONE) {
		db_reset(stmt);
		return store_fail_db(store, rc, "list messages");
	}
	db_reset(stmt);
	if (newer) {
		/* fetched oldest first: turn it around */
		for (unsigned int i = 0; i < count / 2; i++) {
			struct store_web_message tmp = msgs[i];

			msgs[i] = msgs[count - 1 - i];
			msgs[count - 1 - i] = tmp;
		}
	}
	*msgs_r = msgs;
	*count_r = count;
	return 0;
}

int store_web_message_count(struct store *store, int64_t mailbox_id,
			    uint32_t lo, uint32_t hi, uint32_t *count_r)
{
	static const char sql[] =
		"SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, lo);
	db_bind_int64(stmt, 3, hi);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc, "count messages");
	}
	*count_r = (uint32_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	return 0;
}
