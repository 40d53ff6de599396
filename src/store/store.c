/*
 * Opening the store, errors, transactions and the statement cache.
 */
#include "store-private.h"
#include "alloc.h"
#include "fatal.h"
#include "fault.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum store_error store_last_error(const struct store *store)
{
	return store->error;
}

const char *store_last_error_detail(const struct store *store)
{
	return store->error_detail;
}

void store_clear_error(struct store *store)
{
	store->error = STORE_ERROR_NONE;
	store->error_detail[0] = '\0';
}

int store_fail(struct store *store, enum store_error error, const char *fmt, ...)
{
	va_list args;

	store->error = error;
	va_start(args, fmt);
	vsnprintf(store->error_detail, sizeof(store->error_detail), fmt, args);
	va_end(args);
	if (error == STORE_ERROR_INTERNAL) {
		metrics_store_error(METRICS_STORE_ERROR_INTERNAL);
		log_error("store", "%s", store->error_detail);
	} else if (error == STORE_ERROR_TEMP) {
		metrics_store_error(METRICS_STORE_ERROR_TEMP);
	}
	return -1;
}

int store_fail_db(struct store *store, int rc, const char *what)
{
	enum store_error error = db_error_class(store->db, rc);

	if (store->txn_depth > 0)
		store->txn_failed = true;
	store->error = error;
	snprintf(store->error_detail, sizeof(store->error_detail), "%s: %s (%d)",
		 what, db_errmsg(store->db), rc);
	if (error == STORE_ERROR_INTERNAL || error == STORE_ERROR_TEMP) {
		metrics_store_error(error == STORE_ERROR_TEMP ? METRICS_STORE_ERROR_TEMP :
				    METRICS_STORE_ERROR_INTERNAL);
		log_warning("store", "%s", store->error_detail);
	}
	return -1;
}

int store_exec(struct store *store, const char *sql)
{
	int rc = db_exec(store->db, sql);

	if (rc != DB_OK)
		return store_fail_db(store, rc, sql);
	return 0;
}

int store_exec_static(struct store *store, const char *sql)
{
	struct db_stmt *stmt = store_stmt(store, sql);

	return stmt == NULL ? -1 : store_step_done(store, stmt, sql);
}

struct db_stmt *store_stmt(struct store *store, const char *sql)
{
	struct db_stmt *stmt;
	int rc;

	for (unsigned int i = 0; i < store->stmt_count; i++) {
		if (store->stmts[i].sql == sql) {
			stmt = store->stmts[i].stmt;
			db_reset(stmt);
			db_clear_bindings(stmt);
			return stmt;
		}
	}
	rc = db_prepare(store->db, sql, true, &stmt);
	if (rc != DB_OK) {
		store_fail_db(store, rc, "prepare");
		log_error("store", "cannot prepare: %s", sql);
		return NULL;
	}
	if (store->stmt_count < STORE_STMT_CACHE) {
		store->stmts[store->stmt_count].sql = sql;
		store->stmts[store->stmt_count].stmt = stmt;
		store->stmt_count++;
	} else {
		fatal("store statement cache is full; raise STORE_STMT_CACHE");
	}
	return stmt;
}

int store_step_done(struct store *store, struct db_stmt *stmt, const char *what)
{
	int rc = db_step(stmt);

	if (rc != DB_DONE && rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc, what);
	}
	db_reset(stmt);
	return 0;
}

int store_step_row(struct store *store, struct db_stmt *stmt, const char *what)
{
	int rc = db_step(stmt);

	if (rc == DB_ROW)
		return 0;
	db_reset(stmt);
	if (rc == DB_DONE)
		return store_fail(store, STORE_ERROR_NOT_FOUND, "no %s", what);
	return store_fail_db(store, rc, what);
}

int store_step_id(struct store *store, struct db_stmt *stmt, const char *what,
		  int64_t *id_r)
{
	int rc = db_step(stmt);

	if (rc != DB_ROW) {
		db_reset(stmt);
		return store_fail_db(store, rc == DB_DONE ? DB_ERROR : rc, what);
	}
	*id_r = db_column_int64(stmt, 0);
	db_reset(stmt);
	return 0;
}

const char *store_col_text(struct db_stmt *stmt, int col, struct pool *pool)
{
	const char *text = db_column_text(stmt, col);

	if (text == NULL)
		return NULL;
	return p_strndup(pool, text, (size_t)db_column_bytes(stmt, col));
}

static int store_mkdir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * The index holds password hashes, session hashes and every message's
 * envelope and text: nobody but the owner may read it. SQLite creates its
 * files 0644 (less the umask) and gives the -wal and -shm files the mode
 * of the database, so create the database 0600 before SQLite does, and
 * take the group and other bits off files an older version left.
 *
 * By path only, never through a descriptor: closing any descriptor of a
 * file drops every POSIX lock this process holds on it, and the daemon
 * opens a handle per thread while others are in use. Without its locks,
 * another process closing its connection takes itself for the last one,
 * checkpoints and deletes the WAL the daemon goes on writing to, and the
 * daemon's later commits are lost. mknod() makes the file without
 * opening it.
 */
int store_index_private(const char *path)
{
	static const char *const files[] = { "", "-wal", "-shm", "-journal" };
	char fpath[4096 + 16];
	struct stat st;

	if (mknod(path, S_IFREG | 0600, 0) < 0 && errno != EEXIST)
		return -1;
	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
		snprintf(fpath, sizeof(fpath), "%s%s", path, files[i]);
		if (lstat(fpath, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 077) != 0 && chmod(fpath, st.st_mode & 0700) < 0)
			return -1;
	}
	return 0;
}

/* A directory of the blob store, created if missing, opened for *at()
   calls. */
static int store_open_dir(const char *parent, const char *name, int *fd_r,
			  char *errbuf, size_t errsize)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (store_mkdir(path) < 0 ||
	    (*fd_r = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(errbuf, errsize, "cannot use %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int store_open_sqlite(struct store *store, const char *data_dir,
			     char *errbuf, size_t errsize)
{
	char path[4096];
	const char *error;

	snprintf(path, sizeof(path), "%s/index.db", data_dir);
	if (store_index_private(path) < 0) {
		snprintf(errbuf, errsize, "cannot use %s: %s", path, strerror(errno));
		return -1;
	}
	if (db_open_sqlite(path, &store->db, &error) < 0) {
		snprintf(errbuf, errsize, "%s", error);
		return -1;
	}
	/* WAL: readers never block the writer. synchronous=FULL: a commit
	   is on disk when COMMIT returns, which is when we acknowledge. */
	if (store_exec(store, "PRAGMA journal_mode = WAL") < 0 ||
	    store_exec(store, "PRAGMA synchronous = FULL") < 0 ||
	    store_exec(store, "PRAGMA foreign_keys = ON") < 0 ||
	    store_exec(store, "PRAGMA cache_size = -16384") < 0 ||
	    store_exec(store, "PRAGMA temp_store = MEMORY") < 0) {
		snprintf(errbuf, errsize, "cannot set up %s: %s", path,
			 store->error_detail);
		return -1;
	}
	return 0;
}

int store_open_settings(const struct store_settings *settings,
			struct store **store_r, enum store_error *code_r,
			const char **error_r)
{
	static __thread char errbuf[700];
	const char *blob_dir = settings->blob_dir;
	struct store *store;
	const char *error;

	if (code_r != NULL)
		*code_r = STORE_ERROR_INTERNAL;
	if (store_mkdir(settings->data_dir) < 0) {
		snprintf(errbuf, sizeof(errbuf), "cannot create %s: %s",
			 settings->data_dir, strerror(errno));
		*error_r = errbuf;
		return -1;
	}
	store = xcalloc(1, sizeof(*store));
	store->data_dir = xstrdup(settings->data_dir);
	store->settings.data_dir = store->data_dir;
	store->settings.backend = settings->backend;
	store->settings.postgresql = settings->postgresql == NULL ? NULL :
		xstrdup(settings->postgresql);
	store->settings.blob_dir = settings->blob_dir == NULL ? NULL :
		xstrdup(settings->blob_dir);
	store->blobs_dir_fd = -1;
	store->tmp_dir_fd = -1;

	/* blobs/ and tmp/ side by side (a blob is renamed from one into the
	   other), under data_dir or under the shared blob_dir */
	if (blob_dir == NULL)
		blob_dir = settings->data_dir;
	else if (store_mkdir(blob_dir) < 0) {
		snprintf(errbuf, sizeof(errbuf), "cannot create %s: %s",
			 blob_dir, strerror(errno));
		goto failed;
	}
	if (store_open_dir(blob_dir, "blobs", &store->blobs_dir_fd, errbuf,
			   sizeof(errbuf)) < 0 ||
	    store_open_dir(blob_dir, "tmp", &store->tmp_dir_fd, errbuf,
			   sizeof(errbuf)) < 0)
		goto failed;

	if (settings->backend == STORE_BACKEND_POSTGRESQL) {
		if (db_open_postgresql(settings->postgresql != NULL ?
				       settings->postgresql : "", &store->db,
				       &error) < 0) {
			snprintf(errbuf, sizeof(errbuf), "%s", error);
			if (code_r != NULL)
				*code_r = STORE_ERROR_TEMP;
			goto failed;
		}
	} else if (store_open_sqlite(store, settings->data_dir, errbuf,
				     sizeof(errbuf)) < 0) {
		goto failed;
	}
	if (store_schema_migrate(store, &error) < 0) {
		snprintf(errbuf, sizeof(errbuf), "%s: %s",
			 settings->backend == STORE_BACKEND_POSTGRESQL ?
			 "PostgreSQL" : settings->data_dir, error);
		goto failed;
	}
	*store_r = store;
	return 0;
failed:
	*error_r = errbuf;
	store_close(&store);
	return -1;
}

int store_open_another(const struct store *like, struct store **store_r,
		       const char **error_r)
{
	return store_open_settings(&like->settings, store_r, NULL, error_r);
}

int store_open(const char *data_dir, struct store **store_r, const char **error_r)
{
	struct store_settings settings = {
		.data_dir = data_dir,
		.backend = STORE_BACKEND_SQLITE,
	};

	return store_open_settings(&settings, store_r, NULL, error_r);
}

void store_close(struct store **_store)
{
	struct store *store = *_store;

	if (store == NULL)
		return;
	*_store = NULL;
	for (unsigned int i = 0; i < store->stmt_count; i++)
		db_finalize(store->stmts[i].stmt);
	for (unsigned int i = 0; i < STORE_ITER_STMTS; i++)
		db_finalize(store->iter_stmts[i]);
	db_close(&store->db);
	if (store->blobs_dir_fd >= 0)
		close(store->blobs_dir_fd);
	if (store->tmp_dir_fd >= 0)
		close(store->tmp_dir_fd);
	free(store->doomed_blobs);
	free((char *)store->settings.postgresql);
	free((char *)store->settings.blob_dir);
	free(store->data_dir);
	free(store);
}

int store_begin(struct store *store)
{
	if (store->txn_depth++ > 0)
		return 0;
	store->txn_failed = false;
	/* IMMEDIATE: take SQLite's write lock now. A deferred transaction
	   that upgrades later can get SQLITE_BUSY without the busy handler.
	   (On PostgreSQL a plain BEGIN: row locks serialize writers.) */
	if (store_exec_static(store, "BEGIN IMMEDIATE") < 0) {
		store->txn_depth = 0;
		return -1;
	}
	return 0;
}

int store_commit(struct store *store)
{
	if (store->txn_depth == 0)
		return store_fail(store, STORE_ERROR_INTERNAL, "commit without begin");
	if (--store->txn_depth > 0)
		return 0;
	if (!store->txn_failed && store_blob_collect_prepare(store) < 0)
		store->txn_failed = true;
	if (!store->txn_failed && fault_hit("commit")) {
		store_fail(store, STORE_ERROR_TEMP, "injected commit failure");
		store->txn_failed = true;
	}
	if (store->txn_failed) {
		store_exec_static(store, "ROLLBACK");
		store->txn_failed = false;
		store_blob_collect_finish(store, false);
		return -1;
	}
	/* every node learns of the change (LISTEN/NOTIFY; nothing on
	   SQLite, whose other processes see data_version move) */
	if (db_kind(store->db) == DB_POSTGRESQL &&
	    db_notify_change(store->db, "") != DB_OK) {
		store_fail_db(store, DB_ERROR, "notify");
		store_exec_static(store, "ROLLBACK");
		store->txn_failed = false;
		store_blob_collect_finish(store, false);
		return -1;
	}
	if (store_exec_static(store, "COMMIT") < 0) {
		enum store_error error = store->error;
		char detail[sizeof(store->error_detail)];

		memcpy(detail, store->error_detail, sizeof(detail));
		if (db_in_transaction(store->db))
			store_exec_static(store, "ROLLBACK");
		store->error = error;
		memcpy(store->error_detail, detail, sizeof(detail));
		store_blob_collect_finish(store, false);
		return -1;
	}
	store->own_commits++;
	store_blob_collect_finish(store, true);
	return 0;
}

void store_rollback(struct store *store)
{
	if (store->txn_depth == 0)
		return;
	if (--store->txn_depth > 0) {
		store->txn_failed = true;
		return;
	}
	if (db_in_transaction(store->db)) {
		enum store_error error = store->error;
		char detail[sizeof(store->error_detail)];

		memcpy(detail, store->error_detail, sizeof(detail));
		store_exec_static(store, "ROLLBACK");
		store->error = error;
		memcpy(store->error_detail, detail, sizeof(detail));
	}
	store->txn_failed = false;
	store->blobs_maybe_unused = false;
	store_blob_collect_finish(store, false);
}

uint64_t store_change_counter(struct store *store)
{
	return db_data_version(store->db) + store->own_commits;
}
