/*
 * CalDAV/CardDAV collections, versions, tombstones and cards (see
 * store-dav.h). Calendar resources are the rows of cal_items
 * (store-cal.c); this file adds what DAV needs around them.
 */
#include "store-private.h"
#include "store-dav.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COL_COLUMNS \
	"id, user_id, kind, name, displayname, color, description, is_default," \
	" modseq, tomb_floor, created"

static bool dav_name_chars(const char *name, const char *extra)
{
	size_t len = strlen(name);

	if (len == 0 || len > STORE_DAV_NAME_MAX || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		      (c != '\0' && strchr(extra, c) != NULL)))
			return false;
	}
	return true;
}

bool store_dav_name_valid(const char *name)
{
	return dav_name_chars(name, "");
}

bool store_dav_href_valid(const char *name)
{
	/* clients name resources after the UID, which may hold almost
	   anything ("<random>@<host>", '=', '+', even spaces): anything
	   printable that is one path segment */
	size_t len = strlen(name);

	if (len == 0 || len > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return false;
	}
	return true;
}

static void store_col_fill(struct db_stmt *stmt, struct pool *pool,
			   struct store_dav_collection *col)
{
	col->id = db_column_int64(stmt, 0);
	col->user_id = db_column_int64(stmt, 1);
	col->kind = (enum store_dav_kind)db_column_int(stmt, 2);
	col->name = store_col_text(stmt, 3, pool);
	col->displayname = store_col_text(stmt, 4, pool);
	col->color = store_col_text(stmt, 5, pool);
	col->description = store_col_text(stmt, 6, pool);
	col->is_default = db_column_int(stmt, 7) != 0;
	col->modseq = (uint64_t)db_column_int64(stmt, 8);
	col->tomb_floor = (uint64_t)db_column_int64(stmt, 9);
	col->created = (time_t)db_column_int64(stmt, 10);
}

int store_dav_collection_list(struct store *store, int64_t user_id,
			      enum store_dav_kind kind, struct pool *pool,
			      struct store_dav_collection **cols_r,
			      unsigned int *count_r)
{
	static const char sql[] =
		"SELECT " COL_COLUMNS " FROM dav_collections"
		" WHERE user_id = ? AND kind = ? ORDER BY is_default DESC, name";
	struct db_stmt *stmt;
	struct store_dav_collection *cols = NULL;
	unsigned int count = 0, alloc = 0;
	int rc;

	*cols_r = NULL;
	*count_r = 0;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, (int)kind);
	while ((rc = db_step(stmt)) == DB_ROW) {
		if (count == alloc)
			cols = p_grow(pool, cols, sizeof(*cols), count, &alloc, 4);
		store_col_fill(stmt, pool, &cols[count++]);
	}
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list collections");
	*cols_r = cols;
	*count_r = count;
	return 0;
}

static int store_col_lookup(struct store *store, struct db_stmt *stmt,
			    struct pool *pool, struct store_dav_collection *col_r)
{
	int rc = db_step(stmt);

	if (rc == DB_ROW) {
		store_col_fill(stmt, pool, col_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup collection");
}

int store_dav_collection_lookup(struct store *store, int64_t user_id,
				enum store_dav_kind kind, const char *name,
				struct pool *pool, struct store_dav_collection *col_r)
{
	static const char sql[] =
		"SELECT " COL_COLUMNS " FROM dav_collections"
		" WHERE user_id = ? AND kind = ? AND name = ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, (int)kind);
	db_bind_text(stmt, 3, name, -1, DB_STATIC);
	return store_col_lookup(store, stmt, pool, col_r);
}

int store_dav_collection_lookup_id(struct store *store, int64_t id,
				   struct pool *pool, struct store_dav_collection *col_r)
{
	static const char sql[] =
		"SELECT " COL_COLUMNS " FROM dav_collections WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, id);
	return store_col_lookup(store, stmt, pool, col_r);
}

static int store_col_insert(struct store *store, int64_t user_id,
			    enum store_dav_kind kind, const char *name,
			    const char *displayname, const char *color,
			    const char *description, bool is_default, int64_t *id_r)
{
	static const char sql[] =
		"INSERT INTO dav_collections (user_id, kind, name, displayname,"
		" color, description, is_default, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
		" RETURNING id";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, (int)kind);
	db_bind_text(stmt, 3, name, -1, DB_STATIC);
	if (displayname != NULL && *displayname != '\0')
		db_bind_text(stmt, 4, displayname, -1, DB_STATIC);
	if (color != NULL && *color != '\0')
		db_bind_text(stmt, 5, color, -1, DB_STATIC);
	if (description != NULL && *description != '\0')
		db_bind_text(stmt, 6, description, -1, DB_STATIC);
	db_bind_int(stmt, 7, is_default ? 1 : 0);
	db_bind_int64(stmt, 8, (int64_t)time(NULL));
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		store_fail_db(store, rc, "create collection");
		if (store->error == STORE_ERROR_EXISTS)
			store_fail(store, STORE_ERROR_EXISTS, "collection %s exists", name);
		return -1;
	}
	*id_r = db_column_int64(stmt, 0);
	db_reset(stmt);
	return 0;
}

int store_dav_collection_default(struct store *store, int64_t user_id,
				 enum store_dav_kind kind, struct pool *pool,
				 struct store_dav_collection *col_r)
{
	static const char sql[] =
		"SELECT " COL_COLUMNS " FROM dav_collections"
		" WHERE user_id = ? AND kind = ? AND is_default = 1";
	struct db_stmt *stmt = store_stmt(store, sql);
	int64_t id;
	int ret;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, (int)kind);
	ret = store_col_lookup(store, stmt, pool, col_r);
	if (ret != 0)
		return ret < 0 ? -1 : 0;
	/* every user gets both at creation and in the migration; a store
	   copied from elsewhere may lack them */
	if (store_begin(store) < 0)
		return -1;
	if (store_col_insert(store, user_id, kind,
			     kind == STORE_DAV_CALENDAR ? "calendar" : "contacts",
			     kind == STORE_DAV_CALENDAR ? "Calendar" : "Contacts",
			     NULL, NULL, true, &id) < 0) {
		store_rollback(store);
		return -1;
	}
	if (store_commit(store) < 0)
		return -1;
	return store_dav_collection_lookup_id(store, id, pool, col_r) > 0 ? 0 : -1;
}

int store_dav_collection_create(struct store *store, int64_t user_id,
				enum store_dav_kind kind, const char *name,
				const char *displayname, const char *color,
				const char *description, int64_t *id_r)
{
	static const char sql_count[] =
		"SELECT count(*) FROM dav_collections WHERE user_id = ? AND kind = ?";
	struct db_stmt *stmt;
	int64_t count;
	int rc;

	store_clear_error(store);
	if (!store_dav_name_valid(name))
		return store_fail(store, STORE_ERROR_INVALID, "bad collection name");
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_count);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, user_id);
	db_bind_int(stmt, 2, (int)kind);
	rc = db_step(stmt);
	count = rc == DB_ROW ? db_column_int64(stmt, 0) : 0;
	db_reset(stmt);
	if (rc != DB_ROW) {
		store_fail_db(store, rc, "count collections");
		goto failed;
	}
	if (count >= STORE_DAV_COLLECTIONS_MAX) {
		store_fail(store, STORE_ERROR_LIMIT, "too many collections");
		goto failed;
	}
	if (store_col_insert(store, user_id, kind, name, displayname, color,
			     description, false, id_r) < 0)
		goto failed;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_dav_collection_delete(struct store *store, int64_t id)
{
	static const char sql[] =
		"DELETE FROM dav_collections WHERE id = ? AND is_default = 0";
	struct db_stmt *stmt;

	store_clear_error(store);
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, id);
	if (store_step_done(store, stmt, "delete collection") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_PERM,
				  "the default collection cannot be deleted");
	store->own_commits++;
	return 0;
}

static void bind_prop(struct db_stmt *stmt, int col, const char *value)
{
	/* ?N IS NULL keeps the old value; '' becomes NULL (removed) */
	if (value == NULL)
		db_bind_null(stmt, col);
	else
		db_bind_text(stmt, col, value, -1, DB_STATIC);
}

int store_dav_collection_set_props(struct store *store, int64_t id,
				   const char *displayname, const char *color,
				   const char *description)
{
	static const char sql[] =
		"UPDATE dav_collections SET modseq = modseq + 1,"
		" displayname = CASE WHEN CAST(?2 AS TEXT) IS NULL THEN displayname ELSE nullif(?2, '') END,"
		" color = CASE WHEN CAST(?3 AS TEXT) IS NULL THEN color ELSE nullif(?3, '') END,"
		" description = CASE WHEN CAST(?4 AS TEXT) IS NULL THEN description ELSE nullif(?4, '') END"
		" WHERE id = ?1";
	struct db_stmt *stmt;

	store_clear_error(store);
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, id);
	bind_prop(stmt, 2, displayname);
	bind_prop(stmt, 3, color);
	bind_prop(stmt, 4, description);
	if (store_step_done(store, stmt, "set collection properties") < 0)
		return -1;
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no collection");
	store->own_commits++;
	return 0;
}

int store_dav_next_modseq(struct store *store, int64_t collection_id,
			  uint64_t *modseq_r)
{
	/* the counter row is updated in the writing transaction, so versions
	   are handed out in commit order (what a sync client relies on) */
	static const char sql[] =
		"UPDATE dav_collections SET modseq = modseq + 1 WHERE id = ?"
		" RETURNING modseq";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		*modseq_r = (uint64_t)db_column_int64(stmt, 0);
	/* step to the end so the UPDATE completes */
	while (rc == DB_ROW)
		rc = db_step(stmt);
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "next modseq");
	if (db_changes(store->db) == 0)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no collection %lld",
				  (long long)collection_id);
	return 0;
}

/* --- resources --- */

static const char sql_cal_list[] =
	"SELECT href, modseq, id, dtstart, dtend, NULL FROM cal_items"
	" WHERE collection_id = ? ORDER BY href";
static const char sql_cal_list_data[] =
	"SELECT href, modseq, id, dtstart, dtend, ical FROM cal_items"
	" WHERE collection_id = ? ORDER BY href";
static const char sql_card_list[] =
	"SELECT href, modseq, id, 0, 0, NULL FROM cards"
	" WHERE collection_id = ? ORDER BY href";
static const char sql_card_list_data[] =
	"SELECT href, modseq, id, 0, 0, vcard FROM cards"
	" WHERE collection_id = ? ORDER BY href";

static void store_res_fill(struct db_stmt *stmt, struct pool *pool,
			   struct store_dav_resource *res)
{
	memset(res, 0, sizeof(*res));
	res->href = store_col_text(stmt, 0, pool);
	res->modseq = (uint64_t)db_column_int64(stmt, 1);
	res->id = db_column_int64(stmt, 2);
	res->dtstart = (time_t)db_column_int64(stmt, 3);
	res->dtend = (time_t)db_column_int64(stmt, 4);
	res->data = store_col_text(stmt, 5, pool);
}

/* Run a statement bound with the collection id (and more bindings by the
   caller), calling cb per row. The rows' strings go into a pool of their
   own, cleared per row, so a listing of 100,000 resources stays small. */
static int store_res_each(struct store *store, struct db_stmt *stmt,
			  store_dav_resource_cb *cb, void *context)
{
	struct pool *row_pool = pool_create(4096);
	int rc;

	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_dav_resource res;

		pool_clear(row_pool);
		store_res_fill(stmt, row_pool, &res);
		res.deleted = db_column_is_null(stmt, 2);
		if (cb(context, &res) != 0) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(stmt);
	pool_destroy(&row_pool);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "list resources");
	return 0;
}

int store_dav_resource_list(struct store *store,
			    const struct store_dav_collection *col,
			    unsigned int flags, struct pool *pool,
			    store_dav_resource_cb *cb, void *context)
{
	bool data = (flags & STORE_DAV_WITH_DATA) != 0;
	const char *sql = col->kind == STORE_DAV_CALENDAR ?
		(data ? sql_cal_list_data : sql_cal_list) :
		(data ? sql_card_list_data : sql_card_list);
	struct db_stmt *stmt;

	(void)pool;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, col->id);
	return store_res_each(store, stmt, cb, context);
}

int store_dav_resource_get(struct store *store,
			   const struct store_dav_collection *col,
			   const char *href, unsigned int flags,
			   struct pool *pool, struct store_dav_resource *res_r)
{
	static const char sql_cal[] =
		"SELECT href, modseq, id, dtstart, dtend, NULL FROM cal_items"
		" WHERE collection_id = ? AND href = ?";
	static const char sql_cal_data[] =
		"SELECT href, modseq, id, dtstart, dtend, ical FROM cal_items"
		" WHERE collection_id = ? AND href = ?";
	static const char sql_card[] =
		"SELECT href, modseq, id, 0, 0, NULL FROM cards"
		" WHERE collection_id = ? AND href = ?";
	static const char sql_card_data[] =
		"SELECT href, modseq, id, 0, 0, vcard FROM cards"
		" WHERE collection_id = ? AND href = ?";
	bool data = (flags & STORE_DAV_WITH_DATA) != 0;
	const char *sql = col->kind == STORE_DAV_CALENDAR ?
		(data ? sql_cal_data : sql_cal) : (data ? sql_card_data : sql_card);
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, col->id);
	db_bind_text(stmt, 2, href, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_res_fill(stmt, pool, res_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "get resource");
}

int store_dav_changes(struct store *store, const struct store_dav_collection *col,
		      uint64_t since, struct pool *pool,
		      store_dav_resource_cb *cb, void *context)
{
	/* live rows have an id; tombstones a NULL one */
	static const char sql_cal[] =
		"SELECT href, modseq, id, dtstart, dtend, NULL FROM cal_items"
		"  WHERE collection_id = ?1 AND modseq > ?2"
		" UNION ALL SELECT href, modseq, NULL, 0, 0, NULL FROM dav_tombstones"
		"  WHERE collection_id = ?1 AND modseq > ?2"
		" ORDER BY 2, 1";
	static const char sql_card[] =
		"SELECT href, modseq, id, 0, 0, NULL FROM cards"
		"  WHERE collection_id = ?1 AND modseq > ?2"
		" UNION ALL SELECT href, modseq, NULL, 0, 0, NULL FROM dav_tombstones"
		"  WHERE collection_id = ?1 AND modseq > ?2"
		" ORDER BY 2, 1";
	struct db_stmt *stmt;

	(void)pool;
	if (since != 0 && (since < col->tomb_floor || since > col->modseq))
		return store_fail(store, STORE_ERROR_INVALID, "sync token out of range");
	stmt = store_stmt(store, col->kind == STORE_DAV_CALENDAR ? sql_cal : sql_card);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, col->id);
	db_bind_int64(stmt, 2, (int64_t)since);
	return store_res_each(store, stmt, cb, context);
}

/* Drop the oldest tombstones past `keep`, raising the floor to the
   newest one dropped: a token below it could miss a deletion; one at it
   has seen that deletion and needs only what is kept. */
static int store_dav_tombstones_trim(struct store *store, int64_t collection_id,
				     unsigned int keep)
{
	static const char sql_cut[] =
		"SELECT modseq FROM dav_tombstones WHERE collection_id = ?"
		" ORDER BY modseq DESC LIMIT 1 OFFSET ?";
	static const char sql_del[] =
		"DELETE FROM dav_tombstones WHERE collection_id = ? AND modseq <= ?";
	static const char sql_floor[] =
		"UPDATE dav_collections SET tomb_floor ="
		" CASE WHEN tomb_floor > ?1 THEN tomb_floor ELSE ?1 END WHERE id = ?2";
	struct db_stmt *stmt = store_stmt(store, sql_cut);
	int64_t cut;
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	db_bind_int64(stmt, 2, keep);
	rc = db_step(stmt);
	cut = rc == DB_ROW ? db_column_int64(stmt, 0) : 0;
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW)
		return store_fail_db(store, rc, "trim tombstones");
	stmt = store_stmt(store, sql_del);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	db_bind_int64(stmt, 2, cut);
	if (store_step_done(store, stmt, "trim tombstones") < 0)
		return -1;
	stmt = store_stmt(store, sql_floor);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, cut);
	db_bind_int64(stmt, 2, collection_id);
	return store_step_done(store, stmt, "raise tombstone floor");
}

static int store_dav_tombstone(struct store *store, int64_t collection_id,
			       const char *href, unsigned int keep)
{
	static const char sql_tomb[] =
		"INSERT INTO dav_tombstones (collection_id, href, modseq)"
		" VALUES (?, ?, ?) ON CONFLICT (collection_id, href)"
		" DO UPDATE SET modseq = excluded.modseq";
	struct db_stmt *stmt;
	uint64_t modseq;

	if (store_dav_next_modseq(store, collection_id, &modseq) < 0)
		return -1;
	stmt = store_stmt(store, sql_tomb);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	db_bind_text(stmt, 2, href, -1, DB_STATIC);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	if (store_step_done(store, stmt, "add tombstone") < 0)
		return -1;
	return store_dav_tombstones_trim(store, collection_id, keep);
}

int store_dav_resource_delete(struct store *store,
			      const struct store_dav_collection *col,
			      const char *href, unsigned int keep)
{
	static const char sql_cal[] =
		"DELETE FROM cal_items WHERE collection_id = ? AND href = ?";
	static const char sql_card[] =
		"DELETE FROM cards WHERE collection_id = ? AND href = ?";
	struct db_stmt *stmt;

	store_clear_error(store);
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, col->kind == STORE_DAV_CALENDAR ? sql_cal : sql_card);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, col->id);
	db_bind_text(stmt, 2, href, -1, DB_STATIC);
	if (store_step_done(store, stmt, "delete resource") < 0)
		goto failed;
	if (db_changes(store->db) == 0) {
		store_rollback(store);
		return 0;
	}
	if (store_dav_tombstone(store, col->id, href, keep) < 0)
		goto failed;
	return store_commit(store) < 0 ? -1 : 1;
failed:
	store_rollback(store);
	return -1;
}

int store_dav_resource_move(struct store *store,
			    const struct store_dav_collection *src, const char *href,
			    const struct store_dav_collection *dst,
			    const char *dst_href, unsigned int keep)
{
	static const char sql_cal[] =
		"UPDATE cal_items SET collection_id = ?1, href = ?2, modseq = ?3"
		" WHERE collection_id = ?4 AND href = ?5";
	static const char sql_card[] =
		"UPDATE cards SET collection_id = ?1, href = ?2, modseq = ?3"
		" WHERE collection_id = ?4 AND href = ?5";
	static const char sql_untomb[] =
		"DELETE FROM dav_tombstones WHERE collection_id = ? AND href = ?";
	struct db_stmt *stmt;
	uint64_t modseq;
	int rc;

	store_clear_error(store);
	if (src->kind != dst->kind)
		return store_fail(store, STORE_ERROR_INVALID, "move across kinds");
	if (store_begin(store) < 0)
		return -1;
	if (store_dav_next_modseq(store, dst->id, &modseq) < 0)
		goto failed;
	stmt = store_stmt(store, src->kind == STORE_DAV_CALENDAR ? sql_cal : sql_card);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, dst->id);
	db_bind_text(stmt, 2, dst_href, -1, DB_STATIC);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	db_bind_int64(stmt, 4, src->id);
	db_bind_text(stmt, 5, href, -1, DB_STATIC);
	rc = db_step(stmt);
	db_reset(stmt);
	if (rc != DB_DONE) {
		store_fail_db(store, rc, "move resource");
		goto failed;
	}
	if (db_changes(store->db) == 0) {
		store_rollback(store);
		return 0;
	}
	stmt = store_stmt(store, sql_untomb);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, dst->id);
	db_bind_text(stmt, 2, dst_href, -1, DB_STATIC);
	if (store_step_done(store, stmt, "clear tombstone") < 0 ||
	    store_dav_tombstone(store, src->id, href, keep) < 0)
		goto failed;
	return store_commit(store) < 0 ? -1 : 1;
failed:
	store_rollback(store);
	return -1;
}

/* --- cards --- */

#define CARD_COLUMNS \
	"id, collection_id, href, uid, modseq, fn, vcard, created, updated"

static void store_card_fill(struct db_stmt *stmt, struct pool *pool,
			    struct store_card *card)
{
	card->id = db_column_int64(stmt, 0);
	card->collection_id = db_column_int64(stmt, 1);
	card->href = store_col_text(stmt, 2, pool);
	card->uid = store_col_text(stmt, 3, pool);
	card->modseq = (uint64_t)db_column_int64(stmt, 4);
	card->fn = store_col_text(stmt, 5, pool);
	card->vcard = store_col_text(stmt, 6, pool);
	card->created = (time_t)db_column_int64(stmt, 7);
	card->updated = (time_t)db_column_int64(stmt, 8);
}

static int store_card_get(struct store *store, const char *sql,
			  int64_t collection_id, const char *key,
			  struct pool *pool, struct store_card *card_r)
{
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	db_bind_text(stmt, 2, key, -1, DB_STATIC);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_card_fill(stmt, pool, card_r);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup card");
}

int store_card_lookup(struct store *store, int64_t collection_id,
		      const char *href, struct pool *pool, struct store_card *card_r)
{
	static const char sql[] =
		"SELECT " CARD_COLUMNS " FROM cards WHERE collection_id = ? AND href = ?";

	return store_card_get(store, sql, collection_id, href, pool, card_r);
}

int store_card_lookup_uid(struct store *store, int64_t collection_id,
			  const char *uid, struct pool *pool, struct store_card *card_r)
{
	static const char sql[] =
		"SELECT " CARD_COLUMNS " FROM cards WHERE collection_id = ? AND uid = ?";

	return store_card_get(store, sql, collection_id, uid, pool, card_r);
}

/* Step stmt (bound) through its cards, a row pool for each. */
static int store_card_rows(struct store *store, struct db_stmt *stmt,
			   store_card_cb *cb, void *context, const char *what)
{
	struct pool *row_pool = pool_create(4096);
	int rc;

	while ((rc = db_step(stmt)) == DB_ROW) {
		struct store_card card;

		pool_clear(row_pool);
		store_card_fill(stmt, row_pool, &card);
		if (cb(context, &card) != 0) {
			rc = DB_DONE;
			break;
		}
	}
	db_reset(stmt);
	pool_destroy(&row_pool);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, what);
	return 0;
}

int store_card_list(struct store *store, int64_t collection_id,
		    struct pool *pool, store_card_cb *cb, void *context)
{
	static const char sql[] =
		"SELECT " CARD_COLUMNS
		" FROM cards WHERE collection_id = ? ORDER BY href";
	struct db_stmt *stmt = store_stmt(store, sql);

	(void) pool;
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	return store_card_rows(store, stmt, cb, context, "list cards");
}

int store_card_lookup_id(struct store *store, int64_t collection_id, int64_t id,
			 struct pool *pool, struct store_card *card_r)
{
	static const char sql[] =
		"SELECT " CARD_COLUMNS
		" FROM cards WHERE collection_id = ? AND id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	db_bind_int64(stmt, 2, id);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		store_card_fill(stmt, pool, card_r);
	db_reset(stmt);
	if (rc == DB_ROW)
		return 1;
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "lookup card");
}

/* Name order: FN folded to lower case (ASCII on both backends: SQLite's
   lower() and PostgreSQL's in a SQL_ASCII database), then id. The key
   and the comparison with the card a page goes on from are the same
   expression, so a page never skips or repeats a card. */
#define CARD_PAGE_KEY "lower(coalesce(fn, ''))"
#define CARD_PAGE_SELECT                                                       \
	"SELECT " CARD_COLUMNS " FROM cards WHERE collection_id = ?1"
#define CARD_PAGE_NEEDLE                                                       \
	" AND (fn LIKE ?2 ESCAPE '\\' OR vcard LIKE ?2 ESCAPE '\\')"
#define CARD_PAGE_AFTER                                                        \
	" AND (" CARD_PAGE_KEY " > lower(CAST(?3 AS TEXT)) OR (" CARD_PAGE_KEY \
	" = lower(CAST(?3 AS TEXT)) AND id > ?4))"
#define CARD_PAGE_ORDER " ORDER BY " CARD_PAGE_KEY ", id LIMIT ?5"

int store_card_page(struct store *store, int64_t collection_id,
		    const char *needle, const struct store_card *after,
		    unsigned int limit, store_card_cb *cb, void *context)
{
	static const char *const sqls[2][2] = {
		{CARD_PAGE_SELECT CARD_PAGE_ORDER,
		 CARD_PAGE_SELECT CARD_PAGE_AFTER CARD_PAGE_ORDER},
		{CARD_PAGE_SELECT CARD_PAGE_NEEDLE CARD_PAGE_ORDER,
		 CARD_PAGE_SELECT CARD_PAGE_NEEDLE CARD_PAGE_AFTER
			 CARD_PAGE_ORDER},
	};
	bool filter = needle != NULL && *needle != '\0';
	struct db_stmt *stmt;

	if (limit == 0 || limit > STORE_CARD_PAGE_MAX)
		return store_fail(store, STORE_ERROR_INVALID,
				  "card page: bad limit");
	stmt = store_stmt(store, sqls[filter ? 1 : 0][after != NULL ? 1 : 0]);
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, collection_id);
	if (filter) {
		char *pattern = store_like_pattern(needle);

		db_bind_text(stmt, 2, pattern, -1, DB_TRANSIENT);
		free(pattern);
	}
	if (after != NULL) {
		db_bind_text(stmt, 3, after->fn != NULL ? after->fn : "", -1,
			     DB_STATIC);
		db_bind_int64(stmt, 4, after->id);
	}
	db_bind_int64(stmt, 5, limit);
	return store_card_rows(store, stmt, cb, context, "page cards");
}

int store_card_save(struct store *store, struct store_card *card)
{
	static const char sql_insert[] =
		"INSERT INTO cards (collection_id, href, uid, modseq, fn, vcard,"
		" created, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING id";
	static const char sql_update[] =
		"UPDATE cards SET uid = ?3, modseq = ?4, fn = ?5, vcard = ?6,"
		" updated = ?7 WHERE id = ?8";
	static const char sql_tomb[] =
		"DELETE FROM dav_tombstones WHERE collection_id = ? AND href = ?";
	bool insert = card->id == 0;
	time_t now = time(NULL);
	struct db_stmt *stmt;
	int rc;

	store_clear_error(store);
	if (store_begin(store) < 0)
		return -1;
	if (store_dav_next_modseq(store, card->collection_id, &card->modseq) < 0)
		goto failed;
	stmt = store_stmt(store, insert ? sql_insert : sql_update);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, card->collection_id);
	db_bind_text(stmt, 2, card->href, -1, DB_STATIC);
	db_bind_text(stmt, 3, card->uid, -1, DB_STATIC);
	db_bind_int64(stmt, 4, (int64_t)card->modseq);
	if (card->fn != NULL)
		db_bind_text(stmt, 5, card->fn, -1, DB_STATIC);
	db_bind_text(stmt, 6, card->vcard, -1, DB_STATIC);
	db_bind_int64(stmt, 7, (int64_t)now);
	if (!insert)
		db_bind_int64(stmt, 8, card->id);
	rc = db_step(stmt);
	if (insert && rc == DB_ROW)
		card->id = db_column_int64(stmt, 0);
	db_reset(stmt);
	if (rc != (insert ? DB_ROW : DB_DONE)) {
		store_fail_db(store, rc, "save card");
		goto failed;
	}
	if (insert) {
		card->created = now;
		stmt = store_stmt(store, sql_tomb);
		if (stmt == NULL)
			goto failed;
		db_bind_int64(stmt, 1, card->collection_id);
		db_bind_text(stmt, 2, card->href, -1, DB_STATIC);
		if (store_step_done(store, stmt, "clear tombstone") < 0)
			goto failed;
	}
	card->updated = now;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}
