#ifndef INFOSTORE_IMIP_PRIVATE_H
#define INFOSTORE_IMIP_PRIVATE_H

/* Shared by the files of src/lib-ical only: the one place that sees
   libical's types. */

#include "imip.h"

#include <libical/ical.h>

#include "config.h"

#define IMIP_PRODID "-//infostore//infostore " INFOSTORE_VERSION "//EN"

/*
 * What one item's recurrence may cost the event loop (imip-expand.c).
 * Occurrences (and pieces of a walk) looked at, at most, and the time the
 * walk may take, whichever ends first; either ends it as "truncated". A
 * single libical call is kept short by other means (see imip-expand.c), so
 * an expansion overruns IMIP_EXPAND_MSEC by little.
 */
#define IMIP_EXPAND_ITERATIONS 20000
#define IMIP_EXPAND_MSEC 50
/* The budget in force, IMIP_EXPAND_MSEC unless a test that checks
   results (not time) on a loaded machine raises it. */
extern unsigned int imip_expand_msec;
/* Times a day a rule may repeat at (BYHOUR x BYMINUTE x BYSECOND); more is
   no meeting, and each of them is a step of libical on every day. */
#define IMIP_RECUR_MAX_TIMES 60
/* libical's iterator and time zones end in this year (MAX_TIME_T_YEAR,
   ICALTIMEZONE_MAX_YEAR with a 64-bit time_t) */
#define IMIP_YEAR_MAX 2582

/* VTIMEZONEs in one object, observances (and RDATEs of one) in a zone */
#define IMIP_MAX_TIMEZONES 32
#define IMIP_MAX_OBSERVANCES 400
/* RRULEs over the VTIMEZONEs of one object, and what libical may have to
   expand for them: years of each yearly rule (from its DTSTART to its end
   or IMIP_YEAR_MAX) plus RDATEs, for one zone (each conversion may expand
   one zone: a real one costs about 1400, some 20 ms of libical to the
   year IMIP_YEAR_MAX) and for all. A zone that goes over is dropped. */
#define IMIP_TZ_MAX_RULES 100
#define IMIP_TZ_MAX_ZONE_COST 2000
#define IMIP_TZ_MAX_COST 6000
/* libical calls (of IMIP_RECUR_PROBES) that the yearly rules of the zones
   of one object may use to show they can match; real zones use none */
#define IMIP_TZ_MAX_PROBES 64
/* Observances that begin earlier are made to begin with their first onset
   from this year on (times before 1900 are refused anyway). */
#define IMIP_TZ_FIRST_YEAR 1899

/*
 * Iterate over the children of kind of parent. libical's
 * get_first/get_next_component keep one cursor in the parent, which a
 * nested walk over the same parent would move: use this instead.
 */
#define IMIP_FOREACH_COMPONENT(parent, kind, var) \
	for (icalcompiter var##_iter = icalcomponent_begin_component(parent, kind); \
	     ((var) = icalcompiter_deref(&var##_iter)) != NULL; \
	     icalcompiter_next(&var##_iter))

/*
 * Parse text into a VCALENDAR component owned by pool (freed with it).
 * The first VCALENDAR is taken when there are several. -1 with *error_r
 * when the text is too big, empty, or not iCalendar.
 */
int imip_ical_parse(struct pool *pool, const void *data, size_t size,
		    icalcomponent **vcal_r, const char **error_r);
/* Serialise (CRLF, folded) into pool memory. */
const char *imip_ical_to_string(struct pool *pool, icalcomponent *comp);
/* Let pool free comp (a detached top-level component). */
void imip_ical_pool_own(struct pool *pool, icalcomponent *comp);

/* A new VCALENDAR with VERSION, PRODID and METHOD (NONE: no METHOD). */
icalcomponent *imip_ical_new_vcalendar(enum imip_method method);
/* Append to dst the VTIMEZONEs of src (or the system's) that comp's TZID
   parameters use and dst lacks. Call before adding comp's events. */
void imip_ical_copy_timezones(icalcomponent *dst, icalcomponent *src,
			      icalcomponent *comp);

/* Is tzid a zone the system knows (its zone list, not any file)? */
bool imip_tzid_known(const char *tzid);

/* Fill t from a DTSTART/DTEND/RECURRENCE-ID-like property of comp. */
void imip_time_from_prop(struct pool *pool, icalproperty *prop,
			 icalcomponent *comp, struct imip_time *t_r);
/* Fill t from an icaltimetype (zone resolved or NULL). */
void imip_time_from_ical(struct pool *pool, struct icaltimetype it,
			 const char *tzid, struct imip_time *t_r);
/* An instant as a libical time in zone (NULL: floating/UTC wall time). */
struct icaltimetype imip_ical_time_in(time_t t, bool is_date, const icaltimezone *zone);
/* The instant of a libical time, UTC for floating times and dates. */
time_t imip_ical_timet(struct icaltimetype it);

/* RECURRENCE-ID of a VEVENT as an instant, or false if it has none. */
bool imip_ical_rid(icalcomponent *vevent, time_t *rid_r);
/* The VEVENT for rid (NULL: the master) in vcal, or NULL. */
icalcomponent *imip_ical_find_vevent(icalcomponent *vcal, const time_t *rid);
/* The ATTENDEE property with this address in a VEVENT, or NULL. */
icalproperty *imip_ical_find_attendee(icalcomponent *vevent, const char *address);
/* The organizer's note of what an attendee said in their REPLY, as
   Apple's calendar server writes it: a property of the VEVENT that names
   the attendee in a parameter. */
#define IMIP_ATTENDEE_COMMENT "X-CALENDARSERVER-ATTENDEE-COMMENT"
#define IMIP_ATTENDEE_COMMENT_REF "X-CALENDARSERVER-ATTENDEE-REF"
/* Is the X-property prop the attendee comment of address? */
bool imip_ical_is_attendee_comment(icalproperty *prop, const char *address);
/* Does this property's calendar address equal address (ignoring
   "mailto:" and ASCII case)? */
bool imip_ical_address_equal(const char *uri, const char *address);

/* Text as valid UTF-8 without control characters other than \n and \t,
   at most max bytes (cut at a character boundary). */
const char *imip_clean_text(struct pool *pool, const char *text, size_t max);

/* The VEVENT of occurrence rid in vcal: the exception, or a new one made
   from the series and added to vcal. NULL with *error_r if rid is no
   occurrence. */
icalcomponent *imip_ical_occurrence(struct pool *pool, icalcomponent *vcal,
				    time_t rid, const char **error_r);

/*
 * Can rule (with this DTSTART) give an occurrence up to the end of
 * last_year, walked by libical without running long? false for rules that
 * never match any day as libical reads them, and for those we do not walk:
 * more often than daily, more than IMIP_RECUR_MAX_TIMES times a day, or in
 * a calendar other than the Gregorian (RSCALE). Common rules are known to
 * match; for other YEARLY and MONTHLY ones libical itself is asked about
 * one period of each kind, a small call each, using up *probes (NULL:
 * IMIP_RECUR_PROBES for this rule). Once *probes is 0 the answer is false.
 */
#define IMIP_RECUR_PROBES 28
bool imip_recur_can_match(const struct icalrecurrencetype *rule,
			  struct icaltimetype dtstart, int last_year,
			  unsigned int *probes);

/* All occurrences of an item overlapping [from, to) (to 0: unbounded),
   sorted by start. infinite: the series has no end; truncated: the walk
   stopped at IMIP_EXPAND_ITERATIONS steps or after IMIP_EXPAND_MSEC. */
struct imip_occurrence;
struct imip_occurrence_list {
	struct imip_occurrence *occ;
	unsigned int count, alloc;
	bool infinite;
	bool truncated;
};
void imip_expand_vcal(struct pool *pool, icalcomponent *vcal, time_t from,
		      time_t to, struct imip_occurrence_list *list);

/* "Weekly on Monday, Wednesday", or NULL for a rule we cannot put in words. */
const char *imip_recur_text(struct pool *pool, const struct icalrecurrencetype *recur);

#endif
