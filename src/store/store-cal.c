#include "store-private.h"
#include "store-dav.h"
#include "pool.h"
#include "secret.h"

#include <string.h>
#include <time.h>

#define CAL_COLUMNS \
	"id, user_id, uid, sequence, dtstart, dtend, all_day, summary, location," \
	" organizer, status, partstat, ical, token, source, created, updated," \
	" collection_id, href, modseq, schedule_tag"

/* Link tokens: 24 random bytes (192 bits), base64url. */
#define STORE_CAL_TOKEN_BYTES 24

static void store_cal_fill(struct db_stmt *stmt, struct pool *pool,
			   struct store_cal_item *item)
{
	item->id = db_column_int64(stmt, 0);
	item->user_id = db_column_int64(stmt, 1);
	item->uid = store_col_text(stmt, 2, pool);
	item->sequence = db_column_int(stmt, 3);
	item->dtstart = (time_t)db_column_int64(stmt, 4);
	item->dtend = (time_t)db_column_int64(stmt, 5);
	item->all_day = db_column_int(stmt, 6) != 0;
	item->summary = store_col_text(stmt, 7, pool);
	item->location = store_col_text(stmt, 8, pool);
	item->organizer = store_col_text(stmt, 9, pool);
	item->status = store_col_text(stmt, 10, pool);
	item->partstat = store_col_text(stmt, 11, pool);
	item->ical = store_col_text(stmt, 12, pool);
	item->token = store_col_text(stmt, 13, pool);
	item->source = store_col_text(stmt, 14, pool);
	item->created = (time_t)db_column_int64(stmt, 15);
	item->updated = (time_t)db_column_int64(stmt, 16);
	item->collection_id = db_column_int64(stmt, 17);
	item->href = store_col_text(stmt, 18, pool);
	item->modseq = (uint64_t)db_column_int64(stmt, 19);
	item->schedule_tag = (uint64_t)db_column_int64(stmt, 20);
	item->keep_schedule_tag = false;
}

static int store_cal_lookup(struct store *store, const char *sql,
			    int64_t num, const char *text, struct pool *pool,
			    struct store_cal_item *item_r)
{
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc, col = 1;

	if (stmt == NULL)
		return -1;
	if (num != 0)
		db_bind_int64(stmt, col++, num);
	if (text != NULL)
		db_bind_text(stmt, col, text, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_cal_fill(stmt, pool, item_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup calendar item");
}

int store_cal_item_lookup(struct store *store, int64_t user_id, const char *uid,
			  struct pool *pool, struct store_cal_item *item_r)
{
	static const char sql[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE user_id = ? AND uid = ?";

	return store_cal_lookup(store, sql, user_id, uid, pool, item_r);
}

int store_cal_item_lookup_token(struct store *store, const char *token,
				struct pool *pool, struct store_cal_item *item_r)
{
	static const char sql[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE token = ?";

	return store_cal_lookup(store, sql, 0, token, pool, item_r);
}

int store_cal_item_lookup_id(struct store *store, int64_t id,
			     struct pool *pool, struct store_cal_item *item_r)
{
	static const char sql[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE id = ?";

	return store_cal_lookup(store, sql, id, NULL, pool, item_r);
}

int store_cal_item_lookup_href(struct store *store, int64_t collection_id,
			       const char *href, struct pool *pool,
			       struct store_cal_item *item_r)
{
	static const char sql[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE collection_id = ? AND href = ?";

	return store_cal_lookup(store, sql, collection_id, href, pool, item_r);
}

static void bind_text_or_null(struct db_stmt *stmt, int col, const char *text)
{
	if (text != NULL)
		db_bind_text(stmt, col, text, -1, DB_STATIC);
	else
		db_bind_null(stmt, col);
}

/* Fill in where a new item goes: the default calendar, a random name. */
static int store_cal_item_place(struct store *store, struct store_cal_item *item,
				struct pool *pool)
{
	if (item->collection_id == 0) {
		struct store_dav_collection col;

		if (store_dav_collection_default(store, item->user_id,
						 STORE_DAV_CALENDAR, pool, &col) < 0)
			return -1;
		item->collection_id = col.id;
	}
	if (item->href == NULL) {
		char name[40];

		secret_token(name, sizeof(name), 12);
		item->href = p_printf(pool, "%s.ics", name);
	}
	return 0;
}

static int store_cal_item_write(struct store *store, struct store_cal_item *item,
				struct pool *pool)
{
	static const char sql_insert[] =
		"INSERT INTO cal_items (user_id, uid, sequence, dtstart, dtend,"
		" all_day, summary, location, organizer, status, partstat, ical,"
		" token, source, created, updated, collection_id, href, modseq,"
		" schedule_tag)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id";
	static const char sql_update[] =
		"UPDATE cal_items SET sequence = ?3, dtstart = ?4, dtend = ?5,"
		" all_day = ?6, summary = ?7, location = ?8, organizer = ?9,"
		" status = ?10, partstat = ?11, ical = ?12, source = ?14,"
		" updated = ?16, modseq = ?19, schedule_tag = ?20 WHERE id = ?1";
	time_t now = time(NULL);
	struct db_stmt *stmt;
	bool insert = item->id == 0;
	char token[64];

	if (insert && store_cal_item_place(store, item, pool) < 0)
		return -1;
	if (store_dav_next_modseq(store, item->collection_id, &item->modseq) < 0)
		return -1;
	if (!item->keep_schedule_tag || item->schedule_tag == 0)
		item->schedule_tag = item->modseq;
	stmt = store_stmt(store, insert ? sql_insert : sql_update);
	if (stmt == NULL)
		return -1;
	if (insert) {
		/* the caller may have made the token already (the calendar
		   stamps it into the message before the item is saved) */
		if (item->token == NULL) {
			secret_token(token, sizeof(token), STORE_CAL_TOKEN_BYTES);
			item->token = p_strdup(pool, token);
		}
		item->created = now;
		db_bind_int64(stmt, 1, item->user_id);
		db_bind_text(stmt, 2, item->uid, -1, DB_STATIC);
		db_bind_text(stmt, 13, item->token, -1, DB_STATIC);
		db_bind_int64(stmt, 15, (int64_t)now);
		db_bind_int64(stmt, 17, item->collection_id);
		db_bind_text(stmt, 18, item->href, -1, DB_STATIC);
	} else {
		db_bind_int64(stmt, 1, item->id);
	}
	item->updated = now;
	db_bind_int(stmt, 3, item->sequence);
	db_bind_int64(stmt, 4, (int64_t)item->dtstart);
	db_bind_int64(stmt, 5, (int64_t)item->dtend);
	db_bind_int(stmt, 6, item->all_day ? 1 : 0);
	bind_text_or_null(stmt, 7, item->summary);
	bind_text_or_null(stmt, 8, item->location);
	bind_text_or_null(stmt, 9, item->organizer);
	bind_text_or_null(stmt, 10, item->status);
	bind_text_or_null(stmt, 11, item->partstat);
	db_bind_text(stmt, 12, item->ical, -1, DB_STATIC);
	bind_text_or_null(stmt, 14, item->source);
	db_bind_int64(stmt, 16, (int64_t)now);
	db_bind_int64(stmt, 19, (int64_t)item->modseq);
	db_bind_int64(stmt, 20, (int64_t)item->schedule_tag);
	if (insert)
		return store_step_id(store, stmt, "save calendar item", &item->id);
	if (store_step_done(store, stmt, "save calendar item") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no calendar item");
	if (insert) {
		/* a name freed by an earlier delete is in use again */
		static const char sql_tomb[] =
			"DELETE FROM dav_tombstones WHERE collection_id = ? AND href = ?";
		struct db_stmt *tomb = store_stmt(store, sql_tomb);

		if (tomb == NULL)
			return -1;
		db_bind_int64(tomb, 1, item->collection_id);
		db_bind_text(tomb, 2, item->href, -1, DB_STATIC);
		if (store_step_done(store, tomb, "clear tombstone") < 0)
			return -1;
	}
	return 0;
}

int store_cal_item_save(struct store *store, struct store_cal_item *item,
			struct pool *pool)
{
	store_clear_error(store);
	if (store_begin(store) < 0)
		return -1;
	if (store_cal_item_write(store, item, pool) < 0) {
		store_rollback(store);
		return -1;
	}
	return store_commit(store);
}

int store_cal_item_list(struct store *store, int64_t user_id, time_t from,
			time_t to, struct pool *pool, store_cal_item_cb *cb,
			void *context)
{
	static const char sql_all[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE user_id = ?"
		" ORDER BY dtstart, id";
	/* Recurring items are kept with the span of their series in
	   dtstart/dtend, so an overlap test finds them too. */
	static const char sql_range[] =
		"SELECT " CAL_COLUMNS " FROM cal_items WHERE user_id = ?"
		" AND dtstart < ? AND (dtend > ? OR dtend = 0) ORDER BY dtstart, id";
	bool all = from == 0 && to == 0;
	struct db_stmt *stmt = store_stmt(store, all ? sql_all : sql_range);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	if (!all) {
		db_bind_int64(stmt, 2, (int64_t)to);
		db_bind_int64(stmt, 3, (int64_t)from);
	}
	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_cal_item item;

		store_cal_fill(stmt, pool, &item);
		cb(context, &item);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list calendar");
	return 0;
}
