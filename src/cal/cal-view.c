/*
 * Reading items for the web access: the view of one item and its
 * occurrences for the agenda.
 */
#include "cal-private.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "pool.h"
#include "store.h"

#include <string.h>
#include <strings.h>

/* Occurrences reported for one item and one window. */
#define CAL_EXPAND_MAX 1000

int cal_item_view(struct pool *pool, const struct store_cal_item *item,
		  const char *owner_address, struct cal_item_view *view_r)
{
	struct imip_calendar *cal;
	const struct imip_event *ev;
	const char *error;

	memset(view_r, 0, sizeof(*view_r));
	if (item->ical == NULL ||
	    imip_parse(pool, item->ical, strlen(item->ical), &cal, &error) < 0)
		return -1;
	ev = cal->master != NULL ? cal->master : &cal->events[0];
	view_r->uid = cal->uid;
	view_r->summary = ev->summary;
	view_r->description = ev->description;
	view_r->location = ev->location;
	view_r->organizer = ev->organizer;
	view_r->organizer_name = ev->organizer_name;
	view_r->tzid = ev->start.tz_known ? ev->start.tzid : NULL;
	view_r->start = ev->start.utc;
	view_r->end = ev->end.utc;
	view_r->all_day = ev->start.all_day;
	view_r->status = item->status != NULL ? item->status : "CONFIRMED";
	if (ev->rrule != NULL)
		view_r->recurrence = ev->recurrence_text != NULL ? ev->recurrence_text :
			p_printf(pool, "Repeats (%s)", ev->rrule);
	if (ev->rrule != NULL) {
		enum imip_repeat repeat;

		/* the two enums list the same rules in the same order */
		if (imip_repeat_parse(ev->rrule, &repeat, &view_r->repeat_count,
				      &view_r->repeat_until) > 0 &&
		    (view_r->repeat_count > 0 || view_r->repeat_until != 0) &&
		    ev->rdate_count == 0)
			view_r->repeat = (enum cal_repeat)repeat;
		else
			view_r->repeat_other = true;
	}
	view_r->sequence = ev->sequence;
	view_r->i_am_organizer = item->organizer == NULL ||
		cal_is_organizer(item, owner_address);
	view_r->my_partstat = view_r->i_am_organizer ? NULL :
		item->partstat != NULL ? item->partstat : "NEEDS-ACTION";
	view_r->attendees = p_new(pool, struct cal_attendee,
				  ev->attendee_count > 0 ? ev->attendee_count : 1);
	for (unsigned int i = 0; i < ev->attendee_count; i++) {
		view_r->attendees[i].address = ev->attendees[i].address;
		view_r->attendees[i].name = ev->attendees[i].name;
		view_r->attendees[i].partstat = ev->attendees[i].partstat;
		view_r->attendees[i].role = ev->attendees[i].role;
		view_r->attendees[i].comment = ev->attendees[i].comment;
	}
	view_r->attendee_count = ev->attendee_count;
	cal_render_when(pool, ev, NULL, &view_r->when_local, &view_r->when_utc);
	view_r->exception_count = cal->event_count - (cal->master != NULL ? 1 : 0);
	view_r->token = item->token;
	return 0;
}

struct cal_expand_ctx {
	const struct store_cal_item *item;
	cal_occurrence_cb *cb;
	void *context;
	bool series_cancelled;
};

static void cal_expand_cb(void *context, const struct imip_occurrence *occ)
{
	struct cal_expand_ctx *ctx = context;

	/* RFC 5546 3.2.5: a cancelled occurrence of a series that goes on is
	   gone from the calendar; a cancelled series stays, shown as such */
	if (occ->cancelled && !ctx->series_cancelled)
		return;
	ctx->cb(ctx->context, ctx->item, occ->start, occ->end);
}

/* Does a line of ical begin with name (case-insensitive, RFC 5545 3.1)? */
static bool cal_has_line(const char *ical, const char *name)
{
	size_t len = strlen(name);

	if (strncasecmp(ical, name, len) == 0)
		return true;
	for (const char *p = strchr(ical, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
		if (strncasecmp(p + 1, name, len) == 0)
			return true;
	}
	return false;
}

/* One event that does not recur: its one occurrence is the span the store
   computed from this same iCalendar when it was saved, so it need not be
   parsed again (a month of a busy calendar is hundreds of them). */
static bool cal_single_occurrence(const struct store_cal_item *item)
{
	const char *first;

	if (item->ical == NULL || item->dtend <= item->dtstart ||
	    (first = strcasestr(item->ical, "BEGIN:VEVENT")) == NULL ||
	    strcasestr(first + 12, "BEGIN:VEVENT") != NULL)
		return false;
	return !cal_has_line(item->ical, "RRULE") && !cal_has_line(item->ical, "RDATE") &&
		!cal_has_line(item->ical, "RECURRENCE-ID");
}

int cal_expand(struct pool *pool, const struct store_cal_item *item, time_t from,
	       time_t to, cal_occurrence_cb *cb, void *context)
{
	struct cal_expand_ctx ctx = {
		.item = item, .cb = cb, .context = context,
		.series_cancelled = item->status != NULL && strcmp(item->status, "CANCELLED") == 0,
	};
	const char *error;

	if (cal_single_occurrence(item)) {
		if (item->dtstart < to && item->dtend > from)
			cb(context, item, item->dtstart, item->dtend);
		return 0;
	}
	if (item->ical == NULL ||
	    imip_item_expand(pool, item->ical, from, to, CAL_EXPAND_MAX, cal_expand_cb,
			     &ctx, &error) < 0) {
		/* unreadable: at least where the store says it is */
		if (item->dtstart < to && (item->dtend > from || item->dtend == 0))
			cb(context, item, item->dtstart, item->dtend);
		return -1;
	}
	return 0;
}
