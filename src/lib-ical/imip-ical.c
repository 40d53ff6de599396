/*
 * The libical plumbing the rest of src/lib-ical shares: parsing with
 * limits, serialising into pools, time zones, and finding things in a
 * VCALENDAR.
 */
#include "imip-private.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* BEGIN: nesting we accept. A VCALENDAR holds VEVENTs, which hold VALARMs;
   VTIMEZONE holds STANDARD/DAYLIGHT. libical frees and prints components
   recursively, so a deep nest from outside must not reach it. */
#define IMIP_MAX_NESTING 8

static icalcomponent *imip_find_vtimezone(icalcomponent *vcal, const char *tzid);

void imip_init(void)
{
	/* libical's default may abort() on bad input */
	icalerror_set_errors_are_fatal(0);
	/* read the system's zone list now, before threads share it */
	(void)icaltimezone_get_builtin_timezones();
}

void imip_deinit(void)
{
	icaltimezone_free_builtin_timezones();
}

static void imip_component_free(void *context)
{
	icalcomponent_free(context);
}

void imip_ical_pool_own(struct pool *pool, icalcomponent *comp)
{
	pool_add_cleanup(pool, imip_component_free, comp);
}

/* How deep do BEGIN: lines nest? Counts at line starts only, as the
   parser sees them (after unfolding a BEGIN: cannot start a line). */
static unsigned int imip_nesting(const char *text)
{
	unsigned int depth = 0, max = 0;
	const char *p = text;

	while (*p != '\0') {
		if (str_begins_icase(p, "BEGIN:")) {
			if (++depth > max)
				max = depth;
		} else if (str_begins_icase(p, "END:")) {
			if (depth > 0)
				depth--;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	return max;
}

/*
 * A TZID with no VTIMEZONE is looked up by libical in the system's zone
 * list, and when it is not there, as a file under the zoneinfo directory
 * with the name appended as it is ("../../dev/zero"), which it then keeps
 * for the life of the process. Only names in the system's zone list may
 * reach it; others lose their TZID.
 */
bool imip_tzid_known(const char *tzid)
{
	icalarray *zones;
	size_t len = strlen(tzid);

	if (str_begins(tzid, "/freeassociation.sourceforge.net/"))
		tzid += 33;
	if (len == 0 || len > 64 || strstr(tzid, "..") != NULL || *tzid == '/')
		return false;
	if (strcmp(tzid, "UTC") == 0 || strcmp(tzid, "GMT") == 0)
		return true;
	zones = icaltimezone_get_builtin_timezones();
	for (size_t i = 0; zones != NULL && i < zones->num_elements; i++) {
		const char *location = icaltimezone_get_location(icalarray_element_at(zones, i));

		if (location != NULL && strcmp(location, tzid) == 0)
			return true;
	}
	return false;
}

/*
 * Drop TZID parameters that name no VTIMEZONE of vcal and no zone the
 * system knows, in comp and below (nesting is limited at parse).
 *
 * The properties are collected first: looking for a VTIMEZONE reads
 * properties with libical's per-component cursor, which would restart a
 * walk over the same component's properties (a VTIMEZONE's own) for ever.
 */
static void imip_drop_unsafe_tzids(icalcomponent *vcal, icalcomponent *comp)
{
	icalproperty **props = NULL;
	unsigned int count = 0, alloc = 0;
	icalcomponent *child;

	for (icalproperty *prop = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY);
	     prop != NULL; prop = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
		if (icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER) == NULL)
			continue;
		props = mem_grow(props, sizeof(*props), count, &alloc, 16);
		props[count++] = prop;
	}
	for (unsigned int i = 0; i < count; i++) {
		icalparameter *param = icalproperty_get_first_parameter(props[i], ICAL_TZID_PARAMETER);
		const char *tzid = icalparameter_get_tzid(param);

		if (icalproperty_get_next_parameter(props[i], ICAL_TZID_PARAMETER) == NULL &&
		    tzid != NULL && (imip_find_vtimezone(vcal, tzid) != NULL ||
				     imip_tzid_known(tzid)))
			continue;
		/* A time has one zone (RFC 5545 3.2.19). With several TZIDs,
		   libical reads the next one once the first is gone, and that
		   one would reach the file system unchecked: all of them go
		   (found by fuzz-ical-put). */
		while (icalproperty_get_first_parameter(props[i], ICAL_TZID_PARAMETER) != NULL)
			icalproperty_remove_parameter_by_kind(props[i], ICAL_TZID_PARAMETER);
	}
	free(props);
	IMIP_FOREACH_COMPONENT(comp, ICAL_ANY_COMPONENT, child)
		imip_drop_unsafe_tzids(vcal, child);
}

/*
 * An observance that begins before IMIP_TZ_FIRST_YEAR (Outlook writes
 * 1601, anyone may write the year 1) is made to begin with its first onset
 * from that year on: libical expands observances from their DTSTART on
 * each use of the zone, and what came before that year changes no time we
 * accept. Rules with COUNT (counted from DTSTART) and rules that end
 * before then keep their DTSTART.
 */
static void imip_tz_truncate(icalproperty *dtstart_prop, const struct icalrecurrencetype *rule)
{
	struct icaltimetype dtstart = icalproperty_get_dtstart(dtstart_prop), from, onset;
	icalrecur_iterator *iter;

	if (icaltime_is_null_time(dtstart) || dtstart.year >= IMIP_TZ_FIRST_YEAR ||
	    rule->count != 0 ||
	    (!icaltime_is_null_time(rule->until) && rule->until.year <= IMIP_TZ_FIRST_YEAR))
		return;
	iter = icalrecur_iterator_new(*rule, dtstart);
	if (iter == NULL)
		return;
	from = dtstart;
	from.year = IMIP_TZ_FIRST_YEAR;
	from.month = 1;
	from.day = 1;
	from.hour = from.minute = from.second = 0;
	if (icalrecur_iterator_set_start(iter, from)) {
		onset = icalrecur_iterator_next(iter);
		if (!icaltime_is_null_time(onset) && onset.year <= IMIP_YEAR_MAX)
			icalproperty_set_dtstart(dtstart_prop, onset);
	}
	icalrecur_iterator_free(iter);
}

/* Years of changes libical may expand for a yearly rule from dtstart. */
static unsigned int imip_tz_rule_cost(const struct icalrecurrencetype *rule,
				      struct icaltimetype dtstart)
{
	int last = IMIP_YEAR_MAX;

	if (!icaltime_is_null_time(rule->until) && rule->until.year < last)
		last = rule->until.year;
	if (last < dtstart.year)
		return 1;
	return (unsigned int)((last - dtstart.year) / rule->interval + 1);
}

static void imip_remove_property(icalcomponent *comp, icalproperty *prop)
{
	icalcomponent_remove_property(comp, prop);
	icalproperty_free(prop);
}

/*
 * Make one observance (STANDARD or DAYLIGHT) cheap for libical, adding
 * what it may cost to *cost and its rules to *rules. One DTSTART (libical
 * would take the last one, we look at the first); one RRULE, yearly (as
 * every real zone's is), that can match (libical looks for a match up to
 * the year 20000 in each use of the zone otherwise; once *probes is used up
 * an unusual rule counts as one that cannot), beginning no earlier than
 * IMIP_TZ_FIRST_YEAR. false: the zone must go (too many RDATEs or rules).
 */
static bool imip_sanitize_observance(icalcomponent *obs, unsigned int *cost,
				     unsigned int *rules, unsigned int *probes)
{
	icalproperty *prop, *next, *dtstart_prop, *rrule = NULL;
	struct icaltimetype dtstart = icaltime_null_time();
	struct icalrecurrencetype recur;
	int last_year = IMIP_YEAR_MAX;
	unsigned int rdates = (unsigned int)icalcomponent_count_properties(obs, ICAL_RDATE_PROPERTY);

	if (rdates > IMIP_MAX_OBSERVANCES)
		return false;
	*cost += 1 + rdates;
	dtstart_prop = icalcomponent_get_first_property(obs, ICAL_DTSTART_PROPERTY);
	for (prop = icalcomponent_get_next_property(obs, ICAL_DTSTART_PROPERTY);
	     prop != NULL; prop = next) {
		next = icalcomponent_get_next_property(obs, ICAL_DTSTART_PROPERTY);
		imip_remove_property(obs, prop);
	}
	if (dtstart_prop != NULL)
		dtstart = icalproperty_get_dtstart(dtstart_prop);
	for (prop = icalcomponent_get_first_property(obs, ICAL_RRULE_PROPERTY);
	     prop != NULL; prop = next) {
		next = icalcomponent_get_next_property(obs, ICAL_RRULE_PROPERTY);
		recur = icalproperty_get_rrule(prop);
		if (rrule != NULL || recur.freq != ICAL_YEARLY_RECURRENCE)
			imip_remove_property(obs, prop);
		else
			rrule = prop;
	}
	if (rrule == NULL || dtstart_prop == NULL)
		return true;
	if (++*rules > IMIP_TZ_MAX_RULES)
		return false;
	recur = icalproperty_get_rrule(rrule);
	if (!icaltime_is_null_time(recur.until) && recur.until.year < last_year)
		last_year = recur.until.year;
	if (!imip_recur_can_match(&recur, dtstart, last_year, probes)) {
		/* what libical makes of it: DTSTART alone */
		imip_remove_property(obs, rrule);
		return true;
	}
	imip_tz_truncate(dtstart_prop, &recur);
	*cost += imip_tz_rule_cost(&recur, icalproperty_get_dtstart(dtstart_prop));
	return true;
}

/*
 * Make the time zones of a calendar from outside safe to use. libical
 * expands a VTIMEZONE's observances year by year when converting times
 * (icaltimezone_expand_vtimezone(), from each DTSTART to a few years past
 * the time converted), so: observances are made cheap one by one (above),
 * a zone may have only so many, and may cost libical IMIP_TZ_MAX_ZONE_COST
 * years of rules and RDATEs, the zones of one calendar IMIP_TZ_MAX_COST in
 * all; zones past that go. TZIDs that would reach the file system with an unsafe name lose
 * their TZID (the time becomes floating).
 */
static void imip_sanitize_timezones(icalcomponent *vcal)
{
	icalcomponent *tz, *obs;
	unsigned int zones = 0, cost = 0, rules = 0, probes = IMIP_TZ_MAX_PROBES;

	for (tz = icalcomponent_get_first_component(vcal, ICAL_VTIMEZONE_COMPONENT);
	     tz != NULL;) {
		icalcomponent *next = icalcomponent_get_next_component(vcal, ICAL_VTIMEZONE_COMPONENT);
		bool drop = ++zones > IMIP_MAX_TIMEZONES ||
			icalcomponent_count_components(tz, ICAL_ANY_COMPONENT) > IMIP_MAX_OBSERVANCES;
		unsigned int zone_cost = 0, zone_rules = 0;

		for (obs = icalcomponent_get_first_component(tz, ICAL_ANY_COMPONENT);
		     obs != NULL && !drop;
		     obs = icalcomponent_get_next_component(tz, ICAL_ANY_COMPONENT)) {
			drop = !imip_sanitize_observance(obs, &zone_cost, &zone_rules, &probes) ||
				rules + zone_rules > IMIP_TZ_MAX_RULES ||
				zone_cost > IMIP_TZ_MAX_ZONE_COST ||
				cost + zone_cost > IMIP_TZ_MAX_COST;
		}
		if (drop) {
			icalcomponent_remove_component(vcal, tz);
			icalcomponent_free(tz);
		} else {
			cost += zone_cost;
			rules += zone_rules;
		}
		tz = next;
	}
	imip_drop_unsafe_tzids(vcal, vcal);
}

int imip_ical_parse(struct pool *pool, const void *data, size_t size,
		    icalcomponent **vcal_r, const char **error_r)
{
	icalcomponent *root, *vcal;
	char *text;

	*vcal_r = NULL;
	if (size > IMIP_MAX_SIZE) {
		*error_r = "iCalendar object too big";
		return -1;
	}
	/* libical wants a C string; a NUL inside ends the object there */
	text = p_strndup(pool, data, size);
	if (imip_nesting(text) > IMIP_MAX_NESTING) {
		*error_r = "components nested too deeply";
		return -1;
	}
	root = icalparser_parse_string(text);
	if (root == NULL) {
		*error_r = "not iCalendar";
		return -1;
	}
	if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
		vcal = root;
	} else {
		/* several objects come wrapped in an XROOT: take the first
		   calendar */
		vcal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
		if (vcal == NULL) {
			icalcomponent_free(root);
			*error_r = "no VCALENDAR";
			return -1;
		}
		icalcomponent_remove_component(root, vcal);
		icalcomponent_free(root);
	}
	imip_ical_pool_own(pool, vcal);
	imip_sanitize_timezones(vcal);
	*vcal_r = vcal;
	return 0;
}

const char *imip_ical_to_string(struct pool *pool, icalcomponent *comp)
{
	char *str = icalcomponent_as_ical_string_r(comp);
	const char *ret;

	if (str == NULL)
		return p_strdup(pool, "");
	ret = p_strdup(pool, str);
	free(str);
	return ret;
}

icalcomponent *imip_ical_new_vcalendar(enum imip_method method)
{
	icalcomponent *vcal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);

	icalcomponent_add_property(vcal, icalproperty_new_prodid(IMIP_PRODID));
	icalcomponent_add_property(vcal, icalproperty_new_version("2.0"));
	if (method != IMIP_METHOD_NONE && method != IMIP_METHOD_OTHER)
		icalcomponent_add_property(vcal, icalproperty_new_method(
			icalproperty_string_to_method(imip_method_name(method))));
	return vcal;
}

/* --- time zones --- */

struct imip_tzid_list {
	const char *tzids[32];
	unsigned int count;
};

static void imip_tzid_collect(icalparameter *param, void *data)
{
	struct imip_tzid_list *list = data;
	const char *tzid = icalparameter_get_tzid(param);

	if (tzid == NULL)
		return;
	for (unsigned int i = 0; i < list->count; i++) {
		if (strcmp(list->tzids[i], tzid) == 0)
			return;
	}
	if (list->count < sizeof(list->tzids) / sizeof(list->tzids[0]))
		list->tzids[list->count++] = tzid;
}

static icalcomponent *imip_find_vtimezone(icalcomponent *vcal, const char *tzid)
{
	icalcomponent *tz;

	IMIP_FOREACH_COMPONENT(vcal, ICAL_VTIMEZONE_COMPONENT, tz) {
		icalproperty *prop = icalcomponent_get_first_property(tz, ICAL_TZID_PROPERTY);
		const char *id = prop != NULL ? icalproperty_get_tzid(prop) : NULL;

		if (id != NULL && strcmp(id, tzid) == 0)
			return tz;
	}
	return NULL;
}

void imip_ical_copy_timezones(icalcomponent *dst, icalcomponent *src,
			      icalcomponent *comp)
{
	struct imip_tzid_list list = { .count = 0 };

	icalcomponent_foreach_tzid(comp, imip_tzid_collect, &list);
	for (unsigned int i = 0; i < list.count; i++) {
		icalcomponent *tz, *copy;
		icaltimezone *builtin;

		if (imip_find_vtimezone(dst, list.tzids[i]) != NULL)
			continue;
		tz = src != NULL ? imip_find_vtimezone(src, list.tzids[i]) : NULL;
		if (tz != NULL) {
			copy = icalcomponent_new_clone(tz);
		} else {
			/* referenced without a definition: the system's, if it
			   knows the name (Google and Apple use Olson names) */
			builtin = icaltimezone_get_builtin_timezone(list.tzids[i]);
			if (builtin == NULL || icaltimezone_get_component(builtin) == NULL)
				continue;
			copy = icalcomponent_new_clone(icaltimezone_get_component(builtin));
			icalproperty *prop = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY);

			if (prop != NULL)
				icalproperty_set_tzid(prop, list.tzids[i]);
			/* the system's zone goes back to the 19th century: keep
			   what applies from the event's year on */
			prop = icalcomponent_get_first_property(comp, ICAL_DTSTART_PROPERTY);
			if (prop != NULL) {
				struct icaltimetype from = icalproperty_get_dtstart(prop);

				if (!icaltime_is_null_time(from) && from.year > 1900 && from.year < 2500) {
					from = icaltime_from_day_of_year(1, from.year - 1);
					from.is_date = 0;
					from.zone = icaltimezone_get_utc_timezone();
					icaltimezone_truncate_vtimezone(copy, from, icaltime_null_time(), 0);
				}
			}
		}
		/* callers add the zones before the events that use them,
		   the order clients read them in */
		icalcomponent_add_component(dst, copy);
	}
}

/* --- times --- */

/*
 * libical expands a zone's observances (from their DTSTART) up to five
 * years past the latest year it has been asked about, and all over again
 * each time it is asked about a later one (icaltimezone_ensure_coverage()):
 * converting the occurrences of a long series one by one would expand the
 * zone once for every five years of it. Ask for a few big steps instead, so
 * that a zone is expanded a handful of times at most. Past libical's last
 * year it would expand the zone anew at every conversion: those times are
 * not converted (the caller treats them as UTC).
 */
static bool imip_ical_zone_cover(const icaltimezone *zone, int year)
{
	/* the first use covers up to five years past the present */
	static const int steps[] = { 2040, 2060, 2100, 2180, 2340, IMIP_YEAR_MAX - 5 };
	struct icaltimetype t;
	size_t i = 0;

	if (zone == NULL || zone == icaltimezone_get_utc_timezone())
		return true;
	if (year > IMIP_YEAR_MAX)
		return false;
	if (year <= 2030)
		return true;
	while (i + 1 < sizeof(steps) / sizeof(steps[0]) && year > steps[i])
		i++;
	t = icaltime_null_time();
	t.year = steps[i];
	t.month = 1;
	t.day = 1;
	(void)icaltimezone_get_utc_offset((icaltimezone *)zone, &t, NULL);
	return true;
}

time_t imip_ical_timet(struct icaltimetype it)
{
	/* the zone argument is the zone the time is in (despite its
	   documentation); NULL, a date or UTC: no conversion */
	if (it.zone == NULL || it.is_date || !imip_ical_zone_cover(it.zone, it.year)) {
		it.zone = NULL;
		return icaltime_as_timet(it);
	}
	return icaltime_as_timet_with_zone(it, it.zone);
}

struct icaltimetype imip_ical_time_in(time_t t, bool is_date, const icaltimezone *zone)
{
	/* the year, give or take one */
	int year = (int)(1970 + t / 31556952);
	struct icaltimetype it;

	if (!imip_ical_zone_cover(zone, year + 1))
		zone = NULL;
	it = icaltime_from_timet_with_zone(t, is_date ? 1 : 0, zone);

	/* libical 3.0 leaves the result marked as UTC */
	if (!is_date)
		it.zone = zone;
	else
		it.zone = NULL;
	return it;
}

bool imip_zone_known(const char *name)
{
	return name != NULL && *name != '/' && imip_tzid_known(name);
}

int imip_time_in_zone(struct pool *pool, time_t utc, const char *name,
		      struct imip_time *t_r)
{
	icaltimezone *zone;
	struct icaltimetype it;
	struct imip_time t;

	if (!imip_zone_known(name))
		return -1;
	if (strcmp(name, "UTC") == 0 || strcmp(name, "GMT") == 0)
		zone = icaltimezone_get_utc_timezone();
	else
		zone = icaltimezone_get_builtin_timezone(name);
	if (zone == NULL)
		return -1;
	it = imip_ical_time_in(utc, false, zone);
	if (it.zone == NULL)
		return -1; /* not converted: past libical's last year */
	imip_time_from_ical(pool, it, name, &t);
	if (!t.set)
		return -1;
	/* named as the reader knows it, UTC too */
	t.tzid = p_strdup(pool, name);
	t.tz_known = true;
	t.floating = false;
	t.utc = utc;
	*t_r = t;
	return 0;
}

void imip_time_from_ical(struct pool *pool, struct icaltimetype it,
			 const char *tzid, struct imip_time *t_r)
{
	memset(t_r, 0, sizeof(*t_r));
	/* Years outside this range are nonsense for a meeting and would make
	   recurrence expansion run long. */
	if (icaltime_is_null_time(it) || it.year < 1900 || it.year > 2500 ||
	    it.month < 1 || it.month > 12 || it.day < 1 || it.day > 31 ||
	    it.hour < 0 || it.hour > 23 || it.minute < 0 || it.minute > 59 ||
	    it.second < 0 || it.second > 60)
		return;
	t_r->set = true;
	t_r->all_day = it.is_date != 0;
	t_r->year = it.year;
	t_r->month = it.month;
	t_r->day = it.day;
	if (!t_r->all_day) {
		t_r->hour = it.hour;
		t_r->minute = it.minute;
		t_r->second = it.second;
		if (icaltime_is_utc(it)) {
			/* UTC */
		} else if (it.zone != NULL) {
			t_r->tz_known = true;
			t_r->tzid = p_strdup(pool, tzid != NULL ? tzid :
					     icaltimezone_get_tzid((icaltimezone *)it.zone));
		} else {
			t_r->floating = true;
			if (tzid != NULL)
				t_r->tzid = p_strdup(pool, tzid);
		}
	}
	t_r->utc = imip_ical_timet(it);
}

void imip_time_from_prop(struct pool *pool, icalproperty *prop,
			 icalcomponent *comp, struct imip_time *t_r)
{
	icalparameter *param;
	icalvalue *value = icalproperty_get_value(prop);

	memset(t_r, 0, sizeof(*t_r));
	if (value == NULL || (icalvalue_isa(value) != ICAL_DATETIME_VALUE &&
			      icalvalue_isa(value) != ICAL_DATE_VALUE))
		return;
	param = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
	imip_time_from_ical(pool, icalproperty_get_datetime_with_component(prop, comp),
			    param != NULL ? icalparameter_get_tzid(param) : NULL, t_r);
}

bool imip_ical_rid(icalcomponent *vevent, time_t *rid_r)
{
	icalproperty *prop = icalcomponent_get_first_property(vevent,
							       ICAL_RECURRENCEID_PROPERTY);
	icalvalue *value;
	struct icaltimetype it;

	if (prop == NULL)
		return false;
	value = icalproperty_get_value(prop);
	if (value == NULL || (icalvalue_isa(value) != ICAL_DATETIME_VALUE &&
			      icalvalue_isa(value) != ICAL_DATE_VALUE))
		return false;
	it = icalproperty_get_datetime_with_component(prop, vevent);
	if (icaltime_is_null_time(it))
		return false;
	*rid_r = imip_ical_timet(it);
	return true;
}

icalcomponent *imip_ical_find_vevent(icalcomponent *vcal, const time_t *rid)
{
	icalcomponent *ev;

	IMIP_FOREACH_COMPONENT(vcal, ICAL_VEVENT_COMPONENT, ev) {
		time_t ev_rid;
		bool has_rid = imip_ical_rid(ev, &ev_rid);

		if (rid == NULL ? !has_rid : (has_rid && ev_rid == *rid))
			return ev;
	}
	return NULL;
}

bool imip_ical_address_equal(const char *uri, const char *address)
{
	if (uri == NULL || address == NULL)
		return false;
	while (*uri == ' ' || *uri == '\t')
		uri++;
	if (str_begins_icase(uri, "mailto:"))
		uri += 7;
	return str_iequal(uri, address);
}

icalproperty *imip_ical_find_attendee(icalcomponent *vevent, const char *address)
{
	for (icalproperty *prop = icalcomponent_get_first_property(vevent, ICAL_ATTENDEE_PROPERTY);
	     prop != NULL;
	     prop = icalcomponent_get_next_property(vevent, ICAL_ATTENDEE_PROPERTY)) {
		if (imip_ical_address_equal(icalproperty_get_attendee(prop), address))
			return prop;
	}
	return NULL;
}

bool imip_ical_is_attendee_comment(icalproperty *prop, const char *address)
{
	const char *name = icalproperty_get_x_name(prop);
	char *ref;
	bool ret;

	if (name == NULL || strcasecmp(name, IMIP_ATTENDEE_COMMENT) != 0)
		return false;
	ref = icalproperty_get_parameter_as_string_r(prop, IMIP_ATTENDEE_COMMENT_REF);
	ret = ref != NULL && imip_ical_address_equal(ref, address);
	free(ref);
	return ret;
}

/* --- text --- */

/* Length of the valid UTF-8 sequence at p (RFC 3629), 0 if invalid. */
static size_t imip_utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

const char *imip_clean_text(struct pool *pool, const char *text, size_t max)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len, out_len = 0;
	char *out;

	if (text == NULL)
		return NULL;
	len = strlen(text);
	/* U+FFFD takes 3 bytes where one invalid byte was */
	out = p_malloc(pool, (len < max ? len : max) * 3 + 4);
	while (*p != '\0') {
		size_t n = imip_utf8_len(p);

		if (n == 0) {
			if (out_len + 3 > max)
				break;
			memcpy(out + out_len, "\xef\xbf\xbd", 3);
			out_len += 3;
			p++;
			continue;
		}
		if (out_len + n > max)
			break;
		if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
			if (*p == '\r') {
				/* CRLF and lone CR are line breaks */
				if (p[1] != '\n')
					out[out_len++] = '\n';
			} else if (*p == '\n' || *p == '\t') {
				out[out_len++] = (char)*p;
			}
			p++;
			continue;
		}
		memcpy(out + out_len, p, n);
		out_len += n;
		p += n;
	}
	out[out_len] = '\0';
	return out;
}
