/*
 * Settings: the user's display name, time zone, what IMAP/POP3 clients
 * get in meeting requests, the password, the sessions, and the account
 * setup for mail and calendar apps. One page, one form per setting, each
 * a POST with the CSRF token to its own address (web-route.h); a saved
 * setting comes back to the page (303) with a note, a refused one shows
 * the page again with the reason at its form and changes nothing.
 *
 * The password change checks the current password exactly as a login
 * does (web_password_check(): throttled, delayed on failure, Argon2id
 * off the loop) and hashes the new one on the delivery thread
 * (web_job_write()). store_user_set_password() ends every web session of
 * the user, so someone who learnt the old password is out; this browser
 * gets a new session.
 */
#include "web-private.h"
#include "web-autoconfig.h"
#include "web-html.h"
#include "web-job.h"
#include "web-tz.h"
#include "auth.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A form's reason to refuse, shown at that form. */
struct web_settings_errors {
	const char *name, *timezone, *calendar, *password, *sessions;
};

struct web_settings_sessions {
	struct web_ctx *ctx;
	unsigned int count;
};

static void web_settings_error(struct buffer *out, const char *id,
			       const char *error)
{
	if (error != NULL)
		html_printf(
			out,
			"<p class=\"error\" role=\"alert\" id=\"%s-error\">%s</p>\n",
			id, error);
}

/* The note of a saved form (?saved=WHAT), in its section. */
static void web_settings_saved(struct web_ctx *ctx, const char *what,
			       const char *text)
{
	const char *saved = web_form_get(&ctx->query, "saved");

	if (saved != NULL && strcmp(saved, what) == 0)
		html_printf(ctx->out,
			    "<p class=\"notice\" role=\"status\">%s</p>\n",
			    text);
}

static void web_settings_begin(struct web_ctx *ctx, const char *id,
			       const char *title)
{
	html_printf(
		ctx->out,
		"<section class=\"card\" id=\"%s\" aria-labelledby=\"%s-title\">\n"
		"<h2 id=\"%s-title\">%s</h2>\n",
		id, id, id, title);
}

static void web_settings_form(struct web_ctx *ctx, const char *action)
{
	html_printf(
		ctx->out,
		"<form method=\"post\" action=\"/settings/%s\" class=\"stack\">\n",
		action);
	web_page_csrf_field(ctx);
}

static void web_settings_name(struct web_ctx *ctx,
			      const struct web_settings_errors *err)
{
	const char *value = err->name != NULL ?
				    web_form_get(&ctx->form, "display_name") :
				    ctx->user.display_name;

	web_settings_begin(ctx, "name", "Display name");
	html_printf(
		ctx->out,
		"<p class=\"hint\">Shown with your address in the From of mail you"
		" send here and in the meetings you make.</p>\n");
	web_settings_saved(ctx, "name", "Your display name is saved.");
	web_settings_error(ctx->out, "name", err->name);
	web_settings_form(ctx, "name");
	html_printf(
		ctx->out,
		"<label for=\"display_name\">Display name</label>\n"
		"<input id=\"display_name\" name=\"display_name\" type=\"text\""
		" autocomplete=\"name\" maxlength=\"%d\" value=\"%s\"%S>\n"
		"<p class=\"hint\">Leave it empty to send with your address alone.</p>\n"
		"<button type=\"submit\" class=\"primary\">Save name</button>\n</form>\n"
		"</section>\n",
		STR_DISPLAY_NAME_MAX, value != NULL ? value : "",
		err->name != NULL ? " aria-describedby=\"name-error\"" : "");
}

static void web_settings_timezone(struct web_ctx *ctx,
				  const struct web_settings_errors *err)
{
	struct buffer *out = ctx->out;
	const char *current =
		ctx->user.timezone != NULL ? ctx->user.timezone : "";
	const char *const *names;
	unsigned int count;
	time_t now = time(NULL);

	web_tz_list(&names, &count);
	web_settings_begin(ctx, "timezone", "Time zone");
	html_printf(
		out,
		"<p>Times are shown in <strong id=\"tz-now\">%s</strong>: it is"
		" <time datetime=\"%s\">%s</time>.</p>\n",
		web_tz_name(ctx->tz), web_format_iso(ctx->pool, now),
		web_format_datetime(ctx->pool, ctx->tz, now));
	web_settings_saved(ctx, "timezone", "Your time zone is saved.");
	web_settings_error(out, "timezone", err->timezone);
	web_settings_form(ctx, "timezone");
	html_printf(
		out,
		"<label for=\"tz\">Time zone</label>\n"
		"<select id=\"tz\" name=\"timezone\">\n"
		"<option value=\"\"%S>The browser&#39;s (now %s)</option>\n",
		*current == '\0' ? " selected" : "",
		web_tz_name(ctx->browser_tz));
	for (unsigned int i = 0; i < count; i++)
		html_printf(out, "<option%S>%s</option>\n",
			    strcmp(names[i], current) == 0 ? " selected" : "",
			    names[i]);
	html_printf(
		out,
		"</select>\n"
		"<button type=\"submit\" class=\"primary\">Save time zone</button>\n"
		"</form>\n</section>\n");
}

static void web_settings_calendar(struct web_ctx *ctx,
				  const struct web_settings_errors *err)
{
	static const struct {
		const char *value, *label;
	} choices[] = {
		{"icalendar",
		 "The invitation itself (iCalendar), for mail apps that"
		 " answer meeting requests"},
		{"url", "A readable text with a link to the meeting here"},
		{"both", "Both in one message"},
	};
	struct buffer *out = ctx->out;
	const char *current = ctx->user.calendar_format;

	web_settings_begin(ctx, "calendar", "Meeting requests in mail apps");
	html_printf(
		out,
		"<p class=\"hint\">What IMAP and POP3 apps get when someone invites"
		" you. It applies to invitations that arrive from now on.</p>\n");
	web_settings_saved(ctx, "calendar",
			   "Saved: new invitations come this way.");
	web_settings_error(out, "calendar", err->calendar);
	web_settings_form(ctx, "calendar");
	html_printf(
		out,
		"<fieldset class=\"choices\"><legend>Mail apps get</legend>\n"
		"<label class=\"check\"><input type=\"radio\" name=\"calendar_format\""
		" value=\"default\"%S> The server&#39;s default (%s)</label>\n",
		current == NULL ? " checked" : "",
		conf_calendar_format_name(ctx->srv->conf->imap_pop3_format));
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++)
		html_printf(
			out,
			"<label class=\"check\"><input type=\"radio\""
			" name=\"calendar_format\" value=\"%s\"%S> %s</label>\n",
			choices[i].value,
			current != NULL &&
					strcmp(current, choices[i].value) == 0 ?
				" checked" :
				"",
			choices[i].label);
	html_printf(out,
		    "</fieldset>\n"
		    "<button type=\"submit\" class=\"primary\">Save</button>\n"
		    "</form>\n</section>\n");
}

static void web_settings_password(struct web_ctx *ctx,
				  const struct web_settings_errors *err)
{
	struct buffer *out = ctx->out;

	web_settings_begin(ctx, "password", "Password");
	web_settings_saved(ctx, "password",
			   "Your password is changed. Every other session"
			   " has ended; mail apps need the new password.");
	web_settings_error(out, "password", err->password);
	web_settings_form(ctx, "password");
	/* for password managers: the account the form is about */
	html_printf(
		out,
		"<input type=\"text\" name=\"username\" value=\"%s\""
		" autocomplete=\"username\" hidden>\n"
		"<label for=\"current_password\">Current password</label>\n"
		"<input id=\"current_password\" name=\"current_password\" type=\"password\""
		" autocomplete=\"current-password\" required>\n"
		"<label for=\"new_password\">New password</label>\n"
		"<input id=\"new_password\" name=\"new_password\" type=\"password\""
		" autocomplete=\"new-password\" minlength=\"%d\" required"
		" aria-describedby=\"password-hint\">\n"
		"<label for=\"new_password2\">New password again</label>\n"
		"<input id=\"new_password2\" name=\"new_password2\" type=\"password\""
		" autocomplete=\"new-password\" minlength=\"%d\" required>\n"
		"<p class=\"hint\" id=\"password-hint\">At least %d characters. Changing it"
		" logs you out everywhere else, and mail apps must be given the new"
		" one.</p>\n"
		"<button type=\"submit\" class=\"primary\">Change password</button>\n"
		"</form>\n</section>\n",
		ctx->user.address, SECRET_PASSWORD_MIN, SECRET_PASSWORD_MIN,
		SECRET_PASSWORD_MIN);
}

static void web_settings_session_cb(void *context,
				    const struct store_web_session *sess)
{
	struct web_settings_sessions *list = context;
	struct web_ctx *ctx = list->ctx;
	struct buffer *out = ctx->out;
	bool mine = sess->handle == ctx->session_handle;
	const char *client = sess->client != NULL ? sess->client : "Unknown";

	if (list->count++ == 0)
		html_printf(out, "<ul class=\"sessions\">\n");
	html_printf(
		out,
		"<li%S>\n<div><p class=\"client\">%s%S</p>\n"
		"<p class=\"hint\">Logged in <time datetime=\"%s\">%s</time>;"
		" last used <time datetime=\"%s\">%s</time></p></div>\n",
		mine ? " class=\"mine\"" : "", client,
		mine ? " <strong class=\"badge\">This browser</strong>" : "",
		web_format_iso(ctx->pool, sess->created),
		web_format_datetime(ctx->pool, ctx->tz, sess->created),
		web_format_iso(ctx->pool, sess->last_seen),
		web_format_datetime(ctx->pool, ctx->tz, sess->last_seen));
	html_printf(
		out,
		"<form method=\"post\" action=\"/settings/sessions/end\">\n");
	web_page_csrf_field(ctx);
	html_printf(
		out,
		"<input type=\"hidden\" name=\"handle\" value=\"%L\">\n"
		"<button type=\"submit\" aria-label=\"%s: %s\">%s</button>\n"
		"</form>\n</li>\n",
		(int64_t) sess->handle, mine ? "Log out" : "End session",
		client, mine ? "Log out" : "End session");
}

/* "2 hours", "90 minutes", "1 day": the largest unit that says it exactly */
static const char *web_settings_duration(struct pool *pool, unsigned int secs)
{
	static const struct {
		unsigned int secs;
		const char *name;
	} units[] = {
		{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (secs % units[i].secs == 0 || units[i].secs == 1)
			return p_printf(pool, "%u %s%s", secs / units[i].secs,
					units[i].name,
					secs / units[i].secs == 1 ? "" : "s");
	}
	return "";
}

static void web_settings_sessions(struct web_ctx *ctx,
				  const struct web_settings_errors *err)
{
	struct web_settings_sessions list = {.ctx = ctx};
	struct buffer *out = ctx->out;

	web_settings_begin(ctx, "sessions", "Sessions");
	html_printf(
		out,
		"<p class=\"hint\">Where you are logged in to this web access. A"
		" session ends after %s without use, and %s after the login at the"
		" latest.</p>\n",
		web_settings_duration(ctx->pool,
				      ctx->srv->conf->web_session_idle_secs),
		web_settings_duration(
			ctx->pool, ctx->srv->conf->web_session_lifetime_secs));
	web_settings_saved(ctx, "session", "That session has ended.");
	web_settings_error(out, "sessions", err->sessions);
	if (store_web_session_list(ctx->srv->store, ctx->user.id, ctx->pool,
				   web_settings_session_cb, &list) < 0) {
		log_error("web", "cannot list sessions user=%s: %s",
			  log_value(ctx->user.address),
			  store_last_error_detail(ctx->srv->store));
		html_printf(
			out,
			"<p class=\"error\">The sessions cannot be listed right"
			" now.</p>\n");
	}
	if (list.count > 0)
		html_printf(out, "</ul>\n");
	html_printf(
		out,
		"<form method=\"post\" action=\"/settings/sessions/end-all\">\n");
	web_page_csrf_field(ctx);
	html_printf(
		out,
		"<button type=\"submit\" class=\"danger\">Log out everywhere</button>\n"
		"</form>\n</section>\n");
}

static void web_settings_setup(struct web_ctx *ctx)
{
	struct web_autoconfig ac;

	web_autoconfig_from_conf(ctx->srv->conf, ctx->pool, &ac);
	web_settings_begin(ctx, "setup", "Mail and calendar apps");
	html_printf(ctx->out,
		    "<p>Most apps find their settings from your address alone."
		    " If yours asks, this is what to enter:</p>\n");
	web_autoconfig_help(&ac, ctx->user.address, ctx->out);
	html_printf(
		ctx->out,
		"<p><a class=\"button\" href=\"/settings/apple-profile\">Apple"
		" profile</a> <span class=\"hint\">for iPhone, iPad and Mac: calendar,"
		" contacts%S in one step</span></p>\n</section>\n",
		ac.submissions_port != 0 || ac.submission_port != 0 ?
			" and mail" :
			"");
}

static void web_settings_render(struct web_ctx *ctx, int status,
				const struct web_settings_errors *err)
{
	struct buffer *out = ctx->out;

	buffer_reset(out);
	web_page_begin(ctx, "Settings", WEB_NAV_SETTINGS);
	html_printf(out,
		    "<h1>Settings</h1>\n"
		    "<nav class=\"toc\" aria-label=\"Settings\"><ul>\n"
		    "<li><a href=\"#name\">Display name</a></li>\n"
		    "<li><a href=\"#timezone\">Time zone</a></li>\n"
		    "<li><a href=\"#calendar\">Meeting requests</a></li>\n"
		    "<li><a href=\"#password\">Password</a></li>\n"
		    "<li><a href=\"#sessions\">Sessions</a></li>\n"
		    "<li><a href=\"#setup\">Mail and calendar apps</a></li>\n"
		    "</ul></nav>\n<div class=\"settings\">\n");
	web_settings_name(ctx, err);
	web_settings_timezone(ctx, err);
	web_settings_calendar(ctx, err);
	web_settings_password(ctx, err);
	web_settings_sessions(ctx, err);
	web_settings_setup(ctx);
	html_printf(out, "</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, status);
}

void web_settings_page(struct web_ctx *ctx)
{
	struct web_settings_errors err;

	memset(&err, 0, sizeof(err));
	web_settings_render(ctx, 200, &err);
}

/* --- saving --- */

static void web_settings_done(struct web_ctx *ctx, const char *what)
{
	web_send_redirect(
		ctx, 303,
		p_printf(ctx->pool, "/settings?saved=%s#%s", what,
			 strcmp(what, "session") == 0 ? "sessions" : what));
}

/* A store write that failed: logged, and 503 with message. */
static void web_settings_failed(struct web_ctx *ctx, const char *what,
				const char *message)
{
	log_error("web", "cannot %s user=%s: %s", what,
		  log_value(ctx->user.address),
		  store_last_error_detail(ctx->srv->store));
	web_send_message(ctx, 503, "Try again later", message);
}

/* store_user_set() on the loop: one small update. 0, or -1 with the page
   sent. */
static int web_settings_store(struct web_ctx *ctx,
			      enum store_user_setting setting,
			      const char *value, const char *what)
{
	if (store_user_set(ctx->srv->store, ctx->user.address, setting, value) <
	    0) {
		web_settings_failed(ctx, p_printf(ctx->pool, "save %s", what),
				    "Your settings cannot be saved right now."
				    " Please try again.");
		return -1;
	}
	log_info(
		"web", "settings user=%s %s=%s", log_value(ctx->user.address),
		what,
		log_value(value != NULL && *value != '\0' ? value : "default"));
	return 0;
}

/* Each check returns the value to store ("" for the default), or NULL
   with the error of its form set. */

static const char *web_settings_check_name(struct web_ctx *ctx,
					   const char *sent,
					   struct web_settings_errors *err)
{
	char *name = str_trim(p_strdup(ctx->pool, sent));

	if (*name != '\0' && !str_display_name_valid(name)) {
		err->name =
			p_printf(ctx->pool,
				 "A display name is at most %d bytes of text,"
				 " without line breaks.",
				 STR_DISPLAY_NAME_MAX);
		return NULL;
	}
	return name;
}

static const char *web_settings_check_timezone(struct web_ctx *ctx,
					       const char *zone,
					       struct web_settings_errors *err)
{
	(void) ctx;
	if (*zone != '\0' &&
	    (!web_tz_name_valid(zone) || web_tz_get(zone) == NULL)) {
		err->timezone = "There is no such time zone here.";
		return NULL;
	}
	return zone;
}

static const char *web_settings_check_calendar(struct web_ctx *ctx,
					       const char *format,
					       struct web_settings_errors *err)
{
	enum conf_calendar_format parsed;

	(void) ctx;
	if (strcmp(format, "default") == 0)
		return "";
	if (conf_calendar_format_parse(format, &parsed) < 0) {
		err->calendar = "Please choose one of these.";
		return NULL;
	}
	return format;
}

/* The settings that are one value each: the form's field, the check,
   where it is stored, and the note (?saved=) it comes back with. */
static const struct web_settings_value {
	enum web_route_id route;
	const char *field;
	const char *(*check)(struct web_ctx *ctx, const char *sent,
			     struct web_settings_errors *err);
	enum store_user_setting setting;
	const char *saved;
} web_settings_values[] = {
	{WEB_ROUTE_SETTINGS_NAME, "display_name", web_settings_check_name,
	 STORE_USER_DISPLAY_NAME, "name"},
	{WEB_ROUTE_SETTINGS_TIMEZONE, "timezone", web_settings_check_timezone,
	 STORE_USER_TIMEZONE, "timezone"},
	{WEB_ROUTE_SETTINGS_CALENDAR, "calendar_format",
	 web_settings_check_calendar, STORE_USER_CALENDAR_FORMAT, "calendar"},
};

static void web_settings_post_value(struct web_ctx *ctx,
				    const struct web_settings_value *v,
				    struct web_settings_errors *err)
{
	const char *sent = web_form_get(&ctx->form, v->field);
	const char *value = v->check(ctx, sent != NULL ? sent : "", err);

	if (value == NULL) {
		web_settings_render(ctx, 400, err);
		return;
	}
	if (web_settings_store(ctx, v->setting, value, v->field) == 0)
		web_settings_done(ctx, v->saved);
}

/* --- the password --- */

struct web_password_change {
	const char *address;
	const char *new_password; /* the form's; wiped in done */
	int result;
	enum store_error error;
	char detail[256];
};

static void web_settings_password_wipe(struct web_ctx *ctx)
{
	static const char *const fields[] = {
		"current_password",
		"new_password",
		"new_password2",
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = web_form_get(&ctx->form, fields[i]);

		if (value != NULL)
			secret_wipe((char *) value, strlen(value));
	}
}

/* On the delivery thread: Argon2id, then the new hash and the end of
   every web session of the user, in one transaction. */
static void web_password_change_run(struct store *store, void *context)
{
	struct web_password_change *change = context;

	change->result = -1;
	if (store == NULL) {
		change->error = STORE_ERROR_TEMP;
		snprintf(change->detail, sizeof(change->detail),
			 "no store handle");
		return;
	}
	change->result = store_user_set_password(store, change->address,
						 change->new_password);
	if (change->result < 0) {
		change->error = store_last_error(store);
		snprintf(change->detail, sizeof(change->detail), "%s",
			 store_last_error_detail(store));
	}
}

static void web_password_change_done(struct web_ctx *ctx, void *context)
{
	struct web_password_change *change = context;

	web_settings_password_wipe(ctx);
	if (change->result < 0) {
		log_error("web", "password change failed user=%s: %s",
			  log_value(ctx->user.address), change->detail);
		web_send_message(
			ctx, 503, "Try again later",
			"Your password cannot be changed right now. It is as it was;"
			" please try again.");
		return;
	}
	log_info("web", "password changed user=%s ip=%s",
		 log_value(ctx->user.address), ctx->req->peer_ip);
	/* every session has ended, this one too: this browser stays in (if
	   it is still there) */
	if (web_request_gone(ctx->req)) {
		web_response_send(ctx->req);
		return;
	}
	if (web_session_start(ctx, ctx->user.id) < 0) {
		web_send_redirect(ctx, 303, "/login");
		return;
	}
	web_settings_done(ctx, "password");
}

/* The current password was right: hash and store the new one. */
static void web_password_checked(struct web_ctx *ctx,
				 const struct auth_result *result,
				 void *context)
{
	struct web_password_change *change = context;
	struct web_settings_errors err;

	if (!result->success)
		web_settings_password_wipe(ctx);
	/* (answering frees ctx) */
	if (web_password_refused(ctx, result, "password attempts"))
		return;
	if (!result->success) {
		log_info(
			"web",
			"password change refused user=%s ip=%s: wrong current password",
			log_value(ctx->user.address), ctx->req->peer_ip);
		web_settings_password_wipe(ctx);
		memset(&err, 0, sizeof(err));
		err.password =
			"The current password is not right. Nothing was changed.";
		web_settings_render(ctx, 403, &err);
		return;
	}
	web_job_write(ctx, web_password_change_run, web_password_change_done,
		      change);
}

static void web_settings_post_password(struct web_ctx *ctx,
				       struct web_settings_errors *err)
{
	const char *current = web_form_get(&ctx->form, "current_password");
	const char *new_pw = web_form_get(&ctx->form, "new_password");
	const char *again = web_form_get(&ctx->form, "new_password2");
	struct web_password_change *change;

	if (current == NULL || *current == '\0')
		err->password = "Please enter your current password.";
	else if (new_pw == NULL || again == NULL || strcmp(new_pw, again) != 0)
		err->password = "The two new passwords are not the same.";
	else if (str_utf8_length(new_pw) < SECRET_PASSWORD_MIN)
		err->password =
			p_printf(ctx->pool,
				 "The new password is too short: at least"
				 " %d characters.",
				 SECRET_PASSWORD_MIN);
	else if (strlen(new_pw) > SECRET_PASSWORD_MAX)
		err->password = "The new password is too long.";
	if (err->password != NULL) {
		web_settings_password_wipe(ctx);
		web_settings_render(ctx, 400, err);
		return;
	}
	change = p_new(ctx->pool, struct web_password_change, 1);
	change->address = ctx->user.address;
	change->new_password = new_pw;
	web_password_check(ctx, ctx->user.address, (char *) current,
			   web_password_checked, change);
}

/* --- sessions --- */

static void web_settings_post_end(struct web_ctx *ctx,
				  struct web_settings_errors *err)
{
	const char *handle_s = web_form_get(&ctx->form, "handle");
	uint64_t handle;

	if (handle_s == NULL ||
	    web_parse_id(handle_s, INT64_MAX, &handle) < 0) {
		err->sessions = "That is not a session.";
		web_settings_render(ctx, 400, err);
		return;
	}
	if ((int64_t) handle == ctx->session_handle) {
		/* this browser's own: a logout */
		web_session_end(ctx);
		web_send_redirect(ctx, 303, "/login");
		return;
	}
	if (store_web_session_end(ctx->srv->store, ctx->user.id,
				  (int64_t) handle) < 0) {
		if (store_last_error(ctx->srv->store) ==
		    STORE_ERROR_NOT_FOUND) {
			/* ended meanwhile, or never the user's: all the same */
			err->sessions = "That session had already ended.";
			web_settings_render(ctx, 404, err);
			return;
		}
		web_settings_failed(ctx, "end a session",
				    "The session cannot be ended right now."
				    " Please try again.");
		return;
	}
	log_info("web", "session ended user=%s handle=%lld",
		 log_value(ctx->user.address), (long long) handle);
	web_settings_done(ctx, "session");
}

static void web_settings_post_end_all(struct web_ctx *ctx,
				      struct web_settings_errors *err)
{
	(void) err;
	if (store_web_sessions_end_all(ctx->srv->store, ctx->user.id, NULL) <
	    0) {
		web_settings_failed(ctx, "end sessions",
				    "The sessions cannot be ended right now."
				    " Please try again.");
		return;
	}
	log_info("web", "logged out everywhere user=%s ip=%s",
		 log_value(ctx->user.address), ctx->req->peer_ip);
	/* this one is gone with the rest: clear its cookie */
	ctx->session_id = NULL;
	web_session_end(ctx);
	web_send_redirect(ctx, 303, "/login");
}

/* The other forms' routes and what they do. */
static const struct {
	enum web_route_id route;
	void (*post)(struct web_ctx *ctx, struct web_settings_errors *err);
} web_settings_posts[] = {
	{WEB_ROUTE_SETTINGS_PASSWORD, web_settings_post_password},
	{WEB_ROUTE_SETTINGS_END_SESSION, web_settings_post_end},
	{WEB_ROUTE_SETTINGS_END_ALL, web_settings_post_end_all},
};

void web_settings_post(struct web_ctx *ctx)
{
	struct web_settings_errors err;

	memset(&err, 0, sizeof(err));
	if (!web_csrf_ok(ctx)) {
		if (ctx->route.id == WEB_ROUTE_SETTINGS_PASSWORD)
			web_settings_password_wipe(ctx);
		web_send_message(
			ctx, 403, "Forbidden",
			"This form has expired. Please go back, reload the page and try again.");
		return;
	}
	for (size_t i = 0;
	     i < sizeof(web_settings_values) / sizeof(web_settings_values[0]);
	     i++) {
		if (web_settings_values[i].route == ctx->route.id) {
			web_settings_post_value(ctx, &web_settings_values[i],
						&err);
			return;
		}
	}
	for (size_t i = 0;
	     i < sizeof(web_settings_posts) / sizeof(web_settings_posts[0]);
	     i++) {
		if (web_settings_posts[i].route == ctx->route.id) {
			web_settings_posts[i].post(ctx, &err);
			return;
		}
	}
	web_send_not_found(ctx);
}
