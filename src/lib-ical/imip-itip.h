#ifndef INFOSTORE_IMIP_ITIP_H
#define INFOSTORE_IMIP_ITIP_H

/*
 * iTIP objects infostore sends (RFC 5546): an attendee's REPLY and an
 * organizer's REQUEST for a new meeting, as iCalendar text (CRLF, folded)
 * for the text/calendar part of an iMIP message (RFC 6047). Results are
 * in the pool passed in. 0, or -1 with a reason in *error_r.
 */

#include <stdbool.h>
#include <time.h>

#include "imip.h"

struct pool;

struct imip_reply_params {
	const char *attendee;        /* the address answering */
	const char *partstat;        /* ACCEPTED, TENTATIVE or DECLINED */
	const struct imip_time *rid; /* one occurrence, or NULL: the series */
	const char *comment;         /* COMMENT, or NULL */
	time_t now;                  /* DTSTAMP */
};

/*
 * A REPLY (RFC 5546 3.2.3) to the item item_ical: METHOD:REPLY, PRODID,
 * VERSION, and one VEVENT with UID, SEQUENCE, DTSTAMP, ORGANIZER, exactly
 * the one ATTENDEE answering (its CN kept, the new PARTSTAT), DTSTART and
 * DTEND (or DURATION) as the organizer wrote them with their VTIMEZONEs,
 * SUMMARY, LOCATION, RECURRENCE-ID when answering one occurrence, and
 * COMMENT. That is what RFC 5546 requires and what Google Calendar and
 * Microsoft 365 look at to apply it.
 */
int imip_reply_build(struct pool *pool, const char *item_ical,
		     const struct imip_reply_params *params,
		     const char **text_r, const char **error_r);

struct imip_request_attendee {
	const char *address;
	const char *name;            /* CN, or NULL */
	const char *partstat;        /* NULL: NEEDS-ACTION (with RSVP=TRUE) */
};

/* A simple recurrence (RFC 5545 3.3.10): every day, week or month from
   the start, ending after count occurrences or on the day of until. */
enum imip_repeat {
	IMIP_REPEAT_NONE,
	IMIP_REPEAT_DAILY,
	IMIP_REPEAT_WEEKLY,
	IMIP_REPEAT_MONTHLY,
};

struct imip_request_params {
	const char *uid;
	int sequence;
	time_t now;                  /* DTSTAMP */
	const char *summary;
	const char *location;        /* or NULL */
	const char *description;     /* or NULL */
	time_t start, end;           /* UTC */
	/* all-day: start and end are dates (00:00 UTC of each day), end the
	   day after the last (RFC 5545 3.6.1) */
	bool all_day;
	/* DTSTART/DTEND are written in this zone (with its VTIMEZONE) when
	   the system knows it, else in UTC */
	const char *tzid;
	enum imip_repeat repeat;
	unsigned int repeat_count;   /* COUNT, or 0 */
	time_t repeat_until;         /* UNTIL (UTC; a date when all-day), or 0 */
	const char *organizer;
	const char *organizer_name;  /* or NULL */
	const struct imip_request_attendee *attendees;
	unsigned int attendee_count;
};

/*
 * A new meeting: the REQUEST to send (RFC 5546 3.2.2, attendees
 * NEEDS-ACTION with RSVP=TRUE) and the organizer's item (the same without
 * METHOD).
 */
int imip_request_build(struct pool *pool, const struct imip_request_params *params,
		       const char **request_r, const char **item_r,
		       const char **error_r);

/*
 * Is rrule one that imip_request_build() writes (FREQ DAILY, WEEKLY or
 * MONTHLY, INTERVAL 1, COUNT or UNTIL, no BY* but the ones implied by the
 * start)? 1 with the parts set, 0 if it is some other rule, -1 if it
 * cannot be read.
 */
int imip_repeat_parse(const char *rrule, enum imip_repeat *repeat_r,
		      unsigned int *count_r, time_t *until_r);

/* The zones libical knows by IANA name (its built-in set), sorted, in
   the pool. */
void imip_tz_names(struct pool *pool, const char *const **names_r,
		   unsigned int *count_r);

#endif
