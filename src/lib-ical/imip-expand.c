/*
 * Recurrence expansion (RFC 5545 3.8.5): the series' DTSTART, its RRULE
 * and RDATEs, minus EXDATEs, with the exceptions (VEVENTs with a
 * RECURRENCE-ID) put in place of the occurrences they change.
 *
 * libical's icalcomponent_foreach_recurrence() has no bound on the work it
 * does; this walks the rule with icalrecur_iterator itself and stops after
 * IMIP_EXPAND_ITERATIONS steps, so a hostile rule costs little.
 */
#include "imip-private.h"
#include "imip-item.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

static void imip_occ_add(struct pool *pool, struct imip_occurrence_list *list,
			 const struct imip_occurrence *occ)
{
	list->occ = p_grow(pool, list->occ, sizeof(*list->occ), list->count,
			   &list->alloc, 16);
	list->occ[list->count++] = *occ;
}

static bool imip_occ_overlaps(const struct imip_occurrence *occ, time_t from, time_t to)
{
	if (to != 0 && occ->start >= to)
		return false;
	/* an event without duration at from still counts */
	return occ->end > from || occ->start >= from;
}

static bool imip_vevent_cancelled(icalcomponent *ev)
{
	return icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY) != NULL &&
		icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
}

/* Start and end of one VEVENT as instants. false without a usable DTSTART. */
static bool imip_vevent_times(struct pool *pool, icalcomponent *ev,
			      struct imip_occurrence *occ)
{
	icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	struct imip_time start;
	struct icaltimetype end;
	time_t end_utc;

	if (prop == NULL)
		return false;
	imip_time_from_prop(pool, prop, ev, &start);
	if (!start.set)
		return false;
	memset(occ, 0, sizeof(*occ));
	occ->start = start.utc;
	occ->all_day = start.all_day;
	occ->cancelled = imip_vevent_cancelled(ev);
	end = icalcomponent_get_dtend(ev);
	end_utc = icaltime_is_null_time(end) || end.year > 2600 ? start.utc : imip_ical_timet(end);
	occ->end = end_utc >= start.utc ? end_utc : start.utc;
	if (!imip_ical_rid(ev, &occ->rid))
		occ->rid = occ->start;
	return true;
}

/* Sorted instants, looked up by bsearch: the exceptions' RECURRENCE-IDs
   and the EXDATEs, so that each step of a long rule costs a log. */
struct imip_instants {
	time_t *t;
	unsigned int count, alloc;
};

static void imip_instants_add(struct pool *pool, struct imip_instants *set, time_t t)
{
	set->t = p_grow(pool, set->t, sizeof(time_t), set->count, &set->alloc, 16);
	set->t[set->count++] = t;
}

static int imip_time_cmp(const void *a, const void *b)
{
	const time_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y ? 1 : 0;
}

static void imip_instants_sort(struct imip_instants *set)
{
	if (set->count > 1)
		qsort(set->t, set->count, sizeof(time_t), imip_time_cmp);
}

static bool imip_instants_has(const struct imip_instants *set, time_t t)
{
	return set->count > 0 &&
		bsearch(&t, set->t, set->count, sizeof(time_t), imip_time_cmp) != NULL;
}

/* Days since the epoch of a civil date (for EXDATEs that are dates). */
static time_t imip_day_number(const struct icaltimetype *t)
{
	struct icaltimetype d = *t;

	d.is_date = 1;
	d.zone = NULL;
	return icaltime_as_timet(d) / 86400;
}

struct imip_exclusions {
	struct imip_instants instants;  /* EXDATE date-times, UTC */
	struct imip_instants days;      /* EXDATE dates, as day numbers */
};

static void imip_exclusions_init(struct pool *pool, icalcomponent *master,
				 struct imip_exclusions *ex)
{
	memset(ex, 0, sizeof(*ex));
	for (icalproperty *prop = icalcomponent_get_first_property(master, ICAL_EXDATE_PROPERTY);
	     prop != NULL; prop = icalcomponent_get_next_property(master, ICAL_EXDATE_PROPERTY)) {
		struct icaltimetype t = icalproperty_get_datetime_with_component(prop, master);

		if (icaltime_is_null_time(t) || t.year < 1900 || t.year > 2600)
			continue;
		if (t.is_date)
			imip_instants_add(pool, &ex->days, imip_day_number(&t));
		else
			imip_instants_add(pool, &ex->instants, imip_ical_timet(t));
	}
	imip_instants_sort(&ex->instants);
	imip_instants_sort(&ex->days);
}

static bool imip_excluded(const struct imip_exclusions *ex, const struct icaltimetype *local,
			  time_t utc)
{
	return imip_instants_has(&ex->instants, utc) ||
		imip_instants_has(&ex->days, imip_day_number(local));
}

/*
 * Rules that can never produce an occurrence: a day of the month that none
 * of its months has (BYMONTHDAY=30;BYMONTH=2), a day of the year outside
 * its months. libical's iterator does not see that; it walks day by day to
 * the year 2582 before it gives up, about a second of the event loop for
 * each such item on every agenda page, and an invitation can bring any
 * number of them. Other calendars (RSCALE) are left to libical.
 */
static const int imip_month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

static int imip_recur_count(const short *list, int size)
{
	int n = 0;

	while (n < size && list[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

/* BYSETPOS (RFC 5545 3.3.10) picks from the set of one period: is every
   position outside the largest set the rule can make? (An upper bound,
   so a rule that may match is never called impossible.) */
static bool imip_recur_setpos_never(const struct icalrecurrencetype *r,
				    const bool month[12])
{
	int nmonths = 0, days, weeks, times, nday, nmday;
	long set;

	for (int m = 0; m < 12; m++)
		nmonths += month[m] ? 1 : 0;
	switch (r->freq) {
	case ICAL_YEARLY_RECURRENCE:
		days = 366;
		weeks = 53;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		days = 31;
		weeks = 5;
		nmonths = 1;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		days = 7;
		weeks = 1;
		nmonths = 1;
		break;
	default:
		days = 1;
		weeks = 1;
		nmonths = 1;
		break;
	}
	nday = imip_recur_count(r->by_day, ICAL_BY_DAY_SIZE);
	if (nday > 0) {
		bool ordinal = false;

		for (int i = 0; i < nday; i++)
			ordinal = ordinal || icalrecurrencetype_day_position(r->by_day[i]) != 0;
		/* "2MO" is one day per month (or year); "MO" one per week */
		if (ordinal && nday * nmonths < days)
			days = nday * nmonths;
		else if (!ordinal && nday * weeks < days)
			days = nday * weeks;
	}
	nmday = imip_recur_count(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
	if (nmday > 0 && nmday * nmonths < days)
		days = nmday * nmonths;
	times = 1;
	if (imip_recur_count(r->by_hour, ICAL_BY_HOUR_SIZE) > 0)
		times *= imip_recur_count(r->by_hour, ICAL_BY_HOUR_SIZE);
	if (imip_recur_count(r->by_minute, ICAL_BY_MINUTE_SIZE) > 0)
		times *= imip_recur_count(r->by_minute, ICAL_BY_MINUTE_SIZE);
	if (imip_recur_count(r->by_second, ICAL_BY_SECOND_SIZE) > 0)
		times *= imip_recur_count(r->by_second, ICAL_BY_SECOND_SIZE);
	set = (long)days * times;
	for (int i = 0; i < ICAL_BY_SETPOS_SIZE && r->by_set_pos[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int pos = r->by_set_pos[i] < 0 ? -r->by_set_pos[i] : r->by_set_pos[i];

		if (pos >= 1 && pos <= set)
			return false;
	}
	return true;
}

static bool imip_recur_never(const struct icalrecurrencetype *r)
{
	bool month[12];
	int maxday = 0;

	if (r->rscale != NULL)
		return false;
	for (int m = 0; m < 12; m++)
		month[m] = r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX;
	for (int i = 0; i < ICAL_BY_MONTH_SIZE && r->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int m = icalrecurrencetype_month_month(r->by_month[i]);

		if (m >= 1 && m <= 12)
			month[m - 1] = true;
	}
	for (int m = 0; m < 12; m++) {
		if (month[m] && imip_month_days[m] > maxday)
			maxday = imip_month_days[m];
	}
	if (maxday == 0)
		return true;
	if (r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		bool possible = false;

		for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE &&
		     r->by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX && !possible; i++) {
			int d = r->by_month_day[i] < 0 ? -r->by_month_day[i] : r->by_month_day[i];

			possible = d >= 1 && d <= maxday;
		}
		if (!possible)
			return true;
	}
	if (r->by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX &&
	    imip_recur_setpos_never(r, month))
		return true;
	if (r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX &&
	    r->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		bool possible = false;

		/* the month of each day of the year, in a common and a leap year */
		for (int i = 0; i < ICAL_BY_YEARDAY_SIZE &&
		     r->by_year_day[i] != ICAL_RECURRENCE_ARRAY_MAX && !possible; i++) {
			for (int leap = 0; leap < 2 && !possible; leap++) {
				int len = leap ? 366 : 365;
				int day = r->by_year_day[i] > 0 ? r->by_year_day[i] :
					len + 1 + r->by_year_day[i];

				for (int m = 0; m < 12 && day >= 1 && day <= len; m++) {
					int mdays = m == 1 && !leap ? 28 : imip_month_days[m];

					if (day <= mdays) {
						possible = month[m];
						break;
					}
					day -= mdays;
				}
			}
		}
		if (!possible)
			return true;
	}
	return false;
}

/* The series' own instances (DTSTART, RRULE, RDATE minus EXDATE) that no
   exception replaces. */
static void imip_expand_master(struct pool *pool, icalcomponent *master,
			       const struct imip_instants *overrides,
			       time_t from, time_t to,
			       struct imip_occurrence_list *list)
{
	struct imip_exclusions ex;
	struct imip_occurrence base, occ;
	icalproperty *dtstart_prop, *prop;
	struct icaltimetype dtstart;
	time_t duration;
	unsigned int steps = 0;

	if (!imip_vevent_times(pool, master, &base))
		return;
	duration = base.end - base.start;
	imip_exclusions_init(pool, master, &ex);
	dtstart_prop = icalcomponent_get_first_property(master, ICAL_DTSTART_PROPERTY);
	dtstart = icalproperty_get_datetime_with_component(dtstart_prop, master);

	occ = base;
	occ.rid = base.start;
	if (!imip_instants_has(overrides, occ.rid) && imip_occ_overlaps(&occ, from, to))
		imip_occ_add(pool, list, &occ);

	prop = icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY);
	if (prop != NULL) {
		struct icalrecurrencetype recur = icalproperty_get_rrule(prop);
		icalrecur_iterator *iter;
		struct icaltimetype next;

		if (imip_recur_never(&recur))
			goto rdates;  /* DTSTART alone */
		if (recur.count == 0 && icaltime_is_null_time(recur.until)) {
			list->infinite = true;
			/* no window: the caller wants the span, which has no
			   end; walking the rule would tell nothing more */
			if (to == 0)
				goto rdates;
		}
		/* Rules that repeat within a day are no meetings and cost libical
		   a step per second: only DTSTART counts for them. */
		if (recur.freq < ICAL_DAILY_RECURRENCE || recur.freq > ICAL_YEARLY_RECURRENCE) {
			list->infinite = false;
			goto rdates;
		}
		iter = icalrecur_iterator_new(recur, dtstart);
		if (iter == NULL)
			goto rdates;
		/* Jump close to the window when the rule allows it (not with
		   COUNT, which counts from DTSTART). */
		if (recur.count == 0 && from > base.start + duration + 86400) {
			struct icaltimetype jump = imip_ical_time_in(
				from - duration - 86400, dtstart.is_date, dtstart.zone);

			icalrecur_iterator_set_start(iter, jump);
		}
		while (!icaltime_is_null_time(next = icalrecur_iterator_next(iter))) {
			if (++steps > IMIP_EXPAND_ITERATIONS) {
				list->truncated = true;
				break;
			}
			occ = base;
			occ.start = occ.rid = imip_ical_timet(next);
			occ.end = occ.start + duration;
			if (occ.start == base.start)
				continue;
			if (to != 0 && occ.start >= to)
				break;
			if (imip_excluded(&ex, &next, occ.start) ||
			    imip_instants_has(overrides, occ.rid) ||
			    !imip_occ_overlaps(&occ, from, to))
				continue;
			imip_occ_add(pool, list, &occ);
		}
		icalrecur_iterator_free(iter);
	}
rdates:
	for (prop = icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY);
	     prop != NULL; prop = icalcomponent_get_next_property(master, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype rdate = icalproperty_get_rdate(prop);
		struct icaltimetype t = !icaltime_is_null_time(rdate.time) ? rdate.time :
			rdate.period.start;

		if (icaltime_is_null_time(t) || t.year > 2600 || t.year < 1900)
			continue;
		if (t.zone == NULL && !t.is_date && !icaltime_is_utc(t) && dtstart.zone != NULL)
			t = icaltime_set_timezone(&t, dtstart.zone);
		occ = base;
		occ.start = occ.rid = imip_ical_timet(t);
		occ.end = occ.start + duration;
		if (occ.start == base.start || imip_instants_has(overrides, occ.rid) ||
		    imip_excluded(&ex, &t, occ.start) ||
		    !imip_occ_overlaps(&occ, from, to))
			continue;
		imip_occ_add(pool, list, &occ);
	}
}

static int imip_occ_cmp(const void *a, const void *b)
{
	const struct imip_occurrence *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rid < y->rid ? -1 : x->rid > y->rid ? 1 : 0;
}

void imip_expand_vcal(struct pool *pool, icalcomponent *vcal, time_t from,
		      time_t to, struct imip_occurrence_list *list)
{
	icalcomponent *master = imip_ical_find_vevent(vcal, NULL);
	icalcomponent *ev;
	struct imip_instants overrides = { .count = 0 };
	bool series_cancelled = master != NULL && imip_vevent_cancelled(master);

	memset(list, 0, sizeof(*list));
	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
		time_t rid;

		if (imip_ical_rid(ev, &rid))
			imip_instants_add(pool, &overrides, rid);
	}
	imip_instants_sort(&overrides);
	if (master != NULL)
		imip_expand_master(pool, master, &overrides, from, to, list);
	/* the exceptions, where they moved to */
	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
		struct imip_occurrence occ;
		time_t rid;

		if (!imip_ical_rid(ev, &rid) || !imip_vevent_times(pool, ev, &occ))
			continue;
		occ.rid = rid;
		if (imip_occ_overlaps(&occ, from, to))
			imip_occ_add(pool, list, &occ);
	}
	for (unsigned int i = 0; i < list->count; i++) {
		if (series_cancelled)
			list->occ[i].cancelled = true;
	}
	if (list->count > 1)
		qsort(list->occ, list->count, sizeof(*list->occ), imip_occ_cmp);
}

int imip_item_expand(struct pool *pool, const char *ical, time_t from, time_t to,
		     unsigned int max, imip_occurrence_cb *cb, void *context,
		     const char **error_r)
{
	struct imip_occurrence_list list;
	icalcomponent *vcal;
	unsigned int n = 0;

	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	imip_expand_vcal(pool, vcal, from, to, &list);
	for (unsigned int i = 0; i < list.count && n < max; i++, n++)
		cb(context, &list.occ[i]);
	return (int)n;
}
