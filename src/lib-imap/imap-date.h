#ifndef INFOSTORE_IMAP_DATE_H
#define INFOSTORE_IMAP_DATE_H

/*
 * IMAP dates (RFC 9051 9): date-time "24-Nov-2026 09:10:00 +0100" for
 * INTERNALDATE and APPEND, date "24-Nov-2026" for SEARCH.
 */

#include <stdbool.h>
#include <time.h>

struct buffer;

/* date-time (the day may be " 4", "4" or "04"). *tz_r in minutes east of
   UTC. false if malformed or out of range. */
bool imap_date_parse_datetime(const char *str, time_t *time_r, int *tz_r);
/* date: midnight UTC of that day. */
bool imap_date_parse_date(const char *str, time_t *day_r);
/* Append "dd-Mon-yyyy hh:mm:ss +hhmm" (no quotes) for t seen in zone tz. */
void imap_date_append_datetime(struct buffer *buf, time_t t, int tz);
/* The day (midnight UTC of the local date) of t seen in zone tz. */
time_t imap_date_day(time_t t, int tz);

#endif
