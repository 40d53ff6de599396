/*
 * The frame of every page (head, navigation, footer), the response
 * headers every answer carries, and dates for people.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-tz.h"
#include "conf.h"
#include "pool.h"
#include "server.h"

#include <stdio.h>
#include <string.h>

/* One policy for every page: nothing from elsewhere, no inline script or
   style, no framing by others (CSP Level 3); the script may ask this
   site (address completion). */
#define WEB_CSP_DEFAULT \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';" \
	" connect-src 'self';" \
	" frame-src 'self'; form-action 'self'; frame-ancestors 'none';" \
	" base-uri 'none'"

void web_security_headers(struct web_request *req, const char *csp)
{
	const struct conf *conf = web_server()->conf;
	bool framable = csp != NULL && strstr(csp, "frame-ancestors 'self'") != NULL;

	web_response_header(req, "Content-Security-Policy",
			    csp != NULL ? csp : WEB_CSP_DEFAULT);
	web_response_header(req, "X-Content-Type-Options", "nosniff");
	web_response_header(req, "X-Frame-Options", framable ? "SAMEORIGIN" : "DENY");
	/* item links carry their token in the path: never let it leak into
	   another site's logs through Referer. (same-origin, not no-referrer:
	   with no-referrer browsers send "Origin: null" on our own forms.) */
	web_response_header(req, "Referrer-Policy", "same-origin");
	web_response_header(req, "Cross-Origin-Opener-Policy", "same-origin");
	/* RFC 6797: only over HTTPS, and only when the web access is
	   SSL-only (a plain listener means http: must keep working) */
	if (req->https && conf->web_listen.count == 0)
		web_response_header(req, "Strict-Transport-Security",
				    "max-age=31536000");
}

static const char *web_nav_current(enum web_nav nav, enum web_nav item)
{
	return nav == item ? " aria-current=\"page\"" : "";
}

/* The footer's choice, WEB_THEME_COOKIE: the index in web_themes. Auto
   (no cookie) follows the system's preference; the others win over it. */
enum web_theme { WEB_THEME_AUTO, WEB_THEME_LIGHT, WEB_THEME_DARK };
static const struct {
	const char *value, *label, *color_scheme;
} web_themes[] = {
	[WEB_THEME_AUTO] = { "auto", "Auto", "light dark" },
	[WEB_THEME_LIGHT] = { "light", "Light", "light" },
	[WEB_THEME_DARK] = { "dark", "Dark", "dark" },
};
#define WEB_THEME_COUNT (sizeof(web_themes) / sizeof(web_themes[0]))
#define WEB_THEME_COOKIE_SECS (365u * 24 * 3600)

/* Index in web_themes, or -1. */
static int web_theme_parse(const char *value)
{
	for (unsigned int i = 0; value != NULL && i < WEB_THEME_COUNT; i++) {
		if (strcmp(value, web_themes[i].value) == 0)
			return (int)i;
	}
	return -1;
}

static enum web_theme web_theme_of(struct web_ctx *ctx)
{
	int theme = web_theme_parse(web_cookie_get(ctx->pool,
						   web_request_header(ctx->req, "Cookie"),
						   WEB_THEME_COOKIE));

	return theme < 0 ? WEB_THEME_AUTO : (enum web_theme)theme;
}

/* From the doctype to the style sheet: the chosen theme on <html> (the
   style sheet's :root[data-theme]), and the colour schemes the browser
   may draw its own controls in. */
static void web_page_head(struct web_ctx *ctx, const char *title)
{
	enum web_theme theme = web_theme_of(ctx);

	html_printf(ctx->out, "<!doctype html>\n<html lang=\"en\"");
	if (theme != WEB_THEME_AUTO)
		html_printf(ctx->out, " data-theme=\"%s\"", web_themes[theme].value);
	html_printf(ctx->out, ">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"color-scheme\" content=\"%s\">\n"
		    "<title>%s · infostore</title>\n"
		    "<link rel=\"stylesheet\" href=\"/static/style.css\">\n",
		    web_themes[theme].color_scheme, title);
}

void web_page_begin(struct web_ctx *ctx, const char *title, enum web_nav nav)
{
	struct buffer *out = ctx->out;

	web_page_head(ctx, title);
	html_printf(out,
		"<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">\n"
		"<script src=\"/static/app.js\" defer></script>\n"
		"</head>\n<body>\n"
		"<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
		"<header class=\"top\">\n"
		"<a class=\"brand\" href=\"/\"><span class=\"logo\" aria-hidden=\"true\">✉</span> infostore</a>\n");
	if (ctx->logged_in) {
		html_printf(out,
			"<nav aria-label=\"Main\"><ul>\n"
			"<li><a href=\"/mail\"%S>Mail</a></li>\n"
			"<li><a href=\"/calendar\"%S>Calendar</a></li>\n"
			"<li><a href=\"/contacts\"%S>Contacts</a></li>\n"
			"<li><a href=\"/calendar/new\"%S>New meeting</a></li>\n"
			"<li><a href=\"/settings\"%S>Settings</a></li>\n"
			"</ul></nav>\n"
			"<form class=\"logout\" method=\"post\" action=\"/logout\">\n"
			"<span class=\"who\">%s</span>\n",
			web_nav_current(nav, WEB_NAV_MAIL),
			web_nav_current(nav, WEB_NAV_CALENDAR),
			web_nav_current(nav, WEB_NAV_CONTACTS),
			web_nav_current(nav, WEB_NAV_NEW_MEETING),
			web_nav_current(nav, WEB_NAV_SETTINGS),
			ctx->user.address);
		web_page_csrf_field(ctx);
		html_printf(out, "<button type=\"submit\" class=\"link\">Log out</button>\n"
			    "</form>\n");
	}
	html_printf(out, "</header>\n<main id=\"main\" tabindex=\"-1\">\n");
}

/* Auto, Light, Dark: buttons of a form, so the choice needs no script.
   They come back to this page when it was a GET (a POST's page, such as
   a form with its errors, is not one to send again). */
static void web_theme_form(struct web_ctx *ctx)
{
	struct buffer *out = ctx->out;
	enum web_theme theme = web_theme_of(ctx);

	html_printf(out, "<form class=\"theme\" method=\"post\" action=\"/theme\">\n"
		    "<fieldset>\n<legend>Theme</legend>\n");
	web_page_csrf_field(ctx);
	if (ctx->req->method == WEB_METHOD_GET && !ctx->not_found &&
	    web_return_path_safe(ctx->req->target))
		html_printf(out, "<input type=\"hidden\" name=\"back\" value=\"%s\">\n",
			    ctx->req->target);
	for (unsigned int i = 0; i < WEB_THEME_COUNT; i++)
		html_printf(out, "<button type=\"submit\" name=\"theme\" value=\"%s\""
			    " aria-pressed=\"%S\">%s</button>\n", web_themes[i].value,
			    i == theme ? "true" : "false", web_themes[i].label);
	html_printf(out, "</fieldset>\n</form>\n");
}

void web_page_end(struct web_ctx *ctx)
{
	html_printf(ctx->out, "</main>\n<footer class=\"foot\">\n");
	if (ctx->logged_in)
		web_theme_form(ctx);
	html_printf(ctx->out, "<p>infostore web access</p>\n</footer>\n</body>\n</html>\n");
}

void web_theme_post(struct web_ctx *ctx)
{
	struct web_request *req = ctx->req;
	int theme = web_theme_parse(web_form_get(&ctx->form, "theme"));
	const char *back = web_form_get(&ctx->form, "back");

	if (!web_csrf_check(ctx))
		return;
	if (theme < 0) {
		web_send_message(ctx, 400, "Bad request", "Please choose Auto, Light or Dark.");
		return;
	}
	/* Auto clears the cookie (RFC 6265 4.1.2.2: Max-Age=0). No script
	   reads it: HttpOnly. */
	web_response_header(req, "Set-Cookie",
			    p_printf(ctx->pool, "%s=%s; Path=/; Max-Age=%u; HttpOnly;"
				     " SameSite=Lax%s", WEB_THEME_COOKIE,
				     theme == WEB_THEME_AUTO ? "" : web_themes[theme].value,
				     theme == WEB_THEME_AUTO ? 0u : WEB_THEME_COOKIE_SECS,
				     req->https ? "; Secure" : ""));
	web_send_redirect(ctx, 303, web_return_path_safe(back) ? back : "/mail");
}

void web_page_csrf_field(struct web_ctx *ctx)
{
	html_printf(ctx->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n",
		    ctx->csrf);
}

void web_send_html(struct web_ctx *ctx, int status)
{
	struct web_request *req = ctx->req;

	req->status = status;
	req->content_type = "text/html; charset=utf-8";
	web_security_headers(req, NULL);
	/* every page but the assets is private: RFC 9111 5.2.2.5 */
	web_response_header(req, "Cache-Control", "no-store");
	web_response_send(req);
}

void web_send_redirect(struct web_ctx *ctx, int status, const char *location)
{
	buffer_reset(ctx->out);
	html_printf(ctx->out, "<!doctype html><title>Redirect</title>"
		    "<p><a href=\"%s\">Continue</a></p>\n", location);
	web_response_header(ctx->req, "Location", location);
	web_send_html(ctx, status);
}

void web_send_message(struct web_ctx *ctx, int status, const char *title,
		      const char *message)
{
	buffer_reset(ctx->out);
	web_page_begin(ctx, title, WEB_NAV_NONE);
	html_printf(ctx->out, "<section class=\"card narrow\">\n<h1>%s</h1>\n<p>%s</p>\n"
		    "<p><a href=\"/\">Go to your mail</a></p>\n</section>\n",
		    title, message);
	web_page_end(ctx);
	web_send_html(ctx, status);
}

void web_send_not_found(struct web_ctx *ctx)
{
	/* The same status and bytes, for one viewer, for an unknown token,
	   another user's token and a page that never was: a logged-in viewer
	   keeps the header and navigation on all three (only the viewer's
	   own theme cookie changes it further). Headers a page set before
	   it found out go; a renewed session cookie stays. */
	buffer_reset(ctx->out);
	ctx->req->header_count = 0;
	ctx->not_found = true;
	if (ctx->session_cookie != NULL)
		web_response_header(ctx->req, "Set-Cookie", ctx->session_cookie);
	web_page_begin(ctx, "Not found", WEB_NAV_NONE);
	html_printf(ctx->out,
		"<section class=\"card narrow\">\n"
		"<h1>Not found</h1>\n<p>There is nothing here. If you followed a link"
		" from a message, check that you are logged in as the person it was"
		" sent to.</p>\n<p><a href=\"/\">Go to your mail</a></p>\n"
		"</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 404);
}

static const char *const web_wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const web_months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

const char *web_format_date(struct pool *pool, const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return p_printf(pool, "%s %d %s %d", web_wdays[tm.tm_wday], tm.tm_mday,
			web_months[tm.tm_mon], tm.tm_year + 1900);
}

const char *web_format_time(struct pool *pool, const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return p_printf(pool, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

const char *web_format_datetime(struct pool *pool, const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return p_printf(pool, "%s %d %s %d, %02d:%02d %s", web_wdays[tm.tm_wday],
			tm.tm_mday, web_months[tm.tm_mon], tm.tm_year + 1900,
			tm.tm_hour, tm.tm_min, abbr);
}

const char *web_format_month(struct pool *pool, const struct web_tz *tz, time_t t)
{
	static const char *const names[] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December" };
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return p_printf(pool, "%s %d", names[tm.tm_mon], tm.tm_year + 1900);
}

const char *web_format_ymd(struct pool *pool, const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return p_printf(pool, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday);
}

const char *web_format_iso(struct pool *pool, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return p_printf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
