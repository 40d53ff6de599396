/* Queries for IMAP SEARCH (see store-imap.h). */
#include "store-imap.h"
#include "alloc.h"
#include "store-private.h"
#include "buffer.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* The loop's handle reads whole mailboxes (FETCH 1:*, SEARCH over the
   text): a page cache of up to 256 MiB instead of the default, enough
   for the message rows of a 100,000-message mailbox (FETCH 1:*
   BODYSTRUCTURE there: 84 ms with 64 MiB, 67 ms with 256). It is memory
   only for pages read, and SQLite empties it whenever another handle
   commits, so a busy server keeps little in it (imaptest's mix ran the
   same with either). Memory-mapping the index was faster for a mailbox
   nobody writes to, but page faults on every remapped page made a busy
   server twice as slow. */
int store_imap_tune(struct store *store)
{
	return store_exec(store, "PRAGMA cache_size = -262144");
}

/*
 * The iterators read a UID range in pages (1,024 rows: 2 MB of envelopes at
 * most) on PostgreSQL: its results come
 * whole, and IMAP's FETCH stops after a batch and starts again from the
 * next UID, so an unpaged read would fetch the rest of the range again at
 * every batch (and hold all of it in memory). On SQLite rows are read as
 * they are stepped, so a page is the whole range.
 */
#define STORE_IMAP_PAGE_ROWS 1024
unsigned int store_imap_page_rows = STORE_IMAP_PAGE_ROWS;

struct store_imap_page {
	int64_t mailbox_id;
	uint32_t hi;
	uint32_t last_uid;
	unsigned int rows;      /* read from the current page */
	int64_t limit;          /* rows a page asks for; -1: no limit */
};

static void store_imap_page_init(struct store *store, struct db_stmt *stmt,
				 struct store_imap_page *page, int64_t mailbox_id,
				 uint32_t lo, uint32_t hi)
{
	memset(page, 0, sizeof(*page));
	page->mailbox_id = mailbox_id;
	page->hi = hi;
	page->limit = db_kind(store->db) == DB_POSTGRESQL ? (int64_t)store_imap_page_rows : -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, lo);
	db_bind_int64(stmt, 3, hi);
	db_bind_int64(stmt, 4, page->limit);
}

/* The next row, going on to the next page when a full one ends. */
static int store_imap_page_step(struct db_stmt *stmt, struct store_imap_page *page)
{
	int rc = db_step(stmt);

	if (rc == DB_DONE && page->limit > 0 && page->rows == (unsigned int)page->limit &&
	    page->last_uid < page->hi) {
		db_reset(stmt);
		db_bind_int64(stmt, 1, page->mailbox_id);
		db_bind_int64(stmt, 2, (int64_t)page->last_uid + 1);
		db_bind_int64(stmt, 3, page->hi);
		db_bind_int64(stmt, 4, page->limit);
		page->rows = 0;
		rc = db_step(stmt);
	}
	if (rc == DB_ROW) {
		page->rows++;
		page->last_uid = (uint32_t)db_column_int64(stmt, 0);
	}
	return rc;
}

struct store_imap_iter {
	struct store *store;
	struct db_stmt *stmt;
	struct store_imap_page page;
	int slot;
	bool failed;
};

/*
 * The iterators' statements are prepared once per store handle and slot
 * (preparing costs more than a short FETCH itself) and kept while no
 * iterator uses them; an iterator that finds its slot taken (one still
 * open on this handle) prepares a statement of its own.
 */
#define ITER_SLOT_SEARCH (STORE_ITER_STMTS - 1)

static struct db_stmt *iter_stmt_take(struct store *store, unsigned int slot,
				    const char *sql, int *slot_r)
{
	struct db_stmt *stmt;
	int rc;

	*slot_r = -1;
	if ((store->iter_busy & ((uint64_t)1 << slot)) != 0) {
		rc = db_prepare(store->db, sql, false, &stmt);
		return rc == DB_OK ? stmt : NULL;
	}
	if (store->iter_stmts[slot] == NULL) {
		rc = db_prepare(store->db, sql, true, &store->iter_stmts[slot]);
		if (rc != DB_OK)
			return NULL;
	}
	store->iter_busy |= (uint64_t)1 << slot;
	*slot_r = (int)slot;
	return store->iter_stmts[slot];
}

static void iter_stmt_release(struct store *store, struct db_stmt *stmt, int slot)
{
	if (slot < 0) {
		db_finalize(stmt);
		return;
	}
	db_reset(stmt);
	db_clear_bindings(stmt);
	store->iter_busy &= ~((uint64_t)1 << slot);
}

struct store_imap_iter *store_imap_search_iter_init(struct store *store,
						    int64_t mailbox_id,
						    uint32_t lo, uint32_t hi)
{
	static const char sql[] =
		"SELECT uid, modseq, flags, keywords, internaldate, internaldate_tz,"
		" vsize, sent_time, sent_date FROM messages"
		" WHERE id BETWEEN " STORE_MESSAGE_ROWID("?1", "?2")
		" AND " STORE_MESSAGE_ROWID("?1", "?3") " ORDER BY id LIMIT ?4";
	struct store_imap_iter *iter = xcalloc(1, sizeof(*iter));

	iter->store = store;
	iter->stmt = iter_stmt_take(store, ITER_SLOT_SEARCH, sql, &iter->slot);
	if (iter->stmt == NULL) {
		store_fail_db(store, db_errcode(store->db), "search iterator");
		iter->failed = true;
		return iter;
	}
	store_imap_page_init(store, iter->stmt, &iter->page, mailbox_id, lo, hi);
	return iter;
}

int store_imap_search_iter_next(struct store_imap_iter *iter,
				struct store_imap_search_row *row_r)
{
	struct db_stmt *stmt = iter->stmt;
	int rc;

	if (iter->failed)
		return -1;
	rc = store_imap_page_step(stmt, &iter->page);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW) {
		iter->failed = true;
		return store_fail_db(iter->store, rc, "search iterate");
	}
	row_r->uid = (uint32_t)db_column_int64(stmt, 0);
	row_r->modseq = (uint64_t)db_column_int64(stmt, 1);
	row_r->flags = (uint32_t)db_column_int(stmt, 2);
	row_r->keywords = (const char *)db_column_text(stmt, 3);
	row_r->internaldate = (time_t)db_column_int64(stmt, 4);
	row_r->internaldate_tz = db_column_int(stmt, 5);
	row_r->vsize = (uint64_t)db_column_int64(stmt, 6);
	row_r->sent_time = (time_t)db_column_int64(stmt, 7);
	row_r->sent_date = (const char *)db_column_text(stmt, 8);
	return 1;
}

void store_imap_search_iter_deinit(struct store_imap_iter **_iter)
{
	struct store_imap_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	if (iter->stmt != NULL)
		iter_stmt_release(iter->store, iter->stmt, iter->slot);
	free(iter);
}

int store_imap_search_headers(struct store *store, int64_t mailbox_id,
			      const char *needle, store_imap_header_cb *cb,
			      void *context)
{
	/* one pass over this mailbox's messages and their decoded headers;
	   LIKE is ASCII case-insensitive as SEARCH wants */
	static const char sql[] =
		"SELECT m.uid, t.headers FROM messages m JOIN blob_text t"
		" ON t.id = m.blob_id WHERE m.mailbox_id = ?"
		" AND t.headers LIKE ? ESCAPE '\\' ORDER BY m.uid";
	struct db_stmt *stmt = store_stmt(store, sql);
	char *pattern;
	int rc;

	if (stmt == NULL)
		return -1;
	pattern = store_like_pattern(needle);
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_text(stmt, 2, pattern, -1, DB_TRANSIENT);
	free(pattern);
	while ((rc = db_step(stmt)) == DB_ROW)
		cb(context, (uint32_t)db_column_int64(stmt, 0),
		   (const char *)db_column_text(stmt, 1));
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "search headers");
	return 0;
}

int store_imap_count_above(struct store *store, int64_t mailbox_id, uint32_t uid,
			   uint32_t *count_r)
{
	static const char sql[] =
		"SELECT count(*) FROM messages WHERE mailbox_id = ? AND uid > ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	*count_r = 0;
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	rc = db_step(stmt);
	if (rc == DB_ROW)
		*count_r = (uint32_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	if (rc != DB_ROW)
		return store_fail_db(store, rc, "count messages");
	return 0;
}

struct store_imap_fetch_iter {
	struct store *store;
	struct db_stmt *stmt;
	struct store_imap_page page;
	unsigned int fields;
	int slot;                 /* in store->iter_stmts, or -1: ours alone */
	bool failed;
};

/* The fetch statement's slot: one per combination of the optional
   columns (the SQL text is built from them). */
static unsigned int fetch_stmt_slot(unsigned int fields)
{
	return ((fields & STORE_FIELD_SIZES) != 0 ? 1 : 0) |
		((fields & STORE_FIELD_ENVELOPE) != 0 ? 2 : 0) |
		((fields & STORE_FIELD_BODYSTRUCTURE) != 0 ? 4 : 0) |
		((fields & STORE_FIELD_BLOB) != 0 ? 8 : 0) |
		((fields & STORE_FIELD_HEADERS) != 0 ? 16 : 0);
}

struct store_imap_fetch_iter *store_imap_fetch_iter_init(struct store *store,
							 int64_t mailbox_id,
							 uint32_t lo, uint32_t hi,
							 unsigned int fields)
{
	struct store_imap_fetch_iter *iter = xcalloc(1, sizeof(*iter));
	struct buffer sql;

	iter->store = store;
	iter->fields = fields;
	/* the column order is fixed; absent ones are NULL constants */
	buffer_init(&sql, 0);
	buffer_append_str(&sql, "SELECT m.uid, m.modseq, m.flags, m.keywords");
	buffer_append_str(&sql, (fields & STORE_FIELD_SIZES) != 0 ?
			  ", m.internaldate, m.internaldate_tz, m.size, m.vsize,"
			  " m.header_size, m.crlf" : ", 0, 0, 0, 0, 0, 0");
	buffer_append_str(&sql, (fields & STORE_FIELD_ENVELOPE) != 0 ?
			  ", m.envelope" : ", NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BODYSTRUCTURE) != 0 ?
			  ", m.bodystructure, m.body" : ", NULL, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BLOB) != 0 ?
			  ", b.name, m.parts" : ", NULL, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_SIZES) != 0 ?
			  ", m.sent_time" : ", 0");
	buffer_append_str(&sql, (fields & STORE_FIELD_HEADERS) != 0 ?
			  ", t.headers" : ", NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BLOB) != 0 ?
			  " FROM messages m JOIN blobs b ON b.id = m.blob_id" :
			  " FROM messages m");
	if ((fields & STORE_FIELD_HEADERS) != 0)
		buffer_append_str(&sql, " LEFT JOIN blob_text t ON t.id = m.blob_id");
	/* the UID range as a range of ids (STORE_MESSAGE_ROWID): one walk of
	   the table, in UID order */
	buffer_append_str(&sql, " WHERE m.id BETWEEN " STORE_MESSAGE_ROWID("?1", "?2")
			  " AND " STORE_MESSAGE_ROWID("?1", "?3") " ORDER BY m.id LIMIT ?4");
	iter->stmt = iter_stmt_take(store, fetch_stmt_slot(fields), sql.data, &iter->slot);
	buffer_free(&sql);
	if (iter->stmt == NULL) {
		store_fail_db(store, db_errcode(store->db), "fetch iterator");
		iter->failed = true;
		return iter;
	}
	store_imap_page_init(store, iter->stmt, &iter->page, mailbox_id, lo, hi);
	return iter;
}

int store_imap_fetch_iter_next(struct store_imap_fetch_iter *iter,
			       struct store_message *msg_r)
{
	struct db_stmt *stmt = iter->stmt;
	int rc;

	if (iter->failed)
		return -1;
	rc = store_imap_page_step(stmt, &iter->page);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW) {
		iter->failed = true;
		return store_fail_db(iter->store, rc, "fetch iterate");
	}
	memset(msg_r, 0, sizeof(*msg_r));
	msg_r->uid = (uint32_t)db_column_int64(stmt, 0);
	msg_r->modseq = (uint64_t)db_column_int64(stmt, 1);
	msg_r->flags = (uint32_t)db_column_int(stmt, 2);
	msg_r->keywords = (const char *)db_column_text(stmt, 3);
	msg_r->internaldate = (time_t)db_column_int64(stmt, 4);
	msg_r->internaldate_tz = db_column_int(stmt, 5);
	msg_r->size = (uint64_t)db_column_int64(stmt, 6);
	msg_r->vsize = (uint64_t)db_column_int64(stmt, 7);
	msg_r->header_size = (uint32_t)db_column_int64(stmt, 8);
	msg_r->crlf = db_column_int(stmt, 9) != 0;
	msg_r->envelope = (const char *)db_column_text(stmt, 10);
	msg_r->bodystructure = (const char *)db_column_text(stmt, 11);
	msg_r->body = (const char *)db_column_text(stmt, 12);
	msg_r->blob = (const char *)db_column_text(stmt, 13);
	msg_r->parts = (const char *)db_column_text(stmt, 14);
	msg_r->sent_time = (time_t)db_column_int64(stmt, 15);
	msg_r->headers = (const char *)db_column_text(stmt, 16);
	return 1;
}

void store_imap_fetch_iter_deinit(struct store_imap_fetch_iter **_iter)
{
	struct store_imap_fetch_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	if (iter->stmt != NULL)
		iter_stmt_release(iter->store, iter->stmt, iter->slot);
	free(iter);
}

int store_imap_job_begin(struct store *store)
{
	return store_exec_static(store, "SAVEPOINT imap_job");
}

void store_imap_job_end(struct store *store, bool ok)
{
	if (!ok) {
		enum store_error error = store->error;
		char detail[sizeof(store->error_detail)];

		memcpy(detail, store->error_detail, sizeof(detail));
		store_exec_static(store, "ROLLBACK TO imap_job");
		store->txn_failed = false;
		store->blobs_maybe_unused = false;
		store->error = error;
		memcpy(store->error_detail, detail, sizeof(detail));
	}
	store_exec_static(store, "RELEASE imap_job");
}

void store_imap_blob_dirty(struct store *store, const char *blob)
{
	unsigned int idx = 0;

	for (int i = 0; i < 2 && blob[i] != '\0'; i++) {
		char c = blob[i];

		idx = idx * 16 + (unsigned int)(c >= 'a' ? c - 'a' + 10 : c - '0');
	}
	idx &= 0xff;
	store->dirty_dirs[idx / 8] |= (unsigned char)(1u << (idx % 8));
	store->dirty_any = true;
}

uint64_t store_imap_now_msecs(void)
{
	return db_now_msecs();
}

void store_imap_set_deadline(struct store *store, uint64_t deadline_msecs)
{
	db_set_deadline(store->db, deadline_msecs);
}

bool store_imap_header_has(const char *headers, const char *field,
			   const char *value)
{
	size_t flen = strlen(field), vlen = strlen(value);
	const char *p = headers;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '\n');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > flen && p[flen] == ':' && mem_iequal(p, field, flen)) {
			const char *v = p + flen + 1;
			size_t rest = len - flen - 1;

			if (vlen == 0 || mem_imem(v, rest, value, vlen) != NULL)
				return true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}
