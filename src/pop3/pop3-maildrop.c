/*
 * The maildrop snapshot, its lock, and the UPDATE state (RFC 1939 4-6).
 */
#include "pop3-maildrop.h"
#include "alloc.h"
#include "log.h"
#include "mailbox-watch.h"
#include "pool.h"
#include "store.h"
#include "store-pop3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open maildrops: the lock table. POP3 sessions are few next to IMAP
   ones, and a login walks this list once. */
static struct pop3_maildrop *pop3_maildrops;

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool pop3_maildrop_in_use(int64_t user_id)
{
	for (struct pop3_maildrop *md = pop3_maildrops; md != NULL; md = md->next) {
		if (md->user_id == user_id)
			return true;
	}
	return false;
}

struct pop3_maildrop_fill {
	struct pop3_maildrop *md;
	bool bad_blob;
};

static void pop3_maildrop_add(void *context, const struct store_pop3_message *m)
{
	struct pop3_maildrop_fill *fill = context;
	struct pop3_maildrop *md = fill->md;
	struct pop3_msg *msg;

	md->msgs = mem_grow(md->msgs, sizeof(*md->msgs), md->count, &md->alloc, 64);
	msg = &md->msgs[md->count];
	memset(msg, 0, sizeof(*msg));
	msg->uid = m->uid;
	msg->header_size = m->header_size;
	msg->size = m->size;
	msg->vsize = m->vsize;
	if ((m->flags & STORE_FLAG_SEEN) != 0)
		msg->flags |= POP3_MSG_SEEN;
	if (strlen(m->blob) != 32) {
		fill->bad_blob = true;
		return;
	}
	for (unsigned int i = 0; i < 16; i++) {
		int hi = hex_value(m->blob[2 * i]), lo = hex_value(m->blob[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			fill->bad_blob = true;
			return;
		}
		msg->blob[i] = (unsigned char)(hi << 4 | lo);
	}
	md->total_size += m->vsize;
	md->count++;
}

enum pop3_maildrop_open_result
pop3_maildrop_open(struct store *store, int64_t user_id,
		   struct pop3_maildrop **md_r)
{
	struct pool *pool;
	struct store_mailbox inbox;
	struct pop3_maildrop_fill fill;
	struct pop3_maildrop *md;
	int ret;

	if (pop3_maildrop_in_use(user_id))
		return POP3_MAILDROP_IN_USE;
	/* and on no other node */
	ret = store_pop3_lock(store, user_id);
	if (ret == 0)
		return POP3_MAILDROP_IN_USE;
	if (ret < 0) {
		log_error("pop3", "cannot lock the maildrop of user_id=%lld: %s",
			  (long long)user_id, store_last_error_detail(store));
		return POP3_MAILDROP_FAILED;
	}

	pool = pool_create(512);
	ret = store_mailbox_lookup(store, user_id, "INBOX", pool, &inbox);
	if (ret <= 0 || inbox.kind != STORE_MAILBOX_MAIL) {
		log_error("pop3", "no INBOX for user_id=%lld: %s", (long long)user_id,
			  ret < 0 ? store_last_error_detail(store) : "not found");
		pool_destroy(&pool);
		store_pop3_unlock(store, user_id);
		return POP3_MAILDROP_FAILED;
	}
	md = xcalloc(1, sizeof(*md));
	md->store = store;
	md->user_id = user_id;
	md->mailbox_id = inbox.id;
	md->uidvalidity = inbox.uidvalidity;
	pool_destroy(&pool);

	memset(&fill, 0, sizeof(fill));
	fill.md = md;
	if (store_pop3_list(store, md->mailbox_id, pop3_maildrop_add, &fill) < 0) {
		log_error("pop3", "cannot read INBOX user_id=%lld: %s",
			  (long long)user_id, store_last_error_detail(store));
		free(md->msgs);
		free(md);
		store_pop3_unlock(store, user_id);
		return POP3_MAILDROP_FAILED;
	}
	if (fill.bad_blob)
		log_error("pop3", "INBOX of user_id=%lld has messages with a bad "
			  "blob id; they are left out", (long long)user_id);
	md->next = pop3_maildrops;
	pop3_maildrops = md;
	*md_r = md;
	return POP3_MAILDROP_OK;
}

void pop3_maildrop_close(struct pop3_maildrop **_md)
{
	struct pop3_maildrop *md = *_md, **mp;

	if (md == NULL)
		return;
	*_md = NULL;
	for (mp = &pop3_maildrops; *mp != NULL; mp = &(*mp)->next) {
		if (*mp == md) {
			*mp = md->next;
			break;
		}
	}
	store_pop3_unlock(md->store, md->user_id);
	free(md->msgs);
	free(md);
}

struct pop3_msg *pop3_maildrop_get(struct pop3_maildrop *md, uint32_t n,
				   bool *deleted_r)
{
	struct pop3_msg *msg;

	*deleted_r = false;
	if (n == 0 || n > md->count)
		return NULL;
	msg = &md->msgs[n - 1];
	if ((msg->flags & POP3_MSG_DELETED) != 0) {
		*deleted_r = true;
		return NULL;
	}
	return msg;
}

void pop3_maildrop_delete(struct pop3_maildrop *md, struct pop3_msg *msg)
{
	if ((msg->flags & POP3_MSG_DELETED) != 0)
		return;
	msg->flags |= POP3_MSG_DELETED;
	md->deleted_count++;
	md->deleted_size += msg->vsize;
}

void pop3_maildrop_reset(struct pop3_maildrop *md)
{
	for (unsigned int i = 0; i < md->count; i++)
		md->msgs[i].flags &= (uint8_t)~POP3_MSG_DELETED;
	md->deleted_count = 0;
	md->deleted_size = 0;
}

int pop3_maildrop_message_gone(struct pop3_maildrop *md, struct store *store,
			       struct pop3_msg *msg, bool maybe_changed)
{
	int ret;

	if ((msg->flags & POP3_MSG_GONE) != 0)
		return 1;
	if (!maybe_changed)
		return 0;
	ret = store_pop3_message_exists(store, md->mailbox_id, msg->uid);
	if (ret < 0)
		return -1;
	if (ret == 0) {
		msg->flags |= POP3_MSG_GONE;
		return 1;
	}
	return 0;
}

void pop3_maildrop_blob_id(const struct pop3_msg *msg, char out[33])
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned int i = 0; i < 16; i++) {
		out[2 * i] = hex[msg->blob[i] >> 4];
		out[2 * i + 1] = hex[msg->blob[i] & 0x0f];
	}
	out[32] = '\0';
}

void pop3_maildrop_uidl(const struct pop3_maildrop *md,
			const struct pop3_msg *msg, char out[POP3_UIDL_MAX])
{
	/* RFC 1939 7: 1-70 characters from 0x21-0x7E, the same for the same
	   message in every session. UIDVALIDITY and UID together name a
	   message forever (RFC 3501 2.3.1.1), and flags are not part of it,
	   so IMAP activity never changes a UIDL. */
	snprintf(out, POP3_UIDL_MAX, "%u.%u", md->uidvalidity, msg->uid);
}

int pop3_maildrop_update(struct pop3_maildrop *md, struct store *store,
			 struct mailbox_watch *watch, unsigned int *expunged_r)
{
	struct pool *pool = NULL;
	unsigned int expunged = 0, changes = 0;

	*expunged_r = 0;
	for (unsigned int i = 0; i < md->count; i++) {
		if ((md->msgs[i].flags & POP3_MSG_DELETED) != 0 ||
		    (md->msgs[i].flags & (POP3_MSG_RETRIEVED | POP3_MSG_SEEN)) ==
		    POP3_MSG_RETRIEVED)
			changes++;
	}
	if (changes == 0)
		return 0;

	if (store_begin(store) < 0)
		goto failed;
	pool = pool_create(256);
	for (unsigned int i = 0; i < md->count; i++) {
		struct pop3_msg *msg = &md->msgs[i];
		bool deleted = (msg->flags & POP3_MSG_DELETED) != 0;
		int ret;

		if (!deleted && (msg->flags & (POP3_MSG_RETRIEVED | POP3_MSG_SEEN)) !=
		    POP3_MSG_RETRIEVED)
			continue;
		/* IMAP may have expunged it meanwhile. Ask first: a nested
		   "not found" would roll back the whole transaction. We hold
		   the write lock, so the answer stays true until we commit. */
		ret = store_pop3_message_exists(store, md->mailbox_id, msg->uid);
		if (ret < 0)
			goto rollback;
		if (ret == 0)
			continue;
		if (deleted) {
			if (store_message_expunge(store, md->mailbox_id, msg->uid) < 0)
				goto rollback;
			expunged++;
		} else {
			struct store_flag_change change;

			/* The client has downloaded it: an IMAP client on the
			   same account should not show it as new. */
			if (store_message_set_flags(store, md->mailbox_id, msg->uid,
						    STORE_FLAGS_ADD, STORE_FLAG_SEEN,
						    NULL, 0, pool, &change) < 0)
				goto rollback;
			pool_clear(pool);
		}
	}
	pool_destroy(&pool);
	if (store_commit(store) < 0)
		goto failed;
	mailbox_watch_changed(watch, md->mailbox_id);
	*expunged_r = expunged;
	return 0;

rollback:
	pool_destroy(&pool);
	store_rollback(store);
failed:
	log_error("pop3", "UPDATE failed for user_id=%lld: %s",
		  (long long)md->user_id, store_last_error_detail(store));
	return -1;
}
