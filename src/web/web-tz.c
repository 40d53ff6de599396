/*
 * TZif (RFC 8536) and POSIX TZ rules, enough to show a time in a named
 * zone. Zones are loaded from /usr/share/zoneinfo on first use and kept.
 */
#include "web-tz.h"
#include "alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEB_TZ_DIR "/usr/share/zoneinfo"
#define WEB_TZ_FILE_MAX (256 * 1024)
/* Zones are loaded once and kept. The zone cookie comes from anyone, so
   the cache must hold every zone a system has (about 600 with posix/ and
   right/ twice that, a few KiB each): with room for only 64, one client
   naming 64 zones would leave everyone else's zone unknown until restart. */
#define WEB_TZ_CACHE_MAX 2048

struct web_tz_type {
	long utoff;
	bool isdst;
	char abbr[16];
};

struct web_tz {
	struct web_tz *next;
	char name[64];
	unsigned int timecnt, typecnt;
	int64_t *times;
	unsigned char *idx;
	struct web_tz_type *types;
	bool has_rule;
	struct web_tz_rule rule;
};

static struct web_tz web_tz_utc_zone = {
	.name = "UTC", .typecnt = 1,
	.has_rule = true,
	.rule = { .std_abbr = "UTC" },
};
static struct web_tz *web_tz_cache;
static unsigned int web_tz_cache_count;

/* --- civil dates (proleptic Gregorian; H. Hinnant's algorithms) --- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (unsigned int)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y_r, int *m_r, int *d_r)
{
	int64_t era, y;
	unsigned int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = y + (*m_r <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* --- POSIX TZ rules --- */

static const char *rule_name(const char *p, char out[16])
{
	size_t n = 0;

	if (*p == '<') {
		p++;
		while (*p != '>' && *p != '\0') {
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '+' || *p == '-'))
				return NULL;
			if (n < 15)
				out[n++] = *p;
			p++;
		}
		if (*p != '>')
			return NULL;
		p++;
	} else {
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
			if (n < 15)
				out[n++] = *p;
			p++;
		}
	}
	out[n] = '\0';
	return n >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh up to max_hours */
static const char *rule_time(const char *p, long max_hours, long *secs_r)
{
	long sign = 1, h = 0, m = 0, s = 0;
	int digits = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	while (*p >= '0' && *p <= '9' && digits < 3) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || h > max_hours)
		return NULL;
	if (*p == ':') {
		p++;
		if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
			return NULL;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!(p[0] >= '0' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9'))
				return NULL;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	*secs_r = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *rule_number(const char *p, int min, int max, int *n_r)
{
	int n = 0, digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 4) {
		n = n * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || n < min || n > max)
		return NULL;
	*n_r = n;
	return p;
}

static const char *rule_date(const char *p, char *kind, int *m, int *w,
			     int *d, int *n, long *secs)
{
	if (*p == 'M') {
		*kind = 'M';
		if ((p = rule_number(p + 1, 1, 12, m)) == NULL || *p++ != '.' ||
		    (p = rule_number(p, 1, 5, w)) == NULL || *p++ != '.' ||
		    (p = rule_number(p, 0, 6, d)) == NULL)
			return NULL;
	} else if (*p == 'J') {
		*kind = 'J';
		if ((p = rule_number(p + 1, 1, 365, n)) == NULL)
			return NULL;
	} else {
		*kind = 'D';
		if ((p = rule_number(p, 0, 365, n)) == NULL)
			return NULL;
	}
	*secs = 7200;
	if (*p == '/') {
		/* RFC 8536 3.3.1: hours may be -167..167 */
		if ((p = rule_time(p + 1, 167, secs)) == NULL)
			return NULL;
	}
	return p;
}

int web_tz_rule_parse(const char *p, struct web_tz_rule *rule_r)
{
	long off;

	memset(rule_r, 0, sizeof(*rule_r));
	if ((p = rule_name(p, rule_r->std_abbr)) == NULL ||
	    (p = rule_time(p, 24, &off)) == NULL)
		return -1;
	rule_r->std_off = -off; /* POSIX offsets are west of Greenwich */
	if (*p == '\0')
		return 0;
	if ((p = rule_name(p, rule_r->dst_abbr)) == NULL)
		return -1;
	rule_r->has_dst = true;
	rule_r->dst_off = rule_r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = rule_time(p, 24, &off)) == NULL)
			return -1;
		rule_r->dst_off = -off;
	}
	if (*p == '\0') {
		/* no rule: the US rules, as glibc assumes */
		rule_r->start.kind = rule_r->end.kind = 'M';
		rule_r->start.m = 3; rule_r->start.w = 2;
		rule_r->end.m = 11; rule_r->end.w = 1;
		rule_r->start.secs = rule_r->end.secs = 7200;
		return 0;
	}
	if (*p++ != ',' ||
	    (p = rule_date(p, &rule_r->start.kind, &rule_r->start.m, &rule_r->start.w,
			   &rule_r->start.d, &rule_r->start.n, &rule_r->start.secs)) == NULL ||
	    *p++ != ',' ||
	    (p = rule_date(p, &rule_r->end.kind, &rule_r->end.m, &rule_r->end.w,
			   &rule_r->end.d, &rule_r->end.n, &rule_r->end.secs)) == NULL ||
	    *p != '\0')
		return -1;
	return 0;
}

static int64_t rule_day(int64_t year, char kind, int m, int w, int d, int n)
{
	int64_t first;

	if (kind == 'J')
		return days_from_civil(year, 1, 1) + n - 1 + (is_leap(year) && n >= 60);
	if (kind == 'D')
		return days_from_civil(year, 1, 1) + n;
	first = days_from_civil(year, m, 1);
	{
		int wday_first = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
		int64_t day = first + (d - wday_first + 7) % 7 + (int64_t)(w - 1) * 7;

		while (day >= first + month_days(year, m))
			day -= 7;
		return day;
	}
}

long web_tz_rule_offset(const struct web_tz_rule *rule, time_t t, bool *dst_r)
{
	int64_t y, start, end;
	int mon, day;

	*dst_r = false;
	if (!rule->has_dst)
		return rule->std_off;
	civil_from_days(floor_div((int64_t)t + rule->std_off, 86400), &y, &mon, &day);
	start = rule_day(y, rule->start.kind, rule->start.m, rule->start.w,
			 rule->start.d, rule->start.n) * 86400 + rule->start.secs -
		rule->std_off;
	end = rule_day(y, rule->end.kind, rule->end.m, rule->end.w, rule->end.d,
		       rule->end.n) * 86400 + rule->end.secs - rule->dst_off;
	if (start < end)
		*dst_r = (int64_t)t >= start && (int64_t)t < end;
	else
		*dst_r = !((int64_t)t >= end && (int64_t)t < start);
	return *dst_r ? rule->dst_off : rule->std_off;
}

/* --- TZif files --- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int tzif_parse(struct web_tz *tz, const unsigned char *data, size_t size)
{
	uint32_t cnt[6];
	size_t pos = 0, tsize = 4, block;
	const unsigned char *p;

	if (size < 44 || memcmp(data, "TZif", 4) != 0)
		return -1;
	for (int i = 0; i < 6; i++)
		cnt[i] = be32(data + 20 + 4 * i);
	if (data[4] >= '2') {
		/* skip the 32-bit block (RFC 8536 3.1) to the 64-bit one */
		block = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
		pos = 44 + block;
		if (pos + 44 > size || memcmp(data + pos, "TZif", 4) != 0)
			return -1;
		for (int i = 0; i < 6; i++)
			cnt[i] = be32(data + pos + 20 + 4 * i);
		tsize = 8;
	}
	pos += 44;
	/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
	if (cnt[3] > 10000 || cnt[4] == 0 || cnt[4] > 256 || cnt[5] > 1024 ||
	    cnt[2] > 10000)
		return -1;
	block = cnt[3] * (tsize + 1) + cnt[4] * 6 + cnt[5] + cnt[2] * (tsize + 4) +
		cnt[1] + cnt[0];
	if (pos + block > size)
		return -1;
	p = data + pos;
	tz->timecnt = cnt[3];
	tz->typecnt = cnt[4];
	tz->times = xcalloc(cnt[3] + 1, sizeof(*tz->times));
	tz->idx = xcalloc(cnt[3] + 1, 1);
	tz->types = xcalloc(cnt[4], sizeof(*tz->types));
	for (uint32_t i = 0; i < cnt[3]; i++)
		tz->times[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
	p += cnt[3] * tsize;
	for (uint32_t i = 0; i < cnt[3]; i++) {
		if (p[i] >= cnt[4])
			return -1;
		tz->idx[i] = p[i];
	}
	p += cnt[3];
	for (uint32_t i = 0; i < cnt[4]; i++) {
		const unsigned char *tt = p + i * 6;
		const char *chars = (const char *)(p + cnt[4] * 6);
		unsigned int ai = tt[5];

		tz->types[i].utoff = (int32_t)be32(tt);
		tz->types[i].isdst = tt[4] != 0;
		if (ai < cnt[5]) {
			size_t alen = strnlen(chars + ai, cnt[5] - ai);

			if (alen > sizeof(tz->types[i].abbr) - 1)
				alen = sizeof(tz->types[i].abbr) - 1;
			memcpy(tz->types[i].abbr, chars + ai, alen);
		}
	}
	pos += block;
	if (tsize == 8 && pos < size && data[pos] == '\n') {
		const char *footer = (const char *)data + pos + 1;
		const char *nl = memchr(footer, '\n', size - pos - 1);

		if (nl != NULL && nl - footer < 128) {
			char rule[128];

			memcpy(rule, footer, (size_t)(nl - footer));
			rule[nl - footer] = '\0';
			tz->has_rule = rule[0] != '\0' &&
				web_tz_rule_parse(rule, &tz->rule) == 0;
		}
	}
	return 0;
}

bool web_tz_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= 64 || name[0] == '/' || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
		      c == '+'))
			return false;
		if (c == '/' && (name[i + 1] == '/' || name[i + 1] == '\0'))
			return false;
	}
	return strstr(name, "..") == NULL;
}

static void web_tz_free(struct web_tz *tz)
{
	free(tz->times);
	free(tz->idx);
	free(tz->types);
	free(tz);
}

static struct web_tz *web_tz_load(const char *name)
{
	char path[128];
	unsigned char *data;
	struct web_tz *tz;
	ssize_t n;
	size_t size = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", WEB_TZ_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	data = xmalloc(WEB_TZ_FILE_MAX);
	while (size < WEB_TZ_FILE_MAX &&
	       (n = read(fd, data + size, WEB_TZ_FILE_MAX - size)) > 0)
		size += (size_t)n;
	close(fd);
	tz = xcalloc(1, sizeof(*tz));
	snprintf(tz->name, sizeof(tz->name), "%s", name);
	if (tzif_parse(tz, data, size) < 0) {
		web_tz_free(tz);
		tz = NULL;
	}
	free(data);
	return tz;
}

const struct web_tz *web_tz_utc(void)
{
	return &web_tz_utc_zone;
}

const struct web_tz *web_tz_get(const char *name)
{
	struct web_tz *tz;

	if (name == NULL || !web_tz_name_valid(name))
		return NULL;
	if (strcmp(name, "UTC") == 0)
		return &web_tz_utc_zone;
	for (tz = web_tz_cache; tz != NULL; tz = tz->next) {
		if (strcmp(tz->name, name) == 0)
			return tz;
	}
	if (web_tz_cache_count >= WEB_TZ_CACHE_MAX)
		return NULL;
	tz = web_tz_load(name);
	if (tz == NULL)
		return NULL;
	tz->next = web_tz_cache;
	web_tz_cache = tz;
	web_tz_cache_count++;
	return tz;
}

/* --- the list people choose from --- */

static struct {
	char **names;
	unsigned int count;
	bool read;
} web_tz_names;

static void web_tz_list_add(const char *name)
{
	if (web_tz_names.count >= WEB_TZ_LIST_MAX || !web_tz_name_valid(name))
		return;
	web_tz_names.names[web_tz_names.count++] = xstrdup(name);
}

/* The zone files under WEB_TZ_DIR/prefix, depth levels deep at most. */
static void web_tz_list_dir(const char *prefix, int depth)
{
	char path[256], name[128];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", WEB_TZ_DIR, prefix);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((d = readdir(dir)) != NULL &&
	       web_tz_names.count < WEB_TZ_LIST_MAX) {
		unsigned char type;
		int n;

		if (d->d_name[0] == '.')
			continue;
		n = snprintf(name, sizeof(name), "%s/%s", prefix, d->d_name);
		if (n < 0 || (size_t) n >= sizeof(name) ||
		    !web_tz_name_valid(name))
			continue;
		type = d->d_type;
		if (type == DT_UNKNOWN || type == DT_LNK) {
			struct stat st;

			/* what a link names, as open() will find it */
			if (fstatat(dirfd(dir), d->d_name, &st, 0) < 0)
				continue;
			type = S_ISDIR(st.st_mode) ? DT_DIR :
			       S_ISREG(st.st_mode) ? DT_REG :
						     DT_UNKNOWN;
		}
		if (type == DT_DIR) {
			if (depth > 1)
				web_tz_list_dir(name, depth - 1);
		} else if (type == DT_REG) {
			web_tz_list_add(name);
		}
	}
	closedir(dir);
}

static int web_tz_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void web_tz_list(const char *const **names_r, unsigned int *count_r)
{
	/* the areas of the tz database (its theory.html, "Time zone
	   identifiers"); the rest of the top level is backward names */
	static const char *const areas[] = {
		"Africa",   "America",	 "Antarctica", "Arctic", "Asia",
		"Atlantic", "Australia", "Europe",     "Indian", "Pacific",
	};

	if (!web_tz_names.read) {
		web_tz_names.read = true;
		web_tz_names.names = xcalloc(WEB_TZ_LIST_MAX, sizeof(char *));
		for (size_t i = 0; i < sizeof(areas) / sizeof(areas[0]); i++)
			web_tz_list_dir(areas[i], 3);
		qsort(web_tz_names.names, web_tz_names.count, sizeof(char *),
		      web_tz_name_cmp);
		/* UTC first, whatever the system has */
		if (web_tz_names.count == WEB_TZ_LIST_MAX)
			free(web_tz_names.names[--web_tz_names.count]);
		memmove(web_tz_names.names + 1, web_tz_names.names,
			web_tz_names.count * sizeof(char *));
		web_tz_names.names[0] = xstrdup("UTC");
		web_tz_names.count++;
	}
	*names_r = (const char *const *) web_tz_names.names;
	*count_r = web_tz_names.count;
}

const char *web_tz_name(const struct web_tz *tz)
{
	return tz->name;
}

static long web_tz_offset(const struct web_tz *tz, time_t t, const char **abbr_r)
{
	bool dst;
	long off;

	if (tz->timecnt == 0 || (int64_t)t >= tz->times[tz->timecnt - 1]) {
		if (tz->has_rule) {
			off = web_tz_rule_offset(&tz->rule, t, &dst);
			*abbr_r = dst ? tz->rule.dst_abbr : tz->rule.std_abbr;
			return off;
		}
		if (tz->timecnt == 0) {
			*abbr_r = tz->types[0].abbr;
			return tz->types[0].utoff;
		}
	}
	if (tz->timecnt == 0 || (int64_t)t < tz->times[0]) {
		/* RFC 8536 3.2: before the first transition, type 0 */
		*abbr_r = tz->types[0].abbr;
		return tz->types[0].utoff;
	}
	{
		unsigned int lo = 0, hi = tz->timecnt - 1;

		while (lo < hi) {
			unsigned int mid = (lo + hi + 1) / 2;

			if (tz->times[mid] <= (int64_t)t)
				lo = mid;
			else
				hi = mid - 1;
		}
		*abbr_r = tz->types[tz->idx[lo]].abbr;
		return tz->types[tz->idx[lo]].utoff;
	}
}

void web_tz_localtime(const struct web_tz *tz, time_t t, struct tm *tm_r,
		      const char **abbr_r)
{
	long off = web_tz_offset(tz, t, abbr_r);
	int64_t local = (int64_t)t + off, days = floor_div(local, 86400);
	int64_t secs = local - days * 86400, y;
	int m, d;

	memset(tm_r, 0, sizeof(*tm_r));
	civil_from_days(days, &y, &m, &d);
	tm_r->tm_year = (int)(y - 1900);
	tm_r->tm_mon = m - 1;
	tm_r->tm_mday = d;
	tm_r->tm_hour = (int)(secs / 3600);
	tm_r->tm_min = (int)(secs / 60 % 60);
	tm_r->tm_sec = (int)(secs % 60);
	tm_r->tm_wday = (int)((days % 7 + 11) % 7);
	tm_r->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	tm_r->tm_gmtoff = off;
}

time_t web_tz_mktime(const struct web_tz *tz, int year, int month, int day,
		     int minutes)
{
	int64_t local = days_from_civil(year, month, day) * 86400 + (int64_t)minutes * 60;
	const char *abbr;
	long before = web_tz_offset(tz, (time_t)(local - 86400), &abbr);
	long after = web_tz_offset(tz, (time_t)(local + 86400), &abbr);
	int64_t ta = local - before, tb = local - after;
	bool a_ok = web_tz_offset(tz, (time_t)ta, &abbr) == before;
	bool b_ok = web_tz_offset(tz, (time_t)tb, &abbr) == after;

	if (a_ok && b_ok)
		return (time_t)(ta < tb ? ta : tb);
	if (b_ok)
		return (time_t)tb;
	return (time_t)ta;
}
