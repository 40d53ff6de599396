/*
 * The DAV front-end: /dav/ and the /.well-known/ redirects on the web
 * access's listeners. Every request is authenticated with HTTP Basic
 * (the same Argon2id check, cache and failure delay as IMAP, on the
 * password thread), then dispatched by method. A user sees only their
 * own principal and collections; anything else is the same 404 as a
 * path that does not exist.
 */
#include "dav.h"
#include "dav-private.h"
#include "dav-headers.h"
#include "auth.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "strutil.h"
#include "web-server.h"

#include <stdio.h>
#include <string.h>

/* RFC 4918 10.1 and the CalDAV/CardDAV/scheduling classes; no locking
   (class 2 is not claimed, so clients do not try). */
#define DAV_HEADER "1, 3, access-control, calendar-access, calendar-auto-schedule," \
	" calendar-schedule, addressbook, extended-mkcol, sync-collection"
#define DAV_ALLOW "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT," \
	" MKCOL, MKCALENDAR, POST, COPY, MOVE"

struct dav_auth_wait {
	struct dav_auth_wait *prev, *next;
	struct dav_ctx *ctx;
	struct auth_request *auth;
};

static struct {
	struct server *srv;
	struct dav_auth_wait *waits;
} dav;

const char *dav_etag(struct pool *pool, uint64_t modseq)
{
	return p_printf(pool, "\"%llu\"", (unsigned long long)modseq);
}

/* Cyrus's form: the collection and its version, in a data: URI */
const char *dav_sync_token(struct pool *pool, const struct store_dav_collection *col,
			   uint64_t modseq)
{
	return p_printf(pool, "data:,infostore-%lld-%llu", (long long)col->id,
			(unsigned long long)modseq);
}

int dav_sync_token_parse(const char *token, const struct store_dav_collection *col,
			 uint64_t *modseq_r)
{
	long long id;
	unsigned long long modseq;
	int end = 0;

	if (sscanf(token, "data:,infostore-%lld-%llu%n", &id, &modseq, &end) != 2 ||
	    token[end] != '\0' || id != col->id)
		return -1;
	*modseq_r = modseq;
	return 0;
}

void dav_send_xml(struct dav_ctx *ctx, int status)
{
	ctx->req->status = status;
	ctx->req->content_type = "application/xml; charset=utf-8";
	web_response_send(ctx->req);
}

void dav_send_status(struct dav_ctx *ctx, int status)
{
	buffer_reset(ctx->out);
	ctx->req->status = status;
	ctx->req->content_type = NULL;
	web_response_send(ctx->req);
}

void dav_send_error(struct dav_ctx *ctx, int status, const char *ns,
		    const char *precondition)
{
	if (precondition == NULL) {
		dav_send_status(ctx, status);
		return;
	}
	buffer_reset(ctx->out);
	buffer_printf(ctx->out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		      "<D:error xmlns:D=\"DAV:\" xmlns:P=\"%s\"><P:%s/></D:error>\n",
		      ns, precondition);
	dav_send_xml(ctx, status);
}

int dav_collection_get(struct dav_ctx *ctx, enum store_dav_kind kind,
		       const char *name, struct store_dav_collection *col_r)
{
	int ret = store_dav_collection_lookup(ctx->srv->store, ctx->user.id, kind,
					      name, ctx->pool, col_r);

	if (ret == 0 && ((kind == STORE_DAV_CALENDAR && strcmp(name, "calendar") == 0) ||
			 (kind == STORE_DAV_ADDRESSBOOK && strcmp(name, "contacts") == 0))) {
		/* a store copied from elsewhere may lack the defaults */
		ret = store_dav_collection_default(ctx->srv->store, ctx->user.id, kind,
						   ctx->pool, col_r) < 0 ? -1 : 1;
	}
	if (ret < 0) {
		log_error("dav", "collection lookup failed: %s",
			  store_last_error_detail(ctx->srv->store));
		dav_send_status(ctx, 500);
		return -1;
	}
	if (ret == 0)
		dav_send_status(ctx, 404);
	return ret;
}

/* --- PROPFIND --- */

struct dav_list_ctx {
	struct dav_ctx *ctx;
	const struct store_dav_collection *col;
	enum dav_path_kind kind;
	unsigned int count;
};

static int dav_list_cb(void *context, const struct store_dav_resource *r)
{
	struct dav_list_ctx *lc = context;
	struct dav_ctx *ctx = lc->ctx;
	struct dav_res res;

	if (++lc->count > DAV_MAX_RESPONSES)
		return 1;
	memset(&res, 0, sizeof(res));
	res.kind = lc->kind;
	res.address = ctx->user.address;
	res.col = lc->col;
	res.name = p_strdup(ctx->pool, r->href);
	res.modseq = r->modseq;
	res.id = r->id;
	res.href = dav_path_href(ctx->pool, lc->kind, ctx->user.address,
				 lc->col->name, r->href);
	dav_props_response(ctx, &res);
	return 0;
}

static void dav_describe_collections(struct dav_ctx *ctx, enum store_dav_kind kind)
{
	struct store_dav_collection *cols;
	unsigned int count;

	if (store_dav_collection_list(ctx->srv->store, ctx->user.id, kind, ctx->pool,
				      &cols, &count) < 0)
		return;
	for (unsigned int i = 0; i < count; i++) {
		struct dav_res res;

		memset(&res, 0, sizeof(res));
		res.kind = kind == STORE_DAV_CALENDAR ? DAV_PATH_CALENDAR : DAV_PATH_ADDRESSBOOK;
		res.address = ctx->user.address;
		res.col = &cols[i];
		res.href = dav_path_href(ctx->pool, res.kind, ctx->user.address,
					 cols[i].name, NULL);
		dav_props_response(ctx, &res);
	}
}

static void dav_describe_simple(struct dav_ctx *ctx, enum dav_path_kind kind)
{
	struct dav_res res;

	memset(&res, 0, sizeof(res));
	res.kind = kind;
	res.address = ctx->user.address;
	res.href = dav_path_href(ctx->pool, kind, ctx->user.address, NULL, NULL);
	dav_props_response(ctx, &res);
}

/* Look up what the path names: fills res (and col); 0, or -1 with a
   response sent. */
static int dav_resolve(struct dav_ctx *ctx, struct dav_res *res,
		       struct store_dav_collection *col)
{
	const struct dav_path *path = &ctx->path;
	enum store_dav_kind kind = path->kind == DAV_PATH_CALENDAR ||
		path->kind == DAV_PATH_CAL_OBJECT ? STORE_DAV_CALENDAR : STORE_DAV_ADDRESSBOOK;

	memset(res, 0, sizeof(*res));
	res->kind = path->kind;
	res->address = ctx->user.address;
	res->href = dav_path_href(ctx->pool, path->kind, ctx->user.address,
				  path->collection, path->resource);
	switch (path->kind) {
	case DAV_PATH_CALENDAR:
	case DAV_PATH_ADDRESSBOOK:
	case DAV_PATH_CAL_OBJECT:
	case DAV_PATH_CARD:
		if (dav_collection_get(ctx, kind, path->collection, col) <= 0)
			return -1;
		res->col = col;
		break;
	default:
		return 0;
	}
	if (path->resource != NULL) {
		struct store_dav_resource r;
		int ret = store_dav_resource_get(ctx->srv->store, col, path->resource, 0,
						 ctx->pool, &r);

		if (ret <= 0) {
			dav_send_status(ctx, ret < 0 ? 500 : 404);
			return -1;
		}
		res->name = path->resource;
		res->modseq = r.modseq;
		res->id = r.id;
	}
	return 0;
}

static void dav_propfind(struct dav_ctx *ctx)
{
	struct store_dav_collection col;
	struct dav_res res;

	if (ctx->body.root.name[0] != '\0' &&
	    !dav_prop_is(&ctx->body.root, DAV_NS_DAV, "propfind")) {
		dav_send_status(ctx, 400);
		return;
	}
	if (ctx->depth < 0) {
		/* RFC 4918 9.1: a server may refuse Depth: infinity */
		dav_send_error(ctx, 403, DAV_NS_DAV, "propfind-finite-depth");
		return;
	}
	if (dav_resolve(ctx, &res, &col) < 0)
		return;
	buffer_reset(ctx->out);
	dav_ms_begin(ctx->out);
	dav_props_response(ctx, &res);
	if (ctx->depth == 1) {
		switch (res.kind) {
		case DAV_PATH_ROOT:
			dav_describe_simple(ctx, DAV_PATH_PRINCIPALS);
			break;
		case DAV_PATH_PRINCIPALS:
			dav_describe_simple(ctx, DAV_PATH_PRINCIPAL);
			break;
		case DAV_PATH_CAL_HOME:
			dav_describe_collections(ctx, STORE_DAV_CALENDAR);
			dav_describe_simple(ctx, DAV_PATH_SCHED_INBOX);
			dav_describe_simple(ctx, DAV_PATH_SCHED_OUTBOX);
			break;
		case DAV_PATH_CARD_HOME:
			dav_describe_collections(ctx, STORE_DAV_ADDRESSBOOK);
			break;
		case DAV_PATH_CALENDAR:
		case DAV_PATH_ADDRESSBOOK: {
			struct dav_list_ctx lc = {
				ctx, &col, res.kind == DAV_PATH_CALENDAR ?
				DAV_PATH_CAL_OBJECT : DAV_PATH_CARD, 0,
			};

			if (store_dav_resource_list(ctx->srv->store, &col, 0, ctx->pool,
						    dav_list_cb, &lc) < 0) {
				dav_send_status(ctx, 500);
				return;
			}
			break;
		}
		default:
			break;
		}
	}
	dav_ms_end(ctx->out);
	dav_send_xml(ctx, 207);
}

/* --- MKCALENDAR, MKCOL, DELETE of a collection --- */

static void dav_make_collection(struct dav_ctx *ctx, bool mkcalendar)
{
	const struct dav_path *path = &ctx->path;
	const struct dav_body *b = &ctx->body;
	enum store_dav_kind kind;
	struct store_dav_collection col;
	const struct dav_prop_name *bad;
	int64_t id;

	if (path->kind != DAV_PATH_CALENDAR && path->kind != DAV_PATH_ADDRESSBOOK) {
		/* only inside a home; anything else could never be a calendar */
		dav_send_status(ctx, path->kind == DAV_PATH_CAL_OBJECT ||
				path->kind == DAV_PATH_CARD ? 409 : 405);
		return;
	}
	kind = path->kind == DAV_PATH_CALENDAR ? STORE_DAV_CALENDAR : STORE_DAV_ADDRESSBOOK;
	if (mkcalendar && kind != STORE_DAV_CALENDAR) {
		dav_send_error(ctx, 403, DAV_NS_CALDAV, "calendar-collection-location-ok");
		return;
	}
	if (!mkcalendar) {
		/* RFC 5689: extended MKCOL says what it makes in resourcetype */
		bool ok = false;

		for (unsigned int i = 0; i < b->value_count; i++) {
			if (!dav_prop_is(&b->values[i].name, DAV_NS_DAV, "resourcetype"))
				continue;
			ok = kind == STORE_DAV_CALENDAR ? b->values[i].rt_calendar :
				b->values[i].rt_addressbook;
		}
		if (!ok) {
			dav_send_error(ctx, 403, DAV_NS_DAV, "valid-resourcetype");
			return;
		}
	}
	for (unsigned int i = 0; i < b->value_count; i++) {
		const char *comps = b->values[i].components;

		if (comps != NULL && strstr(comps, "VEVENT") == NULL) {
			dav_send_error(ctx, 403, DAV_NS_CALDAV,
				       "supported-calendar-component");
			return;
		}
	}
	if (!store_dav_name_valid(path->collection)) {
		dav_send_status(ctx, 403);
		return;
	}
	if (store_dav_collection_create(ctx->srv->store, ctx->user.id, kind,
					path->collection, NULL, NULL, NULL, &id) < 0) {
		enum store_error err = store_last_error(ctx->srv->store);

		if (err == STORE_ERROR_EXISTS)
			dav_send_error(ctx, 405, DAV_NS_DAV, "resource-must-be-null");
		else if (err == STORE_ERROR_LIMIT)
			dav_send_status(ctx, 507);
		else
			dav_send_status(ctx, 500);
		return;
	}
	if (store_dav_collection_lookup_id(ctx->srv->store, id, ctx->pool, &col) <= 0 ||
	    dav_props_apply(ctx, &col, &bad) < 0) {
		store_dav_collection_delete(ctx->srv->store, id);
		dav_send_status(ctx, 403);
		return;
	}
	log_info("dav", "collection created user=%s name=%s kind=%s",
		 log_value(ctx->user.address), log_value(path->collection),
		 kind == STORE_DAV_CALENDAR ? "calendar" : "addressbook");
	web_response_header(ctx->req, "Cache-Control", "no-cache");
	dav_send_status(ctx, 201);
}

static void dav_delete_collection(struct dav_ctx *ctx)
{
	struct store_dav_collection col;
	enum store_dav_kind kind = ctx->path.kind == DAV_PATH_CALENDAR ?
		STORE_DAV_CALENDAR : STORE_DAV_ADDRESSBOOK;

	if (dav_collection_get(ctx, kind, ctx->path.collection, &col) <= 0)
		return;
	if (col.is_default) {
		/* every item of the user lives there; it cannot go */
		dav_send_status(ctx, 403);
		return;
	}
	if (store_dav_collection_delete(ctx->srv->store, col.id) < 0) {
		dav_send_status(ctx, 500);
		return;
	}
	log_info("dav", "collection deleted user=%s name=%s",
		 log_value(ctx->user.address), log_value(col.name));
	dav_send_status(ctx, 204);
}

/* --- dispatch --- */

static void dav_options(struct dav_ctx *ctx)
{
	web_response_header(ctx->req, "Allow", DAV_ALLOW);
	dav_send_status(ctx, 200);
}

static void dav_collection_get_page(struct dav_ctx *ctx)
{
	buffer_reset(ctx->out);
	buffer_append_str(ctx->out, "This is a CalDAV/CardDAV collection of infostore."
			  " Point a calendar or contacts app at it.\n");
	ctx->req->status = 200;
	ctx->req->content_type = "text/plain; charset=utf-8";
	web_response_send(ctx->req);
}

static void dav_dispatch(struct dav_ctx *ctx)
{
	const struct dav_path *path = &ctx->path;
	enum web_method m = ctx->req->method;
	bool collection = dav_path_is_collection(path->kind);

	if (path->kind == DAV_PATH_NONE) {
		dav_send_status(ctx, 404);
		return;
	}
	/* a user's own paths only; someone else's look like nothing at all */
	if (path->address != NULL && !str_iequal(path->address, ctx->user.address)) {
		dav_send_status(ctx, 404);
		return;
	}
	if (m == WEB_METHOD_PROPFIND || m == WEB_METHOD_PROPPATCH ||
	    m == WEB_METHOD_REPORT || m == WEB_METHOD_MKCOL ||
	    m == WEB_METHOD_MKCALENDAR) {
		const char *type = web_request_header(ctx->req, "Content-Type");
		const char *error;

		/* RFC 4918 9.3: a MKCOL body we do not understand is 415; the
		   other methods' bodies are XML whatever they are labelled */
		if ((m == WEB_METHOD_MKCOL || m == WEB_METHOD_MKCALENDAR) &&
		    ctx->raw_size > 0 && type != NULL &&
		    strstr(type, "xml") == NULL) {
			dav_send_status(ctx, 415);
			return;
		}

		if (dav_xml_parse(ctx->pool, ctx->raw_body, ctx->raw_size, &ctx->body,
				  &error) < 0) {
			log_debug("dav", "bad request body user=%s: %s",
				  log_value(ctx->user.address), error);
			buffer_reset(ctx->out);
			buffer_printf(ctx->out, "%s\n", error);
			ctx->req->status = 400;
			ctx->req->content_type = "text/plain; charset=utf-8";
			web_response_send(ctx->req);
			return;
		}
	}
	switch (m) {
	case WEB_METHOD_OPTIONS:
		dav_options(ctx);
		return;
	case WEB_METHOD_PROPFIND:
		dav_propfind(ctx);
		return;
	case WEB_METHOD_PROPPATCH: {
		struct store_dav_collection col;
		struct dav_res res;

		if (dav_resolve(ctx, &res, &col) == 0)
			dav_proppatch(ctx, &res);
		return;
	}
	case WEB_METHOD_REPORT:
		dav_report(ctx);
		return;
	case WEB_METHOD_MKCALENDAR:
		dav_make_collection(ctx, true);
		return;
	case WEB_METHOD_MKCOL:
		dav_make_collection(ctx, false);
		return;
	case WEB_METHOD_GET:
	case WEB_METHOD_HEAD:
		if (collection)
			dav_collection_get_page(ctx);
		else
			dav_get(ctx);
		return;
	case WEB_METHOD_PUT:
		if (collection)
			dav_send_status(ctx, 405);
		else
			dav_put(ctx);
		return;
	case WEB_METHOD_DELETE:
		if (path->kind == DAV_PATH_CALENDAR || path->kind == DAV_PATH_ADDRESSBOOK)
			dav_delete_collection(ctx);
		else if (collection)
			dav_send_status(ctx, 403);
		else
			dav_delete(ctx);
		return;
	case WEB_METHOD_MOVE:
	case WEB_METHOD_COPY:
		if (collection)
			dav_send_status(ctx, 403);
		else
			dav_move_copy(ctx, m == WEB_METHOD_MOVE);
		return;
	case WEB_METHOD_POST:
		if (path->kind == DAV_PATH_SCHED_OUTBOX)
			dav_outbox_post(ctx);
		else
			dav_send_status(ctx, 405);
		return;
	default:
		web_response_header(ctx->req, "Allow", DAV_ALLOW);
		dav_send_status(ctx, 405);
		return;
	}
}

static void dav_wait_unlink(struct dav_auth_wait *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		dav.waits = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
}

static void dav_unauthorized(struct dav_ctx *ctx)
{
	web_response_header(ctx->req, "WWW-Authenticate",
			    "Basic realm=\"infostore\", charset=\"UTF-8\"");
	buffer_reset(ctx->out);
	buffer_append_str(ctx->out, "Authentication required.\n");
	ctx->req->status = 401;
	ctx->req->content_type = "text/plain; charset=utf-8";
	web_response_send(ctx->req);
}

static void dav_auth_done(void *context, const struct auth_result *result)
{
	struct dav_auth_wait *w = context;
	struct dav_ctx *ctx = w->ctx;
	int ret;

	w->auth = NULL;
	dav_wait_unlink(w);
	if (web_request_gone(ctx->req)) {
		web_response_send(ctx->req);
		return;
	}
	if (result->throttled) {
		/* too many failed logins from here (or for this account from
		   here): answered without looking at the password */
		web_response_header(ctx->req, "Retry-After",
				    p_printf(ctx->pool, "%u", result->retry_after_secs));
		dav_send_status(ctx, 429);
		return;
	}
	if (result->temp_failure) {
		web_response_header(ctx->req, "Retry-After", "30");
		dav_send_status(ctx, 503);
		return;
	}
	if (!result->success) {
		log_info("dav", "login failed ip=%s", ctx->req->peer_ip);
		dav_unauthorized(ctx);
		return;
	}
	ret = store_user_lookup_id(ctx->srv->store, result->user_id, ctx->pool, &ctx->user);
	if (ret <= 0) {
		dav_send_status(ctx, ret < 0 ? 503 : 401);
		return;
	}
	dav_dispatch(ctx);
}

static void dav_handle(void *context, struct web_request *req)
{
	const struct conf *conf = dav.srv->conf;
	struct dav_ctx *ctx;
	struct dav_auth_wait *w;
	const char *user, *prefer, *brief;
	char *password;
	int depth;

	(void)context;
	req->metrics_protocol = METRICS_PROTOCOL_DAV;
	/* RFC 6764 5: the well-known URIs lead to the context path; 301
	   keeps the method (a 302 makes some clients turn PROPFIND into
	   GET) */
	if (str_begins(req->target, "/.well-known/caldav") ||
	    str_begins(req->target, "/.well-known/carddav")) {
		req->status = 301;
		web_response_header(req, "Location", "/dav/");
		web_response_send(req);
		return;
	}
	ctx = p_new(req->pool, struct dav_ctx, 1);
	ctx->srv = dav.srv;
	ctx->req = req;
	ctx->pool = req->pool;
	ctx->out = &req->body;
	web_response_header(req, "DAV", DAV_HEADER);
	web_response_header(req, "Cache-Control", "private, no-cache");

	/* no passwords in the clear, as for IMAP and POP3 */
	if (!req->https && !server_plaintext_auth_allowed_ip(dav.srv, req->peer_ip)) {
		if (conf->https_base != NULL) {
			req->status = 308;
			web_response_header(req, "Location",
					    p_printf(req->pool, "%s%s", conf->https_base,
						     req->target));
			web_response_send(req);
		} else {
			dav_send_status(ctx, 403);
		}
		return;
	}
	depth = dav_depth_parse(web_request_header(req, "Depth"));
	if (depth == DAV_DEPTH_INVALID) {
		dav_send_status(ctx, 400);
		return;
	}
	/* RFC 4918 9.1: PROPFIND without Depth is infinity; REPORTs default
	   to 0 (RFC 3253 3.6) */
	ctx->depth = depth == DAV_DEPTH_ABSENT ?
		(req->method == WEB_METHOD_PROPFIND ? DAV_DEPTH_INFINITY : 0) : depth;
	brief = web_request_header(req, "Brief");
	prefer = web_request_header(req, "Prefer");
	ctx->brief = dav_brief(brief, prefer);
	if (prefer != NULL && strstr(prefer, "return=minimal") != NULL)
		web_response_header(req, "Preference-Applied", "return=minimal");
	web_response_header(req, "Vary", "Brief, Prefer");
	ctx->raw_body = web_request_body(req, &ctx->raw_size);

	if (dav_path_parse(ctx->pool, req->target, &ctx->path) < 0)
		ctx->path.kind = DAV_PATH_NONE;
	if (!dav_basic_parse(ctx->pool, web_request_header(req, "Authorization"),
			     &user, &password)) {
		dav_unauthorized(ctx);
		return;
	}
	/* an unknown path is answered only after the password check, so
	   that it tells a stranger nothing */
	w = p_new(ctx->pool, struct dav_auth_wait, 1);
	w->ctx = ctx;
	w->next = dav.waits;
	if (dav.waits != NULL)
		dav.waits->prev = w;
	dav.waits = w;
	web_request_suspend(req);
	w->auth = auth_verify_from(dav.srv->auth, METRICS_PROTOCOL_DAV, req->peer_ip,
				   user, password, dav_auth_done, w);
	secret_wipe(password, strlen(password));
}

int dav_init(struct server *srv, const char **error_r)
{
	(void)error_r;
	memset(&dav, 0, sizeof(dav));
	dav.srv = srv;
	web_server_add_prefix("/dav", dav_handle, NULL);
	web_server_add_prefix("/.well-known/caldav", dav_handle, NULL);
	web_server_add_prefix("/.well-known/carddav", dav_handle, NULL);
	return 0;
}

void dav_deinit(void)
{
	while (dav.waits != NULL) {
		struct dav_auth_wait *w = dav.waits;

		dav_wait_unlink(w);
		auth_request_cancel(&w->auth);
		dav_send_status(w->ctx, 503);
	}
}
