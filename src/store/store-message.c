/*
 * Messages: reading (iterators over UID ranges), flags with modseqs,
 * expunge, copy, change tracking for IMAP and full-text search.
 */
#include "store-private.h"
#include "alloc.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MESSAGE_COLUMNS \
	"m.uid, m.modseq, m.flags, m.keywords, m.internaldate, m.internaldate_tz," \
	" m.save_date, m.size, m.vsize, m.header_size, m.crlf, b.name, m.envelope," \
	" m.bodystructure, m.body, m.sent_date, m.sent_time, m.message_id, m.parts"

static const char sql_get_all[] =
	"SELECT " MESSAGE_COLUMNS " FROM messages m JOIN blobs b ON b.id = m.blob_id"
	" WHERE m.mailbox_id = ? AND m.uid = ?";

static const char *col_text_nocopy(struct db_stmt *stmt, int col)
{
	return (const char *)db_column_text(stmt, col);
}

static void store_message_fill_state(struct db_stmt *stmt, struct store_message *msg)
{
	memset(msg, 0, sizeof(*msg));
	msg->uid = (uint32_t)db_column_int64(stmt, 0);
	msg->modseq = (uint64_t)db_column_int64(stmt, 1);
	msg->flags = (uint32_t)db_column_int(stmt, 2);
	msg->keywords = col_text_nocopy(stmt, 3);
}

static void store_message_fill_all(struct db_stmt *stmt, struct store_message *msg)
{
	store_message_fill_state(stmt, msg);
	msg->internaldate = (time_t)db_column_int64(stmt, 4);
	msg->internaldate_tz = db_column_int(stmt, 5);
	msg->save_date = (time_t)db_column_int64(stmt, 6);
	msg->size = (uint64_t)db_column_int64(stmt, 7);
	msg->vsize = (uint64_t)db_column_int64(stmt, 8);
	msg->header_size = (uint32_t)db_column_int64(stmt, 9);
	msg->crlf = db_column_int(stmt, 10) != 0;
	msg->blob = col_text_nocopy(stmt, 11);
	msg->envelope = col_text_nocopy(stmt, 12);
	msg->bodystructure = col_text_nocopy(stmt, 13);
	msg->body = col_text_nocopy(stmt, 14);
	msg->sent_date = col_text_nocopy(stmt, 15);
	msg->sent_time = (time_t)db_column_int64(stmt, 16);
	msg->message_id = col_text_nocopy(stmt, 17);
	msg->parts = col_text_nocopy(stmt, 18);
}

/* --- the message iterator --- */

/*
 * One iterator for every reader of a UID range (IMAP FETCH and SEARCH, the
 * web access, import, the store itself). It reads only the columns its
 * fields ask for (FETCH of 100,000 envelopes must not drag the body
 * structures through the database), in the table's order (the message ids
 * are the UID range as one range, STORE_MESSAGE_ROWID), in pages of
 * store_message_page_rows on PostgreSQL: its results come whole, and IMAP's
 * FETCH stops after a batch and starts again from the next UID, so an
 * unpaged read would fetch the rest of the range again at every batch (and
 * hold all of it in memory). On SQLite rows are read as they are stepped,
 * so a page is the whole range.
 *
 * The statements are prepared once per store handle and column set
 * (preparing costs more than a short FETCH itself) and kept while no
 * iterator uses them; an iterator that finds its statement taken (one
 * still open on this handle: COPY while iterating) prepares its own.
 */
#define STORE_MESSAGE_PAGE_ROWS 1024
unsigned int store_message_page_rows = STORE_MESSAGE_PAGE_ROWS;

struct store_message_iter {
	struct store *store;
	struct db_stmt *stmt;
	unsigned int fields;
	int slot;                 /* in store->iter_stmts, or -1: ours alone */
	bool failed;
	/* the page */
	int64_t mailbox_id;
	uint32_t hi;
	uint32_t last_uid;
	unsigned int rows;        /* read from the current page */
	int64_t limit;            /* rows a page asks for; -1: no limit */
};

/* The statement's slot: one per combination of the optional columns. */
static unsigned int iter_slot(unsigned int fields)
{
	return ((fields & STORE_FIELD_SIZES) != 0 ? 1 : 0) |
		((fields & STORE_FIELD_ENVELOPE) != 0 ? 2 : 0) |
		((fields & STORE_FIELD_BODYSTRUCTURE) != 0 ? 4 : 0) |
		((fields & STORE_FIELD_BLOB) != 0 ? 8 : 0) |
		((fields & STORE_FIELD_HEADERS) != 0 ? 16 : 0);
}

static struct db_stmt *iter_stmt_take(struct store *store, unsigned int slot,
				      const char *sql, int *slot_r)
{
	struct db_stmt *stmt;

	*slot_r = -1;
	if ((store->iter_busy & ((uint64_t)1 << slot)) != 0)
		return db_prepare(store->db, sql, false, &stmt) == DB_OK ? stmt : NULL;
	if (store->iter_stmts[slot] == NULL &&
	    db_prepare(store->db, sql, true, &store->iter_stmts[slot]) != DB_OK)
		return NULL;
	store->iter_busy |= (uint64_t)1 << slot;
	*slot_r = (int)slot;
	return store->iter_stmts[slot];
}

/* The SQL of a column set: the column order is fixed, absent columns are
   constants (heap memory). */
static char *iter_sql(unsigned int fields)
{
	struct buffer sql;

	buffer_init(&sql, 0);
	buffer_append_str(&sql, "SELECT m.uid, m.modseq, m.flags, m.keywords");
	buffer_append_str(&sql, (fields & STORE_FIELD_SIZES) != 0 ?
			  ", m.internaldate, m.internaldate_tz, m.save_date, m.size,"
			  " m.vsize, m.header_size, m.crlf, m.sent_time, m.sent_date" :
			  ", 0, 0, 0, 0, 0, 0, 0, 0, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_ENVELOPE) != 0 ?
			  ", m.envelope, m.message_id" : ", NULL, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BODYSTRUCTURE) != 0 ?
			  ", m.bodystructure, m.body" : ", NULL, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BLOB) != 0 ?
			  ", b.name, m.parts" : ", NULL, NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_HEADERS) != 0 ?
			  ", t.headers" : ", NULL");
	buffer_append_str(&sql, (fields & STORE_FIELD_BLOB) != 0 ?
			  " FROM messages m JOIN blobs b ON b.id = m.blob_id" :
			  " FROM messages m");
	if ((fields & STORE_FIELD_HEADERS) != 0)
		buffer_append_str(&sql, " LEFT JOIN blob_text t ON t.id = m.blob_id");
	buffer_append_str(&sql, " WHERE m.id BETWEEN " STORE_MESSAGE_ROWID("?1", "?2")
			  " AND " STORE_MESSAGE_ROWID("?1", "?3") " ORDER BY m.id LIMIT ?4");
	buffer_append_c(&sql, '\0');
	return buffer_steal(&sql, NULL);
}

static void iter_bind_page(struct store_message_iter *iter, uint32_t lo)
{
	db_bind_int64(iter->stmt, 1, iter->mailbox_id);
	db_bind_int64(iter->stmt, 2, lo);
	db_bind_int64(iter->stmt, 3, iter->hi);
	db_bind_int64(iter->stmt, 4, iter->limit);
	iter->rows = 0;
}

struct store_message_iter *store_message_iter_init(struct store *store,
						   int64_t mailbox_id,
						   uint32_t lo, uint32_t hi,
						   unsigned int fields)
{
	struct store_message_iter *iter = xcalloc(1, sizeof(*iter));
	char *sql = iter_sql(fields);

	iter->store = store;
	iter->fields = fields;
	iter->stmt = iter_stmt_take(store, iter_slot(fields), sql, &iter->slot);
	free(sql);
	if (iter->stmt == NULL) {
		store_fail_db(store, db_errcode(store->db), "message iterator");
		iter->failed = true;
		return iter;
	}
	iter->mailbox_id = mailbox_id;
	iter->hi = hi;
	iter->limit = db_kind(store->db) == DB_POSTGRESQL ?
		(int64_t)store_message_page_rows : -1;
	iter_bind_page(iter, lo);
	return iter;
}

int store_message_iter_next(struct store_message_iter *iter,
			    struct store_message *msg_r)
{
	struct db_stmt *stmt = iter->stmt;
	int rc;

	if (iter->failed)
		return -1;
	rc = db_step(stmt);
	if (rc == DB_DONE && iter->limit > 0 &&
	    iter->rows == (unsigned int)iter->limit && iter->last_uid < iter->hi) {
		/* a full page ended: the next one */
		db_reset(stmt);
		iter_bind_page(iter, iter->last_uid + 1);
		rc = db_step(stmt);
	}
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW) {
		iter->failed = true;
		return store_fail_db(iter->store, rc, "iterate messages");
	}
	iter->rows++;
	iter->last_uid = (uint32_t)db_column_int64(stmt, 0);
	store_message_fill_state(stmt, msg_r);
	msg_r->internaldate = (time_t)db_column_int64(stmt, 4);
	msg_r->internaldate_tz = db_column_int(stmt, 5);
	msg_r->save_date = (time_t)db_column_int64(stmt, 6);
	msg_r->size = (uint64_t)db_column_int64(stmt, 7);
	msg_r->vsize = (uint64_t)db_column_int64(stmt, 8);
	msg_r->header_size = (uint32_t)db_column_int64(stmt, 9);
	msg_r->crlf = db_column_int(stmt, 10) != 0;
	msg_r->sent_time = (time_t)db_column_int64(stmt, 11);
	msg_r->sent_date = col_text_nocopy(stmt, 12);
	msg_r->envelope = col_text_nocopy(stmt, 13);
	msg_r->message_id = col_text_nocopy(stmt, 14);
	msg_r->bodystructure = col_text_nocopy(stmt, 15);
	msg_r->body = col_text_nocopy(stmt, 16);
	msg_r->blob = col_text_nocopy(stmt, 17);
	msg_r->parts = col_text_nocopy(stmt, 18);
	msg_r->headers = col_text_nocopy(stmt, 19);
	return 1;
}

void store_message_iter_deinit(struct store_message_iter **_iter)
{
	struct store_message_iter *iter = *_iter;

	if (iter == NULL)
		return;
	*_iter = NULL;
	if (iter->stmt != NULL && iter->slot < 0) {
		db_finalize(iter->stmt);
	} else if (iter->stmt != NULL) {
		db_reset(iter->stmt);
		db_clear_bindings(iter->stmt);
		iter->store->iter_busy &= ~((uint64_t)1 << iter->slot);
	}
	free(iter);
}

static void store_message_copy_strings(struct store_message *msg, struct pool *pool)
{
	msg->keywords = p_strdup(pool, msg->keywords);
	msg->blob = p_strdup(pool, msg->blob);
	msg->envelope = p_strdup(pool, msg->envelope);
	msg->bodystructure = p_strdup(pool, msg->bodystructure);
	msg->body = p_strdup(pool, msg->body);
	msg->sent_date = p_strdup(pool, msg->sent_date);
	msg->message_id = p_strdup(pool, msg->message_id);
	msg->parts = p_strdup(pool, msg->parts);
}

int store_message_get(struct store *store, int64_t mailbox_id, uint32_t uid,
		      unsigned int fields, struct pool *pool,
		      struct store_message *msg_r)
{
	struct db_stmt *stmt = store_stmt(store, sql_get_all);
	int rc;

	(void)fields;
	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	rc = db_step(stmt);
	if (rc == DB_ROW) {
		store_message_fill_all(stmt, msg_r);
		store_message_copy_strings(msg_r, pool);
		db_reset(stmt);
		return 1;
	}
	db_reset(stmt);
	if (rc == DB_DONE)
		return 0;
	return store_fail_db(store, rc, "get message");
}

/* Bump the mailbox's HIGHESTMODSEQ and return the new value. */
static int store_next_modseq(struct store *store, int64_t mailbox_id,
			     uint64_t *modseq_r)
{
	static const char sql[] =
		"UPDATE mailboxes SET highestmodseq = highestmodseq + 1"
		" WHERE id = ? RETURNING highestmodseq";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	if (store_step_row(store, stmt, "mailbox") < 0)
		return -1;
	*modseq_r = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	return 0;
}

/* Keywords as a set: split on spaces, merge or remove case-insensitively
   (RFC 3501 flags are case-insensitive), keep the first spelling. */
static bool keyword_in(const char *list, const char *kw, size_t kwlen)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == kwlen && mem_iequal(p, kw, len))
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

static const char *keywords_apply(struct pool *pool, const char *old,
				  enum store_flags_mode mode, const char *kws)
{
	struct { const char *p; size_t len; } out[256];
	unsigned int n = 0;
	size_t total = 0;
	const char *src[2];
	char *result, *w;

	if (mode == STORE_FLAGS_REPLACE) {
		src[0] = kws;
		src[1] = NULL;
	} else if (mode == STORE_FLAGS_ADD) {
		src[0] = old;
		src[1] = kws;
	} else {
		src[0] = old;
		src[1] = NULL;
	}
	for (int s = 0; s < 2; s++) {
		const char *p = src[s];

		while (p != NULL && *p != '\0') {
			const char *end = strchr(p, ' ');
			size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
			bool dup = false;

			if (len > 0) {
				for (unsigned int i = 0; i < n && !dup; i++)
					dup = out[i].len == len && mem_iequal(out[i].p, p, len);
				if (mode == STORE_FLAGS_REMOVE && keyword_in(kws, p, len))
					dup = true;
				if (!dup && n < 256) {
					out[n].p = p;
					out[n].len = len;
					total += len + 1;
					n++;
				}
			}
			p = end != NULL ? end + 1 : NULL;
		}
	}
	if (n == 0)
		return NULL;
	result = w = p_malloc(pool, total);
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0)
			*w++ = ' ';
		memcpy(w, out[i].p, out[i].len);
		w += out[i].len;
	}
	*w = '\0';
	return result;
}

static bool keywords_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || *a == '\0') && (b == NULL || *b == '\0');
	return strcmp(a, b) == 0;
}

int store_message_set_flags(struct store *store, int64_t mailbox_id,
			    uint32_t uid, enum store_flags_mode mode,
			    uint32_t flags, const char *keywords,
			    uint64_t unchangedsince, struct pool *pool,
			    struct store_flag_change *result_r)
{
	static const char sql_get[] =
		"SELECT flags, keywords, modseq FROM messages WHERE mailbox_id = ? AND uid = ?";
	static const char sql_set[] =
		"UPDATE messages SET flags = ?, keywords = ?, modseq = ?"
		" WHERE mailbox_id = ? AND uid = ?";
	struct db_stmt *stmt;
	uint32_t old_flags, new_flags;
	const char *old_keywords, *new_keywords;
	uint64_t modseq;
	int rc;

	memset(result_r, 0, sizeof(*result_r));
	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_get);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		if (rc == DB_DONE) {
			/* nothing written: end the (maybe nested)
			   transaction without failing the caller's */
			store_commit(store);
			return 0;
		}
		store_fail_db(store, rc, "get flags");
		goto failed;
	}
	old_flags = (uint32_t)db_column_int(stmt, 0);
	old_keywords = store_col_text(stmt, 1, pool);
	modseq = (uint64_t)db_column_int64(stmt, 2);
	db_reset(stmt);

	if (unchangedsince != 0 && modseq > unchangedsince) {
		/* RFC 7162 3.1.3: the message changed since the client
		   looked; refuse this one. */
		result_r->conflict = true;
		result_r->flags = old_flags;
		result_r->keywords = old_keywords;
		result_r->modseq = modseq;
		store_commit(store);
		return 1;
	}
	switch (mode) {
	case STORE_FLAGS_REPLACE:
		new_flags = flags & STORE_FLAGS_ALL;
		break;
	case STORE_FLAGS_ADD:
		new_flags = old_flags | (flags & STORE_FLAGS_ALL);
		break;
	case STORE_FLAGS_REMOVE:
	default:
		new_flags = old_flags & ~flags;
		break;
	}
	if (mode == STORE_FLAGS_REPLACE || (keywords != NULL && *keywords != '\0'))
		new_keywords = keywords_apply(pool, old_keywords, mode, keywords);
	else
		new_keywords = old_keywords;
	result_r->flags = new_flags;
	result_r->keywords = new_keywords;
	result_r->modseq = modseq;
	if (new_flags == old_flags && keywords_equal(new_keywords, old_keywords)) {
		store_commit(store);
		return 1;
	}
	if (store_next_modseq(store, mailbox_id, &modseq) < 0)
		goto failed;
	stmt = store_stmt(store, sql_set);
	if (stmt == NULL)
		goto failed;
	db_bind_int(stmt, 1, (int)new_flags);
	if (new_keywords != NULL)
		db_bind_text(stmt, 2, new_keywords, -1, DB_STATIC);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	db_bind_int64(stmt, 4, mailbox_id);
	db_bind_int64(stmt, 5, uid);
	if (store_step_done(store, stmt, "set flags") < 0)
		goto failed;
	if (store_commit(store) < 0)
		return -1;
	result_r->changed = true;
	result_r->modseq = modseq;
	return 1;
failed:
	store_rollback(store);
	return -1;
}

int store_message_expunge(struct store *store, int64_t mailbox_id, uint32_t uid)
{
	static const char sql_del[] =
		"DELETE FROM messages WHERE mailbox_id = ? AND uid = ?";
	static const char sql_record[] =
		"INSERT INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)"
		" ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq";
	struct db_stmt *stmt;
	uint64_t modseq;

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_del);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	if (store_step_done(store, stmt, "expunge") < 0)
		goto failed;
	if (db_changes(store->db) == 0) {
		store_commit(store);
		return 0;
	}
	if (store_next_modseq(store, mailbox_id, &modseq) < 0)
		goto failed;
	stmt = store_stmt(store, sql_record);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	if (store_step_done(store, stmt, "record expunge") < 0)
		goto failed;
	store->blobs_maybe_unused = true;
	if (store_commit(store) < 0)
		return -1;
	return 1;
failed:
	store_rollback(store);
	return -1;
}

/* Reserve the next UID and modseq of a mailbox. */
static int store_mailbox_reserve_uid(struct store *store, int64_t mailbox_id,
				     uint32_t *uid_r, uint64_t *modseq_r)
{
	static const char sql[] =
		"UPDATE mailboxes SET uidnext = uidnext + 1,"
		" highestmodseq = highestmodseq + 1"
		" WHERE id = ? RETURNING uidnext - 1, highestmodseq";
	struct db_stmt *stmt = store_stmt(store, sql);
	int64_t uid;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	if (store_step_row(store, stmt, "mailbox") < 0)
		return -1;
	uid = db_column_int64(stmt, 0);
	*modseq_r = (uint64_t)db_column_int64(stmt, 1);
	db_reset(stmt);
	if (uid >= (int64_t)UINT32_MAX)
		return store_fail(store, STORE_ERROR_LIMIT, "mailbox ran out of UIDs");
	*uid_r = (uint32_t)uid;
	return 0;
}

/*
 * A write refused by the quota wrote nothing: end this (maybe nested)
 * transaction without failing an enclosing one, which goes on with its
 * other messages (a delivery batch). Any other error fails it. -1 always.
 */
static int store_message_refused(struct store *store)
{
	enum store_error error = store->error;
	char detail[sizeof(store->error_detail)];

	if (error != STORE_ERROR_OVER_QUOTA) {
		store_rollback(store);
		return -1;
	}
	memcpy(detail, store->error_detail, sizeof(detail));
	(void)store_commit(store);
	store->error = error;
	memcpy(store->error_detail, detail, sizeof(detail));
	return -1;
}

/* The quota check for copying a message into dst: its size is needed. */
static int store_message_copy_check(struct store *store, int64_t src_mailbox_id,
				    uint32_t uid, int64_t dst_mailbox_id)
{
	static const char sql[] =
		"SELECT vsize FROM messages WHERE mailbox_id = ? AND uid = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	uint64_t vsize;

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, src_mailbox_id);
	db_bind_int64(stmt, 2, uid);
	if (store_step_row(store, stmt, "such message") < 0)
		return -1;
	vsize = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	return store_quota_check(store, dst_mailbox_id, vsize, 1);
}

static int store_message_copy_row(struct store *store, int64_t src_mailbox_id,
				  uint32_t uid, int64_t dst_mailbox_id,
				  uint32_t *new_uid_r)
{
	static const char sql[] =
		"INSERT INTO messages (id, mailbox_id, uid, modseq, flags, keywords,"
		" internaldate, internaldate_tz, save_date, size, vsize, header_size,"
		" crlf, blob_id, envelope, bodystructure, body, message_id, sent_date,"
		" sent_time, parts)"
		" SELECT " STORE_MESSAGE_ROWID("?1", "?2") ", ?1, ?2, ?3, flags,"
		" keywords, internaldate, internaldate_tz, ?4,"
		" size, vsize, header_size, crlf, blob_id, envelope, bodystructure,"
		" body, message_id, sent_date, sent_time, parts"
		" FROM messages WHERE mailbox_id = ?5 AND uid = ?6";
	struct db_stmt *stmt;
	uint64_t modseq;

	if (store_begin(store) < 0)
		return -1;
	if (store_mailbox_reserve_uid(store, dst_mailbox_id, new_uid_r, &modseq) < 0)
		goto failed;
	stmt = store_stmt(store, sql);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, dst_mailbox_id);
	db_bind_int64(stmt, 2, *new_uid_r);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	db_bind_int64(stmt, 4, (int64_t)time(NULL));
	db_bind_int64(stmt, 5, src_mailbox_id);
	db_bind_int64(stmt, 6, uid);
	if (store_step_done(store, stmt, "copy message") < 0)
		goto failed;
	if (db_changes(store->db) == 0) {
		store_fail(store, STORE_ERROR_NOT_FOUND, "no message %u", uid);
		goto failed;
	}
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_message_copy(struct store *store, int64_t src_mailbox_id,
		       uint32_t uid, int64_t dst_mailbox_id, uint32_t *new_uid_r)
{
	if (store_begin(store) < 0)
		return -1;
	if (store_message_copy_check(store, src_mailbox_id, uid, dst_mailbox_id) < 0)
		return store_message_refused(store);
	if (store_message_copy_row(store, src_mailbox_id, uid, dst_mailbox_id,
				   new_uid_r) < 0) {
		store_rollback(store);
		return -1;
	}
	return store_commit(store);
}

int store_message_move(struct store *store, int64_t src_mailbox_id,
		       uint32_t uid, int64_t dst_mailbox_id, uint32_t *new_uid_r)
{
	static const char sql_owners[] =
		"SELECT COUNT(DISTINCT user_id) FROM mailboxes WHERE id IN (?, ?)";
	struct db_stmt *stmt;
	int64_t owners;
	int rc;

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_owners);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, src_mailbox_id);
	db_bind_int64(stmt, 2, dst_mailbox_id);
	rc = db_step(stmt);
	owners = rc == DB_ROW ? db_column_int64(stmt, 0) : 0;
	db_reset(stmt);
	if (rc != DB_ROW) {
		store_fail_db(store, rc == DB_DONE ? DB_ERROR : rc, "move owners");
		goto failed;
	}
	/* RFC 9208 leaves it to us: within one user the usage stays the same */
	if (owners > 1 &&
	    store_message_copy_check(store, src_mailbox_id, uid, dst_mailbox_id) < 0)
		return store_message_refused(store);
	if (store_message_copy_row(store, src_mailbox_id, uid, dst_mailbox_id,
				   new_uid_r) < 0)
		goto failed;
	rc = store_message_expunge(store, src_mailbox_id, uid);
	if (rc <= 0) {
		if (rc == 0)
			store_fail(store, STORE_ERROR_NOT_FOUND, "no message %u", uid);
		goto failed;
	}
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}

int store_mailbox_changes(struct store *store, int64_t mailbox_id,
			  uint64_t since_modseq, store_change_cb *changed,
			  store_vanished_cb *vanished, void *context)
{
	static const char sql_changed[] =
		"SELECT uid, modseq, flags, keywords FROM messages"
		" WHERE mailbox_id = ? AND modseq > ? ORDER BY uid";
	/* "+uid": without it SQLite walks the primary key to save the sort,
	   which is every expunge the mailbox ever had (QRESYNC keeps them)
	   instead of the few since the session last looked */
	static const char sql_vanished[] =
		"SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY +uid";
	struct db_stmt *stmt;
	int rc;

	/* One read transaction, so both lists are of the same moment. */
	if (store->txn_depth == 0 && store_exec_static(store, "BEGIN") < 0)
		return -1;
	if (vanished != NULL) {
		stmt = store_stmt(store, sql_vanished);
		if (stmt == NULL)
			goto failed;
		db_bind_int64(stmt, 1, mailbox_id);
		db_bind_int64(stmt, 2, (int64_t)since_modseq);
		while ((rc = db_step(stmt)) == DB_ROW)
			vanished(context, (uint32_t)db_column_int64(stmt, 0));
		db_reset(stmt);
		if (rc != DB_DONE) {
			store_fail_db(store, rc, "vanished");
			goto failed;
		}
	}
	if (changed != NULL) {
		stmt = store_stmt(store, sql_changed);
		if (stmt == NULL)
			goto failed;
		db_bind_int64(stmt, 1, mailbox_id);
		db_bind_int64(stmt, 2, (int64_t)since_modseq);
		while ((rc = db_step(stmt)) == DB_ROW) {
			struct store_message msg;

			store_message_fill_state(stmt, &msg);
			changed(context, &msg);
		}
		db_reset(stmt);
		if (rc != DB_DONE) {
			store_fail_db(store, rc, "changes");
			goto failed;
		}
	}
	if (store->txn_depth == 0)
		store_exec_static(store, "COMMIT");
	return 0;
failed:
	if (store->txn_depth == 0)
		store_exec_static(store, "ROLLBACK");
	return -1;
}

uint64_t store_mailbox_vanished_floor(struct store *store, int64_t mailbox_id)
{
	static const char sql[] = "SELECT vanished_floor FROM mailboxes WHERE id = ?";
	struct db_stmt *stmt = store_stmt(store, sql);
	uint64_t floor = 0;

	if (stmt == NULL)
		return 0;
	db_bind_int64(stmt, 1, mailbox_id);
	if (db_step(stmt) == DB_ROW)
		floor = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	return floor;
}

char *store_like_pattern(const char *needle)
{
	size_t len = strlen(needle);
	char *pattern = xmalloc(len * 2 + 3), *w = pattern;

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

int store_search_text(struct store *store, int64_t mailbox_id,
		      const char *needle, bool include_headers,
		      store_uid_cb *cb, void *context)
{
	/* LIKE is ASCII case-insensitive, which is what IMAP SEARCH asks
	   for (RFC 9051 6.4.4); the scan walks this mailbox's messages in UID
	   order and looks at each one's text once. */
	static const char sql_body[] =
		"SELECT m.uid FROM messages m JOIN blob_text t ON t.id = m.blob_id"
		" WHERE m.mailbox_id = ? AND t.body LIKE ? ESCAPE '\\'"
		" ORDER BY m.uid";
	static const char sql_text[] =
		"SELECT m.uid FROM messages m JOIN blob_text t ON t.id = m.blob_id"
		" WHERE m.mailbox_id = ?1 AND (t.body LIKE ?2 ESCAPE '\\'"
		" OR t.headers LIKE ?2 ESCAPE '\\') ORDER BY m.uid";
	struct db_stmt *stmt = store_stmt(store, include_headers ? sql_text : sql_body);
	char *pattern;
	int rc;

	if (stmt == NULL)
		return -1;
	pattern = store_like_pattern(needle);
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_text(stmt, 2, pattern, -1, DB_TRANSIENT);
	free(pattern);
	while ((rc = db_step(stmt)) == DB_ROW)
		cb(context, (uint32_t)db_column_int64(stmt, 0));
	db_reset(stmt);
	if (rc != DB_DONE)
		return store_fail_db(store, rc, "search text");
	return 0;
}

/* Take a UID the caller chose (an import keeping its UIDs): it must not
   be below UIDNEXT, which moves past it. */
static int store_mailbox_take_uid(struct store *store, int64_t mailbox_id,
				  uint32_t uid, uint64_t *modseq_r)
{
	static const char sql[] =
		"UPDATE mailboxes SET uidnext = ?2 + 1,"
		" highestmodseq = highestmodseq + 1"
		" WHERE id = ?1 AND uidnext <= ?2 RETURNING highestmodseq";
	struct db_stmt *stmt = store_stmt(store, sql);
	int rc;

	if (stmt == NULL)
		return -1;
	if (uid == 0 || uid == UINT32_MAX)
		return store_fail(store, STORE_ERROR_INVALID, "UID %u out of range", uid);
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uid);
	rc = db_step(stmt);
	if (rc != DB_ROW) {
		db_reset(stmt);
		if (rc == DB_DONE)
			return store_fail(store, STORE_ERROR_EXISTS,
					  "UID %u is below the mailbox's UIDNEXT", uid);
		return store_fail_db(store, rc, "take uid");
	}
	*modseq_r = (uint64_t)db_column_int64(stmt, 0);
	db_reset(stmt);
	return 0;
}

int store_message_add(struct store *store, int64_t mailbox_id, const char *blob,
		      const struct store_message_meta *meta, uint32_t flags,
		      const char *keywords, time_t internaldate,
		      int internaldate_tz, uint32_t *uid_r)
{
	if (store_begin(store) < 0)
		return -1;
	if (store_quota_check(store, mailbox_id, meta->vsize, 1) < 0)
		return store_message_refused(store);
	if (store_message_add_uid(store, mailbox_id, blob, meta, flags,
				  keywords, internaldate, internaldate_tz,
				  0, uid_r) < 0) {
		store_rollback(store);
		return -1;
	}
	return store_commit(store);
}

int store_message_add_uid(struct store *store, int64_t mailbox_id,
			  const char *blob, const struct store_message_meta *meta,
			  uint32_t flags, const char *keywords,
			  time_t internaldate, int internaldate_tz,
			  uint32_t want_uid, uint32_t *uid_r)
{
	/* one statement whether the blob is new or not: several recipients
	   of one LMTP transaction share one blob (a round trip less per
	   delivery on PostgreSQL) */
	static const char sql_blob[] =
		"INSERT INTO blobs (name, refs) VALUES (?, 0)"
		" ON CONFLICT (name) DO UPDATE SET refs = blobs.refs RETURNING id";
	static const char sql_text[] =
		"INSERT INTO blob_text (id, headers, body) VALUES (?, ?, ?)"
		" ON CONFLICT DO NOTHING";
	static const char sql_msg[] =
		"INSERT INTO messages (id, mailbox_id, uid, modseq, flags, keywords,"
		" internaldate, internaldate_tz, save_date, size, vsize, header_size,"
		" crlf, blob_id, envelope, bodystructure, body, message_id, sent_date,"
		" sent_time, parts)"
		" VALUES (" STORE_MESSAGE_ROWID("?1", "?2") ", ?1, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
	struct db_stmt *stmt;
	int64_t blob_id;
	uint64_t modseq = 0;
	time_t now = time(NULL);

	if (store_begin(store) < 0)
		return -1;
	stmt = store_stmt(store, sql_blob);
	if (stmt == NULL)
		goto failed;
	db_bind_text(stmt, 1, blob, -1, DB_STATIC);
	if (store_step_id(store, stmt, "add blob", &blob_id) < 0)
		goto failed;

	if (meta->text != NULL || meta->headers != NULL) {
		stmt = store_stmt(store, sql_text);
		if (stmt == NULL)
			goto failed;
		db_bind_int64(stmt, 1, blob_id);
		db_bind_text(stmt, 2, meta->headers != NULL ? meta->headers : "",
				  -1, DB_STATIC);
		db_bind_text(stmt, 3, meta->text != NULL ? meta->text : "",
				  -1, DB_STATIC);
		if (store_step_done(store, stmt, "add text") < 0)
			goto failed;
	}

	if (want_uid != 0) {
		if (store_mailbox_take_uid(store, mailbox_id, want_uid, &modseq) < 0)
			goto failed;
		*uid_r = want_uid;
	} else if (store_mailbox_reserve_uid(store, mailbox_id, uid_r, &modseq) < 0) {
		goto failed;
	}
	stmt = store_stmt(store, sql_msg);
	if (stmt == NULL)
		goto failed;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, *uid_r);
	db_bind_int64(stmt, 3, (int64_t)modseq);
	db_bind_int(stmt, 4, (int)(flags & STORE_FLAGS_ALL));
	if (keywords != NULL && *keywords != '\0')
		db_bind_text(stmt, 5, keywords, -1, DB_STATIC);
	db_bind_int64(stmt, 6, (int64_t)(internaldate != 0 ? internaldate : now));
	db_bind_int(stmt, 7, internaldate_tz);
	db_bind_int64(stmt, 8, (int64_t)now);
	db_bind_int64(stmt, 9, (int64_t)meta->size);
	db_bind_int64(stmt, 10, (int64_t)meta->vsize);
	db_bind_int64(stmt, 11, meta->header_size);
	db_bind_int(stmt, 12, meta->crlf ? 1 : 0);
	db_bind_int64(stmt, 13, blob_id);
	db_bind_text(stmt, 14, meta->envelope, -1, DB_STATIC);
	db_bind_text(stmt, 15, meta->bodystructure, -1, DB_STATIC);
	db_bind_text(stmt, 16, meta->body, -1, DB_STATIC);
	if (meta->message_id != NULL)
		db_bind_text(stmt, 17, meta->message_id, -1, DB_STATIC);
	if (meta->sent_date != NULL)
		db_bind_text(stmt, 18, meta->sent_date, -1, DB_STATIC);
	db_bind_int64(stmt, 19, (int64_t)meta->sent_time);
	db_bind_text(stmt, 20, meta->parts != NULL ? meta->parts : "", -1,
			  DB_STATIC);
	if (store_step_done(store, stmt, "add message") < 0)
		goto failed;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}
