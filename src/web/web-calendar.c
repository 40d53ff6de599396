/*
 * The calendar's views: Day and Week (an hour grid, an all-day row,
 * overlapping events side by side), Month (events in day cells, "+N
 * more") and the Agenda of the coming weeks.
 *
 * Every view reads its window's items from the store and expands their
 * recurrence through cal_expand() (lib-ical, bounded per item); the
 * whole page is bounded too (web_cal_budget, web-private.h). Times are
 * the viewer's (ctx->tz), formatted by web_format_*() alone.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-tz.h"
#include "cal.h"
#include "imip-instances.h"
#include "log.h"
#include "pool.h"
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEB_AGENDA_DAYS 30
/* events side by side in one column of the grid, at most (the style
   sheet has a column class for each) */
#define WEB_GRID_LANES 6
/* grid rows: quarter hours */
#define WEB_GRID_SLOT_MIN 15
#define WEB_GRID_SLOTS (24 * 60 / WEB_GRID_SLOT_MIN)
/* events listed in one day of the month view */
#define WEB_MONTH_SHOWN 3

/* --- the budget and the occurrences --- */

void web_cal_budget_init(struct web_cal_budget *budget)
{
	memset(budget, 0, sizeof(*budget));
	clock_gettime(CLOCK_MONOTONIC, &budget->deadline);
	budget->deadline.tv_nsec += (long)WEB_CAL_BUDGET_MSEC * 1000000L;
	budget->deadline.tv_sec += budget->deadline.tv_nsec / 1000000000L;
	budget->deadline.tv_nsec %= 1000000000L;
}

static bool web_cal_budget_left(struct web_cal_budget *budget)
{
	struct timespec now;

	if (budget->items >= WEB_CAL_ITEMS_MAX)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < budget->deadline.tv_sec ||
		(now.tv_sec == budget->deadline.tv_sec &&
		 now.tv_nsec < budget->deadline.tv_nsec);
}

time_t web_cal_day_start(const struct web_tz *tz, time_t t)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, t, &tm, &abbr);
	return web_tz_mktime(tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0);
}

time_t web_cal_day_add(const struct web_tz *tz, time_t day, int days)
{
	/* calendar days, not 86,400 s, across DST changes: through the civil
	   date at noon */
	struct tm tm;
	const char *abbr;
	time_t utc;

	web_tz_localtime(tz, day + 12 * 3600, &tm, &abbr);
	tm.tm_mday += days;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = 0;
	utc = timegm(&tm);
	gmtime_r(&utc, &tm);
	return web_tz_mktime(tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0);
}

/* An all-day occurrence is a date (lib-ical gives it as midnight UTC):
   the viewer's midnights of those dates. */
static time_t web_cal_local_date(const struct web_tz *tz, time_t utc_midnight)
{
	struct tm tm;

	gmtime_r(&utc_midnight, &tm);
	return web_tz_mktime(tz, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, 0);
}

static void web_occ_add(void *context, const struct store_cal_item *item,
			time_t start, time_t end)
{
	struct web_occurrences *o = context;

	if (item->all_day) {
		start = web_cal_local_date(o->tz, start);
		end = end > start ? web_cal_local_date(o->tz, end) : start + 1;
	}
	if (start >= o->to || (end > start ? end : start + 1) <= o->from)
		return;
	if (o->count == WEB_CAL_OCCURRENCES_MAX) {
		o->budget->dropped++;
		return;
	}
	o->list = p_grow(o->pool, o->list, sizeof(*o->list), o->count, &o->alloc, 32);
	o->list[o->count].item = item;
	o->list[o->count].start = start;
	o->list[o->count].end = end;
	o->count++;
}

static bool web_cal_cancelled(const struct store_cal_item *item)
{
	return item->status != NULL && strcmp(item->status, "CANCELLED") == 0;
}

static void web_occ_item(void *context, const struct store_cal_item *item)
{
	struct web_occurrences *o = context;
	struct store_cal_item *copy;

	if (o->busy && (item->id == o->exclude_id || web_cal_cancelled(item) ||
			(item->partstat != NULL && strcmp(item->partstat, "DECLINED") == 0)))
		return;
	if (!web_cal_budget_left(o->budget)) {
		o->budget->skipped++;
		return;
	}
	o->budget->items++;
	/* the item's strings are in the pool already; keep the struct too */
	copy = p_new(o->pool, struct store_cal_item, 1);
	*copy = *item;
	/* all-day dates may lie a day either side of the viewer's window */
	cal_expand(o->pool, copy, o->from - 86400, o->to + 86400, web_occ_add, o);
	/* cut inside its walk by the page's deadline: what it found is
	   partial, and the page says something was left out */
	if (imip_expand_request_over())
		o->budget->skipped++;
}

/* What is left of the page's time, for the expansions' own deadline. */
static unsigned int web_cal_budget_msec(const struct web_cal_budget *budget)
{
	struct timespec now;
	long long msec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	msec = (long long)(budget->deadline.tv_sec - now.tv_sec) * 1000 +
		(budget->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return msec > 0 ? (unsigned int)msec : 0;
}

static int web_occ_cmp(const void *a, const void *b)
{
	const struct web_occurrence *x = a, *y = b;

	/* by start; a day's all-day events (its midnight) before what starts
	   at that midnight */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->item->all_day != y->item->all_day)
		return x->item->all_day ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return x->item->id < y->item->id ? -1 : x->item->id > y->item->id;
}

int web_cal_collect(struct web_ctx *ctx, int64_t user_id, time_t from, time_t to,
		    struct web_cal_budget *budget, struct web_occurrences *o)
{
	int ret;

	o->pool = ctx->pool;
	o->tz = ctx->tz;
	o->budget = budget;
	o->from = from;
	o->to = to;
	/* the page's deadline holds inside each item's expansion too, not
	   only between items */
	imip_expand_request_begin(web_cal_budget_msec(budget));
	ret = store_cal_item_list(ctx->srv->store, user_id, from - 86400, to + 86400,
				  ctx->pool, web_occ_item, o);
	imip_expand_request_end();
	if (ret < 0) {
		log_error("web", "calendar list failed: %s",
			  store_last_error_detail(ctx->srv->store));
		return -1;
	}
	if (o->count > 1)
		qsort(o->list, o->count, sizeof(*o->list), web_occ_cmp);
	return 0;
}

/* The viewer's occurrences for a view, or -1 with the error page sent. */
static int web_occurrences(struct web_ctx *ctx, time_t from, time_t to,
			   struct web_cal_budget *budget, struct web_occurrences *o)
{
	web_cal_budget_init(budget);
	memset(o, 0, sizeof(*o));
	if (web_cal_collect(ctx, ctx->user.id, from, to, budget, o) < 0) {
		web_send_message(ctx, 503, "Try again later",
				 "The calendar cannot be read right now.");
		return -1;
	}
	return 0;
}

static bool web_occ_overlaps(const struct web_occurrence *occ, time_t from, time_t to)
{
	time_t end = occ->end > occ->start ? occ->end : occ->start + 1;

	return occ->start < to && end > from;
}

/* --- pieces every view shares --- */

static time_t web_query_day(struct web_ctx *ctx, const char *name)
{
	const char *s = web_form_get(&ctx->query, name);
	int y, m, d;

	if (s != NULL && web_parse_date(s, &y, &m, &d) == 0 && y >= 1971 && y <= 9998)
		return web_tz_mktime(ctx->tz, y, m, d, 0);
	return web_cal_day_start(ctx->tz, time(NULL));
}

static const char *web_occ_title(const struct store_cal_item *item)
{
	return item->summary != NULL && *item->summary != '\0' ? item->summary : "(no title)";
}

static void web_occ_badge(struct web_ctx *ctx, const struct store_cal_item *item)
{
	if (web_cal_cancelled(item))
		html_printf(ctx->out, " <span class=\"badge DECLINED\">Cancelled</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "NEEDS-ACTION") == 0)
		html_printf(ctx->out, " <span class=\"badge NEEDS-ACTION\">Not answered</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "TENTATIVE") == 0)
		html_printf(ctx->out, " <span class=\"badge TENTATIVE\">Tentative</span>");
	else if (item->partstat != NULL && strcmp(item->partstat, "DECLINED") == 0)
		html_printf(ctx->out, " <span class=\"badge DECLINED\">Declined</span>");
}

static void web_occ_line(struct web_ctx *ctx, const struct web_occurrence *occ)
{
	const struct store_cal_item *item = occ->item;

	html_printf(ctx->out, "<a href=\"/item/%q\">%s</a>", item->token, web_occ_title(item));
	web_occ_badge(ctx, item);
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

enum web_view { WEB_VIEW_DAY, WEB_VIEW_WEEK, WEB_VIEW_MONTH, WEB_VIEW_AGENDA };

/*
 * The heading, the way to other dates (previous, today, next, a date)
 * and to the other views of the same date.
 */
static void web_cal_toolbar(struct web_ctx *ctx, enum web_view view, const char *title,
			    time_t date, time_t prev, time_t next)
{
	static const struct {
		const char *label, *path, *param, *key;
	} views[] = {
		[WEB_VIEW_DAY] = { "Day", "/calendar/day", "date", "d" },
		[WEB_VIEW_WEEK] = { "Week", "/calendar/week", "date", "w" },
		[WEB_VIEW_MONTH] = { "Month", "/calendar/month", "date", "m" },
		[WEB_VIEW_AGENDA] = { "Agenda", "/calendar", "from", "a" },
	};
	struct buffer *out = ctx->out;
	const char *ymd = web_format_ymd(ctx->pool, ctx->tz, date);

	html_printf(out, "<div class=\"calhead\">\n<h1 id=\"cal-title\">%s</h1>\n"
		    "<nav class=\"views\" aria-label=\"Calendar views\"><ul>\n", title);
	for (unsigned int i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		html_printf(out, "<li><a href=\"%s?%s=%s\" data-key=\"%s\"%S>%s</a></li>\n",
			    views[i].path, views[i].param, ymd, views[i].key,
			    i == view ? " aria-current=\"page\"" : "", views[i].label);
	html_printf(out, "</ul></nav>\n</div>\n<div class=\"toolbar\">\n"
		    "<a class=\"button\" href=\"%s?%s=%s\" data-key=\"p\">← Previous</a>\n"
		    "<a class=\"button\" href=\"%s\" data-key=\"t\">Today</a>\n"
		    "<a class=\"button\" href=\"%s?%s=%s\" data-key=\"n\">Next →</a>\n"
		    "<form method=\"get\" action=\"%s\" class=\"goto\">\n"
		    "<label for=\"goto-date\" class=\"sr-only\">Go to date</label>\n"
		    "<input id=\"goto-date\" type=\"date\" name=\"%s\" value=\"%s\">\n"
		    "<button type=\"submit\">Go</button>\n</form>\n"
		    "<a class=\"button primary\" href=\"/calendar/new?date=%s\" data-key=\"c\">New meeting</a>\n"
		    "</div>\n",
		    views[view].path, views[view].param,
		    web_format_ymd(ctx->pool, ctx->tz, prev), views[view].path,
		    views[view].path, views[view].param,
		    web_format_ymd(ctx->pool, ctx->tz, next), views[view].path,
		    views[view].param, ymd, ymd);
}

/* What the bounds left out, said once under the view. */
static void web_cal_bounds_note(struct web_ctx *ctx, const struct web_cal_budget *budget)
{
	if (budget->skipped > 0)
		html_printf(ctx->out, "<p class=\"notice\" role=\"status\">%u events could not be"
			    " shown: there is too much in this view to show at once. Try a"
			    " shorter view (Day or Week).</p>\n", budget->skipped);
	if (budget->dropped > 0)
		html_printf(ctx->out, "<p class=\"notice\" role=\"status\">Only the first %u"
			    " events are shown.</p>\n", (unsigned int)WEB_CAL_OCCURRENCES_MAX);
}

/* --- Agenda --- */

void web_agenda_page(struct web_ctx *ctx)
{
	struct buffer *out = ctx->out;
	time_t from = web_query_day(ctx, "from");
	time_t to = web_cal_day_add(ctx->tz, from, WEB_AGENDA_DAYS);
	struct web_cal_budget budget;
	struct web_occurrences o;
	const char *last_day = NULL;

	if (web_occurrences(ctx, from, to, &budget, &o) < 0)
		return;
	web_page_begin(ctx, "Calendar", WEB_NAV_CALENDAR);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"cal-title\">\n");
	web_cal_toolbar(ctx, WEB_VIEW_AGENDA, "Agenda", from,
			web_cal_day_add(ctx->tz, from, -WEB_AGENDA_DAYS), to);
	html_printf(out, "<p class=\"hint\">%s to %s, times in %s</p>\n",
		    web_format_date(ctx->pool, ctx->tz, from),
		    web_format_date(ctx->pool, ctx->tz, to - 1), web_tz_name(ctx->tz));
	web_cal_bounds_note(ctx, &budget);
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

/* --- Day and Week: the hour grid --- */

struct web_placed {
	const struct web_occurrence *occ;
	unsigned int row, span;   /* grid rows (1-based), quarter hours */
	unsigned int lane, lanes;
	bool hidden;              /* more than WEB_GRID_LANES at once */
};

/* Where the timed occurrences of one day go: rows by time, and side by
   side (lanes) where they overlap, each group of overlapping events as
   wide as it needs. Returns how many could not be placed. */
static unsigned int web_grid_place(const struct web_occurrences *o, time_t day,
				   time_t next_day, struct web_placed *placed,
				   unsigned int *count_r)
{
	time_t lane_end[WEB_GRID_LANES], group_end = 0;
	unsigned int n = 0, group_first = 0, group_lanes = 0, hidden = 0;

	for (unsigned int i = 0; i < o->count; i++) {
		const struct web_occurrence *occ = &o->list[i];
		time_t start, end;
		struct web_placed *p;
		unsigned int lane;

		if (occ->item->all_day || !web_occ_overlaps(occ, day, next_day))
			continue;
		start = occ->start > day ? occ->start : day;
		end = occ->end > start ? occ->end : start + 1;
		if (end > next_day)
			end = next_day;
		if (n > 0 && start >= group_end) {
			/* a new group of overlapping events begins */
			for (unsigned int j = group_first; j < n; j++)
				placed[j].lanes = group_lanes;
			group_first = n;
			group_lanes = 0;
		}
		if (n == group_first) {
			memset(lane_end, 0, sizeof(lane_end));
			group_end = 0;
		}
		p = &placed[n++];
		memset(p, 0, sizeof(*p));
		p->occ = occ;
		p->row = (unsigned int)((start - day) / 60 / WEB_GRID_SLOT_MIN) + 1;
		if (p->row > WEB_GRID_SLOTS)
			p->row = WEB_GRID_SLOTS;
		p->span = (unsigned int)((end - day + WEB_GRID_SLOT_MIN * 60 - 1) / 60 /
					 WEB_GRID_SLOT_MIN) + 1 - p->row;
		if (p->span < 1)
			p->span = 1;
		if (p->row + p->span > WEB_GRID_SLOTS + 1)
			p->span = WEB_GRID_SLOTS + 1 - p->row;
		/* the grid's rows are quarter hours: what shares a row overlaps
		   on the page even when the times do not */
		end = day + (time_t)(p->row - 1 + p->span) * WEB_GRID_SLOT_MIN * 60;
		start = day + (time_t)(p->row - 1) * WEB_GRID_SLOT_MIN * 60;
		for (lane = 0; lane < WEB_GRID_LANES; lane++) {
			if (lane_end[lane] <= start)
				break;
		}
		if (lane == WEB_GRID_LANES) {
			p->hidden = true;
			hidden++;
		} else {
			p->lane = lane;
			lane_end[lane] = end;
			if (lane + 1 > group_lanes)
				group_lanes = lane + 1;
		}
		if (end > group_end)
			group_end = end;
	}
	for (unsigned int j = group_first; j < n; j++)
		placed[j].lanes = group_lanes;
	*count_r = n;
	return hidden;
}

static void web_grid_day(struct web_ctx *ctx, const struct web_occurrences *o,
			 time_t day, time_t today, enum web_view view)
{
	struct buffer *out = ctx->out;
	time_t next_day = web_cal_day_add(ctx->tz, day, 1);
	const char *ymd = web_format_ymd(ctx->pool, ctx->tz, day);
	struct web_placed *placed = p_new(ctx->pool, struct web_placed, o->count + 1);
	unsigned int count, hidden, all_day = 0;

	hidden = web_grid_place(o, day, next_day, placed, &count);
	/* a week's days are regions of their own, to jump between; the Day
	   view's one day is the page's region already (same name) */
	if (view == WEB_VIEW_DAY)
		html_printf(out, "<div class=\"tg-day%S\">\n", day == today ? " today" : "");
	else
		html_printf(out, "<section class=\"tg-day%S\" aria-labelledby=\"d-%s\">\n",
			    day == today ? " today" : "", ymd);
	html_printf(out, "<h2 class=\"tg-head\" id=\"d-%s\">", ymd);
	if (view == WEB_VIEW_DAY)
		html_printf(out, "%s", web_format_date(ctx->pool, ctx->tz, day));
	else
		html_printf(out, "<a href=\"/calendar/day?date=%s\">%s</a>", ymd,
			    web_format_date(ctx->pool, ctx->tz, day));
	html_printf(out, "</h2>\n<ul class=\"tg-allday\" aria-label=\"All day\">\n");
	for (unsigned int i = 0; i < o->count; i++) {
		if (!o->list[i].item->all_day || !web_occ_overlaps(&o->list[i], day, next_day))
			continue;
		html_printf(out, "<li class=\"ev allday\"><span class=\"sr-only\">All day: </span>");
		web_occ_line(ctx, &o->list[i]);
		html_printf(out, "</li>\n");
		all_day++;
	}
	if (hidden > 0)
		html_printf(out, "<li class=\"more\"><a href=\"/calendar?from=%s\">+%u more</a></li>\n",
			    ymd, hidden);
	html_printf(out, "</ul>\n<ul class=\"tg-slots\">\n");
	for (unsigned int i = 0; i < count; i++) {
		const struct web_placed *p = &placed[i];

		if (p->hidden)
			continue;
		html_printf(out, "<li class=\"ev r%u h%u ln%u-%u%S\"><span class=\"when\">%s</span> ",
			    p->row, p->span, p->lanes, p->lane,
			    web_cal_cancelled(p->occ->item) ? " cancelled-ev" : "",
			    web_occ_when(ctx, p->occ));
		web_occ_line(ctx, p->occ);
		html_printf(out, "</li>\n");
	}
	if (count == 0 && all_day == 0)
		html_printf(out, "<li class=\"empty\">Nothing planned</li>\n");
	html_printf(out, "</ul>\n</%S>\n", view == WEB_VIEW_DAY ? "div" : "section");
}

/* The hour grid of days days from first (Day: 1, Week: 7). */
static void web_grid(struct web_ctx *ctx, const struct web_occurrences *o,
		     time_t first, int days, enum web_view view)
{
	struct buffer *out = ctx->out;
	time_t today = web_cal_day_start(ctx->tz, time(NULL));

	html_printf(out, "<div class=\"tgrid cols-%d\">\n"
		    "<div class=\"tg-hours\" aria-hidden=\"true\">\n"
		    "<div class=\"tg-head\"></div><div class=\"tg-allday\">All day</div>\n"
		    "<ol class=\"tg-slots\">\n", days);
	for (int h = 0; h < 24; h++)
		html_printf(out, "<li class=\"r%d h4\">%s</li>\n",
			    h * (60 / WEB_GRID_SLOT_MIN) + 1, p_printf(ctx->pool, "%02d:00", h));
	html_printf(out, "</ol>\n</div>\n");
	for (int d = 0; d < days; d++)
		web_grid_day(ctx, o, web_cal_day_add(ctx->tz, first, d), today, view);
	html_printf(out, "</div>\n");
}

void web_day_page(struct web_ctx *ctx)
{
	time_t day = web_query_day(ctx, "date");
	time_t next = web_cal_day_add(ctx->tz, day, 1);
	struct web_cal_budget budget;
	struct web_occurrences o;

	if (web_occurrences(ctx, day, next, &budget, &o) < 0)
		return;
	web_page_begin(ctx, "Day", WEB_NAV_CALENDAR);
	html_printf(ctx->out, "<section class=\"card cal\" aria-labelledby=\"cal-title\">\n");
	web_cal_toolbar(ctx, WEB_VIEW_DAY, web_format_date(ctx->pool, ctx->tz, day), day,
			web_cal_day_add(ctx->tz, day, -1), next);
	html_printf(ctx->out, "<p class=\"hint\">Times in %s</p>\n", web_tz_name(ctx->tz));
	web_cal_bounds_note(ctx, &budget);
	web_grid(ctx, &o, day, 1, WEB_VIEW_DAY);
	html_printf(ctx->out, "</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

static time_t web_monday(const struct web_tz *tz, time_t day)
{
	struct tm tm;
	const char *abbr;

	web_tz_localtime(tz, day + 12 * 3600, &tm, &abbr);
	return web_cal_day_add(tz, day, -((tm.tm_wday + 6) % 7));
}

void web_week_page(struct web_ctx *ctx)
{
	time_t monday = web_monday(ctx->tz, web_query_day(ctx, "date"));
	time_t next_week = web_cal_day_add(ctx->tz, monday, 7);
	struct web_cal_budget budget;
	struct web_occurrences o;

	if (web_occurrences(ctx, monday, next_week, &budget, &o) < 0)
		return;
	web_page_begin(ctx, "Week", WEB_NAV_CALENDAR);
	html_printf(ctx->out, "<section class=\"card cal\" aria-labelledby=\"cal-title\">\n");
	web_cal_toolbar(ctx, WEB_VIEW_WEEK,
			p_printf(ctx->pool, "Week of %s",
				 web_format_date(ctx->pool, ctx->tz, monday)),
			monday, web_cal_day_add(ctx->tz, monday, -7), next_week);
	html_printf(ctx->out, "<p class=\"hint\">Times in %s</p>\n", web_tz_name(ctx->tz));
	web_cal_bounds_note(ctx, &budget);
	web_grid(ctx, &o, monday, 7, WEB_VIEW_WEEK);
	html_printf(ctx->out, "</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

/* --- Month --- */

void web_month_page(struct web_ctx *ctx)
{
	static const char *const wdays[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
					     "Friday", "Saturday", "Sunday" };
	struct buffer *out = ctx->out;
	time_t day = web_query_day(ctx, "date"), first, first_shown, end_shown, today;
	struct web_cal_budget budget;
	struct web_occurrences o;
	struct tm tm;
	const char *abbr;
	int month;

	web_tz_localtime(ctx->tz, day + 12 * 3600, &tm, &abbr);
	month = tm.tm_mon;
	first = web_cal_day_add(ctx->tz, day, 1 - tm.tm_mday);
	first_shown = web_monday(ctx->tz, first);
	/* six weeks always hold the month; fewer when it ends sooner */
	end_shown = web_cal_day_add(ctx->tz, first_shown, 42);
	while (web_cal_day_add(ctx->tz, end_shown, -7) > first) {
		struct tm last;

		web_tz_localtime(ctx->tz, web_cal_day_add(ctx->tz, end_shown, -7) + 12 * 3600,
				 &last, &abbr);
		if (last.tm_mon == month)
			break;
		end_shown = web_cal_day_add(ctx->tz, end_shown, -7);
	}
	today = web_cal_day_start(ctx->tz, time(NULL));
	if (web_occurrences(ctx, first_shown, end_shown, &budget, &o) < 0)
		return;
	web_page_begin(ctx, "Month", WEB_NAV_CALENDAR);
	html_printf(out, "<section class=\"card cal\" aria-labelledby=\"cal-title\">\n");
	web_cal_toolbar(ctx, WEB_VIEW_MONTH, web_format_month(ctx->pool, ctx->tz, first), day,
			web_cal_day_add(ctx->tz, first, -1),
			web_cal_day_add(ctx->tz, first, 32));
	html_printf(out, "<p class=\"hint\">Times in %s</p>\n", web_tz_name(ctx->tz));
	web_cal_bounds_note(ctx, &budget);
	html_printf(out, "<table class=\"month\" aria-labelledby=\"cal-title\">\n<thead><tr>");
	for (int i = 0; i < 7; i++)
		html_printf(out, "<th scope=\"col\"><abbr title=\"%s\">%s</abbr></th>",
			    wdays[i], p_strndup(ctx->pool, wdays[i], 3));
	html_printf(out, "</tr></thead>\n<tbody>\n");
	for (time_t d = first_shown; d < end_shown; d = web_cal_day_add(ctx->tz, d, 1)) {
		time_t next = web_cal_day_add(ctx->tz, d, 1);
		const char *ymd = web_format_ymd(ctx->pool, ctx->tz, d);
		unsigned int shown = 0, total = 0;
		struct tm dtm;

		web_tz_localtime(ctx->tz, d + 12 * 3600, &dtm, &abbr);
		if (dtm.tm_wday == 1)
			html_printf(out, "<tr>\n");
		html_printf(out, "<td class=\"%S%S\"><a class=\"dnum\" href=\"/calendar/day?date=%s\""
			    " aria-label=\"%s\">%d</a>\n<ul>\n",
			    dtm.tm_mon != month ? "out" : "in", d == today ? " today" : "", ymd,
			    web_format_date(ctx->pool, ctx->tz, d), dtm.tm_mday);
		for (unsigned int i = 0; i < o.count; i++) {
			if (!web_occ_overlaps(&o.list[i], d, next))
				continue;
			total++;
			if (shown == WEB_MONTH_SHOWN)
				continue;
			shown++;
			html_printf(out, "<li class=\"ev%S\">", o.list[i].item->all_day ?
				    " allday" : "");
			if (!o.list[i].item->all_day)
				html_printf(out, "<span class=\"when\">%s</span> ",
					    web_format_time(ctx->pool, ctx->tz,
							    o.list[i].start > d ? o.list[i].start : d));
			html_printf(out, "<a href=\"/item/%q\">%s</a>", o.list[i].item->token,
				    web_occ_title(o.list[i].item));
			web_occ_badge(ctx, o.list[i].item);
			html_printf(out, "</li>\n");
		}
		html_printf(out, "</ul>\n");
		if (total > shown)
			html_printf(out, "<a class=\"more\" href=\"/calendar/day?date=%s\">+%u more</a>\n",
				    ymd, total - shown);
		html_printf(out, "</td>\n");
		if (dtm.tm_wday == 0)
			html_printf(out, "</tr>\n");
	}
	html_printf(out, "</tbody>\n</table>\n</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}
