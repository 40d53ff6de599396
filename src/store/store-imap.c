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
