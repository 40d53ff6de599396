/*
 * A form that arrives after its session has ended (idle too long, logged
 * out elsewhere, the password changed) is not lost: the login page that
 * answers it carries its text fields, hidden, and after the login the
 * user sees them again with "Your session had ended; send again?" and a
 * fresh CSRF token. Only that click sends it: a page elsewhere can make a
 * browser post a form here, and can even get it shown after the user
 * logs in, but it cannot press the button (no framing, no script of
 * ours acts on it).
 *
 * Nothing is kept on the server: the fields travel in the two pages, so
 * this works across nodes and costs no memory for the many browsers that
 * never log in. Bounded: WEB_KEPT_MAX_FIELDS fields, WEB_KEPT_MAX_SIZE
 * bytes, names of letters, digits, '_' and '-'; the old CSRF token and
 * anything named like a password are never written into a page. Files
 * cannot be put back into a file input, so a compose form's attachments
 * are dropped and the page says how many.
 */
#include "web-private.h"
#include "web-html.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

#define WEB_KEPT_NAME_MAX 64
/* In the login form: the target, how many files were dropped, and each
   field as "k.NAME". */
#define WEB_KEPT_TARGET "kept_target"
#define WEB_KEPT_FILES	"kept_files"
#define WEB_KEPT_PREFIX "k."
/* What the "send again?" page shows of each field. */
#define WEB_KEPT_SHOW_MAX    300
#define WEB_KEPT_SHOW_FIELDS 12

struct web_kept {
	const char *target; /* path and query the form went to */
	bool multipart;	    /* the target takes multipart/form-data */
	unsigned int files_dropped;
	struct web_form form; /* its text fields, in order */
};

static bool web_kept_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > WEB_KEPT_NAME_MAX || strcmp(name, "csrf") == 0 ||
	    mem_imem(name, len, "password", 8) != NULL)
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	}
	return true;
}

/* A target a kept form may go back to: a page of ours that takes a POST,
   not the login or logout. Sets multipart for the one that takes files. */
static bool web_kept_target_ok(struct web_ctx *ctx, const char *target,
			       bool *multipart_r)
{
	struct web_target t;
	struct web_route_match m;

	if (!web_return_path_safe(target) ||
	    web_target_parse(ctx->pool, target, &t) < 0 ||
	    web_route_find(&t, &m) < 0 || (m.methods & WEB_ROUTE_POST) == 0 ||
	    m.id == WEB_ROUTE_LOGIN || m.id == WEB_ROUTE_LOGOUT)
		return false;
	*multipart_r = m.id == WEB_ROUTE_COMPOSE;
	return true;
}

/* Add a field within the bounds; false when they are passed. A field we
   never keep is skipped (true). */
static bool web_kept_add(struct web_kept *kept, size_t *size, const char *name,
			 const char *value)
{
	if (!web_kept_name_ok(name))
		return true;
	*size += strlen(value);
	if (kept->form.count >= WEB_KEPT_MAX_FIELDS ||
	    *size > WEB_KEPT_MAX_SIZE)
		return false;
	kept->form.fields[kept->form.count].name = name;
	kept->form.fields[kept->form.count].value = value;
	kept->form.count++;
	return true;
}

void web_kept_login(struct web_ctx *ctx)
{
	struct web_kept *kept = p_new(ctx->pool, struct web_kept, 1);
	const char *error = "Your session had ended. Please log in again.";
	size_t size = 0;
	bool ok;

	ok = ctx->route.id != WEB_ROUTE_LOGOUT &&
	     web_kept_target_ok(ctx, ctx->req->target, &kept->multipart);
	for (unsigned int i = 0; ok && i < ctx->form.count; i++)
		ok = web_kept_add(kept, &size, ctx->form.fields[i].name,
				  ctx->form.fields[i].value);
	if (ok) {
		kept->target = ctx->req->target;
		kept->files_dropped = ctx->upload_count;
		ctx->kept = kept;
		error = NULL;
	} else if (ctx->route.id != WEB_ROUTE_LOGOUT) {
		error = "Your session had ended, and what you sent was too large to"
			" keep. Please log in and fill in the form again.";
	}
	/* the login's own fields start blank (web_login_form() would fill in
	   a "username" of the form) */
	memset(&ctx->form, 0, sizeof(ctx->form));
	web_login_form(ctx, 403, NULL, error);
}

const struct web_kept *web_kept_read(struct web_ctx *ctx)
{
	const char *target = web_form_get(&ctx->form, WEB_KEPT_TARGET);
	const char *files = web_form_get(&ctx->form, WEB_KEPT_FILES);
	const size_t plen = strlen(WEB_KEPT_PREFIX);
	struct web_kept *kept;
	uint64_t dropped = 0;
	size_t size = 0;

	if (target == NULL)
		return NULL;
	kept = p_new(ctx->pool, struct web_kept, 1);
	if (!web_kept_target_ok(ctx, target, &kept->multipart))
		return NULL;
	kept->target = target;
	if (files != NULL &&
	    str_to_u64(files, WEB_COMPOSE_MAX_FILES, &dropped) == 0)
		kept->files_dropped = (unsigned int) dropped;
	for (unsigned int i = 0; i < ctx->form.count; i++) {
		const struct web_form_field *f = &ctx->form.fields[i];

		if (strncmp(f->name, WEB_KEPT_PREFIX, plen) == 0 &&
		    !web_kept_add(kept, &size, f->name + plen, f->value))
			return NULL;
	}
	return kept;
}

static void web_kept_files_notice(struct web_ctx *ctx,
				  const struct web_kept *kept)
{
	if (kept->files_dropped == 0)
		return;
	html_printf(
		ctx->out,
		"<p class=\"notice\" role=\"status\">%u attached file%S could"
		" not be kept: attach %S again before you send.</p>\n",
		kept->files_dropped, kept->files_dropped == 1 ? "" : "s",
		kept->files_dropped == 1 ? "it" : "them");
}

void web_kept_fields(struct web_ctx *ctx, const struct web_kept *kept)
{
	struct buffer *out = ctx->out;

	html_printf(
		out,
		"<p class=\"notice\" role=\"status\" id=\"kept-notice\">Your session"
		" had ended before your form arrived. It is kept: log in, and you can"
		" send it again.</p>\n");
	web_kept_files_notice(ctx, kept);
	html_printf(out, "<input type=\"hidden\" name=\"%S\" value=\"%s\">\n",
		    WEB_KEPT_TARGET, kept->target);
	if (kept->files_dropped > 0)
		html_printf(
			out,
			"<input type=\"hidden\" name=\"%S\" value=\"%u\">\n",
			WEB_KEPT_FILES, kept->files_dropped);
	for (unsigned int i = 0; i < kept->form.count; i++)
		html_printf(
			out,
			"<input type=\"hidden\" name=\"%S%s\" value=\"%s\">\n",
			WEB_KEPT_PREFIX, kept->form.fields[i].name,
			kept->form.fields[i].value);
}

/* Fields that only carry the form's own state: not worth showing. */
static bool web_kept_shown(const struct web_form_field *f)
{
	static const char *const plumbing[] = {
		"mode",	      "src_mb", "src_uid", "draft_uid", "in_reply_to",
		"references", "action", "handle",  "keep",
	};

	if (*f->value == '\0')
		return false;
	for (size_t i = 0; i < sizeof(plumbing) / sizeof(plumbing[0]); i++) {
		if (strcmp(f->name, plumbing[i]) == 0)
			return false;
	}
	return true;
}

void web_kept_confirm(struct web_ctx *ctx, const struct web_kept *kept)
{
	struct buffer *out = ctx->out;
	unsigned int shown = 0;

	buffer_reset(out);
	web_page_begin(ctx, "Send again?", WEB_NAV_NONE);
	html_printf(
		out,
		"<section class=\"card\" aria-labelledby=\"kept-title\">\n"
		"<h1 id=\"kept-title\">Your session had ended; send again?</h1>\n"
		"<p>This form reached the server after your session had ended, so"
		" nothing was done with it. Check it, then send it again, or leave"
		" it.</p>\n");
	web_kept_files_notice(ctx, kept);
	for (unsigned int i = 0; i < kept->form.count; i++) {
		const struct web_form_field *f = &kept->form.fields[i];
		size_t len = strlen(f->value);

		if (!web_kept_shown(f) || shown == WEB_KEPT_SHOW_FIELDS)
			continue;
		if (shown++ == 0)
			html_printf(out, "<dl class=\"headers kept-form\">\n");
		if (len > WEB_KEPT_SHOW_MAX) {
			len = WEB_KEPT_SHOW_MAX;
			/* do not cut a UTF-8 sequence */
			while (len > 0 &&
			       ((unsigned char) f->value[len] & 0xc0) == 0x80)
				len--;
		}
		html_printf(out, "<dt>%s</dt><dd class=\"prose\">%s%S</dd>\n",
			    f->name, p_strndup(ctx->pool, f->value, len),
			    len < strlen(f->value) ? "…" : "");
	}
	if (shown > 0)
		html_printf(out, "</dl>\n");
	html_printf(
		out,
		"<form method=\"post\" action=\"%s\"%S class=\"toolbar\">\n",
		kept->target,
		kept->multipart ? " enctype=\"multipart/form-data\"" : "");
	web_page_csrf_field(ctx);
	for (unsigned int i = 0; i < kept->form.count; i++)
		html_printf(
			out,
			"<input type=\"hidden\" name=\"%s\" value=\"%s\">\n",
			kept->form.fields[i].name, kept->form.fields[i].value);
	html_printf(
		out,
		"<button type=\"submit\" class=\"primary\">Send again</button>\n"
		"<a class=\"button\" href=\"/\">Don&#39;t send</a>\n"
		"</form>\n</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}
