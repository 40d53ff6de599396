/*
 * calendar-data's expand and limit-recurrence-set (RFC 4791 9.6.5, 9.6.6),
 * on top of the bounded expansion of imip-expand.c.
 */
#include "imip-instances.h"
#include "imip-item.h"
#include "imip-private.h"
#include "pool.h"

#include <string.h>

static void set_utc(icalcomponent *ev, icalproperty_kind kind, time_t t, bool is_date)
{
	icalproperty *prop;
	struct icaltimetype it;

	while ((prop = icalcomponent_get_first_property(ev, kind)) != NULL) {
		icalcomponent_remove_property(ev, prop);
		icalproperty_free(prop);
	}
	it = icaltime_from_timet_with_zone(t, is_date ? 1 : 0, icaltimezone_get_utc_timezone());
	switch (kind) {
	case ICAL_DTSTART_PROPERTY:
		icalcomponent_add_property(ev, icalproperty_new_dtstart(it));
		break;
	case ICAL_DTEND_PROPERTY:
		icalcomponent_add_property(ev, icalproperty_new_dtend(it));
		break;
	default:
		icalcomponent_add_property(ev, icalproperty_new_recurrenceid(it));
		break;
	}
}

static void remove_all(icalcomponent *ev, icalproperty_kind kind)
{
	icalproperty *prop;

	while ((prop = icalcomponent_get_first_property(ev, kind)) != NULL) {
		icalcomponent_remove_property(ev, prop);
		icalproperty_free(prop);
	}
}

/* The top-level properties of src (PRODID, CALSCALE, X-...) onto dst,
   VERSION aside. */
static icalcomponent *new_like(icalcomponent *src)
{
	icalcomponent *dst = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
	icalproperty *prop;

	for (prop = icalcomponent_get_first_property(src, ICAL_ANY_PROPERTY); prop != NULL;
	     prop = icalcomponent_get_next_property(src, ICAL_ANY_PROPERTY))
		icalcomponent_add_property(dst, icalproperty_new_clone(prop));
	return dst;
}

int imip_instances_expand(struct pool *pool, const char *ical, time_t start,
			  time_t end, const char **out_r, const char **error_r)
{
	struct imip_occurrence_list list;
	icalcomponent *vcal, *out, *master;

	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	imip_expand_vcal(pool, vcal, start, end, &list);
	master = imip_ical_find_vevent(vcal, NULL);
	out = new_like(vcal);
	for (unsigned int i = 0; i < list.count && i < IMIP_INSTANCES_MAX; i++) {
		const struct imip_occurrence *occ = &list.occ[i];
		icalcomponent *src = imip_ical_find_vevent(vcal, &occ->rid);
		icalcomponent *ev;
		bool recurring;

		if (src == NULL)
			src = master;
		if (src == NULL)
			continue;
		recurring = master != NULL &&
			(icalcomponent_get_first_property(master, ICAL_RRULE_PROPERTY) != NULL ||
			 icalcomponent_get_first_property(master, ICAL_RDATE_PROPERTY) != NULL ||
			 src != master);
		ev = icalcomponent_new_clone(src);
		remove_all(ev, ICAL_RRULE_PROPERTY);
		remove_all(ev, ICAL_RDATE_PROPERTY);
		remove_all(ev, ICAL_EXDATE_PROPERTY);
		remove_all(ev, ICAL_DURATION_PROPERTY);
		set_utc(ev, ICAL_DTSTART_PROPERTY, occ->start, occ->all_day);
		set_utc(ev, ICAL_DTEND_PROPERTY, occ->end, occ->all_day);
		if (recurring)
			set_utc(ev, ICAL_RECURRENCEID_PROPERTY, occ->rid, occ->all_day);
		icalcomponent_add_component(out, ev);
	}
	imip_ical_pool_own(pool, out);
	*out_r = imip_ical_to_string(pool, out);
	return 0;
}

int imip_instances_limit(struct pool *pool, const char *ical, time_t start,
			 time_t end, const char **out_r, const char **error_r)
{
	icalcomponent *vcal, *ev, *next;

	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	/* an override outside the range goes; the master stays whole */
	for (ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
	     ev != NULL; ev = next) {
		struct icaltimetype s, e;
		time_t rid, ts, te;

		next = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT);
		if (!imip_ical_rid(ev, &rid))
			continue;
		s = icalcomponent_get_dtstart(ev);
		e = icalcomponent_get_dtend(ev);
		ts = icaltime_is_null_time(s) ? rid : imip_ical_timet(s);
		te = icaltime_is_null_time(e) ? ts : imip_ical_timet(e);
		/* RFC 4791 9.6.6: kept when the override or the occurrence it
		   replaces overlaps */
		if ((ts < end && (te > start || ts >= start)) || (rid >= start && rid < end))
			continue;
		icalcomponent_remove_component(vcal, ev);
		icalcomponent_free(ev);
	}
	*out_r = imip_ical_to_string(pool, vcal);
	return 0;
}
