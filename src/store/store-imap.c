/* Queries for IMAP SEARCH (see store-imap.h). */
#include "store-imap.h"
#include "store-private.h"
#include "fatal.h"

#include <stdlib.h>
#include <string.h>

struct store_imap_iter {
	struct store *store;
	sqlite3_stmt *stmt;
	bool failed;
};

struct store_imap_iter *store_imap_search_iter_init(struct store *store,
						    int64_t mailbox_id,
						    uint32_t lo, uint32_t hi)
{
	static const char sql[] =
		"SELECT uid, modseq, flags, keywords, internaldate, internaldate_tz,"
		" vsize, sent_time, sent_date FROM messages"
		" WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid";
	struct store_imap_iter *iter = calloc(1, sizeof(*iter));
	int rc;

	if (iter == NULL)
		fatal_oom();
	iter->store = store;
	rc = sqlite3_prepare_v2(store->db, sql, -1, &iter->stmt, NULL);
	if (rc != SQLITE_OK) {
		store_fail_sqlite(store, rc, "search iterator");
		iter->failed = true;
		return iter;
	}
	sqlite3_bind_int64(iter->stmt, 1, mailbox_id);
	sqlite3_bind_int64(iter->stmt, 2, lo);
	sqlite3_bind_int64(iter->stmt, 3, hi);
	return iter;
}

int store_imap_search_iter_next(struct store_imap_iter *iter,
				struct store_imap_search_row *row_r)
{
	sqlite3_stmt *stmt = iter->stmt;
	int rc;

	if (iter->failed)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		iter->failed = true;
		return store_fail_sqlite(iter->store, rc, "search iterate");
	}
	row_r->uid = (uint32_t)sqlite3_column_int64(stmt, 0);
	row_r->modseq = (uint64_t)sqlite3_column_int64(stmt, 1);
	row_r->flags = (uint32_t)sqlite3_column_int(stmt, 2);
	row_r->keywords = (const char *)sqlite3_column_text(stmt, 3);
	row_r->internaldate = (time_t)sqlite3_column_int64(stmt, 4);
	row_r->internaldate_tz = sqlite3_column_int(stmt, 5);
	row_r->vsize = (uint64_t)sqlite3_column_int64(stmt, 6);
	row_r->sent_time = (time_t)sqlite3_column_int64(stmt, 7);
	row_r->sent_date = (const char *)sqlite3_column_text(stmt, 8);
	return 1;
}

void store_imap_search_iter_deinit(struct store_imap_iter **_iter)
{
	struct store_imap_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	sqlite3_finalize(iter->stmt);
	free(iter);
}

/* LIKE pattern for a substring: %, _ and the escape are escaped. */
static char *store_imap_like(const char *needle)
{
	size_t len = strlen(needle);
	char *pattern = malloc(len * 2 + 3), *w = pattern;

	if (pattern == NULL)
		fatal_oom();
	*w++ = '%';
	for (const char *p = needle; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*w++ = '\\';
		*w++ = *p;
	}
	*w++ = '%';
	*w = '\0';
	return pattern;
}

int store_imap_search_headers(struct store *store, int64_t mailbox_id,
			      const char *needle, store_imap_header_cb *cb,
			      void *context)
{
	/* the trigram index answers LIKE '%needle%' for needles of three
	   characters or more; shorter ones scan, which is still right */
	static const char sql[] =
		"SELECT m.uid, t.headers FROM messages m JOIN blob_text t"
		" ON t.rowid = m.blob_id WHERE m.mailbox_id = ? AND m.blob_id IN"
		" (SELECT rowid FROM blob_text WHERE headers LIKE ? ESCAPE '\\')"
		" ORDER BY m.uid";
	sqlite3_stmt *stmt = store_stmt(store, sql);
	char *pattern;
	int rc;

	if (stmt == NULL)
		return -1;
	pattern = store_imap_like(needle);
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_text(stmt, 2, pattern, -1, SQLITE_TRANSIENT);
	free(pattern);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		cb(context, (uint32_t)sqlite3_column_int64(stmt, 0),
		   (const char *)sqlite3_column_text(stmt, 1));
	sqlite3_reset(stmt);
	if (rc != SQLITE_DONE)
		return store_fail_sqlite(store, rc, "search headers");
	return 0;
}

int store_imap_count_above(struct store *store, int64_t mailbox_id, uint32_t uid,
			   uint32_t *count_r)
{
	static const char sql[] =
		"SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid > ?";
	sqlite3_stmt *stmt = store_stmt(store, sql);
	int rc;

	*count_r = 0;
	if (stmt == NULL)
		return -1;
	sqlite3_bind_int64(stmt, 1, mailbox_id);
	sqlite3_bind_int64(stmt, 2, uid);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*count_r = (uint32_t)sqlite3_column_int64(stmt, 0);
	sqlite3_reset(stmt);
	if (rc != SQLITE_ROW)
		return store_fail_sqlite(store, rc, "count messages");
	return 0;
}
