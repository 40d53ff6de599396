#ifndef INFOSTORE_IMIP_H
#define INFOSTORE_IMIP_H

/*
 * iCalendar objects as infostore sees them: what one VCALENDAR says about
 * one meeting (RFC 5545), read with libical into our own small types.
 *
 * <libical/ical.h> is included in src/lib-ical alone. Everything here is
 * plain C: strings are UTF-8, allocated from the pool passed in, and live
 * as long as that pool.
 *
 * Hostile input never crashes these functions: what libical cannot read,
 * or what is over a limit below, is an error with a reason for the log.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct pool;

/* Once per process before any other call (libical's error mode), and at
   the end (frees the system time zones libical loaded). */
void imip_init(void);
void imip_deinit(void);

/* Limits on what we accept from outside. */
#define IMIP_MAX_SIZE (1024 * 1024)   /* bytes of iCalendar text */
#define IMIP_MAX_EVENTS 1000          /* VEVENTs in one object */
#define IMIP_MAX_ATTENDEES 2000       /* ATTENDEEs in one VEVENT */
#define IMIP_MAX_TEXT 65536           /* SUMMARY, DESCRIPTION, ... kept */

/* iTIP methods (RFC 5546 1.4). */
enum imip_method {
	IMIP_METHOD_NONE,     /* no METHOD: a stored item, not a message */
	IMIP_METHOD_PUBLISH,
	IMIP_METHOD_REQUEST,
	IMIP_METHOD_REPLY,
	IMIP_METHOD_ADD,
	IMIP_METHOD_CANCEL,
	IMIP_METHOD_REFRESH,
	IMIP_METHOD_COUNTER,
	IMIP_METHOD_DECLINECOUNTER,
	IMIP_METHOD_OTHER,    /* an X- or unknown method */
};
/* "REQUEST" etc.; "" for NONE, "OTHER" for OTHER. */
const char *imip_method_name(enum imip_method method);
/* Case-insensitive; NULL or "" gives NONE, unknown names OTHER. */
enum imip_method imip_method_parse(const char *name);

/* A DTSTART, DTEND, RECURRENCE-ID as written and as an instant. */
struct imip_time {
	bool set;
	time_t utc;          /* the instant; all-day and floating: as if UTC */
	bool all_day;        /* VALUE=DATE */
	bool floating;       /* local time without TZID (taken as UTC) */
	const char *tzid;    /* TZID as written, or NULL (UTC, floating, date) */
	bool tz_known;       /* tzid resolved (VTIMEZONE or the system's) */
	/* the wall-clock time as written, in tzid */
	int year, month, day, hour, minute, second;
};

struct imip_attendee {
	const char *address;   /* without "mailto:" */
	const char *name;      /* CN, or NULL */
	const char *partstat;  /* upper case; "NEEDS-ACTION" when absent */
	const char *role;      /* upper case; "REQ-PARTICIPANT" when absent */
	const char *sent_by;   /* without "mailto:", or NULL */
	bool rsvp;
	/* the comment of their last REPLY, as the organizer's item keeps it
	   (X-CALENDARSERVER-ATTENDEE-COMMENT, as Apple's server does), or
	   NULL */
	const char *comment;
};

struct imip_event {
	const char *uid;
	int sequence;
	time_t dtstamp;            /* 0 if absent */
	const char *organizer;     /* address without "mailto:", or NULL */
	const char *organizer_name;
	const char *organizer_sent_by;
	const char *summary;
	const char *location;
	const char *description;
	const char *comment;
	const char *status;        /* upper case, or NULL */
	struct imip_time start;
	struct imip_time end;      /* from DTEND, DTSTART+DURATION, or implied */
	struct imip_time recurrence_id;  /* set: this VEVENT is one occurrence */
	const char *rrule;         /* the first RRULE's value, or NULL */
	const char *recurrence_text; /* "Weekly on Monday", or NULL */
	unsigned int rdate_count;
	unsigned int exdate_count;
	/* their instants in the order written, one per value (a PERIOD's
	   start; 0 where unreadable), so that changes can be compared */
	const time_t *rdates;
	const time_t *exdates;
	struct imip_attendee *attendees;
	unsigned int attendee_count;
};

struct imip_calendar {
	enum imip_method method;
	const char *method_name;   /* as written, or NULL */
	const char *prodid;        /* or NULL */
	const char *uid;           /* the UID all events share */
	struct imip_event *events; /* in the order written */
	unsigned int event_count;
	/* the VEVENT without RECURRENCE-ID, or NULL (only exceptions) */
	const struct imip_event *master;
};

/*
 * Parse one VCALENDAR holding VEVENTs of one UID (RFC 5546 1.4: an iTIP
 * message is about one UID; a stored item too). data need not be
 * NUL-terminated. Returns 0, or -1 with a reason in *error_r: unreadable,
 * over a limit, no VEVENT, a VEVENT without UID or DTSTART, several UIDs.
 */
int imip_parse(struct pool *pool, const void *data, size_t size,
	       struct imip_calendar **cal_r, const char **error_r);

/* "mailto:a@b" -> "a@b"; other URIs as they are. */
const char *imip_address_from_uri(struct pool *pool, const char *uri);

/* The attendee with this address (ASCII case-insensitive), or NULL. */
const struct imip_attendee *
imip_event_find_attendee(const struct imip_event *event, const char *address);

/* The event for the occurrence rid (RECURRENCE-ID equal as an instant),
   the master when rid is NULL or unset; NULL if there is none. */
const struct imip_event *
imip_calendar_find_event(const struct imip_calendar *cal,
			 const struct imip_time *rid);

/* Is this a known PARTSTAT for a VEVENT (RFC 5545 3.2.12)? */
bool imip_partstat_valid(const char *partstat);

/*
 * Format times for people: the wall-clock time as written, in the
 * organizer's zone ("Tuesday, 24 November 2026, 10:00"), and an instant in
 * UTC. All-day times give the date only.
 */
const char *imip_time_format_local(struct pool *pool, const struct imip_time *t);
const char *imip_time_format_utc(struct pool *pool, time_t utc, bool date_only);
/* Is name an IANA time zone libical knows ("Europe/Berlin", "UTC"; its
   built-in set, never a file path)? */
bool imip_zone_known(const char *name);
/* The instant utc as the wall-clock time in the zone name: *t_r set, with
   tzid name and tz_known. 0, or -1 (t_r untouched) when the zone is not
   one imip_zone_known() accepts or the time is past what libical
   converts (IMIP_YEAR_MAX). */
int imip_time_in_zone(struct pool *pool, time_t utc, const char *name,
		      struct imip_time *t_r);
/* "2026-11-24T09:00:00Z", or "2026-11-24" for a date. */
const char *imip_time_format_iso(struct pool *pool, time_t utc, bool date_only);

#endif
