#ifndef INFOSTORE_STORE_DB_H
#define INFOSTORE_STORE_DB_H

/*
 * The store's SQL layer: one set of SQL statements, two drivers (SQLite
 * and PostgreSQL through libpq). The store writes its SQL once, in the
 * subset both databases accept, with SQLite's placeholders (? and ?N);
 * the PostgreSQL driver turns them into $N and runs every statement as a
 * named prepared statement. Calls follow SQLite's shape (prepare, bind,
 * step row by row, reset), so the SQLite driver is a thin wrapper with no
 * copying, and the store code reads the same for both.
 *
 * Why one SQL layer and not a table of store operations with two
 * implementations: the store's hundred operations are SQL already, and
 * the differences between the two databases are a handful of spellings
 * (kept out of the shared SQL, see db_sql_dialect notes in store-schema.c)
 * plus the schema. Two implementations of every operation would be two
 * copies of the same logic to keep in step.
 *
 * Only src/store includes this; nothing outside the store sees SQL.
 */

#include "store.h"

#include <stdbool.h>
#include <stdint.h>

enum db_rc {
	DB_OK = 0,
	DB_ERROR = 1,
	DB_ROW = 100,    /* as SQLITE_ROW */
	DB_DONE = 101,   /* as SQLITE_DONE */
};

enum db_kind {
	DB_SQLITE,
	DB_POSTGRESQL,
};

/* Bound text: DB_STATIC must stay valid until the statement is reset;
   DB_TRANSIENT is copied at once. */
enum db_text_life {
	DB_STATIC,
	DB_TRANSIENT,
};

struct db;
struct db_stmt;

/* SQLite database file (created if missing); PostgreSQL by libpq
   connection string. error_r: a static text for the log. */
int db_open_sqlite(const char *path, struct db **db_r, const char **error_r);
int db_open_postgresql(const char *conninfo, struct db **db_r,
		       const char **error_r);
void db_close(struct db **db);
enum db_kind db_kind(const struct db *db);

/* Prepare one statement. persistent: it will be reused many times. */
int db_prepare(struct db *db, const char *sql, bool persistent,
	       struct db_stmt **stmt_r);
void db_finalize(struct db_stmt *stmt);

/* DB_ROW, DB_DONE, or an error code (db_error_class() classifies it). */
int db_step(struct db_stmt *stmt);
void db_reset(struct db_stmt *stmt);
void db_clear_bindings(struct db_stmt *stmt);

/* Bindings are 1-based, as SQLite's. */
void db_bind_int64(struct db_stmt *stmt, int idx, int64_t value);
void db_bind_int(struct db_stmt *stmt, int idx, int value);
void db_bind_null(struct db_stmt *stmt, int idx);
void db_bind_text(struct db_stmt *stmt, int idx, const char *text, int len,
		  enum db_text_life life);

/* Columns are 0-based. Text is valid until the next step or reset; NULL
   for SQL NULL. */
int64_t db_column_int64(struct db_stmt *stmt, int col);
int db_column_int(struct db_stmt *stmt, int col);
const char *db_column_text(struct db_stmt *stmt, int col);
int db_column_bytes(struct db_stmt *stmt, int col);
bool db_column_is_null(struct db_stmt *stmt, int col);
/* The result's columns: how many, and their names (after a step). */
int db_column_count(struct db_stmt *stmt);
const char *db_column_name(struct db_stmt *stmt, int col);

/* Rows changed by the last INSERT, UPDATE or DELETE. */
int64_t db_changes(struct db *db);
/* Run SQL text of one or more statements without results. */
int db_exec(struct db *db, const char *sql);
/* Is a transaction open on this connection? */
bool db_in_transaction(struct db *db);
/* The last error's text, and what it means to a caller. */
const char *db_errmsg(struct db *db);
int db_errcode(struct db *db);
enum store_error db_error_class(struct db *db, int rc);

/* Statements that are still running at deadline (db_now_msecs(); 0: no
   deadline) stop and fail; db_error_class() calls that STORE_ERROR_LIMIT.
   For the calling thread's connection. */
void db_set_deadline(struct db *db, uint64_t deadline_msecs);
/* Milliseconds of the monotonic clock. */
uint64_t db_now_msecs(void);
/* A number that changes whenever another connection committed (SQLite's
   data_version; PostgreSQL: the count of change notifications seen). */
uint64_t db_data_version(struct db *db);
/* PostgreSQL: announce a change to every node at the next commit
   (NOTIFY). SQLite: nothing (other processes see data_version move). */
int db_notify_change(struct db *db, const char *payload);

/*
 * SQLite only: copy the database into a new database file at dest_path
 * through SQLite's online backup API, `pages` pages per step, calling
 * progress (may be NULL) after each step with the pages done and the
 * total. The copy is the snapshot of the read transaction the caller has
 * open on db (BEGIN and a first read): the steps all read that snapshot,
 * so the copy never restarts, and writers on other connections go on
 * meanwhile (WAL: a reader holds up checkpoints, not commits). The copy
 * is written with synchronous=FULL and is durable when this returns.
 * DB_OK, or DB_ERROR with a static text in *error_r.
 */
typedef void db_backup_progress_cb(void *context, uint64_t done, uint64_t total);
int db_backup_sqlite(struct db *db, const char *dest_path, int pages,
		     db_backup_progress_cb *progress, void *context,
		     const char **error_r);

/* The driver's table, one per database kind. */
struct db_driver {
	void (*close)(struct db *db);
	int (*prepare)(struct db *db, const char *sql, bool persistent,
		       struct db_stmt **stmt_r);
	void (*finalize)(struct db_stmt *stmt);
	int (*step)(struct db_stmt *stmt);
	void (*reset)(struct db_stmt *stmt);
	void (*clear_bindings)(struct db_stmt *stmt);
	void (*bind_int64)(struct db_stmt *stmt, int idx, int64_t value);
	void (*bind_null)(struct db_stmt *stmt, int idx);
	void (*bind_text)(struct db_stmt *stmt, int idx, const char *text,
			  int len, enum db_text_life life);
	int64_t (*column_int64)(struct db_stmt *stmt, int col);
	const char *(*column_text)(struct db_stmt *stmt, int col);
	int (*column_bytes)(struct db_stmt *stmt, int col);
	bool (*column_is_null)(struct db_stmt *stmt, int col);
	int (*column_count)(struct db_stmt *stmt);
	const char *(*column_name)(struct db_stmt *stmt, int col);
	int64_t (*changes)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	bool (*in_transaction)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*errcode)(struct db *db);
	enum store_error (*error_class)(struct db *db, int rc);
	uint64_t (*data_version)(struct db *db);
	int (*notify_change)(struct db *db, const char *payload);
	void (*set_deadline)(struct db *db, uint64_t deadline_msecs);
};

/* The head of every driver's struct db and struct db_stmt. */
struct db {
	const struct db_driver *driver;
	enum db_kind kind;
};

struct db_stmt {
	struct db *db;
};

#endif
