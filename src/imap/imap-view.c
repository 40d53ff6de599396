/*
 * The selected mailbox's view and the untagged updates (RFC 9051 7.3.1
 * EXISTS, 7.5.1 EXPUNGE, 7.5.2 FETCH; RFC 7162 3.2.10 VANISHED).
 */
#include "imap-view.h"
#include "alloc.h"
#include "buffer.h"
#include "connection.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-flags.h"
#include "imap-index.h"
#include "imap-recent.h"
#include "imap-seqset.h"
#include "log.h"
#include "mailbox-watch.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

static void *view_grow(void *array, unsigned int *alloc, unsigned int need,
		       size_t elem)
{
	unsigned int na;
	void *mem;

	if (need <= *alloc)
		return array;
	na = *alloc < 16 ? 16 : *alloc;
	while (na < need)
		na *= 2;
	mem = xrealloc(array, (size_t)na * elem);
	*alloc = na;
	return mem;
}

static void view_add_uid(struct imap_view *view, uint32_t uid)
{
	imap_seqmap_append(&view->seqs, uid);
	view->count = view->seqs.count;
}

unsigned int imap_view_lower_bound(const struct imap_view *view, uint32_t uid)
{
	return imap_seqmap_lower_bound(&view->seqs, uid);
}

bool imap_uids_contain(const uint32_t *uids, unsigned int count, uint32_t uid)
{
	unsigned int lo = 0, hi = count;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (uids[mid] < uid)
			lo = mid + 1;
		else if (uids[mid] > uid)
			hi = mid;
		else
			return true;
	}
	return false;
}

bool imap_view_is_recent(const struct imap_view *view, uint32_t uid)
{
	return (uid > view->recent_floor && uid <= view->recent_top) ||
		imap_uids_contain(view->recent_extra, view->recent_extra_count, uid);
}

unsigned int imap_view_recent_count(const struct imap_view *view)
{
	unsigned int count = 0;

	if (view->recent_top > view->recent_floor)
		count = imap_view_lower_bound(view, view->recent_top + 1) -
			imap_view_lower_bound(view, view->recent_floor + 1);
	for (unsigned int i = 0; i < view->recent_extra_count; i++) {
		if (imap_view_seq(view, view->recent_extra[i]) != 0)
			count++;
	}
	return count;
}

uint32_t imap_view_seq(const struct imap_view *view, uint32_t uid)
{
	return imap_seqmap_seq(&view->seqs, uid);
}

static bool view_keyword_known(const struct imap_view *view, const char *kw,
			       size_t len)
{
	for (unsigned int i = 0; i < view->keyword_count; i++) {
		if (strlen(view->keywords[i]) == len && mem_iequal(view->keywords[i], kw, len))
			return true;
	}
	return false;
}

/* Add the keywords of a list to the view's set. true if any was new. */
static bool view_add_keywords(struct imap_view *view, const char *keywords)
{
	const char *p = keywords;
	bool added = false;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ' ');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0 && !view_keyword_known(view, p, len) &&
		    view->keyword_count < IMAP_MAX_KEYWORDS) {
			char **kws = xrealloc(view->keywords, sizeof(*kws) *
					     (view->keyword_count + 1));
			char *kw = xstrndup(p, len);

			view->keywords = kws;
			view->keywords[view->keyword_count++] = kw;
			added = true;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return added;
}

void imap_view_send_flags(struct imap_client *client)
{
	struct imap_view *view = client->view;
	struct buffer buf;

	buffer_init(&buf, 0);
	buffer_append_str(&buf, "* FLAGS (" IMAP_SYSTEM_FLAGS);
	for (unsigned int i = 0; i < view->keyword_count; i++)
		buffer_printf(&buf, " %s", view->keywords[i]);
	buffer_append_str(&buf, ")\r\n");
	/* RFC 9051 7.1: PERMANENTFLAGS; \* means new keywords may be made */
	if (view->readonly) {
		buffer_append_str(&buf, "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n");
	} else {
		buffer_append_str(&buf, "* OK [PERMANENTFLAGS (" IMAP_SYSTEM_FLAGS);
		for (unsigned int i = 0; i < view->keyword_count; i++)
			buffer_printf(&buf, " %s", view->keywords[i]);
		buffer_append_str(&buf, view->keyword_count < IMAP_MAX_KEYWORDS ?
				  " \\*)] Flags permitted.\r\n" : ")] Flags permitted.\r\n");
	}
	imap_client_send_buffer(client, &buf);
	buffer_free(&buf);
}

void imap_view_announce_keywords(struct imap_client *client, const char *keywords)
{
	if (keywords == NULL || *keywords == '\0')
		return;
	if (view_add_keywords(client->view, keywords))
		imap_view_send_flags(client);
}

static void imap_view_watch_cb(void *context)
{
	struct imap_client *client = context;

	if (client->view == NULL)
		return;
	client->view->changed = true;
	/* an IDLE command reports changes at once */
	if (client->cmd != NULL && client->cmd->line_func != NULL &&
	    client->cmd->def != NULL && client->cmd->def->func == cmd_idle)
		imap_client_resume(client);
}

int imap_view_open(struct imap_client *client, const struct store_mailbox *mb,
		   bool readonly, struct imap_view_open_info *info_r)
{
	struct imap_index *index;
	struct imap_view *view;

	memset(info_r, 0, sizeof(*info_r));
	if (imap_index_get(client->session.srv->store, mb->id, &index) <= 0)
		return -1;
	view = xcalloc(1, sizeof(*view));
	view->mailbox_id = mb->id;
	view->name = xstrdup(mb->name);
	view->readonly = readonly;
	view->uidvalidity = index->uidvalidity;
	view->modseq = index->modseq;
	view->uidnext = index->uidnext;
	view->index = index;
	/* the message list comes from the shared index: no store walk */
	for (unsigned int i = 0; i < index->count; i++) {
		imap_seqmap_append(&view->seqs, index->recs[i].uid);
		if ((index->recs[i].flags & STORE_FLAG_SEEN) == 0 && info_r->first_unseen == 0)
			info_r->first_unseen = i + 1;
	}
	view->count = view->seqs.count;
	if (index->keywords != NULL) {
		for (unsigned int i = 0; i < index->count; i++) {
			if (index->keywords[i] != NULL)
				view_add_keywords(view, index->keywords[i]);
		}
	}
	info_r->highestmodseq = view->modseq;
	/* this session is the first to see what nobody claimed yet; EXAMINE
	   sees them as recent without taking them (RFC 3501 6.3.2) */
	view->recent_top = imap_view_last_uid(view);
	view->recent_floor = readonly ? imap_recent_claimed(mb->id, view->uidvalidity) :
		imap_recent_claim(mb->id, view->uidvalidity, view->recent_top);
	info_r->recent = imap_view_recent_count(view);
	view->watcher = mailbox_watch_add(client->session.srv->watch, mb->id,
					  imap_view_watch_cb, client);
	client->view = view;
	return 0;
}

struct imap_index *imap_view_index(struct imap_client *client)
{
	struct imap_view *view = client->view;

	if (view == NULL || view->index == NULL ||
	    imap_index_sync(client->session.srv->store, view->index) <= 0)
		return NULL;
	return view->index;
}

void imap_view_close(struct imap_client *client)
{
	struct imap_view *view = client->view;

	if (view == NULL)
		return;
	client->view = NULL;
	mailbox_watch_remove(&view->watcher);
	imap_index_unref(&view->index);
	for (unsigned int i = 0; i < view->keyword_count; i++)
		free(view->keywords[i]);
	free(view->keywords);
	imap_seqmap_free(&view->seqs);
	free(view->recent_extra);
	free(view->expunged);
	free(view->reported);
	free(view->name);
	free(view);
}

int imap_view_parse_set(struct imap_command *cmd, const char *str,
			struct imap_seqset *uids_r, const char **error_r)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct imap_seqset set;

	if (strcmp(str, "$") == 0) {
		/* RFC 5182: the saved search result, kept as UIDs */
		imap_seqset_from_array(cmd->pool, client->saved_uids,
				       client->saved_count, uids_r);
		return 0;
	}
	if (cmd->uid) {
		uint32_t star = imap_view_last_uid(view);

		if (imap_seqset_parse(cmd->pool, str, star, uids_r, error_r) < 0)
			return -1;
		return 0;
	}
	/* RFC 9051 6.4: a sequence number past the end (or "*" in an empty
	   mailbox) is a client error */
	if (imap_seqset_parse(cmd->pool, str, view->count, &set, error_r) < 0)
		return -1;
	if (view->count == 0 || imap_seqset_max(&set) > view->count || set.ranges[0].lo == 0) {
		*error_r = "Invalid messageset: no such message";
		return -1;
	}
	uids_r->ranges = p_new(cmd->pool, struct imap_seq_range, set.count);
	uids_r->count = set.count;
	for (unsigned int i = 0; i < set.count; i++) {
		uids_r->ranges[i].lo = imap_view_uid(view, set.ranges[i].lo - 1);
		uids_r->ranges[i].hi = imap_view_uid(view, set.ranges[i].hi - 1);
	}
	return 0;
}

void imap_uid_array_add(struct pool *pool, struct imap_uid_array *arr, uint32_t uid)
{
	arr->uids = p_grow(pool, arr->uids, sizeof(uint32_t), arr->count,
			   &arr->alloc, 64);
	arr->uids[arr->count++] = uid;
}

int imap_view_collect(struct imap_command *cmd, const struct imap_seqset *set,
		      imap_view_filter *filter, void *context,
		      struct imap_uid_array *uids_r, unsigned int *expected_r)
{
	struct imap_view *view = cmd->client->view;
	struct imap_index *index = imap_view_index(cmd->client);
	unsigned int expected = 0;

	memset(uids_r, 0, sizeof(*uids_r));
	if (index == NULL)
		return -1;
	for (unsigned int r = 0; r < set->count; r++) {
		unsigned int pos = imap_index_lower_bound(index, set->ranges[r].lo);

		for (unsigned int i = imap_view_lower_bound(view, set->ranges[r].lo);
		     i < view->count && imap_view_uid(view, i) <= set->ranges[r].hi; i++)
			expected++;
		for (; pos < index->count && index->recs[pos].uid <= set->ranges[r].hi; pos++) {
			const struct imap_index_rec *rec = &index->recs[pos];

			if (imap_view_seq(view, rec->uid) == 0)
				continue;
			if (filter != NULL) {
				struct store_message msg;

				memset(&msg, 0, sizeof(msg));
				msg.uid = rec->uid;
				msg.flags = rec->flags;
				msg.modseq = rec->modseq;
				msg.keywords = imap_index_keywords(index, pos);
				if (!filter(context, &msg))
					continue;
			}
			imap_uid_array_add(cmd->pool, uids_r, rec->uid);
		}
	}
	if (expected_r != NULL)
		*expected_r = expected;
	return 0;
}

void imap_view_reported(struct imap_view *view, uint32_t uid, uint64_t modseq)
{
	view->reported = view_grow(view->reported, &view->reported_alloc,
				   view->reported_count + 1, sizeof(*view->reported));
	view->reported[view->reported_count].uid = uid;
	view->reported[view->reported_count].modseq = modseq;
	view->reported_count++;
}

static bool view_was_reported(const struct imap_view *view, uint32_t uid,
			      uint64_t modseq)
{
	for (unsigned int i = 0; i < view->reported_count; i++) {
		if (view->reported[i].uid == uid && view->reported[i].modseq >= modseq)
			return true;
	}
	return false;
}

static bool view_is_expunged(const struct imap_view *view, uint32_t uid)
{
	return imap_uids_contain(view->expunged, view->expunged_count, uid);
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* Add UIDs (any order) to the pending expunges, keeping them sorted and
   unique. */
static void view_add_expunged(struct imap_view *view, const uint32_t *uids,
			      unsigned int count)
{
	unsigned int n;

	if (count == 0)
		return;
	view->expunged = view_grow(view->expunged, &view->expunged_alloc,
				   view->expunged_count + count,
				   sizeof(*view->expunged));
	memcpy(view->expunged + view->expunged_count, uids, sizeof(*uids) * count);
	view->expunged_count += count;
	qsort(view->expunged, view->expunged_count, sizeof(*view->expunged), uid_cmp);
	n = 0;
	for (unsigned int i = 0; i < view->expunged_count; i++) {
		if (n == 0 || view->expunged[n - 1] != view->expunged[i])
			view->expunged[n++] = view->expunged[i];
	}
	view->expunged_count = n;
}

/* Tell the client about the pending expunges and drop them from the
   view. */
static void view_send_expunges(struct imap_client *client)
{
	struct imap_view *view = client->view;
	struct buffer buf;

	if (view->expunged_count == 0)
		return;
	buffer_init(&buf, 0);
	if (client->qresync) {
		/* RFC 7162 3.2.10: VANISHED instead of EXPUNGE */
		buffer_append_str(&buf, "* VANISHED ");
		imap_seqset_write_array(&buf, view->expunged, view->expunged_count);
		buffer_append_str(&buf, "\r\n");
	} else {
		/* highest first: each number is still right when it is read */
		for (unsigned int i = view->expunged_count; i > 0; i--) {
			uint32_t seq = imap_view_seq(view, view->expunged[i - 1]);

			if (seq != 0)
				buffer_printf(&buf, "* %u EXPUNGE\r\n", seq);
			if (buf.used > 16384)
				imap_client_send_buffer(client, &buf);
		}
	}
	imap_client_send_buffer(client, &buf);
	buffer_free(&buf);

	imap_seqmap_remove(&view->seqs, view->expunged, view->expunged_count);
	view->count = view->seqs.count;
	view->expunged_count = 0;
	/* the saved search result forgets expunged messages (RFC 5182 2.1) */
	if (client->saved_count > 0) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < client->saved_count; i++) {
			if (imap_view_seq(view, client->saved_uids[i]) != 0)
				client->saved_uids[n++] = client->saved_uids[i];
		}
		client->saved_count = n;
	}
}

void imap_view_expunged(struct imap_client *client, const uint32_t *uids,
			unsigned int count)
{
	view_add_expunged(client->view, uids, count);
	view_send_expunges(client);
}

struct view_update {
	uint32_t uid;
	uint32_t flags;
	uint64_t modseq;
	char *keywords;
};

struct view_sync_ctx {
	struct imap_view *view;
	uint32_t *vanished;
	unsigned int vanished_count, vanished_alloc;
	uint32_t *new_uids;
	unsigned int new_count, new_alloc;
	struct view_update *updates;
	unsigned int update_count, update_alloc;
	uint64_t max_modseq;
};

static void view_sync_vanished(void *context, uint32_t uid)
{
	struct view_sync_ctx *ctx = context;

	if (uid >= ctx->view->uidnext || imap_view_seq(ctx->view, uid) == 0)
		return;
	ctx->vanished = view_grow(ctx->vanished, &ctx->vanished_alloc,
				  ctx->vanished_count + 1, sizeof(*ctx->vanished));
	ctx->vanished[ctx->vanished_count++] = uid;
}

static void view_sync_changed(void *context, const struct store_message *msg)
{
	struct view_sync_ctx *ctx = context;
	struct imap_view *view = ctx->view;
	struct view_update *up;

	if (msg->modseq > ctx->max_modseq)
		ctx->max_modseq = msg->modseq;
	if (msg->uid >= view->uidnext) {
		ctx->new_uids = view_grow(ctx->new_uids, &ctx->new_alloc,
					  ctx->new_count + 1, sizeof(*ctx->new_uids));
		ctx->new_uids[ctx->new_count++] = msg->uid;
		return;
	}
	if (imap_view_seq(view, msg->uid) == 0 ||
	    view_was_reported(view, msg->uid, msg->modseq))
		return;
	ctx->updates = view_grow(ctx->updates, &ctx->update_alloc,
				 ctx->update_count + 1, sizeof(*ctx->updates));
	up = &ctx->updates[ctx->update_count++];
	up->uid = msg->uid;
	up->flags = msg->flags;
	up->modseq = msg->modseq;
	up->keywords = msg->keywords != NULL ? xstrdup(msg->keywords) : NULL;
}

void imap_view_notify_changed(struct imap_client *client, int64_t mailbox_id)
{
	if (client->view != NULL && client->view->mailbox_id == mailbox_id)
		client->view->changed = true;
	mailbox_watch_changed(client->session.srv->watch, mailbox_id);
}

void imap_view_sync(struct imap_client *client, bool allow_expunges, bool force)
{
	struct imap_view *view = client->view;
	struct view_sync_ctx ctx;
	struct store_mailbox mb;
	struct pool *pool;
	struct buffer buf;
	int ret;

	if (view == NULL || client->disconnected)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.view = view;
	if (force || view->changed) {
		view->changed = false;
		pool = pool_create(512);
		ret = store_mailbox_lookup_id(client->session.srv->store, view->mailbox_id, pool, &mb);
		pool_destroy(&pool);
		if (ret == 0) {
			imap_client_disconnect(client, "Selected mailbox was deleted, have to disconnect.");
			return;
		}
		if (ret > 0 && (mb.highestmodseq != view->modseq || mb.uidnext != view->uidnext)) {
			ret = store_mailbox_changes(client->session.srv->store, view->mailbox_id,
						    view->modseq, view_sync_changed,
						    view_sync_vanished, &ctx);
			if (ret == 0) {
				view->modseq = mb.highestmodseq > ctx.max_modseq ?
					mb.highestmodseq : ctx.max_modseq;
				view->reported_count = 0;
			}
		}
		if (ret < 0)
			log_error("imap", "mailbox sync failed: %s",
				  store_last_error_detail(client->session.srv->store));
	}
	view_add_expunged(view, ctx.vanished, ctx.vanished_count);
	if (allow_expunges)
		view_send_expunges(client);

	buffer_init(&buf, 0);
	if (ctx.new_count > 0) {
		uint32_t top = ctx.new_uids[ctx.new_count - 1];
		uint32_t claimed = view->readonly ?
			imap_recent_claimed(view->mailbox_id, view->uidvalidity) :
			imap_recent_claim(view->mailbox_id, view->uidvalidity, top);

		for (unsigned int i = 0; i < ctx.new_count; i++) {
			if (ctx.new_uids[i] < view->uidnext)
				continue;
			view_add_uid(view, ctx.new_uids[i]);
			view->uidnext = ctx.new_uids[i] + 1;
			if (ctx.new_uids[i] > claimed) {
				view->recent_extra = view_grow(view->recent_extra,
							       &view->recent_extra_alloc,
							       view->recent_extra_count + 1,
							       sizeof(uint32_t));
				view->recent_extra[view->recent_extra_count++] = ctx.new_uids[i];
			}
		}
		buffer_printf(&buf, "* %u EXISTS\r\n", view->count);
		if (!client->imap4rev2)
			buffer_printf(&buf, "* %u RECENT\r\n", imap_view_recent_count(view));
	}
	for (unsigned int i = 0; i < ctx.update_count; i++) {
		struct view_update *up = &ctx.updates[i];
		uint32_t seq;

		if (view_is_expunged(view, up->uid) ||
		    (seq = imap_view_seq(view, up->uid)) == 0)
			continue;
		if (up->keywords != NULL && view_add_keywords(view, up->keywords)) {
			imap_client_send_buffer(client, &buf);
			imap_view_send_flags(client);
		}
		buffer_printf(&buf, "* %u FETCH (", seq);
		if (client->qresync)
			buffer_printf(&buf, "UID %u ", up->uid);
		buffer_append_str(&buf, "FLAGS ");
		imap_flags_write(&buf, up->flags, up->keywords,
				 !client->imap4rev2 && imap_view_is_recent(view, up->uid));
		if (client->condstore)
			buffer_printf(&buf, " MODSEQ (%llu)", (unsigned long long)up->modseq);
		buffer_append_str(&buf, ")\r\n");
		if (buf.used > 16384)
			imap_client_send_buffer(client, &buf);
	}
	imap_client_send_buffer(client, &buf);
	buffer_free(&buf);
	for (unsigned int i = 0; i < ctx.update_count; i++)
		free(ctx.updates[i].keywords);
	free(ctx.updates);
	free(ctx.new_uids);
	free(ctx.vanished);
}
