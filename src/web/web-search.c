/*
 * Search (subject, from and the text of the body) and the Outbox (what
 * waits for the relay, what came back). Both read a lot: they run on a
 * reader thread (web-job.h) with the text the store keeps for IMAP's
 * SEARCH (store_search_text(), store_imap_search_headers()), within
 * [limits] imap_search_timeout, while the request waits.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-job.h"
#include "web-mail.h"
#include "conf.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "server.h"
#include "store-imap.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What one search shows at most, newest first. */
#define WEB_SEARCH_SHOWN 100
#define WEB_SEARCH_QUERY_MAX 200
/* Read of a queued message to find its Subject: and Message-ID: */
#define WEB_OUTBOX_HEAD_READ 16384

struct web_search_hit {
	int64_t mailbox_id;
	uint32_t uid;
	uint32_t flags;
	time_t date;
	const char *envelope;
};

struct web_search_folder {
	int64_t id;
	const char *label;
	/* on the thread: matching UIDs, ascending, no repeats */
	uint32_t *uids;
	unsigned int count, alloc;
};

struct web_search_job {
	const char *query;
	struct web_search_folder *folders;
	unsigned int folder_count;
	uint64_t deadline;
	struct pool *pool;            /* the thread's; freed in done */
	struct web_search_folder *current;
	/* out */
	struct web_search_hit *hits;
	unsigned int hit_count;
	unsigned int total;
	bool timed_out, failed;
};

static void web_search_add(struct web_search_job *job, uint32_t uid)
{
	struct web_search_folder *f = job->current;

	for (unsigned int i = 0; i < f->count; i++) {
		if (f->uids[i] == uid)
			return;
	}
	f->uids = p_grow(job->pool, f->uids, sizeof(uint32_t), f->count, &f->alloc, 64);
	f->uids[f->count++] = uid;
}

static void web_search_header_cb(void *context, uint32_t uid, const char *headers)
{
	struct web_search_job *job = context;

	if (headers != NULL &&
	    (store_imap_header_has(headers, "Subject", job->query) ||
	     store_imap_header_has(headers, "From", job->query)))
		web_search_add(job, uid);
}

static void web_search_text_cb(void *context, uint32_t uid)
{
	web_search_add(context, uid);
}

static int web_uid_desc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int web_hit_newest(const void *a, const void *b)
{
	const struct web_search_hit *x = a, *y = b;

	return x->date < y->date ? 1 : x->date > y->date ? -1 : 0;
}

static void web_search_run(struct store *store, void *context)
{
	struct web_search_job *job = context;
	int ret = 0;

	if (store == NULL) {
		job->failed = true;
		return;
	}
	store_imap_set_deadline(store, job->deadline);
	for (unsigned int i = 0; i < job->folder_count && ret == 0; i++) {
		job->current = &job->folders[i];
		ret = store_imap_search_headers(store, job->current->id, job->query,
						web_search_header_cb, job);
		if (ret == 0)
			ret = store_search_text(store, job->current->id, job->query, false,
						web_search_text_cb, job);
	}
	store_imap_set_deadline(store, 0);
	if (ret < 0) {
		job->timed_out = store_imap_now_msecs() >= job->deadline;
		if (!job->timed_out)
			log_error("web", "search failed: %s", store_last_error_detail(store));
		job->failed = true;
		return;
	}
	/* the newest of each folder, then the newest of all */
	for (unsigned int i = 0; i < job->folder_count; i++)
		job->total += job->folders[i].count;
	job->hits = p_new(job->pool, struct web_search_hit,
			  job->total > 0 ? job->total : 1);
	for (unsigned int i = 0; i < job->folder_count; i++) {
		struct web_search_folder *f = &job->folders[i];

		if (f->count > 1)
			qsort(f->uids, f->count, sizeof(uint32_t), web_uid_desc);
		for (unsigned int k = 0; k < f->count && k < WEB_SEARCH_SHOWN; k++) {
			struct store_message msg;
			struct web_search_hit *hit;

			if (store_message_get(store, f->id, f->uids[k], STORE_FIELD_STATE |
					      STORE_FIELD_SIZES | STORE_FIELD_ENVELOPE,
					      job->pool, &msg) <= 0)
				continue;
			hit = &job->hits[job->hit_count++];
			hit->mailbox_id = f->id;
			hit->uid = msg.uid;
			hit->flags = msg.flags;
			hit->date = msg.sent_time != 0 ? msg.sent_time : msg.internaldate;
			hit->envelope = msg.envelope;
		}
	}
	if (job->hit_count > 1)
		qsort(job->hits, job->hit_count, sizeof(*job->hits), web_hit_newest);
	if (job->hit_count > WEB_SEARCH_SHOWN)
		job->hit_count = WEB_SEARCH_SHOWN;
}

static void web_search_form(struct web_ctx *ctx, const char *query, int64_t in_id,
			    const struct store_mailbox *mbs, unsigned int mb_count)
{
	html_printf(ctx->out, "<form method=\"get\" action=\"/mail/search\" role=\"search\""
		    " class=\"searchbar\">\n"
		    "<label for=\"q\" class=\"sr-only\">Search</label>\n"
		    "<input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Search mail\""
		    " value=\"%s\" maxlength=\"%d\">\n"
		    "<label for=\"in\" class=\"sr-only\">In folder</label>\n"
		    "<select id=\"in\" name=\"in\"><option value=\"\">All folders</option>\n",
		    query != NULL ? query : "", WEB_SEARCH_QUERY_MAX);
	for (unsigned int i = 0; i < mb_count; i++) {
		if (mbs[i].kind != STORE_MAILBOX_MAIL)
			continue;
		html_printf(ctx->out, "<option value=\"%L\"%S>%s</option>\n", (int64_t)mbs[i].id,
			    mbs[i].id == in_id ? " selected" : "", web_mailbox_label(&mbs[i]));
	}
	html_printf(ctx->out, "</select>\n<button type=\"submit\">Search</button>\n</form>\n");
}

struct web_search_page {
	struct web_search_job job;
	const char *query;
	int64_t in_id;
	struct store_mailbox *mbs;
	unsigned int mb_count;
};

static const char *web_search_folder_label(const struct web_search_page *page,
					   int64_t id)
{
	for (unsigned int i = 0; i < page->mb_count; i++) {
		if (page->mbs[i].id == id)
			return web_mailbox_label(&page->mbs[i]);
	}
	return "";
}

static void web_search_render(struct web_ctx *ctx, struct web_search_page *page,
			      bool searched)
{
	struct buffer *out = ctx->out;
	struct web_search_job *job = &page->job;

	buffer_reset(out);
	web_page_begin(ctx, page->query != NULL ? page->query : "Search", WEB_NAV_MAIL);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, 0);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"list-title\">\n"
		    "<h1 id=\"list-title\">Search</h1>\n");
	web_search_form(ctx, page->query, page->in_id, page->mbs, page->mb_count);
	if (searched && job->failed) {
		html_printf(out, "<p class=\"error\" role=\"alert\">%s</p>\n", job->timed_out ?
			    "The search ran out of time: search for a longer word, or in one folder." :
			    "The search failed. Please try again.");
	} else if (searched && job->hit_count == 0) {
		html_printf(out, "<p class=\"empty\" role=\"status\">Nothing found.</p>\n");
	} else if (searched) {
		html_printf(out, "<p class=\"hint\" role=\"status\">%u found%S</p>\n"
			    "<ul class=\"msglist\">\n", job->total,
			    job->total > job->hit_count ? ", the newest shown" : "");
		for (unsigned int i = 0; i < job->hit_count; i++) {
			const struct web_search_hit *hit = &job->hits[i];

			web_message_list_item(ctx, hit->mailbox_id, hit->uid, hit->flags,
					      hit->date, hit->envelope,
					      page->in_id == 0 ?
					      web_search_folder_label(page, hit->mailbox_id) : NULL);
		}
		html_printf(out, "</ul>\n");
	}
	html_printf(out, "</section>\n</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

static void web_search_done(struct web_ctx *ctx, void *context)
{
	struct web_search_page *page = context;
	/* the hits are rendered from the thread's pool, then it goes; page
	   itself goes with the request when the answer is sent */
	struct pool *pool = page->job.pool;

	web_search_render(ctx, page, true);
	pool_destroy(&pool);
}

void web_search_page(struct web_ctx *ctx)
{
	struct web_search_page *page = p_new(ctx->pool, struct web_search_page, 1);
	struct web_search_job *job = &page->job;
	const char *in = web_form_get(&ctx->query, "in");
	uint64_t in_id = 0;

	page->query = web_form_get(&ctx->query, "q");
	if (in != NULL && *in != '\0') {
		struct store_mailbox mb;

		if (web_parse_id(in, INT64_MAX, &in_id) < 0) {
			web_send_not_found(ctx);
			return;
		}
		if (web_mailbox_get(ctx, (int64_t)in_id, &mb) <= 0)
			return;
	}
	page->in_id = (int64_t)in_id;
	if (store_mailbox_list(ctx->srv->store, ctx->user.id, ctx->pool, &page->mbs,
			       &page->mb_count) < 0) {
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return;
	}
	if (page->query != NULL) {
		/* white space around the words does not count */
		char *q = p_strdup(ctx->pool, page->query);
		size_t len = strlen(q);

		while (len > 0 && (q[len - 1] == ' ' || q[len - 1] == '\t'))
			q[--len] = '\0';
		while (*q == ' ' || *q == '\t')
			q++;
		page->query = *q != '\0' ? q : NULL;
	}
	if (page->query == NULL) {
		web_search_render(ctx, page, false);
		return;
	}
	if (strlen(page->query) > WEB_SEARCH_QUERY_MAX || strpbrk(page->query, "\r\n") != NULL) {
		web_send_message(ctx, 400, "Bad request", "That search is too long.");
		return;
	}
	job->query = page->query;
	job->folders = p_new(ctx->pool, struct web_search_folder, page->mb_count + 1);
	for (unsigned int i = 0; i < page->mb_count; i++) {
		if (page->mbs[i].kind != STORE_MAILBOX_MAIL ||
		    (page->in_id != 0 && page->mbs[i].id != page->in_id))
			continue;
		job->folders[job->folder_count++].id = page->mbs[i].id;
	}
	job->deadline = store_imap_now_msecs() + ctx->srv->conf->imap_search_timeout_msecs;
	job->pool = pool_create(16384);
	web_job_read(ctx, web_search_run, web_search_done, page);
}

/* --- the Outbox --- */

struct web_outbox_entry {
	const char *recipients;
	const char *subject;
	time_t created, next_attempt;
	unsigned int attempts;
	const char *last_error;
};

struct web_returned {
	uint32_t uid;
	time_t date;
	const char *subject;      /* of the message that came back */
	const char *recipients;   /* who it did not reach */
};

struct web_outbox_job {
	const char *sender;
	int64_t inbox_id;
	struct pool *pool;        /* the thread's; freed in done */
	struct store *store;      /* during run */
	struct web_outbox_entry *entries;
	unsigned int count, alloc;
	struct web_returned *returned;
	unsigned int returned_count, returned_alloc;
	bool failed;
};

/* The start of a queued message: enough for its header. */
static int web_outbox_head(struct store *store, struct pool *pool, const char *blob,
			   const unsigned char **data_r, size_t *size_r)
{
	unsigned char *buf = p_malloc(pool, WEB_OUTBOX_HEAD_READ);
	int fd = store_blob_open(store, blob);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, WEB_OUTBOX_HEAD_READ, 0);
	close(fd);
	if (n < 0)
		return -1;
	*data_r = buf;
	*size_r = (size_t)n;
	return 0;
}

static void web_outbox_cb(void *context, const struct store_outbound *entry)
{
	struct web_outbox_job *job = context;
	struct web_outbox_entry *e;
	const unsigned char *data;
	size_t size;

	if (!str_iequal(entry->sender, job->sender))
		return;
	job->entries = p_grow(job->pool, job->entries, sizeof(*job->entries), job->count,
			      &job->alloc, 8);
	e = &job->entries[job->count++];
	memset(e, 0, sizeof(*e));
	e->recipients = p_strdup(job->pool, entry->recipients);
	e->created = entry->created;
	e->next_attempt = entry->next_attempt;
	e->attempts = entry->attempts;
	e->last_error = entry->last_error != NULL ? p_strdup(job->pool, entry->last_error) : NULL;
	if (web_outbox_head(job->store, job->pool, entry->blob, &data, &size) == 0)
		e->subject = mime_get_header(job->pool, data, size, "Subject");
}

static void web_returned_cb(void *context, uint32_t uid, const char *headers)
{
	struct web_outbox_job *job = context;
	struct web_returned *r;

	if (headers == NULL ||
	    !store_imap_header_has(headers, "Subject", "Undelivered Mail Returned to Sender") ||
	    !store_imap_header_has(headers, "From", "MAILER-DAEMON"))
		return;
	job->returned = p_grow(job->pool, job->returned, sizeof(*job->returned),
			       job->returned_count, &job->returned_alloc, 8);
	r = &job->returned[job->returned_count++];
	memset(r, 0, sizeof(*r));
	r->uid = uid;
}

/* The original's subject and the recipients it did not reach, from the
   bounce itself. */
struct web_returned_read {
	struct pool *pool;
	struct web_returned *r;
};

static void web_returned_read_leaf(void *context, const struct mime_leaf *leaf)
{
	struct web_returned_read *rr = context;

	if (strcmp(leaf->type, "text") == 0 && strcmp(leaf->subtype, "rfc822-headers") == 0) {
		rr->r->subject = mime_get_header(rr->pool, leaf->data, leaf->size, "Subject");
	} else if (strcmp(leaf->type, "message") == 0 &&
		   strcmp(leaf->subtype, "delivery-status") == 0) {
		/* "Final-Recipient: rfc822; a@b" per recipient */
		struct buffer b;
		const char *p = (const char *)leaf->data, *end = p + leaf->size;

		buffer_init_pool(&b, rr->pool, 0);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

			if (len > 16 && mem_iequal(p, "Final-Recipient:", 16)) {
				const char *semi = memchr(p, ';', len);

				if (semi != NULL) {
					const char *a = semi + 1;
					size_t alen = len - (size_t)(a - p);

					while (alen > 0 && (*a == ' ' || *a == '\t')) {
						a++;
						alen--;
					}
					while (alen > 0 && (a[alen - 1] == '\r' || a[alen - 1] == ' '))
						alen--;
					if (b.used > 0)
						buffer_append_str(&b, ", ");
					buffer_append(&b, a, alen);
				}
			}
			p = nl != NULL ? nl + 1 : end;
		}
		rr->r->recipients = b.used > 0 ? b.data : NULL;
	}
}

static void web_outbox_run(struct store *store, void *context)
{
	struct web_outbox_job *job = context;

	if (store == NULL) {
		job->failed = true;
		return;
	}
	job->store = store;
	if (store_outbound_list(store, job->pool, web_outbox_cb, job) < 0 ||
	    store_imap_search_headers(store, job->inbox_id, "MAILER-DAEMON",
				      web_returned_cb, job) < 0) {
		log_error("web", "outbox failed: %s", store_last_error_detail(store));
		job->failed = true;
		return;
	}
	for (unsigned int i = 0; i < job->returned_count; i++) {
		struct web_returned *r = &job->returned[i];
		struct store_message msg;
		const unsigned char *data;
		size_t size;
		struct web_returned_read rr = { job->pool, r };

		if (store_message_get(store, job->inbox_id, r->uid, STORE_FIELD_BLOB |
				      STORE_FIELD_SIZES, job->pool, &msg) <= 0 ||
		    store_blob_read(store, msg.blob, job->pool, &data, &size) < 0)
			continue;
		r->date = msg.sent_time != 0 ? msg.sent_time : msg.internaldate;
		mime_foreach_leaf(job->pool, data, size, web_returned_read_leaf, &rr);
	}
	job->store = NULL;
}

static void web_outbox_done(struct web_ctx *ctx, void *context)
{
	struct web_outbox_job *job = context;
	struct buffer *out = ctx->out;

	buffer_reset(out);
	web_page_begin(ctx, "Outbox", WEB_NAV_MAIL);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, 0);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"outbox-title\">\n"
		    "<h1 id=\"outbox-title\">Outbox</h1>\n");
	if (job->failed)
		html_printf(out, "<p class=\"error\" role=\"alert\">The outbox cannot be read"
			    " right now. Please try again.</p>\n");
	html_printf(out, "<h2>Waiting for the relay</h2>\n");
	if (job->count == 0) {
		html_printf(out, "<p class=\"empty\">Nothing is waiting: every message has"
			    " been handed on.</p>\n");
	} else {
		html_printf(out, "<ul class=\"outbox\">\n");
		for (unsigned int i = 0; i < job->count; i++) {
			const struct web_outbox_entry *e = &job->entries[i];

			html_printf(out, "<li class=\"waiting\"><strong>%s</strong><br>\n"
				    "<span>To %s</span><br>\n<span class=\"hint\">Waiting since %s;"
				    " %u attempt%S",
				    e->subject != NULL && *e->subject != '\0' ? e->subject : "(no subject)",
				    e->recipients, web_format_datetime(ctx->pool, ctx->tz, e->created),
				    e->attempts, e->attempts == 1 ? "" : "s");
			if (e->attempts > 0)
				html_printf(out, ", next %s",
					    web_format_datetime(ctx->pool, ctx->tz, e->next_attempt));
			html_printf(out, "</span>");
			if (e->last_error != NULL && *e->last_error != '\0')
				html_printf(out, "<br>\n<span class=\"hint\">Last answer: %s</span>",
					    e->last_error);
			html_printf(out, "</li>\n");
		}
		html_printf(out, "</ul>\n");
	}
	html_printf(out, "<h2>Returned to you</h2>\n");
	if (job->returned_count == 0) {
		html_printf(out, "<p class=\"empty\">No message has come back.</p>\n");
	} else {
		html_printf(out, "<ul class=\"outbox\">\n");
		for (unsigned int i = job->returned_count; i-- > 0;) {
			const struct web_returned *r = &job->returned[i];

			html_printf(out, "<li class=\"bounced\"><a href=\"/mail/%L/%u\">"
				    "Not delivered: %s</a><br>\n<span>To %s</span>"
				    " <span class=\"hint\">%s</span></li>\n",
				    (int64_t)job->inbox_id, r->uid,
				    r->subject != NULL && *r->subject != '\0' ? r->subject : "(no subject)",
				    r->recipients != NULL ? r->recipients : "(unknown)",
				    web_format_datetime(ctx->pool, ctx->tz, r->date));
		}
		html_printf(out, "</ul>\n");
	}
	html_printf(out, "</section>\n</div>\n");
	web_page_end(ctx);
	pool_destroy(&job->pool);
	web_send_html(ctx, 200);
}

void web_outbox_page(struct web_ctx *ctx)
{
	struct web_outbox_job *job = p_new(ctx->pool, struct web_outbox_job, 1);
	struct store_mailbox inbox;

	if (store_mailbox_lookup(ctx->srv->store, ctx->user.id, "INBOX", ctx->pool,
				 &inbox) <= 0) {
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return;
	}
	job->sender = ctx->user.address;
	job->inbox_id = inbox.id;
	job->pool = pool_create(8192);
	web_job_read(ctx, web_outbox_run, web_outbox_done, job);
}
