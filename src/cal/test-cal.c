/*
 * src/cal without a store: the columns and status an item gets, times in
 * words, the readable bodies (escaped), links, header-safe text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cal-private.h"
#include "conf.h"
#include "imip.h"
#include "imip-item.h"
#include "mime.h"
#include "pool.h"
#include "store.h"

#include <string.h>

static const char *request(struct pool *pool, const char *partstat, const char *extra)
{
	return p_printf(pool,
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nMETHOD:REQUEST\r\n"
		"BEGIN:VEVENT\r\nUID:u1@example.test\r\nSEQUENCE:4\r\n"
		"DTSTAMP:20261124T090000Z\r\nDTSTART:20261207T083000Z\r\n"
		"DTEND:20261207T093000Z\r\nSUMMARY:Sync <b>now</b> & \"then\"\r\n"
		"LOCATION:Room 1\r\nORGANIZER;CN=Bob:mailto:bob@example.test\r\n"
		"ATTENDEE;PARTSTAT=%s:mailto:alice@example.test\r\n%s"
		"END:VEVENT\r\nEND:VCALENDAR\r\n", partstat, extra);
}

static void fill(struct pool *pool, const char *text, const char *owner,
		 struct store_cal_item *item)
{
	const char *ical, *error;

	memset(item, 0, sizeof(*item));
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(cal_item_fill(pool, item, ical, owner, &error), 0);
}

static void test_item_fill_status(void **state)
{
	struct pool *pool = pool_create(4096);
	struct store_cal_item item;

	(void)state;
	fill(pool, request(pool, "NEEDS-ACTION", ""), "alice@example.test", &item);
	assert_string_equal(item.uid, "u1@example.test");
	assert_int_equal(item.sequence, 4);
	assert_string_equal(item.partstat, "NEEDS-ACTION");
	assert_string_equal(item.status, "TENTATIVE");  /* not answered: tentative */
	assert_string_equal(item.organizer, "bob@example.test");
	assert_int_equal(item.dtend - item.dtstart, 3600);

	fill(pool, request(pool, "ACCEPTED", ""), "alice@example.test", &item);
	assert_string_equal(item.status, "CONFIRMED");
	fill(pool, request(pool, "ACCEPTED", "STATUS:CANCELLED\r\n"), "alice@example.test", &item);
	assert_string_equal(item.status, "CANCELLED");
	/* the organizer's own item: no partstat */
	fill(pool, request(pool, "ACCEPTED", ""), "BOB@example.test", &item);
	assert_null(item.partstat);
	assert_true(cal_is_organizer(&item, "bob@EXAMPLE.test"));
	assert_string_equal(item.status, "CONFIRMED");
	pool_destroy(&pool);
}

struct occ_list {
	unsigned int count;
	time_t start[4], end[4];
};

static void occ_cb(void *context, const struct store_cal_item *item,
		   time_t start, time_t end)
{
	struct occ_list *l = context;

	(void)item;
	if (l->count < 4) {
		l->start[l->count] = start;
		l->end[l->count] = end;
	}
	l->count++;
}

static void imip_occ_cb(void *context, const struct imip_occurrence *occ)
{
	occ_cb(context, NULL, occ->start, occ->end);
}

static const char *single_event(struct pool *pool, const char *when, const char *extra)
{
	return p_printf(pool,
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:t\r\nMETHOD:REQUEST\r\n"
		"BEGIN:VEVENT\r\nUID:s1@example.test\r\nDTSTAMP:20261124T090000Z\r\n"
		"%sSUMMARY:One\r\nORGANIZER:mailto:bob@example.test\r\n"
		"ATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@example.test\r\n%s"
		"END:VEVENT\r\nEND:VCALENDAR\r\n", when, extra);
}

/* A single event takes the fast path (the store's span, no parse): it must
   give what parsing and expanding gives, whatever the event's shape. A
   recurring one is expanded. */
static void test_expand_single_event(void **state)
{
	static const char *const shapes[][2] = {
		{ "DTSTART:20261207T083000Z\r\nDTEND:20261207T093000Z\r\n", "" },
		{ "DTSTART:20261207T083000Z\r\nDURATION:PT90M\r\n", "" },
		{ "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261209\r\n", "" },
		{ "DTSTART;VALUE=DATE:20261207\r\n", "" },
		{ "DTSTART:20261207T083000Z\r\nDTEND:20261207T093000Z\r\n",
		  "X-NOTE:an rrule in a value is not a rule\r\n" },
	};
	struct pool *pool = pool_create(4096);
	struct store_cal_item item;
	struct occ_list fast, slow;
	const char *error;

	(void)state;
	for (unsigned int i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		fill(pool, single_event(pool, shapes[i][0], shapes[i][1]),
		     "alice@example.test", &item);
		memset(&fast, 0, sizeof(fast));
		memset(&slow, 0, sizeof(slow));
		assert_int_equal(cal_expand(pool, &item, 0, (time_t)1 << 40, occ_cb, &fast), 0);
		assert_int_equal(imip_item_expand(pool, item.ical, 0, (time_t)1 << 40, 16,
						  imip_occ_cb, &slow, &error), 1);
		assert_int_equal(fast.count, 1);
		assert_int_equal(slow.count, 1);
		assert_true(fast.start[0] == slow.start[0]);
		assert_true(fast.end[0] == slow.end[0]);
		/* outside the window: nothing */
		memset(&fast, 0, sizeof(fast));
		assert_int_equal(cal_expand(pool, &item, item.dtend, item.dtend + 60,
					    occ_cb, &fast), 0);
		assert_int_equal(fast.count, 0);
	}
	/* a lower-case rule is a rule (RFC 5545 3.1: names are
	   case-insensitive): expanded, three occurrences */
	fill(pool, single_event(pool, shapes[0][0], "rrule:FREQ=DAILY;COUNT=3\r\n"),
	     "alice@example.test", &item);
	memset(&fast, 0, sizeof(fast));
	assert_int_equal(cal_expand(pool, &item, 0, (time_t)1 << 40, occ_cb, &fast), 0);
	assert_int_equal(fast.count, 3);
	pool_destroy(&pool);
}

static void test_bodies_escaped(void **state)
{
	struct pool *pool = pool_create(4096);
	struct imip_calendar *cal;
	const char *text, *html, *error, *ics = request(pool, "NEEDS-ACTION",
		"DESCRIPTION:<script>alert(1)</script>\r\n");

	(void)state;
	assert_int_equal(imip_parse(pool, ics, strlen(ics), &cal, &error), 0);
	cal_render_bodies(pool, cal, "Meeting request", "https://h/item/T\"x", &text, &html);
	assert_non_null(strstr(text, "Meeting request: Sync <b>now</b> & \"then\"\n"));
	assert_non_null(strstr(text, "https://h/item/T\"x\n"));
	assert_non_null(strstr(html, "<h2>Sync &lt;b&gt;now&lt;/b&gt; &amp; &quot;then&quot;</h2>"));
	assert_non_null(strstr(html, "href=\"https://h/item/T&quot;x\""));
	assert_null(strstr(html, "<script"));
	assert_non_null(strstr(html, "&lt;script&gt;"));
	assert_non_null(strstr(text, "When:      Monday, 7 December 2026, 08:30 \xe2\x80\x93 09:30 (UTC)\n"));
	pool_destroy(&pool);
}

static void test_when(void **state)
{
	struct pool *pool = pool_create(4096);
	struct imip_calendar *cal;
	const char *local, *utc, *error;
	const char *allday =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261224\r\n"
		"DTEND;VALUE=DATE:20261227\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *floating =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20261224T100000\r\n"
		"DTEND:20261225T110000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *zoned =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:z\r\n"
		"DTSTART;TZID=America/New_York:20261224T220000\r\n"
		"DTEND;TZID=America/New_York:20261224T233000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

	(void)state;
	assert_int_equal(imip_parse(pool, allday, strlen(allday), &cal, &error), 0);
	cal_render_when(pool, cal->master, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026 \xe2\x80\x93 Saturday, 26 December 2026 (all day)");
	assert_null(utc);
	assert_int_equal(imip_parse(pool, floating, strlen(floating), &cal, &error), 0);
	cal_render_when(pool, cal->master, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026, 10:00 \xe2\x80\x93 "
			    "Friday, 25 December 2026, 11:00 (local time)");
	assert_null(utc);
	/* the system's zone, and the UTC line crossing midnight */
	assert_int_equal(imip_parse(pool, zoned, strlen(zoned), &cal, &error), 0);
	cal_render_when(pool, cal->master, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026, 22:00 \xe2\x80\x93 23:30 "
			    "(America/New_York)");
	assert_string_equal(utc, "Friday, 25 December 2026, 03:00 \xe2\x80\x93 04:30 UTC");
	pool_destroy(&pool);
}

static void test_link_and_header_text(void **state)
{
	struct pool *pool = pool_create(1024);
	struct conf conf;
	struct store_user user = { .calendar_format = NULL };

	(void)state;
	memset(&conf, 0, sizeof(conf));
	assert_null(cal_item_link(pool, &conf, "abc"));
	conf.link_base = (char *)"https://mail.example.test:8443";
	assert_string_equal(cal_item_link(pool, &conf, "abc"),
			    "https://mail.example.test:8443/item/abc");
	assert_string_equal(cal_header_text(pool, "a\r\nBcc: x\ty", 100), "a  Bcc: x y");
	/* cut at a character boundary */
	assert_string_equal(cal_header_text(pool, "ab\xc3\xa9", 3), "ab");
	conf.imap_pop3_format = CONF_CALENDAR_FORMAT_URL;
	assert_int_equal(cal_user_format(&conf, &user), CONF_CALENDAR_FORMAT_URL);
	user.calendar_format = "icalendar";
	assert_int_equal(cal_user_format(&conf, &user), CONF_CALENDAR_FORMAT_ICALENDAR);
	pool_destroy(&pool);
}

static void test_partstat_names(void **state)
{
	enum cal_partstat p;

	(void)state;
	assert_int_equal(cal_partstat_parse("TENTATIVE", &p), 0);
	assert_int_equal(p, CAL_PARTSTAT_TENTATIVE);
	assert_string_equal(cal_partstat_name(CAL_PARTSTAT_DECLINED), "DECLINED");
	assert_int_equal(cal_partstat_parse("tentative", &p), -1);
	assert_int_equal(cal_partstat_parse(NULL, &p), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_item_fill_status),
		cmocka_unit_test(test_expand_single_event),
		cmocka_unit_test(test_bodies_escaped),
		cmocka_unit_test(test_when),
		cmocka_unit_test(test_link_and_header_text),
		cmocka_unit_test(test_partstat_names),
	};
	int ret;

	mime_init();
	imip_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	imip_deinit();
	mime_deinit();
	return ret;
}
