/*
 * Sessions: a random 256-bit id in a cookie, stored hashed in the store
 * with its expiry and its CSRF token. A cookie that does not name a live
 * session is simply no session (no error, no log line with its value).
 */
#include "web-private.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"

#include <string.h>
#include <time.h>

static const char *web_session_cookie_name(const struct web_request *req)
{
	return req->https ? WEB_SESSION_COOKIE_HTTPS : WEB_SESSION_COOKIE_HTTP;
}

void web_session_load(struct web_ctx *ctx)
{
	struct server *srv = ctx->srv;
	struct store_web_session sess;
	const char *id;
	int ret;

	id = web_cookie_get(ctx->pool, web_request_header(ctx->req, "Cookie"),
			    web_session_cookie_name(ctx->req));
	if (id == NULL || !web_token_valid(id))
		return;
	ret = store_web_session_lookup(srv->store, id, ctx->pool, &sess);
	if (ret < 0) {
		log_error("web", "session lookup failed: %s",
			  store_last_error_detail(srv->store));
		return;
	}
	if (ret == 0)
		return;
	if (store_user_lookup_id(srv->store, sess.user_id, ctx->pool, &ctx->user) <= 0)
		return;
	ctx->logged_in = true;
	ctx->session_id = id;
	ctx->csrf = sess.csrf;
}

static void web_session_cookie(struct web_request *req, const char *value,
			       unsigned int max_age)
{
	/* RFC 6265 4.1; SameSite=Lax keeps the cookie on top-level GET
	   navigations (links in mail) but off cross-site POSTs */
	web_response_header(req, "Set-Cookie",
			    p_printf(req->pool, "%s=%s; Path=/; Max-Age=%u; HttpOnly;"
				     " SameSite=Lax%s", web_session_cookie_name(req),
				     value, max_age, req->https ? "; Secure" : ""));
}

int web_session_start(struct web_request *req, int64_t user_id)
{
	struct server *srv = web_server();
	unsigned int lifetime = srv->conf->web_session_lifetime_secs;
	char id[64], csrf[64];

	secret_token(id, sizeof(id), WEB_SESSION_ID_BYTES);
	secret_token(csrf, sizeof(csrf), WEB_CSRF_BYTES);
	if (store_web_session_create(srv->store, user_id, time(NULL) + lifetime,
				     id, csrf, NULL) < 0) {
		log_error("web", "cannot create a session: %s",
			  store_last_error_detail(srv->store));
		return -1;
	}
	web_session_cookie(req, id, lifetime);
	secret_wipe(id, sizeof(id));
	return 0;
}

void web_session_end(struct web_ctx *ctx)
{
	if (ctx->session_id != NULL &&
	    store_web_session_delete(ctx->srv->store, ctx->session_id) < 0)
		log_error("web", "cannot delete a session: %s",
			  store_last_error_detail(ctx->srv->store));
	web_session_cookie(ctx->req, "", 0);
	ctx->logged_in = false;
}

bool web_csrf_ok(const struct web_ctx *ctx)
{
	const char *sent = web_form_get(&ctx->form, "csrf");

	if (!ctx->logged_in || sent == NULL || ctx->csrf == NULL)
		return false;
	return secret_str_equal(sent, ctx->csrf);
}

bool web_csrf_check(struct web_ctx *ctx)
{
	if (web_csrf_ok(ctx))
		return true;
	web_send_message(ctx, 403, "Forbidden",
			 "This form has expired. Please go back, reload the page and try again.");
	return false;
}

void web_sessions_expire(void)
{
	struct server *srv = web_server();

	if (store_web_sessions_expire(srv->store, time(NULL)) < 0)
		log_error("web", "cannot expire sessions: %s",
			  store_last_error_detail(srv->store));
}
