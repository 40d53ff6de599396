/*
 * The schema and its migrations, for SQLite and for PostgreSQL. The
 * version is kept in PRAGMA user_version (a table on PostgreSQL); the
 * migrations run in one transaction, each moving the schema up by one,
 * so a store created by any earlier version opens.
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

	/* 6: quotas (RFC 9208). A user's limits, NULL for none: bytes of
	   RFC822.SIZE and a count of messages, over their mail mailboxes
	   (store-quota.c). No per-user usage counter: the usage is the sum of
	   the per-mailbox counters the triggers already keep, read in the
	   writing transaction. And per mailbox the size of the messages
	   marked \Deleted, kept by the same triggers, for STATUS
	   DELETED-STORAGE (RFC 9208) without a scan. */
	"ALTER TABLE users ADD COLUMN quota_storage INTEGER;"
	"ALTER TABLE users ADD COLUMN quota_messages INTEGER;"
	"ALTER TABLE mailboxes ADD COLUMN deleted_size INTEGER NOT NULL DEFAULT 0;"
	"UPDATE mailboxes SET deleted_size = COALESCE((SELECT SUM(vsize)"
	"  FROM messages WHERE mailbox_id = mailboxes.id AND (flags & 8) != 0), 0);"
	"DROP TRIGGER messages_ins;"
	"DROP TRIGGER messages_del;"
	"DROP TRIGGER messages_flags;"
	"CREATE TRIGGER messages_ins AFTER INSERT ON messages BEGIN"
	"  UPDATE mailboxes SET messages = messages + 1,"
	"    unseen = unseen + ((NEW.flags & 1) = 0),"
	"    deleted = deleted + ((NEW.flags & 8) != 0),"
	"    deleted_size = deleted_size + ((NEW.flags & 8) != 0) * NEW.vsize,"
	"    size = size + NEW.vsize"
	"  WHERE id = NEW.mailbox_id;"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"END;"
	"CREATE TRIGGER messages_del AFTER DELETE ON messages BEGIN"
	"  UPDATE mailboxes SET messages = messages - 1,"
	"    unseen = unseen - ((OLD.flags & 1) = 0),"
	"    deleted = deleted - ((OLD.flags & 8) != 0),"
	"    deleted_size = deleted_size - ((OLD.flags & 8) != 0) * OLD.vsize,"
	"    size = size - OLD.vsize"
	"  WHERE id = OLD.mailbox_id;"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"END;"
	"CREATE TRIGGER messages_flags AFTER UPDATE OF flags ON messages"
	"  WHEN OLD.flags != NEW.flags BEGIN"
	"  UPDATE mailboxes SET"
	"    unseen = unseen - ((OLD.flags & 1) = 0) + ((NEW.flags & 1) = 0),"
	"    deleted = deleted - ((OLD.flags & 8) != 0) + ((NEW.flags & 8) != 0),"
	"    deleted_size = deleted_size - ((OLD.flags & 8) != 0) * OLD.vsize"
	"      + ((NEW.flags & 8) != 0) * NEW.vsize"
	"  WHERE id = NEW.mailbox_id;"
	"END;",

	/* 7: what a user sets in the web access (a display name for the
	   From of what they send, the time zone they read dates in), and
	   per web session when it was last used and by which client, for
	   a sliding lifetime and the sessions list */
	"ALTER TABLE users ADD COLUMN display_name TEXT;"
	"ALTER TABLE users ADD COLUMN timezone TEXT;"
	"ALTER TABLE web_sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE web_sessions ADD COLUMN client TEXT;"
	"UPDATE web_sessions SET last_seen = created;",
};

#define STORE_SCHEMA_VERSION \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/*
 * The same schema on PostgreSQL, its first entry at SQLite's version 5. Differences of
 * spelling only: BIGINT for SQLite's 64-bit INTEGER, identity columns
 * for its rowid ids, citext for COLLATE NOCASE, the counters' triggers
 * as PL/pgSQL functions, and web_sessions' insertion order as a column
 * named rowid (SQLite's implicit one, which the shared SQL uses).
 * Booleans stay integers, as in SQLite, so the SQL reads the same. A
 * later SQLite migration gets its PostgreSQL twin appended here.
 */
static const char *const store_pg_migrations[] = {
	/* 1 = SQLite's 5 */
	"CREATE EXTENSION IF NOT EXISTS citext;"
	"CREATE TABLE counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
	"CREATE TABLE users ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  address CITEXT NOT NULL UNIQUE,"
	"  password TEXT NOT NULL,"
	"  calendar_format TEXT,"
	"  created BIGINT NOT NULL"
	");"
	"CREATE TABLE mailboxes ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  kind INTEGER NOT NULL DEFAULT 0,"
	"  special_use TEXT,"
	"  uidvalidity BIGINT NOT NULL,"
	"  uidnext BIGINT NOT NULL DEFAULT 1,"
	"  highestmodseq BIGINT NOT NULL DEFAULT 1,"
	"  vanished_floor BIGINT NOT NULL DEFAULT 0,"
	"  messages BIGINT NOT NULL DEFAULT 0,"
	"  unseen BIGINT NOT NULL DEFAULT 0,"
	"  deleted BIGINT NOT NULL DEFAULT 0,"
	"  size BIGINT NOT NULL DEFAULT 0,"
	"  UNIQUE (user_id, name)"
	");"
	"CREATE TABLE blobs ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  refs BIGINT NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX blobs_unused ON blobs (refs) WHERE refs <= 0;"
	"CREATE TABLE messages ("
	"  id BIGINT PRIMARY KEY,"
	"  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid BIGINT NOT NULL,"
	"  modseq BIGINT NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  keywords TEXT,"
	"  internaldate BIGINT NOT NULL,"
	"  internaldate_tz INTEGER NOT NULL DEFAULT 0,"
	"  save_date BIGINT NOT NULL,"
	"  size BIGINT NOT NULL,"
	"  vsize BIGINT NOT NULL,"
	"  header_size BIGINT NOT NULL,"
	"  crlf INTEGER NOT NULL,"
	"  blob_id BIGINT NOT NULL REFERENCES blobs(id),"
	"  envelope TEXT NOT NULL,"
	"  bodystructure TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  message_id TEXT,"
	"  sent_date TEXT,"
	"  sent_time BIGINT NOT NULL DEFAULT 0,"
	"  parts TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (mailbox_id, uid)"
	");"
	"CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);"
	"CREATE INDEX messages_blob ON messages (blob_id);"
	"CREATE TABLE expunged ("
	"  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
	"  uid BIGINT NOT NULL,"
	"  modseq BIGINT NOT NULL,"
	"  PRIMARY KEY (mailbox_id, uid)"
	");"
	"CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);"
	"CREATE TABLE blob_text ("
	"  id BIGINT PRIMARY KEY,"
	"  headers TEXT NOT NULL,"
	"  body TEXT NOT NULL"
	");"
	"CREATE FUNCTION messages_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET messages = messages + 1,"
	"    unseen = unseen + CASE WHEN NEW.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted + CASE WHEN NEW.flags & 8 != 0 THEN 1 ELSE 0 END,"
	"    size = size + NEW.vsize"
	"  WHERE id = NEW.mailbox_id;"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER messages_ins AFTER INSERT ON messages"
	"  FOR EACH ROW EXECUTE FUNCTION messages_ins();"
	"CREATE FUNCTION messages_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET messages = messages - 1,"
	"    unseen = unseen - CASE WHEN OLD.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted - CASE WHEN OLD.flags & 8 != 0 THEN 1 ELSE 0 END,"
	"    size = size - OLD.vsize"
	"  WHERE id = OLD.mailbox_id;"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER messages_del AFTER DELETE ON messages"
	"  FOR EACH ROW EXECUTE FUNCTION messages_del();"
	"CREATE FUNCTION messages_flags() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET"
	"    unseen = unseen - CASE WHEN OLD.flags & 1 = 0 THEN 1 ELSE 0 END"
	"      + CASE WHEN NEW.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted - CASE WHEN OLD.flags & 8 != 0 THEN 1 ELSE 0 END"
	"      + CASE WHEN NEW.flags & 8 != 0 THEN 1 ELSE 0 END"
	"  WHERE id = NEW.mailbox_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER messages_flags AFTER UPDATE OF flags ON messages"
	"  FOR EACH ROW WHEN (OLD.flags != NEW.flags)"
	"  EXECUTE FUNCTION messages_flags();"

	"CREATE TABLE dav_collections ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  kind INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  displayname TEXT,"
	"  color TEXT,"
	"  description TEXT,"
	"  is_default INTEGER NOT NULL DEFAULT 0,"
	"  modseq BIGINT NOT NULL DEFAULT 1,"
	"  tomb_floor BIGINT NOT NULL DEFAULT 0,"
	"  created BIGINT NOT NULL,"
	"  UNIQUE (user_id, kind, name)"
	");"
	"CREATE TABLE cal_items ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  uid TEXT NOT NULL,"
	"  sequence INTEGER NOT NULL DEFAULT 0,"
	"  dtstart BIGINT NOT NULL DEFAULT 0,"
	"  dtend BIGINT NOT NULL DEFAULT 0,"
	"  all_day INTEGER NOT NULL DEFAULT 0,"
	"  summary TEXT,"
	"  location TEXT,"
	"  organizer TEXT,"
	"  status TEXT,"
	"  partstat TEXT,"
	"  ical TEXT NOT NULL,"
	"  token TEXT NOT NULL UNIQUE,"
	"  source TEXT,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  collection_id BIGINT REFERENCES dav_collections(id) ON DELETE CASCADE,"
	"  href TEXT,"
	"  modseq BIGINT NOT NULL DEFAULT 1,"
	"  schedule_tag BIGINT NOT NULL DEFAULT 1,"
	"  UNIQUE (user_id, uid)"
	");"
	"CREATE INDEX cal_items_start ON cal_items (user_id, dtstart);"
	"CREATE UNIQUE INDEX cal_items_href ON cal_items (collection_id, href);"
	"CREATE INDEX cal_items_modseq ON cal_items (collection_id, modseq);"
	"CREATE TABLE cards ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,"
	"  href TEXT NOT NULL,"
	"  uid TEXT NOT NULL,"
	"  modseq BIGINT NOT NULL,"
	"  fn TEXT,"
	"  vcard TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  updated BIGINT NOT NULL,"
	"  UNIQUE (collection_id, href),"
	"  UNIQUE (collection_id, uid)"
	");"
	"CREATE INDEX cards_modseq ON cards (collection_id, modseq);"
	"CREATE TABLE dav_tombstones ("
	"  collection_id BIGINT NOT NULL REFERENCES dav_collections(id) ON DELETE CASCADE,"
	"  href TEXT NOT NULL,"
	"  modseq BIGINT NOT NULL,"
	"  PRIMARY KEY (collection_id, href)"
	");"
	"CREATE INDEX dav_tombstones_modseq ON dav_tombstones (collection_id, modseq);"

	"CREATE TABLE web_sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  csrf TEXT NOT NULL,"
	"  created BIGINT NOT NULL,"
	"  expires BIGINT NOT NULL,"
	"  rowid BIGINT GENERATED ALWAYS AS IDENTITY"
	");"
	"CREATE INDEX web_sessions_user ON web_sessions (user_id, created);"

	"CREATE TABLE subscriptions ("
	"  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  PRIMARY KEY (user_id, name)"
	");"

	"CREATE TABLE outbound ("
	"  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  blob_id BIGINT NOT NULL REFERENCES blobs(id),"
	"  created BIGINT NOT NULL,"
	"  next_attempt BIGINT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT"
	");"
	"CREATE FUNCTION outbound_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER outbound_ins AFTER INSERT ON outbound"
	"  FOR EACH ROW EXECUTE FUNCTION outbound_ins();"
	"CREATE FUNCTION outbound_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER outbound_del AFTER DELETE ON outbound"
	"  FOR EACH ROW EXECUTE FUNCTION outbound_del();",

	/* 2 = SQLite's 6: quotas and DELETED-STORAGE */
	"ALTER TABLE users ADD COLUMN quota_storage BIGINT;"
	"ALTER TABLE users ADD COLUMN quota_messages BIGINT;"
	"ALTER TABLE mailboxes ADD COLUMN deleted_size BIGINT NOT NULL DEFAULT 0;"
	"UPDATE mailboxes SET deleted_size = COALESCE((SELECT SUM(vsize)"
	"  FROM messages WHERE mailbox_id = mailboxes.id AND flags & 8 != 0), 0);"
	"CREATE OR REPLACE FUNCTION messages_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET messages = messages + 1,"
	"    unseen = unseen + CASE WHEN NEW.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted + CASE WHEN NEW.flags & 8 != 0 THEN 1 ELSE 0 END,"
	"    deleted_size = deleted_size + CASE WHEN NEW.flags & 8 != 0 THEN NEW.vsize ELSE 0 END,"
	"    size = size + NEW.vsize"
	"  WHERE id = NEW.mailbox_id;"
	"  UPDATE blobs SET refs = refs + 1 WHERE id = NEW.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE OR REPLACE FUNCTION messages_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET messages = messages - 1,"
	"    unseen = unseen - CASE WHEN OLD.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted - CASE WHEN OLD.flags & 8 != 0 THEN 1 ELSE 0 END,"
	"    deleted_size = deleted_size - CASE WHEN OLD.flags & 8 != 0 THEN OLD.vsize ELSE 0 END,"
	"    size = size - OLD.vsize"
	"  WHERE id = OLD.mailbox_id;"
	"  UPDATE blobs SET refs = refs - 1 WHERE id = OLD.blob_id;"
	"  RETURN NULL; END $$;"
	"CREATE OR REPLACE FUNCTION messages_flags() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE mailboxes SET"
	"    unseen = unseen - CASE WHEN OLD.flags & 1 = 0 THEN 1 ELSE 0 END"
	"      + CASE WHEN NEW.flags & 1 = 0 THEN 1 ELSE 0 END,"
	"    deleted = deleted - CASE WHEN OLD.flags & 8 != 0 THEN 1 ELSE 0 END"
	"      + CASE WHEN NEW.flags & 8 != 0 THEN 1 ELSE 0 END,"
	"    deleted_size = deleted_size - CASE WHEN OLD.flags & 8 != 0 THEN OLD.vsize ELSE 0 END"
	"      + CASE WHEN NEW.flags & 8 != 0 THEN NEW.vsize ELSE 0 END"
	"  WHERE id = NEW.mailbox_id;"
	"  RETURN NULL; END $$;",

	/* 3 = SQLite's 7: display name, time zone, session activity */
	"ALTER TABLE users ADD COLUMN display_name TEXT;"
	"ALTER TABLE users ADD COLUMN timezone TEXT;"
	"ALTER TABLE web_sessions ADD COLUMN last_seen BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE web_sessions ADD COLUMN client TEXT;"
	"UPDATE web_sessions SET last_seen = created;",
};

#define STORE_PG_SCHEMA_VERSION \
	((int)(sizeof(store_pg_migrations) / sizeof(store_pg_migrations[0])))

/* The schema version: SQLite's PRAGMA user_version, a one-row table on
   PostgreSQL. -1 if it cannot be read. */
static int store_schema_version(struct store *store)
{
	const char *sql = db_kind(store->db) == DB_SQLITE ?
		"PRAGMA user_version" :
		"SELECT COALESCE((SELECT version FROM schema_version), 0)";
	struct db_stmt *stmt;
	int version = -1;

	if (db_prepare(store->db, sql, false, &stmt) != DB_OK)
		return -1;
	if (db_step(stmt) == DB_ROW)
		version = db_column_int(stmt, 0);
	db_finalize(stmt);
	return version;
}

static int store_schema_set_version(struct store *store, int version)
{
	char sql[128];

	if (db_kind(store->db) == DB_SQLITE)
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	else
		snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
			 version);
	return store_exec(store, sql);
}

int store_schema_migrate(struct store *store, const char **error_r)
{
	static __thread char errbuf[512];
	bool pg = db_kind(store->db) == DB_POSTGRESQL;
	const char *const *migrations = pg ? store_pg_migrations : store_migrations;
	int latest = pg ? STORE_PG_SCHEMA_VERSION : STORE_SCHEMA_VERSION;
	int version;

	/* BEGIN IMMEDIATE first, so that two processes opening a new store
	   at once do not both try to create it; on PostgreSQL an advisory
	   lock does the same for nodes starting together. */
	if (store_exec(store, "BEGIN IMMEDIATE") < 0 ||
	    (pg && (store_exec(store, "SELECT pg_advisory_xact_lock(7201)") < 0 ||
		    store_exec(store, "CREATE TABLE IF NOT EXISTS schema_version"
			       " (version INTEGER NOT NULL);"
			       " INSERT INTO schema_version SELECT 0"
			       " WHERE NOT EXISTS (SELECT 1 FROM schema_version)") < 0))) {
		*error_r = store_last_error_detail(store);
		store_exec(store, "ROLLBACK");
		return -1;
	}
	version = store_schema_version(store);
	if (version < 0) {
		store_exec(store, "ROLLBACK");
		*error_r = "cannot read the schema version";
		return -1;
	}
	if (version > latest) {
		store_exec(store, "ROLLBACK");
		snprintf(errbuf, sizeof(errbuf),
			 "store schema version %d is newer than this infostore (%d)",
			 version, latest);
		*error_r = errbuf;
		return -1;
	}
	for (; version < latest; version++) {
		if (store_exec(store, migrations[version]) < 0 ||
		    store_schema_set_version(store, version + 1) < 0) {
			snprintf(errbuf, sizeof(errbuf), "migration to schema %d failed: %s",
				 version + 1, store_last_error_detail(store));
			store_exec(store, "ROLLBACK");
			*error_r = errbuf;
			return -1;
		}
	}
	if (store_exec(store, "COMMIT") < 0) {
		*error_r = store_last_error_detail(store);
		return -1;
	}
	return 0;
}
