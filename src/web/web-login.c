/*
 * Logging in and out, and the password check that the login and the
 * password change share. The password is checked by auth_verify_from() on
 * its worker thread; the request waits (suspended) and is answered from
 * the callback. auth_verify_from() delays failures by [limits]
 * auth_failure_delay and throttles them as for IMAP and POP3.
 */
#include "web-private.h"
#include "web-html.h"
#include "auth.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"

#include <string.h>

/* A check waiting for auth's answer. */
struct web_password {
	struct web_password *prev, *next;
	struct web_ctx *ctx;
	struct auth_request *auth;
	web_password_cb *cb;
	void *context;
};

static struct web_password *web_passwords;

struct web_login {
	const char *next_path;
	const char *old_session;
};

void web_login_form(struct web_ctx *ctx, int status, const char *next,
		    const char *error)
{
	struct buffer *out = ctx->out;
	const char *username = web_form_get(&ctx->form, "username");

	buffer_reset(out);
	web_page_begin(ctx, "Log in", WEB_NAV_NONE);
	html_printf(out, "<section class=\"card narrow login\" aria-labelledby=\"login-title\">\n"
		    "<h1 id=\"login-title\">Log in</h1>\n");
	if (next != NULL && strncmp(next, "/item/", 6) == 0 &&
	    ctx->kept == NULL)
		html_printf(out, "<p class=\"hint\">Log in to open the meeting request.</p>\n");
	if (error != NULL)
		html_printf(out, "<p class=\"error\" role=\"alert\" id=\"login-error\">%s</p>\n",
			    error);
	/* a kept form may be large: multipart sends it as it is, where
	   urlencoding could triple it */
	html_printf(
		out, "<form method=\"post\" action=\"%S\" class=\"stack\"%S>\n",
		WEB_LOGIN_PATH,
		ctx->kept != NULL ? " enctype=\"multipart/form-data\"" : "");
	if (ctx->kept != NULL)
		web_kept_fields(ctx, ctx->kept);
	html_printf(
		out,
		"<label for=\"username\">Email address</label>\n"
		"<input id=\"username\" name=\"username\" type=\"text\" inputmode=\"email\""
		" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\""
		" required value=\"%s\"%S>\n"
		"<label for=\"password\">Password</label>\n"
		"<input id=\"password\" name=\"password\" type=\"password\""
		" autocomplete=\"current-password\" required%S>\n",
		username != NULL ? username : "",
		username == NULL ? " autofocus" : "",
		error != NULL ? " aria-describedby=\"login-error\"" : "");
	if (web_return_path_safe(next))
		html_printf(out, "<input type=\"hidden\" name=\"next\" value=\"%s\">\n", next);
	html_printf(out, "<button type=\"submit\" class=\"primary\">Log in</button>\n"
		    "</form>\n</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, status);
}

static void web_password_unlink(struct web_password *check)
{
	if (check->prev != NULL)
		check->prev->next = check->next;
	else
		web_passwords = check->next;
	if (check->next != NULL)
		check->next->prev = check->prev;
}

static void web_password_done(void *context, const struct auth_result *result)
{
	struct web_password *check = context;

	check->auth = NULL;
	web_password_unlink(check);
	if (web_request_gone(check->ctx->req)) {
		web_response_send(check->ctx->req);
		return;
	}
	check->cb(check->ctx, result, check->context);
}

void web_password_check(struct web_ctx *ctx, const char *address,
			char *password, web_password_cb *cb, void *context)
{
	struct web_password *check = p_new(ctx->pool, struct web_password, 1);

	check->ctx = ctx;
	check->cb = cb;
	check->context = context;
	check->next = web_passwords;
	if (web_passwords != NULL)
		web_passwords->prev = check;
	web_passwords = check;
	web_request_suspend(ctx->req);
	check->auth = auth_verify_from(ctx->srv->auth, METRICS_PROTOCOL_WEB,
				       ctx->req->peer_ip, address, password,
				       web_password_done, check);
	/* auth keeps its own copy */
	secret_wipe(password, strlen(password));
}

bool web_password_refused(struct web_ctx *ctx, const struct auth_result *result,
			  const char *attempts)
{
	if (result->throttled) {
		const char *title =
			p_printf(ctx->pool, "Too many %s", attempts);

		/* RFC 6585 4 */
		web_response_header(ctx->req, "Retry-After",
				    p_printf(ctx->pool, "%u", result->retry_after_secs));
		web_send_message(
			ctx, 429, title,
			p_printf(ctx->pool,
				 "%s. Please try again in %u second%s.", title,
				 result->retry_after_secs,
				 result->retry_after_secs == 1 ? "" : "s"));
		return true;
	}
	if (result->temp_failure) {
		web_send_message(
			ctx, 503, "Try again later",
			"Passwords cannot be checked right now. Please try again in a minute.");
		return true;
	}
	return false;
}

static void web_login_done(struct web_ctx *ctx,
			   const struct auth_result *result, void *context)
{
	struct web_login *login = context;
	struct server *srv = ctx->srv;

	if (web_password_refused(ctx, result, "login attempts"))
		return;
	if (!result->success) {
		log_info("web", "login failed user=%s ip=%s",
			 log_value(web_form_get(&ctx->form, "username")),
			 ctx->req->peer_ip);
		web_login_form(ctx, 403, login->next_path,
			       "That email address and password do not match.");
		return;
	}
	/* a new id on every login (no session fixation); the old one goes */
	if (login->old_session != NULL)
		store_web_session_delete(srv->store, login->old_session);
	if (web_session_start(ctx, result->user_id) < 0) {
		web_send_message(ctx, 503, "Try again later",
				 "Logging in is not possible right now. Please try again in a minute.");
		return;
	}
	log_info("web", "login user=%s ip=%s%s", log_value(result->address),
		 ctx->req->peer_ip, ctx->kept != NULL ? " kept-form" : "");
	if (ctx->kept != NULL) {
		web_kept_confirm(ctx, ctx->kept);
		return;
	}
	web_send_redirect(ctx, 303, login->next_path != NULL ? login->next_path : "/mail");
}

void web_login_post(struct web_ctx *ctx)
{
	const char *username = web_form_get(&ctx->form, "username");
	const char *password = web_form_get(&ctx->form, "password");
	const char *next = web_form_get(&ctx->form, "next");
	struct web_login *login;

	if (!web_return_path_safe(next))
		next = NULL;
	ctx->kept = web_kept_read(ctx);
	/* No password in cleartext, as for IMAP and POP3: over plain HTTP
	   only from [server] plaintext_auth_from networks. */
	if (!ctx->req->https &&
	    !server_plaintext_auth_allowed_ip(ctx->srv, ctx->req->peer_ip)) {
		if (password != NULL)
			secret_wipe((char *)password, strlen(password));
		log_info("web", "login refused: plaintext password from ip=%s",
			 ctx->req->peer_ip);
		web_send_message(ctx, 403, "Use a secure connection",
				 "Passwords are accepted only over HTTPS here. "
				 "Open the https address of this web access to log in.");
		return;
	}
	if (username == NULL || password == NULL || *username == '\0' ||
	    *password == '\0') {
		web_login_form(ctx, 400, next, "Please enter your email address and password.");
		return;
	}
	login = p_new(ctx->pool, struct web_login, 1);
	login->next_path = next;
	login->old_session = ctx->session_id;
	web_password_check(ctx, username, (char *) password, web_login_done,
			   login);
}

void web_login_cancel_all(void)
{
	while (web_passwords != NULL) {
		struct web_password *check = web_passwords;

		web_password_unlink(check);
		auth_request_cancel(&check->auth);
		web_send_message(
			check->ctx, 503, "Shutting down",
			"The server is restarting. Please try again in a minute.");
	}
}

void web_logout_post(struct web_ctx *ctx)
{
	if (!web_csrf_check(ctx))
		return;
	web_session_end(ctx);
	web_send_redirect(ctx, 303, "/login");
}
