#ifndef INFOSTORE_STORE_PRIVATE_H
#define INFOSTORE_STORE_PRIVATE_H

#include "store.h"

#include "db.h"

#define STORE_STMT_CACHE 96
#define STORE_ITER_STMTS 32

struct store_stmt_slot {
	const char *sql; /* the static string's address is the key */
	struct db_stmt *stmt;
};

struct store {
	struct db *db;
	char *data_dir;
	/* as opened, for store_open_another(); strings owned */
	struct store_settings settings;
	int blobs_dir_fd;
	int tmp_dir_fd;

	enum store_error error;
	char error_detail[512];

	unsigned int txn_depth;
	bool txn_failed;
	uint64_t own_commits;

	/* blob directories (by first byte of the id) with renames not yet
	   fsynced */
	unsigned char dirty_dirs[256 / 8];
	bool dirty_any;

	/* set when a write may have dropped a blob's last reference */
	bool blobs_maybe_unused;
	/* blobs deleted from the index in the open transaction; their files
	   go when it commits */
	char (*doomed_blobs)[33];
	unsigned int doomed_count, doomed_alloc;

	struct store_stmt_slot stmts[STORE_STMT_CACHE];
	unsigned int stmt_count;
	/* the IMAP iterators' statements (store-imap.c): FETCH has one per
	   set of columns, SEARCH the last; iter_busy has a bit for each one
	   an open iterator uses */
	struct db_stmt *iter_stmts[STORE_ITER_STMTS];
	uint64_t iter_busy;
};

/*
 * A message row's id is (mailbox_id << 32) + uid (schema migration 4), so
 * that the rows of a mailbox lie together in UID order in the table's
 * B-tree: a FETCH or SEARCH over a UID range reads them as one range of
 * the table, without a seek from the (mailbox_id, uid) index for every
 * row. Every INSERT INTO messages sets id with this, in SQL.
 */
#define STORE_MESSAGE_ROWID(mailbox_sql, uid_sql) \
	"((CAST(" mailbox_sql " AS BIGINT) << 32) + " uid_sql ")"

/* How long a claimed outbound entry is left to its sender before another
   may try it (a node that died while sending). */
#define STORE_OUTBOUND_LEASE_SECS 600
/* Entries one store_outbound_due() call claims at most. */
#define STORE_OUTBOUND_CLAIM_MAX 64

/* A cached prepared statement for a static SQL string, reset and with its
   bindings cleared. NULL (error set) if it does not prepare. */
struct db_stmt *store_stmt(struct store *store, const char *sql);
/* Record an error from the database (rc, db.h) or our own; returns -1. */
int store_fail_db(struct store *store, int rc, const char *what);
int store_fail(struct store *store, enum store_error error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void store_clear_error(struct store *store);
/* Run SQL with no result rows. 0 or -1. */
int store_exec(struct store *store, const char *sql);
/* The same for a static string (BEGIN, COMMIT...), whose prepared
   statement is cached as store_stmt() does: no parse per transaction. */
int store_exec_static(struct store *store, const char *sql);
/* Step a statement that returns no rows (DB_DONE expected). */
int store_step_done(struct store *store, struct db_stmt *stmt, const char *what);
/* A LIKE pattern (ESCAPE '\\') matching needle anywhere: %, _ and the
   escape character escaped. Heap memory for the caller to free. */
char *store_like_pattern(const char *needle);
/* Step a statement that must return a row: 0 with the row there (the
   caller reads its columns, then db_reset()s), or -1 with the statement
   reset: STORE_ERROR_NOT_FOUND (what) when there is no row. */
int store_step_row(struct store *store, struct db_stmt *stmt, const char *what);
/* Step an INSERT ... RETURNING id and read the id. 0 or -1. */
int store_step_id(struct store *store, struct db_stmt *stmt, const char *what,
		  int64_t *id_r);
/* Text column copied into pool (NULL stays NULL). */
const char *store_col_text(struct db_stmt *stmt, int col, struct pool *pool);

/* store_message_add() with the UID given (want_uid != 0), which must not
   be below UIDNEXT (STORE_ERROR_EXISTS); for imports (store-import.c). */
int store_message_add_uid(struct store *store, int64_t mailbox_id,
			  const char *blob, const struct store_message_meta *meta,
			  uint32_t flags, const char *keywords,
			  time_t internaldate, int internaldate_tz,
			  uint32_t want_uid, uint32_t *uid_r);

/* Inside the writing transaction, before a message goes into mailbox_id:
   0 if count more messages of bytes fit the owner's quota (or the
   mailbox is not a mail mailbox, or the owner has none), -1 otherwise
   (STORE_ERROR_OVER_QUOTA, or a database error). Takes the owner's lock
   on PostgreSQL (store.h, quotas). Nothing is written either way. */
int store_quota_check(struct store *store, int64_t mailbox_id, uint64_t bytes,
		      uint64_t count);

/* Schema and migrations (store-schema.c). */
int store_schema_migrate(struct store *store, const char **error_r);

/* Inside the transaction about to commit: drop index rows of blobs that
   nothing refers to any more. 0 or -1. */
int store_blob_collect_prepare(struct store *store);
/* After the commit (committed true) unlink their files; after a rollback
   forget them. */
void store_blob_collect_finish(struct store *store, bool committed);

/* Path of a blob file relative to the blobs dir ("ab/abcdef..."). */
void store_blob_relpath(const char *blob, char *out, size_t size);
/* Is this a blob id (32 lowercase hex digits)? */
bool store_blob_id_valid(const char *blob);

/*
 * The blobs folder's lock (flock on blobs/): a backup holds it exclusively
 * for as long as it copies, and removing blob files of committed deletions
 * takes it shared without waiting. store_blob_removal_begin() returns true
 * when files may be removed (then store_blob_removal_end() must follow),
 * false while a backup holds the lock: the files stay, and are unused, for
 * a later store_blob_gc(). Where the filesystem has no flock (some network
 * filesystems) removal goes on as before.
 */
bool store_blob_removal_begin(struct store *store);
void store_blob_removal_end(struct store *store);
/* Take the lock exclusively, waiting for removals in progress. 0 or -1. */
int store_blob_backup_lock(struct store *store);
void store_blob_backup_unlock(struct store *store);

/* Create the index file (or the copy of one) readable by its owner
   only, before SQLite makes it; see store.c. 0 or -1 (errno). */
int store_index_private(const char *path);

#endif
