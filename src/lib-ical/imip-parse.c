/*
 * Reading one VCALENDAR into struct imip_calendar (RFC 5545 3.6.1 VEVENT,
 * RFC 5546 for what an iTIP message holds).
 */
#include "imip-private.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* Longest UID, address or short text we keep; longer is refused or cut. */
#define IMIP_MAX_UID 1024
#define IMIP_MAX_ADDRESS 512
#define IMIP_MAX_SHORT 1024

static const char *const imip_method_names[] = {
	[IMIP_METHOD_NONE] = "",
	[IMIP_METHOD_PUBLISH] = "PUBLISH",
	[IMIP_METHOD_REQUEST] = "REQUEST",
	[IMIP_METHOD_REPLY] = "REPLY",
	[IMIP_METHOD_ADD] = "ADD",
	[IMIP_METHOD_CANCEL] = "CANCEL",
	[IMIP_METHOD_REFRESH] = "REFRESH",
	[IMIP_METHOD_COUNTER] = "COUNTER",
	[IMIP_METHOD_DECLINECOUNTER] = "DECLINECOUNTER",
	[IMIP_METHOD_OTHER] = "OTHER",
};

const char *imip_method_name(enum imip_method method)
{
	return imip_method_names[method];
}

enum imip_method imip_method_parse(const char *name)
{
	if (name == NULL || *name == '\0')
		return IMIP_METHOD_NONE;
	for (unsigned int i = IMIP_METHOD_PUBLISH; i < IMIP_METHOD_OTHER; i++) {
		if (str_iequal(name, imip_method_names[i]))
			return (enum imip_method)i;
	}
	return IMIP_METHOD_OTHER;
}

bool imip_partstat_valid(const char *partstat)
{
	static const char *const valid[] = {
		"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED",
	};

	for (unsigned int i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		if (partstat != NULL && strcmp(partstat, valid[i]) == 0)
			return true;
	}
	return false;
}

const char *imip_address_from_uri(struct pool *pool, const char *uri)
{
	const char *addr;

	if (uri == NULL)
		return NULL;
	while (*uri == ' ' || *uri == '\t')
		uri++;
	if (str_begins_icase(uri, "mailto:"))
		uri += 7;
	addr = imip_clean_text(pool, uri, IMIP_MAX_ADDRESS);
	/* an address has no line breaks or tabs */
	for (char *p = (char *)addr; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
	return addr;
}

/* A parameter's value, cleaned, or NULL. */
static const char *imip_param(struct pool *pool, icalproperty *prop,
			      const char *name, bool upper)
{
	char *value = icalproperty_get_parameter_as_string_r(prop, name);
	const char *ret;

	if (value == NULL)
		return NULL;
	ret = imip_clean_text(pool, value, IMIP_MAX_SHORT);
	free(value);
	if (upper) {
		for (char *p = (char *)ret; *p != '\0'; p++) {
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		}
	}
	return *ret != '\0' ? ret : NULL;
}

static int imip_attendees_fill(struct pool *pool, icalcomponent *ev,
			       struct imip_event *event, const char **error_r)
{
	int count = icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY);
	unsigned int i = 0;

	if (count > IMIP_MAX_ATTENDEES) {
		*error_r = "too many attendees";
		return -1;
	}
	event->attendees = p_new(pool, struct imip_attendee, count > 0 ? (size_t)count : 1);
	for (icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	     prop != NULL && i < (unsigned int)count;
	     prop = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		struct imip_attendee *att = &event->attendees[i];
		const char *rsvp;

		att->address = imip_address_from_uri(pool, icalproperty_get_attendee(prop));
		if (att->address == NULL || *att->address == '\0')
			continue;
		att->name = imip_param(pool, prop, "CN", false);
		att->partstat = imip_param(pool, prop, "PARTSTAT", true);
		if (att->partstat == NULL)
			att->partstat = "NEEDS-ACTION";
		att->role = imip_param(pool, prop, "ROLE", true);
		if (att->role == NULL)
			att->role = "REQ-PARTICIPANT";
		att->sent_by = imip_address_from_uri(pool, imip_param(pool, prop, "SENT-BY", false));
		rsvp = imip_param(pool, prop, "RSVP", true);
		att->rsvp = rsvp != NULL && strcmp(rsvp, "TRUE") == 0;
		i++;
	}
	event->attendee_count = i;
	for (icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY);
	     prop != NULL && i > 0;
	     prop = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
		for (unsigned int j = 0; j < event->attendee_count; j++) {
			const char *text = icalproperty_get_value_as_string(prop);

			if (event->attendees[j].comment == NULL && text != NULL &&
			    imip_ical_is_attendee_comment(prop, event->attendees[j].address)) {
				event->attendees[j].comment = imip_clean_text(pool, text,
									      2048);
				break;
			}
		}
	}
	return 0;
}

static const char *imip_text_prop(struct pool *pool, icalcomponent *ev,
				  icalproperty_kind kind, size_t max)
{
	icalproperty *prop = icalcomponent_get_first_property(ev, kind);
	icalvalue *value;

	if (prop == NULL)
		return NULL;
	value = icalproperty_get_value(prop);
	if (value == NULL || icalvalue_isa(value) != ICAL_TEXT_VALUE)
		return NULL;
	return imip_clean_text(pool, icalvalue_get_text(value), max);
}

static void imip_end_fill(struct pool *pool, icalcomponent *ev,
			  struct imip_event *event)
{
	icalproperty *dtend = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);

	if (!event->start.set)
		return;
	if (dtend != NULL) {
		imip_time_from_prop(pool, dtend, ev, &event->end);
	} else {
		/* DURATION, or the implied end of RFC 5545 3.6.1: a day for a
		   date, the start itself for a date-time */
		icalproperty *dtstart = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
		struct icaltimetype start = icalproperty_get_datetime_with_component(dtstart, ev);
		icalproperty *dur = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
		struct icaltimetype end = start;

		if (dur != NULL) {
			struct icaldurationtype d = icalproperty_get_duration(dur);

			/* a month-long meeting is long; a decade is an attack on
			   the date arithmetic */
			if (!icaldurationtype_is_bad_duration(d) && d.weeks < 520 &&
			    d.days < 3650 && d.hours < 87600)
				end = icaltime_add(start, d);
		} else if (start.is_date) {
			icaltime_adjust(&end, 1, 0, 0, 0);
		}
		imip_time_from_ical(pool, end, event->start.tzid, &event->end);
	}
	/* an end before the start (or unreadable) is taken as the start */
	if (!event->end.set || event->end.utc < event->start.utc ||
	    event->end.all_day != event->start.all_day)
		event->end = event->start;
}

/* The instants of every RDATE or EXDATE (libical gives each value of a
   list its own property). */
static const time_t *imip_instants(struct pool *pool, icalcomponent *ev,
				   icalproperty_kind kind, unsigned int *count_r)
{
	int count = icalcomponent_count_properties(ev, kind);
	time_t *instants = p_new(pool, time_t, count > 0 ? (size_t)count : 1);
	unsigned int i = 0;

	for (icalproperty *prop = icalcomponent_get_first_property(ev, kind);
	     prop != NULL && i < (unsigned int)count;
	     prop = icalcomponent_get_next_property(ev, kind), i++) {
		icalvalue *value = icalproperty_get_value(prop);
		struct imip_time t;

		if (value != NULL && icalvalue_isa(value) == ICAL_PERIOD_VALUE) {
			/* a PERIOD's start, read in the property's zone like
			   a DATE-TIME: a copy of it with that value */
			icalproperty *start = icalproperty_new_clone(prop);

			icalproperty_set_value(start, icalvalue_new_datetime(
				icalvalue_get_period(value).start));
			imip_time_from_prop(pool, start, ev, &t);
			icalproperty_free(start);
		} else {
			imip_time_from_prop(pool, prop, ev, &t);
		}
		instants[i] = t.set ? t.utc : 0;
	}
	*count_r = i;
	return instants;
}

static int imip_event_fill(struct pool *pool, icalcomponent *ev,
			   struct imip_event *event, const char **error_r)
{
	icalproperty *prop;
	const char *uid;

	memset(event, 0, sizeof(*event));
	uid = imip_text_prop(pool, ev, ICAL_UID_PROPERTY, IMIP_MAX_UID + 1);
	if (uid == NULL || *uid == '\0') {
		*error_r = "VEVENT without UID";
		return -1;
	}
	if (strlen(uid) > IMIP_MAX_UID || strchr(uid, '\n') != NULL) {
		*error_r = "UID too long or not one line";
		return -1;
	}
	event->uid = uid;
	prop = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
	if (prop != NULL) {
		event->sequence = icalproperty_get_sequence(prop);
		if (event->sequence < 0)
			event->sequence = 0;
	}
	prop = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
	if (prop != NULL) {
		struct imip_time stamp;

		imip_time_from_prop(pool, prop, ev, &stamp);
		event->dtstamp = stamp.set ? stamp.utc : 0;
	}
	prop = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	if (prop != NULL) {
		event->organizer = imip_address_from_uri(pool, icalproperty_get_organizer(prop));
		event->organizer_name = imip_param(pool, prop, "CN", false);
		event->organizer_sent_by = imip_address_from_uri(pool,
			imip_param(pool, prop, "SENT-BY", false));
	}
	event->summary = imip_text_prop(pool, ev, ICAL_SUMMARY_PROPERTY, IMIP_MAX_SHORT);
	event->location = imip_text_prop(pool, ev, ICAL_LOCATION_PROPERTY, IMIP_MAX_SHORT);
	event->description = imip_text_prop(pool, ev, ICAL_DESCRIPTION_PROPERTY, IMIP_MAX_TEXT);
	event->comment = imip_text_prop(pool, ev, ICAL_COMMENT_PROPERTY, IMIP_MAX_TEXT);
	prop = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
	if (prop != NULL) {
		icalproperty_status status = icalproperty_get_status(prop);

		if (status != ICAL_STATUS_NONE && status != ICAL_STATUS_X)
			event->status = icalproperty_status_to_string(status);
	}
	prop = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	if (prop != NULL)
		imip_time_from_prop(pool, prop, ev, &event->start);
	imip_end_fill(pool, ev, event);
	prop = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
	if (prop != NULL)
		imip_time_from_prop(pool, prop, ev, &event->recurrence_id);
	prop = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	if (prop != NULL) {
		struct icalrecurrencetype recur = icalproperty_get_rrule(prop);
		char *text = icalrecurrencetype_as_string_r(&recur);

		if (text != NULL) {
			event->rrule = p_strdup(pool, text);
			free(text);
		}
		event->recurrence_text = imip_recur_text(pool, &recur);
	}
	event->rdates = imip_instants(pool, ev, ICAL_RDATE_PROPERTY, &event->rdate_count);
	event->exdates = imip_instants(pool, ev, ICAL_EXDATE_PROPERTY, &event->exdate_count);
	return imip_attendees_fill(pool, ev, event, error_r);
}

int imip_parse(struct pool *pool, const void *data, size_t size,
	       struct imip_calendar **cal_r, const char **error_r)
{
	struct imip_calendar *cal;
	icalcomponent *vcal, *ev;
	icalproperty *prop;
	int count;
	unsigned int i = 0;

	*cal_r = NULL;
	if (imip_ical_parse(pool, data, size, &vcal, error_r) < 0)
		return -1;
	cal = p_new(pool, struct imip_calendar, 1);
	prop = icalcomponent_get_first_property(vcal, ICAL_METHOD_PROPERTY);
	if (prop != NULL) {
		char *name = icalproperty_get_value_as_string_r(prop);

		if (name != NULL) {
			cal->method_name = imip_clean_text(pool, name, IMIP_MAX_SHORT);
			free(name);
		}
	}
	cal->method = imip_method_parse(cal->method_name);
	prop = icalcomponent_get_first_property(vcal, ICAL_PRODID_PROPERTY);
	if (prop != NULL && icalproperty_get_prodid(prop) != NULL)
		cal->prodid = imip_clean_text(pool, icalproperty_get_prodid(prop), IMIP_MAX_SHORT);

	count = icalcomponent_count_components(vcal, ICAL_VEVENT_COMPONENT);
	if (count <= 0) {
		*error_r = "no VEVENT";
		return -1;
	}
	if (count > IMIP_MAX_EVENTS) {
		*error_r = "too many VEVENTs";
		return -1;
	}
	cal->events = p_new(pool, struct imip_event, (size_t)count);
	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
		struct imip_event *event = &cal->events[i];

		if (i >= (unsigned int)count)
			break;
		if (imip_event_fill(pool, ev, event, error_r) < 0)
			return -1;
		if (i > 0 && strcmp(event->uid, cal->events[0].uid) != 0) {
			*error_r = "several UIDs in one object";
			return -1;
		}
		if (!event->recurrence_id.set && cal->master == NULL)
			cal->master = event;
		i++;
	}
	cal->event_count = i;
	cal->uid = cal->events[0].uid;
	*cal_r = cal;
	return 0;
}

const struct imip_attendee *
imip_event_find_attendee(const struct imip_event *event, const char *address)
{
	if (address == NULL)
		return NULL;
	for (unsigned int i = 0; i < event->attendee_count; i++) {
		if (str_iequal(event->attendees[i].address, address))
			return &event->attendees[i];
	}
	return NULL;
}

const struct imip_event *
imip_calendar_find_event(const struct imip_calendar *cal,
			 const struct imip_time *rid)
{
	if (rid == NULL || !rid->set)
		return cal->master;
	for (unsigned int i = 0; i < cal->event_count; i++) {
		const struct imip_event *ev = &cal->events[i];

		if (ev->recurrence_id.set && ev->recurrence_id.utc == rid->utc)
			return ev;
	}
	return NULL;
}
