/*
 * Logging in and out. The password is checked by auth_verify() on its
 * worker thread; the request waits (suspended) and is answered from the
 * callback. auth_verify() delays failures by [limits] auth_failure_delay.
 */
#include "web-private.h"
#include "web-html.h"
#include "auth.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"

#include <string.h>

struct web_login {
	struct web_login *prev, *next;
	struct web_ctx *ctx;
	struct auth_request *auth;
	const char *next_path;
	const char *old_session;
};

static struct web_login *web_logins;

void web_login_form(struct web_ctx *ctx, int status, const char *next,
		    const char *error)
{
	struct buffer *out = ctx->out;
	const char *username = web_form_get(&ctx->form, "username");

	buffer_reset(out);
	web_page_begin(ctx, "Log in", WEB_NAV_NONE);
	html_printf(out, "<section class=\"card narrow login\" aria-labelledby=\"login-title\">\n"
		    "<h1 id=\"login-title\">Log in</h1>\n");
	if (next != NULL && strncmp(next, "/item/", 6) == 0)
		html_printf(out, "<p class=\"hint\">Log in to open the meeting request.</p>\n");
	if (error != NULL)
		html_printf(out, "<p class=\"error\" role=\"alert\" id=\"login-error\">%s</p>\n",
			    error);
	html_printf(out,
		"<form method=\"post\" action=\"/login\" class=\"stack\">\n"
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

static void web_login_unlink(struct web_login *login)
{
	if (login->prev != NULL)
		login->prev->next = login->next;
	else
		web_logins = login->next;
	if (login->next != NULL)
		login->next->prev = login->prev;
}

static void web_login_done(void *context, const struct auth_result *result)
{
	struct web_login *login = context;
	struct web_ctx *ctx = login->ctx;
	struct server *srv = ctx->srv;

	login->auth = NULL;
	web_login_unlink(login);
	if (web_request_gone(ctx->req)) {
		web_response_send(ctx->req);
		return;
	}
	if (result->throttled) {
		/* RFC 6585 4 */
		web_response_header(ctx->req, "Retry-After",
				    p_printf(ctx->pool, "%u", result->retry_after_secs));
		web_send_message(ctx, 429, "Too many login attempts",
				 p_printf(ctx->pool, "Too many login attempts. Please try "
					  "again in %u second%s.", result->retry_after_secs,
					  result->retry_after_secs == 1 ? "" : "s"));
		return;
	}
	if (result->temp_failure) {
		web_send_message(ctx, 503, "Try again later",
				 "Logging in is not possible right now. Please try again in a minute.");
		return;
	}
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
	if (web_session_start(ctx->req, result->user_id) < 0) {
		web_send_message(ctx, 503, "Try again later",
				 "Logging in is not possible right now. Please try again in a minute.");
		return;
	}
	log_info("web", "login user=%s ip=%s", log_value(result->address),
		 ctx->req->peer_ip);
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
	login->ctx = ctx;
	login->next_path = next;
	login->old_session = ctx->session_id;
	login->next = web_logins;
	if (web_logins != NULL)
		web_logins->prev = login;
	web_logins = login;
	web_request_suspend(ctx->req);
	login->auth = auth_verify_from(ctx->srv->auth, METRICS_PROTOCOL_WEB,
				       ctx->req->peer_ip,
				       username, password, web_login_done, login);
	/* auth keeps its own copy */
	secret_wipe((char *)password, strlen(password));
}

void web_login_cancel_all(void)
{
	while (web_logins != NULL) {
		struct web_login *login = web_logins;

		web_login_unlink(login);
		auth_request_cancel(&login->auth);
		web_send_message(login->ctx, 503, "Shutting down",
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
