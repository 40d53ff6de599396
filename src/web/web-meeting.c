/*
 * The meeting form: New meeting (/calendar/new), Edit (/item/TOKEN/edit)
 * and Cancel meeting (/item/TOKEN/cancel). The form reads and checks every
 * field and shows every mistake at once; a start in the past is asked
 * about ("Yes, in the past"). "Check availability" shows the busy times
 * of the attendees who have a calendar here, for the chosen day.
 *
 * Creating goes through cal_create_meeting(), changing and cancelling
 * through cal_update_meeting() and cal_cancel_meeting(): the scheduling
 * path CalDAV uses, which sends the REQUESTs and CANCELs. Only the
 * organizer may change a meeting; cal checks it again.
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

#define WEB_ATTENDEES_MAX 100
#define WEB_MEETING_ERRORS_MAX 16
/* attendees whose free/busy the form shows, at most */
#define WEB_FREEBUSY_MAX 20

/* The form's fields as text, as they are shown. */
struct web_meeting_form {
	const char *summary, *location, *description, *attendees;
	const char *date, *start, *end_date, *end, *tz;
	bool all_day;
	const char *repeat;          /* "none", "daily", "weekly", "monthly" */
	const char *repeat_end;      /* "count" or "until" */
	const char *repeat_count, *repeat_until;
	bool past_ok;
};

struct web_meeting_error {
	const char *field;           /* the id of the field it is about */
	const char *text;
};

struct web_meeting_errors {
	struct web_meeting_error list[WEB_MEETING_ERRORS_MAX];
	unsigned int count;
	bool past;                   /* the start is in the past, not confirmed */
};

static void web_meeting_error(struct web_meeting_errors *e, const char *field,
			      const char *text)
{
	if (e->count < WEB_MEETING_ERRORS_MAX) {
		e->list[e->count].field = field;
		e->list[e->count++].text = text;
	}
}

static const char *const web_repeat_names[] = {
	[CAL_REPEAT_NONE] = "none", [CAL_REPEAT_DAILY] = "daily",
	[CAL_REPEAT_WEEKLY] = "weekly", [CAL_REPEAT_MONTHLY] = "monthly",
};
static const char *const web_repeat_labels[] = {
	[CAL_REPEAT_NONE] = "Does not repeat", [CAL_REPEAT_DAILY] = "Every day",
	[CAL_REPEAT_WEEKLY] = "Every week", [CAL_REPEAT_MONTHLY] = "Every month",
};

static const char *web_field(struct web_ctx *ctx, const char *name, const char *def)
{
	const char *v = web_form_get(&ctx->form, name);

	return v != NULL ? v : def;
}

static bool web_checked(struct web_ctx *ctx, const char *name)
{
	const char *v = web_form_get(&ctx->form, name);

	return v != NULL && *v != '\0';
}

/* A new meeting: the next full hour, or 09:00 of ?date= */
static void web_meeting_defaults(struct web_ctx *ctx, struct web_meeting_form *f)
{
	time_t start = (time(NULL) / 3600 + 1) * 3600;
	const char *q = web_form_get(&ctx->query, "date");
	int y, m, d;

	if (q != NULL && web_parse_date(q, &y, &m, &d) == 0 && y >= 1971 && y <= 9998 &&
	    web_tz_mktime(ctx->tz, y, m, d, 9 * 60) > start)
		start = web_tz_mktime(ctx->tz, y, m, d, 9 * 60);
	memset(f, 0, sizeof(*f));
	f->summary = f->location = f->description = f->attendees = "";
	f->date = f->end_date = web_format_ymd(ctx->pool, ctx->tz, start);
	f->start = web_format_time(ctx->pool, ctx->tz, start);
	f->end = web_format_time(ctx->pool, ctx->tz, start + 3600);
	f->end_date = web_format_ymd(ctx->pool, ctx->tz, start + 3600);
	f->tz = web_tz_name(ctx->tz);
	f->repeat = "none";
	f->repeat_end = "count";
	f->repeat_count = "10";
	f->repeat_until = "";
}

/* What was posted; fields not sent keep the defaults. */
static void web_meeting_posted(struct web_ctx *ctx, struct web_meeting_form *f)
{
	web_meeting_defaults(ctx, f);
	f->summary = web_field(ctx, "summary", "");
	f->location = web_field(ctx, "location", "");
	f->description = web_field(ctx, "description", "");
	f->attendees = web_field(ctx, "attendees", "");
	f->date = web_field(ctx, "date", "");
	f->start = web_field(ctx, "start", "");
	/* the end is on the start's day unless the form says otherwise */
	f->end_date = web_field(ctx, "end_date", f->date);
	if (*f->end_date == '\0')
		f->end_date = f->date;
	f->end = web_field(ctx, "end", "");
	f->tz = web_field(ctx, "tz", "");
	f->all_day = web_checked(ctx, "all_day");
	f->repeat = web_field(ctx, "repeat", "none");
	f->repeat_end = web_field(ctx, "repeat_end", "count");
	f->repeat_count = web_field(ctx, "repeat_count", "");
	f->repeat_until = web_field(ctx, "repeat_until", "");
	f->past_ok = web_checked(ctx, "past_ok");
}

/* The form as the meeting is now (Edit). */
static void web_meeting_from_view(struct web_ctx *ctx, const struct cal_item_view *view,
				  struct web_meeting_form *f)
{
	const struct web_tz *tz = view->tzid != NULL ? web_tz_get(view->tzid) : NULL;
	const char *attendees = "";

	web_meeting_defaults(ctx, f);
	if (tz == NULL)
		tz = ctx->tz;
	f->summary = view->summary != NULL ? view->summary : "";
	f->location = view->location != NULL ? view->location : "";
	f->description = view->description != NULL ? view->description : "";
	for (unsigned int i = 0; i < view->attendee_count; i++) {
		const char *a = view->attendees[i].address;

		if (view->organizer != NULL && str_iequal(a, view->organizer))
			continue;
		attendees = p_printf(ctx->pool, "%s%s%s", attendees, *attendees != '\0' ? ", " : "", a);
	}
	f->attendees = attendees;
	f->all_day = view->all_day;
	if (view->all_day) {
		/* dates: as written, whatever the zone */
		f->date = web_format_ymd(ctx->pool, web_tz_utc(), view->start);
		f->end_date = web_format_ymd(ctx->pool, web_tz_utc(),
					     view->end > view->start ? view->end - 86400 : view->start);
	} else {
		f->date = web_format_ymd(ctx->pool, tz, view->start);
		f->start = web_format_time(ctx->pool, tz, view->start);
		f->end_date = web_format_ymd(ctx->pool, tz, view->end);
		f->end = web_format_time(ctx->pool, tz, view->end);
		f->tz = web_tz_name(tz);
	}
	f->repeat = web_repeat_names[view->repeat];
	if (view->repeat_count > 0) {
		f->repeat_end = "count";
		f->repeat_count = p_printf(ctx->pool, "%u", view->repeat_count);
	} else if (view->repeat_until != 0) {
		f->repeat_end = "until";
		f->repeat_until = web_format_ymd(ctx->pool, view->all_day ? web_tz_utc() : tz,
						 view->repeat_until);
	}
}

/* Split the attendee field on commas, semicolons and white space; every
   address that is not one is an error of its own. */
static void web_split_attendees(struct web_ctx *ctx, const char *field,
				const char ***list_r, unsigned int *count_r,
				struct web_meeting_errors *errors)
{
	const char **list = p_new(ctx->pool, const char *, WEB_ATTENDEES_MAX + 1);
	unsigned int count = 0;
	const char *p = field;

	while (*p != '\0') {
		size_t n;
		char *addr;

		p += strspn(p, " \t\r\n,;");
		n = strcspn(p, " \t\r\n,;");
		if (n == 0)
			break;
		if (count == WEB_ATTENDEES_MAX) {
			web_meeting_error(errors, "attendees", "Too many attendees (at most 100).");
			break;
		}
		addr = p_strndup(ctx->pool, p, n);
		if (addr[0] == '<' && n > 2 && addr[n - 1] == '>') {
			addr[n - 1] = '\0';
			addr++;
		}
		if (!str_is_address(addr) || strlen(addr) > 254)
			web_meeting_error(errors, "attendees", p_printf(
				ctx->pool, "“%s” is not an email address.", addr));
		else if (str_iequal(addr, ctx->user.address))
			web_meeting_error(errors, "attendees",
					  "You organize the meeting; do not invite yourself.");
		else
			list[count++] = addr;
		p += n;
	}
	*list_r = list;
	*count_r = count;
}

static time_t web_date_utc(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

/*
 * Read the form into meeting. Every mistake goes into errors; the zone
 * is *tz_r. 0 when the meeting can be made.
 */
static int web_meeting_read(struct web_ctx *ctx, const struct web_meeting_form *f,
			    struct cal_new_meeting *meeting, const struct web_tz **tz_r,
			    struct web_meeting_errors *errors)
{
	const char **attendees = NULL;
	unsigned int attendee_count = 0;
	const struct web_tz *tz = NULL;
	int y, m, d, ey, em, ed, start_min = 0, end_min = 0;
	bool dates_ok = true, times_ok = true;

	memset(meeting, 0, sizeof(*meeting));
	memset(errors, 0, sizeof(*errors));
	if (*f->summary == '\0')
		web_meeting_error(errors, "summary", "Please give the meeting a title.");
	else if (strlen(f->summary) > 200)
		web_meeting_error(errors, "summary", "The title is too long (at most 200 characters).");
	if (strlen(f->location) > 200)
		web_meeting_error(errors, "location", "The location is too long (at most 200 characters).");
	if (strlen(f->description) > 16384)
		web_meeting_error(errors, "description", "The description is too long.");
	web_split_attendees(ctx, f->attendees, &attendees, &attendee_count, errors);
	if (attendee_count == 0 && errors->count == 0)
		web_meeting_error(errors, "attendees", "Please invite at least one person.");
	for (unsigned int i = 0; i < attendee_count; i++) {
		for (unsigned int j = 0; j < i; j++) {
			if (str_iequal(attendees[i], attendees[j])) {
				web_meeting_error(errors, "attendees", p_printf(
					ctx->pool, "%s is listed twice.", attendees[i]));
				break;
			}
		}
	}
	if (web_parse_date(f->date, &y, &m, &d) < 0 || y < 1971 || y > 9998) {
		web_meeting_error(errors, "date", "Please give the date it starts (YYYY-MM-DD).");
		dates_ok = false;
	}
	if (web_parse_date(f->end_date, &ey, &em, &ed) < 0 || ey < 1971 || ey > 9998) {
		web_meeting_error(errors, "end_date", "Please give the date it ends (YYYY-MM-DD).");
		dates_ok = false;
	}
	if (!f->all_day) {
		if (web_parse_hhmm(f->start, &start_min) < 0) {
			web_meeting_error(errors, "start", "Please give the time it starts (HH:MM).");
			times_ok = false;
		}
		if (web_parse_hhmm(f->end, &end_min) < 0) {
			web_meeting_error(errors, "end", "Please give the time it ends (HH:MM).");
			times_ok = false;
		}
		if ((tz = web_tz_get(f->tz)) == NULL || !web_tz_name_valid(f->tz)) {
			web_meeting_error(errors, "tz", "Please choose a time zone from the list.");
			tz = NULL;
		}
	}
	if (dates_ok && f->all_day) {
		meeting->all_day = true;
		meeting->start = web_date_utc(y, m, d);
		meeting->end = web_date_utc(ey, em, ed) + 86400;
		if (meeting->end <= meeting->start)
			web_meeting_error(errors, "end_date", "The meeting ends before it starts.");
	} else if (dates_ok && times_ok && tz != NULL) {
		meeting->start = web_tz_mktime(tz, y, m, d, start_min);
		meeting->end = web_tz_mktime(tz, ey, em, ed, end_min);
		meeting->tzid = web_tz_name(tz);
		if (meeting->end <= meeting->start)
			web_meeting_error(errors, "end", "The meeting ends before it starts.");
	}
	if (meeting->end > meeting->start && meeting->end - meeting->start > 31 * 86400)
		web_meeting_error(errors, "end_date", "A meeting can last at most 31 days.");

	for (int r = CAL_REPEAT_NONE; r <= CAL_REPEAT_MONTHLY; r++) {
		if (strcmp(f->repeat, web_repeat_names[r]) == 0)
			meeting->repeat = (enum cal_repeat)r;
	}
	if (meeting->repeat != CAL_REPEAT_NONE) {
		if (strcmp(f->repeat_end, "until") == 0) {
			int uy, um, ud;

			if (web_parse_date(f->repeat_until, &uy, &um, &ud) < 0 || uy < 1971 ||
			    uy > 9998) {
				web_meeting_error(errors, "repeat_until",
						  "Please give the date the repetition ends.");
			} else {
				/* the whole of that day (RFC 5545 3.3.10: UNTIL is
				   inclusive) */
				meeting->repeat_until = f->all_day || tz == NULL ?
					web_date_utc(uy, um, ud) :
					web_tz_mktime(tz, uy, um, ud, 23 * 60 + 59) + 59;
				if (dates_ok && meeting->start != 0 &&
				    meeting->repeat_until < meeting->start)
					web_meeting_error(errors, "repeat_until",
							  "The repetition ends before the meeting starts.");
			}
		} else {
			char *endp;
			unsigned long n = strtoul(f->repeat_count, &endp, 10);

			if (*f->repeat_count == '\0' || *endp != '\0' || n < 1 ||
			    n > CAL_REPEAT_COUNT_MAX)
				web_meeting_error(errors, "repeat_count",
						  "Please say how many times it happens (1 to 500).");
			else
				meeting->repeat_count = (unsigned int)n;
		}
	}
	if (errors->count == 0 && meeting->start < time(NULL) && !f->past_ok) {
		errors->past = true;
		web_meeting_error(errors, "past_ok", "The meeting starts in the past. If that is"
				  " what you mean, tick “Yes, in the past” and send again.");
	}
	meeting->summary = f->summary;
	meeting->location = *f->location != '\0' ? f->location : NULL;
	meeting->description = *f->description != '\0' ? f->description : NULL;
	meeting->attendees = attendees;
	meeting->attendee_count = attendee_count;
	*tz_r = tz;
	return errors->count == 0 ? 0 : -1;
}

/* --- free/busy --- */

/* The busy times of each attendee with a calendar here (and the
   organizer's), on the form's day, bounded as the views are. */
static void web_meeting_freebusy(struct web_ctx *ctx, const struct web_meeting_form *f,
				 int64_t exclude_id)
{
	struct buffer *out = ctx->out;
	struct web_meeting_errors ignored;
	struct web_cal_budget budget;
	const struct web_tz *tz = web_tz_get(f->tz);
	const char **who;
	unsigned int count, shown = 0;
	int y, m, d;
	time_t day, next;

	memset(&ignored, 0, sizeof(ignored));
	if (tz == NULL || f->all_day)
		tz = ctx->tz;
	if (web_parse_date(f->date, &y, &m, &d) < 0 || y < 1971 || y > 9998)
		return;
	day = web_tz_mktime(tz, y, m, d, 0);
	next = web_cal_day_add(tz, day, 1);
	web_split_attendees(ctx, f->attendees, &who, &count, &ignored);
	who[count++] = ctx->user.address;
	web_cal_budget_init(&budget);
	html_printf(out, "<section class=\"freebusy\" aria-labelledby=\"fb-title\">\n"
		    "<h2 id=\"fb-title\">Availability on %s</h2>\n"
		    "<p class=\"hint\">Busy times in %s. Only people with a calendar on this"
		    " server are shown.</p>\n<ul>\n",
		    web_format_date(ctx->pool, tz, day), web_tz_name(tz));
	for (unsigned int i = 0; i < count && shown < WEB_FREEBUSY_MAX; i++) {
		struct store_user user;
		struct web_occurrences o;
		int ret = store_user_lookup(ctx->srv->store, who[i], ctx->pool, &user);
		bool self = i == count - 1;

		if (ret <= 0)
			continue;
		shown++;
		memset(&o, 0, sizeof(o));
		o.busy = true;
		o.exclude_id = self ? exclude_id : 0;
		if (web_cal_collect(ctx, user.id, day, next, &budget, &o) < 0)
			break;
		html_printf(out, "<li><strong>%s</strong>: ", self ? "You" : who[i]);
		if (o.count == 0)
			html_printf(out, "free all day");
		for (unsigned int j = 0; j < o.count; j++) {
			const struct web_occurrence *occ = &o.list[j];

			html_printf(out, "%s<span class=\"busy\">", j > 0 ? ", " : "busy ");
			if (occ->item->all_day)
				html_printf(out, "all day");
			else
				html_printf(out, "%s–%s",
					    web_format_time(ctx->pool, tz, occ->start > day ?
							    occ->start : day),
					    web_format_time(ctx->pool, tz, occ->end < next ?
							    occ->end : next - 60));
			html_printf(out, "</span>");
		}
		html_printf(out, "</li>\n");
	}
	html_printf(out, "</ul>\n");
	if (budget.skipped > 0)
		html_printf(out, "<p class=\"notice\">Not every calendar could be read in time.</p>\n");
	html_printf(out, "</section>\n");
}

/* --- the form --- */

static void web_meeting_option(struct buffer *out, const char *value, const char *label,
			       const char *current)
{
	html_printf(out, "<option value=\"%s\"%S>%s</option>\n", value,
		    strcmp(value, current) == 0 ? " selected" : "", label);
}

static void web_meeting_tz_select(struct web_ctx *ctx, const char *current)
{
	const char *const *names;
	unsigned int count;
	bool found = false;

	cal_tz_names(ctx->pool, &names, &count);
	html_printf(ctx->out, "<select id=\"tz\" name=\"tz\">\n");
	for (unsigned int i = 0; i < count; i++) {
		if (strcmp(names[i], current) == 0)
			found = true;
		web_meeting_option(ctx->out, names[i], names[i], current);
	}
	/* a zone the viewer's browser uses that libical does not list */
	if (!found && web_tz_get(current) != NULL)
		web_meeting_option(ctx->out, current, current, current);
	html_printf(ctx->out, "</select>\n");
}

/* aria-invalid and the error's id for a field with a mistake */
static const char *web_meeting_invalid(struct web_ctx *ctx,
				       const struct web_meeting_errors *errors,
				       const char *field)
{
	for (unsigned int i = 0; errors != NULL && i < errors->count; i++) {
		if (strcmp(errors->list[i].field, field) == 0)
			return p_printf(ctx->pool, " aria-invalid=\"true\" aria-describedby=\"err-%u\"", i);
	}
	return "";
}

/*
 * The form. token NULL: a new meeting, else the edit of that item.
 * notice: a line above the form, or NULL.
 */
static void web_meeting_render(struct web_ctx *ctx, int status, const char *token,
			       const struct web_meeting_form *f,
			       const struct web_meeting_errors *errors,
			       bool freebusy, int64_t item_id, const char *notice)
{
	struct buffer *out = ctx->out;
	const char *action = token == NULL ? "/calendar/new" :
		p_printf(ctx->pool, "/item/%s/edit", token);
	const char *title = token == NULL ? "New meeting" : "Edit meeting";

	buffer_reset(out);
	web_page_begin(ctx, title, token == NULL ? WEB_NAV_NEW_MEETING : WEB_NAV_CALENDAR);
	html_printf(out, "<section class=\"card meeting-form\" aria-labelledby=\"new-title\">\n"
		    "<h1 id=\"new-title\">%s</h1>\n", title);
	if (notice != NULL)
		html_printf(out, "<p class=\"notice\" role=\"status\">%s</p>\n", notice);
	if (errors != NULL && errors->count > 0) {
		html_printf(out, "<div class=\"errors\" role=\"alert\">\n<p class=\"error\">%s</p>\n<ul>\n",
			    errors->count == 1 ? "Please correct this:" :
			    "Please correct these:");
		for (unsigned int i = 0; i < errors->count; i++)
			html_printf(out, "<li id=\"err-%u\"><a href=\"#%s\">%s</a></li>\n", i,
				    errors->list[i].field, errors->list[i].text);
		html_printf(out, "</ul>\n</div>\n");
	}
	html_printf(out, "<form method=\"post\" action=\"%s\" class=\"stack\">\n", action);
	web_page_csrf_field(ctx);
	if (errors != NULL && errors->past)
		html_printf(out, "<label class=\"check past\"><input type=\"checkbox\" id=\"past_ok\""
			    " name=\"past_ok\" value=\"1\"> Yes, in the past</label>\n");
	html_printf(out,
		"<label for=\"summary\">Title</label>\n"
		"<input id=\"summary\" name=\"summary\" maxlength=\"200\" value=\"%s\"%S>\n"
		"<label for=\"location\">Location (optional)</label>\n"
		"<input id=\"location\" name=\"location\" maxlength=\"200\" value=\"%s\"%S>\n"
		"<label for=\"attendees\">Attendees (email addresses, separated by commas)</label>\n"
		"<textarea id=\"attendees\" name=\"attendees\" rows=\"2\" autocapitalize=\"none\""
		" spellcheck=\"false\" data-complete=\"/contacts/complete\"%S>%s</textarea>\n"
		"<label class=\"check\"><input type=\"checkbox\" id=\"all_day\" name=\"all_day\""
		" value=\"1\"%S> All day</label>\n"
		"<div class=\"grid2\">\n"
		"<div class=\"stack\"><label for=\"date\">Start date</label>\n"
		"<input id=\"date\" name=\"date\" type=\"date\" value=\"%s\"%S></div>\n"
		"<div class=\"stack\"><label for=\"start\">Start time</label>\n"
		"<input id=\"start\" name=\"start\" type=\"time\" value=\"%s\"%S></div>\n"
		"<div class=\"stack\"><label for=\"end_date\">End date</label>\n"
		"<input id=\"end_date\" name=\"end_date\" type=\"date\" value=\"%s\"%S></div>\n"
		"<div class=\"stack\"><label for=\"end\">End time</label>\n"
		"<input id=\"end\" name=\"end\" type=\"time\" value=\"%s\"%S></div>\n"
		"</div>\n"
		"<label for=\"tz\">Time zone</label>\n",
		f->summary, web_meeting_invalid(ctx, errors, "summary"),
		f->location, web_meeting_invalid(ctx, errors, "location"),
		web_meeting_invalid(ctx, errors, "attendees"), f->attendees,
		f->all_day ? " checked" : "",
		f->date, web_meeting_invalid(ctx, errors, "date"),
		f->all_day ? "" : f->start, web_meeting_invalid(ctx, errors, "start"),
		f->end_date, web_meeting_invalid(ctx, errors, "end_date"),
		f->all_day ? "" : f->end, web_meeting_invalid(ctx, errors, "end"));
	web_meeting_tz_select(ctx, f->tz);
	html_printf(out, "<fieldset class=\"repeat\">\n<legend>Repeat</legend>\n"
		    "<label for=\"repeat\" class=\"sr-only\">Repeats</label>\n"
		    "<select id=\"repeat\" name=\"repeat\">\n");
	for (int r = CAL_REPEAT_NONE; r <= CAL_REPEAT_MONTHLY; r++)
		web_meeting_option(out, web_repeat_names[r], web_repeat_labels[r], f->repeat);
	html_printf(out, "</select>\n<div class=\"repeat-end\">\n"
		    "<label class=\"check\"><input type=\"radio\" name=\"repeat_end\" value=\"count\"%S>"
		    " Ends after</label>\n"
		    "<label for=\"repeat_count\" class=\"sr-only\">Number of times</label>\n"
		    "<input id=\"repeat_count\" name=\"repeat_count\" type=\"number\" min=\"1\""
		    " max=\"500\" value=\"%s\"%S> <span>times</span>\n"
		    "<label class=\"check\"><input type=\"radio\" name=\"repeat_end\" value=\"until\"%S>"
		    " Ends on</label>\n"
		    "<label for=\"repeat_until\" class=\"sr-only\">Last date</label>\n"
		    "<input id=\"repeat_until\" name=\"repeat_until\" type=\"date\" value=\"%s\"%S>\n"
		    "</div>\n</fieldset>\n"
		    "<label for=\"description\">Description (optional)</label>\n"
		    "<textarea id=\"description\" name=\"description\" rows=\"4\"%S>%s</textarea>\n"
		    "<div class=\"answer\">\n"
		    "<button type=\"submit\" class=\"primary\">%s</button>\n"
		    "<button type=\"submit\" name=\"check\" value=\"1\">Check availability</button>\n"
		    "</div>\n</form>\n",
		    strcmp(f->repeat_end, "until") != 0 ? " checked" : "",
		    f->repeat_count, web_meeting_invalid(ctx, errors, "repeat_count"),
		    strcmp(f->repeat_end, "until") == 0 ? " checked" : "",
		    f->repeat_until, web_meeting_invalid(ctx, errors, "repeat_until"),
		    web_meeting_invalid(ctx, errors, "description"), f->description,
		    token == NULL ? "Send invitations" : "Send update");
	if (freebusy)
		web_meeting_freebusy(ctx, f, item_id);
	html_printf(out, "</section>\n");
	if (token != NULL)
		html_printf(out, "<p><a href=\"/item/%q\">Back to the meeting</a></p>\n", token);
	web_page_end(ctx);
	web_send_html(ctx, status);
}

static bool web_meeting_csrf(struct web_ctx *ctx)
{
	if (web_csrf_ok(ctx))
		return true;
	web_send_message(ctx, 403, "Forbidden",
			 "This form has expired. Please go back, reload the page and try again.");
	return false;
}

void web_new_meeting_page(struct web_ctx *ctx)
{
	struct web_meeting_form f;

	web_meeting_defaults(ctx, &f);
	web_meeting_render(ctx, 200, NULL, &f, NULL, false, 0, NULL);
}

void web_new_meeting_post(struct web_ctx *ctx)
{
	struct web_meeting_form f;
	struct web_meeting_errors errors;
	struct cal_new_meeting meeting;
	const struct web_tz *tz;
	struct store_cal_item item;
	const char *error;
	int64_t item_id;

	if (!web_meeting_csrf(ctx))
		return;
	web_meeting_posted(ctx, &f);
	if (web_checked(ctx, "check")) {
		web_meeting_render(ctx, 200, NULL, &f, NULL, true, 0, NULL);
		return;
	}
	if (web_meeting_read(ctx, &f, &meeting, &tz, &errors) < 0) {
		web_meeting_render(ctx, 400, NULL, &f, &errors, false, 0, NULL);
		return;
	}
	if (cal_create_meeting(ctx->srv->store, ctx->srv->conf, &ctx->user, &meeting,
			       &item_id, &error) < 0 && item_id == 0) {
		web_meeting_error(&errors, "summary", error);
		web_meeting_render(ctx, 400, NULL, &f, &errors, false, 0, NULL);
		return;
	}
	log_info("web", "meeting created user=%s attendees=%u",
		 log_value(ctx->user.address), meeting.attendee_count);
	if (store_cal_item_lookup_id(ctx->srv->store, item_id, ctx->pool, &item) > 0)
		web_send_redirect(ctx, 303, p_printf(ctx->pool, "/item/%s", item.token));
	else
		web_send_redirect(ctx, 303, "/calendar");
}

/*
 * The item of the route's token, which the viewer organizes: 1 (item_r,
 * view_r set), or 0 with the answer sent: 404 for another's or no item
 * (as every item page), 403 for an attendee.
 */
static int web_meeting_own(struct web_ctx *ctx, struct store_cal_item *item_r,
			   struct cal_item_view *view_r)
{
	if (web_item_lookup(ctx, item_r) <= 0)
		return 0;
	if (cal_item_view(ctx->pool, item_r, ctx->user.address, view_r) < 0) {
		web_send_message(ctx, 500, "Cannot show this meeting",
				 "This calendar item could not be read.");
		return 0;
	}
	if (!view_r->i_am_organizer) {
		log_info("web", "meeting change refused user=%s uid=%s: not the organizer",
			 log_value(ctx->user.address), log_value(item_r->uid));
		web_send_message(ctx, 403, "Only the organizer can change this meeting",
				 "You were invited to this meeting. You can answer it, but only"
				 " the organizer can change or cancel it.");
		return 0;
	}
	return 1;
}

void web_edit_meeting_page(struct web_ctx *ctx)
{
	struct store_cal_item item;
	struct cal_item_view view;
	struct web_meeting_form f;

	if (web_meeting_own(ctx, &item, &view) == 0)
		return;
	if (strcmp(view.status, "CANCELLED") == 0) {
		web_send_message(ctx, 409, "This meeting has been cancelled",
				 "A cancelled meeting cannot be changed.");
		return;
	}
	web_meeting_from_view(ctx, &view, &f);
	web_meeting_render(ctx, 200, ctx->route.token, &f, NULL, true, item.id,
			   view.repeat_other ? p_printf(ctx->pool, "This meeting repeats in a way"
							" this form cannot show (%s). Sending an"
							" update replaces it with what you choose"
							" under Repeat.", view.recurrence) : NULL);
}

void web_edit_meeting_post(struct web_ctx *ctx)
{
	struct store_cal_item item;
	struct cal_item_view view;
	struct web_meeting_form f;
	struct web_meeting_errors errors;
	struct cal_new_meeting meeting;
	const struct web_tz *tz;
	const char *error;
	bool forbidden;

	if (!web_meeting_csrf(ctx) || web_meeting_own(ctx, &item, &view) == 0)
		return;
	web_meeting_posted(ctx, &f);
	if (web_checked(ctx, "check")) {
		web_meeting_render(ctx, 200, ctx->route.token, &f, NULL, true, item.id, NULL);
		return;
	}
	if (web_meeting_read(ctx, &f, &meeting, &tz, &errors) < 0) {
		web_meeting_render(ctx, 400, ctx->route.token, &f, &errors, false, item.id, NULL);
		return;
	}
	if (cal_update_meeting(ctx->srv->store, ctx->srv->conf, &ctx->user, item.id,
			       &meeting, &forbidden, &error) < 0) {
		if (forbidden) {
			web_send_message(ctx, 403, "Only the organizer can change this meeting",
					 error);
			return;
		}
		memset(&errors, 0, sizeof(errors));
		web_meeting_error(&errors, "summary", error);
		web_meeting_render(ctx, 400, ctx->route.token, &f, &errors, false, item.id, NULL);
		return;
	}
	web_send_redirect(ctx, 303, p_printf(ctx->pool, "/item/%s?updated=1", ctx->route.token));
}

void web_cancel_meeting_post(struct web_ctx *ctx)
{
	struct store_cal_item item;
	struct cal_item_view view;
	const char *error;
	bool forbidden;

	if (!web_meeting_csrf(ctx) || web_meeting_own(ctx, &item, &view) == 0)
		return;
	if (cal_cancel_meeting(ctx->srv->store, ctx->srv->conf, &ctx->user, item.id,
			       &forbidden, &error) < 0) {
		web_send_message(ctx, forbidden ? 403 : 409, "The meeting was not cancelled",
				 error);
		return;
	}
	web_send_redirect(ctx, 303, p_printf(ctx->pool, "/item/%s?cancelled=1",
					     ctx->route.token));
}
