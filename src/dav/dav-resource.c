/*
 * Calendar object resources and vCards: GET, PUT, DELETE with the
 * conditional headers (RFC 9110 13: If-Match, If-None-Match; RFC 6638
 * 8.3: If-Schedule-Tag-Match), checked and written in one transaction so
 * that two clients cannot both win. Calendar data goes through src/cal
 * (which schedules); vCards are checked with lib-vcard and stored as PUT.
 */
#include "dav-private.h"
#include "dav-headers.h"
#include "cal.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"
#include "vcard.h"

#include <string.h>
#include <time.h>

int dav_resource_load(struct dav_ctx *ctx, struct dav_res *res)
{
	struct store_dav_resource r;

	if (res->data != NULL)
		return 0;
	if (res->col == NULL || res->name == NULL ||
	    store_dav_resource_get(ctx->srv->store, res->col, res->name,
				   STORE_DAV_WITH_DATA, ctx->pool, &r) <= 0 ||
	    r.data == NULL)
		return -1;
	res->data = r.data;
	res->size = strlen(r.data);
	return 0;
}

/* RFC 9110 13.2.2 order; 0 fine, or -1 with 412 sent. */
static int dav_preconditions(struct dav_ctx *ctx, bool exists, uint64_t modseq,
			     uint64_t schedule_tag)
{
	const char *im = web_request_header(ctx->req, "If-Match");
	const char *inm = web_request_header(ctx->req, "If-None-Match");
	const char *ist = web_request_header(ctx->req, "If-Schedule-Tag-Match");
	const char *etag = exists ? dav_etag(ctx->pool, modseq) : "";

	if ((im != NULL && !dav_etag_listed(im, etag)) ||
	    (inm != NULL && dav_etag_listed(inm, etag)) ||
	    (ist != NULL && (!exists ||
			     !dav_etag_listed(ist, dav_etag(ctx->pool, schedule_tag))))) {
		dav_send_status(ctx, 412);
		return -1;
	}
	return 0;
}

static enum store_dav_kind dav_kind(const struct dav_ctx *ctx)
{
	return ctx->path.kind == DAV_PATH_CAL_OBJECT ? STORE_DAV_CALENDAR :
		STORE_DAV_ADDRESSBOOK;
}

void dav_get(struct dav_ctx *ctx)
{
	struct store_dav_collection col;
	struct store_dav_resource r;
	struct web_request *req = ctx->req;
	int ret;

	if (dav_collection_get(ctx, dav_kind(ctx), ctx->path.collection, &col) <= 0)
		return;
	ret = store_dav_resource_get(ctx->srv->store, &col, ctx->path.resource,
				     STORE_DAV_WITH_DATA, ctx->pool, &r);
	if (ret <= 0) {
		dav_send_status(ctx, ret < 0 ? 500 : 404);
		return;
	}
	web_response_header(req, "ETag", dav_etag(ctx->pool, r.modseq));
	if (col.kind == STORE_DAV_CALENDAR) {
		struct store_cal_item item;

		if (store_cal_item_lookup_id(ctx->srv->store, r.id, ctx->pool, &item) > 0)
			web_response_header(req, "Schedule-Tag",
					    dav_etag(ctx->pool, item.schedule_tag));
		req->content_type = "text/calendar; charset=utf-8";
	} else {
		req->content_type = "text/vcard; charset=utf-8";
	}
	{
		const char *inm = web_request_header(req, "If-None-Match");

		if (inm != NULL && dav_etag_listed(inm, dav_etag(ctx->pool, r.modseq))) {
			dav_send_status(ctx, 304);
			return;
		}
	}
	buffer_reset(ctx->out);
	buffer_append_str(ctx->out, r.data != NULL ? r.data : "");
	req->status = 200;
	web_response_send(req);
}

static bool dav_content_type_ok(const char *type, const char *want)
{
	/* clients that send none are taken at their word */
	return type == NULL || str_begins_icase(type, want);
}

static void dav_put_calendar(struct dav_ctx *ctx, const struct store_dav_collection *col)
{
	struct store *store = ctx->srv->store;
	struct store_cal_item old;
	struct cal_dav_put put;
	struct cal_dav_result result;
	bool exists;
	int ret;

	if (!dav_content_type_ok(web_request_header(ctx->req, "Content-Type"),
				 "text/calendar")) {
		dav_send_error(ctx, 403, DAV_NS_CALDAV, "supported-calendar-data");
		return;
	}
	if (store_begin(store) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	ret = store_cal_item_lookup_href(store, col->id, ctx->path.resource, ctx->pool, &old);
	if (ret < 0) {
		store_rollback(store);
		dav_send_status(ctx, 503);
		return;
	}
	exists = ret > 0;
	if (dav_preconditions(ctx, exists, exists ? old.modseq : 0,
			      exists ? old.schedule_tag : 0) < 0) {
		store_rollback(store);
		return;
	}
	memset(&put, 0, sizeof(put));
	put.data = ctx->raw_body;
	put.size = ctx->raw_size;
	put.collection_id = col->id;
	put.href = ctx->path.resource;
	put.old = exists ? &old : NULL;
	/* the item is written inside our transaction; the messages to
	   attendees go once it is committed (cal_dav_schedule()) */
	ret = cal_dav_put(store, ctx->srv->conf, &ctx->user, &put, ctx->pool, &result);
	if (ret < 0) {
		store_rollback(store);
		switch (result.error) {
		case CAL_DAV_INVALID:
			log_info("dav", "put refused user=%s href=%s: %s",
				 log_value(ctx->user.address), log_value(ctx->path.resource),
				 result.detail != NULL ? result.detail : "invalid");
			dav_send_error(ctx, 403, DAV_NS_CALDAV, "valid-calendar-object-resource");
			break;
		case CAL_DAV_UNSUPPORTED:
			dav_send_error(ctx, 403, DAV_NS_CALDAV, "supported-calendar-component");
			break;
		case CAL_DAV_UID_CONFLICT:
			dav_send_error(ctx, 409, DAV_NS_CALDAV, "no-uid-conflict");
			break;
		case CAL_DAV_TOO_LARGE:
			dav_send_error(ctx, 403, DAV_NS_CALDAV, "max-resource-size");
			break;
		default:
			dav_send_status(ctx, 503);
			break;
		}
		return;
	}
	if (store_commit(store) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	if (cal_dav_schedule(store, ctx->srv->conf, &ctx->user, &put, ctx->pool,
			     &result) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	if (result.stored_as_sent)
		web_response_header(ctx->req, "ETag", dav_etag(ctx->pool, result.modseq));
	web_response_header(ctx->req, "Schedule-Tag", dav_etag(ctx->pool, result.schedule_tag));
	dav_send_status(ctx, exists ? 204 : 201);
}

static void dav_put_card(struct dav_ctx *ctx, const struct store_dav_collection *col)
{
	struct store *store = ctx->srv->store;
	struct store_card old, card, other;
	struct vcard *vc;
	const char *error, *data;
	bool exists;
	int ret;

	if (!dav_content_type_ok(web_request_header(ctx->req, "Content-Type"),
				 "text/vcard") &&
	    !dav_content_type_ok(web_request_header(ctx->req, "Content-Type"),
				 "text/x-vcard")) {
		dav_send_error(ctx, 403, DAV_NS_CARDDAV, "supported-address-data");
		return;
	}
	data = p_strndup(ctx->pool, ctx->raw_body, ctx->raw_size);
	if (strlen(data) != ctx->raw_size ||
	    vcard_parse(ctx->pool, data, ctx->raw_size, &vc, &error) < 0 || vc->uid == NULL) {
		log_info("dav", "put refused user=%s href=%s: %s",
			 log_value(ctx->user.address), log_value(ctx->path.resource),
			 strlen(data) != ctx->raw_size ? "NUL in the data" :
			 vc == NULL ? error : "no UID");
		dav_send_error(ctx, 403, DAV_NS_CARDDAV, "valid-address-data");
		return;
	}
	if (store_begin(store) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	ret = store_card_lookup(store, col->id, ctx->path.resource, ctx->pool, &old);
	if (ret < 0)
		goto temp;
	exists = ret > 0;
	if (dav_preconditions(ctx, exists, exists ? old.modseq : 0, 0) < 0) {
		store_rollback(store);
		return;
	}
	/* RFC 6352 6.3.2.1: one UID, one card in the address book */
	ret = store_card_lookup_uid(store, col->id, vc->uid, ctx->pool, &other);
	if (ret < 0)
		goto temp;
	if (ret > 0 && (!exists || other.id != old.id)) {
		store_rollback(store);
		dav_send_error(ctx, 409, DAV_NS_CARDDAV, "no-uid-conflict");
		return;
	}
	memset(&card, 0, sizeof(card));
	card.id = exists ? old.id : 0;
	card.collection_id = col->id;
	card.href = ctx->path.resource;
	card.uid = vc->uid;
	card.fn = vc->fn;
	card.vcard = data;
	if (store_card_save(store, &card) < 0 || store_commit(store) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	web_response_header(ctx->req, "ETag", dav_etag(ctx->pool, card.modseq));
	dav_send_status(ctx, exists ? 204 : 201);
	return;
temp:
	store_rollback(store);
	dav_send_status(ctx, 503);
}

void dav_put(struct dav_ctx *ctx)
{
	struct store_dav_collection col;

	if (ctx->raw_size > DAV_MAX_RESOURCE_SIZE) {
		dav_send_error(ctx, 403, ctx->path.kind == DAV_PATH_CAL_OBJECT ?
			       DAV_NS_CALDAV : DAV_NS_CARDDAV, "max-resource-size");
		return;
	}
	if (!store_dav_href_valid(ctx->path.resource)) {
		dav_send_status(ctx, 403);
		return;
	}
	if (dav_collection_get(ctx, dav_kind(ctx), ctx->path.collection, &col) <= 0)
		return;
	if (col.kind == STORE_DAV_CALENDAR)
		dav_put_calendar(ctx, &col);
	else
		dav_put_card(ctx, &col);
}

void dav_delete(struct dav_ctx *ctx)
{
	struct store *store = ctx->srv->store;
	struct store_dav_collection col;
	struct store_dav_resource r;
	struct store_cal_item item;
	bool have_item = false;
	int ret;

	if (dav_collection_get(ctx, dav_kind(ctx), ctx->path.collection, &col) <= 0)
		return;
	ret = store_dav_resource_get(store, &col, ctx->path.resource, 0, ctx->pool, &r);
	if (ret <= 0) {
		dav_send_status(ctx, ret < 0 ? 503 : 404);
		return;
	}
	if (col.kind == STORE_DAV_CALENDAR &&
	    store_cal_item_lookup_id(store, r.id, ctx->pool, &item) > 0)
		have_item = true;
	if (dav_preconditions(ctx, true, r.modseq, have_item ? item.schedule_tag : 0) < 0)
		return;
	ret = store_dav_resource_delete(store, &col, ctx->path.resource, DAV_TOMBSTONES_KEEP);
	if (ret < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	/* after the delete is durable: the others hear of it once */
	if (ret > 0 && have_item)
		cal_dav_delete_notify(store, ctx->srv->conf, &ctx->user, &item);
	log_info("dav", "delete user=%s href=%s", log_value(ctx->user.address),
		 log_value(ctx->path.resource));
	dav_send_status(ctx, ret > 0 ? 204 : 404);
}

/*
 * MOVE and COPY of one resource (RFC 4918 9.8, 9.9) within the user's
 * collections of the same kind: how Apple Calendar and Evolution move an
 * event from one calendar to another. A calendar object cannot be
 * copied: its UID would then be in the user's calendars twice (RFC 4791
 * 5.3.2.1, RFC 6638 3.2.4.1).
 */
void dav_move_copy(struct dav_ctx *ctx, bool move)
{
	struct store *store = ctx->srv->store;
	const char *dest = web_request_header(ctx->req, "Destination");
	const char *overwrite = web_request_header(ctx->req, "Overwrite");
	struct store_dav_collection src, dst;
	struct store_dav_resource r, existing;
	struct dav_path to;
	bool replaced = false;
	int ret;

	if (dest == NULL || dav_path_parse(ctx->pool, dest, &to) < 0 ||
	    to.kind != ctx->path.kind) {
		/* elsewhere, or not a resource of the same kind */
		dav_send_status(ctx, dest == NULL ? 400 : 403);
		return;
	}
	if (!str_iequal(to.address, ctx->user.address)) {
		dav_send_status(ctx, 403);
		return;
	}
	if (!store_dav_href_valid(to.resource)) {
		dav_send_status(ctx, 403);
		return;
	}
	if (dav_collection_get(ctx, dav_kind(ctx), ctx->path.collection, &src) <= 0)
		return;
	ret = store_dav_resource_get(store, &src, ctx->path.resource, 0, ctx->pool, &r);
	if (ret <= 0) {
		dav_send_status(ctx, ret < 0 ? 503 : 404);
		return;
	}
	if (dav_preconditions(ctx, true, r.modseq, 0) < 0)
		return;
	if (store_dav_collection_lookup(store, ctx->user.id, dav_kind(ctx), to.collection,
					ctx->pool, &dst) <= 0) {
		/* RFC 4918 9.8.5: no such parent */
		dav_send_status(ctx, 409);
		return;
	}
	if (src.id == dst.id && strcmp(ctx->path.resource, to.resource) == 0) {
		dav_send_status(ctx, 403);
		return;
	}
	if (!move && src.kind == STORE_DAV_CALENDAR) {
		dav_send_error(ctx, 403, DAV_NS_CALDAV, "no-uid-conflict");
		return;
	}
	if (store_begin(store) < 0) {
		dav_send_status(ctx, 503);
		return;
	}
	ret = store_dav_resource_get(store, &dst, to.resource, 0, ctx->pool, &existing);
	if (ret < 0)
		goto temp;
	if (ret > 0) {
		if (overwrite != NULL && str_iequal(overwrite, "F")) {
			store_rollback(store);
			dav_send_status(ctx, 412);
			return;
		}
		if (store_dav_resource_delete(store, &dst, to.resource, DAV_TOMBSTONES_KEEP) < 0)
			goto temp;
		replaced = true;
	}
	if (move) {
		ret = store_dav_resource_move(store, &src, ctx->path.resource, &dst,
					      to.resource, DAV_TOMBSTONES_KEEP);
	} else {
		struct store_card card;

		ret = store_card_lookup(store, src.id, ctx->path.resource, ctx->pool, &card);
		if (ret > 0) {
			card.id = 0;
			card.collection_id = dst.id;
			card.href = to.resource;
			ret = store_card_save(store, &card) < 0 ? -1 : 1;
		}
	}
	if (ret < 0 && store_last_error(store) == STORE_ERROR_EXISTS) {
		store_rollback(store);
		dav_send_error(ctx, 409, src.kind == STORE_DAV_CALENDAR ? DAV_NS_CALDAV :
			       DAV_NS_CARDDAV, "no-uid-conflict");
		return;
	}
	if (ret <= 0 || store_commit(store) < 0) {
		if (ret <= 0)
			store_rollback(store);
		dav_send_status(ctx, 503);
		return;
	}
	log_info("dav", "%s user=%s from=%s/%s to=%s/%s", move ? "move" : "copy",
		 log_value(ctx->user.address), log_value(src.name),
		 log_value(ctx->path.resource), log_value(dst.name), log_value(to.resource));
	dav_send_status(ctx, replaced ? 204 : 201);
	return;
temp:
	store_rollback(store);
	dav_send_status(ctx, 503);
}
