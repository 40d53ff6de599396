/*
 * The SQLite driver of the SQL layer (db.h): a thin wrapper, the
 * statement handle is SQLite's own.
 */
#include "db.h"
#include "alloc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

/* How long a writer waits for another process's transaction. Deliveries
   and the CLI hold the write lock for milliseconds; 30 s is generous. */
#define DB_SQLITE_BUSY_TIMEOUT_MSECS 30000

struct db_sqlite {
	struct db db;
	sqlite3 *conn;
	sqlite3_stmt *data_version; /* PRAGMA data_version, prepared once */
};

struct db_sqlite_stmt {
	struct db_stmt stmt;
	sqlite3_stmt *s;
};

static const struct db_driver db_sqlite_driver;

#define SQ(db) (((struct db_sqlite *)(db))->conn)
#define ST(stmt) (((struct db_sqlite_stmt *)(stmt))->s)

int db_open_sqlite(const char *path, struct db **db_r, const char **error_r)
{
	static __thread char errbuf[512];
	struct db_sqlite *db = xcalloc(1, sizeof(*db));
	int rc;

	db->db.driver = &db_sqlite_driver;
	db->db.kind = DB_SQLITE;
	rc = sqlite3_open_v2(path, &db->conn,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, sizeof(errbuf), "cannot open %s: %s", path,
			 db->conn != NULL ? sqlite3_errmsg(db->conn) :
			 sqlite3_errstr(rc));
		sqlite3_close(db->conn);
		free(db);
		*error_r = errbuf;
		return -1;
	}
	sqlite3_busy_timeout(db->conn, DB_SQLITE_BUSY_TIMEOUT_MSECS);
	/* The CLI opens and closes the store for every command; a checkpoint
	   at each close would cost two more fsyncs per `deliver`. The WAL is
	   checkpointed as it grows (wal_autocheckpoint) instead. */
	sqlite3_db_config(db->conn, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_extended_result_codes(db->conn, 1);
	*db_r = &db->db;
	return 0;
}

static void db_sqlite_close(struct db *db)
{
	sqlite3_finalize(((struct db_sqlite *)db)->data_version);
	sqlite3_close(SQ(db));
	free(db);
}

static int db_sqlite_prepare(struct db *db, const char *sql, bool persistent,
			     struct db_stmt **stmt_r)
{
	struct db_sqlite_stmt *stmt;
	sqlite3_stmt *s;
	int rc;

	rc = sqlite3_prepare_v3(SQ(db), sql, -1,
				persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s, NULL);
	if (rc != SQLITE_OK) {
		*stmt_r = NULL;
		return rc;
	}
	stmt = xcalloc(1, sizeof(*stmt));
	stmt->stmt.db = db;
	stmt->s = s;
	*stmt_r = &stmt->stmt;
	return DB_OK;
}

static void db_sqlite_finalize(struct db_stmt *stmt)
{
	sqlite3_finalize(ST(stmt));
	free(stmt);
}

static int db_sqlite_step(struct db_stmt *stmt)
{
	return sqlite3_step(ST(stmt));
}

static void db_sqlite_reset(struct db_stmt *stmt)
{
	sqlite3_reset(ST(stmt));
}

static void db_sqlite_clear_bindings(struct db_stmt *stmt)
{
	sqlite3_clear_bindings(ST(stmt));
}

static void db_sqlite_bind_int64(struct db_stmt *stmt, int idx, int64_t value)
{
	sqlite3_bind_int64(ST(stmt), idx, value);
}

static void db_sqlite_bind_null(struct db_stmt *stmt, int idx)
{
	sqlite3_bind_null(ST(stmt), idx);
}

static void db_sqlite_bind_text(struct db_stmt *stmt, int idx, const char *text,
				int len, enum db_text_life life)
{
	sqlite3_bind_text(ST(stmt), idx, text, len,
			  life == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT);
}

static int64_t db_sqlite_column_int64(struct db_stmt *stmt, int col)
{
	return sqlite3_column_int64(ST(stmt), col);
}

static const char *db_sqlite_column_text(struct db_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(ST(stmt), col);
}

static int db_sqlite_column_bytes(struct db_stmt *stmt, int col)
{
	return sqlite3_column_bytes(ST(stmt), col);
}

static bool db_sqlite_column_is_null(struct db_stmt *stmt, int col)
{
	return sqlite3_column_type(ST(stmt), col) == SQLITE_NULL;
}

static int db_sqlite_column_count(struct db_stmt *stmt)
{
	return sqlite3_column_count(ST(stmt));
}

static const char *db_sqlite_column_name(struct db_stmt *stmt, int col)
{
	return sqlite3_column_name(ST(stmt), col);
}

static int64_t db_sqlite_changes(struct db *db)
{
	return sqlite3_changes(SQ(db));
}

static int db_sqlite_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(SQ(db), sql, NULL, NULL, NULL);
}

static bool db_sqlite_in_transaction(struct db *db)
{
	return !sqlite3_get_autocommit(SQ(db));
}

static const char *db_sqlite_errmsg(struct db *db)
{
	return sqlite3_errmsg(SQ(db));
}

static int db_sqlite_errcode(struct db *db)
{
	return sqlite3_extended_errcode(SQ(db));
}

static enum store_error db_sqlite_error_class(struct db *db, int rc)
{
	(void)db;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
		return STORE_ERROR_TEMP;
	case SQLITE_CONSTRAINT:
		return STORE_ERROR_EXISTS;
	case SQLITE_TOOBIG:
	case SQLITE_INTERRUPT: /* past the deadline (db_set_deadline()) */
		return STORE_ERROR_LIMIT;
	default:
		return STORE_ERROR_INTERNAL;
	}
}

/* PRAGMA data_version moves when another connection commits (not on our
   own commits: the store counts those itself). */
static uint64_t db_sqlite_data_version(struct db *_db)
{
	struct db_sqlite *db = (struct db_sqlite *)_db;
	uint64_t version = 0;

	if (db->data_version == NULL &&
	    sqlite3_prepare_v3(db->conn, "PRAGMA data_version", -1,
			       SQLITE_PREPARE_PERSISTENT, &db->data_version,
			       NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(db->data_version) == SQLITE_ROW)
		version = (uint64_t)sqlite3_column_int64(db->data_version, 0);
	sqlite3_reset(db->data_version);
	return version;
}

static int db_sqlite_notify_change(struct db *db, const char *payload)
{
	(void)db;
	(void)payload;
	return 0;
}

/* SQLite calls the progress handler every this many virtual machine
   steps: a LIKE over a megabyte of text is one step, so the deadline is
   looked at many times a second even then. */
#define DB_SQLITE_PROGRESS_STEPS 1000

/* The deadline of the calling thread's connection (one per thread). */
static __thread uint64_t db_sqlite_deadline;

static int db_sqlite_progress(void *context)
{
	(void)context;
	/* non-zero interrupts the statement: SQLITE_INTERRUPT */
	return db_sqlite_deadline != 0 && db_now_msecs() >= db_sqlite_deadline;
}

static void db_sqlite_set_deadline(struct db *db, uint64_t deadline_msecs)
{
	db_sqlite_deadline = deadline_msecs;
	sqlite3_progress_handler(SQ(db), deadline_msecs != 0 ? DB_SQLITE_PROGRESS_STEPS : 0,
				 deadline_msecs != 0 ? db_sqlite_progress : NULL, NULL);
}

int db_backup_sqlite(struct db *db, const char *dest_path, int pages,
		     db_backup_progress_cb *progress, void *context,
		     const char **error_r)
{
	static __thread char errbuf[512];
	sqlite3 *dest = NULL;
	sqlite3_backup *backup;
	unsigned int busy_waits = 0;
	int rc;

	if (db->kind != DB_SQLITE || !db_sqlite_in_transaction(db)) {
		*error_r = "a backup reads an open SQLite transaction";
		return DB_ERROR;
	}
	rc = sqlite3_open_v2(dest_path, &dest, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(dest, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, sizeof(errbuf), "cannot create %s: %s", dest_path,
			 dest != NULL ? sqlite3_errmsg(dest) : sqlite3_errstr(rc));
		goto failed;
	}
	backup = sqlite3_backup_init(dest, "main", SQ(db), "main");
	if (backup == NULL) {
		snprintf(errbuf, sizeof(errbuf), "cannot back up into %s: %s",
			 dest_path, sqlite3_errmsg(dest));
		goto failed;
	}
	for (;;) {
		rc = sqlite3_backup_step(backup, pages);
		if (progress != NULL && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
			uint64_t total = (uint64_t)sqlite3_backup_pagecount(backup);

			progress(context, total - (uint64_t)sqlite3_backup_remaining(backup),
				 total);
		}
		/* only the destination can be busy (another process opened
		   the new file): wait for it, as long as a writer would */
		if (((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) &&
		    busy_waits++ < DB_SQLITE_BUSY_TIMEOUT_MSECS / 10)
			sqlite3_sleep(10);
		else if (rc != SQLITE_OK)
			break;
	}
	/* finish returns the step's error, or the destination's */
	rc = sqlite3_backup_finish(backup);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, sizeof(errbuf), "backup into %s failed: %s",
			 dest_path, sqlite3_errmsg(dest));
		goto failed;
	}
	if (sqlite3_close(dest) != SQLITE_OK) {
		snprintf(errbuf, sizeof(errbuf), "cannot close %s", dest_path);
		*error_r = errbuf;
		return DB_ERROR;
	}
	return DB_OK;
failed:
	sqlite3_close(dest);
	*error_r = errbuf;
	return DB_ERROR;
}

static const struct db_driver db_sqlite_driver = {
	.close = db_sqlite_close,
	.prepare = db_sqlite_prepare,
	.finalize = db_sqlite_finalize,
	.step = db_sqlite_step,
	.reset = db_sqlite_reset,
	.clear_bindings = db_sqlite_clear_bindings,
	.bind_int64 = db_sqlite_bind_int64,
	.bind_null = db_sqlite_bind_null,
	.bind_text = db_sqlite_bind_text,
	.column_int64 = db_sqlite_column_int64,
	.column_text = db_sqlite_column_text,
	.column_bytes = db_sqlite_column_bytes,
	.column_is_null = db_sqlite_column_is_null,
	.column_count = db_sqlite_column_count,
	.column_name = db_sqlite_column_name,
	.changes = db_sqlite_changes,
	.exec = db_sqlite_exec,
	.in_transaction = db_sqlite_in_transaction,
	.errmsg = db_sqlite_errmsg,
	.errcode = db_sqlite_errcode,
	.error_class = db_sqlite_error_class,
	.data_version = db_sqlite_data_version,
	.notify_change = db_sqlite_notify_change,
	.set_deadline = db_sqlite_set_deadline,
};
