/*
 * Recurrence expansion (RFC 5545 3.8.5): the series' DTSTART, its RRULE
 * and RDATEs, minus EXDATEs, with the exceptions (VEVENTs with a
 * RECURRENCE-ID) put in place of the occurrences they change.
 *
 * libical's icalcomponent_foreach_recurrence() has no bound on the work it
 * does; this walks the rule with icalrecur_iterator itself, after making
 * sure that no single call to libical can run long (below), and stops
 * after IMIP_EXPAND_ITERATIONS steps or IMIP_EXPAND_MSEC, so that no item
 * costs the event loop more than that, whatever its rule.
 */
#include "imip-private.h"
#include "imip-instances.h"
#include "imip-item.h"
#include "pool.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
	end_utc = icaltime_is_null_time(end) || end.year > IMIP_YEAR_MAX ? start.utc : imip_ical_timet(end);
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

		if (icaltime_is_null_time(t) || t.year < 1900 || t.year > IMIP_YEAR_MAX)
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
 * Rules libical would walk for ever. Its iterator knows no bound but the
 * year: a MONTHLY or YEARLY rule whose periods never hold a day
 * (BYDAY=1MO;BYMONTHDAY=15: the first Monday is a day 1-7) makes
 * icalrecur_iterator_new() expand every month up to the year 20000 before
 * it gives up (__iterator_set_start), and a DAILY rule that never matches
 * makes one icalrecur_iterator_next() step day by day to the year 2582
 * (seconds of the event loop, for each such item on every agenda page;
 * an invitation can bring any number of them). UNTIL does not stop the
 * first, and stops the second only where it is.
 *
 * So before libical walks a rule, imip_recur_can_match() decides whether
 * any day can match. The kinds of period libical expands are few: a month
 * is one of 28 (its length, the weekday of its 1st), a year one of 14
 * (leap or not, the weekday of 1 January). For the periods the rule visits
 * (from DTSTART, every INTERVAL, in its BYMONTH) we ask libical about one
 * period of each kind, with an INTERVAL so large that it looks at that
 * period alone; common rules are known to match without asking. Rules that
 * match, then, leave at most one 400-year cycle of periods between two
 * occurrences (a few milliseconds of libical), and daily and weekly ones
 * are walked with an UNTIL a hundred days ahead at most (see
 * imip_expand_rrule()).
 */
static const int imip_month_days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* libical's Gregorian arithmetic goes to ICU, which counts Julian years
   before this one: we look at the years from then on. */
#define IMIP_GREGORIAN_FIRST_YEAR 1583

static int imip_recur_count(const short *list, int size)
{
	int n = 0;

	while (n < size && list[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

static bool imip_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int imip_days_in_month(int y, int m)
{
	return m == 2 && !imip_leap_year(y) ? 28 : imip_month_days[m - 1];
}

/* Weekday of a date as libical numbers them: 1 Sunday to 7 Saturday. */
static int imip_weekday(int y, int m, int d)
{
	static const int t[12] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (m < 3)
		y--;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7 + 1;
}

/* Does every month (max_ordinal 4) or year (52) surely have a day of this
   BYDAY: a plain weekday, or "nth" with n small enough? */
static bool imip_byday_always(const struct icalrecurrencetype *r, int max_ordinal)
{
	for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int pos = icalrecurrencetype_day_position(r->by_day[i]);

		if (pos >= -max_ordinal && pos <= max_ordinal)
			return true;
	}
	return false;
}

/* Plain weekdays (MO, not 2MO) in BYDAY, each once. */
static int imip_byday_plain(const struct icalrecurrencetype *r)
{
	bool seen[8] = { false };
	int n = 0;

	for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int dow = (int)icalrecurrencetype_day_day_of_week(r->by_day[i]);

		if (icalrecurrencetype_day_position(r->by_day[i]) == 0 && dow >= 1 &&
		    dow <= 7 && !seen[dow]) {
			seen[dow] = true;
			n++;
		}
	}
	return n;
}

/* Is some BYSETPOS within the first or last n of a set? */
static bool imip_setpos_within(const struct icalrecurrencetype *r, int n)
{
	for (int i = 0; i < ICAL_BY_SETPOS_SIZE && r->by_set_pos[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		if (abs(r->by_set_pos[i]) <= n)
			return true;
	}
	return false;
}

/* Some BYMONTHDAY that every month has (+-1 to 28)? */
static bool imip_monthday_always(const struct icalrecurrencetype *r)
{
	for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE &&
	     r->by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		if (r->by_month_day[i] != 0 && abs(r->by_month_day[i]) <= 28)
			return true;
	}
	return false;
}

/* BYDAY limited by BYMONTHDAY: does every month surely have a day of
   both? The nth weekday of a month is one of its days 7n-6 to 7n, the
   -nth one of -7n to -7n+6, a weekday one of any 7 days in a row.
   plain_only: "nth" counts in the year, not the month, and is no help. */
static bool imip_byday_monthday_always(const struct icalrecurrencetype *r, bool plain_only)
{
	bool pos[32] = { false }, neg[32] = { false };

	for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE &&
	     r->by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int d = r->by_month_day[i];

		if (d >= 1 && d <= 28)
			pos[d] = true;
		else if (d <= -1 && d >= -28)
			neg[-d] = true;
	}
	for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int p = icalrecurrencetype_day_position(r->by_day[i]);
		int first = p == 0 ? 1 : 7 * abs(p) - 6, last = p == 0 ? 28 : 7 * abs(p);
		int run = 0, neg_run = 0;

		if (last > 28 || (plain_only && p != 0))
			continue;
		for (int d = first; d <= last && run < 7 && neg_run < 7; d++) {
			run = (p >= 0 ? pos[d] : neg[d]) ? run + 1 : 0;
			neg_run = p == 0 && neg[d] ? neg_run + 1 : 0;
		}
		if (run == 7 || neg_run == 7)
			return true;
	}
	return false;
}

/*
 * Does libical find a day in the one period (month or year) that start
 * opens? It is asked with an INTERVAL so large that the next period it
 * would look at is past its last year: icalrecur_iterator_new() fails
 * unless that first period holds a day.
 */
static bool imip_recur_period_has_day(const struct icalrecurrencetype *r,
				      struct icaltimetype start, unsigned int *probes)
{
	struct icalrecurrencetype probe = *r;
	icalrecur_iterator *iter;

	if (*probes == 0)
		return false;
	--*probes;
	probe.count = 0;
	probe.until = icaltime_null_time();
	probe.interval = SHRT_MAX;
	start.zone = NULL;
	iter = icalrecur_iterator_new(probe, start);
	if (iter == NULL)
		return false;
	icalrecur_iterator_free(iter);
	return true;
}

/* MONTHLY: ask about each kind of month the rule visits until one has a day. */
static bool imip_recur_monthly_probe(const struct icalrecurrencetype *r,
				     struct icaltimetype dtstart,
				     const bool month_ok[12], int last_year,
				     unsigned int *probes)
{
	struct icalrecurrencetype probe = *r;
	uint32_t tried = 0;

	/* without BYDAY and BYMONTHDAY the day is DTSTART's, which libical
	   takes from the DTSTART it is given: say it */
	if (r->by_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
	    r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX) {
		probe.by_month_day[0] = (short)dtstart.day;
		probe.by_month_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
	}
	for (long idx = dtstart.year * 12L + dtstart.month - 1; idx / 12 <= last_year;
	     idx += r->interval) {
		int y = (int)(idx / 12), m = (int)(idx % 12) + 1;
		int kind = (imip_days_in_month(y, m) - 28) * 7 + imip_weekday(y, m, 1) - 1;
		struct icaltimetype start = dtstart;

		if (!month_ok[m - 1] || y < IMIP_GREGORIAN_FIRST_YEAR ||
		    (tried & (1u << kind)) != 0)
			continue;
		tried |= 1u << kind;
		start.year = y;
		start.month = m;
		start.day = 1;
		if (imip_recur_period_has_day(&probe, start, probes))
			return true;
		if (tried == (1u << 28) - 1 || *probes == 0)
			break;
	}
	return false;
}

/* YEARLY: the same with the 14 kinds of year. */
static bool imip_recur_yearly_probe(const struct icalrecurrencetype *r,
				    struct icaltimetype dtstart, int last_year,
				    unsigned int *probes)
{
	/* only these take DTSTART's day of the month for their days */
	bool day_from_dtstart = r->by_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
		r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
		r->by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
		r->by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX;
	uint32_t tried = 0;
	int y = dtstart.year;

	if (y < IMIP_GREGORIAN_FIRST_YEAR)
		y += (IMIP_GREGORIAN_FIRST_YEAR - y + r->interval - 1) / r->interval * r->interval;
	for (; y <= last_year; y += r->interval) {
		int kind = (imip_leap_year(y) ? 7 : 0) + imip_weekday(y, 1, 1) - 1;
		struct icalrecurrencetype probe;
		struct icaltimetype start = dtstart;

		if ((tried & (1u << kind)) != 0)
			continue;
		tried |= 1u << kind;
		start.year = y;
		probe = *r;
		if (start.day > imip_days_in_month(y, start.month)) {
			/* DTSTART 29 February, a common year: start on the 28th
			   and keep the 29th where the rule would take it */
			start.day = 28;
			if (day_from_dtstart) {
				probe.by_month_day[0] = (short)dtstart.day;
				probe.by_month_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
			}
		}
		if (imip_recur_period_has_day(&probe, start, probes))
			return true;
		if (tried == (1u << 14) - 1 || *probes == 0)
			break;
	}
	return false;
}

/* The common MONTHLY rules: every month has a day of them. */
static bool imip_recur_monthly_sure(const struct icalrecurrencetype *r,
				    struct icaltimetype dtstart)
{
	bool byday = r->by_day[0] != ICAL_RECURRENCE_ARRAY_MAX;
	bool bymonthday = r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX;

	if (r->by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		/* libical counts the set right only for BYDAY alone */
		return byday && !bymonthday &&
			imip_setpos_within(r, 4 * imip_byday_plain(r));
	}
	if (!byday && !bymonthday)
		return dtstart.day <= 28;
	if (!byday)
		return imip_monthday_always(r);
	if (!bymonthday)
		return imip_byday_always(r, 4);
	return imip_byday_monthday_always(r, false);
}

/* The common YEARLY rules (BYYEARDAY and BYWEEKNO aside). */
static bool imip_recur_yearly_sure(const struct icalrecurrencetype *r,
				   struct icaltimetype dtstart)
{
	bool byday = r->by_day[0] != ICAL_RECURRENCE_ARRAY_MAX;
	bool bymonthday = r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX;
	bool bymonth = r->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX;

	if (r->by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r->by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX)
		return false;
	if (r->by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		return byday && !bymonthday && !bymonth &&
			imip_setpos_within(r, 52 * imip_byday_plain(r));
	}
	if (!byday && !bymonthday)
		return dtstart.day <= 28;
	if (!byday)
		return imip_monthday_always(r);
	if (!bymonthday)
		return imip_byday_always(r, bymonth ? 4 : 52);
	return imip_byday_monthday_always(r, !bymonth);
}

/* DAILY: libical compares BYDAY, BYMONTHDAY and BYMONTH with each day as
   they are, so "1MO" and "-1" match no day. */
static bool imip_recur_daily_can_match(const struct icalrecurrencetype *r,
				       struct icaltimetype dtstart,
				       const bool month_ok[12])
{
	if (r->by_day[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		bool dow[8] = { false }, any = false;

		for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
			if (r->by_day[i] >= 1 && r->by_day[i] <= 7)
				dow[r->by_day[i]] = any = true;
		}
		if (!any)
			return false;
		/* every 7th day is DTSTART's weekday */
		if (r->interval % 7 == 0 &&
		    !dow[imip_weekday(dtstart.year, dtstart.month, dtstart.day)])
			return false;
	}
	if (r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		for (int i = 0; i < ICAL_BY_MONTHDAY_SIZE &&
		     r->by_month_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
			for (int m = 0; m < 12; m++) {
				if (month_ok[m] && r->by_month_day[i] >= 1 &&
				    r->by_month_day[i] <= imip_month_days[m])
					return true;
			}
		}
		return false;
	}
	return true;
}

bool imip_recur_can_match(const struct icalrecurrencetype *r,
			  struct icaltimetype dtstart, int last_year,
			  unsigned int *probes)
{
	bool month_ok[12], visited[12], bymonth_valid = true;
	unsigned int probes_one = IMIP_RECUR_PROBES;
	int times = 1, n;

	if (r->freq < ICAL_DAILY_RECURRENCE || r->freq > ICAL_YEARLY_RECURRENCE ||
	    r->interval < 1 || icaltime_is_null_time(dtstart) ||
	    dtstart.year > last_year || dtstart.month < 1 || dtstart.month > 12 ||
	    dtstart.day < 1 || dtstart.day > 31)
		return false;
	if (r->rscale != NULL && strcasecmp(r->rscale, "GREGORIAN") != 0)
		return false;
	if ((n = imip_recur_count(r->by_hour, ICAL_BY_HOUR_SIZE)) > 0)
		times *= n;
	if ((n = imip_recur_count(r->by_minute, ICAL_BY_MINUTE_SIZE)) > 0)
		times *= n;
	if ((n = imip_recur_count(r->by_second, ICAL_BY_SECOND_SIZE)) > 0)
		times *= n;
	if (times > IMIP_RECUR_MAX_TIMES)
		return false;
	if (probes == NULL)
		probes = &probes_one;

	/* the months it may fall in: BYMONTH's real ones (13 and leap
	   months are for other calendars) */
	for (int m = 0; m < 12; m++)
		month_ok[m] = r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX;
	for (int i = 0; i < ICAL_BY_MONTH_SIZE && r->by_month[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int m = r->by_month[i];

		if (m >= 1 && m <= 12)
			month_ok[m - 1] = true;
		else
			bymonth_valid = false;
	}
	n = 0;
	for (int m = 0; m < 12; m++)
		n += month_ok[m] ? 1 : 0;
	if (n == 0)
		return false;

	switch (r->freq) {
	case ICAL_DAILY_RECURRENCE:
		return imip_recur_daily_can_match(r, dtstart, month_ok);
	case ICAL_WEEKLY_RECURRENCE:
		/* every week has its days; BYMONTH is checked above */
		return true;
	case ICAL_MONTHLY_RECURRENCE:
		/* the months of the year INTERVAL reaches, in BYMONTH */
		memset(visited, 0, sizeof(visited));
		for (int i = 0; i < 12; i++)
			visited[(dtstart.month - 1 + i * (r->interval % 12)) % 12] = true;
		n = 0;
		for (int m = 0; m < 12; m++)
			n += visited[m] && month_ok[m] ? 1 : 0;
		if (n == 0)
			return false;
		return imip_recur_monthly_sure(r, dtstart) ||
			imip_recur_monthly_probe(r, dtstart, month_ok, last_year, probes);
	default:
		return (bymonth_valid && imip_recur_yearly_sure(r, dtstart)) ||
			imip_recur_yearly_probe(r, dtstart, last_year, probes);
	}
}

/*
 * The time one expansion may take. The clock is read at each step: a
 * step is a libical call of a microsecond or more, reading the clock
 * costs tens of nanoseconds.
 */
unsigned int imip_expand_msec = IMIP_EXPAND_MSEC;

struct imip_budget {
	struct timespec end;
	unsigned int steps;
	bool over;
	bool request_bound;   /* end is the request's deadline */
};

/* The request's deadline (imip_expand_request_begin()), per thread. */
static __thread struct {
	bool active;
	bool over;
	struct timespec end;
} imip_request;

static void timespec_add_msec(struct timespec *t, unsigned int msec)
{
	t->tv_nsec += (long)(msec % 1000) * 1000000L;
	t->tv_sec += msec / 1000 + t->tv_nsec / 1000000000L;
	t->tv_nsec %= 1000000000L;
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
		(a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void imip_expand_request_begin(unsigned int msec)
{
	clock_gettime(CLOCK_MONOTONIC, &imip_request.end);
	timespec_add_msec(&imip_request.end, msec);
	imip_request.active = true;
	imip_request.over = false;
}

bool imip_expand_request_over(void)
{
	return imip_request.active && imip_request.over;
}

void imip_expand_request_end(void)
{
	imip_request.active = false;
	imip_request.over = false;
}

static void imip_budget_init(struct imip_budget *budget)
{
	memset(budget, 0, sizeof(*budget));
	clock_gettime(CLOCK_MONOTONIC, &budget->end);
	timespec_add_msec(&budget->end, imip_expand_msec);
	if (imip_request.active && timespec_before(&imip_request.end, &budget->end)) {
		budget->end = imip_request.end;
		budget->request_bound = true;
	}
}

/* Count one step: false once the steps or the time are used up. */
static bool imip_budget_step(struct imip_budget *budget)
{
	struct timespec now;

	if (budget->over)
		return false;
	if (++budget->steps > IMIP_EXPAND_ITERATIONS) {
		budget->over = true;
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!timespec_before(&now, &budget->end)) {
		budget->over = true;
		if (budget->request_bound)
			imip_request.over = true;
	}
	return !budget->over;
}

/* Where the series' own instances are and what may not be one. */
struct imip_series {
	struct imip_occurrence base;  /* DTSTART's */
	struct icaltimetype dtstart;
	time_t duration;
	struct imip_exclusions ex;
	const struct imip_instants *overrides;
	time_t from, to;
};

/* Walk iter, adding its occurrences in the window. false: stop walking
   the rule (past the window, COUNT reached or the budget used up). */
static bool imip_walk(struct pool *pool, icalrecur_iterator *iter,
		      const struct imip_series *s, int count, int *counted,
		      time_t *last, struct imip_budget *budget,
		      struct imip_occurrence_list *list)
{
	struct icaltimetype next;
	struct imip_occurrence occ;

	while (!icaltime_is_null_time(next = icalrecur_iterator_next(iter))) {
		if (!imip_budget_step(budget)) {
			list->truncated = true;
			return false;
		}
		occ = s->base;
		occ.start = occ.rid = imip_ical_timet(next);
		occ.end = occ.start + s->duration;
		/* the pieces of a walk meet; each instant once */
		if (occ.start <= *last)
			continue;
		*last = occ.start;
		if (count != 0 && ++*counted > count)
			return false;
		if (occ.start == s->base.start)
			continue;
		if (s->to != 0 && occ.start >= s->to)
			return false;
		if (imip_excluded(&s->ex, &next, occ.start) ||
		    imip_instants_has(s->overrides, occ.rid) ||
		    !imip_occ_overlaps(&occ, s->from, s->to))
			continue;
		imip_occ_add(pool, list, &occ);
	}
	return true;
}

/* The UNTIL libical is given for a walk that may go up to end (exclusive):
   the rule's own when it is earlier, put in DTSTART's zone so that libical
   compares wall times and converts nothing at each step. */
static struct icaltimetype imip_walk_until(struct icaltimetype until, time_t end,
					   struct icaltimetype dtstart)
{
	struct icaltimetype limit;

	if (!icaltime_is_null_time(until) && until.year > IMIP_YEAR_MAX)
		until = icaltime_null_time();
	else if (!icaltime_is_null_time(until) && !until.is_date && until.zone != NULL &&
		 dtstart.zone != NULL && until.zone != dtstart.zone)
		until = imip_ical_time_in(imip_ical_timet(until), false, dtstart.zone);
	if (end == 0)
		return until;
	/* for dates, the day of the last second before end */
	limit = imip_ical_time_in(end - 1, dtstart.is_date, dtstart.zone);
	if (icaltime_is_null_time(until) || icaltime_compare(limit, until) < 0)
		return limit;
	return until;
}

/* 2583-01-01T00:00:00Z: libical's iterator stops before */
#define IMIP_TIME_MAX ((time_t)19344441600LL)

/* A walk counted to its end (no window, no UNTIL) converts times further
   and further ahead: have libical expand DTSTART's zone at once to about
   where COUNT is likely to take it, rather than each few decades on the
   way (see imip_ical_time_in()). */
static void imip_cover_count(const struct icalrecurrencetype *recur,
			     const struct imip_series *s)
{
	static const long period[] = {
		[ICAL_DAILY_RECURRENCE] = 86400L, [ICAL_WEEKLY_RECURRENCE] = 7 * 86400L,
		[ICAL_MONTHLY_RECURRENCE] = 31 * 86400L, [ICAL_YEARLY_RECURRENCE] = 366 * 86400L,
	};
	double ahead = (double)recur->count * recur->interval * (double)period[recur->freq];

	if (ahead < (double)(IMIP_TIME_MAX - s->base.start))
		(void)imip_ical_time_in(s->base.start + (time_t)ahead, false, s->dtstart.zone);
	else
		(void)imip_ical_time_in(IMIP_TIME_MAX - 366 * 86400L, false, s->dtstart.zone);
}

/*
 * The instances of the RRULE of a series that fall in its window.
 *
 * libical is given a copy of the rule (the stored text stays as it is)
 * without COUNT, which is counted here, so that the walk can start where
 * the window does (icalrecur_iterator_set_start() refuses a COUNT) and be
 * cut into pieces: each with an UNTIL no later than the window's end and,
 * for daily and weekly rules with BYMONTH or BYMONTHDAY, which libical
 * walks a day (and each time of the day) at a time, no later than
 * IMIP_EXPAND_CHUNK_DAYS ahead. No single call to libical then runs long.
 */
#define IMIP_EXPAND_CHUNK_DAYS 100

static void imip_expand_rrule(struct pool *pool, const struct icalrecurrencetype *recur,
			      const struct imip_series *s, struct imip_budget *budget,
			      struct imip_occurrence_list *list)
{
	struct icalrecurrencetype walk = *recur;
	time_t cursor = s->base.start, end, chunk = 0, last = s->base.start - 1;
	int last_year = IMIP_YEAR_MAX, counted = 0;
	bool finite = recur->count != 0 || !icaltime_is_null_time(recur->until);

	if (!icaltime_is_null_time(recur->until) && recur->until.year < last_year)
		last_year = recur->until.year;
	if (!imip_recur_can_match(recur, s->dtstart, last_year, NULL))
		return;  /* DTSTART alone */
	if (!finite) {
		list->infinite = true;
		/* no window: the caller wants the span, which has no end;
		   walking the rule would tell nothing more */
		if (s->to == 0)
			return;
	}
	/* the end of the walk: the window's, else the rule's */
	end = s->to;
	if (end == 0 && !icaltime_is_null_time(recur->until) &&
	    recur->until.year <= IMIP_YEAR_MAX)
		end = imip_ical_timet(recur->until) + 2 * 86400;  /* its zone or day aside */
	/* Jump close to the window when the rule allows it (not with COUNT,
	   which counts from DTSTART). */
	if (recur->count == 0 && s->from > s->base.start + s->duration + 86400)
		cursor = s->from - s->duration - 86400;
	else if (end == 0 && s->dtstart.zone != NULL)
		imip_cover_count(recur, s);
	if ((recur->freq == ICAL_DAILY_RECURRENCE || recur->freq == ICAL_WEEKLY_RECURRENCE) &&
	    (recur->by_month[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	     recur->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX))
		chunk = IMIP_EXPAND_CHUNK_DAYS * 86400;
	if (end == 0 && chunk != 0)
		end = IMIP_TIME_MAX;
	walk.count = 0;
	while (end == 0 || cursor < end) {
		time_t piece_end = end;
		icalrecur_iterator *iter;
		bool more;

		if (chunk != 0 && end - cursor > chunk) {
			/* at a midnight (UTC), where the days of all-day
			   series meet */
			piece_end = cursor + chunk;
			piece_end -= (piece_end % 86400 + 86400) % 86400;
		}
		if (!imip_budget_step(budget)) {
			list->truncated = true;
			break;
		}
		walk.until = imip_walk_until(recur->until, piece_end, s->dtstart);
		iter = icalrecur_iterator_new(walk, s->dtstart);
		if (iter == NULL)
			break;
		if (cursor > s->base.start) {
			icalrecur_iterator_set_start(iter, imip_ical_time_in(
				cursor, s->dtstart.is_date, s->dtstart.zone));
		}
		more = imip_walk(pool, iter, s, recur->count, &counted, &last, budget, list);
		icalrecur_iterator_free(iter);
		if (!more || piece_end == end)
			break;
		cursor = piece_end;
	}
}

/* The series' own instances (DTSTART, RRULE, RDATE minus EXDATE) that no
   exception replaces. */
static void imip_expand_master(struct pool *pool, icalcomponent *master,
			       const struct imip_instants *overrides,
			       time_t from, time_t to, struct imip_budget *budget,
			       struct imip_occurrence_list *list)
{
	struct imip_series s;
	struct imip_occurrence occ;
	icalproperty *dtstart_prop, *prop;

	memset(&s, 0, sizeof(s));
	if (!imip_vevent_times(pool, master, &s.base))
		return;
	s.duration = s.base.end - s.base.start;
	s.overrides = overrides;
	s.from = from;
	s.to = to;
	imip_exclusions_init(pool, master, &s.ex);
	dtstart_prop = icalcomponent_get_first_property(master, ICAL_DTSTART_PROPERTY);
	s.dtstart = icalproperty_get_datetime_with_component(dtstart_prop, master);

	occ = s.base;
	occ.rid = s.base.start;
	if (!imip_instants_has(overrides, occ.rid) && imip_occ_overlaps(&occ, from, to))
		imip_occ_add(pool, list, &occ);

	prop = icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY);
	if (prop != NULL) {
		struct icalrecurrencetype recur = icalproperty_get_rrule(prop);

		imip_expand_rrule(pool, &recur, &s, budget, list);
	}
	for (prop = icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY);
	     prop != NULL; prop = icalcomponent_get_next_property(master, ICAL_RDATE_PROPERTY)) {
		struct icaldatetimeperiodtype rdate = icalproperty_get_rdate(prop);
		struct icaltimetype t = !icaltime_is_null_time(rdate.time) ? rdate.time :
			rdate.period.start;

		if (icaltime_is_null_time(t) || t.year > IMIP_YEAR_MAX || t.year < 1900)
			continue;
		if (t.zone == NULL && !t.is_date && !icaltime_is_utc(t) && s.dtstart.zone != NULL)
			t = icaltime_set_timezone(&t, s.dtstart.zone);
		occ = s.base;
		occ.start = occ.rid = imip_ical_timet(t);
		occ.end = occ.start + s.duration;
		if (occ.start == s.base.start || imip_instants_has(overrides, occ.rid) ||
		    imip_excluded(&s.ex, &t, occ.start) ||
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
	struct imip_budget budget;
	bool series_cancelled = master != NULL && imip_vevent_cancelled(master);

	memset(list, 0, sizeof(*list));
	imip_budget_init(&budget);
	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
		time_t rid;

		if (imip_ical_rid(ev, &rid))
			imip_instants_add(pool, &overrides, rid);
	}
	imip_instants_sort(&overrides);
	if (master != NULL)
		imip_expand_master(pool, master, &overrides, from, to, &budget, list);
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
