/*
 * lib-ical: parsing invitations in the shapes real clients send
 * (the .ics files in tests/data/imip), items, recurrence, REPLY and REQUEST.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char data_dir[1024];

static char *read_sample(struct pool *pool, const char *name)
{
	char path[1200];
	FILE *f;
	long size;
	char *data;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = p_malloc(pool, (size_t)size + 1);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return data;
}

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

static struct imip_calendar *parse_ok(struct pool *pool, const char *text)
{
	struct imip_calendar *cal;
	const char *error = NULL;

	if (imip_parse(pool, text, strlen(text), &cal, &error) < 0)
		fail_msg("parse failed: %s", error);
	return cal;
}

static void test_outlook(void **state)
{
	struct pool *pool = pool_create(4096);
	struct imip_calendar *cal = parse_ok(pool, read_sample(pool, "outlook-request.ics"));
	const struct imip_event *ev = cal->master;
	const struct imip_attendee *att;

	(void)state;
	assert_int_equal(cal->method, IMIP_METHOD_REQUEST);
	assert_string_equal(cal->prodid, "Microsoft Exchange Server 2010");
	assert_non_null(ev);
	assert_int_equal(cal->event_count, 1);
	assert_string_equal(ev->uid, "040000008200E00074C5B7101A82E00800000000D0A1B2C3D4E5DA01"
			    "000000000000000010000000A1B2C3D4E5F60718293A4B5C6D7E8F90");
	assert_int_equal(ev->sequence, 0);
	assert_int_equal(ev->dtstamp, utc(2026, 11, 24, 9, 12) + 44);
	assert_string_equal(ev->organizer, "olivia@contoso.example");
	assert_string_equal(ev->organizer_name, "Olivia Outlook");
	assert_string_equal(ev->summary, "Project kickoff");
	assert_string_equal(ev->location, "Room 4.01 (Berlin)");
	assert_non_null(strstr(ev->description, "Agenda:\n1. Scope\n"));
	assert_string_equal(ev->status, "CONFIRMED");
	/* 10:00 in W. Europe Standard Time in December is 09:00 UTC */
	assert_true(ev->start.set);
	assert_string_equal(ev->start.tzid, "W. Europe Standard Time");
	assert_true(ev->start.tz_known);
	assert_int_equal(ev->start.hour, 10);
	assert_int_equal(ev->start.utc, utc(2026, 12, 15, 9, 0));
	assert_int_equal(ev->end.utc, utc(2026, 12, 15, 10, 0));
	assert_int_equal(ev->attendee_count, 2);
	att = imip_event_find_attendee(ev, "ALICE@example.test");
	assert_non_null(att);
	assert_string_equal(att->name, "Alice Example");
	assert_string_equal(att->partstat, "NEEDS-ACTION");
	assert_string_equal(att->role, "REQ-PARTICIPANT");
	assert_true(att->rsvp);
	att = imip_event_find_attendee(ev, "carol@contoso.example");
	assert_string_equal(att->role, "OPT-PARTICIPANT");
	assert_null(imip_event_find_attendee(ev, "bob@example.test"));
	pool_destroy(&pool);
}

static void test_google_apple_thunderbird(void **state)
{
	struct pool *pool = pool_create(4096);
	struct imip_calendar *cal;
	const struct imip_attendee *att;

	(void)state;
	cal = parse_ok(pool, read_sample(pool, "google-request.ics"));
	assert_string_equal(cal->uid, "5k9q2c1v8m3n4b6v7c8x9z0a1s@google.com");
	/* 09:00 PST (-08:00) */
	assert_int_equal(cal->master->start.utc, utc(2026, 12, 1, 17, 0));
	assert_string_equal(cal->master->rrule, "FREQ=WEEKLY;BYDAY=TU");
	assert_string_equal(cal->master->recurrence_text, "Weekly on Tuesday");
	att = imip_event_find_attendee(cal->master, "grace@gmail.example");
	assert_string_equal(att->partstat, "ACCEPTED");
	assert_true(cal->master->location == NULL || *cal->master->location == '\0');

	cal = parse_ok(pool, read_sample(pool, "apple-request.ics"));
	assert_string_equal(cal->master->location, "Caf\xc3\xa9 de Flore, Paris");
	assert_string_equal(cal->master->organizer_name, "Anna Apple");
	assert_int_equal(cal->master->start.utc, utc(2026, 12, 10, 13, 30));
	att = imip_event_find_attendee(cal->master, "alice@example.test");
	assert_string_equal(att->name, "Alice Example");

	cal = parse_ok(pool, read_sample(pool, "thunderbird-request.ics"));
	assert_string_equal(cal->master->summary,
			    "\xc3\x9c" "bergabe Q4 \xe2\x80\x93 Stra\xc3\x9f" "e & Co");
	assert_int_equal(cal->master->start.utc, utc(2026, 12, 14, 13, 0));
	assert_string_equal(cal->master->organizer, "tom@thunderbird.example");
	att = imip_event_find_attendee(cal->master, "alice@example.test");
	assert_null(att->name);
	pool_destroy(&pool);
}

static void test_series_exception(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "series-exception.ics");
	struct imip_calendar *cal = parse_ok(pool, text);
	struct imip_item_info info;
	const char *ical, *error;

	(void)state;
	assert_int_equal(cal->event_count, 2);
	assert_non_null(cal->master);
	assert_true(cal->events[1].recurrence_id.set);
	assert_int_equal(cal->events[1].recurrence_id.utc, utc(2026, 12, 14, 8, 30));
	assert_string_equal(cal->master->recurrence_text, "Weekly on Monday, 4 times");
	assert_int_equal(cal->master->exdate_count, 1);

	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_null(strstr(ical, "METHOD"));
	assert_int_equal(imip_item_info(pool, ical, "alice@example.test", &info, &error), 0);
	assert_string_equal(info.uid, "series-4711@groupware.example");
	assert_int_equal(info.sequence, 2);
	assert_string_equal(info.partstat, "NEEDS-ACTION");
	assert_string_equal(info.status, "CONFIRMED");
	/* Dec 7, (Dec 14 moved to Dec 15), Dec 21 excluded, Dec 28 */
	assert_int_equal(info.dtstart, utc(2026, 12, 7, 8, 30));
	assert_int_equal(info.dtend, utc(2026, 12, 28, 8, 45));
	pool_destroy(&pool);
}

struct occ_list {
	struct imip_occurrence occ[16];
	unsigned int count;
};

static void occ_cb(void *context, const struct imip_occurrence *occ)
{
	struct occ_list *list = context;

	if (list->count < 16)
		list->occ[list->count++] = *occ;
}

static void test_expand(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "series-exception.ics");
	const char *ical, *error;
	struct occ_list list = { .count = 0 };
	struct imip_time rid = { .set = true, .utc = utc(2026, 12, 28, 8, 30) };

	(void)state;
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(imip_item_expand(pool, ical, utc(2026, 12, 1, 0, 0),
					  utc(2027, 1, 1, 0, 0), 100, occ_cb, &list, &error), 3);
	assert_int_equal(list.occ[0].start, utc(2026, 12, 7, 8, 30));
	assert_int_equal(list.occ[0].end, utc(2026, 12, 7, 8, 45));
	assert_int_equal(list.occ[1].start, utc(2026, 12, 15, 9, 30));
	assert_int_equal(list.occ[1].rid, utc(2026, 12, 14, 8, 30));
	assert_int_equal(list.occ[2].start, utc(2026, 12, 28, 8, 30));
	assert_false(list.occ[2].cancelled);

	/* a window that holds only the moved one */
	list.count = 0;
	assert_int_equal(imip_item_expand(pool, ical, utc(2026, 12, 15, 0, 0),
					  utc(2026, 12, 16, 0, 0), 100, occ_cb, &list, &error), 1);

	/* cancel one occurrence: it becomes an exception of its own */
	assert_int_equal(imip_item_cancel(pool, ical, &rid, 3, &ical, &error), 0);
	list.count = 0;
	assert_int_equal(imip_item_expand(pool, ical, utc(2026, 12, 1, 0, 0),
					  utc(2027, 1, 1, 0, 0), 100, occ_cb, &list, &error), 3);
	assert_true(list.occ[2].cancelled);
	assert_false(list.occ[0].cancelled);

	/* and not an occurrence: refused */
	rid.utc = utc(2026, 12, 29, 8, 30);
	assert_int_equal(imip_item_cancel(pool, ical, &rid, 3, &ical, &error), -1);
	pool_destroy(&pool);
}

static void test_partstat(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "series-exception.ics");
	const char *ical, *ical2, *error;
	struct imip_item_info info;
	struct imip_calendar *cal;
	struct imip_time rid = { .set = true, .utc = utc(2026, 12, 7, 8, 30) };

	(void)state;
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(imip_item_set_partstat(pool, ical, "Alice@Example.test", "ACCEPTED",
						NULL, &ical2, &error), 0);
	assert_int_equal(imip_item_info(pool, ical2, "alice@example.test", &info, &error), 0);
	assert_string_equal(info.partstat, "ACCEPTED");
	cal = parse_ok(pool, ical2);
	assert_string_equal(imip_event_find_attendee(&cal->events[1], "alice@example.test")->partstat,
			    "ACCEPTED");

	/* one occurrence: a new exception with that answer, the series keeps its own */
	assert_int_equal(imip_item_set_partstat(pool, ical2, "alice@example.test", "DECLINED",
						&rid, &ical2, &error), 0);
	cal = parse_ok(pool, ical2);
	assert_int_equal(cal->event_count, 3);
	assert_string_equal(imip_event_find_attendee(cal->master, "alice@example.test")->partstat,
			    "ACCEPTED");
	assert_string_equal(imip_event_find_attendee(&cal->events[2], "alice@example.test")->partstat,
			    "DECLINED");
	assert_int_equal(cal->events[2].start.utc, rid.utc);
	assert_int_equal(cal->events[2].end.utc, rid.utc + 15 * 60);
	assert_null(cal->events[2].rrule);

	assert_int_equal(imip_item_set_partstat(pool, ical, "mallory@example.test", "ACCEPTED",
						NULL, &ical2, &error), -1);
	assert_string_equal(error, "not an attendee");
	assert_int_equal(imip_item_set_partstat(pool, ical, "alice@example.test", "MAYBE",
						NULL, &ical2, &error), -1);
	pool_destroy(&pool);
}

static void test_update_only_occurrence(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "series-exception.ics");
	const char *ical, *error;
	const char *update =
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:REQUEST\r\n"
		"BEGIN:VEVENT\r\nUID:series-4711@groupware.example\r\nSEQUENCE:3\r\n"
		"DTSTAMP:20261125T090000Z\r\nRECURRENCE-ID:20261228T083000Z\r\n"
		"ORGANIZER:mailto:bob@example.test\r\n"
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:alice@example.test\r\n"
		"SUMMARY:Standup (last one, longer)\r\nDTSTART:20261228T083000Z\r\n"
		"DTEND:20261228T093000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	struct imip_calendar *cal;

	(void)state;
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(imip_item_from_request(pool, update, strlen(update), ical, &ical, &error), 0);
	cal = parse_ok(pool, ical);
	assert_int_equal(cal->event_count, 3);
	assert_non_null(cal->master);
	assert_string_equal(cal->master->summary, "Standup");
	pool_destroy(&pool);
}

static void test_reply(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "outlook-request.ics");
	const char *ical, *reply, *error;
	struct imip_reply_params params = {
		.attendee = "alice@example.test", .partstat = "ACCEPTED",
		.comment = "See you there", .now = utc(2026, 11, 24, 10, 0),
	};
	struct imip_calendar *cal;

	(void)state;
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(imip_reply_build(pool, ical, &params, &reply, &error), 0);
	cal = parse_ok(pool, reply);
	assert_int_equal(cal->method, IMIP_METHOD_REPLY);
	assert_int_equal(cal->event_count, 1);
	assert_int_equal(cal->master->attendee_count, 1);
	assert_string_equal(cal->master->attendees[0].address, "alice@example.test");
	assert_string_equal(cal->master->attendees[0].partstat, "ACCEPTED");
	assert_string_equal(cal->master->attendees[0].name, "Alice Example");
	assert_false(cal->master->attendees[0].rsvp);
	assert_string_equal(cal->master->organizer, "olivia@contoso.example");
	assert_string_equal(cal->master->summary, "Project kickoff");
	assert_string_equal(cal->master->comment, "See you there");
	assert_int_equal(cal->master->dtstamp, params.now);
	assert_int_equal(cal->master->start.utc, utc(2026, 12, 15, 9, 0));
	assert_string_equal(cal->master->start.tzid, "W. Europe Standard Time");
	assert_non_null(strstr(reply, "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time"));
	assert_non_null(strstr(reply, "SEQUENCE:0\r\n"));
	assert_non_null(strstr(reply, "PRODID:-//infostore//"));
	assert_null(strstr(reply, "carol@"));
	assert_null(strstr(reply, "VALARM"));

	params.attendee = "nobody@example.test";
	assert_int_equal(imip_reply_build(pool, ical, &params, &reply, &error), -1);
	pool_destroy(&pool);
}

static void test_reply_occurrence(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *text = read_sample(pool, "google-request.ics");
	const char *ical, *reply, *error;
	/* the third Tuesday, 09:00 PST */
	struct imip_time rid = { .set = true, .utc = utc(2026, 12, 15, 17, 0) };
	struct imip_reply_params params = {
		.attendee = "alice@example.test", .partstat = "TENTATIVE",
		.rid = &rid, .now = utc(2026, 11, 24, 10, 0),
	};
	struct imip_calendar *cal;

	(void)state;
	assert_int_equal(imip_item_from_request(pool, text, strlen(text), NULL, &ical, &error), 0);
	assert_int_equal(imip_reply_build(pool, ical, &params, &reply, &error), 0);
	cal = parse_ok(pool, reply);
	assert_true(cal->events[0].recurrence_id.set);
	assert_int_equal(cal->events[0].recurrence_id.utc, rid.utc);
	assert_string_equal(cal->events[0].recurrence_id.tzid, "America/Los_Angeles");
	assert_int_equal(cal->events[0].start.utc, rid.utc);
	assert_int_equal(cal->events[0].end.utc, rid.utc + 1800);
	assert_null(cal->events[0].rrule);
	assert_non_null(strstr(reply, "RECURRENCE-ID;TZID=America/Los_Angeles:20261215T090000"));
	pool_destroy(&pool);
}

static void test_request_build(void **state)
{
	struct pool *pool = pool_create(4096);
	const struct imip_request_attendee atts[] = {
		{ "alice@example.test", "Alice Example" }, { "carol@contoso.example", NULL },
	};
	struct imip_request_params params = {
		.uid = "uid-1@mail.example.test", .now = utc(2026, 11, 24, 10, 0),
		.summary = "Budget\r\nBcc: injected", .location = "Room 2",
		.start = utc(2027, 1, 12, 9, 0), .end = utc(2027, 1, 12, 10, 0),
		.tzid = "Europe/Berlin", .organizer = "bob@example.test",
		.organizer_name = "Bob Example", .attendees = atts, .attendee_count = 2,
	};
	const char *request, *item, *error;
	struct imip_calendar *cal;

	(void)state;
	assert_int_equal(imip_request_build(pool, &params, &request, &item, &error), 0);
	cal = parse_ok(pool, request);
	assert_int_equal(cal->method, IMIP_METHOD_REQUEST);
	assert_int_equal(cal->master->start.utc, params.start);
	assert_string_equal(cal->master->start.tzid, "Europe/Berlin");
	assert_int_equal(cal->master->start.hour, 10);
	assert_int_equal(cal->master->attendee_count, 2);
	assert_string_equal(cal->master->attendees[0].partstat, "NEEDS-ACTION");
	assert_true(cal->master->attendees[0].rsvp);
	assert_string_equal(cal->master->summary, "Budget\nBcc: injected");
	assert_non_null(strstr(request, "TZID:Europe/Berlin\r\n"));
	cal = parse_ok(pool, item);
	assert_int_equal(cal->method, IMIP_METHOD_NONE);
	assert_int_equal(cal->master->start.utc, params.start);

	/* an unknown or unsafe zone: UTC */
	params.tzid = "../../etc/passwd";
	assert_int_equal(imip_request_build(pool, &params, &request, &item, &error), 0);
	assert_non_null(strstr(request, "DTSTART:20270112T090000Z"));
	params.end = params.start - 1;
	assert_int_equal(imip_request_build(pool, &params, &request, &item, &error), -1);
	pool_destroy(&pool);
}

static void expect_error(const char *text, const char *error_part)
{
	struct pool *pool = pool_create(1024);
	struct imip_calendar *cal;
	const char *error = NULL;

	assert_int_equal(imip_parse(pool, text, strlen(text), &cal, &error), -1);
	assert_non_null(error);
	if (strstr(error, error_part) == NULL)
		fail_msg("error '%s' does not say '%s'", error, error_part);
	pool_destroy(&pool);
}

static void test_malformed(void **state)
{
	struct pool *pool = pool_create(1024);
	struct buffer buf;
	struct imip_calendar *cal;
	const char *error;
	const char *hostile_tz =
		"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x\r\n"
		"DTSTART;TZID=../../../../../../dev/zero:20261201T100000\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";

	(void)state;
	expect_error("", "not iCalendar");
	expect_error("hello world", "");
	expect_error("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "no VEVENT");
	expect_error("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
		     "END:VCALENDAR\r\n", "without UID");
	expect_error("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n"
		     "BEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "several UIDs");
	expect_error("BEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\n", "VCALENDAR");

	buffer_init(&buf, 0);
	for (int i = 0; i < 50; i++)
		buffer_append_str(&buf, "BEGIN:VCALENDAR\r\n");
	expect_error(buf.data, "nested");
	buffer_reset(&buf);
	buffer_append_str(&buf, "BEGIN:VCALENDAR\r\n");
	while (buf.used <= IMIP_MAX_SIZE)
		buffer_append_str(&buf, "X-FILLER:0123456789012345678901234567890123456789\r\n");
	expect_error(buf.data, "too big");
	buffer_free(&buf);

	/* a TZID inside a VTIMEZONE naming that zone (found by fuzz-imip: the
	   walk over the VTIMEZONE's properties restarted for ever) */
	{
		const char *nested =
			"BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Zone/A\r\n"
			"DTSTART;TZID=Zone/A:20261201T100000\r\n"
			"BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\n"
			"TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
			"BEGIN:VEVENT\r\nUID:n\r\nDTSTART;TZID=Zone/A:20261201T100000\r\n"
			"END:VEVENT\r\nEND:VCALENDAR\r\n";

		assert_int_equal(imip_parse(pool, nested, strlen(nested), &cal, &error), 0);
		assert_int_equal(cal->master->start.utc, utc(2026, 12, 1, 9, 0));
	}
	/* a TZID that would be a path is dropped: the time is floating */
	assert_int_equal(imip_parse(pool, hostile_tz, strlen(hostile_tz), &cal, &error), 0);
	assert_null(cal->master->start.tzid);
	assert_true(cal->master->start.floating);
	assert_int_equal(cal->master->start.utc, utc(2026, 12, 1, 10, 0));
	pool_destroy(&pool);
}

/* RFC 5545 3.1: a line may be folded after any octet; every fold of the
   ATTENDEE line must give the same attendee. */
static void test_folding_everywhere(void **state)
{
	const char *line = "ATTENDEE;CN=\"M\xc3\xbcller, Jos\xc3\xa9\";PARTSTAT=TENTATIVE;"
		"RSVP=TRUE:mailto:jose@example.test";
	size_t len = strlen(line);

	(void)state;
	for (size_t split = 1; split < len; split++) {
		struct pool *pool = pool_create(1024);
		char *text = p_printf(pool, "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n"
				      "BEGIN:VEVENT\r\nUID:u\r\nDTSTART:20261201T100000Z\r\n"
				      "%.*s\r\n %s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
				      (int)split, line, line + split);
		struct imip_calendar *cal = parse_ok(pool, text);
		const struct imip_attendee *att = imip_event_find_attendee(cal->master,
									   "jose@example.test");

		assert_non_null(att);
		assert_string_equal(att->name, "M\xc3\xbcller, Jos\xc3\xa9");
		assert_string_equal(att->partstat, "TENTATIVE");
		assert_true(att->rsvp);
		pool_destroy(&pool);
	}
}

static void test_recur_text_and_times(void **state)
{
	struct pool *pool = pool_create(1024);
	const char *text =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\nDTSTART;VALUE=DATE:20261224\r\n"
		"RRULE:FREQ=YEARLY;UNTIL=20301224\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	struct imip_calendar *cal = parse_ok(pool, text);
	struct imip_time t = cal->master->start;

	(void)state;
	assert_true(t.all_day);
	assert_int_equal(cal->master->end.utc, utc(2026, 12, 25, 0, 0));
	assert_string_equal(cal->master->recurrence_text, "Yearly, until Tuesday, 24 December 2030");
	assert_string_equal(imip_time_format_local(pool, &t), "Thursday, 24 December 2026");
	assert_string_equal(imip_time_format_utc(pool, utc(2026, 12, 15, 9, 0), false),
			    "Tuesday, 15 December 2026, 09:00");
	assert_string_equal(imip_time_format_iso(pool, utc(2026, 12, 15, 9, 0), false),
			    "2026-12-15T09:00:00Z");
	assert_int_equal(imip_method_parse("request"), IMIP_METHOD_REQUEST);
	assert_int_equal(imip_method_parse("X-FOO"), IMIP_METHOD_OTHER);
	assert_int_equal(imip_method_parse(NULL), IMIP_METHOD_NONE);
	pool_destroy(&pool);
}

/* An instant in a reader's zone: summer and winter time, the date line,
   and names that are not zones (paths above all) refused. */
static void test_time_in_zone(void **state)
{
	struct pool *pool = pool_create(1024);
	struct imip_time t;

	(void) state;
	assert_int_equal(imip_time_in_zone(pool, utc(2026, 12, 3, 9, 0),
					   "Europe/Berlin", &t),
			 0);
	assert_true(t.set && t.tz_known && !t.floating && !t.all_day);
	assert_string_equal(t.tzid, "Europe/Berlin");
	assert_int_equal(t.utc, utc(2026, 12, 3, 9, 0));
	assert_string_equal(imip_time_format_local(pool, &t),
			    "Thursday, 3 December 2026, 10:00");
	assert_int_equal(imip_time_in_zone(pool, utc(2027, 7, 15, 8, 0),
					   "Europe/Berlin", &t),
			 0);
	assert_int_equal(t.hour, 10);
	assert_int_equal(imip_time_in_zone(pool, utc(2026, 12, 31, 20, 30),
					   "Pacific/Auckland", &t),
			 0);
	assert_string_equal(imip_time_format_local(pool, &t),
			    "Friday, 1 January 2027, 09:30");
	assert_int_equal(
		imip_time_in_zone(pool, utc(2026, 12, 3, 9, 0), "UTC", &t), 0);
	assert_string_equal(t.tzid, "UTC");
	assert_int_equal(t.hour, 9);

	t.hour = 77;
	for (const char *const *bad =
		     (const char *const[]){"Mars/Olympus", "../../etc/passwd",
					   "/etc/localtime",
					   "/usr/share/zoneinfo/Europe/Berlin",
					   "", NULL};
	     *bad != NULL; bad++) {
		assert_false(imip_zone_known(*bad));
		assert_int_equal(imip_time_in_zone(pool, 0, *bad, &t), -1);
	}
	assert_false(imip_zone_known(NULL));
	assert_int_equal(t.hour, 77); /* untouched */
	assert_true(imip_zone_known("America/Argentina/Cordoba"));
	pool_destroy(&pool);
}

/* A rule that would run for ever, and one that repeats every second:
   both stop quickly. */
static void test_hostile_rules(void **state)
{
	struct pool *pool = pool_create(1024);
	const char *text =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:r\r\nDTSTART:19000101T000000Z\r\n"
		"RRULE:FREQ=DAILY;UNTIL=25001231T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	const char *secondly =
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:s\r\nDTSTART:20260101T000000Z\r\n"
		"RRULE:FREQ=SECONDLY;BYMONTH=12\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
	struct imip_item_info info;
	struct occ_list list = { .count = 0 };
	const char *error;
	time_t start = time(NULL);

	(void)state;
	assert_int_equal(imip_item_info(pool, text, "a@b", &info, &error), 0);
	assert_int_equal(info.dtend, 0); /* too many to walk: no known end */
	assert_int_equal(imip_item_info(pool, secondly, "a@b", &info, &error), 0);
	assert_true(imip_item_expand(pool, secondly, 0, utc(2030, 1, 1, 0, 0), 10,
				     occ_cb, &list, &error) >= 1);
	assert_true(time(NULL) - start < 10);
	pool_destroy(&pool);
}

/* Occurrences of a series from DTSTART 2026-01-05 09:00Z with rule in
   [from, to). */
static int expand_rule(struct pool *pool, const char *rule, time_t from, time_t to,
		       struct occ_list *list)
{
	const char *error;
	const char *ical = p_printf(pool,
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:n\r\nDTSTART:20260105T090000Z\r\n"
		"DTEND:20260105T100000Z\r\nRRULE:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", rule);

	list->count = 0;
	return imip_item_expand(pool, ical, from, to, 100, occ_cb, list, &error);
}

/* Rules that never match: libical walks them day by day to the year 2582
   (about a second each, on the event loop, for every agenda page). They
   give DTSTART alone, at once; rules that do match are not touched. */
static void test_rules_that_never_match(void **state)
{
	static const char *const never[] = {
		"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2",
		"FREQ=MONTHLY;BYMONTHDAY=-30;BYMONTH=2",
		"FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31;UNTIL=99991231T000000Z",
		"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6",
		"FREQ=YEARLY;BYYEARDAY=1;BYMONTH=2",
		"FREQ=DAILY;BYYEARDAY=-1;BYMONTH=11",
	};
	struct pool *pool = pool_create(4096);
	struct occ_list list = { .count = 0 };
	clock_t start = clock();

	(void)state;
	for (size_t i = 0; i < sizeof(never) / sizeof(*never); i++) {
		/* the window of DTSTART has DTSTART, a later one nothing */
		assert_int_equal(expand_rule(pool, never[i], utc(2026, 1, 1, 0, 0),
					     utc(2026, 2, 1, 0, 0), &list), 1);
		assert_int_equal(list.occ[0].start, utc(2026, 1, 5, 9, 0));
		assert_int_equal(expand_rule(pool, never[i], utc(2026, 11, 1, 0, 0),
					     utc(2026, 12, 1, 0, 0), &list), 0);
	}
	/* seconds of CPU each without the check */
	assert_true(clock() - start < 2 * CLOCKS_PER_SEC);

	/* the same shapes that can match still do */
	assert_int_equal(expand_rule(pool, "FREQ=MONTHLY;BYMONTHDAY=31", utc(2026, 2, 1, 0, 0),
				     utc(2027, 1, 1, 0, 0), &list), 6);
	assert_int_equal(expand_rule(pool, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
				     utc(2026, 2, 1, 0, 0), utc(2033, 1, 1, 0, 0), &list), 2);
	assert_int_equal(list.occ[0].start, utc(2028, 2, 29, 9, 0));
	assert_int_equal(expand_rule(pool, "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
				     utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), &list), 12);
	assert_int_equal(list.occ[0].start, utc(2027, 1, 29, 9, 0));
	assert_int_equal(expand_rule(pool, "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=5",
				     utc(2026, 2, 1, 0, 0), utc(2027, 1, 1, 0, 0), &list), 4);
	assert_int_equal(expand_rule(pool, "FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYSETPOS=-1",
				     utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), &list), 1);
	assert_int_equal(list.occ[0].start, utc(2027, 3, 28, 9, 0));
	assert_int_equal(expand_rule(pool, "FREQ=YEARLY;BYYEARDAY=60",
				     utc(2026, 2, 1, 0, 0), utc(2029, 1, 1, 0, 0), &list), 3);
	assert_int_equal(list.occ[2].start, utc(2028, 2, 29, 9, 0));
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outlook),
		cmocka_unit_test(test_google_apple_thunderbird),
		cmocka_unit_test(test_series_exception),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_partstat),
		cmocka_unit_test(test_update_only_occurrence),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_reply_occurrence),
		cmocka_unit_test(test_request_build),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_folding_everywhere),
		cmocka_unit_test(test_recur_text_and_times),
		cmocka_unit_test(test_time_in_zone),
		cmocka_unit_test(test_hostile_rules),
		cmocka_unit_test(test_rules_that_never_match),
	};
	const char *srcdir = getenv("INFOSTORE_SRCDIR");
	int ret;

	snprintf(data_dir, sizeof(data_dir), "%s/tests/data/imip",
		 srcdir != NULL ? srcdir : ".");
	imip_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	imip_deinit();
	return ret;
}
