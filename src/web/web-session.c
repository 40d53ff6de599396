/*
 * Sessions: a random 256-bit id in a cookie, stored hashed in the store
 * with its expiry and its CSRF token. A cookie that does not name a live
 * session is simply no session (no error, no log line with its value).
 *
 * The lifetime slides: a session ends [web] session_idle after it was
 * last used, and never later than session_lifetime after the login. Use
 * is written down at most once a minute (a quarter of session_idle when
 * that is shorter), not on every request: a page view costs a read, and
 * now and then a small write.
 */
#include "web-private.h"
#include "web-tz.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"

#include <string.h>
#include <time.h>

/* Renew a session used again after this long at most. */
#define WEB_SESSION_TOUCH_SECS 60
/* The User-Agent kept with a session, for the sessions list. */
#define WEB_SESSION_AGENT_MAX 160

static const char *web_session_cookie_name(const struct web_request *req)
{
	return req->https ? WEB_SESSION_COOKIE_HTTPS : WEB_SESSION_COOKIE_HTTP;
}

static void web_session_cookie(struct web_ctx *ctx, const char *value,
			       unsigned int max_age)
{
	struct web_request *req = ctx->req;

	/* RFC 6265 4.1; SameSite=Lax keeps the cookie on top-level GET
	   navigations (links in mail) but off cross-site POSTs */
	ctx->session_cookie = p_printf(req->pool,
				       "%s=%s; Path=/; Max-Age=%u; HttpOnly;"
				       " SameSite=Lax%s",
				       web_session_cookie_name(req), value,
				       max_age, req->https ? "; Secure" : "");
	web_response_header(req, "Set-Cookie", ctx->session_cookie);
}

/* When a session used at now ends: session_idle on, capped by the
   lifetime counted from its creation. */
static time_t web_session_expiry(const struct conf *conf, time_t created,
				 time_t now)
{
	time_t idle_end = now + (time_t) conf->web_session_idle_secs;
	time_t cap = created + (time_t) conf->web_session_lifetime_secs;

	return idle_end < cap ? idle_end : cap;
}

/* Activity: write it down when the last note is old enough, and give the
   browser a cookie that lasts as long. */
static void web_session_touch(struct web_ctx *ctx, const char *id,
			      const struct store_web_session *sess)
{
	const struct conf *conf = ctx->srv->conf;
	unsigned int every = conf->web_session_idle_secs / 4;
	time_t now = time(NULL), expires;

	if (every > WEB_SESSION_TOUCH_SECS)
		every = WEB_SESSION_TOUCH_SECS;
	if (every == 0)
		every = 1;
	if (now - sess->last_seen < (time_t) every)
		return;
	expires = web_session_expiry(conf, sess->created, now);
	if (expires <= now)
		return;
	if (store_web_session_touch(ctx->srv->store, id, now, expires) < 0) {
		/* it stays valid until its old expiry */
		log_error("web", "cannot renew a session: %s",
			  store_last_error_detail(ctx->srv->store));
		return;
	}
	web_session_cookie(ctx, id, (unsigned int) (expires - now));
}

void web_session_load(struct web_ctx *ctx)
{
	struct server *srv = ctx->srv;
	struct store_web_session sess;
	const struct web_tz *tz;
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
	ctx->session_handle = sess.handle;
	ctx->csrf = sess.csrf;
	/* the user's zone wins over the browser's */
	if (ctx->user.timezone != NULL &&
	    (tz = web_tz_get(ctx->user.timezone)) != NULL)
		ctx->tz = tz;
	web_session_touch(ctx, id, &sess);
}

/* "ADDRESS, User-Agent" for the sessions list: the agent in printable
   ASCII, runs of anything else one space, at most WEB_SESSION_AGENT_MAX
   bytes. */
static const char *web_session_client(struct web_ctx *ctx)
{
	const char *agent = web_request_header(ctx->req, "User-Agent");
	char clean[WEB_SESSION_AGENT_MAX + 1];
	size_t len = 0;

	for (const char *p = agent;
	     p != NULL && *p != '\0' && len < WEB_SESSION_AGENT_MAX; p++) {
		char c = *p >= 0x20 && *p < 0x7f ? *p : ' ';

		if (c == ' ' && (len == 0 || clean[len - 1] == ' '))
			continue;
		clean[len++] = c;
	}
	while (len > 0 && clean[len - 1] == ' ')
		len--;
	clean[len] = '\0';
	return len == 0 ?
		       p_strdup(ctx->pool, ctx->req->peer_ip) :
		       p_printf(ctx->pool, "%s, %s", ctx->req->peer_ip, clean);
}

int web_session_start(struct web_ctx *ctx, int64_t user_id)
{
	struct server *srv = ctx->srv;
	time_t now = time(NULL),
	       expires = web_session_expiry(srv->conf, now, now);
	char id[64], csrf[64];

	secret_token(id, sizeof(id), WEB_SESSION_ID_BYTES);
	secret_token(csrf, sizeof(csrf), WEB_CSRF_BYTES);
	if (store_web_session_create(srv->store, user_id, expires, id, csrf,
				     web_session_client(ctx)) < 0) {
		log_error("web", "cannot create a session: %s",
			  store_last_error_detail(srv->store));
		secret_wipe(id, sizeof(id));
		return -1;
	}
	web_session_cookie(ctx, id, (unsigned int) (expires - now));
	secret_wipe(id, sizeof(id));
	if (store_user_lookup_id(srv->store, user_id, ctx->pool, &ctx->user) >
	    0) {
		ctx->logged_in = true;
		ctx->csrf = p_strdup(ctx->pool, csrf);
		/* not kept: this answer has no use for them */
		ctx->session_id = NULL;
		ctx->session_handle = 0;
	}
	return 0;
}

void web_session_end(struct web_ctx *ctx)
{
	if (ctx->session_id != NULL &&
	    store_web_session_delete(ctx->srv->store, ctx->session_id) < 0)
		log_error("web", "cannot delete a session: %s",
			  store_last_error_detail(ctx->srv->store));
	web_session_cookie(ctx, "", 0);
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
