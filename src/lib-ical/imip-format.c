/*
 * Times and recurrence rules in words, for the readable part of a meeting
 * request and for the web access. English only for now; the wording
 * follows what Outlook and Google print in their own invitations.
 */
#include "imip-private.h"
#include "pool.h"

#include <string.h>
#include <time.h>

static const char *const imip_weekdays[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};
static const char *const imip_months[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December",
};

/* Day of the week of a civil date (0 Sunday), without the C library's
   time zone machinery. */
static int imip_weekday(int year, int month, int day)
{
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm.tm_wday;
}

static const char *imip_format_date(struct pool *pool, int year, int month, int day)
{
	if (month < 1 || month > 12)
		return p_printf(pool, "%04d-%02d-%02d", year, month, day);
	return p_printf(pool, "%s, %d %s %d", imip_weekdays[imip_weekday(year, month, day)],
			day, imip_months[month - 1], year);
}

const char *imip_time_format_local(struct pool *pool, const struct imip_time *t)
{
	const char *date;

	if (!t->set)
		return "(no time given)";
	date = imip_format_date(pool, t->year, t->month, t->day);
	if (t->all_day)
		return date;
	return p_printf(pool, "%s, %02d:%02d", date, t->hour, t->minute);
}

const char *imip_time_format_utc(struct pool *pool, time_t utc, bool date_only)
{
	struct tm tm;
	const char *date;

	if (gmtime_r(&utc, &tm) == NULL)
		return "(no time given)";
	date = imip_format_date(pool, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (date_only)
		return date;
	return p_printf(pool, "%s, %02d:%02d", date, tm.tm_hour, tm.tm_min);
}

const char *imip_time_format_iso(struct pool *pool, time_t utc, bool date_only)
{
	struct tm tm;

	if (gmtime_r(&utc, &tm) == NULL)
		return "-";
	if (date_only)
		return p_printf(pool, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
				tm.tm_mday);
	return p_printf(pool, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* --- RRULE in words --- */

static const char *imip_ordinal(struct pool *pool, int n)
{
	static const char *const words[] = {
		"", "first", "second", "third", "fourth", "fifth",
	};

	if (n == -1)
		return "last";
	if (n == -2)
		return "second to last";
	if (n >= 1 && n <= 5)
		return words[n];
	return p_printf(pool, "%dth", n);
}

/* ", on Monday, Wednesday" or " on the second Tuesday" from BYDAY */
static const char *imip_recur_days(struct pool *pool, const struct icalrecurrencetype *r)
{
	const char *out = "";

	for (int i = 0; i < ICAL_BY_DAY_SIZE && r->by_day[i] != ICAL_RECURRENCE_ARRAY_MAX; i++) {
		int dow = (int)icalrecurrencetype_day_day_of_week(r->by_day[i]);
		int pos = icalrecurrencetype_day_position(r->by_day[i]);
		const char *day;

		if (dow < 1 || dow > 7)
			return NULL;
		day = imip_weekdays[dow - 1];
		if (pos != 0)
			day = p_printf(pool, "the %s %s", imip_ordinal(pool, pos), day);
		out = *out == '\0' ? day : p_printf(pool, "%s, %s", out, day);
	}
	return out;
}

const char *imip_recur_text(struct pool *pool, const struct icalrecurrencetype *r)
{
	static const char *const units[] = {
		[ICAL_DAILY_RECURRENCE] = "day",
		[ICAL_WEEKLY_RECURRENCE] = "week",
		[ICAL_MONTHLY_RECURRENCE] = "month",
		[ICAL_YEARLY_RECURRENCE] = "year",
	};
	static const char *const adverbs[] = {
		[ICAL_DAILY_RECURRENCE] = "Daily",
		[ICAL_WEEKLY_RECURRENCE] = "Weekly",
		[ICAL_MONTHLY_RECURRENCE] = "Monthly",
		[ICAL_YEARLY_RECURRENCE] = "Yearly",
	};
	const char *text, *days;

	if (r->freq != ICAL_DAILY_RECURRENCE && r->freq != ICAL_WEEKLY_RECURRENCE &&
	    r->freq != ICAL_MONTHLY_RECURRENCE && r->freq != ICAL_YEARLY_RECURRENCE)
		return NULL;
	if (r->interval > 1)
		text = p_printf(pool, "Every %d %ss", r->interval, units[r->freq]);
	else
		text = adverbs[r->freq];
	days = imip_recur_days(pool, r);
	if (days == NULL)
		return NULL;
	if (*days != '\0')
		text = p_printf(pool, "%s on %s", text, days);
	else if (r->by_month_day[0] != ICAL_RECURRENCE_ARRAY_MAX) {
		int md = r->by_month_day[0];

		text = md == -1 ? p_printf(pool, "%s on the last day", text) :
			p_printf(pool, "%s on day %d", text, md);
	}
	if (r->count > 0)
		text = p_printf(pool, "%s, %d time%s", text, r->count, r->count == 1 ? "" : "s");
	else if (!icaltime_is_null_time(r->until))
		text = p_printf(pool, "%s, until %s", text,
				imip_format_date(pool, r->until.year, r->until.month,
						 r->until.day));
	return text;
}
