/*
 * REPORTs: calendar-multiget, calendar-query (RFC 4791 7.8, 7.9),
 * free-busy-query (7.10), addressbook-multiget and -query (RFC 6352 8.6,
 * 8.7) and sync-collection (RFC 6578).
 *
 * calendar-query's time-range is answered from the occurrences, with
 * recurrence expanded by libical (cal_expand(), bounded), after a first
 * cut by the series' stored span. prop-filters read the object's own
 * lines (unfolded), within the component they name.
 */
#include "dav-private.h"
#include "cal.h"
#include "imip-instances.h"
#include "log.h"
#include "pool.h"
#include "strutil.h"
#include "vcard.h"

#include <string.h>
#include <time.h>

/* --- matching text (RFC 4790 collations as RFC 4791 9.7.5 uses them) --- */

static bool dav_text_match(const char *value, const struct dav_text_match *tm)
{
	size_t vlen = strlen(value), nlen = strlen(tm->text);
	bool found = false;

	switch (tm->match) {
	case DAV_MATCH_EQUALS:
		found = vlen == nlen && (tm->casemap ? mem_iequal(value, tm->text, nlen) :
					 memcmp(value, tm->text, nlen) == 0);
		break;
	case DAV_MATCH_STARTS_WITH:
		found = vlen >= nlen && (tm->casemap ? mem_iequal(value, tm->text, nlen) :
					 memcmp(value, tm->text, nlen) == 0);
		break;
	case DAV_MATCH_ENDS_WITH:
		found = vlen >= nlen &&
			(tm->casemap ? mem_iequal(value + vlen - nlen, tm->text, nlen) :
			 memcmp(value + vlen - nlen, tm->text, nlen) == 0);
		break;
	case DAV_MATCH_CONTAINS:
		found = nlen == 0 || (tm->casemap ?
				      mem_imem(value, vlen, tm->text, nlen) != NULL :
				      memmem(value, vlen, tm->text, nlen) != NULL);
		break;
	}
	return found != tm->negate;
}

/* --- the lines of an iCalendar object --- */

struct ical_line {
	const char *name;    /* upper-cased property name */
	const char *params;  /* ";A=B;C=D" or "" */
	const char *value;
};

/* Unfold (RFC 5545 3.1) and split the lines of component comp (e.g.
   "VEVENT"; each occurrence of it) into name, params, value. */
static unsigned int ical_lines(struct pool *pool, const char *ical, const char *comp,
			       struct ical_line **lines_r)
{
	struct ical_line *lines = NULL;
	unsigned int count = 0, alloc = 0, depth = 0;
	bool inside = false;
	const char *p = ical;

	while (*p != '\0') {
		struct buffer line;
		const char *colon, *semi;
		char *text;

		buffer_init_pool(&line, pool, 0);
		for (;;) {
			size_t n = strcspn(p, "\r\n");

			buffer_append(&line, p, n);
			p += n;
			if (*p == '\r')
				p++;
			if (*p == '\n')
				p++;
			if (*p != ' ' && *p != '\t')
				break;
			p++;
		}
		buffer_append_c(&line, '\0');
		text = (char *)line.data;
		if (str_begins_icase(text, "BEGIN:")) {
			if (inside)
				depth++;
			else if (str_iequal(text + 6, comp))
				inside = true;
			continue;
		}
		if (str_begins_icase(text, "END:")) {
			if (inside && depth > 0)
				depth--;
			else if (inside)
				inside = false;
			continue;
		}
		if (!inside || depth > 0)
			continue;
		colon = strchr(text, ':');
		semi = strchr(text, ';');
		if (colon == NULL)
			continue;
		if (semi != NULL && semi > colon)
			semi = NULL;
		lines = p_grow(pool, lines, sizeof(*lines), count, &alloc, 16);
		lines[count].value = colon + 1;
		lines[count].params = semi != NULL ?
			p_strndup(pool, semi, (size_t)(colon - semi)) : "";
		{
			char *name = p_strndup(pool, text, (size_t)((semi != NULL ? semi : colon) - text));

			for (char *c = name; *c != '\0'; c++) {
				if (*c >= 'a' && *c <= 'z')
					*c = (char)(*c - 'a' + 'A');
			}
			lines[count].name = name;
		}
		count++;
	}
	*lines_r = lines;
	return count;
}

/* The value of parameter name in ";A=B;C=D", or NULL. */
static const char *ical_param(struct pool *pool, const char *params, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = params;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		if (mem_iequal(p, name, nlen) && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t len;

			if (*v == '"') {
				v++;
				len = strcspn(v, "\"");
			} else {
				len = strcspn(v, ";:");
			}
			return p_strndup(pool, v, len);
		}
	}
	return NULL;
}

/* A TEXT value with its escapes undone (RFC 5545 3.3.11): "\\," is ",". */
static const char *ical_unescape(struct pool *pool, const char *value)
{
	char *out, *o;

	if (strchr(value, '\\') == NULL)
		return value;
	out = o = p_malloc(pool, strlen(value) + 1);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			*o++ = *p == 'n' || *p == 'N' ? '\n' : *p;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static bool dav_prop_filter_match(struct pool *pool, const struct ical_line *lines,
				  unsigned int count, const struct dav_prop_filter *pf)
{
	bool defined = false;

	for (unsigned int i = 0; i < count; i++) {
		const char *value;
		bool ok = true;

		if (strcmp(lines[i].name, pf->name) != 0)
			continue;
		defined = true;
		/* RFC 4791 9.7.5 matches the value, not its escaped form */
		value = ical_unescape(pool, lines[i].value);
		for (unsigned int t = 0; t < pf->text_count && ok; t++)
			ok = dav_text_match(value, &pf->texts[t]);
		for (unsigned int a = 0; a < pf->param_count && ok; a++) {
			const char *v = ical_param(pool, lines[i].params, pf->params[a].name);

			if (pf->params[a].is_not_defined)
				ok = v == NULL;
			else if (v == NULL)
				ok = false;
			else if (pf->params[a].text.set)
				ok = dav_text_match(v, &pf->params[a].text);
		}
		if (ok && !pf->is_not_defined)
			return true;
	}
	if (pf->is_not_defined)
		return !defined;
	return false;
}

/* --- calendar-query --- */

struct dav_overlap {
	bool found;
};

static void dav_overlap_cb(void *context, const struct store_cal_item *item,
			   time_t start, time_t end)
{
	struct dav_overlap *o = context;

	(void)item;
	(void)start;
	(void)end;
	o->found = true;
}

/* RFC 4791 9.9: does some occurrence overlap the range? */
static bool dav_time_range_match(struct dav_ctx *ctx, const struct store_cal_item *item,
				 const struct dav_time_range *range)
{
	struct dav_overlap o = { false };
	time_t start = range->start != 0 ? range->start : (time_t)1;
	time_t end = range->end != 0 ? range->end : (time_t)253402300799; /* 9999 */

	if (item->dtstart != 0 && item->dtstart >= end)
		return false;
	if (item->dtend != 0 && item->dtend <= start &&
	    !(item->dtend == item->dtstart && item->dtstart >= start))
		return false;
	if (cal_expand(ctx->pool, item, start, end, dav_overlap_cb, &o) < 0)
		return item->dtstart < end && (item->dtend == 0 || item->dtend > start);
	return o.found;
}

static bool dav_calendar_match(struct dav_ctx *ctx, const struct store_cal_item *item)
{
	const struct dav_comp_filter *top = ctx->body.comp_filter;

	if (top == NULL)
		return true;
	if (strcmp(top->name, "VCALENDAR") != 0)
		return false;
	if (top->is_not_defined)
		return false;
	for (unsigned int i = 0; i < top->comp_count; i++) {
		const struct dav_comp_filter *cf = &top->comps[i];
		bool is_event = strcmp(cf->name, "VEVENT") == 0;
		struct ical_line *lines;
		unsigned int count;

		/* every object here is VEVENTs */
		if (cf->is_not_defined) {
			if (is_event)
				return false;
			continue;
		}
		if (!is_event)
			return false;
		if (cf->range.set && !dav_time_range_match(ctx, item, &cf->range))
			return false;
		if (cf->prop_count == 0)
			continue;
		count = ical_lines(ctx->pool, item->ical, "VEVENT", &lines);
		for (unsigned int p = 0; p < cf->prop_count; p++) {
			if (!dav_prop_filter_match(ctx->pool, lines, count, &cf->props[p]))
				return false;
		}
	}
	return true;
}

/* --- shared output --- */

static void dav_report_item(struct dav_ctx *ctx, const struct store_dav_collection *col,
			    const struct store_cal_item *item)
{
	struct dav_res res;

	memset(&res, 0, sizeof(res));
	res.kind = DAV_PATH_CAL_OBJECT;
	res.address = ctx->user.address;
	res.col = col;
	res.name = item->href;
	res.modseq = item->modseq;
	res.schedule_tag = item->schedule_tag;
	res.id = item->id;
	res.data = item->ical;
	/* RFC 4791 9.6.5, 9.6.6: what calendar-data asked for */
	if (ctx->body.expand.set || ctx->body.limit_set.set) {
		const struct dav_time_range *r = ctx->body.expand.set ?
			&ctx->body.expand : &ctx->body.limit_set;
		const char *text, *error;

		if ((ctx->body.expand.set ?
		     imip_instances_expand(ctx->pool, item->ical, r->start, r->end, &text, &error) :
		     imip_instances_limit(ctx->pool, item->ical, r->start, r->end, &text, &error)) == 0)
			res.data = text;
	}
	res.size = strlen(res.data);
	res.href = dav_path_href(ctx->pool, DAV_PATH_CAL_OBJECT, ctx->user.address,
				 col->name, item->href);
	dav_props_response(ctx, &res);
}

static void dav_report_card(struct dav_ctx *ctx, const struct store_dav_collection *col,
			    const struct store_card *card)
{
	struct dav_res res;

	memset(&res, 0, sizeof(res));
	res.kind = DAV_PATH_CARD;
	res.address = ctx->user.address;
	res.col = col;
	res.name = card->href;
	res.modseq = card->modseq;
	res.id = card->id;
	res.data = card->vcard;
	res.size = strlen(card->vcard);
	res.href = dav_path_href(ctx->pool, DAV_PATH_CARD, ctx->user.address,
				 col->name, card->href);
	dav_props_response(ctx, &res);
}

struct dav_query_ctx {
	struct dav_ctx *ctx;
	const struct store_dav_collection *col;
	unsigned int matched;
	bool truncated;
	int error;
};

static int dav_query_cb(void *context, const struct store_dav_resource *r)
{
	struct dav_query_ctx *q = context;
	struct dav_ctx *ctx = q->ctx;
	struct store_cal_item item;
	const struct dav_comp_filter *top = ctx->body.comp_filter;

	/* The stored span (a series' whole span, dtend 0 when it has no
	   end) is a quick first cut for a plain time-range, on both sides:
	   what starts after the range or ends before it is never read. */
	if (top != NULL && top->comp_count == 1 && top->comps[0].range.set) {
		const struct dav_time_range *range = &top->comps[0].range;

		if (range->end != 0 && r->dtstart != 0 && r->dtstart >= range->end)
			return 0;
		if (range->start != 0 && r->dtend != 0 && r->dtend <= range->start &&
		    !(r->dtend == r->dtstart && r->dtstart >= range->start))
			return 0;
	}
	if (store_cal_item_lookup_id(ctx->srv->store, r->id, ctx->pool, &item) <= 0)
		return 0;
	if (!dav_calendar_match(ctx, &item) && !imip_expand_request_over())
		return 0;
	/* the request's time for recurrence is used up: what is left is
	   not answered (507 for the request-URI), rather than answered
	   wrong or by holding the loop */
	if (imip_expand_request_over()) {
		q->truncated = true;
		return 1;
	}
	if (ctx->body.limit != 0 && q->matched >= ctx->body.limit) {
		q->truncated = true;
		return 1;
	}
	q->matched++;
	dav_report_item(ctx, q->col, &item);
	return 0;
}

static int dav_card_query_cb(void *context, const struct store_card *card)
{
	struct dav_query_ctx *q = context;
	struct dav_ctx *ctx = q->ctx;
	const struct dav_body *b = &ctx->body;
	struct vcard *vc;
	const char *error;
	bool any = false, all = true;

	if (b->card_filter_count > 0) {
		if (vcard_parse(ctx->pool, card->vcard, strlen(card->vcard), &vc, &error) < 0)
			return 0;
		for (unsigned int f = 0; f < b->card_filter_count; f++) {
			const struct dav_prop_filter *pf = &b->card_filters[f];
			bool defined = false, hit = false;

			for (unsigned int i = 0; i < vc->prop_count; i++) {
				const struct vcard_prop *prop = &vc->props[i];
				const char *value;
				bool ok = pf->all_of;

				if (!str_iequal(prop->name, pf->name))
					continue;
				defined = true;
				value = vcard_unescape(ctx->pool, prop->value);
				if (pf->text_count == 0)
					ok = true;
				for (unsigned int t = 0; t < pf->text_count; t++) {
					bool m = dav_text_match(value, &pf->texts[t]);

					ok = pf->all_of ? ok && m : ok || m;
				}
				if (ok)
					hit = true;
			}
			if (pf->is_not_defined)
				hit = !defined;
			any = any || hit;
			all = all && hit;
		}
		if (!(b->card_filter_all_of ? all : any))
			return 0;
	}
	if (b->limit != 0 && q->matched >= b->limit) {
		q->truncated = true;
		return 1;
	}
	q->matched++;
	dav_report_card(ctx, q->col, card);
	return 0;
}

/* The request-URI's response saying the answer was cut (RFC 5323 5.17,
   RFC 6578 3.6). */
static void dav_report_truncated(struct dav_ctx *ctx)
{
	dav_ms_status(ctx->out, dav_path_href(ctx->pool, ctx->path.kind, ctx->user.address,
					      ctx->path.collection, NULL), 507);
}

static void dav_multiget(struct dav_ctx *ctx, const struct store_dav_collection *col)
{
	const struct dav_body *b = &ctx->body;

	for (unsigned int i = 0; i < b->href_count; i++) {
		struct dav_path path;
		bool ours;

		ours = dav_path_parse(ctx->pool, b->hrefs[i], &path) == 0 &&
			(path.kind == DAV_PATH_CAL_OBJECT || path.kind == DAV_PATH_CARD) &&
			str_iequal(path.address, ctx->user.address) &&
			strcmp(path.collection, col->name) == 0;
		if (ours && col->kind == STORE_DAV_CALENDAR && path.kind == DAV_PATH_CAL_OBJECT) {
			struct store_cal_item item;

			if (store_cal_item_lookup_href(ctx->srv->store, col->id, path.resource,
						       ctx->pool, &item) > 0) {
				dav_report_item(ctx, col, &item);
				continue;
			}
		} else if (ours && col->kind == STORE_DAV_ADDRESSBOOK && path.kind == DAV_PATH_CARD) {
			struct store_card card;

			if (store_card_lookup(ctx->srv->store, col->id, path.resource,
					      ctx->pool, &card) > 0) {
				dav_report_card(ctx, col, &card);
				continue;
			}
		}
		dav_ms_status(ctx->out, b->hrefs[i], 404);
	}
}

/* --- sync-collection --- */

struct dav_sync_ctx {
	struct dav_ctx *ctx;
	const struct store_dav_collection *col;
	bool initial;
	unsigned int count;
	uint64_t last;
	bool truncated;
};

static int dav_sync_cb(void *context, const struct store_dav_resource *r)
{
	struct dav_sync_ctx *s = context;
	struct dav_ctx *ctx = s->ctx;
	enum dav_path_kind kind = s->col->kind == STORE_DAV_CALENDAR ?
		DAV_PATH_CAL_OBJECT : DAV_PATH_CARD;
	const char *href;

	if (r->deleted && s->initial)
		return 0;
	if (ctx->body.limit != 0 && s->count >= ctx->body.limit) {
		s->truncated = true;
		return 1;
	}
	s->count++;
	s->last = r->modseq;
	href = dav_path_href(ctx->pool, kind, ctx->user.address, s->col->name, r->href);
	if (r->deleted) {
		dav_ms_status(ctx->out, href, 404);
	} else {
		struct dav_res res;

		memset(&res, 0, sizeof(res));
		res.kind = kind;
		res.address = ctx->user.address;
		res.col = s->col;
		res.name = p_strdup(ctx->pool, r->href);
		res.modseq = r->modseq;
		res.id = r->id;
		res.href = href;
		dav_props_response(ctx, &res);
	}
	return 0;
}

static void dav_sync_collection(struct dav_ctx *ctx, const struct store_dav_collection *col)
{
	struct dav_sync_ctx s;
	uint64_t since = 0;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	s.col = col;
	s.initial = *ctx->body.sync_token == '\0';
	if (!s.initial && (dav_sync_token_parse(ctx->body.sync_token, col, &since) < 0 ||
			   (since < col->tomb_floor && since != 0) || since > col->modseq)) {
		/* RFC 6578 3.2: unknown, foreign or older than what we remember */
		dav_send_error(ctx, 403, DAV_NS_DAV, "valid-sync-token");
		return;
	}
	/* RFC 6578 3.2 wants Depth: 0; clients that send 1 mean the same
	   (the members are never collections here), so it is not refused */
	buffer_reset(ctx->out);
	dav_ms_begin(ctx->out);
	if (store_dav_changes(ctx->srv->store, col, since, ctx->pool, dav_sync_cb, &s) < 0) {
		if (store_last_error(ctx->srv->store) == STORE_ERROR_INVALID)
			dav_send_error(ctx, 403, DAV_NS_DAV, "valid-sync-token");
		else
			dav_send_status(ctx, 500);
		return;
	}
	if (s.truncated)
		dav_report_truncated(ctx);
	buffer_append_str(ctx->out, "<D:sync-token>");
	dav_xml_escape(ctx->out, dav_sync_token(ctx->pool, col,
						s.truncated ? s.last : col->modseq));
	buffer_append_str(ctx->out, "</D:sync-token>\n");
	dav_ms_end(ctx->out);
	dav_send_xml(ctx, 207);
}

/* --- free/busy (RFC 4791 7.10, RFC 6638 5) --- */

static const char *dav_utc(struct pool *pool, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
	return p_strdup(pool, buf);
}

struct dav_fb_ctx {
	struct buffer *out;
	struct pool *pool;
	time_t start, end;
	unsigned int count;
};

static void dav_fb_add(void *context, const struct store_cal_item *item,
		       time_t start, time_t end)
{
	struct dav_fb_ctx *fb = context;
	const char *type;

	if (fb->count >= 10000 || end <= fb->start || start >= fb->end)
		return;
	if (item->status != NULL && strcmp(item->status, "CANCELLED") == 0)
		return;
	if (item->partstat != NULL && strcmp(item->partstat, "DECLINED") == 0)
		return;
	type = item->status != NULL && strcmp(item->status, "TENTATIVE") == 0 ?
		"BUSY-TENTATIVE" : "BUSY";
	if (start < fb->start)
		start = fb->start;
	if (end > fb->end)
		end = fb->end;
	fb->count++;
	buffer_printf(fb->out, "FREEBUSY;FBTYPE=%s:%s/%s\r\n", type,
		      dav_utc(fb->pool, start), dav_utc(fb->pool, end));
}

struct dav_fb_items {
	struct dav_fb_ctx *fb;
	struct pool *pool;
};

static void dav_fb_item(void *context, const struct store_cal_item *item)
{
	struct dav_fb_items *fi = context;

	if (cal_expand(fi->pool, item, fi->fb->start, fi->fb->end, dav_fb_add,
		       fi->fb) == 0 && imip_expand_request_over())
		dav_fb_add(fi->fb, item, item->dtstart,
			   item->dtend != 0 ? item->dtend : fi->fb->end);
}

const char *dav_freebusy(struct dav_ctx *ctx, const struct store_user *user,
			 const char *organizer, const char *uid,
			 time_t start, time_t end)
{
	struct buffer out;
	struct dav_fb_ctx fb;
	struct dav_fb_items fi;

	buffer_init_pool(&out, ctx->pool, 0);
	buffer_printf(&out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
		      "PRODID:-//infostore//CalDAV//EN\r\n%s"
		      "BEGIN:VFREEBUSY\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n",
		      organizer != NULL ? "METHOD:REPLY\r\n" : "",
		      dav_utc(ctx->pool, time(NULL)),
		      dav_utc(ctx->pool, start), dav_utc(ctx->pool, end));
	if (uid != NULL)
		buffer_printf(&out, "UID:%s\r\n", uid);
	if (organizer != NULL)
		buffer_printf(&out, "ORGANIZER:mailto:%s\r\nATTENDEE:mailto:%s\r\n",
			      organizer, user->address);
	memset(&fb, 0, sizeof(fb));
	fb.out = &out;
	fb.pool = ctx->pool;
	fb.start = start;
	fb.end = end;
	fi.fb = &fb;
	fi.pool = ctx->pool;
	/* every item's recurrence within one deadline for the request; an
	   item past it counts busy for its whole stored span (the safe side
	   of a free/busy answer) */
	imip_expand_request_begin(IMIP_REQUEST_EXPAND_MSEC);
	(void)store_cal_item_list(ctx->srv->store, user->id, start, end, ctx->pool,
				  dav_fb_item, &fi);
	imip_expand_request_end();
	buffer_append_str(&out, "END:VFREEBUSY\r\nEND:VCALENDAR\r\n");
	buffer_append_c(&out, '\0');
	return (const char *)out.data;
}

static void dav_free_busy_report(struct dav_ctx *ctx)
{
	const struct dav_time_range *r = &ctx->body.free_busy;
	time_t end = r->end != 0 ? r->end : r->start + 366 * 86400;
	const char *text;

	if (end - r->start > 5 * 366 * 86400) {
		dav_send_status(ctx, 403);
		return;
	}
	text = dav_freebusy(ctx, &ctx->user, NULL, NULL, r->start, end);
	buffer_reset(ctx->out);
	buffer_append_str(ctx->out, text);
	ctx->req->status = 200;
	ctx->req->content_type = "text/calendar; charset=utf-8";
	web_response_send(ctx->req);
}

/* --- dispatch --- */

void dav_report(struct dav_ctx *ctx)
{
	const struct dav_body *b = &ctx->body;
	struct store_dav_collection col;
	enum dav_path_kind kind = ctx->path.kind;
	bool calendar = kind == DAV_PATH_CALENDAR, book = kind == DAV_PATH_ADDRESSBOOK;
	struct dav_query_ctx q;
	int ret;

	switch (b->report) {
	case DAV_REPORT_CALENDAR_MULTIGET:
	case DAV_REPORT_CALENDAR_QUERY:
	case DAV_REPORT_FREE_BUSY:
		if (!calendar) {
			dav_send_error(ctx, 403, DAV_NS_DAV, "supported-report");
			return;
		}
		break;
	case DAV_REPORT_ADDRESSBOOK_MULTIGET:
	case DAV_REPORT_ADDRESSBOOK_QUERY:
		if (!book) {
			dav_send_error(ctx, 403, DAV_NS_DAV, "supported-report");
			return;
		}
		break;
	case DAV_REPORT_SYNC_COLLECTION:
		if (!calendar && !book) {
			dav_send_error(ctx, 403, DAV_NS_DAV, "supported-report");
			return;
		}
		break;
	default:
		dav_send_error(ctx, 403, DAV_NS_DAV, "supported-report");
		return;
	}
	if (dav_collection_get(ctx, calendar ? STORE_DAV_CALENDAR : STORE_DAV_ADDRESSBOOK,
			       ctx->path.collection, &col) <= 0)
		return;
	if (b->report == DAV_REPORT_SYNC_COLLECTION) {
		dav_sync_collection(ctx, &col);
		return;
	}
	if (b->report == DAV_REPORT_FREE_BUSY) {
		dav_free_busy_report(ctx);
		return;
	}
	buffer_reset(ctx->out);
	dav_ms_begin(ctx->out);
	memset(&q, 0, sizeof(q));
	q.ctx = ctx;
	q.col = &col;
	switch (b->report) {
	case DAV_REPORT_CALENDAR_MULTIGET:
	case DAV_REPORT_ADDRESSBOOK_MULTIGET:
		dav_multiget(ctx, &col);
		break;
	case DAV_REPORT_CALENDAR_QUERY:
		imip_expand_request_begin(IMIP_REQUEST_EXPAND_MSEC);
		ret = store_dav_resource_list(ctx->srv->store, &col, 0, ctx->pool,
					      dav_query_cb, &q);
		imip_expand_request_end();
		if (ret < 0) {
			dav_send_status(ctx, 500);
			return;
		}
		break;
	case DAV_REPORT_ADDRESSBOOK_QUERY:
		if (store_card_list(ctx->srv->store, col.id, ctx->pool,
				    dav_card_query_cb, &q) < 0) {
			dav_send_status(ctx, 500);
			return;
		}
		break;
	default:
		break;
	}
	if (q.truncated)
		dav_report_truncated(ctx);
	dav_ms_end(ctx->out);
	dav_send_xml(ctx, 207);
}

/* RFC 6638 5: a VFREEBUSY request POSTed to the outbox; answered for the
   local users among its attendees (a remote one gets 3.7, "invalid
   calendar user": we cannot ask their server). */
#define DAV_FB_MAX_RECIPIENTS 100

void dav_outbox_post(struct dav_ctx *ctx)
{
	struct ical_line *lines;
	unsigned int count, n = 0;
	const char *organizer = NULL, *uid = NULL;
	time_t start = 0, end = 0;
	const char *body = p_strndup(ctx->pool, ctx->raw_body, ctx->raw_size);

	if (strlen(body) != ctx->raw_size || !str_begins_icase(body, "BEGIN:VCALENDAR")) {
		dav_send_error(ctx, 400, DAV_NS_CALDAV, "valid-calendar-data");
		return;
	}
	count = ical_lines(ctx->pool, body, "VFREEBUSY", &lines);
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(lines[i].name, "ORGANIZER") == 0)
			organizer = lines[i].value;
		else if (strcmp(lines[i].name, "UID") == 0)
			uid = lines[i].value;
		else if (strcmp(lines[i].name, "DTSTART") == 0)
			(void)dav_parse_utc(lines[i].value, &start);
		else if (strcmp(lines[i].name, "DTEND") == 0)
			(void)dav_parse_utc(lines[i].value, &end);
	}
	if (organizer != NULL && str_begins_icase(organizer, "mailto:"))
		organizer += 7;
	/* only the user may ask, as themself (RFC 6638 6.1.1) */
	if (organizer == NULL || !str_iequal(organizer, ctx->user.address)) {
		dav_send_error(ctx, 403, DAV_NS_CALDAV, "organizer-allowed");
		return;
	}
	if (start == 0 || end <= start || end - start > 366 * 86400) {
		dav_send_error(ctx, 400, DAV_NS_CALDAV, "valid-calendar-data");
		return;
	}
	buffer_reset(ctx->out);
	buffer_append_str(ctx->out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			  "<C:schedule-response xmlns:D=\"DAV:\" xmlns:C=\""
			  DAV_NS_CALDAV "\">\n");
	for (unsigned int i = 0; i < count && n < DAV_FB_MAX_RECIPIENTS; i++) {
		const char *who = lines[i].value;
		struct store_user user;
		int ret;

		if (strcmp(lines[i].name, "ATTENDEE") != 0)
			continue;
		n++;
		if (str_begins_icase(who, "mailto:"))
			who += 7;
		buffer_append_str(ctx->out, "<C:response><C:recipient><D:href>mailto:");
		dav_xml_escape(ctx->out, who);
		buffer_append_str(ctx->out, "</D:href></C:recipient>");
		ret = store_user_lookup(ctx->srv->store, who, ctx->pool, &user);
		if (ret <= 0) {
			buffer_append_str(ctx->out, "<C:request-status>3.7;Invalid calendar user"
					  "</C:request-status></C:response>\n");
			continue;
		}
		buffer_append_str(ctx->out, "<C:request-status>2.0;Success</C:request-status>"
				  "<C:calendar-data>");
		dav_xml_escape(ctx->out, dav_freebusy(ctx, &user, organizer, uid, start, end));
		buffer_append_str(ctx->out, "</C:calendar-data></C:response>\n");
	}
	buffer_append_str(ctx->out, "</C:schedule-response>\n");
	dav_send_xml(ctx, 200);
}
