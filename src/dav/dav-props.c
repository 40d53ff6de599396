/*
 * Live properties, by resource kind: the discovery set of RFC 4918,
 * 5397, 3744 (privileges), 4791, 6352, 6578, 6638 and the two that every
 * client still asks for without an RFC (CalendarServer's getctag, Apple's
 * calendar-color). A property a resource does not have is a 404 in its
 * propstat, never an error of the whole request (RFC 4918 9.1).
 */
#include "dav-private.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

/* bits of dav_path_kind, for the table */
#define K(kind) (1u << (kind))
#define K_COLLECTIONS (K(DAV_PATH_CALENDAR) | K(DAV_PATH_ADDRESSBOOK))
#define K_RESOURCES (K(DAV_PATH_CAL_OBJECT) | K(DAV_PATH_CARD))
#define K_HOMES (K(DAV_PATH_CAL_HOME) | K(DAV_PATH_CARD_HOME))
#define K_SCHED (K(DAV_PATH_SCHED_INBOX) | K(DAV_PATH_SCHED_OUTBOX))
#define K_ALL 0xffffu

typedef int dav_prop_get(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out);

struct dav_prop_def {
	const char *ns;
	const char *name;
	unsigned int kinds;
	bool allprop;
	dav_prop_get *get;
};

static const char *principal_href(struct dav_ctx *ctx)
{
	return dav_path_href(ctx->pool, DAV_PATH_PRINCIPAL, ctx->user.address,
			     NULL, NULL);
}

static void href(struct buffer *out, const char *h)
{
	buffer_append_str(out, "<D:href>");
	dav_xml_escape(out, h);
	buffer_append_str(out, "</D:href>");
}

static int get_resourcetype(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	switch (res->kind) {
	case DAV_PATH_CAL_OBJECT:
	case DAV_PATH_CARD:
		break;
	case DAV_PATH_PRINCIPAL:
		buffer_append_str(out, "<D:collection/><D:principal/>");
		break;
	case DAV_PATH_CALENDAR:
		buffer_append_str(out, "<D:collection/><C:calendar/>");
		break;
	case DAV_PATH_ADDRESSBOOK:
		buffer_append_str(out, "<D:collection/><CR:addressbook/>");
		break;
	case DAV_PATH_SCHED_INBOX:
		buffer_append_str(out, "<D:collection/><C:schedule-inbox/>");
		break;
	case DAV_PATH_SCHED_OUTBOX:
		buffer_append_str(out, "<D:collection/><C:schedule-outbox/>");
		break;
	default:
		buffer_append_str(out, "<D:collection/>");
		break;
	}
	return 1;
}

static int get_displayname(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	switch (res->kind) {
	case DAV_PATH_CALENDAR:
	case DAV_PATH_ADDRESSBOOK:
		dav_xml_escape(out, res->col->displayname != NULL ?
			       res->col->displayname : res->col->name);
		return 1;
	case DAV_PATH_PRINCIPAL:
		dav_xml_escape(out, ctx->user.address);
		return 1;
	case DAV_PATH_SCHED_INBOX:
		buffer_append_str(out, "Inbox");
		return 1;
	case DAV_PATH_SCHED_OUTBOX:
		buffer_append_str(out, "Outbox");
		return 1;
	default:
		return 0;
	}
}

static int get_etag(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (res->kind == DAV_PATH_CAL_OBJECT || res->kind == DAV_PATH_CARD) {
		dav_xml_escape(out, dav_etag(ctx->pool, res->modseq));
		return 1;
	}
	return 0;
}

static int get_contenttype(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	if (res->kind == DAV_PATH_CAL_OBJECT)
		buffer_append_str(out, "text/calendar; charset=utf-8; component=vevent");
	else if (res->kind == DAV_PATH_CARD)
		buffer_append_str(out, "text/vcard; charset=utf-8");
	else
		return 0;
	return 1;
}

static int get_contentlength(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (dav_resource_load(ctx, res) < 0)
		return 0;
	buffer_printf(out, "%zu", res->size);
	return 1;
}

static int get_current_user_principal(struct dav_ctx *ctx, struct dav_res *res,
				      struct buffer *out)
{
	(void)res;
	href(out, principal_href(ctx));
	return 1;
}

static int get_principal_url(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)res;
	href(out, principal_href(ctx));
	return 1;
}

static int get_principal_collection_set(struct dav_ctx *ctx, struct dav_res *res,
					struct buffer *out)
{
	(void)ctx;
	(void)res;
	href(out, "/dav/principals/");
	return 1;
}

static int get_owner(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (res->kind == DAV_PATH_ROOT || res->kind == DAV_PATH_PRINCIPALS)
		return 0;
	href(out, principal_href(ctx));
	return 1;
}

static int get_privileges(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	static const char *const own[] = {
		"D:read", "D:write", "D:write-properties", "D:write-content",
		"D:bind", "D:unbind", "D:read-current-user-privilege-set",
		"D:read-acl", "C:read-free-busy",
	};

	(void)ctx;
	if (res->kind == DAV_PATH_ROOT || res->kind == DAV_PATH_PRINCIPALS) {
		buffer_append_str(out, "<D:privilege><D:read/></D:privilege>"
				  "<D:privilege><D:read-current-user-privilege-set/></D:privilege>");
		return 1;
	}
	buffer_append_str(out, "<D:privilege><D:all/></D:privilege>");
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		buffer_printf(out, "<D:privilege><%s/></D:privilege>", own[i]);
	/* RFC 6638 6.1: who may send and deliver scheduling messages */
	if (res->kind == DAV_PATH_SCHED_OUTBOX)
		buffer_append_str(out, "<D:privilege><C:schedule-send/></D:privilege>"
				  "<D:privilege><C:schedule-send-invite/></D:privilege>"
				  "<D:privilege><C:schedule-send-reply/></D:privilege>"
				  "<D:privilege><C:schedule-send-freebusy/></D:privilege>");
	if (res->kind == DAV_PATH_SCHED_INBOX)
		buffer_append_str(out, "<D:privilege><C:schedule-deliver/></D:privilege>"
				  "<D:privilege><C:schedule-deliver-invite/></D:privilege>"
				  "<D:privilege><C:schedule-deliver-reply/></D:privilege>"
				  "<D:privilege><C:schedule-query-freebusy/></D:privilege>");
	return 1;
}

static int get_supported_reports(struct dav_ctx *ctx, struct dav_res *res,
				 struct buffer *out)
{
	static const char *const cal[] = {
		"C:calendar-multiget", "C:calendar-query", "C:free-busy-query",
		"D:sync-collection",
	};
	static const char *const card[] = {
		"CR:addressbook-multiget", "CR:addressbook-query", "D:sync-collection",
	};
	const char *const *list;
	size_t n;

	(void)ctx;
	if (res->kind == DAV_PATH_CALENDAR) {
		list = cal;
		n = sizeof(cal) / sizeof(cal[0]);
	} else if (res->kind == DAV_PATH_ADDRESSBOOK) {
		list = card;
		n = sizeof(card) / sizeof(card[0]);
	} else {
		return 1; /* an empty set: nothing to REPORT here */
	}
	for (size_t i = 0; i < n; i++)
		buffer_printf(out, "<D:supported-report><D:report><%s/></D:report>"
			      "</D:supported-report>", list[i]);
	return 1;
}

static int get_sync_token(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	dav_xml_escape(out, dav_sync_token(ctx->pool, res->col, res->col->modseq));
	return 1;
}

static int get_ctag(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	dav_xml_escape(out, dav_etag(ctx->pool, res->col->modseq));
	return 1;
}

static int get_cal_home(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)res;
	href(out, dav_path_href(ctx->pool, DAV_PATH_CAL_HOME, ctx->user.address, NULL, NULL));
	return 1;
}

static int get_card_home(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)res;
	href(out, dav_path_href(ctx->pool, DAV_PATH_CARD_HOME, ctx->user.address, NULL, NULL));
	return 1;
}

static int get_user_address_set(struct dav_ctx *ctx, struct dav_res *res,
				struct buffer *out)
{
	(void)res;
	href(out, p_printf(ctx->pool, "mailto:%s", ctx->user.address));
	href(out, principal_href(ctx));
	return 1;
}

static int get_user_type(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	(void)res;
	buffer_append_str(out, "INDIVIDUAL");
	return 1;
}

static int get_inbox_url(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)res;
	href(out, dav_path_href(ctx->pool, DAV_PATH_SCHED_INBOX, ctx->user.address,
				NULL, NULL));
	return 1;
}

static int get_outbox_url(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)res;
	href(out, dav_path_href(ctx->pool, DAV_PATH_SCHED_OUTBOX, ctx->user.address,
				NULL, NULL));
	return 1;
}

static int get_default_calendar(struct dav_ctx *ctx, struct dav_res *res,
				struct buffer *out)
{
	(void)res;
	href(out, dav_path_href(ctx->pool, DAV_PATH_CALENDAR, ctx->user.address,
				"calendar", NULL));
	return 1;
}

static int get_description(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	if (res->col->description == NULL)
		return 0;
	dav_xml_escape(out, res->col->description);
	return 1;
}

static int get_color(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	if (res->kind != DAV_PATH_CALENDAR || res->col->color == NULL)
		return 0;
	dav_xml_escape(out, res->col->color);
	return 1;
}

static int get_components(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	(void)res;
	/* every item is a meeting or an appointment: events only, said
	   honestly, so clients keep their tasks elsewhere */
	buffer_append_str(out, "<C:comp name=\"VEVENT\"/>");
	return 1;
}

static int get_cal_data_types(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	(void)res;
	buffer_append_str(out, "<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>");
	return 1;
}

static int get_card_data_types(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	(void)res;
	buffer_append_str(out, "<CR:address-data-type content-type=\"text/vcard\" version=\"3.0\"/>"
			  "<CR:address-data-type content-type=\"text/vcard\" version=\"4.0\"/>");
	return 1;
}

static int get_max_size(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	(void)ctx;
	(void)res;
	buffer_printf(out, "%d", DAV_MAX_RESOURCE_SIZE);
	return 1;
}

static int get_schedule_tag(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (res->kind != DAV_PATH_CAL_OBJECT)
		return 0;
	if (res->schedule_tag == 0 && res->id != 0) {
		/* listings do not read it: only when asked */
		struct store_cal_item item;

		if (store_cal_item_lookup_id(ctx->srv->store, res->id, ctx->pool, &item) > 0)
			res->schedule_tag = item.schedule_tag;
	}
	if (res->schedule_tag == 0)
		return 0;
	dav_xml_escape(out, dav_etag(ctx->pool, res->schedule_tag));
	return 1;
}

static int get_calendar_data(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (res->kind != DAV_PATH_CAL_OBJECT || dav_resource_load(ctx, res) < 0)
		return 0;
	dav_xml_escape(out, res->data);
	return 1;
}

static int get_address_data(struct dav_ctx *ctx, struct dav_res *res, struct buffer *out)
{
	if (res->kind != DAV_PATH_CARD || dav_resource_load(ctx, res) < 0)
		return 0;
	dav_xml_escape(out, res->data);
	return 1;
}

#define P_PRINCIPAL K(DAV_PATH_PRINCIPAL)

static const struct dav_prop_def dav_props[] = {
	{ DAV_NS_DAV, "resourcetype", K_ALL, true, get_resourcetype },
	{ DAV_NS_DAV, "displayname", K_COLLECTIONS | P_PRINCIPAL | K_SCHED, true, get_displayname },
	{ DAV_NS_DAV, "getetag", K_RESOURCES, true, get_etag },
	{ DAV_NS_DAV, "getcontenttype", K_RESOURCES, true, get_contenttype },
	{ DAV_NS_DAV, "getcontentlength", K_RESOURCES, true, get_contentlength },
	{ DAV_NS_DAV, "current-user-principal", K_ALL, false, get_current_user_principal },
	{ DAV_NS_DAV, "principal-URL", P_PRINCIPAL, false, get_principal_url },
	{ DAV_NS_DAV, "principal-collection-set", K_ALL, false, get_principal_collection_set },
	{ DAV_NS_DAV, "owner", K_ALL, false, get_owner },
	{ DAV_NS_DAV, "current-user-privilege-set", K_ALL, false, get_privileges },
	{ DAV_NS_DAV, "supported-report-set", K_ALL, false, get_supported_reports },
	{ DAV_NS_DAV, "sync-token", K_COLLECTIONS, false, get_sync_token },
	{ DAV_NS_CS, "getctag", K_COLLECTIONS, false, get_ctag },
	{ DAV_NS_CALDAV, "calendar-home-set", P_PRINCIPAL, false, get_cal_home },
	{ DAV_NS_CALDAV, "calendar-user-address-set", P_PRINCIPAL, false, get_user_address_set },
	{ DAV_NS_CALDAV, "calendar-user-type", P_PRINCIPAL, false, get_user_type },
	{ DAV_NS_CALDAV, "schedule-inbox-URL", P_PRINCIPAL, false, get_inbox_url },
	{ DAV_NS_CALDAV, "schedule-outbox-URL", P_PRINCIPAL, false, get_outbox_url },
	{ DAV_NS_CALDAV, "schedule-default-calendar-URL", K(DAV_PATH_SCHED_INBOX), false,
	  get_default_calendar },
	{ DAV_NS_CALDAV, "calendar-description", K(DAV_PATH_CALENDAR), false, get_description },
	{ DAV_NS_APPLE, "calendar-color", K(DAV_PATH_CALENDAR), false, get_color },
	{ DAV_NS_CALDAV, "supported-calendar-component-set", K(DAV_PATH_CALENDAR) | K_SCHED,
	  false, get_components },
	{ DAV_NS_CALDAV, "supported-calendar-data", K(DAV_PATH_CALENDAR), false,
	  get_cal_data_types },
	{ DAV_NS_CALDAV, "max-resource-size", K(DAV_PATH_CALENDAR), false, get_max_size },
	{ DAV_NS_CALDAV, "schedule-tag", K(DAV_PATH_CAL_OBJECT), false, get_schedule_tag },
	{ DAV_NS_CALDAV, "calendar-data", K(DAV_PATH_CAL_OBJECT), false, get_calendar_data },
	{ DAV_NS_CARDDAV, "addressbook-home-set", P_PRINCIPAL, false, get_card_home },
	{ DAV_NS_CARDDAV, "addressbook-description", K(DAV_PATH_ADDRESSBOOK), false,
	  get_description },
	{ DAV_NS_CARDDAV, "supported-address-data", K(DAV_PATH_ADDRESSBOOK), false,
	  get_card_data_types },
	{ DAV_NS_CARDDAV, "max-resource-size", K(DAV_PATH_ADDRESSBOOK), false, get_max_size },
	{ DAV_NS_CARDDAV, "address-data", K(DAV_PATH_CARD), false, get_address_data },
};

#define DAV_PROP_COUNT (sizeof(dav_props) / sizeof(dav_props[0]))

static const struct dav_prop_def *dav_prop_find(const struct dav_prop_name *name)
{
	for (size_t i = 0; i < DAV_PROP_COUNT; i++) {
		if (dav_prop_is(name, dav_props[i].ns, dav_props[i].name))
			return &dav_props[i];
	}
	return NULL;
}

static void propstat(struct buffer *out, struct buffer *props, int status)
{
	if (props->used == 0)
		return;
	buffer_append_str(out, "<D:propstat><D:prop>");
	buffer_append(out, props->data, props->used);
	buffer_printf(out, "</D:prop><D:status>%s</D:status></D:propstat>",
		      dav_status_line(status));
}

void dav_props_response(struct dav_ctx *ctx, struct dav_res *res)
{
	struct buffer found, missing;
	const struct dav_body *b = &ctx->body;
	unsigned int kind_bit = K(res->kind);

	buffer_init_pool(&found, ctx->pool, 0);
	buffer_init_pool(&missing, ctx->pool, 0);
	if (b->propfind == DAV_PROPFIND_PROPNAME) {
		for (size_t i = 0; i < DAV_PROP_COUNT; i++) {
			struct dav_prop_name n = { dav_props[i].ns, dav_props[i].name };

			if ((dav_props[i].kinds & kind_bit) != 0)
				dav_prop_open(&found, &n, true);
		}
	} else if (b->propfind == DAV_PROPFIND_ALLPROP) {
		for (size_t i = 0; i < DAV_PROP_COUNT; i++) {
			struct dav_prop_name n = { dav_props[i].ns, dav_props[i].name };
			size_t mark = found.used;

			if (!dav_props[i].allprop || (dav_props[i].kinds & kind_bit) == 0)
				continue;
			dav_prop_open(&found, &n, false);
			if (dav_props[i].get(ctx, res, &found) > 0)
				dav_prop_close(&found, &n);
			else
				buffer_truncate(&found, mark);
		}
	}
	/* named ones (PROPFIND prop, a REPORT's prop, allprop's include) */
	if (b->propfind != DAV_PROPFIND_PROPNAME) {
		for (unsigned int i = 0; i < b->prop_count; i++) {
			const struct dav_prop_name *n = &b->props[i];
			const struct dav_prop_def *def = dav_prop_find(n);
			size_t mark = found.used;

			if (b->propfind == DAV_PROPFIND_ALLPROP && def != NULL && def->allprop)
				continue; /* already there */
			if (def != NULL && (def->kinds & kind_bit) != 0) {
				dav_prop_open(&found, n, false);
				if (def->get(ctx, res, &found) > 0) {
					dav_prop_close(&found, n);
					continue;
				}
				buffer_truncate(&found, mark);
			}
			dav_prop_open(&missing, n, true);
		}
	}
	buffer_append_str(ctx->out, "<D:response><D:href>");
	dav_xml_escape(ctx->out, res->href);
	buffer_append_str(ctx->out, "</D:href>");
	propstat(ctx->out, &found, 200);
	if (!ctx->brief)
		propstat(ctx->out, &missing, 404);
	if (found.used == 0 && (ctx->brief || missing.used == 0))
		buffer_printf(ctx->out, "<D:propstat><D:prop/><D:status>%s</D:status></D:propstat>",
			      dav_status_line(200));
	buffer_append_str(ctx->out, "</D:response>\n");
}

/* --- PROPPATCH --- */

/* Can this property be set on this collection? */
static bool dav_prop_writable(const struct dav_res *res, const struct dav_prop_name *n)
{
	if (res->kind != DAV_PATH_CALENDAR && res->kind != DAV_PATH_ADDRESSBOOK)
		return false;
	if (dav_prop_is(n, DAV_NS_DAV, "displayname"))
		return true;
	if (res->kind == DAV_PATH_CALENDAR)
		return dav_prop_is(n, DAV_NS_CALDAV, "calendar-description") ||
			dav_prop_is(n, DAV_NS_APPLE, "calendar-color");
	return dav_prop_is(n, DAV_NS_CARDDAV, "addressbook-description");
}

#define DAV_PROP_TEXT_MAX 1024

static int dav_props_store(struct dav_ctx *ctx, const struct store_dav_collection *col,
			   const struct dav_res *res, const struct dav_prop_name **bad_r)
{
	const char *displayname = NULL, *color = NULL, *description = NULL;

	for (unsigned int i = 0; i < ctx->body.value_count; i++) {
		const struct dav_prop_value *v = &ctx->body.values[i];
		const char *text = v->remove ? "" : v->text;

		/* resourcetype and the component set are given at creation;
		   we take them as they are (events only) */
		if (dav_prop_is(&v->name, DAV_NS_DAV, "resourcetype") ||
		    dav_prop_is(&v->name, DAV_NS_CALDAV, "supported-calendar-component-set"))
			continue;
		if (!dav_prop_writable(res, &v->name) || strlen(text) > DAV_PROP_TEXT_MAX) {
			*bad_r = &v->name;
			return -1;
		}
		if (dav_prop_is(&v->name, DAV_NS_DAV, "displayname"))
			displayname = text;
		else if (dav_prop_is(&v->name, DAV_NS_APPLE, "calendar-color"))
			color = text;
		else
			description = text;
	}
	if (displayname == NULL && color == NULL && description == NULL)
		return 0;
	return store_dav_collection_set_props(ctx->srv->store, col->id, displayname,
					      color, description);
}

int dav_props_apply(struct dav_ctx *ctx, const struct store_dav_collection *col,
		    const struct dav_prop_name **bad_r)
{
	struct dav_res res;

	memset(&res, 0, sizeof(res));
	res.kind = col->kind == STORE_DAV_CALENDAR ? DAV_PATH_CALENDAR : DAV_PATH_ADDRESSBOOK;
	res.col = col;
	*bad_r = NULL;
	return dav_props_store(ctx, col, &res, bad_r);
}

void dav_proppatch(struct dav_ctx *ctx, struct dav_res *res)
{
	const struct dav_prop_name *bad = NULL;
	struct buffer ok, failed;
	int status, ret;

	if (!dav_prop_is(&ctx->body.root, DAV_NS_DAV, "propertyupdate")) {
		dav_send_error(ctx, 400, NULL, NULL);
		return;
	}
	if (res->col == NULL) {
		/* principals and homes have nothing to write */
		ret = -1;
		bad = ctx->body.value_count > 0 ? &ctx->body.values[0].name : NULL;
	} else {
		ret = dav_props_store(ctx, res->col, res, &bad);
	}
	if (ret < 0 && bad == NULL && ctx->body.value_count > 0) {
		dav_send_status(ctx, 500);
		return;
	}
	/* RFC 4918 9.2: all or nothing; the rest of a failed one is 424 */
	buffer_init_pool(&ok, ctx->pool, 0);
	buffer_init_pool(&failed, ctx->pool, 0);
	for (unsigned int i = 0; i < ctx->body.value_count; i++) {
		const struct dav_prop_name *n = &ctx->body.values[i].name;

		if (bad != NULL && n == bad)
			dav_prop_open(&failed, n, true);
		else
			dav_prop_open(&ok, n, true);
	}
	status = ret < 0 ? 424 : 200;
	buffer_reset(ctx->out);
	dav_ms_begin(ctx->out);
	buffer_append_str(ctx->out, "<D:response><D:href>");
	dav_xml_escape(ctx->out, res->href);
	buffer_append_str(ctx->out, "</D:href>");
	propstat(ctx->out, &ok, status);
	propstat(ctx->out, &failed, 403);
	buffer_append_str(ctx->out, "</D:response>\n");
	dav_ms_end(ctx->out);
	dav_send_xml(ctx, 207);
}
