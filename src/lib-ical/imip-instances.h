#ifndef INFOSTORE_IMIP_INSTANCES_H
#define INFOSTORE_IMIP_INSTANCES_H

/*
 * What a CalDAV calendar-query's calendar-data asks of a recurring
 * object (RFC 4791 9.6.5, 9.6.6), as iCalendar text in the pool.
 */

#include <stdbool.h>
#include <time.h>

struct pool;

/*
 * One request's expansions together (a calendar-query over many items, a
 * calendar page): every expansion of this thread between begin and end
 * also stops at the request's deadline, msec after begin, so that N items
 * cost at most that, not N times one item's budget. request_over() says
 * whether some expansion was cut by it (the answer is then incomplete and
 * must say so); end() forgets the deadline.
 */
#define IMIP_REQUEST_EXPAND_MSEC 500
void imip_expand_request_begin(unsigned int msec);
bool imip_expand_request_over(void);
void imip_expand_request_end(void);

/* Most instances one expanded object holds. */
#define IMIP_INSTANCES_MAX 1000

/*
 * expand: the occurrences that overlap [start, end), each a VEVENT of its
 * own with RECURRENCE-ID, DTSTART and DTEND in UTC and no RRULE, RDATE,
 * EXDATE (an overridden occurrence is its own component, moved to UTC);
 * no VTIMEZONE. A non-recurring object is one instance. 0, or -1 with
 * *error_r.
 */
int imip_instances_expand(struct pool *pool, const char *ical, time_t start,
			  time_t end, const char **out_r, const char **error_r);

/*
 * limit-recurrence-set: the master as it is, with only the overridden
 * occurrences that overlap [start, end). 0, or -1 with *error_r.
 */
int imip_instances_limit(struct pool *pool, const char *ical, time_t start,
			 time_t end, const char **out_r, const char **error_r);

#endif
