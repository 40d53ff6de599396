/*
 * The schema and its migrations. The version is kept in PRAGMA
 * user_version; each migration runs in its own transaction and moves the
 * schema up by one, so a store created by any earlier version opens.
 */
#include "store-private.h"

#include <stdio.h>

static const char *const store_migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  password TEXT NOT NULL,"
	"  calendar_format TEXT,"
	"  created INTEGER NOT NULL"
	");"
	"CREATE TABLE mailboxes ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  kind INTEGER NOT NULL DEFAULT 0,"
	"  special_use TEXT,"
	"  subscribed INTEGER NOT NULL DEFAULT 1,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uidnext INTEGER NOT NULL DEFAULT 1,"
	"  highestmodseq INTEGER NOT NULL DEFAULT 1,"
	"  vanished_floor INTEGER NOT NULL DEFAULT 0,"
	"  messages INTEGER NOT NULL DEFAULT 0,"
	"  unseen INTEGER NOT NULL DEFAULT 0,"
	"  deleted INTEGER NOT NULL DEFAULT 0,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (user_id, name)"
	");"
	"CREATE TABLE blobs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  refs INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX blobs_unused ON blobs (refs) WHERE refs <= 0;"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  keywords TEXT,"
	"  internaldate INTEGER NOT NULL,"
	"  internaldate_tz INTEGER NOT NULL DEFAULT 0,"
	"  save_date INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  vsize INTEGER NOT NULL,"
	"  header_size INTEGER NOT NULL,"
	"  crlf INTEGER NOT NULL,"
	"  blob_id INTEGER NOT NULL REFERENCES blobs(id),"
	"  envelope TEXT NOT NULL,"
	"  bodystructure TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  message_id TEXT,"
	"  sent_date TEXT,"
	"  sent_time INTEGER NOT NULL DEFAULT 0,"
	"  parts TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (mailbox_id, uid)"
	");"
	"CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);"
	"CREATE INDEX messages_blob ON messages (blob_id);"
	"CREATE TABLE expunged ("
	"  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid INTEGER NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)"
	") WITHOUT ROWID;"
	"CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);"
	/* Decoded text per blob (copies share it), so that SEARCH BODY/TEXT
	   scans plain UTF-8 instead of parsing MIME. A trigram FTS5 index
	   answers in a millisecond but costs 2-4 times the text in space and
	   about 1 ms of CPU per 8 KB message at delivery; a scan of this
	   table is already an order of magnitude faster than decoding every
	   message, at the cost of one copy of the text. */
	"CREATE TABLE blob_text ("
	"  id INTEGER PRIMARY KEY,"
	"  headers TEXT NOT NULL,"
	"  body TEXT NOT NULL"
	");"

	/* Counters kept by triggers, so STATUS never counts rows. */
	"CREATE TRIGGER messages_ins AFTER INSERT ON messages BEGIN"
	"  UPDATE mailboxes SET messages = messages + 1,"
	"    unseen = unseen + ((NEW.flags & 1) = 0),"
	"    deleted = deleted + ((NEW.flags & 8) != 0),"
	"    size = size + NEW.vsize"
	"  WHERE id = NEW.mailbox_id;"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"END;"
	"CREATE TRIGGER messages_del AFTER DELETE ON messages BEGIN"
	"  UPDATE mailboxes SET messages = messages - 1,"
	"    unseen = unseen - ((OLD.flags & 1) = 0),"
	"    deleted = deleted - ((OLD.flags & 8) != 0),"
	"    size = size - OLD.vsize"
	"  WHERE id = OLD.mailbox_id;"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"END;"
	"CREATE TRIGGER messages_flags AFTER UPDATE OF flags ON messages"
	"  WHEN OLD.flags != NEW.flags BEGIN"
	"  UPDATE mailboxes SET"
	"    unseen = unseen - ((OLD.flags & 1) = 0) + ((NEW.flags & 1) = 0),"
	"    deleted = deleted - ((OLD.flags & 8) != 0) + ((NEW.flags & 8) != 0)"
	"  WHERE id = NEW.mailbox_id;"
	"END;"

	"CREATE TABLE cal_items ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  uid TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  dtstart INTEGER NOT NULL DEFAULT 0,"
	"  dtend INTEGER NOT NULL DEFAULT 0,"
	"  all_day INTEGER NOT NULL DEFAULT 0,"
	"  summary TEXT,"
	"  location TEXT,"
	"  organizer TEXT,"
	"  status TEXT,"
	"  partstat TEXT,"
	"  ical TEXT NOT NULL,"
	"  token TEXT NOT NULL UNIQUE,"
	"  source TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  UNIQUE (user_id, uid)"
	");"
	"CREATE INDEX cal_items_start ON cal_items (user_id, dtstart);"

	"CREATE TABLE web_sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL"
	");"

	"CREATE TABLE outbound ("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  blob_id INTEGER NOT NULL REFERENCES blobs(id),"
	"  created INTEGER NOT NULL,"
	"  next_attempt INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT"
	");"
	"CREATE TRIGGER outbound_ins AFTER INSERT ON outbound BEGIN"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"END;"
	"CREATE TRIGGER outbound_del AFTER DELETE ON outbound BEGIN"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"END;",

	/* 2: a user's sessions by age, for the per-user cap on sessions (and
	   for deleting a user without scanning every session) */
	"CREATE INDEX web_sessions_user ON web_sessions (user_id, created);",

	/* 3: subscriptions are names, not mailboxes: RFC 3501 6.3.6 forbids
	   removing a name from the list because its mailbox went away, and
	   LIST (SUBSCRIBED) shows such names as \NonExistent (RFC 5258) */
	"CREATE TABLE subscriptions ("
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, name)"
	") WITHOUT ROWID;"
	"INSERT INTO subscriptions (user_id, name)"
	"  SELECT user_id, name FROM mailboxes WHERE subscribed != 0 AND kind = 0;"
	"ALTER TABLE mailboxes DROP COLUMN subscribed;",

	/* 4: a message's id is (mailbox_id << 32) + uid (STORE_MESSAGE_ROWID
	   in store-private.h): a mailbox's rows lie together in UID order,
	   and reading a UID range is one range of the table. Old ids are
	   below 2^32, new ones above (mailbox ids start at 1), so renumbering
	   in place cannot collide. Nothing refers to messages.id. */
	"UPDATE messages SET id = (mailbox_id << 32) + uid;",

	/* 5: CalDAV and CardDAV collections (store-dav.c). Each collection
	   counts its own changes (modseq, bumped in the writing transaction,
	   as a mailbox's HIGHESTMODSEQ is): a resource's version is the
	   modseq of its last change (the ETag), the collection's is the sync
	   token (RFC 6578), deleted resources leave a tombstone until the
	   collection has too many and the floor rises. AUTOINCREMENT: a
	   deleted collection's id is never given again, so an old sync token
	   cannot name a new collection. Every existing item goes into its
	   owner's default calendar under a new random name. */
	"CREATE TABLE dav_collections ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  displayname TEXT,"
	"  color TEXT,"
	"  description TEXT,"
	"  is_default INTEGER NOT NULL DEFAULT 0,"
	"  modseq INTEGER NOT NULL DEFAULT 1,"
	"  tomb_floor INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (user_id, kind, name)"
	");"
	"INSERT INTO dav_collections (user_id, kind, name, displayname, is_default, created)"
	"  SELECT id, 1, 'calendar', 'Calendar', 1, created FROM users;"
	"INSERT INTO dav_collections (user_id, kind, name, displayname, is_default, created)"
	"  SELECT id, 2, 'contacts', 'Contacts', 1, created FROM users;"
	"ALTER TABLE cal_items ADD COLUMN collection_id INTEGER"
	"  REFERENCES dav_collections(id) ON DELETE CASCADE;"
	"ALTER TABLE cal_items ADD COLUMN href TEXT;"
	"ALTER TABLE cal_items ADD COLUMN modseq INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE cal_items ADD COLUMN schedule_tag INTEGER NOT NULL DEFAULT 1;"
	"UPDATE cal_items SET collection_id = (SELECT c.id FROM dav_collections c"
	"  WHERE c.user_id = cal_items.user_id AND c.kind = 1 AND c.is_default = 1),"
	"  href = lower(hex(randomblob(12))) || '.ics';"
	"CREATE UNIQUE INDEX cal_items_href ON cal_items (collection_id, href);"
	"CREATE INDEX cal_items_modseq ON cal_items (collection_id, modseq);"
	"CREATE TABLE cards ("
	"  id INTEGER PRIMARY KEY,"
	"  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,"
	"  href TEXT NOT NULL,"
	"  uid TEXT NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  fn TEXT,"
	"  vcard TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  UNIQUE (collection_id, href),"
	"  UNIQUE (collection_id, uid)"
	");"
	"CREATE INDEX cards_modseq ON cards (collection_id, modseq);"
	"CREATE TABLE dav_tombstones ("
	"  collection_id INTEGER NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,"
	"  href TEXT NOT NULL,"
	"  modseq INTEGER NOT NULL,"
	"  PRIMARY KEY (collection_id, href)"
	") WITHOUT ROWID;"
	"CREATE INDEX dav_tombstones_modseq ON dav_tombstones (collection_id, modseq);",
};

#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

int store_schema_migrate(struct store *store, const char **error_r)
{
	static char errbuf[512];
	sqlite3_stmt *stmt;
	int version, rc;

	/* BEGIN IMMEDIATE first, so that two processes opening a new store
	   at once do not both try to create it. */
	if (store_exec(store, "BEGIN IMMEDIATE") < 0) {
		*error_r = store_last_error_detail(store);
		return -1;
	}
	rc = sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL);
	if (rc != SQLITE_OK || sqlite3_step(stmt) != SQLITE_ROW) {
		sqlite3_finalize(stmt);
		store_exec(store, "ROLLBACK");
		*error_r = "cannot read the schema version";
		return -1;
	}
	version = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	if (version > STORE_SCHEMA_VERSION) {
		store_exec(store, "ROLLBACK");
		snprintf(errbuf, sizeof(errbuf),
			 "store schema version %d is newer than this infostore (%d)",
			 version, STORE_SCHEMA_VERSION);
		*error_r = errbuf;
		return -1;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char *errmsg = NULL;
		char pragma[64];

		if (sqlite3_exec(store->db, store_migrations[version], NULL, NULL,
				 &errmsg) != SQLITE_OK) {
			snprintf(errbuf, sizeof(errbuf), "migration to schema %d failed: %s",
				 version + 1, errmsg != NULL ? errmsg : "?");
			sqlite3_free(errmsg);
			store_exec(store, "ROLLBACK");
			*error_r = errbuf;
			return -1;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
		if (store_exec(store, pragma) < 0) {
			store_exec(store, "ROLLBACK");
			*error_r = store_last_error_detail(store);
			return -1;
		}
	}
	if (store_exec(store, "COMMIT") < 0) {
		*error_r = store_last_error_detail(store);
		return -1;
	}
	return 0;
}
