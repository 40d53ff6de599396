#ifndef INFOSTORE_WEB_TZ_H
#define INFOSTORE_WEB_TZ_H

/*
 * Time zones for display: the viewer's and the organizer's. Reads the
 * system's TZif files (RFC 8536) under /usr/share/zoneinfo once per zone
 * and keeps them; times past the last transition follow the file's POSIX
 * TZ footer (RFC 8536 3.3). No setenv("TZ") games: other threads may be
 * formatting dates at the same moment.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct web_tz;

/* IANA names only: "Europe/Berlin", "UTC", "America/Argentina/Cordoba". */
bool web_tz_name_valid(const char *name);
/* The zone, loaded on first use, or NULL if there is no such zone. The
   result lives as long as the process. */
const struct web_tz *web_tz_get(const char *name);
/* "UTC", always there. */
const struct web_tz *web_tz_utc(void);
const char *web_tz_name(const struct web_tz *tz);

/*
 * The zones a person may choose (the Settings page): "UTC" and the names
 * under the continents and oceans of the system's zoneinfo
 * ("Europe/Berlin", "America/Argentina/Cordoba"), sorted, read once and
 * kept (at most WEB_TZ_LIST_MAX; backward names such as "US/Eastern",
 * and posix/ and right/, left out). Loop thread only.
 */
#define WEB_TZ_LIST_MAX 1024
void web_tz_list(const char *const **names_r, unsigned int *count_r);

/* Broken-down local time of t in tz (tm_gmtoff set), and the zone
   abbreviation ("CET"). */
void web_tz_localtime(const struct web_tz *tz, time_t t, struct tm *tm_r,
		      const char **abbr_r);
/* The UTC instant of a local wall-clock time (minutes after midnight). In
   a gap the later offset is used, in an overlap the earlier instant. */
time_t web_tz_mktime(const struct web_tz *tz, int year, int month, int day,
		     int minutes);

/* Parse a POSIX TZ rule string ("CET-1CEST,M3.5.0,M10.5.0/3"); exposed
   for the fuzzer. 0 or -1. */
struct web_tz_rule;
int web_tz_rule_parse(const char *str, struct web_tz_rule *rule_r);
/* Offset (seconds east of UTC) of the rule at t. */
long web_tz_rule_offset(const struct web_tz_rule *rule, time_t t, bool *dst_r);

struct web_tz_rule {
	char std_abbr[16], dst_abbr[16];
	long std_off, dst_off;     /* seconds east of UTC */
	bool has_dst;
	/* start and end of DST: kind 'M' (month.week.day), 'J' (julian
	   1..365 without Feb 29) or 'D' (0..365 with it); secs local time */
	struct { char kind; int m, w, d, n; long secs; } start, end;
};

#endif
