/*
 * lib-ical: recurrence and time zones from outside can never stall the
 * event loop. Rules and VTIMEZONEs that libical would walk for centuries
 * (inside one icalrecur_iterator_new() or _next() call) are expanded
 * within a bound of time each, and the ordinary ones still give what they
 * should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "imip.h"
#include "imip-item.h"
#include "imip-instances.h"
#include "imip-private.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Per expansion, under ASan on a busy machine; the unbounded ones take
   from a second to minutes. */
#define HOSTILE_MSEC_MAX 200

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return timegm(&tm);
}

/* IMIP_RECUR_TIMES set in the environment: print each time and check
   nothing (to compare builds); its value, unless empty, picks the tests
   by name ("*rules*") */
static bool report_only;

static double msec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* results are not checked when only reporting times */
#define expect_equal(a, b) do { \
		long long expect_a = (long long)(a), expect_b = (long long)(b); \
		if (!report_only) \
			assert_int_equal(expect_a, expect_b); \
	} while (0)

#define OCC_MAX 64
struct occ_list {
	struct imip_occurrence occ[OCC_MAX];
	unsigned int count;
};

static void occ_cb(void *context, const struct imip_occurrence *occ)
{
	struct occ_list *list = context;

	if (list->count < OCC_MAX)
		list->occ[list->count++] = *occ;
}

/* A series from dtstart (UTC unless tzid) with rule, and vtimezone text
   before the event (or ""). */
static const char *series(struct pool *pool, const char *dtstart, const char *rule,
			  const char *tzid, const char *vtimezone)
{
	return p_printf(pool,
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n%s"
		"BEGIN:VEVENT\r\nUID:hostile@example.test\r\nDTSTAMP:20260101T000000Z\r\n"
		"DTSTART%s%s:%s%s\r\nDURATION:PT1H\r\nRRULE:%s\r\nSUMMARY:x\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n",
		vtimezone, tzid != NULL ? ";TZID=" : "", tzid != NULL ? tzid : "",
		dtstart, tzid != NULL || strchr(dtstart, 'T') == NULL ? "" : "Z", rule);
}

/* Expand text over [from, to) and then its span (imip_item_info, which
   walks a finite series to its end), each within HOSTILE_MSEC_MAX. */
static int expand_timed(struct pool *pool, const char *text, time_t from, time_t to,
			struct occ_list *list, const char *what)
{
	struct imip_item_info info;
	const char *error;
	double start, ms;
	int n;

	list->count = 0;
	start = msec_now();
	n = imip_item_expand(pool, text, from, to, 10000, occ_cb, list, &error);
	ms = msec_now() - start;
	if (report_only)
		printf("%8.1f ms  expand %s\n", ms, what);
	else if (ms > HOSTILE_MSEC_MAX)
		fail_msg("expanding %s took %.0f ms", what, ms);
	start = msec_now();
	assert_int_equal(imip_item_info(pool, text, "a@example.test", &info, &error), 0);
	ms = msec_now() - start;
	if (report_only)
		printf("%8.1f ms  span %s\n", ms, what);
	else if (ms > HOSTILE_MSEC_MAX)
		fail_msg("the span of %s took %.0f ms", what, ms);
	return n;
}

/* Rules that pass a look at their parts one by one but never match (or
   match only after a walk of centuries): each expansion is quick, and the
   series is DTSTART alone. */
static void test_hostile_rules_are_quick(void **state)
{
	imip_expand_msec = IMIP_EXPAND_MSEC;
	static const char *const rules[] = {
		/* 1MO is a day 1-7, never the 15th */
		"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
		"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15;COUNT=10",
		"FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15;UNTIL=20301231T000000Z",
		"FREQ=MONTHLY;BYDAY=-1FR;BYMONTHDAY=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21",
		"FREQ=MONTHLY;BYDAY=2TU,3WE;BYMONTHDAY=1,2,3,4,5,6,7,-1,-2,-3,-4,-5,-6,-7",
		"FREQ=YEARLY;BYDAY=1MO;BYMONTHDAY=15;BYMONTH=3",
		"FREQ=YEARLY;BYDAY=1MO;BYMONTHDAY=15",
		"FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6;BYDAY=MO",
		"FREQ=YEARLY;BYWEEKNO=20;BYMONTH=1;BYDAY=MO,TU,WE;COUNT=3",
		"FREQ=YEARLY;BYDAY=MO;BYSETPOS=54",
		"FREQ=YEARLY;BYYEARDAY=100;BYMONTH=1",
		"FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=MONTHLY;INTERVAL=12;BYMONTH=3",
		"FREQ=MONTHLY;INTERVAL=12;BYMONTH=3;COUNT=4",
		/* every 4 years from 2027: never a leap year */
		"FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
		"FREQ=YEARLY;INTERVAL=4;BYYEARDAY=366;COUNT=2",
		/* libical compares BYMONTHDAY and BYDAY of a daily rule as they
		   are: -1 is no day of a month, 1MO no day of a week */
		"FREQ=DAILY;BYMONTHDAY=-1;COUNT=5",
		"FREQ=DAILY;BYDAY=1MO;UNTIL=25001231T000000Z",
		"FREQ=DAILY;INTERVAL=7;BYDAY=TU",
		"FREQ=WEEKLY;BYMONTH=13",
	};
	struct pool *pool = pool_create(4096);
	struct occ_list list;

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		/* Friday 2027-01-01 (INTERVAL=7 from a Friday never meets a Tuesday) */
		const char *text = series(pool, "20270101T090000", rules[i], NULL, "");

		expect_equal(expand_timed(pool, text, utc(2027, 1, 1, 0, 0),
					      utc(2027, 2, 1, 0, 0), &list, rules[i]), 1);
		expect_equal(list.occ[0].start, utc(2027, 1, 1, 9, 0));
		expect_equal(expand_timed(pool, text, utc(2030, 1, 1, 0, 0),
					      utc(2031, 1, 1, 0, 0), &list, rules[i]), 0);
		/* an agenda page far from DTSTART */
		expect_equal(expand_timed(pool, text, utc(2400, 1, 1, 0, 0),
					      utc(2400, 2, 1, 0, 0), &list, rules[i]), 0);
	}
	pool_destroy(&pool);
}

/* Rules that do match, but so rarely that libical walks day by day (with
   every hour of each day) between two occurrences: each expansion is
   still quick, and what it finds is right. */
static void test_sparse_rules_are_quick(void **state)
{
	imip_expand_msec = IMIP_EXPAND_MSEC;
	struct pool *pool = pool_create(4096);
	struct occ_list list;
	const char *text;

	(void)state;
	/* 29 February on a Monday: 2044, 2072, then 2112 */
	text = series(pool, "20270101T090000",
		      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=0,1,2,3,4,5,6,7,8,9,"
		      "10,11,12,13,14,15,16,17,18,19,20,21,22,23;UNTIL=21001231T000000Z", NULL, "");
	expect_equal(expand_timed(pool, text, utc(2044, 2, 1, 0, 0),
				  utc(2044, 3, 1, 0, 0), &list, "29 February Mondays"), 24);
	expect_equal(list.occ[0].start, utc(2044, 2, 29, 0, 0));
	expect_equal(expand_timed(pool, text, utc(2072, 1, 1, 0, 0),
				  utc(2072, 3, 1, 0, 0), &list, "29 February Mondays"), 24);
	expect_equal(list.occ[0].start, utc(2072, 2, 29, 0, 0));
	/* 28 years of it, day by day and hour by hour, is more than the time
	   one expansion may take: quick, and what it gives is right */
	expand_timed(pool, text, utc(2045, 1, 1, 0, 0), utc(2073, 1, 1, 0, 0), &list,
		     "29 February Mondays over 28 years");
	for (unsigned int i = 0; i < list.count; i++)
		expect_equal(list.occ[i].start / 86400, utc(2072, 2, 29, 0, 0) / 86400);
	/* with COUNT the walk starts at DTSTART; what it cannot reach within
	   the time allowed is left out */
	text = series(pool, "20270101T090000",
		      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO;BYHOUR=0,1,2,3,4,5,6,7,8,9,"
		      "10,11,12,13,14,15,16,17,18,19,20,21,22,23;COUNT=72", NULL, "");
	expand_timed(pool, text, utc(2072, 2, 1, 0, 0), utc(2072, 3, 1, 0, 0), &list,
		     "29 February Mondays, COUNT");
	text = series(pool, "20270101T090000",
		      "FREQ=WEEKLY;INTERVAL=52;BYMONTH=7;BYDAY=MO,TU,WE,TH,FR,SA,SU", NULL, "");
	expand_timed(pool, text, utc(2100, 1, 1, 0, 0), utc(2101, 1, 1, 0, 0), &list,
		     "weekly every 52 weeks in July");
	pool_destroy(&pool);
}

/* A VTIMEZONE whose observances libical expands year by year from their
   DTSTART on every conversion: yearly rules that never match, from the
   year 1, many of them. A time in that zone is converted quickly. */
static void test_hostile_timezones_are_quick(void **state)
{
	imip_expand_msec = IMIP_EXPAND_MSEC;
	struct pool *pool = pool_create(4096);
	struct occ_list list;
	char *tz, *p;
	size_t size = 200000, used;

	(void)state;
	tz = p_malloc(pool, size);
	used = (size_t)snprintf(tz, size, "BEGIN:VTIMEZONE\r\nTZID:Hostile\r\n");
	for (int i = 0; i < 40; i++) {
		used += (size_t)snprintf(tz + used, size - used,
			"BEGIN:%s\r\nDTSTART:%04d0101T000000\r\nTZOFFSETFROM:+0100\r\n"
			"TZOFFSETTO:+0200\r\nTZNAME:X\r\nRRULE:FREQ=YEARLY;%s\r\nEND:%s\r\n",
			i % 2 == 0 ? "STANDARD" : "DAYLIGHT", 1 + i,
			i % 4 == 0 ? "BYMONTH=2;BYMONTHDAY=30" :
			i % 4 == 1 ? "BYDAY=1MO;BYMONTHDAY=15" :
			i % 4 == 2 ? "BYWEEKNO=1;BYMONTH=6;BYDAY=MO" : "BYMONTH=3;BYDAY=-1SU",
			i % 2 == 0 ? "STANDARD" : "DAYLIGHT");
	}
	p = tz + used;
	snprintf(p, size - used, "END:VTIMEZONE\r\n");
	expand_timed(pool, series(pool, "20270104T090000", "FREQ=WEEKLY;COUNT=520",
				  "Hostile", tz),
		     utc(2027, 1, 1, 0, 0), utc(2027, 3, 1, 0, 0), &list, "hostile zone");
	expect_equal(list.count >= 8, true);
	expand_timed(pool, series(pool, "20270104T090000", "FREQ=YEARLY;COUNT=400",
				  "Hostile", tz),
		     utc(2300, 1, 1, 0, 0), utc(2400, 3, 1, 0, 0), &list, "hostile zone, yearly");

	/* a real zone as Outlook writes it (kept), walked to libical's last
	   year: expanded a few times over, not once every five years */
	tz = "BEGIN:VTIMEZONE\r\nTZID:W. Europe\r\n"
		"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:+0200\r\n"
		"TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
		"END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\n"
		"TZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
		"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
	/* what it finds must not depend on how busy the machine is (the
	   50 ms budget can cut a 550-year walk short under ASan and a
	   parallel test run): its time is still checked against
	   HOSTILE_MSEC_MAX */
	imip_expand_msec = 10000;
	expect_equal(expand_timed(pool, series(pool, "20270104T090000", "FREQ=YEARLY;COUNT=550",
					       "W. Europe", tz),
				  utc(2570, 1, 1, 0, 0), utc(2571, 1, 1, 0, 0), &list,
				  "Outlook's zone, yearly to 2570"), 1);
	imip_expand_msec = IMIP_EXPAND_MSEC;
	expect_equal(list.occ[0].start, utc(2570, 1, 4, 8, 0));
	pool_destroy(&pool);
}

/* Rules that match rarely, or only in some kinds of month or year, give
   what they should (the numbers are python-dateutil's). */
static void test_rare_rules_still_match(void **state)
{
	/* results, not time: the budget must not cut them on a busy machine */
	imip_expand_msec = 10000;
	static const struct {
		const char *rule;
		int to_year;
		int count;
		int y, m, d;    /* the first */
	} rules[] = {
		{ "FREQ=MONTHLY;BYDAY=5FR;BYMONTH=2", 2100, 3, 2036, 2, 29 },
		{ "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", 2200, 6, 2044, 2, 29 },
		{ "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", 2028, 1, 2027, 8, 13 },
		{ "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH", 2060, 5, 2032, 12, 30 },
		{ "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31", 2031, 5, 2027, 1, 31 },
		{ "FREQ=DAILY;BYMONTH=2,7;INTERVAL=3", 2029, 39, 2027, 2, 3 },
		{ "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;BYMONTH=3,9", 2029, 16, 2027, 3, 8 },
		{ "FREQ=YEARLY;BYDAY=MO;BYSETPOS=53", 2060, 6, 2029, 12, 31 },
		{ "FREQ=MONTHLY;BYMONTHDAY=29,30,31;BYSETPOS=-1;BYMONTH=2", 2033, 2, 2028, 2, 29 },
		{ "FREQ=MONTHLY;BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14", 2028, 12, 2027, 1, 10 },
		{ "FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYMONTHDAY=-7,-6,-5,-4,-3,-2,-1", 2030, 3, 2027, 3, 28 },
	};
	struct pool *pool = pool_create(4096);
	struct occ_list list;

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		const char *text = series(pool, "20270101T090000", rules[i].rule, NULL, "");

		expect_equal(expand_timed(pool, text, utc(2027, 1, 2, 0, 0),
					  utc(rules[i].to_year, 1, 1, 0, 0), &list,
					  rules[i].rule), rules[i].count);
		expect_equal(list.occ[0].start,
			     utc(rules[i].y, rules[i].m, rules[i].d, 9, 0));
	}
	pool_destroy(&pool);
}

/* Day and week rules with BYMONTH or BYMONTHDAY are walked in pieces of
   a hundred days: the same occurrences as in windows of any size. */
static void test_pieces_meet(void **state)
{
	/* results, not time: the budget must not cut them on a busy machine */
	imip_expand_msec = 10000;
	static const char *const rules[] = {
		"FREQ=DAILY;BYMONTHDAY=1,15,31;INTERVAL=2",
		"FREQ=WEEKLY;BYDAY=TU,SU;WKST=SU;BYMONTH=1,4,12;INTERVAL=3",
		"FREQ=DAILY;BYMONTH=12;BYHOUR=8,17",
	};
	struct pool *pool = pool_create(4096);
	struct occ_list whole, part;

	(void)state;
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		const char *text = series(pool, "20270101T090000", rules[i], NULL, "");
		unsigned int n = 0;

		expand_timed(pool, text, utc(2027, 6, 1, 0, 0), utc(2028, 3, 1, 0, 0),
			     &whole, rules[i]);
		assert_true(whole.count > 0 && whole.count < OCC_MAX);
		for (time_t t = utc(2027, 6, 1, 0, 0); t < utc(2028, 3, 1, 0, 0); t += 13 * 86400) {
			expand_timed(pool, text, t, t + 13 * 86400, &part, rules[i]);
			for (unsigned int j = 0; j < part.count; j++, n++) {
				if (part.occ[j].end <= t)
					continue;  /* began in the window before */
				assert_true(n < whole.count);
				assert_int_equal(part.occ[j].start, whole.occ[n].start);
			}
		}
		assert_int_equal(n, whole.count);
	}
	pool_destroy(&pool);
}

/* A zone written from the year 1 (or 1601, as Outlook does) converts as
   it should, and is stored beginning in 1899. */
static void test_old_observances(void **state)
{
	/* results, not time: the budget must not cut them on a busy machine */
	imip_expand_msec = 10000;
	static const char *const starts[] = { "00010101", "16010101", "19700101" };
	struct pool *pool = pool_create(4096);
	struct occ_list list;

	(void)state;
	for (size_t i = 0; i < sizeof(starts) / sizeof(*starts); i++) {
		const char *tz = p_printf(pool,
			"BEGIN:VTIMEZONE\r\nTZID:Europe-ish\r\n"
			"BEGIN:STANDARD\r\nDTSTART:%sT030000\r\nTZOFFSETFROM:+0200\r\n"
			"TZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
			"TZNAME:CET\r\nEND:STANDARD\r\n"
			"BEGIN:DAYLIGHT\r\nDTSTART:%sT020000\r\nTZOFFSETFROM:+0100\r\n"
			"TZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
			"TZNAME:CEST\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n", starts[i], starts[i]);
		const char *text = series(pool, "20270104T090000", "FREQ=WEEKLY;COUNT=60",
					  "Europe-ish", tz);
		const char *item, *error;

		expect_equal(expand_timed(pool, text, utc(2027, 3, 22, 0, 0),
					  utc(2027, 4, 1, 0, 0), &list, starts[i]), 2);
		expect_equal(list.occ[0].start, utc(2027, 3, 22, 8, 0));
		expect_equal(list.occ[1].start, utc(2027, 3, 29, 7, 0));
		expect_equal(expand_timed(pool, text, utc(2027, 10, 25, 0, 0),
					  utc(2027, 11, 2, 0, 0), &list, starts[i]), 2);
		expect_equal(list.occ[0].start, utc(2027, 10, 25, 7, 0));
		expect_equal(list.occ[1].start, utc(2027, 11, 1, 8, 0));
		assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL,
							&item, &error), 0);
		if (i < 2) {
			assert_null(strstr(item, starts[i]));
			assert_non_null(strstr(item, "DTSTART:18990326T020000"));
			assert_non_null(strstr(item, "DTSTART:18991029T030000"));
		} else {
			assert_non_null(strstr(item, "DTSTART:19700101T020000"));
		}
	}
	pool_destroy(&pool);
}

/* A request's deadline holds every expansion of the request together:
   once it has passed, the next expansion stops at once (nothing found)
   and the request learns that its answer is incomplete; without a
   request, the same expansion finds what it should. */
static void test_request_deadline(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = series(pool, "20270104T090000", "FREQ=DAILY", NULL, "");
	struct occ_list list;
	const char *error;

	(void)state;
	imip_expand_msec = 10000;
	list.count = 0;
	assert_true(imip_item_expand(pool, text, utc(2027, 3, 1, 0, 0),
				     utc(2027, 3, 8, 0, 0), 10000, occ_cb, &list,
				     &error) >= 0);
	assert_int_equal(list.count, 7);
	assert_false(imip_expand_request_over());

	imip_expand_request_begin(0);
	list.count = 0;
	(void)imip_item_expand(pool, text, utc(2027, 3, 1, 0, 0),
			       utc(2027, 3, 8, 0, 0), 10000, occ_cb, &list, &error);
	assert_int_equal(list.count, 0);
	assert_true(imip_expand_request_over());
	imip_expand_request_end();
	assert_false(imip_expand_request_over());

	/* a request with time left changes nothing */
	imip_expand_request_begin(10000);
	list.count = 0;
	(void)imip_item_expand(pool, text, utc(2027, 3, 1, 0, 0),
			       utc(2027, 3, 8, 0, 0), 10000, occ_cb, &list, &error);
	assert_int_equal(list.count, 7);
	assert_false(imip_expand_request_over());
	imip_expand_request_end();
	imip_expand_msec = IMIP_EXPAND_MSEC;
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_rules_are_quick),
		cmocka_unit_test(test_sparse_rules_are_quick),
		cmocka_unit_test(test_hostile_timezones_are_quick),
		cmocka_unit_test(test_rare_rules_still_match),
		cmocka_unit_test(test_pieces_meet),
		cmocka_unit_test(test_old_observances),
		cmocka_unit_test(test_request_deadline),
	};
	int ret;

	report_only = getenv("IMIP_RECUR_TIMES") != NULL;
	if (report_only && *getenv("IMIP_RECUR_TIMES") != '\0')
		cmocka_set_test_filter(getenv("IMIP_RECUR_TIMES"));
	imip_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	imip_deinit();
	return ret;
}
