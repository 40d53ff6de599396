/*
 * What the user does to messages and folders: mark read, flag, Delete (to
 * Trash; in Trash for good), Move, and create, rename, delete and empty
 * folders. Every one is a POST with the session's CSRF token; a message or
 * folder that is not the viewer's gets the same 404 as one that never was,
 * and changes nothing.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-job.h"
#include "web-mail.h"
#include "log.h"
#include "mailbox-watch.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"

#include <string.h>

static void web_action_failed(struct web_ctx *ctx, const char *what)
{
	log_error("web", "%s failed: %s", what, store_last_error_detail(ctx->srv->store));
	web_send_message(ctx, 503, "Try again later", "The message could not be changed.");
}

/* Copy into dst and expunge from src, in one transaction: a move that
   either happened or did not (never refused for quota, so that a full
   user can still delete to the Trash). 1 moved, 0 no such message, -1
   error. */
static int web_message_move_to(struct web_ctx *ctx, int64_t src, uint32_t uid,
			       int64_t dst, uint32_t *new_uid_r)
{
	struct store *store = ctx->srv->store;

	if (store_message_move(store, src, uid, dst, new_uid_r) < 0)
		return store_last_error(store) == STORE_ERROR_NOT_FOUND ? 0 : -1;
	mailbox_watch_changed(ctx->srv->watch, src);
	mailbox_watch_changed(ctx->srv->watch, dst);
	return 1;
}

static void web_message_flags(struct web_ctx *ctx, const struct store_mailbox *mb,
			      enum store_flags_mode mode, uint32_t flag)
{
	struct store_flag_change change;
	const char *back = web_form_get(&ctx->form, "back");
	int ret;

	ret = store_message_set_flags(ctx->srv->store, mb->id, ctx->route.uid, mode,
				      flag, NULL, 0, ctx->pool, &change);
	if (ret == 0) {
		web_send_not_found(ctx);
		return;
	}
	if (ret < 0) {
		web_action_failed(ctx, "flag change");
		return;
	}
	if (change.changed)
		mailbox_watch_changed(ctx->srv->watch, mb->id);
	/* back to the message, or to the list the form was on */
	web_send_redirect(ctx, 303, back != NULL && strcmp(back, "list") == 0 ?
			  p_printf(ctx->pool, "/mail/%lld", (long long)mb->id) :
			  p_printf(ctx->pool, "/mail/%lld/%u", (long long)mb->id,
				   ctx->route.uid));
}

void web_message_action(struct web_ctx *ctx)
{
	struct store_mailbox mb, dst;
	uint64_t to;
	uint32_t new_uid;
	const char *to_s;
	int ret;

	if (!web_csrf_check(ctx))
		return;
	if (web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &mb) <= 0)
		return;
	switch (ctx->route.id) {
	case WEB_ROUTE_MESSAGE_READ:
		web_message_flags(ctx, &mb, STORE_FLAGS_ADD, STORE_FLAG_SEEN);
		return;
	case WEB_ROUTE_MESSAGE_FLAG: {
		const char *on = web_form_get(&ctx->form, "flag");

		web_message_flags(ctx, &mb, on != NULL && strcmp(on, "0") == 0 ?
				  STORE_FLAGS_REMOVE : STORE_FLAGS_ADD, STORE_FLAG_FLAGGED);
		return;
	}
	case WEB_ROUTE_MESSAGE_DELETE:
		if (web_mailbox_is(&mb, "\\Trash")) {
			/* deleting in Trash is for good */
			ret = store_message_expunge(ctx->srv->store, mb.id, ctx->route.uid);
			if (ret > 0)
				mailbox_watch_changed(ctx->srv->watch, mb.id);
		} else {
			if (web_mailbox_special(ctx, "\\Trash", "Trash", &dst) < 0)
				return;
			ret = web_message_move_to(ctx, mb.id, ctx->route.uid, dst.id, &new_uid);
		}
		break;
	case WEB_ROUTE_MESSAGE_MOVE:
		to_s = web_form_get(&ctx->form, "to");
		if (to_s == NULL || web_parse_id(to_s, INT64_MAX, &to) < 0) {
			web_send_message(ctx, 400, "Bad request", "Please choose a folder.");
			return;
		}
		/* the destination must be the viewer's too: 404 otherwise */
		if (web_mailbox_get(ctx, (int64_t)to, &dst) <= 0)
			return;
		if (dst.id == mb.id) {
			web_send_redirect(ctx, 303, p_printf(ctx->pool, "/mail/%lld/%u",
							     (long long)mb.id, ctx->route.uid));
			return;
		}
		ret = web_message_move_to(ctx, mb.id, ctx->route.uid, dst.id, &new_uid);
		break;
	default:
		web_send_not_found(ctx);
		return;
	}
	if (ret == 0) {
		web_send_not_found(ctx);
		return;
	}
	if (ret < 0) {
		web_action_failed(ctx, "delete or move");
		return;
	}
	web_send_redirect(ctx, 303, p_printf(ctx->pool, "/mail/%lld", (long long)mb.id));
}

/* --- folders --- */

/* Folders the user cannot delete or rename: INBOX and the special ones
   other clients rely on. */
static bool web_folder_fixed(const struct store_mailbox *mb)
{
	return strcmp(mb->name, "INBOX") == 0 || mb->special_use != NULL;
}

static void web_folders_render(struct web_ctx *ctx, const char *error, int status)
{
	struct buffer *out = ctx->out;
	struct store_mailbox *mbs;
	unsigned int count;

	if (store_mailbox_list(ctx->srv->store, ctx->user.id, ctx->pool, &mbs, &count) < 0) {
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return;
	}
	buffer_reset(out);
	web_page_begin(ctx, "Folders", WEB_NAV_MAIL);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, 0);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"folders-title\">\n"
		    "<h1 id=\"folders-title\">Folders</h1>\n");
	if (error != NULL)
		html_printf(out, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
	html_printf(out, "<form method=\"post\" action=\"/mail/folders\" class=\"inline-form\">\n");
	web_page_csrf_field(ctx);
	html_printf(out, "<label for=\"new-folder\">New folder</label>\n"
		    "<input id=\"new-folder\" name=\"name\" required maxlength=\"%u\">\n"
		    "<button type=\"submit\">Create folder</button>\n</form>\n"
		    "<ul class=\"folder-admin\">\n", (unsigned int)STORE_MAILBOX_NAME_MAX);
	for (unsigned int i = 0; i < count; i++) {
		const struct store_mailbox *mb = &mbs[i];

		if (mb->kind != STORE_MAILBOX_MAIL)
			continue;
		html_printf(out, "<li><a href=\"/mail/%L\">%s</a> <span class=\"hint\">%u</span>\n",
			    (int64_t)mb->id, web_mailbox_label(mb), mb->messages);
		if (!web_folder_fixed(mb)) {
			html_printf(out, "<form method=\"post\" action=\"/mail/%L/rename\" class=\"inline-form\">\n",
				    (int64_t)mb->id);
			web_page_csrf_field(ctx);
			html_printf(out, "<label class=\"sr-only\" for=\"rename-%L\">New name for %s</label>\n"
				    "<input id=\"rename-%L\" name=\"name\" value=\"%s\" required>\n"
				    "<button type=\"submit\">Rename</button>\n</form>\n"
				    "<form method=\"post\" action=\"/mail/%L/delete\" class=\"inline-form\">\n",
				    (int64_t)mb->id, mb->name, (int64_t)mb->id, mb->name,
				    (int64_t)mb->id);
			web_page_csrf_field(ctx);
			html_printf(out, "<button type=\"submit\" aria-label=\"Delete folder %s\">Delete folder</button>\n"
				    "</form>\n", mb->name);
		}
		if (web_mailbox_is(mb, "\\Trash") && mb->messages > 0) {
			html_printf(out, "<form method=\"post\" action=\"/mail/%L/empty\" class=\"inline-form\">\n",
				    (int64_t)mb->id);
			web_page_csrf_field(ctx);
			html_printf(out, "<button type=\"submit\">Empty Trash</button>\n</form>\n");
		}
		html_printf(out, "</li>\n");
	}
	html_printf(out, "</ul>\n</section>\n</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, status);
}

void web_folders_manage_page(struct web_ctx *ctx)
{
	web_folders_render(ctx, NULL, 200);
}

static const char *web_folder_name_error(const char *name)
{
	if (name == NULL || *name == '\0')
		return "Please enter a folder name.";
	if (!store_mailbox_name_valid(name) || str_iequal(name, "INBOX"))
		return "That name cannot be used for a folder.";
	return NULL;
}

/* A store failure as the user sees it on the folders page. */
static void web_folder_store_error(struct web_ctx *ctx, const char *what)
{
	enum store_error error = store_last_error(ctx->srv->store);

	if (error == STORE_ERROR_EXISTS) {
		web_folders_render(ctx, "A folder with that name already exists.", 409);
	} else if (error == STORE_ERROR_INVALID || error == STORE_ERROR_PERM) {
		web_folders_render(ctx, "That cannot be done with this folder.", 400);
	} else {
		log_error("web", "%s failed: %s", what, store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later", "Your folders cannot be changed right now.");
	}
}

void web_folders_manage_post(struct web_ctx *ctx)
{
	const char *name = web_form_get(&ctx->form, "name");
	const char *error;
	int64_t id;

	if (!web_csrf_check(ctx))
		return;
	if ((error = web_folder_name_error(name)) != NULL) {
		web_folders_render(ctx, error, 400);
		return;
	}
	if (store_mailbox_create(ctx->srv->store, ctx->user.id, name, NULL, &id) < 0) {
		web_folder_store_error(ctx, "folder create");
		return;
	}
	(void)store_mailbox_subscribe(ctx->srv->store, ctx->user.id, name, true);
	log_info("web", "folder created user=%s", log_value(ctx->user.address));
	web_send_redirect(ctx, 303, "/mail/folders");
}

/* Emptying Trash: every message of the folder expunged, on the delivery
   thread (a big Trash is a long transaction). */
struct web_empty_job {
	int64_t mailbox_id;
	int result;
};

static void web_empty_run(struct store *store, void *context)
{
	struct web_empty_job *job = context;
	struct store_message_iter *iter;
	struct store_message msg;
	struct pool *pool;
	uint32_t *uids = NULL;
	unsigned int count = 0, alloc = 0;
	int ret;

	job->result = -1;
	if (store == NULL)
		return;
	pool = pool_create(4096);
	iter = store_message_iter_init(store, job->mailbox_id, 1, UINT32_MAX,
				       STORE_FIELD_STATE);
	while ((ret = store_message_iter_next(iter, &msg)) > 0) {
		uids = p_grow(pool, uids, sizeof(*uids), count, &alloc, 256);
		uids[count++] = msg.uid;
	}
	store_message_iter_deinit(&iter);
	if (ret == 0 && store_begin(store) == 0) {
		unsigned int i;

		for (i = 0; i < count; i++) {
			if (store_message_expunge(store, job->mailbox_id, uids[i]) < 0)
				break;
		}
		if (i == count)
			job->result = store_commit(store);
		else
			store_rollback(store);
	}
	pool_destroy(&pool);
}

static void web_empty_done(struct web_ctx *ctx, void *context)
{
	struct web_empty_job *job = context;

	if (job->result < 0) {
		web_send_message(ctx, 503, "Try again later", "Trash could not be emptied.");
		return;
	}
	mailbox_watch_changed(ctx->srv->watch, job->mailbox_id);
	web_send_redirect(ctx, 303, p_printf(ctx->pool, "/mail/%lld",
					     (long long)job->mailbox_id));
}

void web_folder_action(struct web_ctx *ctx)
{
	struct store_mailbox mb;
	const char *name, *error;

	if (!web_csrf_check(ctx))
		return;
	if (web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &mb) <= 0)
		return;
	switch (ctx->route.id) {
	case WEB_ROUTE_FOLDER_EMPTY: {
		struct web_empty_job *job;

		if (!web_mailbox_is(&mb, "\\Trash")) {
			web_folders_render(ctx, "Only Trash can be emptied.", 400);
			return;
		}
		job = p_new(ctx->pool, struct web_empty_job, 1);
		job->mailbox_id = mb.id;
		web_job_write(ctx, web_empty_run, web_empty_done, job);
		return;
	}
	case WEB_ROUTE_FOLDER_RENAME:
		name = web_form_get(&ctx->form, "name");
		if (web_folder_fixed(&mb)) {
			web_folders_render(ctx, "This folder cannot be renamed.", 400);
			return;
		}
		if ((error = web_folder_name_error(name)) != NULL) {
			web_folders_render(ctx, error, 400);
			return;
		}
		if (store_mailbox_rename(ctx->srv->store, ctx->user.id, mb.name, name) < 0) {
			web_folder_store_error(ctx, "folder rename");
			return;
		}
		break;
	case WEB_ROUTE_FOLDER_DELETE:
		if (web_folder_fixed(&mb)) {
			web_folders_render(ctx, "This folder cannot be deleted.", 400);
			return;
		}
		if (store_mailbox_delete(ctx->srv->store, ctx->user.id, mb.name) < 0) {
			web_folder_store_error(ctx, "folder delete");
			return;
		}
		(void)store_mailbox_subscribe(ctx->srv->store, ctx->user.id, mb.name, false);
		break;
	default:
		web_send_not_found(ctx);
		return;
	}
	mailbox_watch_changed(ctx->srv->watch, mb.id);
	web_send_redirect(ctx, 303, "/mail/folders");
}
