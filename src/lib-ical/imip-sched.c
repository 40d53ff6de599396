/*
 * CalDAV scheduling (RFC 6638): the stored object made clean, the iTIP
 * messages an organizer's object gives (RFC 5546 3.2.2 REQUEST, 3.2.5
 * CANCEL), and the comparisons that decide when to send them.
 */
#include "imip-private.h"
#include "alloc.h"
#include "imip-sched.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* The longest UID we take, as imip_parse() does. */
#define IMIP_SCHED_MAX_UID 1024
/* "3.7.1": a status code is short (RFC 5545 3.8.8.3 statcode). */
#define IMIP_SCHED_MAX_STATUS 15

struct imip_sched_object {
	icalcomponent *vcal;
	icalcomponent_kind kind;   /* VEVENT, VTODO or VJOURNAL */
};

/* Parameters for the server alone, never sent (RFC 6638 7.1-7.3). */
static const icalparameter_kind imip_sched_params[] = {
	ICAL_SCHEDULEAGENT_PARAMETER, ICAL_SCHEDULEFORCESEND_PARAMETER,
	ICAL_SCHEDULESTATUS_PARAMETER,
};

/* How many VCALENDARs does the text hold? imip_ical_parse() quietly takes
   the first of several, but a resource is exactly one (RFC 4791 4.1). */
static unsigned int imip_sched_count_vcalendars(const char *text, size_t len)
{
	static const char begin[] = "BEGIN:VCALENDAR";
	unsigned int count = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl;

		if (len - pos >= sizeof(begin) - 1 &&
		    mem_iequal(text + pos, begin, sizeof(begin) - 1))
			count++;
		nl = memchr(text + pos, '\n', len - pos);
		if (nl == NULL)
			break;
		pos = (size_t)(nl - text) + 1;
	}
	return count;
}

/* libical's notes about what it could not read are not the client's data. */
static void imip_sched_strip_errors(icalcomponent *comp)
{
	icalproperty *prop, *next;
	icalcomponent *child;

	for (prop = icalcomponent_get_first_property(comp, ICAL_XLICERROR_PROPERTY);
	     prop != NULL; prop = next) {
		next = icalcomponent_get_next_property(comp, ICAL_XLICERROR_PROPERTY);
		icalcomponent_remove_property(comp, prop);
		icalproperty_free(prop);
	}
	/* nesting is bounded by imip_ical_parse() */
	IMIP_FOREACH_COMPONENT(comp, ICAL_ANY_COMPONENT, child)
		imip_sched_strip_errors(child);
}

static int imip_sched_time_cmp(const void *a, const void *b)
{
	time_t ta = *(const time_t *)a, tb = *(const time_t *)b;

	return ta < tb ? -1 : (ta > tb ? 1 : 0);
}

/*
 * Read text as one calendar object resource (RFC 4791 4.1): one
 * VCALENDAR; its components other than VTIMEZONE (and X- components,
 * which we carry along) of one kind and one UID; one master at most and
 * one component per RECURRENCE-ID. events_only: the kind must be VEVENT.
 */
static int imip_sched_load(struct pool *pool, const char *text, size_t len,
			   bool events_only, struct imip_sched_object *obj_r,
			   const char **error_r)
{
	icalcomponent *vcal, *comp;
	const char *uid = NULL;
	time_t *rids;
	unsigned int count = 0, rid_count = 0, masters = 0;
	int ret = 0;

	memset(obj_r, 0, sizeof(*obj_r));
	if (text == NULL) {
		*error_r = "no iCalendar object";
		return -1;
	}
	if (imip_sched_count_vcalendars(text, len) > 1) {
		*error_r = "several VCALENDARs in one object";
		return -1;
	}
	if (imip_ical_parse(pool, text, len, &vcal, error_r) < 0)
		return -1;
	obj_r->vcal = vcal;
	obj_r->kind = ICAL_NO_COMPONENT;

	rids = p_new(pool, time_t, IMIP_MAX_EVENTS);
	IMIP_FOREACH_COMPONENT(vcal, ICAL_ANY_COMPONENT, comp) {
		icalcomponent_kind kind = icalcomponent_isa(comp);
		const char *comp_uid;
		time_t rid;

		if (kind == ICAL_VTIMEZONE_COMPONENT || kind == ICAL_X_COMPONENT)
			continue;
		if (kind != ICAL_VEVENT_COMPONENT &&
		    (events_only || (kind != ICAL_VTODO_COMPONENT &&
				     kind != ICAL_VJOURNAL_COMPONENT))) {
			*error_r = events_only ? "not a VEVENT object" :
				"a component that cannot be scheduled";
			ret = -1;
			break;
		}
		if (obj_r->kind == ICAL_NO_COMPONENT) {
			obj_r->kind = kind;
		} else if (kind != obj_r->kind) {
			*error_r = "components of several kinds in one object";
			ret = -1;
			break;
		}
		if (++count > IMIP_MAX_EVENTS) {
			*error_r = "too many components";
			ret = -1;
			break;
		}
		comp_uid = icalcomponent_get_uid(comp);
		if (comp_uid == NULL || *comp_uid == '\0' ||
		    strlen(comp_uid) > IMIP_SCHED_MAX_UID) {
			*error_r = "a component without UID or with a UID too long";
			ret = -1;
			break;
		}
		if (uid == NULL) {
			uid = comp_uid;
		} else if (strcmp(uid, comp_uid) != 0) {
			*error_r = "several UIDs in one object";
			ret = -1;
			break;
		}
		if (imip_ical_rid(comp, &rid))
			rids[rid_count++] = rid;
		else
			masters++;
	}
	if (ret == 0 && count == 0) {
		*error_r = events_only ? "no VEVENT" : "no component";
		ret = -1;
	}
	if (ret == 0 && masters > 1) {
		*error_r = "several components without RECURRENCE-ID";
		ret = -1;
	}
	if (ret == 0) {
		qsort(rids, rid_count, sizeof(*rids), imip_sched_time_cmp);
		for (unsigned int i = 1; i < rid_count; i++) {
			if (rids[i] == rids[i - 1]) {
				*error_r = "several components for one RECURRENCE-ID";
				ret = -1;
				break;
			}
		}
	}
	if (ret == 0)
		imip_sched_strip_errors(vcal);
	return ret;
}

static void imip_sched_remove_param(icalproperty *prop, icalparameter_kind kind)
{
	/* a parameter written twice is removed twice */
	while (icalproperty_get_first_parameter(prop, kind) != NULL)
		icalproperty_remove_parameter_by_kind(prop, kind);
}

/* Remove the given parameters from comp's ORGANIZER and ATTENDEEs. */
static void imip_sched_strip_params(icalcomponent *comp, const icalparameter_kind *kinds,
				    unsigned int kind_count)
{
	static const icalproperty_kind props[] = {
		ICAL_ORGANIZER_PROPERTY, ICAL_ATTENDEE_PROPERTY,
	};

	for (unsigned int p = 0; p < sizeof(props) / sizeof(props[0]); p++) {
		for (icalproperty *prop = icalcomponent_get_first_property(comp, props[p]);
		     prop != NULL; prop = icalcomponent_get_next_property(comp, props[p])) {
			for (unsigned int k = 0; k < kind_count; k++)
				imip_sched_remove_param(prop, kinds[k]);
		}
	}
}

static int imip_sched_clean_once(struct pool *pool, const char *ical, size_t len,
				 const char **out_r, const char **error_r)
{
	/* RFC 6638 7.3: SCHEDULE-STATUS is the server's to set; 7.2:
	   SCHEDULE-FORCE-SEND asks for one message and is not kept */
	static const icalparameter_kind kinds[] = {
		ICAL_SCHEDULESTATUS_PARAMETER, ICAL_SCHEDULEFORCESEND_PARAMETER,
	};
	struct imip_sched_object obj;
	icalcomponent *comp;

	if (imip_sched_load(pool, ical, len, false, &obj, error_r) < 0)
		return -1;
	IMIP_FOREACH_COMPONENT(obj.vcal, obj.kind, comp)
		imip_sched_strip_params(comp, kinds, sizeof(kinds) / sizeof(kinds[0]));
	*out_r = imip_ical_to_string(pool, obj.vcal);
	return 0;
}

int imip_sched_clean(struct pool *pool, const char *ical, size_t len,
		     const char **out_r, const char **error_r)
{
	const char *out, *again;

	if (imip_sched_clean_once(pool, ical, len, &out, error_r) < 0)
		return -1;
	/*
	 * What we store must read back as itself, or the next PUT of the
	 * same object would look like a change. libical's writer and reader
	 * disagree on some broken input (a parameter written twice, a
	 * parameter value with ':' unquoted): such an object changes each
	 * time it goes through, and is refused rather than stored.
	 */
	if (imip_sched_clean_once(pool, out, strlen(out), &again, error_r) < 0 ||
	    strcmp(out, again) != 0) {
		*error_r = "iCalendar that does not read back the same once written";
		return -1;
	}
	*out_r = out;
	return 0;
}

/* --- recipients --- */

struct imip_sched_entry {
	const char *address;
	unsigned int order;
	bool server;
	const char *force_send;
};

/* SCHEDULE-AGENT absent or SERVER (RFC 6638 7.1). CLIENT and NONE mean
   the server sends nothing, and so does a value we do not know. */
static bool imip_sched_agent_server(icalproperty *prop)
{
	char *value = icalproperty_get_parameter_as_string_r(prop, "SCHEDULE-AGENT");
	bool server = value == NULL || str_iequal(value, "SERVER");

	free(value);
	return server;
}

/* SCHEDULE-FORCE-SEND (RFC 6638 7.2): REQUEST, REPLY, or NULL. */
static const char *imip_sched_force_send(icalproperty *prop)
{
	char *value = icalproperty_get_parameter_as_string_r(prop, "SCHEDULE-FORCE-SEND");
	const char *ret = NULL;

	if (value != NULL && str_iequal(value, "REQUEST"))
		ret = "REQUEST";
	else if (value != NULL && str_iequal(value, "REPLY"))
		ret = "REPLY";
	free(value);
	return ret;
}

static int imip_sched_entry_addr_cmp(const void *a, const void *b)
{
	const struct imip_sched_entry *ea = a, *eb = b;
	int ret = str_icmp(ea->address, eb->address);

	if (ret != 0)
		return ret;
	return ea->order < eb->order ? -1 : (ea->order > eb->order ? 1 : 0);
}

static int imip_sched_entry_order_cmp(const void *a, const void *b)
{
	const struct imip_sched_entry *ea = a, *eb = b;

	return ea->order < eb->order ? -1 : (ea->order > eb->order ? 1 : 0);
}

int imip_sched_recipients(struct pool *pool, const char *ical,
			  struct imip_sched_recipients *recipients_r,
			  const char **error_r)
{
	struct imip_sched_object obj;
	struct imip_sched_entry *entries = NULL;
	unsigned int count = 0, alloc = 0, unique = 0;
	icalcomponent *comp;

	memset(recipients_r, 0, sizeof(*recipients_r));
	recipients_r->organizer_server = true;
	if (imip_sched_load(pool, ical, ical != NULL ? strlen(ical) : 0, false,
			    &obj, error_r) < 0)
		return -1;
	IMIP_FOREACH_COMPONENT(obj.vcal, obj.kind, comp) {
		icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_ORGANIZER_PROPERTY);

		if (prop != NULL && recipients_r->organizer == NULL) {
			const char *addr = imip_address_from_uri(pool, icalproperty_get_organizer(prop));

			if (addr != NULL && *addr != '\0') {
				recipients_r->organizer = addr;
				recipients_r->organizer_server = imip_sched_agent_server(prop);
				recipients_r->organizer_force_send = imip_sched_force_send(prop);
			}
		}
		for (prop = icalcomponent_get_first_property(comp, ICAL_ATTENDEE_PROPERTY);
		     prop != NULL; prop = icalcomponent_get_next_property(comp, ICAL_ATTENDEE_PROPERTY)) {
			const char *addr = imip_address_from_uri(pool, icalproperty_get_attendee(prop));

			if (addr == NULL || *addr == '\0')
				continue;
			entries = p_grow(pool, entries, sizeof(*entries), count, &alloc, 16);
			entries[count].address = addr;
			entries[count].order = count;
			entries[count].server = imip_sched_agent_server(prop);
			entries[count].force_send = imip_sched_force_send(prop);
			count++;
		}
	}
	/* each address once: sorted by address, the first written leads and
	   gathers what the others say */
	if (count > 0) {
		qsort(entries, count, sizeof(*entries), imip_sched_entry_addr_cmp);
		for (unsigned int i = 0; i < count; i++) {
			if (unique > 0 && str_iequal(entries[unique - 1].address, entries[i].address)) {
				struct imip_sched_entry *lead = &entries[unique - 1];

				lead->server = lead->server && entries[i].server;
				if (lead->force_send == NULL)
					lead->force_send = entries[i].force_send;
				continue;
			}
			entries[unique++] = entries[i];
		}
		qsort(entries, unique, sizeof(*entries), imip_sched_entry_order_cmp);
	}
	recipients_r->attendees = p_new(pool, struct imip_sched_recipient, unique > 0 ? unique : 1);
	for (unsigned int i = 0; i < unique; i++) {
		recipients_r->attendees[i].address = entries[i].address;
		recipients_r->attendees[i].server = entries[i].server;
		recipients_r->attendees[i].force_send = entries[i].force_send;
	}
	recipients_r->attendee_count = unique;
	return 0;
}

/* --- changing the stored object --- */

/* RFC 5545 3.8.8.3 statcode: 1*DIGIT 1*2("." 1*DIGIT). */
static bool imip_sched_status_valid(const char *status)
{
	unsigned int dots = 0;
	size_t len;
	const char *p;

	if (status == NULL)
		return false;
	len = strlen(status);
	if (len == 0 || len > IMIP_SCHED_MAX_STATUS)
		return false;
	for (p = status; *p != '\0'; p++) {
		if (*p == '.') {
			/* no empty part */
			if (p == status || p[1] == '\0' || p[1] == '.')
				return false;
			dots++;
		} else if (*p < '0' || *p > '9') {
			return false;
		}
	}
	return dots >= 1 && dots <= 2;
}

int imip_sched_set_status(struct pool *pool, const char *ical,
			  const char *const *addresses,
			  const char *const *statuses, unsigned int count,
			  const char **out_r, const char **error_r)
{
	struct imip_sched_object obj;
	const char **bare;
	icalcomponent *comp;

	for (unsigned int i = 0; i < count; i++) {
		if (addresses[i] == NULL || !imip_sched_status_valid(statuses[i])) {
			*error_r = "invalid SCHEDULE-STATUS or address";
			return -1;
		}
	}
	if (imip_sched_load(pool, ical, ical != NULL ? strlen(ical) : 0, false,
			    &obj, error_r) < 0)
		return -1;
	bare = p_new(pool, const char *, count > 0 ? count : 1);
	for (unsigned int i = 0; i < count; i++)
		bare[i] = imip_address_from_uri(pool, addresses[i]);
	IMIP_FOREACH_COMPONENT(obj.vcal, obj.kind, comp) {
		for (icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_ATTENDEE_PROPERTY);
		     prop != NULL; prop = icalcomponent_get_next_property(comp, ICAL_ATTENDEE_PROPERTY)) {
			const char *uri = icalproperty_get_attendee(prop);

			for (unsigned int i = 0; i < count; i++) {
				if (!imip_ical_address_equal(uri, bare[i]))
					continue;
				imip_sched_remove_param(prop, ICAL_SCHEDULESTATUS_PARAMETER);
				icalproperty_set_parameter_from_string(prop, "SCHEDULE-STATUS",
								       statuses[i]);
				break;
			}
		}
	}
	*out_r = imip_ical_to_string(pool, obj.vcal);
	return 0;
}

int imip_sched_sequence(struct pool *pool, const char *ical, int sequence,
			const char **out_r, const char **error_r)
{
	struct imip_sched_object obj;
	icalcomponent *comp;

	if (sequence < 0) {
		*error_r = "negative SEQUENCE";
		return -1;
	}
	if (imip_sched_load(pool, ical, ical != NULL ? strlen(ical) : 0, false,
			    &obj, error_r) < 0)
		return -1;
	IMIP_FOREACH_COMPONENT(obj.vcal, obj.kind, comp)
		icalcomponent_set_sequence(comp, sequence);
	*out_r = imip_ical_to_string(pool, obj.vcal);
	return 0;
}

/* --- iTIP messages --- */

static void imip_sched_remove_props(icalcomponent *comp, icalproperty_kind kind)
{
	icalproperty *prop, *next;

	for (prop = icalcomponent_get_first_property(comp, kind); prop != NULL; prop = next) {
		next = icalcomponent_get_next_property(comp, kind);
		icalcomponent_remove_property(comp, prop);
		icalproperty_free(prop);
	}
}

static void imip_sched_clone_prop(icalcomponent *dst, icalcomponent *src,
				  icalproperty_kind kind)
{
	icalproperty *prop = icalcomponent_get_first_property(src, kind);

	if (prop != NULL)
		icalcomponent_add_property(dst, icalproperty_new_clone(prop));
}

static void imip_sched_set_dtstamp(icalcomponent *comp, time_t now)
{
	imip_sched_remove_props(comp, ICAL_DTSTAMP_PROPERTY);
	icalcomponent_add_property(comp, icalproperty_new_dtstamp(
		imip_ical_time_in(now, false, icaltimezone_get_utc_timezone())));
}

/* The first ORGANIZER of the object: an override that lacks one is
   still the organizer's (RFC 5546 3.2.2 requires it in every VEVENT). */
static icalproperty *imip_sched_organizer(icalcomponent *vcal)
{
	icalcomponent *comp;

	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, comp) {
		icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_ORGANIZER_PROPERTY);

		if (prop != NULL)
			return prop;
	}
	return NULL;
}

/* An ORGANIZER (the component's, or the object's) without the
   server's parameters. */
static icalproperty *imip_sched_organizer_for(icalcomponent *comp, icalproperty *fallback)
{
	icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_ORGANIZER_PROPERTY);

	prop = icalproperty_new_clone(prop != NULL ? prop : fallback);
	for (unsigned int k = 0; k < sizeof(imip_sched_params) / sizeof(imip_sched_params[0]); k++)
		imip_sched_remove_param(prop, imip_sched_params[k]);
	return prop;
}

/* The RECURRENCE-ID as an EXDATE: the same value and zone. */
static icalproperty *imip_sched_exdate_for(icalcomponent *override)
{
	icalproperty *rid = icalcomponent_get_first_property(override, ICAL_RECURRENCEID_PROPERTY);
	icalproperty *exdate = icalproperty_new(ICAL_EXDATE_PROPERTY);
	icalparameter *tzid = icalproperty_get_first_parameter(rid, ICAL_TZID_PARAMETER);

	icalproperty_set_value(exdate, icalvalue_new_clone(icalproperty_get_value(rid)));
	if (tzid != NULL)
		icalproperty_add_parameter(exdate, icalparameter_new_clone(tzid));
	return exdate;
}

/* RFC 5546 3.2.2 REQUEST: the stored object as the attendees see it. */
static int imip_sched_request(struct pool *pool, struct imip_sched_object *obj,
			      const char *attendee, time_t now,
			      const char **out_r, const char **error_r)
{
	icalcomponent *vcal = obj->vcal, *out, *comp, *master = NULL;
	icalproperty *organizer = imip_sched_organizer(vcal);
	icalcomponent **picks;
	unsigned int count = 0;

	if (organizer == NULL) {
		*error_r = "no ORGANIZER";
		return -1;
	}
	picks = p_new(pool, icalcomponent *, IMIP_MAX_EVENTS);
	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, comp) {
		time_t rid;
		bool is_master = !imip_ical_rid(comp, &rid);

		if (attendee != NULL && imip_ical_find_attendee(comp, attendee) == NULL)
			continue;
		if (count < IMIP_MAX_EVENTS)
			picks[count++] = comp;
		if (is_master)
			master = comp;
	}
	if (count == 0) {
		*error_r = "not an attendee";
		return -1;
	}

	out = imip_ical_new_vcalendar(IMIP_METHOD_REQUEST);
	imip_ical_pool_own(pool, out);
	imip_sched_clone_prop(out, vcal, ICAL_CALSCALE_PROPERTY);
	for (unsigned int i = 0; i < count; i++)
		imip_ical_copy_timezones(out, vcal, picks[i]);
	for (unsigned int i = 0; i < count; i++) {
		icalcomponent *copy = icalcomponent_new_clone(picks[i]), *alarm, *next;

		for (alarm = icalcomponent_get_first_component(copy, ICAL_VALARM_COMPONENT);
		     alarm != NULL; alarm = next) {
			next = icalcomponent_get_next_component(copy, ICAL_VALARM_COMPONENT);
			icalcomponent_remove_component(copy, alarm);
			icalcomponent_free(alarm);
		}
		imip_sched_strip_params(copy, imip_sched_params,
					sizeof(imip_sched_params) / sizeof(imip_sched_params[0]));
		if (icalcomponent_get_first_property(copy, ICAL_ORGANIZER_PROPERTY) == NULL)
			icalcomponent_add_property(copy, imip_sched_organizer_for(copy, organizer));
		imip_sched_set_dtstamp(copy, now);
		if (attendee != NULL && picks[i] == master) {
			/* the occurrences they were taken off are not theirs */
			IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, comp) {
				time_t rid;

				if (imip_ical_rid(comp, &rid) &&
				    imip_ical_find_attendee(comp, attendee) == NULL)
					icalcomponent_add_property(copy, imip_sched_exdate_for(comp));
			}
		}
		icalcomponent_add_component(out, copy);
	}
	*out_r = imip_ical_to_string(pool, out);
	return 0;
}

/* One VEVENT of a CANCEL (RFC 5546 3.2.5) for comp. */
static icalcomponent *imip_sched_cancel_event(icalcomponent *comp, icalproperty *organizer,
					      const char *attendee, time_t now)
{
	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalproperty *prop;

	imip_sched_clone_prop(ev, comp, ICAL_UID_PROPERTY);
	imip_sched_set_dtstamp(ev, now);
	icalcomponent_add_property(ev, imip_sched_organizer_for(comp, organizer));
	for (prop = icalcomponent_get_first_property(comp, ICAL_ATTENDEE_PROPERTY);
	     prop != NULL; prop = icalcomponent_get_next_property(comp, ICAL_ATTENDEE_PROPERTY)) {
		icalproperty *copy;

		if (attendee != NULL &&
		    !imip_ical_address_equal(icalproperty_get_attendee(prop), attendee))
			continue;
		copy = icalproperty_new_clone(prop);
		for (unsigned int k = 0; k < sizeof(imip_sched_params) / sizeof(imip_sched_params[0]); k++)
			imip_sched_remove_param(copy, imip_sched_params[k]);
		icalcomponent_add_property(ev, copy);
		if (attendee != NULL)
			break;
	}
	/* SEQUENCE is required when not 0; Outlook wants it always */
	icalcomponent_add_property(ev, icalproperty_new_sequence(icalcomponent_get_sequence(comp)));
	icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CANCELLED));
	imip_sched_clone_prop(ev, comp, ICAL_RECURRENCEID_PROPERTY);
	imip_sched_clone_prop(ev, comp, ICAL_DTSTART_PROPERTY);
	imip_sched_clone_prop(ev, comp, ICAL_SUMMARY_PROPERTY);
	return ev;
}

static const char *imip_sched_cancel_text(struct pool *pool, icalcomponent *vcal,
					  icalcomponent *const *picks, unsigned int count,
					  icalproperty *organizer, const char *attendee,
					  time_t now)
{
	icalcomponent *out = imip_ical_new_vcalendar(IMIP_METHOD_CANCEL);
	icalcomponent **events = p_new(pool, icalcomponent *, count);

	imip_ical_pool_own(pool, out);
	for (unsigned int i = 0; i < count; i++) {
		events[i] = imip_sched_cancel_event(picks[i], organizer, attendee, now);
		imip_ical_copy_timezones(out, vcal, events[i]);
	}
	for (unsigned int i = 0; i < count; i++)
		icalcomponent_add_component(out, events[i]);
	return imip_ical_to_string(pool, out);
}

static int imip_sched_cancel(struct pool *pool, struct imip_sched_object *obj,
			     const char *attendee, time_t now,
			     const char **out_r, const char **error_r)
{
	icalproperty *organizer = imip_sched_organizer(obj->vcal);
	icalcomponent **picks, *comp;
	unsigned int count = 0;

	if (organizer == NULL) {
		*error_r = "no ORGANIZER";
		return -1;
	}
	picks = p_new(pool, icalcomponent *, IMIP_MAX_EVENTS);
	IMIP_FOREACH_COMPONENT(obj->vcal, ICAL_VEVENT_COMPONENT, comp) {
		if (attendee != NULL && imip_ical_find_attendee(comp, attendee) == NULL)
			continue;
		if (count < IMIP_MAX_EVENTS)
			picks[count++] = comp;
	}
	if (count == 0) {
		*error_r = "not an attendee";
		return -1;
	}
	*out_r = imip_sched_cancel_text(pool, obj->vcal, picks, count, organizer,
					attendee, now);
	return 0;
}

int imip_sched_itip(struct pool *pool, const char *ical,
		    enum imip_method method, const char *attendee, time_t now,
		    const char **out_r, const char **error_r)
{
	struct imip_sched_object obj;
	const char *bare = NULL;

	if (method != IMIP_METHOD_REQUEST && method != IMIP_METHOD_CANCEL) {
		*error_r = "only REQUEST and CANCEL are built from an object";
		return -1;
	}
	if (imip_sched_load(pool, ical, ical != NULL ? strlen(ical) : 0, true,
			    &obj, error_r) < 0)
		return -1;
	if (attendee != NULL)
		bare = imip_address_from_uri(pool, attendee);
	if (method == IMIP_METHOD_REQUEST)
		return imip_sched_request(pool, &obj, bare, now, out_r, error_r);
	return imip_sched_cancel(pool, &obj, bare, now, out_r, error_r);
}

int imip_sched_cancel_occurrence(struct pool *pool, const char *ical,
				 const struct imip_time *rid,
				 const char *attendee, time_t now,
				 const char **out_r, const char **error_r)
{
	struct imip_sched_object obj;
	icalproperty *organizer;
	icalcomponent *ev;
	const char *bare = NULL;

	if (rid == NULL || !rid->set) {
		*error_r = "no occurrence given";
		return -1;
	}
	if (imip_sched_load(pool, ical, ical != NULL ? strlen(ical) : 0, true,
			    &obj, error_r) < 0)
		return -1;
	organizer = imip_sched_organizer(obj.vcal);
	if (organizer == NULL) {
		*error_r = "no ORGANIZER";
		return -1;
	}
	/* the override, or one made from the series and its occurrences */
	ev = imip_ical_occurrence(pool, obj.vcal, rid->utc, error_r);
	if (ev == NULL)
		return -1;
	if (attendee != NULL) {
		bare = imip_address_from_uri(pool, attendee);
		if (imip_ical_find_attendee(ev, bare) == NULL) {
			*error_r = "not an attendee";
			return -1;
		}
	}
	*out_r = imip_sched_cancel_text(pool, obj.vcal, &ev, 1, organizer, bare, now);
	return 0;
}

/* --- comparing --- */

static bool imip_sched_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool imip_sched_addr_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return str_iequal(a, b);
}

static bool imip_sched_time_equal(const struct imip_time *a, const struct imip_time *b)
{
	if (!a->set || !b->set)
		return a->set == b->set;
	return a->utc == b->utc && a->all_day == b->all_day &&
		a->floating == b->floating && imip_sched_str_equal(a->tzid, b->tzid);
}

/* Are the two lists of instants the same set? */
static bool imip_sched_instants_equal(const time_t *a, unsigned int a_count,
				      const time_t *b, unsigned int b_count)
{
	time_t *sa, *sb;
	unsigned int na = 0, nb = 0, i;
	bool equal = true;

	if (a_count == 0 || b_count == 0)
		return a_count == b_count;
	sa = xmalloc(sizeof(*sa) * (a_count + b_count));
	sb = sa + a_count;
	memcpy(sa, a, sizeof(*sa) * a_count);
	memcpy(sb, b, sizeof(*sb) * b_count);
	qsort(sa, a_count, sizeof(*sa), imip_sched_time_cmp);
	qsort(sb, b_count, sizeof(*sb), imip_sched_time_cmp);
	/* the same instant written twice is still one */
	for (i = 0; i < a_count; i++) {
		if (na == 0 || sa[na - 1] != sa[i])
			sa[na++] = sa[i];
	}
	for (i = 0; i < b_count; i++) {
		if (nb == 0 || sb[nb - 1] != sb[i])
			sb[nb++] = sb[i];
	}
	if (na != nb)
		equal = false;
	for (i = 0; equal && i < na; i++)
		equal = sa[i] == sb[i];
	free(sa);
	return equal;
}

static int imip_sched_str_icmp(const void *a, const void *b)
{
	return str_icmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted addresses, each once; returns how many. */
static unsigned int imip_sched_addresses(const struct imip_event *ev, const char **addrs)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ev->attendee_count; i++) {
		if (ev->attendees[i].address != NULL)
			addrs[n++] = ev->attendees[i].address;
	}
	if (n == 0)
		return 0;
	qsort(addrs, n, sizeof(*addrs), imip_sched_str_icmp);
	unsigned int unique = 1;

	for (unsigned int i = 1; i < n; i++) {
		if (!str_iequal(addrs[unique - 1], addrs[i]))
			addrs[unique++] = addrs[i];
	}
	return unique;
}

static bool imip_sched_attendees_equal(const struct imip_event *a, const struct imip_event *b)
{
	const char **la, **lb;
	unsigned int na, nb;
	bool equal;

	if (a->attendee_count == 0 || b->attendee_count == 0)
		return a->attendee_count == b->attendee_count;
	la = xmalloc(sizeof(*la) * (a->attendee_count + b->attendee_count));
	lb = la + a->attendee_count;
	na = imip_sched_addresses(a, la);
	nb = imip_sched_addresses(b, lb);
	equal = na == nb;
	for (unsigned int i = 0; equal && i < na; i++)
		equal = str_iequal(la[i], lb[i]);
	free(la);
	return equal;
}

static bool imip_sched_event_changed(const struct imip_event *a, const struct imip_event *b)
{
	return !imip_sched_time_equal(&a->start, &b->start) ||
		!imip_sched_time_equal(&a->end, &b->end) ||
		!imip_sched_str_equal(a->rrule, b->rrule) ||
		!imip_sched_instants_equal(a->rdates, a->rdate_count, b->rdates, b->rdate_count) ||
		!imip_sched_instants_equal(a->exdates, a->exdate_count, b->exdates, b->exdate_count) ||
		!imip_sched_str_equal(a->location, b->location) ||
		!imip_sched_str_equal(a->summary, b->summary) ||
		!imip_sched_str_equal(a->status, b->status) ||
		!imip_sched_addr_equal(a->organizer, b->organizer) ||
		!imip_sched_attendees_equal(a, b);
}

/* Order: the master first, then by RECURRENCE-ID. */
static int imip_sched_event_cmp(const void *a, const void *b)
{
	const struct imip_event *ea = *(const struct imip_event *const *)a;
	const struct imip_event *eb = *(const struct imip_event *const *)b;

	if (ea->recurrence_id.set != eb->recurrence_id.set)
		return ea->recurrence_id.set ? 1 : -1;
	if (!ea->recurrence_id.set)
		return 0;
	return imip_sched_time_cmp(&ea->recurrence_id.utc, &eb->recurrence_id.utc);
}

bool imip_sched_significant_change(const struct imip_calendar *old,
				   const struct imip_calendar *new_)
{
	const struct imip_event **lo, **ln;
	unsigned int n;
	bool changed = false;

	if (old == NULL || new_ == NULL)
		return old != new_;
	if (old->event_count != new_->event_count)
		return true;
	n = old->event_count;
	if (n == 0)
		return false;
	lo = xmalloc(sizeof(*lo) * n * 2);
	ln = lo + n;
	for (unsigned int i = 0; i < n; i++) {
		lo[i] = &old->events[i];
		ln[i] = &new_->events[i];
	}
	qsort(lo, n, sizeof(*lo), imip_sched_event_cmp);
	qsort(ln, n, sizeof(*ln), imip_sched_event_cmp);
	for (unsigned int i = 0; !changed && i < n; i++) {
		/* the same occurrences, then the same facts about each */
		changed = imip_sched_event_cmp(&lo[i], &ln[i]) != 0 ||
			imip_sched_event_changed(lo[i], ln[i]);
	}
	free(lo);
	return changed;
}

int imip_sched_partstats(struct pool *pool, const struct imip_calendar *cal,
			 const char *address, struct imip_sched_answer **answers_r,
			 unsigned int *count_r)
{
	struct imip_sched_answer *answers;
	const char *bare = imip_address_from_uri(pool, address);
	int found = 0;

	answers = p_new(pool, struct imip_sched_answer, cal->event_count > 0 ? cal->event_count : 1);
	for (unsigned int i = 0; i < cal->event_count; i++) {
		const struct imip_event *ev = &cal->events[i];
		const struct imip_attendee *att = bare != NULL ?
			imip_event_find_attendee(ev, bare) : NULL;

		answers[i].rid = ev->recurrence_id.set ? &ev->recurrence_id : NULL;
		answers[i].partstat = att != NULL ? att->partstat : NULL;
		if (att != NULL)
			found = 1;
	}
	*answers_r = answers;
	*count_r = cal->event_count;
	return found;
}

const struct imip_sched_answer *
imip_sched_answer_find(const struct imip_sched_answer *answers,
		       unsigned int count, const struct imip_time *rid)
{
	const struct imip_sched_answer *master = NULL;

	for (unsigned int i = 0; i < count; i++) {
		if (answers[i].rid == NULL) {
			if (master == NULL)
				master = &answers[i];
		} else if (rid != NULL && rid->set && answers[i].rid->utc == rid->utc) {
			return &answers[i];
		}
	}
	return master;
}
