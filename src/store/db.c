/* The SQL layer's calls, dispatched to the connection's driver (db.h). */
#include "db.h"

#include <time.h>

void db_close(struct db **_db)
{
	struct db *db = *_db;

	if (db == NULL)
		return;
	*_db = NULL;
	db->driver->close(db);
}

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

int db_prepare(struct db *db, const char *sql, bool persistent,
	       struct db_stmt **stmt_r)
{
	return db->driver->prepare(db, sql, persistent, stmt_r);
}

void db_finalize(struct db_stmt *stmt)
{
	if (stmt != NULL)
		stmt->db->driver->finalize(stmt);
}

int db_step(struct db_stmt *stmt)
{
	return stmt->db->driver->step(stmt);
}

void db_reset(struct db_stmt *stmt)
{
	stmt->db->driver->reset(stmt);
}

void db_clear_bindings(struct db_stmt *stmt)
{
	stmt->db->driver->clear_bindings(stmt);
}

void db_bind_int64(struct db_stmt *stmt, int idx, int64_t value)
{
	stmt->db->driver->bind_int64(stmt, idx, value);
}

void db_bind_int(struct db_stmt *stmt, int idx, int value)
{
	stmt->db->driver->bind_int64(stmt, idx, value);
}

void db_bind_null(struct db_stmt *stmt, int idx)
{
	stmt->db->driver->bind_null(stmt, idx);
}

void db_bind_text(struct db_stmt *stmt, int idx, const char *text, int len,
		  enum db_text_life life)
{
	stmt->db->driver->bind_text(stmt, idx, text, len, life);
}

int64_t db_column_int64(struct db_stmt *stmt, int col)
{
	return stmt->db->driver->column_int64(stmt, col);
}

int db_column_int(struct db_stmt *stmt, int col)
{
	return (int)stmt->db->driver->column_int64(stmt, col);
}

const char *db_column_text(struct db_stmt *stmt, int col)
{
	return stmt->db->driver->column_text(stmt, col);
}

int db_column_bytes(struct db_stmt *stmt, int col)
{
	return stmt->db->driver->column_bytes(stmt, col);
}

bool db_column_is_null(struct db_stmt *stmt, int col)
{
	return stmt->db->driver->column_is_null(stmt, col);
}

int db_column_count(struct db_stmt *stmt)
{
	return stmt->db->driver->column_count(stmt);
}

const char *db_column_name(struct db_stmt *stmt, int col)
{
	return stmt->db->driver->column_name(stmt, col);
}

int64_t db_changes(struct db *db)
{
	return db->driver->changes(db);
}

int db_exec(struct db *db, const char *sql)
{
	return db->driver->exec(db, sql);
}

bool db_in_transaction(struct db *db)
{
	return db->driver->in_transaction(db);
}

const char *db_errmsg(struct db *db)
{
	return db->driver->errmsg(db);
}

int db_errcode(struct db *db)
{
	return db->driver->errcode(db);
}

enum store_error db_error_class(struct db *db, int rc)
{
	return db->driver->error_class(db, rc);
}

uint64_t db_data_version(struct db *db)
{
	return db->driver->data_version(db);
}

int db_notify_change(struct db *db, const char *payload)
{
	return db->driver->notify_change(db, payload);
}

void db_set_deadline(struct db *db, uint64_t deadline_msecs)
{
	db->driver->set_deadline(db, deadline_msecs);
}

uint64_t db_now_msecs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
