/*
 * The calendar: an agenda of the coming weeks, a week view, and the form
 * that creates a meeting and invites attendees (cal_create_meeting()).
 */
#include "web-private.h"
#include "web-html.h"
#include "web-tz.h"
#include "cal.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEB_AGENDA_DAYS 30
#define WEB_OCCURRENCES_MAX 2000
#define WEB_ATTENDEES_MAX 100

struct web_occurrence {
	const struct store_cal_item *item;
	time_t start, end;
};

struct web_occurrences {
	struct pool *pool;
	struct web_occurrence *list;
	unsigned int count, alloc;
	time_t from, to;
};

static void web_occ_add(void *context, const struct store_cal_item *item,
			time_t start, time_t end)
{
	struct web_occurrences *o = context;

	if (o->count == WEB_OCCURRENCES_MAX)
		return;
	if (start >= o->to || (end > start ? end : start + 1) <= o->from)
		return;
	o->list = p_grow(o->pool, o->list, sizeof(*o->list), o->count, &o->alloc, 32);
	o->list[o->count].item = item;
	o->list[o->count].start = start;
	o->list[o->count].end = end;
	o->count++;
}

static void web_occ_item(void *context, const struct store_cal_item *item)
{
	struct web_occurrences *o = context;
	struct store_cal_item *copy = p_new(o->pool, struct store_cal_item, 1);

	/* the item's strings are in the pool already; keep the struct too */
	*copy = *item;
	cal_expand(o->pool, copy, o->from, o->to, web_occ_add, o);
}

static int web_occ_cmp(const void *a, const void *b)
{
	const struct web_occurrence *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->item->id < y->item->id ? -1 : x->item->id > y->item->id;
}

static int web_occurrences(struct web_ctx *ctx, time_t from, time_t to,
			   struct web_occurrences *o)
{
	memset(o, 0, sizeof(*o));
	o->pool = ctx->pool;
	o->from = from;
	o->to = to;
	if (store_cal_item_list(ctx->srv->store, ctx->user.id, from, to, ctx->pool,
				web_occ_item, o) < 0) {
		log_error("web", "calendar list failed: %s",
			  store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later",
				 "The calendar cannot be read right now.");
		return -1;
	}
	if (o->count > 1)
		qsort(o->list, o->count, sizeof(*o->list), web_occ_cmp);
	return 0;
}

/* Midnight (viewer's zone) of the day containing t, and of ?date= */
static time_t web_day_start(const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return web_tz_mktime(tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0);
}

static time_t web_day_add(const struct web_tz *tz, time_t day, int days)
{
	/* add calendar days, not 86,400 s, across DST changes */
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, day + 12 * 3600, &tm, &abbr);
	tm.tm_mday += days;
	{
		/* normalise through UTC arithmetic on the civil date */
		struct tm n = tm;
		time_t utc;

		n.tm_hour = 12;
		n.tm_isdst = 0;
		utc = timegm(&n);
		gmtime_r(&utc, &n);
		return web_tz_mktime(tz, n.tm_year + 1900, n.tm_mon + 1, n.tm_mday, 0);
	}
}

static time_t web_query_day(struct web_ctx *ctx, const char *name)
{
	const char *s = web_form_get(&ctx->query, name);
	int y, m, d;

	if (s != NULL && web_parse_date(s, &y, &m, &d) == 0)
		return web_tz_mktime(ctx->tz, y, m, d, 0);
	return web_day_start(ctx->tz, time(NULL));
}

static const char *web_iso_date(struct web_ctx *ctx, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(ctx->tz, t, &tm, &abbr);
	return p_printf(ctx->pool, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday);
}

static void web_occ_line(struct web_ctx *ctx, const struct web_occurrence *occ)
{
	const struct store_cal_item *item = occ->item;
	bool cancelled = item->status != NULL && strcmp(item->status, "CANCELLED") == 0;

	html_printf(ctx->out, "<a href=\"/item/%q\">%s</a>", item->token,
		    item->summary != NULL && *item->summary != '\0' ?
		    item->summary : "(no title)");
	if (cancelled)
		html_printf(ctx->out, " <span class=\"badge DECLINED\">Cancelled</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "NEEDS-ACTION") == 0)
		html_printf(ctx->out, " <span class=\"badge NEEDS-ACTION\">Not answered</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "TENTATIVE") == 0)
		html_printf(ctx->out, " <span class=\"badge TENTATIVE\">Tentative</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "DECLINED") == 0)
		html_printf(ctx->out, " <span class=\"badge DECLINED\">Declined</span>");
	if (item->location != NULL && *item->location != '\0')
		html_printf(ctx->out, "<br><span class=\"hint\">%s</span>", item->location);
}

static const char *web_occ_when(struct web_ctx *ctx, const struct web_occurrence *occ)
{
	if (occ->item->all_day)
		return "All day";
	return p_printf(ctx->pool, "%s–%s", web_format_time(ctx->pool, ctx->tz, occ->start),
			web_format_time(ctx->pool, ctx->tz,
					occ->end > occ->start ? occ->end : occ->start));
}

void web_agenda_page(struct web_ctx *ctx)
{
	struct buffer *out = ctx->out;
	time_t from = web_query_day(ctx, "from");
	time_t to = web_day_add(ctx->tz, from, WEB_AGENDA_DAYS);
	struct web_occurrences o;
	const char *last_day = NULL;

	if (web_occurrences(ctx, from, to, &o) < 0)
		return;
	web_page_begin(ctx, "Calendar", WEB_NAV_CALENDAR);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"agenda-title\">\n"
		    "<h1 id=\"agenda-title\">Agenda</h1>\n"
		    "<div class=\"toolbar\">\n"
		    "<a class=\"button\" href=\"/calendar?from=%s\">← Earlier</a>\n"
		    "<a class=\"button\" href=\"/calendar\">Today</a>\n"
		    "<a class=\"button\" href=\"/calendar?from=%s\">Later →</a>\n"
		    "<a class=\"button\" href=\"/calendar/week?date=%s\">Week view</a>\n"
		    "<a class=\"button primary\" href=\"/calendar/new\">New meeting</a>\n"
		    "</div>\n<p class=\"hint\">%s to %s, times in %s</p>\n",
		    web_iso_date(ctx, web_day_add(ctx->tz, from, -WEB_AGENDA_DAYS)),
		    web_iso_date(ctx, to), web_iso_date(ctx, from),
		    web_format_date(ctx->pool, ctx->tz, from),
		    web_format_date(ctx->pool, ctx->tz, to - 1), web_tz_name(ctx->tz));
	if (o.count == 0)
		html_printf(out, "<p class=\"empty\">Nothing planned in these %u days.</p>\n",
			    (unsigned int)WEB_AGENDA_DAYS);
	for (unsigned int i = 0; i < o.count; i++) {
		const char *day = web_format_date(ctx->pool, ctx->tz,
						  o.list[i].start > from ? o.list[i].start : from);

		if (last_day == NULL || strcmp(last_day, day) != 0) {
			if (last_day != NULL)
				html_printf(out, "</ul>\n");
			html_printf(out, "<h2>%s</h2>\n<ul class=\"agenda\">\n", day);
			last_day = day;
		}
		html_printf(out, "<li><span class=\"when\">%s</span><span>",
			    web_occ_when(ctx, &o.list[i]));
		web_occ_line(ctx, &o.list[i]);
		html_printf(out, "</span></li>\n");
	}
	if (last_day != NULL)
		html_printf(out, "</ul>\n");
	html_printf(out, "</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

void web_week_page(struct web_ctx *ctx)
{
	struct buffer *out = ctx->out;
	time_t day = web_query_day(ctx, "date"), monday, today, next_week;
	struct web_occurrences o;
	struct tm tm;
	const char *abbr;

	web_tz_localtime(ctx->tz, day + 12 * 3600, &tm, &abbr);
	monday = web_day_add(ctx->tz, day, -((tm.tm_wday + 6) % 7));
	next_week = web_day_add(ctx->tz, monday, 7);
	today = web_day_start(ctx->tz, time(NULL));
	if (web_occurrences(ctx, monday, next_week, &o) < 0)
		return;
	web_page_begin(ctx, "Week", WEB_NAV_CALENDAR);
	html_printf(out, "<h1>Week of %s</h1>\n<div class=\"toolbar\">\n"
		    "<a class=\"button\" href=\"/calendar/week?date=%s\">← Previous week</a>\n"
		    "<a class=\"button\" href=\"/calendar/week\">This week</a>\n"
		    "<a class=\"button\" href=\"/calendar/week?date=%s\">Next week →</a>\n"
		    "<a class=\"button\" href=\"/calendar?from=%s\">Agenda</a>\n"
		    "</div>\n<div class=\"week\">\n",
		    web_format_date(ctx->pool, ctx->tz, monday),
		    web_iso_date(ctx, web_day_add(ctx->tz, monday, -7)),
		    web_iso_date(ctx, next_week), web_iso_date(ctx, monday));
	for (int d = 0; d < 7; d++) {
		time_t start = web_day_add(ctx->tz, monday, d);
		time_t end = web_day_add(ctx->tz, monday, d + 1);
		unsigned int shown = 0;

		html_printf(out, "<section class=\"day%S\" aria-label=\"%s\">\n<h2>%s</h2>\n<ul>\n",
			    start == today ? " today" : "",
			    web_format_date(ctx->pool, ctx->tz, start),
			    web_format_date(ctx->pool, ctx->tz, start));
		for (unsigned int i = 0; i < o.count; i++) {
			time_t oend = o.list[i].end > o.list[i].start ?
				o.list[i].end : o.list[i].start + 1;

			if (o.list[i].start >= end || oend <= start)
				continue;
			html_printf(out, "<li><span class=\"hint\">%s</span><br>",
				    web_occ_when(ctx, &o.list[i]));
			web_occ_line(ctx, &o.list[i]);
			html_printf(out, "</li>\n");
			shown++;
		}
		if (shown == 0)
			html_printf(out, "<li class=\"empty\"><span class=\"sr-only\">Nothing planned</span></li>\n");
		html_printf(out, "</ul>\n</section>\n");
	}
	html_printf(out, "</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

static const char *web_field(struct web_ctx *ctx, const char *name, const char *def)
{
	const char *v = web_form_get(&ctx->form, name);

	return v != NULL ? v : def;
}

static void web_new_meeting_form(struct web_ctx *ctx, int status, const char *error)
{
	struct buffer *out = ctx->out;
	time_t next_hour = (time(NULL) / 3600 + 1) * 3600;
	struct tm tm;
	const char *abbr;
	const char *def_date, *def_start, *def_end;

	web_tz_localtime(ctx->tz, next_hour, &tm, &abbr);
	def_date = p_printf(ctx->pool, "%04d-%02d-%02d", tm.tm_year + 1900,
			    tm.tm_mon + 1, tm.tm_mday);
	def_start = p_printf(ctx->pool, "%02d:00", tm.tm_hour);
	def_end = p_printf(ctx->pool, "%02d:00", (tm.tm_hour + 1) % 24);

	buffer_reset(out);
	web_page_begin(ctx, "New meeting", WEB_NAV_NEW_MEETING);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"new-title\">\n"
		    "<h1 id=\"new-title\">New meeting</h1>\n");
	if (error != NULL)
		html_printf(out, "<p class=\"error\" role=\"alert\">%s</p>\n", error);
	html_printf(out, "<form method=\"post\" action=\"/calendar/new\" class=\"stack\">\n");
	web_page_csrf_field(ctx);
	html_printf(out,
		"<label for=\"summary\">Title</label>\n"
		"<input id=\"summary\" name=\"summary\" required maxlength=\"200\" value=\"%s\">\n"
		"<label for=\"attendees\">Invite (email addresses, one per line or separated by commas)</label>\n"
		"<textarea id=\"attendees\" name=\"attendees\" required rows=\"3\" autocapitalize=\"none\""
		" spellcheck=\"false\">%s</textarea>\n"
		"<div class=\"grid2\">\n"
		"<div class=\"stack\"><label for=\"date\">Date</label>\n"
		"<input id=\"date\" name=\"date\" type=\"date\" required value=\"%s\"></div>\n"
		"<div class=\"stack\"><label for=\"tz\">Time zone</label>\n"
		"<input id=\"tz\" name=\"tz\" required value=\"%s\" autocapitalize=\"none\""
		" spellcheck=\"false\"></div>\n"
		"<div class=\"stack\"><label for=\"start\">Starts</label>\n"
		"<input id=\"start\" name=\"start\" type=\"time\" required value=\"%s\"></div>\n"
		"<div class=\"stack\"><label for=\"end\">Ends</label>\n"
		"<input id=\"end\" name=\"end\" type=\"time\" required value=\"%s\"></div>\n"
		"</div>\n"
		"<label for=\"location\">Location (optional)</label>\n"
		"<input id=\"location\" name=\"location\" maxlength=\"200\" value=\"%s\">\n"
		"<label for=\"description\">Description (optional)</label>\n"
		"<textarea id=\"description\" name=\"description\" rows=\"4\">%s</textarea>\n"
		"<button type=\"submit\" class=\"primary\">Send invitations</button>\n"
		"</form>\n</section>\n",
		web_field(ctx, "summary", ""), web_field(ctx, "attendees", ""),
		web_field(ctx, "date", def_date), web_field(ctx, "tz", web_tz_name(ctx->tz)),
		web_field(ctx, "start", def_start), web_field(ctx, "end", def_end),
		web_field(ctx, "location", ""), web_field(ctx, "description", ""));
	web_page_end(ctx);
	web_send_html(ctx, status);
}

void web_new_meeting_page(struct web_ctx *ctx)
{
	web_new_meeting_form(ctx, 200, NULL);
}

/* Split the attendee field on commas, semicolons and white space. */
static const char *web_split_attendees(struct web_ctx *ctx, const char *field,
				       const char ***list_r, unsigned int *count_r)
{
	const char **list = p_new(ctx->pool, const char *, WEB_ATTENDEES_MAX);
	unsigned int count = 0;
	const char *p = field;

	while (*p != '\0') {
		size_t n;
		char *addr;

		p += strspn(p, " \t\r\n,;");
		n = strcspn(p, " \t\r\n,;");
		if (n == 0)
			break;
		if (count == WEB_ATTENDEES_MAX)
			return "Too many attendees.";
		addr = p_strndup(ctx->pool, p, n);
		if (addr[0] == '<' && n > 2 && addr[n - 1] == '>') {
			addr[n - 1] = '\0';
			addr++;
		}
		if (!str_is_address(addr))
			return p_printf(ctx->pool, "“%s” is not an email address.", addr);
		list[count++] = addr;
		p += n;
	}
	if (count == 0)
		return "Please invite at least one person.";
	*list_r = list;
	*count_r = count;
	return NULL;
}

void web_new_meeting_post(struct web_ctx *ctx)
{
	struct cal_new_meeting meeting;
	const char *summary = web_field(ctx, "summary", "");
	const char *tz_name = web_field(ctx, "tz", "");
	const struct web_tz *tz;
	const char **attendees = NULL;
	unsigned int attendee_count = 0;
	const char *error;
	int y, m, d, start_min, end_min;
	int64_t item_id;
	struct store_cal_item item;

	if (!web_csrf_ok(ctx)) {
		web_send_message(ctx, 403, "Forbidden",
				 "This form has expired. Please go back, reload the page and try again.");
		return;
	}
	if (*summary == '\0' || strlen(summary) > 200) {
		web_new_meeting_form(ctx, 400, "Please give the meeting a title.");
		return;
	}
	if ((error = web_split_attendees(ctx, web_field(ctx, "attendees", ""),
					 &attendees, &attendee_count)) != NULL) {
		web_new_meeting_form(ctx, 400, error);
		return;
	}
	if (web_parse_date(web_field(ctx, "date", ""), &y, &m, &d) < 0 ||
	    web_parse_hhmm(web_field(ctx, "start", ""), &start_min) < 0 ||
	    web_parse_hhmm(web_field(ctx, "end", ""), &end_min) < 0) {
		web_new_meeting_form(ctx, 400, "Please give a date and start and end times.");
		return;
	}
	if ((tz = web_tz_get(tz_name)) == NULL) {
		web_new_meeting_form(ctx, 400, "Unknown time zone (use a name such as Europe/Berlin).");
		return;
	}
	memset(&meeting, 0, sizeof(meeting));
	meeting.summary = summary;
	meeting.location = *web_field(ctx, "location", "") != '\0' ?
		web_field(ctx, "location", "") : NULL;
	meeting.description = *web_field(ctx, "description", "") != '\0' ?
		web_field(ctx, "description", "") : NULL;
	meeting.start = web_tz_mktime(tz, y, m, d, start_min);
	/* an end before the start is on the next day (a late meeting) */
	meeting.end = web_tz_mktime(tz, y, m, d, end_min);
	if (end_min <= start_min)
		meeting.end = web_day_add(tz, web_tz_mktime(tz, y, m, d, 0), 1) +
			(time_t)end_min * 60;
	meeting.tzid = web_tz_name(tz);
	meeting.attendees = attendees;
	meeting.attendee_count = attendee_count;
	if (cal_create_meeting(ctx->srv->store, ctx->srv->conf, &ctx->user, &meeting,
			       &item_id, &error) < 0) {
		web_new_meeting_form(ctx, 400, error);
		return;
	}
	log_info("web", "meeting created user=%s attendees=%u",
		 log_value(ctx->user.address), attendee_count);
	if (store_cal_item_lookup_id(ctx->srv->store, item_id, ctx->pool, &item) > 0)
		web_send_redirect(ctx, 303, p_printf(ctx->pool, "/item/%s", item.token));
	else
		web_send_redirect(ctx, 303, "/calendar");
}
