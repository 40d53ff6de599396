/*
 * Moving in: mailboxes that keep the UIDVALIDITY they had elsewhere and
 * messages that keep their UIDs, so that IMAP clients' caches stay valid
 * (RFC 9051 2.3.1.1: a UID means the same message as long as UIDVALIDITY
 * is unchanged). Used by `infostore import`.
 */
#include "store-private.h"
#include "pool.h"

#include <string.h>

static int store_import_set_uidvalidity(struct store *store, int64_t mailbox_id,
					uint32_t uidvalidity)
{
	static const char sql[] =
		"UPDATE mailboxes SET uidvalidity = ? WHERE id = ? AND uidnext = 1";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, uidvalidity);
	db_bind_int64(stmt, 2, mailbox_id);
	return store_step_done(store, stmt, "set uidvalidity");
}

/* Does an existing mailbox fit? 0, or -1 (STORE_ERROR_EXISTS). */
static int store_import_mailbox_fits(struct store *store,
				     const struct store_mailbox *mb,
				     uint32_t uidvalidity)
{
	if (mb->kind != STORE_MAILBOX_MAIL)
		return store_fail(store, STORE_ERROR_EXISTS,
				  "%s is not a mail folder", mb->name);
	if (uidvalidity == 0 || mb->uidvalidity == uidvalidity || mb->uidnext == 1)
		return 0;
	return store_fail(store, STORE_ERROR_EXISTS,
			  "mailbox %s already has UIDVALIDITY %u and messages; "
			  "the import's UIDVALIDITY is %u", mb->name,
			  mb->uidvalidity, uidvalidity);
}

int store_import_mailbox(struct store *store, int64_t user_id, const char *name,
			 uint32_t uidvalidity, bool check_only,
			 struct pool *pool, struct store_mailbox *mailbox_r)
{
	int64_t id;
	int ret;

	store_clear_error(store);
	if (!store_mailbox_name_valid(name))
		return store_fail(store, STORE_ERROR_INVALID,
				  "invalid mailbox name: %s", name);
	if (store_begin(store) < 0)
		return -1;
	/* decided again inside the transaction that changes it */
	ret = store_mailbox_lookup(store, user_id, name, pool, mailbox_r);
	if (ret < 0)
		goto failed;
	if (ret > 0) {
		if (store_import_mailbox_fits(store, mailbox_r, uidvalidity) < 0)
			goto failed;
		if (check_only) {
			store_commit(store);
			return 0;
		}
		if (uidvalidity != 0 && mailbox_r->uidvalidity != uidvalidity &&
		    store_import_set_uidvalidity(store, mailbox_r->id, uidvalidity) < 0)
			goto failed;
		id = mailbox_r->id;
	} else {
		if (check_only) {
			store_commit(store);
			return 1;
		}
		if (store_mailbox_create(store, user_id, name, NULL, &id) < 0 ||
		    (uidvalidity != 0 &&
		     store_import_set_uidvalidity(store, id, uidvalidity) < 0))
			goto failed;
	}
	if (store_mailbox_lookup_id(store, id, pool, mailbox_r) <= 0) {
		store_fail(store, STORE_ERROR_INTERNAL, "mailbox %s vanished", name);
		goto failed;
	}
	return store_commit(store) < 0 ? -1 : ret > 0 ? 0 : 1;
failed:
	store_rollback(store);
	return -1;
}

static int store_import_raise_uidnext(struct store *store, int64_t mailbox_id,
				      uint32_t uidnext)
{
	static const char sql[] =
		"UPDATE mailboxes SET uidnext = ?2 WHERE id = ?1 AND uidnext < ?2";
	struct db_stmt *stmt = store_stmt(store, sql);

	if (stmt == NULL)
		return -1;
	db_bind_int64(stmt, 1, mailbox_id);
	db_bind_int64(stmt, 2, uidnext);
	return store_step_done(store, stmt, "raise uidnext");
}

int store_import_messages(struct store *store, int64_t mailbox_id,
			  const struct store_import_message *msgs,
			  unsigned int count, uint32_t uidnext_min)
{
	/* the bodies first: durable before any row refers to them */
	if (count > 0 && store_blob_sync_dirs(store) < 0)
		return -1;
	if (store_begin(store) < 0)
		return -1;
	for (unsigned int i = 0; i < count; i++) {
		uint32_t uid;

		if (store_message_add_uid(store, mailbox_id, msgs[i].blob,
					  msgs[i].meta, msgs[i].flags,
					  msgs[i].keywords, msgs[i].internaldate,
					  0, msgs[i].uid, &uid) < 0)
			goto failed;
	}
	if (uidnext_min > 1 &&
	    store_import_raise_uidnext(store, mailbox_id, uidnext_min) < 0)
		goto failed;
	return store_commit(store);
failed:
	store_rollback(store);
	return -1;
}
