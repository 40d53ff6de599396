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
	if (list->count == list->alloc) {
		unsigned int alloc = list->alloc == 0 ? 16 : list->alloc * 2;

		list->occ = p_realloc(pool, list->occ, sizeof(*list->occ) * list->alloc,
				      sizeof(*list->occ) * alloc);
		list->alloc = alloc;
	}
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
	if (set->count == set->alloc) {
		unsigned int alloc = set->alloc == 0 ? 16 : set->alloc * 2;

		set->t = p_realloc(pool, set->t, sizeof(time_t) * set->alloc,
				   sizeof(time_t) * alloc);
		set->alloc = alloc;
	}
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
