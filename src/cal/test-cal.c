/*
 * src/cal without a store: the columns and status an item gets, times in
 * words, the readable bodies (escaped), links, header-safe text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "cal-private.h"
#include "conf.h"
#include "imip.h"
#include "imip-item.h"
#include "mime.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <stdio.h>
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
	cal_render_bodies(pool, cal,
			  &(struct cal_summary){.intro = "Meeting request",
						.link = "https://h/item/T\"x",
						.description = true},
			  &text, &html);
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
	cal_render_when(pool, cal->master, NULL, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026 \xe2\x80\x93 Saturday, 26 December 2026 (all day)");
	assert_null(utc);
	assert_int_equal(imip_parse(pool, floating, strlen(floating), &cal, &error), 0);
	cal_render_when(pool, cal->master, NULL, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026, 10:00 \xe2\x80\x93 "
			    "Friday, 25 December 2026, 11:00 (local time)");
	assert_null(utc);
	/* the system's zone, and the UTC line crossing midnight */
	assert_int_equal(imip_parse(pool, zoned, strlen(zoned), &cal, &error), 0);
	cal_render_when(pool, cal->master, NULL, &local, &utc);
	assert_string_equal(local, "Thursday, 24 December 2026, 22:00 \xe2\x80\x93 23:30 "
			    "(America/New_York)");
	assert_string_equal(utc, "Friday, 25 December 2026, 03:00 \xe2\x80\x93 04:30 UTC");
	pool_destroy(&pool);
}

/* In the reader's zone: the organizer's times after when their zone is
   another; dates and floating times as written; unknown zones ignored. */
static void test_when_in_zone(void **state)
{
	struct pool *pool = pool_create(4096);
	struct imip_calendar *cal;
	const char *local, *other, *error;
	const char *zoned =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:z\r\n"
		"DTSTART;TZID=America/New_York:20261224T220000\r\n"
		"DTEND;TZID=America/New_York:20261224T233000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *in_utc =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTART:20270715T080000Z\r\n"
		"DTEND:20270716T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *floating =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20261224T100000\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *allday =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20261224\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";

	(void) state;
	assert_int_equal(imip_parse(pool, zoned, strlen(zoned), &cal, &error),
			 0);
	cal_render_when(pool, cal->master, "Europe/Berlin", &local, &other);
	assert_string_equal(
		local, "Friday, 25 December 2026, 04:00 \xe2\x80\x93 05:30 "
		       "(Europe/Berlin)");
	assert_string_equal(
		other, "Thursday, 24 December 2026, 22:00 \xe2\x80\x93 23:30 "
		       "(America/New_York)");
	/* the organizer's own zone: said once */
	cal_render_when(pool, cal->master, "America/New_York", &local, &other);
	assert_string_equal(
		local, "Thursday, 24 December 2026, 22:00 \xe2\x80\x93 23:30 "
		       "(America/New_York)");
	assert_null(other);
	/* not a zone: as without one */
	cal_render_when(pool, cal->master, "../../etc/passwd", &local, &other);
	assert_string_equal(
		other,
		"Friday, 25 December 2026, 03:00 \xe2\x80\x93 04:30 UTC");

	/* summer time, over two days */
	assert_int_equal(imip_parse(pool, in_utc, strlen(in_utc), &cal, &error),
			 0);
	cal_render_when(pool, cal->master, "Europe/Berlin", &local, &other);
	assert_string_equal(local,
			    "Thursday, 15 July 2027, 10:00 \xe2\x80\x93 "
			    "Friday, 16 July 2027, 11:00 (Europe/Berlin)");
	assert_string_equal(other, "Thursday, 15 July 2027, 08:00 \xe2\x80\x93 "
				   "Friday, 16 July 2027, 09:00 (UTC)");
	cal_render_when(pool, cal->master, "UTC", &local, &other);
	assert_null(other);

	assert_int_equal(
		imip_parse(pool, floating, strlen(floating), &cal, &error), 0);
	cal_render_when(pool, cal->master, "Asia/Tokyo", &local, &other);
	assert_non_null(strstr(local, "10:00"));
	assert_non_null(strstr(local, "(local time)"));
	assert_null(other);
	assert_int_equal(imip_parse(pool, allday, strlen(allday), &cal, &error),
			 0);
	cal_render_when(pool, cal->master, "Asia/Tokyo", &local, &other);
	assert_string_equal(local, "Thursday, 24 December 2026 (all day)");
	pool_destroy(&pool);
}

struct leaf_list {
	char types[512];
	const char *calendar_method, *calendar_name;
	const char *plain[4];
	unsigned int plain_count;
};

static void leaf_list_cb(void *context, const struct mime_leaf *leaf)
{
	struct leaf_list *l = context;
	size_t used = strlen(l->types);

	snprintf(l->types + used, sizeof(l->types) - used, "%s%s %s/%s",
		 used > 0 ? ", " : "", leaf->section, leaf->type,
		 leaf->subtype);
	if (strcmp(leaf->subtype, "calendar") == 0) {
		l->calendar_method = leaf->method;
		l->calendar_name = leaf->filename;
	}
	if (strcmp(leaf->subtype, "plain") == 0 && l->plain_count < 4)
		l->plain[l->plain_count++] = (const char *) leaf->data;
}

/* The organizer's parts byte for byte beside our summary; the calendar
   invite.ics in both, none in url; a CANCEL alike; LF stays LF. */
static void test_render_keeps_parts(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *ics =
		request(pool, "NEEDS-ACTION", "DESCRIPTION:Agenda\r\n");
	const char *plain =
		"Content-Type: text/plain; charset=us-ascii\r\n\r\nOur agenda.\r\n";
	const char *pdf =
		"Content-Type: application/pdf; name=\"a.pdf\"\r\n"
		"Content-Disposition: attachment; filename=\"a.pdf\"\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n";
	const char *msg = p_printf(
		pool,
		"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Sync\r\n"
		"Message-ID: <m1@example.test>\r\nX-Spam: 1\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
		"--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
		"--a\r\n%s--a\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n%s"
		"--a--\r\n--m\r\n%s--m--\r\n",
		plain, ics, pdf);
	struct cal_render render = {
		.format = CONF_CALENDAR_FORMAT_BOTH,
		.link = "https://h/item/T",
		.ics = ics,
		.zone = "Europe/Berlin",
	};
	struct imip_calendar *cal;
	const unsigned char *data;
	size_t size;
	const char *error, *text;
	struct leaf_list l;

	(void) state;
	assert_int_equal(imip_parse(pool, ics, strlen(ics), &cal, &error), 0);
	render.cal = cal;
	cal_render_request(pool, (const unsigned char *) msg, strlen(msg),
			   &render, &data, &size);
	text = p_strndup(pool, data, size);
	memset(&l, 0, sizeof(l));
	mime_foreach_leaf(pool, data, size, leaf_list_cb, &l);
	assert_string_equal(l.types,
			    "1.1 text/plain, 1.2 text/html, 1.3 text/calendar, "
			    "2.1.1 text/plain, 2.2 application/pdf");
	assert_string_equal(l.calendar_method, "REQUEST");
	assert_string_equal(l.calendar_name, "invite.ics");
	assert_non_null(strstr(text, plain));
	assert_non_null(strstr(text, pdf));
	assert_non_null(strstr(text, "Subject: Sync\r\n"));
	assert_non_null(strstr(text, "Message-ID: <m1@example.test>\r\n"));
	assert_null(strstr(text, "X-Spam"));
	assert_non_null(strstr(l.plain[0], "Meeting request: Sync"));
	assert_non_null(strstr(l.plain[0], "https://h/item/T"));
	assert_non_null(
		strstr(l.plain[0], "09:30 \xe2\x80\x93 10:30 (Europe/Berlin)"));
	/* their words are there: the description is not repeated */
	assert_null(strstr(l.plain[0], "Agenda"));
	for (size_t i = 0; i + 1 < size; i++) {
		if (data[i + 1] == '\n')
			assert_int_equal(data[i], '\r');
	}

	/* url: no calendar anywhere; a CANCEL says so */
	render.format = CONF_CALENDAR_FORMAT_URL;
	cal->method = IMIP_METHOD_CANCEL;
	cal_render_request(pool, (const unsigned char *) msg, strlen(msg),
			   &render, &data, &size);
	memset(&l, 0, sizeof(l));
	mime_foreach_leaf(pool, data, size, leaf_list_cb, &l);
	assert_string_equal(l.types,
			    "1.1 text/plain, 1.2 text/html, 2.1.1 text/plain, "
			    "2.2 application/pdf");
	assert_null(memmem(data, size, "VCALENDAR", 9));
	assert_non_null(strstr(l.plain[0], "Meeting cancelled: Sync"));
	render.format = CONF_CALENDAR_FORMAT_BOTH;
	cal_render_request(pool, (const unsigned char *) msg, strlen(msg),
			   &render, &data, &size);
	memset(&l, 0, sizeof(l));
	mime_foreach_leaf(pool, data, size, leaf_list_cb, &l);
	assert_string_equal(l.calendar_method, "CANCEL");

	/* a bare calendar, LF line ends: our summary alone, with the
	   description; LF stays LF */
	cal->method = IMIP_METHOD_REQUEST;
	msg = p_printf(pool,
		       "From: bob@example.test\nSubject: x\n"
		       "Content-Type: text/calendar; method=REQUEST\n\n%s",
		       ics);
	cal_render_request(pool, (const unsigned char *) msg, strlen(msg),
			   &render, &data, &size);
	assert_null(memchr(data, '\r', size));
	memset(&l, 0, sizeof(l));
	mime_foreach_leaf(pool, data, size, leaf_list_cb, &l);
	assert_string_equal(l.types,
			    "1 text/plain, 2 text/html, 3 text/calendar");
	assert_non_null(strstr(l.plain[0], "Agenda"));
	pool_destroy(&pool);
}

/* Long values are cut, at a character boundary. */
static void test_render_values_bounded(void **state)
{
	struct pool *pool = pool_create(4096);
	struct buffer big;
	struct imip_calendar *cal;
	const char *text, *html, *error;

	(void) state;
	buffer_init_pool(&big, pool, 0);
	for (int i = 0; i < 3000; i++)
		buffer_append_str(&big, "\xc3\xa9");
	buffer_append_c(&big, '\0');
	text = request(pool, "NEEDS-ACTION",
		       p_printf(pool,
				"ATTENDEE;CN=%s:mailto:x@example.test\r\n",
				big.data));
	assert_int_equal(imip_parse(pool, text, strlen(text), &cal, &error), 0);
	cal_render_bodies(pool, cal,
			  &(struct cal_summary){.intro = "Meeting request"},
			  &text, &html);
	assert_true(strlen(text) < 2 * CAL_RENDER_MAX_VALUE);
	assert_true(str_utf8_valid(text, strlen(text)));
	/* the name cut, the address whole */
	assert_non_null(strstr(
		text,
		"\xc3\xa9\xe2\x80\xa6 <x@example.test> (not answered yet)\n"));
	assert_non_null(
		strstr(html, "\xc3\xa9\xe2\x80\xa6 &lt;x@example.test&gt;"));
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
		cmocka_unit_test(test_when_in_zone),
		cmocka_unit_test(test_render_keeps_parts),
		cmocka_unit_test(test_render_values_bounded),
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
