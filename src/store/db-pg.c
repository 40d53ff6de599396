/*
 * The PostgreSQL driver of the SQL layer (db.h), on libpq.
 *
 * Statements are written with SQLite's placeholders; at prepare time they
 * are turned into PostgreSQL's ($N), LIKE into ILIKE (SQLite's LIKE is
 * ASCII case-insensitive, which is what IMAP SEARCH wants) and BEGIN
 * IMMEDIATE into BEGIN (a writer's row locks serialize what SQLite's
 * database lock did). Each statement is a named prepared statement on
 * the connection, prepared on first use and again after a reconnect.
 * Parameters go as text and results come back as text, whole: every
 * result the store asks for is bounded (iterators read UID ranges in
 * chunks).
 *
 * The database must use the SQL_ASCII encoding, as SQLite stores text:
 * bytes as given, no validation, no conversion (a message header with
 * raw 8-bit bytes must be stored, not refused). Opening checks it.
 *
 * A lost connection: the statement fails with a temporary error, and the
 * next statement outside a transaction reconnects (with a backoff of up
 * to 5 s between attempts, so a dead database does not cost a connect
 * per command). LISTEN infostore: other nodes' commits arrive as
 * notifications, counted by db_data_version(); a reconnect counts as one
 * too, since notifications sent while we were away are lost.
 */
#include "db.h"
#include "alloc.h"
#include "fatal.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_PG_MAX_PARAMS 64
#define DB_PG_BACKOFF_MAX_SECS 5
#define DB_PG_CHANNEL "infostore"
#define DB_PG_TEXTOID 25

struct db_pg {
	struct db db;
	PGconn *conn;
	/* bumped on every (re)connect: statements prepared on an older
	   connection are prepared again */
	uint64_t generation;
	unsigned int next_name;
	int64_t changes;
	uint64_t notifications;
	time_t next_connect;
	unsigned int backoff_secs;
	/* our own idea of an open transaction, for when the connection is
	   gone and libpq can no longer say */
	bool txn_open;
	/* the open transaction announces itself at its COMMIT (which then
	   carries the NOTIFY: no round trip of its own) */
	bool notify_pending;
	/* db_pg_execute() failed without a result, its error already set */
	bool error_set;

	int errcode;           /* DB_ERROR, or DB_OK after success */
	char sqlstate[6];
	char errmsg[512];
};

struct db_pg_stmt {
	struct db_stmt stmt;
	char *sql;             /* in PostgreSQL's spelling */
	bool noop;             /* a PRAGMA: SQLite only */
	bool simple;           /* transaction control: run unprepared */
	bool once;             /* not persistent: run unnamed, unprepared */
	int nparams;
	char name[24];
	uint64_t prepared_generation;

	/* 0 (PostgreSQL infers it) for a parameter the SQL uses, text for
	   one it leaves out (bound anyway, as SQLite allows) */
	Oid types[DB_PG_MAX_PARAMS];
	const char *values[DB_PG_MAX_PARAMS];
	char *owned[DB_PG_MAX_PARAMS];
	char numbers[DB_PG_MAX_PARAMS][24];

	PGresult *result;
	int row, rows;
	bool executed;
};

static const struct db_driver db_pg_driver;

static void db_pg_set_error(struct db_pg *db, const char *sqlstate,
			    const char *message)
{
	size_t len;

	db->errcode = DB_ERROR;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s",
		 sqlstate != NULL ? sqlstate : "");
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", message != NULL ? message : "");
	/* libpq's messages end in a newline */
	len = strlen(db->errmsg);
	while (len > 0 && (db->errmsg[len - 1] == '\n' || db->errmsg[len - 1] == ' '))
		db->errmsg[--len] = '\0';
}

static int db_pg_result_error(struct db_pg *db, PGresult *result)
{
	const char *state = result != NULL ?
		PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;

	if (result == NULL && db->error_set) {
		db->error_set = false;
		return DB_ERROR;
	}
	/* no SQLSTATE: the connection broke (class 08 for the caller) */
	db_pg_set_error(db, state != NULL ? state : "08006", result != NULL ? PQresultErrorMessage(result) :
			PQerrorMessage(db->conn));
	if (result != NULL)
		PQclear(result);
	return DB_ERROR;
}

/* Notices (a ROLLBACK with no transaction, say) are not errors: to the
   debug log, not to stderr. */
static void db_pg_notice(void *context, const char *message)
{
	(void)context;
	log_debug("store", "PostgreSQL: %s", message);
}

static int db_pg_setup(struct db_pg *db)
{
	PGresult *result;
	const char *encoding;

	PQsetNoticeProcessor(db->conn, db_pg_notice, NULL);
	encoding = PQparameterStatus(db->conn, "server_encoding");
	if (encoding == NULL || strcmp(encoding, "SQL_ASCII") != 0) {
		char message[256];

		snprintf(message, sizeof(message), "the database's encoding is %s,"
			 " not SQL_ASCII (create it with: createdb -E SQL_ASCII"
			 " -T template0 --locale=C)",
			 encoding != NULL ? encoding : "unknown");
		db_pg_set_error(db, "XX000", message);
		return -1;
	}
	result = PQexec(db->conn, "SET synchronous_commit = on;"
			" SET client_min_messages = warning;"
			" LISTEN " DB_PG_CHANNEL);
	if (PQresultStatus(result) != PGRES_COMMAND_OK) {
		db_pg_result_error(db, result);
		return -1;
	}
	PQclear(result);
	db->generation++;
	return 0;
}

int db_open_postgresql(const char *conninfo, struct db **db_r,
		       const char **error_r)
{
	static __thread char errbuf[600];
	/* the operator's connection string comes last and wins */
	const char *const keys[] = {
		"connect_timeout", "application_name", "dbname", NULL
	};
	const char *values[] = { "5", "infostore", conninfo, NULL };
	struct db_pg *db = xcalloc(1, sizeof(*db));

	db->db.driver = &db_pg_driver;
	db->db.kind = DB_POSTGRESQL;
	db->conn = PQconnectdbParams(keys, values, 1);
	if (db->conn == NULL)
		fatal_oom();
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_pg_set_error(db, "08006", PQerrorMessage(db->conn));
		snprintf(errbuf, sizeof(errbuf), "cannot connect to PostgreSQL: %s",
			 db->errmsg);
		goto failed;
	}
	if (db_pg_setup(db) < 0) {
		snprintf(errbuf, sizeof(errbuf), "PostgreSQL: %s", db->errmsg);
		goto failed;
	}
	*db_r = &db->db;
	return 0;
failed:
	PQfinish(db->conn);
	free(db);
	*error_r = errbuf;
	return -1;
}

static void db_pg_close(struct db *_db)
{
	struct db_pg *db = (struct db_pg *)_db;

	PQfinish(db->conn);
	free(db);
}

/* A usable connection, reconnecting after a loss (not inside a
   transaction: that one is gone and the caller must learn it). */
static int db_pg_reconnect(struct db_pg *db)
{
	time_t now = time(NULL);

	if (now < db->next_connect) {
		db_pg_set_error(db, "08006", "PostgreSQL is unreachable,"
				" retrying shortly");
		return -1;
	}
	PQreset(db->conn);
	if (PQstatus(db->conn) != CONNECTION_OK || db_pg_setup(db) < 0) {
		if (PQstatus(db->conn) != CONNECTION_OK)
			db_pg_set_error(db, "08006", PQerrorMessage(db->conn));
		db->backoff_secs = db->backoff_secs == 0 ? 1 :
			db->backoff_secs * 2 > DB_PG_BACKOFF_MAX_SECS ?
			DB_PG_BACKOFF_MAX_SECS : db->backoff_secs * 2;
		db->next_connect = now + db->backoff_secs;
		log_warning("store", "PostgreSQL reconnect failed: %s", db->errmsg);
		return -1;
	}
	db->backoff_secs = 0;
	db->next_connect = 0;
	/* what other nodes committed meanwhile was announced to nobody */
	db->notifications++;
	log_info("store", "PostgreSQL connection restored");
	return 0;
}

static int db_pg_connected(struct db_pg *db)
{
	if (PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	return db_pg_reconnect(db);
}

/* Before running sql: a connection to run it on. Outside a transaction a
   lost connection is made again; inside one the transaction is gone, and
   the caller must learn it (a ROLLBACK then succeeds: there is nothing
   left to roll back). -1 with the error set, or with errcode DB_OK for
   such a ROLLBACK. */
static int db_pg_usable(struct db_pg *db, const char *sql)
{
	/* Outside a transaction, read what the server sent meanwhile: a
	   connection it closed (a restart, a failover) shows now, and is
	   made again before this statement instead of failing it.
	   (Notifications read here wait in libpq for db_pg_data_version.) */
	if (PQstatus(db->conn) == CONNECTION_OK && !db->txn_open &&
	    PQconsumeInput(db->conn) == 0)
		return db_pg_reconnect(db);
	if (PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->txn_open) {
		if (strncmp(sql, "ROLLBACK", 8) == 0 &&
		    strncmp(sql, "ROLLBACK TO", 11) != 0) {
			db->txn_open = false;
			db->errcode = DB_OK;
			return -1;
		}
		db_pg_set_error(db, "08006", "connection to PostgreSQL lost");
		return -1;
	}
	return db_pg_connected(db);
}

static void db_pg_track_transaction(struct db_pg *db, const char *sql, bool ok)
{
	if (strncmp(sql, "BEGIN", 5) == 0)
		db->txn_open = ok;
	else if (strncmp(sql, "COMMIT", 6) == 0 ||
		 (strncmp(sql, "ROLLBACK", 8) == 0 &&
		  strncmp(sql, "ROLLBACK TO", 11) != 0))
		db->txn_open = false;
}

static bool sql_word(const char *p, const char *word)
{
	size_t len = strlen(word);

	return strncmp(p, word, len) == 0 &&
		(p[len] == ' ' || p[len] == '\0' || p[len] == ';');
}

/* SQLite's spelling into PostgreSQL's: placeholders, LIKE, BEGIN
   IMMEDIATE. Quoted strings are copied as they are. */
static char *db_pg_translate(const char *sql, int *nparams_r, uint64_t *used_r)
{
	size_t len = strlen(sql);
	char *out = xmalloc(len * 2 + 16), *w = out;
	int next = 1, max = 0;

	for (const char *p = sql; *p != '\0';) {
		if (*p == '\'' || *p == '"') {
			char quote = *p;

			*w++ = *p++;
			while (*p != '\0') {
				if (*p == quote && p[1] == quote) {
					*w++ = *p++;
					*w++ = *p++;
				} else if (*p == quote) {
					*w++ = *p++;
					break;
				} else {
					*w++ = *p++;
				}
			}
		} else if (*p == '?') {
			int n = 0;

			p++;
			if (*p >= '0' && *p <= '9') {
				while (*p >= '0' && *p <= '9')
					n = n * 10 + (*p++ - '0');
			} else {
				n = next;
			}
			if (n > max)
				max = n;
			if (n >= 1 && n <= 64)
				*used_r |= (uint64_t)1 << (n - 1);
			next = max + 1;
			w += sprintf(w, "$%d", n);
		} else if ((p == sql || p[-1] == ' ' || p[-1] == ')') &&
			   sql_word(p, "LIKE")) {
			memcpy(w, "ILIKE", 5);
			w += 5;
			p += 4;
		} else if (p == sql && sql_word(p, "BEGIN IMMEDIATE")) {
			memcpy(w, "BEGIN", 5);
			w += 5;
			p += 15;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	*nparams_r = max;
	return out;
}

static bool sql_is_simple(const char *sql)
{
	static const char *const words[] = {
		"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "LISTEN",
	};
	size_t len = strcspn(sql, " ;");

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (len == strlen(words[i]) && memcmp(sql, words[i], len) == 0)
			return true;
	return false;
}

static int db_pg_prepare(struct db *_db, const char *sql, bool persistent,
			 struct db_stmt **stmt_r)
{
	struct db_pg *db = (struct db_pg *)_db;
	struct db_pg_stmt *stmt = xcalloc(1, sizeof(*stmt));
	uint64_t used = 0;

	stmt->stmt.db = _db;
	stmt->once = !persistent;
	stmt->noop = strncmp(sql, "PRAGMA", 6) == 0;
	stmt->sql = db_pg_translate(sql, &stmt->nparams, &used);
	stmt->simple = sql_is_simple(stmt->sql);
	if (stmt->nparams > DB_PG_MAX_PARAMS) {
		free(stmt->sql);
		free(stmt);
		db_pg_set_error(db, "54000", "too many parameters");
		*stmt_r = NULL;
		return DB_ERROR;
	}
	for (int i = 0; i < stmt->nparams; i++)
		stmt->types[i] = (used & ((uint64_t)1 << i)) != 0 ? 0 : DB_PG_TEXTOID;
	snprintf(stmt->name, sizeof(stmt->name), "s%u", ++db->next_name);
	*stmt_r = &stmt->stmt;
	return DB_OK;
}

static void db_pg_clear_result(struct db_pg_stmt *stmt)
{
	if (stmt->result != NULL)
		PQclear(stmt->result);
	stmt->result = NULL;
	stmt->executed = false;
	stmt->row = stmt->rows = 0;
}

static void db_pg_clear_bindings(struct db_stmt *_stmt)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;

	for (int i = 0; i < DB_PG_MAX_PARAMS; i++) {
		free(stmt->owned[i]);
		stmt->owned[i] = NULL;
		stmt->values[i] = NULL;
	}
}

static void db_pg_finalize(struct db_stmt *_stmt)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;
	struct db_pg *db = (struct db_pg *)_stmt->db;

	db_pg_clear_result(stmt);
	db_pg_clear_bindings(_stmt);
	if (!stmt->once && stmt->prepared_generation == db->generation &&
	    PQstatus(db->conn) == CONNECTION_OK) {
		char sql[64];
		PGresult *result;

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", stmt->name);
		result = PQexec(db->conn, sql);
		PQclear(result);
	}
	free(stmt->sql);
	free(stmt);
}

static PGresult *db_pg_execute(struct db_pg *db, struct db_pg_stmt *stmt)
{
	PGresult *result;

	if (stmt->simple && stmt->nparams == 0 && db->notify_pending &&
	    strcmp(stmt->sql, "COMMIT") == 0) {
		db->notify_pending = false;
		result = PQexec(db->conn, "SELECT pg_notify('" DB_PG_CHANNEL "', '');"
				" COMMIT");
		/* a transaction that failed answers COMMIT with ROLLBACK */
		if (PQresultStatus(result) == PGRES_COMMAND_OK &&
		    strcmp(PQcmdStatus(result), "COMMIT") != 0) {
			PQclear(result);
			db_pg_set_error(db, "40000", "the transaction was rolled back");
			db->error_set = true;
			return NULL;
		}
		return result;
	}
	if (stmt->simple && strncmp(stmt->sql, "ROLLBACK", 8) == 0 &&
	    strncmp(stmt->sql, "ROLLBACK TO", 11) != 0)
		db->notify_pending = false;
	if (stmt->simple && stmt->nparams == 0)
		return PQexec(db->conn, stmt->sql);
	if (stmt->once)
		return PQexecParams(db->conn, stmt->sql, stmt->nparams, stmt->types,
				    stmt->values, NULL, NULL, 0);
	if (stmt->prepared_generation != db->generation) {
		result = PQprepare(db->conn, stmt->name, stmt->sql, stmt->nparams,
				   stmt->types);
		if (PQresultStatus(result) != PGRES_COMMAND_OK)
			return result;
		PQclear(result);
		stmt->prepared_generation = db->generation;
	}
	return PQexecPrepared(db->conn, stmt->name, stmt->nparams, stmt->values,
			      NULL, NULL, 0);
}

static int db_pg_step(struct db_stmt *_stmt)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;
	struct db_pg *db = (struct db_pg *)_stmt->db;

	if (stmt->noop)
		return DB_DONE;
	if (!stmt->executed) {
		PGresult *result;
		ExecStatusType status;
		const char *tuples;

		if (db_pg_usable(db, stmt->sql) < 0)
			return db->errcode == DB_OK ? DB_DONE : DB_ERROR;
		result = db_pg_execute(db, stmt);
		status = PQresultStatus(result);
		/* a read outside a transaction on a connection that turned
		   out to be gone (the server restarted while we were idle):
		   once more on a new one. Writes are not retried: whether
		   they committed is unknown, and the caller says "try again". */
		if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK &&
		    PQstatus(db->conn) != CONNECTION_OK && !db->txn_open &&
		    strncmp(stmt->sql, "SELECT", 6) == 0 && db_pg_reconnect(db) == 0) {
			PQclear(result);
			result = db_pg_execute(db, stmt);
			status = PQresultStatus(result);
		}
		if (stmt->simple)
			db_pg_track_transaction(db, stmt->sql,
						status == PGRES_COMMAND_OK);
		if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
			return db_pg_result_error(db, result);
		db->errcode = DB_OK;
		tuples = PQcmdTuples(result);
		db->changes = tuples[0] != '\0' ? strtoll(tuples, NULL, 10) : 0;
		stmt->result = result;
		stmt->rows = PQntuples(result);
		stmt->row = -1;
		stmt->executed = true;
	}
	if (++stmt->row < stmt->rows)
		return DB_ROW;
	stmt->row = stmt->rows;
	return DB_DONE;
}

static void db_pg_reset(struct db_stmt *_stmt)
{
	db_pg_clear_result((struct db_pg_stmt *)_stmt);
}

static void db_pg_bind(struct db_pg_stmt *stmt, int idx, const char *value,
		       char *owned)
{
	if (idx < 1 || idx > DB_PG_MAX_PARAMS) {
		free(owned);
		return;
	}
	free(stmt->owned[idx - 1]);
	stmt->owned[idx - 1] = owned;
	stmt->values[idx - 1] = value;
}

static void db_pg_bind_int64(struct db_stmt *_stmt, int idx, int64_t value)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;

	if (idx < 1 || idx > DB_PG_MAX_PARAMS)
		return;
	snprintf(stmt->numbers[idx - 1], sizeof(stmt->numbers[0]), "%lld",
		 (long long)value);
	db_pg_bind(stmt, idx, stmt->numbers[idx - 1], NULL);
}

static void db_pg_bind_null(struct db_stmt *_stmt, int idx)
{
	db_pg_bind((struct db_pg_stmt *)_stmt, idx, NULL, NULL);
}

static void db_pg_bind_text(struct db_stmt *_stmt, int idx, const char *text,
			    int len, enum db_text_life life)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;
	char *copy;

	if (text == NULL) {
		db_pg_bind(stmt, idx, NULL, NULL);
		return;
	}
	if (len < 0 && life == DB_STATIC) {
		db_pg_bind(stmt, idx, text, NULL);
		return;
	}
	if (len < 0)
		len = (int)strlen(text);
	copy = xmalloc((size_t)len + 1);
	memcpy(copy, text, (size_t)len);
	copy[len] = '\0';
	db_pg_bind(stmt, idx, copy, copy);
}

static const char *db_pg_value(struct db_pg_stmt *stmt, int col)
{
	if (stmt->result == NULL || stmt->row < 0 || stmt->row >= stmt->rows ||
	    col >= PQnfields(stmt->result) ||
	    PQgetisnull(stmt->result, stmt->row, col))
		return NULL;
	return PQgetvalue(stmt->result, stmt->row, col);
}

static int64_t db_pg_column_int64(struct db_stmt *_stmt, int col)
{
	const char *value = db_pg_value((struct db_pg_stmt *)_stmt, col);

	if (value == NULL)
		return 0;
	/* booleans come back as t and f */
	if (value[0] == 't' && value[1] == '\0')
		return 1;
	return strtoll(value, NULL, 10);
}

static const char *db_pg_column_text(struct db_stmt *_stmt, int col)
{
	return db_pg_value((struct db_pg_stmt *)_stmt, col);
}

static int db_pg_column_bytes(struct db_stmt *_stmt, int col)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;

	if (db_pg_value(stmt, col) == NULL)
		return 0;
	return PQgetlength(stmt->result, stmt->row, col);
}

static bool db_pg_column_is_null(struct db_stmt *_stmt, int col)
{
	return db_pg_value((struct db_pg_stmt *)_stmt, col) == NULL;
}

static int db_pg_column_count(struct db_stmt *_stmt)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;

	return stmt->result != NULL ? PQnfields(stmt->result) : 0;
}

static const char *db_pg_column_name(struct db_stmt *_stmt, int col)
{
	struct db_pg_stmt *stmt = (struct db_pg_stmt *)_stmt;

	return stmt->result != NULL ? PQfname(stmt->result, col) : NULL;
}

static int64_t db_pg_changes(struct db *db)
{
	return ((struct db_pg *)db)->changes;
}

static int db_pg_exec(struct db *_db, const char *sql)
{
	struct db_pg *db = (struct db_pg *)_db;
	PGresult *result;
	ExecStatusType status;

	if (strncmp(sql, "PRAGMA", 6) == 0)
		return DB_OK;
	if (strcmp(sql, "BEGIN IMMEDIATE") == 0)
		sql = "BEGIN";
	if (db_pg_usable(db, sql) < 0)
		return db->errcode == DB_OK ? DB_OK : DB_ERROR;
	result = PQexec(db->conn, sql);
	status = PQresultStatus(result);
	db_pg_track_transaction(db, sql, status == PGRES_COMMAND_OK ||
				status == PGRES_TUPLES_OK);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		return db_pg_result_error(db, result);
	PQclear(result);
	db->errcode = DB_OK;
	return DB_OK;
}

static bool db_pg_in_transaction(struct db *_db)
{
	PGTransactionStatusType status =
		PQtransactionStatus(((struct db_pg *)_db)->conn);

	return status == PQTRANS_INTRANS || status == PQTRANS_INERROR ||
		status == PQTRANS_ACTIVE;
}

static const char *db_pg_errmsg(struct db *db)
{
	return ((struct db_pg *)db)->errmsg;
}

static int db_pg_errcode(struct db *db)
{
	return ((struct db_pg *)db)->errcode;
}

static enum store_error db_pg_error_class(struct db *_db, int rc)
{
	struct db_pg *db = (struct db_pg *)_db;
	const char *state = db->sqlstate;

	(void)rc;
	if (strncmp(state, "23", 2) == 0)
		return STORE_ERROR_EXISTS;
	/* 57014 query_canceled: past statement_timeout (db_set_deadline()) */
	if (strncmp(state, "54", 2) == 0 || strcmp(state, "57014") == 0)
		return STORE_ERROR_LIMIT;
	/* connection, serialization and deadlock, resources, shutdown */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
	    strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0 ||
	    strncmp(state, "58", 2) == 0)
		return STORE_ERROR_TEMP;
	return STORE_ERROR_INTERNAL;
}

static uint64_t db_pg_data_version(struct db *_db)
{
	struct db_pg *db = (struct db_pg *)_db;
	PGnotify *notify;

	if (PQstatus(db->conn) != CONNECTION_OK) {
		/* reconnect here too, so that an idle node finds its way
		   back and IDLE sessions re-read what they missed */
		if (db_pg_connected(db) < 0)
			return db->notifications;
	}
	if (PQconsumeInput(db->conn) == 0) {
		/* the connection broke while idle */
		db->notifications++;
		return db->notifications;
	}
	while ((notify = PQnotifies(db->conn)) != NULL) {
		db->notifications++;
		PQfreemem(notify);
	}
	return db->notifications;
}

static int db_pg_notify_change(struct db *_db, const char *payload)
{
	struct db_pg *db = (struct db_pg *)_db;

	(void)payload;
	db->notify_pending = true;
	return DB_OK;
}

/* The deadline as statement_timeout, set again for each deadline: a
   statement may start late and then run up to the whole time that was
   left when it was set, so the caller checks the clock between
   statements too. */
static void db_pg_set_deadline(struct db *db, uint64_t deadline_msecs)
{
	uint64_t now = db_now_msecs();
	char sql[64];

	snprintf(sql, sizeof(sql), "SET statement_timeout = %llu",
		 deadline_msecs == 0 ? 0ULL :
		 (unsigned long long)(deadline_msecs > now ? deadline_msecs - now : 1));
	if (db_exec(db, sql) < 0)
		log_warning("store", "cannot set statement_timeout: %s", db_errmsg(db));
}

static const struct db_driver db_pg_driver = {
	.close = db_pg_close,
	.prepare = db_pg_prepare,
	.finalize = db_pg_finalize,
	.step = db_pg_step,
	.reset = db_pg_reset,
	.clear_bindings = db_pg_clear_bindings,
	.bind_int64 = db_pg_bind_int64,
	.bind_null = db_pg_bind_null,
	.bind_text = db_pg_bind_text,
	.column_int64 = db_pg_column_int64,
	.column_text = db_pg_column_text,
	.column_bytes = db_pg_column_bytes,
	.column_is_null = db_pg_column_is_null,
	.column_count = db_pg_column_count,
	.column_name = db_pg_column_name,
	.changes = db_pg_changes,
	.exec = db_pg_exec,
	.in_transaction = db_pg_in_transaction,
	.errmsg = db_pg_errmsg,
	.errcode = db_pg_errcode,
	.error_class = db_pg_error_class,
	.data_version = db_pg_data_version,
	.notify_change = db_pg_notify_change,
	.set_deadline = db_pg_set_deadline,
};
