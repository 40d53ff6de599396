/*
 * The web access: listeners ([web] tls_listen, listen, redirect_http),
 * request dispatch and the session check in front of every page.
 */
#include "web-server.h"
#include "web-autoconfig.h"
#include "web-private.h"
#include "web-html.h"
#include "web-tz.h"
#include "conf.h"
#include "imap-writer.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WEB_MAX_HEADERS_SIZE (16 * 1024)
#define WEB_MAX_HEADER_FIELDS 100
#define WEB_MAX_BODY_SIZE (256 * 1024)
/* DAV bodies: a resource is at most 1 MiB (DAV_MAX_RESOURCE_SIZE, the
   max-resource-size clients see) and a multiget of 1,000 hrefs about
   100 KiB; XML is parsed on the loop, so no more than that */
#define WEB_MAX_DAV_BODY_SIZE (2 * 1024 * 1024)
#define WEB_TIMEOUT_SECS 60
/* a whole request head; a browser sends it in one packet */
#define WEB_HEAD_TIMEOUT_SECS 30
#define WEB_SESSION_EXPIRE_MSECS (10 * 60 * 1000)

enum web_kind {
	WEB_KIND_HTTPS,
	WEB_KIND_HTTP,
	WEB_KIND_REDIRECT,
	WEB_KIND_COUNT
};

static struct {
	struct server *srv;
	struct web_http *http[WEB_KIND_COUNT];
	enum web_kind kinds[WEB_KIND_COUNT];
	struct timer *expire_timer;
	const struct web_tz *server_tz;
	struct {
		const char *prefix;
		web_http_handler *handler;
		void *context;
	} prefixes[WEB_SERVER_MAX_PREFIXES];
	unsigned int prefix_count;
	bool reader_threads;      /* imap_writer_init() was called */
} web;

void web_server_add_prefix(const char *prefix, web_http_handler *handler,
			   void *context)
{
	if (web.prefix_count == WEB_SERVER_MAX_PREFIXES)
		fatal("web: too many prefix handlers");
	web.prefixes[web.prefix_count].prefix = prefix;
	web.prefixes[web.prefix_count].handler = handler;
	web.prefixes[web.prefix_count].context = context;
	web.prefix_count++;
}

/* The handler registered for the target's prefix, or -1. */
static int web_prefix_find(const char *target)
{
	for (unsigned int i = 0; i < web.prefix_count; i++) {
		size_t len = strlen(web.prefixes[i].prefix);

		if (strncmp(target, web.prefixes[i].prefix, len) == 0 &&
		    (target[len] == '\0' || target[len] == '/' || target[len] == '?'))
			return (int)i;
	}
	return -1;
}

struct server *web_server(void)
{
	return web.srv;
}

const struct web_tz *web_server_tz(void)
{
	return web.server_tz != NULL ? web.server_tz : web_tz_utc();
}

static const struct web_tz *web_find_server_tz(void)
{
	const char *env = getenv("TZ");
	char link[PATH_MAX];
	ssize_t n;

	if (env != NULL && *env != '\0')
		return web_tz_get(env[0] == ':' ? env + 1 : env);
	n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		const char *p;

		link[n] = '\0';
		p = strstr(link, "zoneinfo/");
		if (p != NULL)
			return web_tz_get(p + strlen("zoneinfo/"));
	}
	return NULL;
}

/* redirect_http: every request gets 301 to the same path on https (and
   status as given when the plain listener sends a peer on) */
static void web_redirect(struct web_request *req, int status)
{
	const struct conf *conf = web.srv->conf;
	struct web_target target;
	const char *location;

	if (web_target_parse(req->pool, req->target, &target) == 0)
		location = p_printf(req->pool, "%s%s%s%s", conf->https_base,
				    target.path, target.query != NULL ? "?" : "",
				    target.query != NULL ? target.query : "");
	else
		location = p_printf(req->pool, "%s/", conf->https_base);
	req->status = status;
	req->content_type = "text/html; charset=utf-8";
	web_response_header(req, "Location", location);
	web_security_headers(req, NULL);
	html_printf(&req->body, "<!doctype html><title>Moved</title>"
		    "<p>This page is at <a href=\"%s\">its https: address</a>.</p>\n",
		    location);
	web_response_send(req);
}

/* Does origin name the site of a configured base URL ("https://h:p")? */
static bool web_origin_is_base(const char *origin, const char *base)
{
	const char *host;
	size_t len;

	if (base == NULL || (host = strstr(base, "://")) == NULL)
		return false;
	host += 3;
	len = (size_t)(host - base) + strcspn(host, "/");
	return strlen(origin) == len && mem_iequal(origin, base, len);
}

/* A POST must come from our own pages: the Origin header, when the
   browser sends one, names this host as the browser reached it, or one of
   the configured link bases (a reverse proxy may rewrite Host). Defence in
   depth next to the CSRF token and SameSite=Lax. */
static bool web_origin_ok(struct web_ctx *ctx)
{
	const struct conf *conf = ctx->srv->conf;
	const char *origin = web_request_header(ctx->req, "Origin");
	const char *host = web_request_header(ctx->req, "Host");

	if (origin == NULL)
		return true;
	if (host != NULL &&
	    str_iequal(origin, p_printf(ctx->pool, "%s://%s",
					ctx->req->https ? "https" : "http", host)))
		return true;
	return web_origin_is_base(origin, conf->link_base) ||
		web_origin_is_base(origin, conf->https_base) ||
		web_origin_is_base(origin, conf->public_url);
}

static bool web_parse_post(struct web_ctx *ctx)
{
	const char *type = web_request_header(ctx->req, "Content-Type");
	const char *body;
	size_t size;

	if (type == NULL)
		return false;
	body = web_request_body(ctx->req, &size);
	/* files only where the page takes them (the body limit is its own);
	   the login takes multipart for a kept form, without files */
	if ((ctx->route.id == WEB_ROUTE_COMPOSE ||
	     ctx->route.id == WEB_ROUTE_LOGIN) &&
	    str_begins_icase(type, "multipart/form-data"))
		return web_multipart_parse(ctx->pool, type, body, size,
					   ctx->route.id == WEB_ROUTE_COMPOSE ?
						   WEB_COMPOSE_MAX_FILES :
						   0,
					   &ctx->form, &ctx->uploads,
					   &ctx->upload_count) == 0;
	if (!str_begins_icase(type, "application/x-www-form-urlencoded"))
		return false;
	return web_form_parse(ctx->pool, body, size, &ctx->form) == 0;
}

static void web_dispatch(struct web_ctx *ctx)
{
	bool post = ctx->req->method == WEB_METHOD_POST;

	switch (ctx->route.id) {
	case WEB_ROUTE_STATIC_CSS:
	case WEB_ROUTE_STATIC_JS:
	case WEB_ROUTE_FAVICON:
		web_asset_send(ctx);
		return;
	case WEB_ROUTE_LOGIN:
		if (post)
			web_login_post(ctx);
		else if (ctx->logged_in)
			web_send_redirect(ctx, 302, "/mail");
		else
			web_login_form(ctx, 200, web_form_get(&ctx->query, "next"), NULL);
		return;
	case WEB_ROUTE_ITEM:
		/* not logged in: the login form right here, back here after */
		if (!ctx->logged_in && post)
			web_kept_login(ctx);
		else if (!ctx->logged_in)
			web_login_form(ctx, 200, ctx->target.path, NULL);
		else if (post)
			web_item_post(ctx);
		else
			web_item_page(ctx);
		return;
	default:
		break;
	}
	if (!ctx->logged_in) {
		if (post) {
			web_kept_login(ctx);
			return;
		}
		web_login_form(ctx, 200, ctx->route.id == WEB_ROUTE_ROOT ?
			       NULL : ctx->req->target, NULL);
		return;
	}
	switch (ctx->route.id) {
	case WEB_ROUTE_ROOT:
		web_send_redirect(ctx, 302, "/mail");
		break;
	case WEB_ROUTE_LOGOUT:
		web_logout_post(ctx);
		break;
	case WEB_ROUTE_FOLDERS:
		web_folders_page(ctx);
		break;
	case WEB_ROUTE_MAILBOX:
		web_mailbox_page(ctx);
		break;
	case WEB_ROUTE_MESSAGE:
		web_message_page(ctx);
		break;
	case WEB_ROUTE_MESSAGE_BODY:
		web_message_body(ctx);
		break;
	case WEB_ROUTE_MESSAGE_PART:
		web_message_part(ctx);
		break;
	case WEB_ROUTE_MESSAGE_RAW:
		web_message_raw(ctx);
		break;
	case WEB_ROUTE_MESSAGE_UNREAD:
		web_message_unread(ctx);
		break;
	case WEB_ROUTE_MESSAGE_READ:
	case WEB_ROUTE_MESSAGE_FLAG:
	case WEB_ROUTE_MESSAGE_DELETE:
	case WEB_ROUTE_MESSAGE_MOVE:
		web_message_action(ctx);
		break;
	case WEB_ROUTE_COMPOSE:
		if (post)
			web_compose_post(ctx);
		else
			web_compose_page(ctx);
		break;
	case WEB_ROUTE_SEARCH:
		web_search_page(ctx);
		break;
	case WEB_ROUTE_OUTBOX:
		web_outbox_page(ctx);
		break;
	case WEB_ROUTE_FOLDER_MANAGE:
		if (post)
			web_folders_manage_post(ctx);
		else
			web_folders_manage_page(ctx);
		break;
	case WEB_ROUTE_FOLDER_RENAME:
	case WEB_ROUTE_FOLDER_DELETE:
	case WEB_ROUTE_FOLDER_EMPTY:
		web_folder_action(ctx);
		break;
	case WEB_ROUTE_AGENDA:
		web_agenda_page(ctx);
		break;
	case WEB_ROUTE_DAY:
		web_day_page(ctx);
		break;
	case WEB_ROUTE_WEEK:
		web_week_page(ctx);
		break;
	case WEB_ROUTE_MONTH:
		web_month_page(ctx);
		break;
	case WEB_ROUTE_ITEM_EDIT:
		if (post)
			web_edit_meeting_post(ctx);
		else
			web_edit_meeting_page(ctx);
		break;
	case WEB_ROUTE_ITEM_CANCEL:
		web_cancel_meeting_post(ctx);
		break;
	case WEB_ROUTE_NEW_MEETING:
		if (post)
			web_new_meeting_post(ctx);
		else
			web_new_meeting_page(ctx);
		break;
	case WEB_ROUTE_CONTACTS:
		web_contacts_page(ctx);
		break;
	case WEB_ROUTE_CONTACT:
		web_contact_page(ctx);
		break;
	case WEB_ROUTE_CONTACT_NEW:
		if (post)
			web_contact_new_post(ctx);
		else
			web_contact_new_page(ctx);
		break;
	case WEB_ROUTE_CONTACT_EDIT:
		if (post)
			web_contact_edit_post(ctx);
		else
			web_contact_edit_page(ctx);
		break;
	case WEB_ROUTE_CONTACT_DELETE:
		web_contact_delete_post(ctx);
		break;
	case WEB_ROUTE_CONTACT_COMPLETE:
		web_contacts_complete(ctx);
		break;
	case WEB_ROUTE_APPLE_PROFILE:
		web_autoconfig_apple_profile_page(ctx);
		break;
	case WEB_ROUTE_THEME:
		web_theme_post(ctx);
		break;
	case WEB_ROUTE_SETTINGS:
		web_settings_page(ctx);
		break;
	case WEB_ROUTE_SETTINGS_NAME:
	case WEB_ROUTE_SETTINGS_TIMEZONE:
	case WEB_ROUTE_SETTINGS_CALENDAR:
	case WEB_ROUTE_SETTINGS_PASSWORD:
	case WEB_ROUTE_SETTINGS_END_SESSION:
	case WEB_ROUTE_SETTINGS_END_ALL:
		web_settings_post(ctx);
		break;
	default:
		web_send_not_found(ctx);
		break;
	}
}

/* The pages take GET (and so HEAD) and POST; the methods of WebDAV go
   to /dav/ before this. */
static bool web_method_allowed(enum web_method method, unsigned int route_methods)
{
	switch (method) {
	case WEB_METHOD_GET:
	case WEB_METHOD_HEAD:
		return (route_methods & WEB_ROUTE_GET) != 0;
	case WEB_METHOD_POST:
		return (route_methods & WEB_ROUTE_POST) != 0;
	default:
		return false;
	}
}

static const char *web_allow_header(unsigned int route_methods)
{
	bool get = (route_methods & WEB_ROUTE_GET) != 0;
	bool post = (route_methods & WEB_ROUTE_POST) != 0;

	if (get && post)
		return "GET, HEAD, POST";
	return get ? "GET, HEAD" : "POST";
}

static void web_handle(void *context, struct web_request *req)
{
	enum web_kind kind = *(const enum web_kind *)context;
	struct web_ctx *ctx;
	const char *tz_name;
	bool found;

	if (kind == WEB_KIND_REDIRECT) {
		web_redirect(req, 301);
		return;
	}
	{
		int p = web_prefix_find(req->target);

		if (p >= 0) {
			web.prefixes[p].handler(web.prefixes[p].context, req);
			return;
		}
	}
	/* The plain listener beside an https one, for a peer that may not
	   send a password here: nothing it could do here needs no login, so
	   it goes to the same page on https, where the login is accepted and
	   comes back to it (an http: meeting link keeps opening). Temporary:
	   another network may log in here. */
	if (kind == WEB_KIND_HTTP && web.srv->conf->https_base != NULL &&
	    !server_plaintext_auth_allowed_ip(web.srv, req->peer_ip)) {
		web_redirect(req, req->method == WEB_METHOD_GET ||
			     req->method == WEB_METHOD_HEAD ? 302 : 307);
		return;
	}
	ctx = p_new(req->pool, struct web_ctx, 1);
	ctx->srv = web.srv;
	ctx->req = req;
	ctx->pool = req->pool;
	ctx->out = &req->body;
	ctx->tz = web_server_tz();

	tz_name = web_cookie_get(ctx->pool, web_request_header(req, "Cookie"),
				 WEB_TZ_COOKIE);
	if (tz_name != NULL) {
		const struct web_tz *tz;
		const char *decoded;

		if (web_url_decode(ctx->pool, tz_name, strlen(tz_name), false,
				   false, &decoded) == 0 &&
		    (tz = web_tz_get(decoded)) != NULL)
			ctx->tz = tz;
	}
	ctx->browser_tz = ctx->tz;
	if (web_target_parse(ctx->pool, req->target, &ctx->target) < 0) {
		web_send_message(ctx, 400, "Bad request", "That address is not valid.");
		return;
	}
	found = web_route_find(&ctx->target, &ctx->route) == 0;
	/* the session first: every page but the assets, error pages too
	   (they keep the header and navigation of a logged-in viewer) */
	if (ctx->route.id != WEB_ROUTE_STATIC_CSS &&
	    ctx->route.id != WEB_ROUTE_STATIC_JS &&
	    ctx->route.id != WEB_ROUTE_FAVICON)
		web_session_load(ctx);
	if (!found) {
		web_send_not_found(ctx);
		return;
	}
	if (!web_method_allowed(req->method, ctx->route.methods)) {
		/* RFC 9110 15.5.6: 405 lists what the page takes */
		web_response_header(req, "Allow", web_allow_header(ctx->route.methods));
		web_send_message(ctx, 405, "Method not allowed",
				 "This page cannot be used that way.");
		return;
	}
	if (ctx->target.query != NULL &&
	    web_form_parse(ctx->pool, ctx->target.query, strlen(ctx->target.query),
			   &ctx->query) < 0) {
		web_send_message(ctx, 400, "Bad request", "That address is not valid.");
		return;
	}
	if (req->method == WEB_METHOD_POST) {
		if (!web_origin_ok(ctx)) {
			web_send_message(ctx, 403, "Forbidden",
					 "This form was sent from another site.");
			return;
		}
		if (!web_parse_post(ctx)) {
			web_send_message(ctx, 400, "Bad request",
					 "The form could not be read.");
			return;
		}
	}
	web_dispatch(ctx);
}

static void web_expire_cb(void *context)
{
	(void)context;
	web_sessions_expire();
}

static void web_drain(void *context)
{
	(void)context;
	for (int k = 0; k < WEB_KIND_COUNT; k++) {
		if (web.http[k] != NULL)
			web_http_drain(web.http[k]);
	}
}

static int web_listen_all(enum web_kind kind, bool tls,
			  const struct conf_addresses *addrs, const char *name,
			  const char **error_r)
{
	struct web_http_settings set = {
		.max_headers_size = WEB_MAX_HEADERS_SIZE,
		.max_header_fields = WEB_MAX_HEADER_FIELDS,
		.max_body_size = WEB_MAX_BODY_SIZE,
		.max_dav_body_size = WEB_MAX_DAV_BODY_SIZE,
		.upload_path = WEB_COMPOSE_PATH,
		.login_path = WEB_LOGIN_PATH,
		.max_login_body_size = WEB_LOGIN_BODY_SIZE,
		.timeout_secs = WEB_TIMEOUT_SECS,
		.head_timeout_secs = WEB_HEAD_TIMEOUT_SECS,
		.protocol = METRICS_PROTOCOL_HTTP,
		.request_protocol = METRICS_PROTOCOL_WEB,
	};

	if (addrs->count == 0)
		return 0;
	/* attachments up to a message's size, and the text fields beside */
	set.max_upload_body_size = web.srv->conf->max_message_size +
		WEB_COMPOSE_FIELDS_SIZE;
	web.kinds[kind] = kind;
	web.http[kind] = web_http_create(web.srv, &set, web_handle,
					 &web.kinds[kind]);
	return web_http_listen(web.http[kind], addrs, tls, name, error_r);
}

int web_server_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;

	memset(&web, 0, sizeof(web));
	web.srv = srv;
	web.server_tz = web_find_server_tz();
	{
		/* the Settings page's list, read now rather than by a request */
		const char *const *names;
		unsigned int count;

		web_tz_list(&names, &count);
	}
	if (conf->web_tls_listen.count > 0 && srv->tls == NULL) {
		*error_r = "[web] tls_listen needs [server] tls_cert and tls_key";
		return -1;
	}
	if (web_listen_all(WEB_KIND_HTTPS, true, &conf->web_tls_listen,
			   "web-https", error_r) < 0 ||
	    web_listen_all(WEB_KIND_HTTP, false, &conf->web_listen, "web-http",
			   error_r) < 0)
		return -1;
	if (conf->web_redirect_http.count > 0 && conf->https_base == NULL) {
		*error_r = "[web] redirect_http has no https address to redirect to";
		return -1;
	}
	if (web_listen_all(WEB_KIND_REDIRECT, false, &conf->web_redirect_http,
			   "web-redirect", error_r) < 0)
		return -1;
	if (web.http[WEB_KIND_HTTPS] != NULL || web.http[WEB_KIND_HTTP] != NULL) {
		web.expire_timer = timer_add(srv->ioloop, WEB_SESSION_EXPIRE_MSECS,
					     true, web_expire_cb, NULL);
	}
	server_add_drain_hook(srv, web_drain, NULL);
	/* the search's text scans run on the IMAP writer's reader threads */
	if (web.http[WEB_KIND_HTTPS] != NULL || web.http[WEB_KIND_HTTP] != NULL) {
		imap_writer_init(srv->ioloop, srv->store);
		web.reader_threads = true;
	}
	/* Thunderbird's autoconfig and Outlook's Autodiscover: no login */
	web_autoconfig_init();
	return 0;
}

void web_server_deinit(void)
{
	web_login_cancel_all();
	timer_remove(&web.expire_timer);
	for (int k = 0; k < WEB_KIND_COUNT; k++)
		web_http_destroy(&web.http[k]);
	/* searches still running finish here (or with IMAP's deinit) and
	   find their browsers gone */
	if (web.reader_threads)
		imap_writer_deinit();
	web.reader_threads = false;
}
