#include "imap-date.h"
#include "buffer.h"
#include "strutil.h"

#include <string.h>

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static bool parse_digits(const char **p, unsigned int min, unsigned int max,
			 unsigned int *num_r)
{
	unsigned int n = 0, num = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		num = num * 10 + (unsigned int)(**p - '0');
		(*p)++;
		n++;
	}
	if (n < min)
		return false;
	*num_r = num;
	return true;
}

static unsigned int days_in_month(unsigned int year, unsigned int month)
{
	static const unsigned char days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 1 && leap ? 29 : days[month];
}

/* "d-Mon-yyyy": fills tm's day, month and year. */
static bool parse_date_text(const char **p, struct tm *tm)
{
	unsigned int day, year, month;

	if (!parse_digits(p, 1, 2, &day) || **p != '-')
		return false;
	(*p)++;
	for (month = 0; month < 12; month++) {
		if (mem_iequal(*p, month_names[month], 3))
			break;
	}
	if (month == 12 || (*p)[3] != '-')
		return false;
	*p += 4;
	if (!parse_digits(p, 4, 4, &year) || year < 1900)
		return false;
	if (day < 1 || day > days_in_month(year, month))
		return false;
	memset(tm, 0, sizeof(*tm));
	tm->tm_mday = (int)day;
	tm->tm_mon = (int)month;
	tm->tm_year = (int)year - 1900;
	return true;
}

bool imap_date_parse_date(const char *str, time_t *day_r)
{
	struct tm tm;
	const char *p = str;

	if (!parse_date_text(&p, &tm) || *p != '\0')
		return false;
	*day_r = timegm(&tm);
	return true;
}

bool imap_date_parse_datetime(const char *str, time_t *time_r, int *tz_r)
{
	unsigned int hour, min, sec, tzh, tzm;
	const char *p = str;
	struct tm tm;
	int sign, tz;

	if (*p == ' ')
		p++;
	if (!parse_date_text(&p, &tm) || *p++ != ' ')
		return false;
	if (!parse_digits(&p, 2, 2, &hour) || *p++ != ':' ||
	    !parse_digits(&p, 2, 2, &min) || *p++ != ':' ||
	    !parse_digits(&p, 2, 2, &sec) || *p++ != ' ')
		return false;
	if (hour > 23 || min > 59 || sec > 60)
		return false;
	if (*p == '+')
		sign = 1;
	else if (*p == '-')
		sign = -1;
	else
		return false;
	p++;
	if (!parse_digits(&p, 2, 2, &tzh) || !parse_digits(&p, 2, 2, &tzm) ||
	    *p != '\0' || tzm > 59)
		return false;
	tm.tm_hour = (int)hour;
	tm.tm_min = (int)min;
	tm.tm_sec = (int)sec;
	tz = sign * (int)(tzh * 60 + tzm);
	*time_r = timegm(&tm) - (time_t)tz * 60;
	*tz_r = tz;
	return true;
}

void imap_date_append_datetime(struct buffer *buf, time_t t, int tz)
{
	struct tm tm;
	time_t local = t + (time_t)tz * 60;
	int atz = tz < 0 ? -tz : tz;

	gmtime_r(&local, &tm);
	buffer_printf(buf, "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d",
		      tm.tm_mday, month_names[tm.tm_mon], tm.tm_year + 1900,
		      tm.tm_hour, tm.tm_min, tm.tm_sec, tz < 0 ? '-' : '+',
		      atz / 60, atz % 60);
}

time_t imap_date_day(time_t t, int tz)
{
	time_t local = t + (time_t)tz * 60;

	return local - (((local % 86400) + 86400) % 86400);
}
