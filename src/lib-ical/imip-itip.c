/*
 * Building the iTIP objects infostore sends: REPLY (RFC 5546 3.2.3) and a
 * new meeting's REQUEST (3.2.2).
 */
#include "imip-private.h"
#include "imip-itip.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

static void imip_clone_prop(icalcomponent *dst, icalcomponent *src, icalproperty_kind kind)
{
	icalproperty *prop = icalcomponent_get_first_property(src, kind);

	if (prop != NULL)
		icalcomponent_add_property(dst, icalproperty_new_clone(prop));
}

static struct icaltimetype imip_utc_time(time_t t)
{
	return imip_ical_time_in(t, false, icaltimezone_get_utc_timezone());
}

int imip_reply_build(struct pool *pool, const char *item_ical,
		     const struct imip_reply_params *params,
		     const char **text_r, const char **error_r)
{
	icalcomponent *vcal, *ev, *out, *reply;
	icalproperty *att;
	bool one = params->rid != NULL && params->rid->set;

	if (!imip_partstat_valid(params->partstat)) {
		*error_r = "invalid PARTSTAT";
		return -1;
	}
	if (imip_ical_parse(pool, item_ical, strlen(item_ical), &vcal, error_r) < 0)
		return -1;
	if (one) {
		ev = imip_ical_occurrence(pool, vcal, params->rid->utc, error_r);
		if (ev == NULL)
			return -1;
	} else {
		ev = imip_ical_find_vevent(vcal, NULL);
		if (ev == NULL)
			ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT);
		if (ev == NULL) {
			*error_r = "no VEVENT";
			return -1;
		}
	}
	att = imip_ical_find_attendee(ev, params->attendee);
	if (att == NULL) {
		*error_r = "not an attendee";
		return -1;
	}
	if (icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY) == NULL) {
		*error_r = "no ORGANIZER to reply to";
		return -1;
	}

	out = imip_ical_new_vcalendar(IMIP_METHOD_REPLY);
	imip_ical_pool_own(pool, out);
	imip_ical_copy_timezones(out, vcal, ev);
	reply = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	imip_clone_prop(reply, ev, ICAL_UID_PROPERTY);
	/* SEQUENCE is required when not zero; always writing it is what
	   Outlook and Google do and costs nothing */
	icalcomponent_add_property(reply, icalproperty_new_sequence(icalcomponent_get_sequence(ev)));
	icalcomponent_add_property(reply, icalproperty_new_dtstamp(imip_utc_time(params->now)));
	imip_clone_prop(reply, ev, ICAL_ORGANIZER_PROPERTY);
	att = icalproperty_new_clone(att);
	icalproperty_set_parameter_from_string(att, "PARTSTAT", params->partstat);
	/* RSVP asks the attendee to answer; the answer does not ask again */
	icalproperty_remove_parameter_by_kind(att, ICAL_RSVP_PARAMETER);
	icalcomponent_add_property(reply, att);
	if (one)
		imip_clone_prop(reply, ev, ICAL_RECURRENCEID_PROPERTY);
	imip_clone_prop(reply, ev, ICAL_DTSTART_PROPERTY);
	if (icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY) != NULL)
		imip_clone_prop(reply, ev, ICAL_DTEND_PROPERTY);
	else
		imip_clone_prop(reply, ev, ICAL_DURATION_PROPERTY);
	imip_clone_prop(reply, ev, ICAL_SUMMARY_PROPERTY);
	imip_clone_prop(reply, ev, ICAL_LOCATION_PROPERTY);
	if (params->comment != NULL && *params->comment != '\0')
		icalcomponent_add_property(reply, icalproperty_new_comment(
			imip_clean_text(pool, params->comment, IMIP_MAX_TEXT)));
	icalcomponent_add_component(out, reply);
	*text_r = imip_ical_to_string(pool, out);
	return 0;
}

static icalproperty *imip_address_prop(icalproperty *prop, struct pool *pool,
				       const char *address, const char *name)
{
	icalproperty_set_value(prop, icalvalue_new_caladdress(
		p_printf(pool, "mailto:%s", address)));
	if (name != NULL && *name != '\0')
		icalproperty_add_parameter(prop, icalparameter_new_cn(
			imip_clean_text(pool, name, 256)));
	return prop;
}

/* A time in zone (with its TZID parameter), or in UTC. */
static icalproperty *imip_time_prop(icalproperty *prop, time_t t, icaltimezone *zone,
				    const char *tzid)
{
	if (zone == NULL) {
		icalproperty_set_value(prop, icalvalue_new_datetime(imip_utc_time(t)));
		return prop;
	}
	icalproperty_set_value(prop, icalvalue_new_datetime(
		imip_ical_time_in(t, false, zone)));
	icalproperty_add_parameter(prop, icalparameter_new_tzid(tzid));
	return prop;
}

int imip_request_build(struct pool *pool, const struct imip_request_params *params,
		       const char **request_r, const char **item_r,
		       const char **error_r)
{
	icalcomponent *out, *ev;
	icalproperty *method;
	icaltimezone *zone = NULL;

	if (params->uid == NULL || params->summary == NULL || params->organizer == NULL) {
		*error_r = "UID, summary and organizer are required";
		return -1;
	}
	if (params->end < params->start) {
		*error_r = "the meeting ends before it starts";
		return -1;
	}
	if (!params->all_day && params->tzid != NULL && *params->tzid != '\0' &&
	    strcmp(params->tzid, "UTC") != 0) {
		/* only names the system knows; never a path */
		if (imip_tzid_known(params->tzid))
			zone = icaltimezone_get_builtin_timezone(params->tzid);
	}

	out = imip_ical_new_vcalendar(IMIP_METHOD_REQUEST);
	imip_ical_pool_own(pool, out);
	ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_property(ev, icalproperty_new_uid(params->uid));
	icalcomponent_add_property(ev, icalproperty_new_sequence(params->sequence));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(imip_utc_time(params->now)));
	if (params->all_day) {
		icalcomponent_add_property(ev, icalproperty_new_dtstart(
			imip_ical_time_in(params->start, true, icaltimezone_get_utc_timezone())));
		icalcomponent_add_property(ev, icalproperty_new_dtend(
			imip_ical_time_in(params->end, true, icaltimezone_get_utc_timezone())));
	} else {
		icalcomponent_add_property(ev, imip_time_prop(icalproperty_new(ICAL_DTSTART_PROPERTY),
							      params->start, zone, params->tzid));
		icalcomponent_add_property(ev, imip_time_prop(icalproperty_new(ICAL_DTEND_PROPERTY),
							      params->end, zone, params->tzid));
	}
	if (params->repeat != IMIP_REPEAT_NONE) {
		static const char *const freq[] = {
			[IMIP_REPEAT_DAILY] = "DAILY", [IMIP_REPEAT_WEEKLY] = "WEEKLY",
			[IMIP_REPEAT_MONTHLY] = "MONTHLY",
		};
		const char *rule = p_printf(pool, "FREQ=%s", freq[params->repeat]);
		struct icalrecurrencetype recur;

		/* RFC 5545 3.3.10: UNTIL is a date for a date DTSTART, else UTC */
		if (params->repeat_count > 0)
			rule = p_printf(pool, "%s;COUNT=%u", rule, params->repeat_count);
		else if (params->repeat_until != 0)
			rule = p_printf(pool, "%s;UNTIL=%s", rule, icaltime_as_ical_string(
				imip_ical_time_in(params->repeat_until, params->all_day,
						  icaltimezone_get_utc_timezone())));
		recur = icalrecurrencetype_from_string(rule);
		if (recur.freq == ICAL_NO_RECURRENCE) {
			*error_r = "cannot write the recurrence rule";
			return -1;
		}
		icalcomponent_add_property(ev, icalproperty_new_rrule(recur));
	}
	icalcomponent_add_property(ev, icalproperty_new_summary(
		imip_clean_text(pool, params->summary, 1024)));
	if (params->location != NULL && *params->location != '\0')
		icalcomponent_add_property(ev, icalproperty_new_location(
			imip_clean_text(pool, params->location, 1024)));
	if (params->description != NULL && *params->description != '\0')
		icalcomponent_add_property(ev, icalproperty_new_description(
			imip_clean_text(pool, params->description, IMIP_MAX_TEXT)));
	icalcomponent_add_property(ev, imip_address_prop(icalproperty_new(ICAL_ORGANIZER_PROPERTY),
							 pool, params->organizer,
							 params->organizer_name));
	for (unsigned int i = 0; i < params->attendee_count; i++) {
		icalproperty *att = imip_address_prop(icalproperty_new(ICAL_ATTENDEE_PROPERTY),
						      pool, params->attendees[i].address,
						      params->attendees[i].name);

		icalproperty_add_parameter(att, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
		if (params->attendees[i].partstat != NULL &&
		    imip_partstat_valid(params->attendees[i].partstat) &&
		    strcmp(params->attendees[i].partstat, "NEEDS-ACTION") != 0) {
			icalproperty_set_parameter_from_string(att, "PARTSTAT",
							       params->attendees[i].partstat);
		} else {
			icalproperty_add_parameter(att, icalparameter_new_partstat(
				ICAL_PARTSTAT_NEEDSACTION));
			icalproperty_add_parameter(att, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
		}
		icalcomponent_add_property(ev, att);
	}
	icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	imip_ical_copy_timezones(out, NULL, ev);
	icalcomponent_add_component(out, ev);
	*request_r = imip_ical_to_string(pool, out);

	method = icalcomponent_get_first_property(out, ICAL_METHOD_PROPERTY);
	icalcomponent_remove_property(out, method);
	icalproperty_free(method);
	*item_r = imip_ical_to_string(pool, out);
	return 0;
}

int imip_repeat_parse(const char *rrule, enum imip_repeat *repeat_r,
		      unsigned int *count_r, time_t *until_r)
{
	struct icalrecurrencetype r;

	*repeat_r = IMIP_REPEAT_NONE;
	*count_r = 0;
	*until_r = 0;
	if (rrule == NULL)
		return 1;
	icalerror_clear_errno();
	r = icalrecurrencetype_from_string(rrule);
	if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR)
		return -1;
	if (r.interval > 1 || r.by_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_month[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_set_pos[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_year_day[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_week_no[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_hour[0] != ICAL_RECURRENCE_ARRAY_MAX ||
	    r.by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX)
		return 0;
	switch (r.freq) {
	case ICAL_DAILY_RECURRENCE:
		*repeat_r = IMIP_REPEAT_DAILY;
		break;
	case ICAL_WEEKLY_RECURRENCE:
		*repeat_r = IMIP_REPEAT_WEEKLY;
		break;
	case ICAL_MONTHLY_RECURRENCE:
		*repeat_r = IMIP_REPEAT_MONTHLY;
		break;
	default:
		return 0;
	}
	if (r.count > 0)
		*count_r = (unsigned int)r.count;
	else if (!icaltime_is_null_time(r.until))
		*until_r = icaltime_as_timet_with_zone(r.until, icaltimezone_get_utc_timezone());
	return 1;
}

static int imip_tz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void imip_tz_names(struct pool *pool, const char *const **names_r,
		   unsigned int *count_r)
{
	icalarray *zones = icaltimezone_get_builtin_timezones();
	size_t n = zones != NULL ? zones->num_elements : 0;
	const char **names = p_new(pool, const char *, n + 1);
	unsigned int count = 0;

	names[count++] = "UTC";
	for (size_t i = 0; i < n; i++) {
		const char *location = icaltimezone_get_location(icalarray_element_at(zones, i));

		if (location != NULL && *location != '\0' && strcmp(location, "UTC") != 0)
			names[count++] = p_strdup(pool, location);
	}
	qsort(names, count, sizeof(*names), imip_tz_name_cmp);
	*names_r = names;
	*count_r = count;
}
