#ifndef INFOSTORE_IMIP_SCHED_H
#define INFOSTORE_IMIP_SCHED_H

/*
 * What CalDAV scheduling (RFC 6638, "implicit scheduling") needs from an
 * iCalendar object a client PUT: the object as the server stores it, the
 * iTIP messages (RFC 5546) the server sends for it, and the comparisons
 * that decide whether to send them.
 *
 * The object is one calendar object resource (RFC 4791 4.1): one
 * VCALENDAR whose components, VTIMEZONEs aside, are of one kind and share
 * one UID, at most one without RECURRENCE-ID (the master) and no two with
 * the same RECURRENCE-ID. Anything else, what libical cannot read, and
 * what is over imip.h's limits is an error with a reason in *error_r.
 * Functions taking text read the whole of it (NUL-terminated, or len
 * bytes); IMIP_MAX_SIZE bounds it.
 *
 * Outputs are serialised by libical (CRLF line ends, lines folded at 75
 * octets) into the pool passed in and live as long as it. Like everything
 * in src/lib-ical, the text is read through imip_ical_parse(), which makes
 * time zones safe: a TZID naming neither a VTIMEZONE of the object nor a
 * zone the system knows loses its TZID, and a VTIMEZONE observance that
 * recurs other than yearly loses that RRULE. libical also drops
 * properties whose value it cannot read; its X-LIC-ERROR notes about them
 * are removed.
 *
 * Returns are 0, or -1 with a reason in *error_r, unless said otherwise.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "imip.h"

struct pool;

/*
 * The object as a client PUT it, made fit to store: every SCHEDULE-STATUS
 * parameter on ATTENDEE and ORGANIZER is removed (RFC 6638 7.3: the server
 * sets it, never the client) and every SCHEDULE-FORCE-SEND (RFC 6638 7.2:
 * an instruction for this one request, not data). METHOD is left as it is
 * (RFC 4791 4.1 forbids it in a stored object; imip_parse() shows it to a
 * caller that refuses it). Components may be VEVENT, VTODO or VJOURNAL.
 *
 * The result is a fixed point: cleaning it again gives it back byte for
 * byte, so storing it and reading it back is no change. Broken input that
 * libical would write differently each time round is an error instead.
 *
 * Read SCHEDULE-FORCE-SEND with imip_sched_recipients() before cleaning.
 */
int imip_sched_clean(struct pool *pool, const char *ical, size_t len,
		     const char **out_r, const char **error_r);

/*
 * Who the server schedules for, as a client wrote it (RFC 6638 7.1, 7.2):
 * every ATTENDEE address (without "mailto:") of every component, each once
 * (ASCII case-insensitively), in the order first written, and the
 * ORGANIZER's address. server is false when SCHEDULE-AGENT is CLIENT, NONE
 * or an unknown value on any of that address's ATTENDEE properties: the
 * server sends that attendee nothing. force_send is "REQUEST", "REPLY",
 * or NULL, from SCHEDULE-FORCE-SEND. URIs other than mailto: are kept as
 * they are.
 */
struct imip_sched_recipient {
	const char *address;
	bool server;
	const char *force_send;
};
struct imip_sched_recipients {
	const char *organizer;           /* or NULL */
	bool organizer_server;           /* its SCHEDULE-AGENT, as above */
	const char *organizer_force_send;
	struct imip_sched_recipient *attendees;
	unsigned int attendee_count;
};
int imip_sched_recipients(struct pool *pool, const char *ical,
			  struct imip_sched_recipients *recipients_r,
			  const char **error_r);

/*
 * Set SCHEDULE-STATUS=statuses[i] (RFC 6638 7.3: e.g. "1.2" delivered,
 * "1.1" sent, "3.7" invalid user, "5.3" no scheduling support) on every
 * ATTENDEE, in every component, whose
 * address equals addresses[i] (ASCII case-insensitively; "mailto:" on
 * either side is ignored), replacing the one there. Attendees not listed
 * are left alone. A status that is not a status code ("1.2", "3.7.1")
 * is an error.
 */
int imip_sched_set_status(struct pool *pool, const char *ical,
			  const char *const *addresses,
			  const char *const *statuses, unsigned int count,
			  const char **out_r, const char **error_r);

/* SEQUENCE:sequence (>= 0) on every component, added where missing. */
int imip_sched_sequence(struct pool *pool, const char *ical, int sequence,
			const char **out_r, const char **error_r);

/*
 * The iTIP message (RFC 5546 3.2) an organizer's stored object of VEVENTs
 * gives, a whole VCALENDAR with PRODID, VERSION:2.0 and METHOD. now is the
 * DTSTAMP of every VEVENT in it.
 *
 * IMIP_METHOD_REQUEST (RFC 5546 3.2.2): the object as stored, with its
 * VTIMEZONEs, without VALARMs (the organizer's reminders are not the
 * attendees' business) and without the SCHEDULE-STATUS, SCHEDULE-AGENT
 * and SCHEDULE-FORCE-SEND parameters (RFC 6638 7.1-7.3: for the server,
 * not for the recipient). With attendee set, the message is the one for
 * that attendee: only the components that list them, and an EXDATE in
 * the master for each overridden occurrence that does not, so that their
 * calendar shows only the occurrences they are invited to; error if no
 * component lists them.
 *
 * IMIP_METHOD_CANCEL (RFC 5546 3.2.5): one VEVENT per component (master
 * and overridden occurrences) with UID, DTSTAMP, ORGANIZER, the ATTENDEEs,
 * SEQUENCE, STATUS:CANCELLED, RECURRENCE-ID where the component has one,
 * DTSTART and SUMMARY, and the VTIMEZONEs those use. With attendee set
 * (an attendee taken off the meeting: pass the object they were on), only
 * the components that list them, with that one ATTENDEE; error if none
 * does. SEQUENCE is the object's: a caller cancelling a deleted object
 * raises it first with imip_sched_sequence() (RFC 5546 2.1.4).
 *
 * Other methods are an error; so is an object without ORGANIZER.
 */
int imip_sched_itip(struct pool *pool, const char *ical,
		    enum imip_method method, const char *attendee, time_t now,
		    const char **out_r, const char **error_r);

/*
 * A CANCEL (RFC 5546 3.2.5) of the one occurrence rid of the stored
 * object's series, shaped as imip_sched_itip()'s CANCEL: the overridden
 * occurrence's VEVENT, or one made from the master (RECURRENCE-ID and
 * DTSTART in the master's DTSTART form). For an occurrence the organizer
 * removed (a new EXDATE, or an override taken away), pass the object from
 * before the change. attendee as in imip_sched_itip(). Error if rid is no
 * occurrence.
 */
int imip_sched_cancel_occurrence(struct pool *pool, const char *ical,
				 const struct imip_time *rid,
				 const char *attendee, time_t now,
				 const char **out_r, const char **error_r);

/*
 * Does the change from old to new_ need a new REQUEST to the attendees?
 * RFC 6638 leaves the choice to the server; ours: a component added or
 * taken away (the set of overridden occurrences, the master), and for a
 * component in both (matched by RECURRENCE-ID), a change of DTSTART
 * (instant, zone, or date/date-time), of the end (DTEND or DURATION), of
 * the first RRULE, the RDATE or EXDATE instants, LOCATION, SUMMARY,
 * STATUS, the ORGANIZER's address, or the set of attendee addresses
 * (addresses compare ASCII case-insensitively). Changes of PARTSTAT, RSVP,
 * DESCRIPTION, alarms, SEQUENCE or DTSTAMP alone are not significant: a
 * PARTSTAT change is an attendee's REPLY; the rest, sent to every
 * attendee, would be noise.
 */
bool imip_sched_significant_change(const struct imip_calendar *old,
				   const struct imip_calendar *new_);

/*
 * An address's answer in each component of cal, in cal's order: rid is
 * the component's RECURRENCE-ID (NULL for the master) and points into cal;
 * partstat is its PARTSTAT (upper case, "NEEDS-ACTION" when absent), or
 * NULL where the address is not an attendee of that component. The array
 * is from pool. Returns 1 if the address is an attendee of some
 * component, 0 if of none.
 *
 * To see what an attendee changed, compare each new answer with the old
 * one for the same occurrence (imip_sched_answer_find()): an occurrence
 * the attendee overrode for the first time compares with the master.
 */
struct imip_sched_answer {
	const struct imip_time *rid;
	const char *partstat;
};
int imip_sched_partstats(struct pool *pool, const struct imip_calendar *cal,
			 const char *address, struct imip_sched_answer **answers_r,
			 unsigned int *count_r);

/* The answer for occurrence rid (NULL or unset: the master): its own
   component's, else the master's; NULL if neither exists. */
const struct imip_sched_answer *
imip_sched_answer_find(const struct imip_sched_answer *answers,
		       unsigned int count, const struct imip_time *rid);

#endif
