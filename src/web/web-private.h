#ifndef INFOSTORE_WEB_PRIVATE_H
#define INFOSTORE_WEB_PRIVATE_H

/*
 * What the pages of the web access share: the request context, the
 * session, and the helpers that write a page's frame and send it. Pages
 * (web-login.c, web-item.c, web-mail.c, ...) never see libevent.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store.h"
#include "web-http.h"
#include "web-parse.h"
#include "web-route.h"

struct server;
struct web_tz;

/* Session cookie names: __Host- binds the cookie to this host, Secure and
   Path=/ (RFC 6265bis 4.1.3.2); plain HTTP cannot use the prefix. */
#define WEB_SESSION_COOKIE_HTTPS "__Host-infostore"
#define WEB_SESSION_COOKIE_HTTP "infostore"
#define WEB_TZ_COOKIE "infostore-tz"
/* The theme chosen in the footer (web_theme_post()): "light" or "dark";
   none follows the system's preference. */
#define WEB_THEME_COOKIE "infostore-theme"
#define WEB_SESSION_ID_BYTES 32
#define WEB_CSRF_BYTES 32
/* The compose form: its path (the one page that takes uploads), how many
   files it takes, and what its text fields may add to max_message_size. */
#define WEB_COMPOSE_PATH "/mail/compose"
#define WEB_COMPOSE_MAX_FILES 20
#define WEB_COMPOSE_FIELDS_SIZE (256 * 1024)
/* A form kept across an ended session (web-kept.c): at most this many
   text fields and bytes of them; the login that carries it again may
   send that and its own fields. */
#define WEB_LOGIN_PATH	    "/login"
#define WEB_KEPT_MAX_FIELDS 48
#define WEB_KEPT_MAX_SIZE   (256 * 1024)
#define WEB_LOGIN_BODY_SIZE (WEB_KEPT_MAX_SIZE + 64 * 1024)

enum web_nav {
	WEB_NAV_NONE,
	WEB_NAV_MAIL,
	WEB_NAV_COMPOSE,
	WEB_NAV_CALENDAR,
	WEB_NAV_CONTACTS,
	WEB_NAV_NEW_MEETING,
	WEB_NAV_SETTINGS,
};

struct auth_result;
struct web_kept;

struct web_ctx {
	struct server *srv;
	struct web_request *req;
	struct pool *pool;
	struct buffer *out;           /* = &req->body */
	struct web_target target;
	struct web_route_match route;
	struct web_form query;
	struct web_form form;         /* POST body */
	/* files of a multipart/form-data POST (the compose form only) */
	struct web_upload *uploads;
	unsigned int upload_count;

	/* the session, if the request carries a valid one */
	bool logged_in;
	struct store_user user;
	const char *session_id;
	const char *csrf;
	int64_t session_handle; /* names it in the sessions list */
	/* the session's cookie when this answer renews it (pages that clear
	   the headers send it again) */
	const char *session_cookie;
	/* the viewer's time zone: the one of their Settings, else the
	   browser's (browser_tz: the cookie set by the page's script, else the
	   server's) */
	const struct web_tz *tz;
	const struct web_tz *browser_tz;
	/* a form that came after the session had ended, carried through the
	   login (web-kept.c), or NULL */
	const struct web_kept *kept;
	/* the 404 page: it names no path (the theme form comes back to /) */
	bool not_found;
};

/* --- web-server.c --- */
struct server *web_server(void);
/* The zone of the server process (TZ or /etc/localtime), else UTC. */
const struct web_tz *web_server_tz(void);

/* --- web-session.c --- */
/* Look up the session cookie; fills ctx->logged_in, user, csrf,
   session_handle, and the viewer's zone from the user's setting. A
   session last used a while ago (a minute, or a quarter of [web]
   session_idle if that is less) is renewed: used now, ending
   session_idle from now but never past session_lifetime after the
   login, and its cookie says so. */
void web_session_load(struct web_ctx *ctx);
/* Create a session for user_id from this browser (its address and
   User-Agent recorded as the client), set its cookie, and make it ctx's
   (logged_in, user, csrf, session_id). 0, or -1 (logged). */
int web_session_start(struct web_ctx *ctx, int64_t user_id);
/* Delete the session and clear the cookie. */
void web_session_end(struct web_ctx *ctx);
/* Is the form's "csrf" field this session's token? (constant time) */
bool web_csrf_ok(const struct web_ctx *ctx);
/* web_csrf_ok(), else the 403 page is sent and false returned. */
bool web_csrf_check(struct web_ctx *ctx);
/* Delete expired sessions (timer). */
void web_sessions_expire(void);

/* --- web-page.c --- */
/* The page's head, the skip link, the header with the navigation (logged
   in), and <main> opened. */
void web_page_begin(struct web_ctx *ctx, const char *title, enum web_nav nav);
/* </main> and the footer (logged in: with the theme choice). */
void web_page_end(struct web_ctx *ctx);
/* POST /theme (theme=auto|light|dark, back=a local path): sets or clears
   WEB_THEME_COOKIE and goes back. CSRF-checked; a refused POST sets
   nothing. */
void web_theme_post(struct web_ctx *ctx);
/* The hidden CSRF field for this session's forms. */
void web_page_csrf_field(struct web_ctx *ctx);
/* Send ctx->out as text/html with the security headers; private pages
   get Cache-Control: no-store. */
void web_send_html(struct web_ctx *ctx, int status);
/* 303 See Other (after a POST) or 302 to a local path. */
void web_send_redirect(struct web_ctx *ctx, int status, const char *location);
/* A short page with a title and a message. */
void web_send_message(struct web_ctx *ctx, int status, const char *title,
		      const char *message);
/* THE 404 page: the same status and bytes for every page that does not
   exist or is not the viewer's (unknown and foreign item tokens alike). */
void web_send_not_found(struct web_ctx *ctx);
/* Headers every response carries (CSP, nosniff, referrer, HSTS). csp NULL:
   the default policy. */
void web_security_headers(struct web_request *req, const char *csp);
/* "Tue 24 Nov 2026" / "09:30" / both, in a zone */
const char *web_format_date(struct pool *pool, const struct web_tz *tz, time_t t);
const char *web_format_time(struct pool *pool, const struct web_tz *tz, time_t t);
const char *web_format_datetime(struct pool *pool, const struct web_tz *tz, time_t t);
/* "November 2026"; "2026-11-24" (for links and date fields), in a zone */
const char *web_format_month(struct pool *pool, const struct web_tz *tz, time_t t);
const char *web_format_ymd(struct pool *pool, const struct web_tz *tz, time_t t);
/* "2026-11-24T09:30:00Z", for <time datetime> */
const char *web_format_iso(struct pool *pool, time_t t);

/* --- web-login.c --- */
/*
 * Check a password as a login does (the throttle, the failure delay,
 * Argon2id on auth's threads): the request waits, suspended, and cb
 * answers it with the result. When the browser has gone meanwhile, cb is
 * not called and the request is freed; at shutdown a waiting request is
 * answered 503. password is wiped here.
 */
typedef void web_password_cb(struct web_ctx *ctx,
			     const struct auth_result *result, void *context);
void web_password_check(struct web_ctx *ctx, const char *address,
			char *password, web_password_cb *cb, void *context);
/* The answers a check that did not succeed gets alike: 429 (throttled:
   "Too many <attempts>"), 503 (temporary); true when one was sent. */
bool web_password_refused(struct web_ctx *ctx, const struct auth_result *result,
			  const char *attempts);

/* --- web-kept.c: a form that came after the session had ended --- */
/* A POST without a live session: the login form carrying the text fields
   it sent (files are dropped, and it says so), 403. */
void web_kept_login(struct web_ctx *ctx);
/* The form a login POST carries, or NULL (none, or not one we keep). */
const struct web_kept *web_kept_read(struct web_ctx *ctx);
/* Inside the login form: a notice and the kept fields, hidden. */
void web_kept_fields(struct web_ctx *ctx, const struct web_kept *kept);
/* After the login: "Your session had ended; send again?" with the fields
   and the new session's CSRF token; only a click sends it. 200. */
void web_kept_confirm(struct web_ctx *ctx, const struct web_kept *kept);

/* --- pages --- */
/* The login form (with ctx->kept when set). */
void web_login_form(struct web_ctx *ctx, int status, const char *next,
		    const char *error);
void web_login_post(struct web_ctx *ctx);
void web_logout_post(struct web_ctx *ctx);
void web_item_page(struct web_ctx *ctx);
void web_item_post(struct web_ctx *ctx);
void web_folders_page(struct web_ctx *ctx);
void web_mailbox_page(struct web_ctx *ctx);
void web_message_page(struct web_ctx *ctx);
void web_message_body(struct web_ctx *ctx);
void web_message_part(struct web_ctx *ctx);
/* The message as stored (message/rfc822), streamed from its blob. */
void web_message_raw(struct web_ctx *ctx);
void web_message_unread(struct web_ctx *ctx);
/* read, flag, delete, move (web-actions.c) */
void web_message_action(struct web_ctx *ctx);
void web_folders_manage_page(struct web_ctx *ctx);
void web_folders_manage_post(struct web_ctx *ctx);
/* rename, delete, empty */
void web_folder_action(struct web_ctx *ctx);
void web_compose_page(struct web_ctx *ctx);
void web_compose_post(struct web_ctx *ctx);
void web_search_page(struct web_ctx *ctx);
void web_outbox_page(struct web_ctx *ctx);
/* web-settings.c: the page, and its forms' POSTs (the route says which) */
void web_settings_page(struct web_ctx *ctx);
void web_settings_post(struct web_ctx *ctx);

/* --- web-calendar.c: the views, and the occurrences they show --- */

/*
 * What one request may spend on the calendar, whatever the items hold:
 * recurrence is expanded by lib-ical within its own budget per item
 * (IMIP_EXPAND_ITERATIONS steps, IMIP_EXPAND_MSEC), and here at most
 * WEB_CAL_ITEMS_MAX items are expanded per request and none once
 * WEB_CAL_BUDGET_MSEC have gone by; at most WEB_CAL_OCCURRENCES_MAX
 * occurrences are kept. What is left out is counted, and the page says so.
 */
#define WEB_CAL_ITEMS_MAX 500
#define WEB_CAL_OCCURRENCES_MAX 2000
#define WEB_CAL_BUDGET_MSEC 250

struct web_cal_budget {
	struct timespec deadline;
	unsigned int items;       /* expanded so far */
	unsigned int skipped;     /* items not expanded: over a bound */
	unsigned int dropped;     /* occurrences not kept: over the bound */
};
void web_cal_budget_init(struct web_cal_budget *budget);

struct web_occurrence {
	const struct store_cal_item *item;
	time_t start, end;        /* all-day: local midnights of the viewer */
};

struct web_occurrences {
	struct pool *pool;
	const struct web_tz *tz;
	struct web_cal_budget *budget;
	struct web_occurrence *list;
	unsigned int count, alloc;
	time_t from, to;
	/* busy times only: leave out cancelled and declined items and
	   exclude_id */
	bool busy;
	int64_t exclude_id;
};
/*
 * The occurrences of user_id's items overlapping [from, to), by start,
 * within budget (o->busy, o->exclude_id as the caller set them after
 * memset). 0, or -1 when the store failed (logged).
 */
int web_cal_collect(struct web_ctx *ctx, int64_t user_id, time_t from, time_t to,
		    struct web_cal_budget *budget, struct web_occurrences *o);
/* Midnight (in tz) of the day of t, and days later (calendar days). */
time_t web_cal_day_start(const struct web_tz *tz, time_t t);
time_t web_cal_day_add(const struct web_tz *tz, time_t day, int days);

void web_agenda_page(struct web_ctx *ctx);
void web_day_page(struct web_ctx *ctx);
void web_week_page(struct web_ctx *ctx);
void web_month_page(struct web_ctx *ctx);

/* --- web-meeting.c: the meeting form --- */
void web_new_meeting_page(struct web_ctx *ctx);
void web_new_meeting_post(struct web_ctx *ctx);
/* /item/TOKEN/edit (GET, POST) and /item/TOKEN/cancel (POST): the
   organizer's only; anyone else's POST is refused and changes nothing */
void web_edit_meeting_page(struct web_ctx *ctx);
void web_edit_meeting_post(struct web_ctx *ctx);
void web_cancel_meeting_post(struct web_ctx *ctx);
/* --- web-contacts.c: the address book --- */
void web_contacts_page(struct web_ctx *ctx);
void web_contact_page(struct web_ctx *ctx);
void web_contact_new_page(struct web_ctx *ctx);
void web_contact_new_post(struct web_ctx *ctx);
void web_contact_edit_page(struct web_ctx *ctx);
void web_contact_edit_post(struct web_ctx *ctx);
void web_contact_delete_post(struct web_ctx *ctx);
/* /contacts/complete?q=TEXT: JSON {"results": [{"name", "email",
   "kind": "contact" | "user"}]}, at most 20, from the viewer's contacts
   and the local users */
void web_contacts_complete(struct web_ctx *ctx);

/* web-item.c: 1 the item of the route's token is the viewer's (item_r
   set), 0 not (404 sent), -1 store error (page sent) */
int web_item_lookup(struct web_ctx *ctx, struct store_cal_item *item_r);
void web_asset_send(struct web_ctx *ctx);

/* Pending logins, so that shutdown can answer them (web-login.c). */
void web_login_cancel_all(void);

#endif
