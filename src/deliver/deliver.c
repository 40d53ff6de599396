/*
 * Local delivery, in batches so that concurrent deliveries share their
 * expensive part: one directory fsync and one index commit for the batch.
 */
#include "deliver.h"
#include "imap-bodystructure.h"
#include "conf.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static deliver_hook_fn *deliver_hook;
static void *deliver_hook_context;

void deliver_set_hook(deliver_hook_fn *fn, void *context)
{
	deliver_hook = fn;
	deliver_hook_context = context;
}

struct deliver_item {
	struct deliver_request *req;
	unsigned int rcpt_idx;
	struct store_user user;
	int64_t mailbox_id;
	char blob[33];
	struct store_message_meta meta;  /* the summary, in the batch pool */
	struct deliver_hook_result hook;
	bool ready;        /* body durable, summary computed */
	bool blob_owner;   /* this item wrote the blob (others may share it) */
	bool over_quota;   /* refused by the store, nothing written */
};

/* Items by recipient, so that every batch takes its users' locks
   (PostgreSQL: mailbox rows, quota locks) in the same order and two
   concurrent batches cannot wait for each other. */
static int deliver_item_cmp(const void *a, const void *b)
{
	const struct deliver_item *const *x = a, *const *y = b;

	if ((*x)->user.id != (*y)->user.id)
		return (*x)->user.id < (*y)->user.id ? -1 : 1;
	return *x < *y ? -1 : (*x > *y ? 1 : 0);
}

/* Does an item that got its message use this blob? */
static bool deliver_blob_used(const struct deliver_item *items,
			      unsigned int nitems, const char *blob)
{
	for (unsigned int i = 0; i < nitems; i++) {
		if (items[i].ready && !items[i].over_quota &&
		    strcmp(items[i].blob, blob) == 0)
			return true;
	}
	return false;
}

/* Does the message use CRLF line endings? Trace headers follow suit. */
static const char *deliver_eol(const unsigned char *data, size_t size)
{
	const unsigned char *nl = memchr(data, '\n', size);

	if (nl != NULL && nl > data && nl[-1] == '\r')
		return "\r\n";
	return nl == NULL ? "\r\n" : "\n";
}

/*
 * A trace header value on one line: control characters (CR, LF, NUL...)
 * become '?'. The LMTP parser already refuses them, but the sender and
 * the LHLO name come from outside, and a line break in them would let
 * the sender of a message add headers above every other one (where
 * Return-Path and Received are trusted most).
 */
static const char *deliver_trace_text(struct pool *pool, const char *text)
{
	char *out;

	if (text == NULL)
		return NULL;
	out = p_strdup(pool, text);
	for (char *p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return out;
}

static int deliver_write_blob(struct store *store, struct pool *pool,
			      struct deliver_item *item)
{
	struct deliver_request *req = item->req;
	const unsigned char *data = item->hook.data;
	size_t size = item->hook.size;
	const char *eol = deliver_eol(data, size);
	const char *sender = deliver_trace_text(pool, req->sender);
	const char *received = deliver_trace_text(pool, req->received);
	struct store_blob_writer *writer;
	struct mime_summary sum;
	const unsigned char *stored;
	size_t stored_size;
	char *trace = NULL;

	if (sender != NULL && received != NULL)
		trace = p_printf(pool, "Return-Path: <%s>%sReceived: %s%s",
				 sender, eol, received, eol);
	else if (sender != NULL)
		trace = p_printf(pool, "Return-Path: <%s>%s", sender, eol);
	else if (received != NULL)
		trace = p_printf(pool, "Received: %s%s", received, eol);

	writer = store_blob_writer_create(store);
	if (writer == NULL)
		return -1;
	if ((trace != NULL &&
	     store_blob_writer_write(writer, trace, strlen(trace)) < 0) ||
	    store_blob_writer_write(writer, data, size) < 0 ||
	    store_blob_writer_finish(writer, false, item->blob) < 0) {
		store_blob_writer_abort(&writer);
		return -1;
	}
	store_blob_writer_free(&writer);

	/* The summary is of the bytes as stored, trace headers included, so
	   that sizes and offsets match what IMAP will read. */
	if (trace != NULL) {
		size_t tlen = strlen(trace);
		unsigned char *buf = p_malloc(pool, tlen + size);

		memcpy(buf, trace, tlen);
		memcpy(buf + tlen, data, size);
		stored = buf;
		stored_size = tlen + size;
	} else {
		stored = data;
		stored_size = size;
	}
	mime_summarize(pool, stored, stored_size, &sum);
	deliver_summary_meta(pool, &sum, &item->meta);
	return 0;
}

void deliver_summary_meta(struct pool *pool, const struct mime_summary *sum,
			  struct store_message_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	meta->size = sum->size;
	meta->vsize = sum->vsize;
	meta->header_size = sum->header_size;
	meta->crlf = sum->crlf;
	meta->envelope = imap_envelope_string(pool, sum->envelope);
	meta->bodystructure = imap_body_string(pool, sum->body, true);
	meta->body = imap_body_string(pool, sum->body, false);
	meta->message_id = sum->message_id;
	meta->sent_date = sum->sent_date;
	meta->sent_time = sum->sent_time;
	meta->headers = sum->headers;
	meta->text = sum->text;
	meta->parts = sum->parts;
}

/* Each recipient's outcome, and the time the batch took for each source
   that had a message in it. */
static void deliver_batch_count(struct deliver_request *const *requests,
				unsigned int count, uint64_t start_usecs)
{
	bool seen[METRICS_DELIVERY_SOURCE_COUNT] = { false };

	for (unsigned int r = 0; r < count; r++) {
		const struct deliver_request *req = requests[r];

		seen[req->source] = true;
		for (unsigned int i = 0; i < req->rcpt_count; i++) {
			metrics_delivery(req->source,
					 req->status[i] == DELIVER_OK ? METRICS_DELIVERY_OK :
					 req->status[i] == DELIVER_TEMPFAIL ?
					 METRICS_DELIVERY_TEMPFAIL : METRICS_DELIVERY_REJECTED, 1);
		}
	}
	for (unsigned int s = 0; s < METRICS_DELIVERY_SOURCE_COUNT; s++) {
		if (seen[s])
			metrics_delivery_duration(s, start_usecs);
	}
}

/* Has the batch's transaction added the message for any recipient? */
static bool deliver_request_stored(const struct deliver_request *req)
{
	for (unsigned int i = 0; i < req->rcpt_count; i++) {
		if (req->uids[i] != 0)
			return true;
	}
	return false;
}

int deliver_batch(struct store *store, const struct conf *conf,
		  struct deliver_request *const *requests, unsigned int count)
{
	struct pool *pool = pool_create(16384);
	struct deliver_item *items;
	unsigned int nitems = 0, total = 0;
	uint64_t start_usecs = metrics_now_usecs();
	int ret = 0;

	for (unsigned int r = 0; r < count; r++)
		total += requests[r]->rcpt_count;
	items = p_new(pool, struct deliver_item, total > 0 ? total : 1);

	/* 1. users, the calendar hook, and the bodies, each made durable */
	for (unsigned int r = 0; r < count; r++) {
		struct deliver_request *req = requests[r];

		for (unsigned int i = 0; i < req->rcpt_count; i++) {
			struct deliver_item *item = &items[nitems++];
			struct store_mailbox inbox;
			int lret;

			item->req = req;
			item->rcpt_idx = i;
			req->status[i] = DELIVER_TEMPFAIL;
			req->uids[i] = 0;
			if (conf != NULL && req->size > conf->max_message_size) {
				req->status[i] = DELIVER_TOO_BIG;
				continue;
			}
			lret = store_user_lookup(store, req->recipients[i], pool, &item->user);
			if (lret <= 0) {
				if (lret == 0)
					req->status[i] = DELIVER_UNKNOWN_USER;
				continue;
			}
			if (store_mailbox_lookup(store, item->user.id, "INBOX", pool,
						 &inbox) <= 0) {
				log_error("deliver", "user %s has no INBOX",
					  log_value(item->user.address));
				continue;
			}
			item->mailbox_id = inbox.id;
			item->hook.data = req->data;
			item->hook.size = req->size;
			if (deliver_hook != NULL)
				deliver_hook(deliver_hook_context, pool, store, conf,
					     &item->user, req, &item->hook);
			/* Recipients that get the same bytes share one blob. */
			for (unsigned int j = 0; j + 1 < nitems; j++) {
				struct deliver_item *prev = &items[j];

				if (prev->ready && prev->req == req &&
				    prev->hook.data == item->hook.data &&
				    prev->hook.size == item->hook.size) {
					memcpy(item->blob, prev->blob, sizeof(item->blob));
					item->meta = prev->meta;
					item->ready = true;
					break;
				}
			}
			if (!item->ready) {
				if (deliver_write_blob(store, pool, item) < 0) {
					log_error("deliver", "cannot store message for %s: %s",
						  log_value(item->user.address),
						  store_last_error_detail(store));
					continue;
				}
				item->ready = true;
				item->blob_owner = true;
			}
		}
	}
	if (store_blob_sync_dirs(store) < 0) {
		log_error("deliver", "cannot make messages durable: %s",
			  store_last_error_detail(store));
		ret = -1;
	}

	/* 2. one transaction for the whole batch; a recipient over quota is
	   refused inside it (the store checks in the transaction) and the
	   others go on */
	if (ret == 0 && store_begin(store) == 0) {
		struct deliver_item **order = p_new(pool, struct deliver_item *,
						    nitems > 0 ? nitems : 1);
		bool failed = false;

		for (unsigned int i = 0; i < nitems; i++)
			order[i] = &items[i];
		qsort(order, nitems, sizeof(*order), deliver_item_cmp);
		for (unsigned int i = 0; i < nitems && !failed; i++) {
			struct deliver_item *item = order[i];
			uint32_t uid;

			if (!item->ready)
				continue;
			if (store_message_add(store, item->mailbox_id, item->blob, &item->meta,
					      0, NULL, 0, 0, &uid) < 0) {
				if (store_last_error(store) == STORE_ERROR_OVER_QUOTA) {
					/* and no calendar item either: the
					   sender learns it did not arrive */
					item->over_quota = true;
					continue;
				}
				failed = true;
				break;
			}
			if (item->hook.commit != NULL &&
			    item->hook.commit(item->hook.commit_context, store,
					      item->mailbox_id, uid) < 0) {
				failed = true;
				break;
			}
			item->req->uids[item->rcpt_idx] = uid;
		}
		for (unsigned int r = 0; r < count && !failed; r++) {
			struct deliver_request *req = requests[r];

			if (req->commit != NULL && deliver_request_stored(req) &&
			    req->commit(req->commit_context, store) < 0)
				failed = true;
		}
		if (failed) {
			log_error("deliver", "index update failed: %s",
				  store_last_error_detail(store));
			store_rollback(store);
			ret = -1;
		} else if (store_commit(store) < 0) {
			log_error("deliver", "index commit failed: %s",
				  store_last_error_detail(store));
			ret = -1;
		}
	} else {
		ret = -1;
	}

	for (unsigned int i = 0; i < nitems; i++) {
		struct deliver_item *item = &items[i];

		if (!item->ready)
			continue;
		if (ret < 0) {
			item->req->status[item->rcpt_idx] = DELIVER_TEMPFAIL;
			item->req->uids[item->rcpt_idx] = 0;
			/* no index row refers to it: remove it now rather than
			   leave it to the start-up GC */
			if (item->blob_owner)
				store_blob_unlink(store, item->blob);
			continue;
		}
		if (item->over_quota) {
			item->req->status[item->rcpt_idx] = DELIVER_OVER_QUOTA;
			log_info("deliver", "over quota user=%s size=%llu msgid=%s",
				 log_value(item->user.address),
				 (unsigned long long)item->meta.size,
				 log_value(item->meta.message_id));
			if (item->blob_owner && !deliver_blob_used(items, nitems, item->blob))
				store_blob_unlink(store, item->blob);
			continue;
		}
		item->req->status[item->rcpt_idx] = DELIVER_OK;
		log_info("deliver", "delivered user=%s uid=%u size=%llu msgid=%s",
			 log_value(item->user.address), item->req->uids[item->rcpt_idx],
			 (unsigned long long)item->meta.size,
			 log_value(item->meta.message_id));
	}
	deliver_batch_count(requests, count, start_usecs);
	pool_destroy(&pool);
	return ret;
}

int deliver_save(struct store *store, int64_t mailbox_id,
		 const unsigned char *data, size_t size, uint32_t flags,
		 int64_t drop_mailbox_id, uint32_t drop_uid, uint32_t *uid_r)
{
	struct pool *pool = pool_create(4096);
	struct deliver_request req;
	struct deliver_item item;
	int ret = -1;

	memset(&req, 0, sizeof(req));
	memset(&item, 0, sizeof(item));
	item.req = &req;
	item.hook.data = data;
	item.hook.size = size;
	if (deliver_write_blob(store, pool, &item) < 0) {
		pool_destroy(&pool);
		return -1;
	}
	if (store_blob_sync_dirs(store) < 0 || store_begin(store) < 0) {
		store_blob_unlink(store, item.blob);
		pool_destroy(&pool);
		return -1;
	}
	if (store_message_add(store, mailbox_id, item.blob, &item.meta, flags, NULL, 0,
			      0, uid_r) == 0 &&
	    (drop_uid == 0 ||
	     store_message_expunge(store, drop_mailbox_id, drop_uid) >= 0))
		ret = store_commit(store);
	else
		store_rollback(store);
	if (ret < 0)
		store_blob_unlink(store, item.blob);
	pool_destroy(&pool);
	return ret;
}

const char *deliver_received_value(struct pool *pool, const char *hostname,
				   const char *helo, const char *peer_ip,
				   const char *protocol, const char *recipient,
				   const char *id)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	/* one line: the message's own line endings are used around it */
	return p_printf(pool, "from %s ([%s]) by %s (infostore) with %s id %s for <%s>; %s",
			helo != NULL ? helo : "unknown", peer_ip, hostname,
			protocol, id, recipient, date);
}
