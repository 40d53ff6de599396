/*
 * Calendar items: building one from an iTIP REQUEST, answering it,
 * cancelling it, and the facts the store indexes.
 */
#include "imip-private.h"
#include "imip-item.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

int imip_item_info(struct pool *pool, const char *ical, const char *owner,
		   struct imip_item_info *info_r, const char **error_r)
{
	struct imip_occurrence_list list;
	struct imip_calendar *cal;
	const struct imip_event *series;
	const struct imip_attendee *att;
	icalcomponent *vcal;

	memset(info_r, 0, sizeof(*info_r));
	if (imip_parse(pool, ical, strlen(ical), &cal, error_r) < 0)
		return -1;
	series = cal->master != NULL ? cal->master : &cal->events[0];
	info_r->uid = cal->uid;
	info_r->sequence = series->sequence;
	info_r->all_day = series->start.all_day;
	info_r->summary = series->summary;
	info_r->location = series->location;
	info_r->organizer = series->organizer;
	info_r->status = series->status != NULL ? series->status : "CONFIRMED";
	att = imip_event_find_attendee(series, owner);
	info_r->partstat = att != NULL ? att->partstat : NULL;

	/* the span of the series, for the store's overlap query */
	info_r->dtstart = series->start.utc;
	info_r->dtend = series->end.utc;
	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	imip_expand_vcal(pool, vcal, 0, 0, &list);
	for (unsigned int i = 0; i < list.count; i++) {
		if (list.occ[i].start < info_r->dtstart)
			info_r->dtstart = list.occ[i].start;
		if (list.occ[i].end > info_r->dtend)
			info_r->dtend = list.occ[i].end;
	}
	if (list.infinite || list.truncated)
		info_r->dtend = 0;
	else if (info_r->dtend == 0)
		info_r->dtend = info_r->dtstart;
	return 0;
}

/* Remove what must not be stored: libical's parse-error notes. */
static void imip_strip_for_storage(icalcomponent *ev)
{
	icalproperty *prop, *next;

	for (prop = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY);
	     prop != NULL; prop = next) {
		next = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY);
		icalcomponent_remove_property(ev, prop);
		icalproperty_free(prop);
	}
}

struct imip_pick {
	icalcomponent *ev;
	icalcomponent *src;   /* the VCALENDAR it comes from (its VTIMEZONEs) */
};

int imip_item_from_request(struct pool *pool, const void *request, size_t size,
			   const char *old_ical, const char **ical_r,
			   const char **error_r)
{
	icalcomponent *req, *old = NULL, *out, *ev;
	struct imip_pick *picks = p_new(pool, struct imip_pick, IMIP_MAX_EVENTS * 2);
	unsigned int count = 0;
	bool has_master;

	if (imip_ical_parse(pool, request, size, &req, error_r) < 0)
		return -1;
	if (old_ical != NULL &&
	    imip_ical_parse(pool, old_ical, strlen(old_ical), &old, error_r) < 0)
		return -1;
	has_master = imip_ical_find_vevent(req, NULL) != NULL;

	/* RFC 5546 3.2.2: a REQUEST with the series describes all of it; one
	   with only occurrences (3.2.2.4-style updates) changes just those */
	if (!has_master && old != NULL) {
		IMIP_FOREACH_COMPONENT(old, ICAL_VEVENT_COMPONENT, ev) {
			time_t rid;

			if (imip_ical_rid(ev, &rid) && imip_ical_find_vevent(req, &rid) != NULL)
				continue;
			if (count < IMIP_MAX_EVENTS) {
				picks[count].ev = ev;
				picks[count++].src = old;
			}
		}
	}
	IMIP_FOREACH_COMPONENT(req, ICAL_VEVENT_COMPONENT, ev) {
		if (count >= IMIP_MAX_EVENTS * 2)
			break;
		picks[count].ev = ev;
		picks[count++].src = req;
	}
	if (count == 0) {
		*error_r = "no VEVENT";
		return -1;
	}

	out = imip_ical_new_vcalendar(IMIP_METHOD_NONE);
	imip_ical_pool_own(pool, out);
	for (unsigned int i = 0; i < count; i++)
		imip_ical_copy_timezones(out, picks[i].src, picks[i].ev);
	for (unsigned int i = 0; i < count; i++) {
		icalcomponent *copy = icalcomponent_new_clone(picks[i].ev);

		imip_strip_for_storage(copy);
		icalcomponent_add_component(out, copy);
	}
	*ical_r = imip_ical_to_string(pool, out);
	return 0;
}

/* Replace or add a parameter. */
static void imip_prop_set_param(icalproperty *prop, const char *name, const char *value)
{
	icalproperty_set_parameter_from_string(prop, name, value);
}

static icalproperty *imip_time_prop(icalproperty *prop, struct icaltimetype t,
				    const char *tzid)
{
	icalproperty_set_value(prop, t.is_date ? icalvalue_new_date(t) : icalvalue_new_datetime(t));
	if (tzid != NULL && !t.is_date && t.zone != NULL && !icaltime_is_utc(t))
		icalproperty_add_parameter(prop, icalparameter_new_tzid(tzid));
	return prop;
}

static const icalproperty_kind imip_occurrence_drop[] = {
	ICAL_RRULE_PROPERTY, ICAL_RDATE_PROPERTY, ICAL_EXDATE_PROPERTY,
	ICAL_EXRULE_PROPERTY, ICAL_DTSTART_PROPERTY, ICAL_DTEND_PROPERTY,
	ICAL_DURATION_PROPERTY, ICAL_RECURRENCEID_PROPERTY,
};

/*
 * The VEVENT of occurrence rid: the exception if there is one, else a new
 * exception made from the series (RFC 5545 3.8.4.4) with RECURRENCE-ID and
 * DTSTART in the series' DTSTART form and the series' duration. NULL with
 * *error_r if rid is no occurrence of the series.
 */
icalcomponent *imip_ical_occurrence(struct pool *pool, icalcomponent *vcal,
					     time_t rid, const char **error_r)
{
	icalcomponent *ev = imip_ical_find_vevent(vcal, &rid), *master, *copy;
	struct imip_occurrence_list list;
	struct icaltimetype dtstart, occ_start, occ_end;
	icalproperty *prop, *next;
	struct imip_time start;
	struct icaldurationtype dur;
	bool found = false;

	if (ev != NULL)
		return ev;
	master = imip_ical_find_vevent(vcal, NULL);
	prop = master != NULL ? icalcomponent_get_first_property(master, ICAL_DTSTART_PROPERTY) : NULL;
	if (prop == NULL) {
		*error_r = "no such occurrence";
		return NULL;
	}
	imip_expand_vcal(pool, vcal, rid, rid + 1, &list);
	for (unsigned int i = 0; i < list.count; i++) {
		if (list.occ[i].rid == rid)
			found = true;
	}
	if (!found) {
		*error_r = "no such occurrence";
		return NULL;
	}
	dtstart = icalproperty_get_datetime_with_component(prop, master);
	imip_time_from_prop(pool, prop, master, &start);
	dur = icalcomponent_get_duration(master);
	occ_start = imip_ical_time_in(rid, dtstart.is_date, dtstart.zone);
	occ_end = occ_start;
	if (!icaldurationtype_is_bad_duration(dur))
		occ_end = icaltime_add(occ_start, dur);

	copy = icalcomponent_new_clone(master);
	/* an exception does not repeat; its times are set below */
	for (unsigned int i = 0; i < sizeof(imip_occurrence_drop) / sizeof(imip_occurrence_drop[0]); i++) {
		for (prop = icalcomponent_get_first_property(copy, imip_occurrence_drop[i]);
		     prop != NULL; prop = next) {
			next = icalcomponent_get_next_property(copy, imip_occurrence_drop[i]);
			icalcomponent_remove_property(copy, prop);
			icalproperty_free(prop);
		}
	}
	/* the same form as the series' DTSTART: its TZID, or UTC, or a date */
	icalcomponent_add_property(copy, imip_time_prop(icalproperty_new(ICAL_RECURRENCEID_PROPERTY),
							occ_start, start.tzid));
	icalcomponent_add_property(copy, imip_time_prop(icalproperty_new(ICAL_DTSTART_PROPERTY),
							occ_start, start.tzid));
	icalcomponent_add_property(copy, imip_time_prop(icalproperty_new(ICAL_DTEND_PROPERTY),
							occ_end, start.tzid));
	icalcomponent_add_component(vcal, copy);
	return copy;
}

int imip_item_set_partstat(struct pool *pool, const char *ical,
			   const char *address, const char *partstat,
			   const struct imip_time *rid, const char **ical_r,
			   const char **error_r)
{
	icalcomponent *vcal, *ev;
	unsigned int found = 0;

	if (!imip_partstat_valid(partstat)) {
		*error_r = "invalid PARTSTAT";
		return -1;
	}
	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	if (rid != NULL && rid->set) {
		icalproperty *att;

		ev = imip_ical_occurrence(pool, vcal, rid->utc, error_r);
		if (ev == NULL)
			return -1;
		att = imip_ical_find_attendee(ev, address);
		if (att != NULL) {
			imip_prop_set_param(att, "PARTSTAT", partstat);
			found++;
		}
	} else {
		IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
			icalproperty *att = imip_ical_find_attendee(ev, address);

			if (att != NULL) {
				imip_prop_set_param(att, "PARTSTAT", partstat);
				found++;
			}
		}
	}
	if (found == 0) {
		*error_r = "not an attendee";
		return -1;
	}
	*ical_r = imip_ical_to_string(pool, vcal);
	return 0;
}

static void imip_item_comment_one(struct pool *pool, icalcomponent *ev,
				  const char *address, const char *comment)
{
	icalproperty *prop, *next, *note;

	for (prop = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); prop != NULL;
	     prop = next) {
		next = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY);
		if (imip_ical_is_attendee_comment(prop, address)) {
			icalcomponent_remove_property(ev, prop);
			icalproperty_free(prop);
		}
	}
	if (comment == NULL || *comment == '\0')
		return;
	note = icalproperty_new_x(imip_clean_text(pool, comment, 2048));
	icalproperty_set_x_name(note, IMIP_ATTENDEE_COMMENT);
	icalproperty_set_parameter_from_string(note, IMIP_ATTENDEE_COMMENT_REF,
					       p_printf(pool, "mailto:%s", address));
	icalcomponent_add_property(ev, note);
}

int imip_item_set_comment(struct pool *pool, const char *ical,
			  const char *address, const char *comment,
			  const struct imip_time *rid, const char **ical_r,
			  const char **error_r)
{
	icalcomponent *vcal, *ev;

	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	if (rid != NULL && rid->set) {
		ev = imip_ical_occurrence(pool, vcal, rid->utc, error_r);
		if (ev == NULL)
			return -1;
		imip_item_comment_one(pool, ev, address, comment);
	} else {
		IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
			if (imip_ical_find_attendee(ev, address) != NULL)
				imip_item_comment_one(pool, ev, address, comment);
		}
	}
	*ical_r = imip_ical_to_string(pool, vcal);
	return 0;
}

int imip_item_cancel(struct pool *pool, const char *ical,
		     const struct imip_time *rid, int sequence,
		     const char **ical_r, const char **error_r)
{
	icalcomponent *vcal, *ev;

	if (imip_ical_parse(pool, ical, strlen(ical), &vcal, error_r) < 0)
		return -1;
	if (rid != NULL && rid->set) {
		ev = imip_ical_occurrence(pool, vcal, rid->utc, error_r);
		if (ev == NULL)
			return -1;
		icalcomponent_set_status(ev, ICAL_STATUS_CANCELLED);
		if (sequence > icalcomponent_get_sequence(ev))
			icalcomponent_set_sequence(ev, sequence);
	} else {
		IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
			icalcomponent_set_status(ev, ICAL_STATUS_CANCELLED);
			if (sequence > icalcomponent_get_sequence(ev))
				icalcomponent_set_sequence(ev, sequence);
		}
	}
	*ical_r = imip_ical_to_string(pool, vcal);
	return 0;
}
