#ifndef INFOSTORE_STORE_H
#define INFOSTORE_STORE_H

/*
 * The store API: users, mailboxes, messages, calendar items, web sessions
 * and the outbound queue of one infostore installation.
 *
 * Every protocol reaches the data through these functions only. Behind
 * them one set of SQL runs on SQLite (the embedded default) or on
 * PostgreSQL (several nodes), through the driver layer in db.h; neither
 * <sqlite3.h> nor <libpq-fe.h> is included outside src/store.
 *
 * Layout under data_dir (or blob_dir, shared by the nodes):
 *   index.db (+ -wal, -shm)   SQLite in WAL mode: everything but bodies
 *                             (on PostgreSQL: the database)
 *   blobs/XX/ID               message bodies, written once, never changed
 *   tmp/                      blobs being written
 *
 * A struct store is one handle: one database connection, used from one
 * thread at a time. The daemon opens one for its loop and one per worker
 * thread; the CLI opens its own, and both may run at once.
 *
 * Return values follow the project idiom: 0 on success, -1 on error (the
 * reason from store_last_error()); lookups return 1 found, 0 not found, -1.
 * Strings in returned structs live in the pool passed in.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct pool;
struct store;

enum store_error {
	STORE_ERROR_NONE = 0,
	STORE_ERROR_NOT_FOUND,  /* no such user, mailbox or message */
	STORE_ERROR_EXISTS,     /* already exists */
	STORE_ERROR_INVALID,    /* bad name or argument */
	STORE_ERROR_TEMP,       /* busy or out of space: try again later */
	STORE_ERROR_LIMIT,      /* over a size or count limit */
	STORE_ERROR_PERM,       /* not allowed (e.g. deleting INBOX) */
	STORE_ERROR_INTERNAL,   /* corruption, I/O error: see the log */
	STORE_ERROR_OVER_QUOTA, /* the user's quota does not allow it (RFC 9208) */
};

enum store_backend {
	STORE_BACKEND_SQLITE,
	STORE_BACKEND_POSTGRESQL,
};

/* Where the store is ([store] in the configuration). */
struct store_settings {
	const char *data_dir;       /* SQLite's index; blobs by default */
	enum store_backend backend;
	const char *postgresql;     /* libpq connection string */
	const char *blob_dir;       /* NULL: data_dir (blobs/ and tmp/ in it) */
};

/* Open (and create or migrate) the store. On failure *code_r (if not
   NULL) is STORE_ERROR_TEMP when the database could not be reached. */
int store_open_settings(const struct store_settings *settings,
			struct store **store_r, enum store_error *code_r,
			const char **error_r);
/* Another handle on the store `like` was opened on (for another thread;
   like's settings do not change once it is open). */
int store_open_another(const struct store *like, struct store **store_r,
		       const char **error_r);
/* The embedded default: SQLite and blobs in data_dir. */
int store_open(const char *data_dir, struct store **store_r, const char **error_r);
void store_close(struct store **store);

/* The error of the last failed call on this handle: a code for the
   protocol reply and a detail for the log (never shown to clients). */
enum store_error store_last_error(const struct store *store);
const char *store_last_error_detail(const struct store *store);

/* Transactions group several writes into one durable commit. Nested
   begins are counted; only the outermost commit commits. */
int store_begin(struct store *store);
int store_commit(struct store *store);
void store_rollback(struct store *store);

/*
 * A number that changes whenever any process commits to the store (SQLite's
 * data_version plus our own writes). Cheap; the daemon polls it to notice
 * what the CLI delivered.
 */
uint64_t store_change_counter(struct store *store);

/* --- users --- */

struct store_user {
	int64_t id;
	const char *address;
	const char *password_hash;    /* Argon2id, encoded */
	const char *calendar_format;  /* NULL: the server default */
	const char *display_name;     /* NULL: none (From: is the address) */
	const char *timezone;         /* IANA name; NULL: the browser's */
};

/* Create a user with the standard mailboxes. The password is hashed here
   (Argon2id; slow on purpose). STORE_ERROR_EXISTS if taken. */
int store_user_add(struct store *store, const char *address, const char *password);
int store_user_set_password(struct store *store, const char *address,
			    const char *password);
/* Delete the user, their mailboxes, messages, calendar and sessions. */
int store_user_delete(struct store *store, const char *address);
/* Address matching is case-insensitive. 1 found, 0 not, -1 error. */
int store_user_lookup(struct store *store, const char *address,
		      struct pool *pool, struct store_user *user_r);
int store_user_lookup_id(struct store *store, int64_t user_id,
			 struct pool *pool, struct store_user *user_r);
/* What a user may set: the calendar format IMAP/POP3 clients get
   ("icalendar", "url", "both"), the display name and the time zone (an
   IANA name). NULL or "" goes back to the default. The caller checks the
   value; STORE_ERROR_NOT_FOUND if there is no such user. */
enum store_user_setting {
	STORE_USER_CALENDAR_FORMAT,
	STORE_USER_DISPLAY_NAME,
	STORE_USER_TIMEZONE,
};
int store_user_set(struct store *store, const char *address,
		   enum store_user_setting setting, const char *value);
typedef void store_user_list_cb(void *context, const struct store_user *user);
int store_user_list(struct store *store, struct pool *pool,
		    store_user_list_cb *cb, void *context);
/* Users whose address or display name contains needle (ASCII
   case-insensitively), by address, at most limit (1 to
   STORE_USER_SEARCH_MAX; more is STORE_ERROR_INVALID). The password_hash
   they carry is NULL. Strings in pool. */
#define STORE_USER_SEARCH_MAX 100
int store_user_search(struct store *store, const char *needle,
		      unsigned int limit, struct pool *pool,
		      store_user_list_cb *cb, void *context);
/* Check a password (slow: Argon2id). 1 match, 0 no such user or wrong
   password (indistinguishable by time), -1 error. */
int store_user_verify(struct store *store, const char *address,
		      const char *password, struct pool *pool,
		      struct store_user *user_r);

/* --- mailboxes --- */

#define STORE_MAILBOX_NAME_MAX 512
#define STORE_HIERARCHY_SEP '/'

enum store_mailbox_kind {
	STORE_MAILBOX_MAIL,
	STORE_MAILBOX_CALENDAR,   /* not shown to IMAP/POP3 */
};

struct store_mailbox {
	int64_t id;
	int64_t user_id;
	const char *name;         /* UTF-8, '/' separated; "INBOX" */
	const char *special_use;  /* "\\Sent" etc., or NULL */
	enum store_mailbox_kind kind;
	bool subscribed;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;
	uint32_t unseen;
	uint32_t deleted;         /* with \Deleted */
	uint64_t size;            /* sum of vsizes (STATUS=SIZE) */
	uint64_t deleted_size;    /* sum of vsizes of those with \Deleted */
};

/* All mailboxes of a user, sorted by name. *mailboxes_r is allocated from
   pool. */
int store_mailbox_list(struct store *store, int64_t user_id, struct pool *pool,
		       struct store_mailbox **mailboxes_r, unsigned int *count_r);
/* "INBOX" in any case is INBOX. 1 found, 0 not, -1 error. */
int store_mailbox_lookup(struct store *store, int64_t user_id, const char *name,
			 struct pool *pool, struct store_mailbox *mailbox_r);
int store_mailbox_lookup_id(struct store *store, int64_t mailbox_id,
			    struct pool *pool, struct store_mailbox *mailbox_r);
/* Create; special_use may be NULL. Validates the name. */
int store_mailbox_create(struct store *store, int64_t user_id, const char *name,
			 const char *special_use, int64_t *mailbox_id_r);
/* Delete the mailbox and its messages (not its children). INBOX cannot be
   deleted (STORE_ERROR_PERM). */
int store_mailbox_delete(struct store *store, int64_t user_id, const char *name);
/* Rename with its children. Renaming INBOX moves its messages into the new
   mailbox and leaves INBOX empty (RFC 3501 6.3.5). */
int store_mailbox_rename(struct store *store, int64_t user_id,
			 const char *old_name, const char *new_name);
/* Subscriptions are names (RFC 3501 6.3.6): they outlive the mailbox they
   name, and a RENAME carries them along. Subscribing twice is fine;
   unsubscribing a name that is not subscribed is STORE_ERROR_NOT_FOUND. */
int store_mailbox_subscribe(struct store *store, int64_t user_id,
			    const char *name, bool subscribe);
/* Every subscribed name of a user, sorted; allocated from pool. */
int store_subscription_list(struct store *store, int64_t user_id,
			    struct pool *pool, const char ***names_r,
			    unsigned int *count_r);
/* Is this a valid mailbox name for us? (no empty levels, no control
   characters, not too long, no leading separator) */
bool store_mailbox_name_valid(const char *name);

/* --- messages --- */

enum store_flag {
	STORE_FLAG_SEEN = 0x01,
	STORE_FLAG_ANSWERED = 0x02,
	STORE_FLAG_FLAGGED = 0x04,
	STORE_FLAG_DELETED = 0x08,
	STORE_FLAG_DRAFT = 0x10,
};
#define STORE_FLAGS_ALL 0x1f

/* Which columns store_message_iter and store_message_get fill in. */
enum store_fields {
	STORE_FIELD_STATE = 0x01,         /* uid, modseq, flags, keywords */
	STORE_FIELD_SIZES = 0x02,         /* sizes, internaldate, save_date, sent_date and _time */
	STORE_FIELD_BLOB = 0x04,          /* blob id */
	STORE_FIELD_ENVELOPE = 0x08,      /* envelope and message_id */
	STORE_FIELD_BODYSTRUCTURE = 0x10, /* bodystructure and body */
	STORE_FIELD_HEADERS = 0x20,       /* the header lines kept for SEARCH (the iterator only) */
};

struct store_message {
	uint32_t uid;
	uint64_t modseq;
	uint32_t flags;           /* enum store_flag */
	const char *keywords;     /* space-separated, or NULL */
	time_t internaldate;
	int internaldate_tz;      /* minutes east of UTC, as given at APPEND */
	time_t save_date;
	uint64_t size;            /* bytes as stored */
	uint64_t vsize;           /* bytes with bare LFs turned into CRLF */
	uint32_t header_size;     /* stored bytes of the header incl. blank line */
	bool crlf;                /* stored bytes have no bare LF */
	const char *blob;
	const char *envelope;      /* IMAP ENVELOPE, already formatted */
	const char *bodystructure; /* IMAP BODYSTRUCTURE, extensible form */
	const char *body;          /* IMAP BODY, non-extensible form */
	const char *sent_date;     /* Date: header as written, for SEARCH SENT* */
	time_t sent_time;          /* parsed Date:, 0 if none */
	const char *message_id;
	const char *parts;         /* part map (lib-mime's mime_parts_parse()) */
	const char *headers;       /* "Name: value\n" lines, decoded (SEARCH's copy) */
};

/*
 * Iterate over a mailbox's messages with lo <= uid <= hi, in UID order,
 * reading only the columns fields asks for (STATE always). The iterator
 * holds a read snapshot: finish it before returning to the event loop if a
 * writer may wait (deinit and restart from the last UID + 1 to continue
 * later). Iterators may be nested.
 */
struct store_message_iter;
struct store_message_iter *store_message_iter_init(struct store *store,
						   int64_t mailbox_id,
						   uint32_t lo, uint32_t hi,
						   unsigned int fields);
/* 1: *msg_r filled (strings valid until the next call), 0: end, -1: error */
int store_message_iter_next(struct store_message_iter *iter,
			    struct store_message *msg_r);
void store_message_iter_deinit(struct store_message_iter **iter);
/* Rows the iterator reads at a time on PostgreSQL (1,024; a test makes it
   small to cross pages with few messages). */
extern unsigned int store_message_page_rows;

/* One message by UID. 1 found, 0 not, -1 error. */
int store_message_get(struct store *store, int64_t mailbox_id, uint32_t uid,
		      unsigned int fields, struct pool *pool,
		      struct store_message *msg_r);

/* Open a blob read-only (O_CLOEXEC). Returns the fd or -1. */
int store_blob_open(struct store *store, const char *blob);
/* Read a whole blob into pool memory (for small messages and tests). */
int store_blob_read(struct store *store, const char *blob, struct pool *pool,
		    const unsigned char **data_r, size_t *size_r);

enum store_flags_mode {
	STORE_FLAGS_REPLACE,
	STORE_FLAGS_ADD,
	STORE_FLAGS_REMOVE,
};

/*
 * Change a message's flags and keywords. keywords is space-separated (NULL
 * or "" for none). With unchangedsince != 0, nothing changes if the
 * message's modseq is higher (CONDSTORE): returns 0 and *changed_r false,
 * *modseq_r the current modseq and *conflict_r true.
 * On a real change the message gets a new modseq.
 * 1: done, 0: no such message, -1: error.
 */
struct store_flag_change {
	bool changed;
	bool conflict;
	uint32_t flags;
	const char *keywords; /* in pool */
	uint64_t modseq;
};
int store_message_set_flags(struct store *store, int64_t mailbox_id,
			    uint32_t uid, enum store_flags_mode mode,
			    uint32_t flags, const char *keywords,
			    uint64_t unchangedsince, struct pool *pool,
			    struct store_flag_change *result_r);

/* Remove a message (recorded for QRESYNC VANISHED). 1, 0 (none), -1. */
int store_message_expunge(struct store *store, int64_t mailbox_id, uint32_t uid);

/*
 * Copy a message into another mailbox (same user or not); the body is
 * shared. The copy gets the next UID of dst and the flags given (IMAP copies
 * flags; pass the source's). *new_uid_r is set. The destination owner's
 * quota is checked as for store_message_add() (STORE_ERROR_OVER_QUOTA).
 */
int store_message_copy(struct store *store, int64_t src_mailbox_id,
		       uint32_t uid, int64_t dst_mailbox_id, uint32_t *new_uid_r);

/*
 * Move a message: copy and expunge in one transaction. Within one user's
 * mailboxes the usage does not change, so the quota is not checked (an
 * over-quota user must still be able to move mail to Trash); into another
 * user's mailbox it is, as for a copy.
 */
int store_message_move(struct store *store, int64_t src_mailbox_id,
		       uint32_t uid, int64_t dst_mailbox_id, uint32_t *new_uid_r);

/* Mailbox changes since modseq, for IMAP untagged updates and QRESYNC. */
typedef void store_change_cb(void *context, const struct store_message *msg);
typedef void store_vanished_cb(void *context, uint32_t uid);
int store_mailbox_changes(struct store *store, int64_t mailbox_id,
			  uint64_t since_modseq, store_change_cb *changed,
			  store_vanished_cb *vanished, void *context);
/* The lowest modseq for which we still know all expunges (QRESYNC). */
uint64_t store_mailbox_vanished_floor(struct store *store, int64_t mailbox_id);

/*
 * Full-text search in the mailbox: UIDs of messages whose decoded text
 * (body parts; with headers if include_headers) contains needle, ASCII
 * case-insensitively. Calls cb for each, in UID order.
 */
typedef void store_uid_cb(void *context, uint32_t uid);
int store_search_text(struct store *store, int64_t mailbox_id,
		      const char *needle, bool include_headers,
		      store_uid_cb *cb, void *context);

/* --- saving new messages --- */

/* Writing a new blob: to tmp/, then fsync, rename into blobs/, fsync the
   directory. Only after store_blob_writer_finish() succeeded may the
   message be added to the index. */
struct store_blob_writer;
struct store_blob_writer *store_blob_writer_create(struct store *store);
/* The same, keeping a given blob id (a store copied from another keeps
   its bodies' names, which its index refers to). */
struct store_blob_writer *store_blob_writer_create_named(struct store *store,
							 const char *blob);
int store_blob_writer_write(struct store_blob_writer *writer,
			    const void *data, size_t len);
/* Bytes written so far. */
uint64_t store_blob_writer_size(const struct store_blob_writer *writer);
/* Move the blob into place; its id (33 bytes with NUL) into blob_r.
   sync true: durable now (fdatasync, rename, directory fsync). sync false:
   renamed but not yet durable; the caller must call store_blob_sync_dirs()
   (one syncfs() for every such blob) before committing the index. */
int store_blob_writer_finish(struct store_blob_writer *writer, bool sync,
			     char blob_r[33]);
void store_blob_writer_abort(struct store_blob_writer **writer);
void store_blob_writer_free(struct store_blob_writer **writer);
/* Make every blob finished without sync since the last call durable,
   with their renames (syncfs). 0, or -1 (STORE_ERROR_TEMP). */
int store_blob_sync_dirs(struct store *store);
/* Remove a blob that no message uses (after a failed index commit). */
void store_blob_unlink(struct store *store, const char *blob);

/* What lib-mime computed for a message, stored with it. */
struct store_message_meta {
	uint64_t size;
	uint64_t vsize;
	uint32_t header_size;
	bool crlf;
	const char *envelope;
	const char *bodystructure;
	const char *body;
	const char *message_id;
	const char *sent_date;
	time_t sent_time;
	const char *headers;   /* searchable header fields, decoded */
	const char *text;      /* decoded text of the body parts (for search) */
	const char *parts;     /* part map */
};

/* Add a message whose blob is durable. flags/keywords as in set_flags;
   internaldate 0 means now. *uid_r gets the new UID. Over the owner's
   quota: -1 with STORE_ERROR_OVER_QUOTA, nothing written, and an
   enclosing transaction is not failed by it. */
int store_message_add(struct store *store, int64_t mailbox_id, const char *blob,
		      const struct store_message_meta *meta, uint32_t flags,
		      const char *keywords, time_t internaldate,
		      int internaldate_tz, uint32_t *uid_r);

/* --- quotas (RFC 9208; store-quota.c) --- */

/*
 * A user's usage and limits. The usage counts every message in the user's
 * mail mailboxes (not the calendar's, not calendar items): STORAGE is the
 * sum of their RFC822.SIZEs (a copy counts again, though its body is
 * shared), MESSAGE their number.
 *
 * Enforcement is in the store, inside the writing transaction: adding a
 * message (store_message_add(): delivery, APPEND, the web) and copying one
 * fail with STORE_ERROR_OVER_QUOTA when the usage after the write would
 * exceed a limit, and then nothing was written, so a batch may go on with
 * its other messages. The check holds the user's lock (SQLite: the
 * database's write lock of BEGIN IMMEDIATE; PostgreSQL: an advisory lock
 * per user until the transaction ends) so concurrent writers see each
 * other's messages: usage never goes above a limit by any number of
 * concurrent deliveries. Only lowering a limit, an import, or a move
 * within the user (which changes nothing) leaves a user over it.
 */
#define STORE_QUOTA_UNLIMITED UINT64_MAX

enum store_quota_resource {
	STORE_QUOTA_STORAGE,   /* bytes */
	STORE_QUOTA_MESSAGES,
};

struct store_quota {
	uint64_t storage_used;      /* bytes */
	uint64_t storage_limit;     /* bytes, or STORE_QUOTA_UNLIMITED */
	uint64_t messages_used;
	uint64_t messages_limit;    /* or STORE_QUOTA_UNLIMITED */
};

/* The user's usage and limits (one read of their mailboxes' counters).
   1, 0 (no such user), -1. */
int store_quota_get(struct store *store, int64_t user_id,
		    struct store_quota *quota_r);
/* Would adding count messages of bytes in all go over a limit? */
bool store_quota_exceeded(const struct store_quota *quota, uint64_t bytes,
			  uint64_t count);
/* Set one limit (STORE_QUOTA_UNLIMITED: remove it). 0, or -1
   (STORE_ERROR_NOT_FOUND: no such user). */
int store_user_set_quota(struct store *store, const char *address,
			 enum store_quota_resource resource, uint64_t limit);

/* --- moving in (store-import.c) --- */

/*
 * The mailbox an import writes into, keeping the UIDVALIDITY its UIDs
 * belong to (0: none to keep, as for an mbox). Created if missing. An
 * existing mailbox takes uidvalidity if it never held a message (UIDNEXT
 * 1) and keeps it if equal; otherwise STORE_ERROR_EXISTS, because UIDs
 * of another UIDVALIDITY cannot be merged into it. With check_only
 * nothing changes. *mailbox_r is the mailbox (unset when check_only and
 * it does not exist). 1: created (or would be), 0: exists and fits, -1.
 */
int store_import_mailbox(struct store *store, int64_t user_id, const char *name,
			 uint32_t uidvalidity, bool check_only,
			 struct pool *pool, struct store_mailbox *mailbox_r);

struct store_import_message {
	const char *blob;        /* finished with sync false */
	const struct store_message_meta *meta;
	uint32_t uid;            /* 0: the mailbox's next */
	uint32_t flags;
	const char *keywords;    /* space-separated, or NULL */
	time_t internaldate;
};

/*
 * Add a batch of messages in one durable transaction: the blobs are made
 * durable (store_blob_sync_dirs()), then every row goes in or none does.
 * Given UIDs must ascend and not be below UIDNEXT (STORE_ERROR_EXISTS).
 * Afterwards UIDNEXT is at least uidnext_min (the source's next UID; 0
 * for none). count 0 only raises UIDNEXT. 0 or -1.
 */
int store_import_messages(struct store *store, int64_t mailbox_id,
			  const struct store_import_message *msgs,
			  unsigned int count, uint32_t uidnext_min);

/* --- calendar items --- */

struct store_cal_item {
	int64_t id;
	int64_t user_id;
	const char *uid;          /* iCalendar UID */
	int sequence;
	time_t dtstart;           /* UTC, 0 unknown */
	time_t dtend;
	bool all_day;
	const char *summary;
	const char *location;
	const char *organizer;    /* mailto: address, without "mailto:" */
	const char *status;       /* TENTATIVE, CONFIRMED, CANCELLED */
	const char *partstat;     /* the user's own answer, NULL if organizer */
	const char *ical;         /* the whole VCALENDAR (all VEVENTs of UID) */
	const char *token;        /* the link token */
	const char *source;       /* where it came from ("imip:<message-id>", "web") */
	time_t created;
	time_t updated;
	/* where CalDAV serves it (store-dav.h): on insert, collection_id 0
	   means the user's default calendar and href NULL a new random
	   name */
	int64_t collection_id;
	const char *href;
	uint64_t modseq;          /* out: the version (ETag) */
	uint64_t schedule_tag;    /* out: RFC 6638 3.2.10 Schedule-Tag */
	/* in: this save merges an attendee's REPLY into the organizer's
	   copy, which keeps the Schedule-Tag (RFC 6638 3.2.10) */
	bool keep_schedule_tag;
};

/* 1 found, 0 not, -1 error. */
int store_cal_item_lookup(struct store *store, int64_t user_id, const char *uid,
			  struct pool *pool, struct store_cal_item *item_r);
int store_cal_item_lookup_token(struct store *store, const char *token,
				struct pool *pool, struct store_cal_item *item_r);
int store_cal_item_lookup_id(struct store *store, int64_t id,
			     struct pool *pool, struct store_cal_item *item_r);
/* By CalDAV resource name within a calendar collection. */
int store_cal_item_lookup_href(struct store *store, int64_t collection_id,
			       const char *href, struct pool *pool,
			       struct store_cal_item *item_r);
/* Every save takes the next modseq of the item's collection (a change
   CalDAV clients see) in the same transaction.
   Insert (item->id == 0: item->id set; a new token is made unless
   item->token is already set, by a caller that made it with secret_token()
   of at least 128 bits) or update by id (the token never changes). token is
   filled in for new items (pool memory). */
int store_cal_item_save(struct store *store, struct store_cal_item *item,
			struct pool *pool);
typedef void store_cal_item_cb(void *context, const struct store_cal_item *item);
/* Items of a user overlapping [from, to) (0, 0: all), by start time. */
int store_cal_item_list(struct store *store, int64_t user_id, time_t from,
			time_t to, struct pool *pool, store_cal_item_cb *cb,
			void *context);

/* --- web sessions --- */

struct store_web_session {
	int64_t handle;          /* names the session in the sessions list */
	int64_t user_id;
	const char *csrf;
	time_t created, last_seen, expires;
	const char *client;      /* "ADDRESS, User-Agent" as it logged in, or NULL */
};
/* Session ids are stored hashed: a leaked index gives no sessions. A
   user keeps at most STORE_WEB_SESSIONS_PER_USER sessions: creating one
   more ends the oldest (each login makes one, and a client that logs in
   again and again must not grow the table without bound). 0 or -1. */
#define STORE_WEB_SESSIONS_PER_USER 50
int store_web_session_create(struct store *store, int64_t user_id,
			     time_t expires, const char *id, const char *csrf,
			     const char *client);
/* A live session (expires in the future): 1, 0 none, -1 error. */
int store_web_session_lookup(struct store *store, const char *id,
			     struct pool *pool, struct store_web_session *sess_r);
/* Activity: last_seen = now and a new expiry (the sliding lifetime; the
   caller caps it). 0 or -1; a session that is gone is not an error. */
int store_web_session_touch(struct store *store, const char *id, time_t now,
			    time_t expires);
int store_web_session_delete(struct store *store, const char *id);
typedef void store_web_session_cb(void *context,
				  const struct store_web_session *sess);
/* A user's live sessions, the most recently used first (csrf NULL). */
int store_web_session_list(struct store *store, int64_t user_id,
			   struct pool *pool, store_web_session_cb *cb,
			   void *context);
/* End one of the user's sessions by its handle (STORE_ERROR_NOT_FOUND if
   the user has no such session), or all of them but except_id (NULL: all). */
int store_web_session_end(struct store *store, int64_t user_id, int64_t handle);
int store_web_sessions_end_all(struct store *store, int64_t user_id,
			       const char *except_id);
int store_web_sessions_expire(struct store *store, time_t now);

/* --- outbound queue --- */

struct store_outbound {
	int64_t id;
	const char *sender;       /* envelope sender */
	const char *recipients;   /* comma-separated */
	const char *blob;
	time_t created;
	time_t next_attempt;
	unsigned int attempts;
	const char *last_error;
};
int store_outbound_add(struct store *store, const char *sender,
		       const char *recipients, const char *blob, int64_t *id_r);
/* Due entries (next_attempt <= now), oldest first, at most limit,
   claimed for this caller: nobody else gets them from this call until the
   caller's retry_later or done, or until the claim runs out (10 minutes;
   next_attempt shows its end meanwhile). */
typedef void store_outbound_cb(void *context, const struct store_outbound *entry);
int store_outbound_due(struct store *store, time_t now, unsigned int limit,
		       struct pool *pool, store_outbound_cb *cb, void *context);
int store_outbound_list(struct store *store, struct pool *pool,
			store_outbound_cb *cb, void *context);
/* How many entries wait, and when the oldest was queued (0 when none):
   one aggregate read, cheap enough for every metrics scrape. 0 or -1. */
int store_outbound_stats(struct store *store, unsigned int *count_r,
			 time_t *oldest_r);
int store_outbound_retry_later(struct store *store, int64_t id,
			       time_t next_attempt, const char *error);
/* Delete the entry (sent or bounced); its blob is removed if unused. */
int store_outbound_done(struct store *store, int64_t id);

/* --- copying a whole store (store copy) --- */

/* 1 if the store has no user and no message, 0 if it has, -1 error. */
int store_is_empty(struct store *store);
/* Called as the copy goes: what (a table, "bodies") and how many rows of
   it so far. */
typedef void store_copy_progress_cb(void *context, const char *what,
				    uint64_t count);
/* Copy everything of src into the empty dst (either backend into
   either): users with their password hashes, mailboxes with UIDVALIDITY,
   UIDs and MODSEQs, flags, keywords, subscriptions, bodies, calendar
   items with their link tokens, contacts and the outbound queue. Memory
   is bounded (pages of rows). STORE_ERROR_EXISTS if dst is not empty. */
int store_copy(struct store *dst, struct store *src,
	       store_copy_progress_cb *progress, void *context);

/* Remove blob files no message or queue entry uses (older than
   min_age_secs, so blobs being delivered are safe). Returns the count;
   0 while a backup runs (store_backup()), which needs every file. */
int store_blob_gc(struct store *store, unsigned int min_age_secs);

/* --- backups (store-backup.c) --- */

enum store_backup_stage {
	STORE_BACKUP_INDEX,   /* done, total: pages of the index */
	STORE_BACKUP_BODIES,  /* done, total: blob files */
};
typedef void store_backup_progress_cb(void *context,
				      enum store_backup_stage stage,
				      uint64_t done, uint64_t total);

struct store_backup_result {
	uint64_t messages;       /* in the copied index */
	uint64_t index_bytes;
	unsigned int blobs_linked;
	unsigned int blobs_copied;  /* where a hard link was impossible */
	/* blobs the index refers to that the store itself has lost: the
	   backup is complete but for these (listed in the log) */
	unsigned int blobs_missing;
};

/*
 * A consistent copy of a running SQLite store into dir, which the caller
 * names and which must not exist or be an empty directory (else
 * STORE_ERROR_EXISTS); its parent must exist. The result is a complete
 * data_dir: a server started on it serves the store as it was.
 *
 * Order: the blobs folder's lock is taken (while it is held, no process
 * removes a blob file: store_blob_gc() and the removal after an expunge
 * leave them to a later clean-up), then one read snapshot of the index is
 * copied through SQLite's online backup API into dir/index.db, then every
 * blob that snapshot refers to is hard-linked into dir/blobs (copied and
 * fsynced where a link is impossible: another filesystem). Blobs never
 * change once written, so a blob referenced by the snapshot is complete;
 * blobs written after it are not needed. Deliveries, IMAP and the CLI go
 * on meanwhile.
 *
 * progress (may be NULL) is called as each stage moves. PostgreSQL:
 * STORE_ERROR_PERM (pg_dump and a copy of blob_dir instead, README).
 * A destination that cannot be made or written: STORE_ERROR_INVALID.
 * 0 or -1; on -1 dir may hold a partial copy.
 */
int store_backup(struct store *store, const char *dir,
		 store_backup_progress_cb *progress, void *context,
		 struct store_backup_result *result_r);

#endif
