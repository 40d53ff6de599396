/*
 * The folder list and a folder's messages, newest first, a page at a time
 * (keyset paging on UIDs: store-web-list.h).
 */
#include "web-private.h"
#include "web-mail.h"
#include "imap-envelope.h"
#include "web-html.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "server.h"
#include "store-web-list.h"
#include "strutil.h"

#include <string.h>
#include <time.h>

#define WEB_PAGE_SIZE 50

const char *web_mailbox_label(const struct store_mailbox *mb)
{
	if (strcmp(mb->name, "INBOX") == 0)
		return "Inbox";
	return mb->name;
}

int web_mailbox_get(struct web_ctx *ctx, int64_t mailbox_id,
		    struct store_mailbox *mb_r)
{
	int ret = store_mailbox_lookup_id(ctx->srv->store, mailbox_id, ctx->pool, mb_r);

	if (ret < 0) {
		log_error("web", "mailbox lookup failed: %s",
			  store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return -1;
	}
	if (ret == 0 || mb_r->user_id != ctx->user.id ||
	    mb_r->kind != STORE_MAILBOX_MAIL) {
		web_send_not_found(ctx);
		return 0;
	}
	return 1;
}

bool web_mailbox_is(const struct store_mailbox *mb, const char *special_use)
{
	return mb->special_use != NULL && strcmp(mb->special_use, special_use) == 0;
}

int web_mailbox_special(struct web_ctx *ctx, const char *special_use,
			const char *name, struct store_mailbox *mb_r)
{
	struct store *store = ctx->srv->store;
	struct store_mailbox *mbs;
	unsigned int count;
	int64_t id;
	int ret;

	if (store_mailbox_list(store, ctx->user.id, ctx->pool, &mbs, &count) < 0)
		goto failed;
	for (unsigned int i = 0; i < count; i++) {
		if (mbs[i].kind == STORE_MAILBOX_MAIL && web_mailbox_is(&mbs[i], special_use)) {
			*mb_r = mbs[i];
			return 1;
		}
	}
	ret = store_mailbox_lookup(store, ctx->user.id, name, ctx->pool, mb_r);
	if (ret > 0 && mb_r->kind == STORE_MAILBOX_MAIL)
		return 1;
	if (ret < 0 || store_mailbox_create(store, ctx->user.id, name, special_use, &id) < 0 ||
	    store_mailbox_lookup_id(store, id, ctx->pool, mb_r) <= 0)
		goto failed;
	return 1;
failed:
	log_error("web", "cannot find the %s folder: %s", special_use,
		  store_last_error_detail(store));
	web_send_message(ctx, 503, "Try again later", "Your mail cannot be changed right now.");
	return -1;
}

static void web_folder_nav_item(struct web_ctx *ctx, const struct store_mailbox *mb,
				int64_t current_id)
{
	html_printf(ctx->out, "<li><a href=\"/mail/%L\"%S><span>%s</span>",
		    (int64_t)mb->id, mb->id == current_id ? " aria-current=\"page\"" : "",
		    web_mailbox_label(mb));
	if (mb->unseen > 0)
		html_printf(ctx->out, "<span class=\"count\"><span class=\"sr-only\">unread: </span>%u</span>",
			    mb->unseen);
	html_printf(ctx->out, "</a></li>\n");
}

/* Under the folders: "Using 12.3 MB of 1 GB" (RFC 9208's STORAGE; K, M
   and G are powers of 1024, as the quota is set), the message count when
   that is limited, and a warning once new mail is refused. */
static void web_quota_line(struct web_ctx *ctx)
{
	char used[STR_SIZE_MAX], limit[STR_SIZE_MAX];
	struct store_quota quota;
	bool full;

	if (store_quota_get(ctx->srv->store, ctx->user.id, &quota) <= 0)
		return;
	full = store_quota_exceeded(&quota, 1, 1);
	html_printf(ctx->out, "<p class=\"quota%S\">Using %s", full ? " over" : "",
		    str_size_human(quota.storage_used, true, used));
	if (quota.storage_limit != STORE_QUOTA_UNLIMITED)
		html_printf(ctx->out, " of %s",
			    str_size_human(quota.storage_limit, true, limit));
	if (quota.messages_limit != STORE_QUOTA_UNLIMITED)
		html_printf(ctx->out, "<br>%L of %L messages",
			    (int64_t)quota.messages_used, (int64_t)quota.messages_limit);
	if (full)
		html_printf(ctx->out, "<br><strong>Mailbox full: new mail is refused."
			    "</strong> Delete messages and empty the Trash.");
	html_printf(ctx->out, "</p>\n");
}

void web_folder_nav(struct web_ctx *ctx, int64_t current_id)
{
	struct store_mailbox *mbs;
	unsigned int count;

	if (store_mailbox_list(ctx->srv->store, ctx->user.id, ctx->pool, &mbs, &count) < 0)
		count = 0;
	html_printf(ctx->out, "<nav class=\"folders card\" aria-label=\"Folders\">\n"
		    "<a class=\"button primary compose\" href=\"/mail/compose\" data-key=\"c\""
		    " aria-keyshortcuts=\"c\">Compose</a>\n");
	if (ctx->route.id != WEB_ROUTE_SEARCH)
		html_printf(ctx->out, "<form method=\"get\" action=\"/mail/search\" role=\"search\""
			    " class=\"searchbar\">\n<label for=\"nav-q\" class=\"sr-only\">Search</label>\n"
			    "<input id=\"nav-q\" name=\"q\" type=\"search\" placeholder=\"Search mail\""
			    " aria-keyshortcuts=\"/\">\n</form>\n");
	html_printf(ctx->out, "<h2 class=\"sr-only\">Folders</h2>\n<ul>\n");
	/* INBOX first, then the rest in the store's order (by name) */
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(mbs[i].name, "INBOX") == 0)
			web_folder_nav_item(ctx, &mbs[i], current_id);
	}
	for (unsigned int i = 0; i < count; i++) {
		if (mbs[i].kind != STORE_MAILBOX_CALENDAR && strcmp(mbs[i].name, "INBOX") != 0)
			web_folder_nav_item(ctx, &mbs[i], current_id);
	}
	html_printf(ctx->out, "</ul>\n<ul class=\"more\">\n"
		    "<li><a href=\"/mail/outbox\"%S><span>Outbox</span></a></li>\n"
		    "<li><a href=\"/mail/folders\"%S><span>Manage folders</span></a></li>\n"
		    "</ul>\n",
		    ctx->route.id == WEB_ROUTE_OUTBOX ? " aria-current=\"page\"" : "",
		    ctx->route.id == WEB_ROUTE_FOLDER_MANAGE ? " aria-current=\"page\"" : "");
	web_quota_line(ctx);
	html_printf(ctx->out, "</nav>\n");
}

const char *web_display_address(struct pool *pool, const char *name,
				const char *addr)
{
	if (name != NULL && *name != '\0')
		return mime_decode_header(pool, name);
	return addr != NULL ? addr : "(unknown sender)";
}

static const char *web_list_date(struct web_ctx *ctx, time_t t)
{
	time_t now = time(NULL);

	if (t > now - 20 * 3600 && t <= now + 3600)
		return web_format_time(ctx->pool, ctx->tz, t);
	return web_format_date(ctx->pool, ctx->tz, t);
}

void web_message_list_item(struct web_ctx *ctx, int64_t mailbox_id, uint32_t uid,
			   uint32_t flags, time_t date, const char *envelope,
			   const char *folder)
{
	struct imap_envelope env;
	const char *subject, *from;
	bool unseen = (flags & STORE_FLAG_SEEN) == 0;
	bool flagged = (flags & STORE_FLAG_FLAGGED) != 0;

	/* what parsed before a malformed field is still shown */
	(void)imap_envelope_parse(ctx->pool, envelope != NULL ? envelope : "", &env);
	from = env.from.mailbox == NULL ? NULL : env.from.host == NULL ?
		env.from.mailbox : p_printf(ctx->pool, "%s@%s", env.from.mailbox,
					    env.from.host);
	subject = env.subject != NULL && *env.subject != '\0' ?
		mime_decode_header(ctx->pool, env.subject) : "(no subject)";
	html_printf(ctx->out, "<li%S><a href=\"/mail/%L/%u\">"
		    "<span class=\"from\">%s</span>"
		    "<span class=\"subj\">%S%S%s</span><span class=\"date\">",
		    unseen ? " class=\"unseen\"" : "", mailbox_id, uid,
		    web_display_address(ctx->pool, env.from.name, from),
		    unseen ? "<span class=\"sr-only\">Unread: </span>" : "",
		    flagged ? "<span class=\"flag\" aria-label=\"Flagged\">&#9873;</span> " : "",
		    subject);
	if (folder != NULL)
		html_printf(ctx->out, "<span class=\"folder\">%s</span> ", folder);
	html_printf(ctx->out, "%s</span></a></li>\n", web_list_date(ctx, date));
}

/* Messages above uid ("51–100 of 10,000"): count whichever side of uid
   is smaller. */
static int web_count_newer(struct web_ctx *ctx, const struct store_mailbox *mb,
			   uint32_t uid, uint32_t *newer_r)
{
	uint32_t below;

	if (uid >= mb->uidnext / 2)
		return store_web_message_count(ctx->srv->store, mb->id, uid + 1,
					       UINT32_MAX, newer_r);
	if (store_web_message_count(ctx->srv->store, mb->id, 1, uid, &below) < 0)
		return -1;
	*newer_r = mb->messages > below ? mb->messages - below : 0;
	return 0;
}

static void web_mailbox_render(struct web_ctx *ctx, const struct store_mailbox *mb)
{
	struct buffer *out = ctx->out;
	const char *before_s = web_form_get(&ctx->query, "before");
	const char *after_s = web_form_get(&ctx->query, "after");
	uint64_t before = 0, after = 0;
	struct store_web_message *msgs;
	unsigned int count;
	uint32_t newer = 0;
	bool more_older, more_newer;

	if ((before_s != NULL && web_parse_id(before_s, UINT32_MAX, &before) < 0) ||
	    (after_s != NULL && web_parse_id(after_s, UINT32_MAX, &after) < 0)) {
		web_send_message(ctx, 400, "Bad request", "That page does not exist.");
		return;
	}
	/* one more than a page tells whether there is a next one */
	if (store_web_message_page(ctx->srv->store, mb->id, (uint32_t)before,
				   (uint32_t)after, WEB_PAGE_SIZE + 1, ctx->pool,
				   &msgs, &count) < 0) {
		log_error("web", "message list failed: %s",
			  store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return;
	}
	if (after != 0) {
		/* newest first, the extra one (if any) is the newest */
		more_newer = count > WEB_PAGE_SIZE;
		if (more_newer) {
			msgs++;
			count--;
		}
		more_older = true;
	} else {
		more_older = count > WEB_PAGE_SIZE;
		if (more_older)
			count--;
		more_newer = false;
	}
	if (count > 0 && web_count_newer(ctx, mb, msgs[0].uid, &newer) == 0)
		more_newer = newer > 0;
	if (count == 0 && after != 0)
		more_older = mb->messages > 0;

	web_page_begin(ctx, web_mailbox_label(mb), WEB_NAV_MAIL);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, mb->id);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"list-title\">\n"
		    "<h1 id=\"list-title\">%s</h1>\n", web_mailbox_label(mb));
	if (count == 0) {
		html_printf(out, "<p class=\"empty\">No messages here.</p>\n");
	} else {
		html_printf(out, "<p class=\"hint\">%u–%u of %u</p>\n<ul class=\"msglist\">\n",
			    newer + 1, newer + count, mb->messages);
		for (unsigned int i = 0; i < count; i++)
			web_message_list_item(ctx, mb->id, msgs[i].uid, msgs[i].flags,
					      msgs[i].sent_time != 0 ? msgs[i].sent_time :
					      msgs[i].internaldate, msgs[i].envelope, NULL);
		html_printf(out, "</ul>\n");
	}
	html_printf(out, "<nav class=\"pager\" aria-label=\"Pages\">\n");
	if (more_newer && count > 0)
		html_printf(out, "<a class=\"button\" rel=\"prev\" href=\"/mail/%L?after=%u\">← Newer</a>\n",
			    (int64_t)mb->id, msgs[0].uid);
	else
		html_printf(out, "<span></span>\n");
	if (more_older && count > 0)
		html_printf(out, "<a class=\"button\" rel=\"next\" href=\"/mail/%L?before=%u\">Older →</a>\n",
			    (int64_t)mb->id, msgs[count - 1].uid);
	html_printf(out, "</nav>\n</section>\n</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

void web_mailbox_page(struct web_ctx *ctx)
{
	struct store_mailbox mb;

	if (web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &mb) <= 0)
		return;
	web_mailbox_render(ctx, &mb);
}

void web_folders_page(struct web_ctx *ctx)
{
	struct store_mailbox mb;
	int ret = store_mailbox_lookup(ctx->srv->store, ctx->user.id, "INBOX",
				       ctx->pool, &mb);

	if (ret <= 0) {
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return;
	}
	web_mailbox_render(ctx, &mb);
}
