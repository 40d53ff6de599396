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
};

struct imip_request_params {
	const char *uid;
	int sequence;
	time_t now;                  /* DTSTAMP */
	const char *summary;
	const char *location;        /* or NULL */
	const char *description;     /* or NULL */
	time_t start, end;           /* UTC */
	/* DTSTART/DTEND are written in this zone (with its VTIMEZONE) when
	   the system knows it, else in UTC */
	const char *tzid;
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

#endif
