/* The DAV namespace and request bodies, without a server. */
#include "dav-headers.h"
#include "dav-path.h"
#include "dav-xml.h"
#include "pool.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

static void test_path_kinds(void **state)
{
	static const struct {
		const char *target;
		enum dav_path_kind kind;
		const char *address, *collection, *resource;
	} cases[] = {
		{ "/dav", DAV_PATH_ROOT, NULL, NULL, NULL },
		{ "/dav/", DAV_PATH_ROOT, NULL, NULL, NULL },
		{ "/dav/principals/", DAV_PATH_PRINCIPALS, NULL, NULL, NULL },
		{ "/dav/principals/a@b.test/", DAV_PATH_PRINCIPAL, "a@b.test", NULL, NULL },
		{ "/dav/principals/a%40b.test", DAV_PATH_PRINCIPAL, "a@b.test", NULL, NULL },
		{ "/dav/calendars/a@b.test/", DAV_PATH_CAL_HOME, "a@b.test", NULL, NULL },
		{ "/dav/calendars/a@b.test/inbox/", DAV_PATH_SCHED_INBOX, "a@b.test", "inbox", NULL },
		{ "/dav/calendars/a@b.test/outbox", DAV_PATH_SCHED_OUTBOX, "a@b.test", "outbox", NULL },
		{ "/dav/calendars/a@b.test/calendar/", DAV_PATH_CALENDAR, "a@b.test", "calendar", NULL },
		{ "/dav/calendars/a@b.test/calendar/x%20y.ics", DAV_PATH_CAL_OBJECT,
		  "a@b.test", "calendar", "x y.ics" },
		{ "https://h.test:8443/dav/addressbooks/a@b.test/contacts/c.vcf?x=1",
		  DAV_PATH_CARD, "a@b.test", "contacts", "c.vcf" },
		{ "/dav/addressbooks/a@b.test/", DAV_PATH_CARD_HOME, "a@b.test", NULL, NULL },
	};
	struct pool *pool = pool_create(1024);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dav_path path;

		assert_int_equal(dav_path_parse(pool, cases[i].target, &path), 0);
		assert_int_equal(path.kind, cases[i].kind);
		if (cases[i].address != NULL)
			assert_string_equal(path.address, cases[i].address);
		if (cases[i].collection != NULL)
			assert_string_equal(path.collection, cases[i].collection);
		if (cases[i].resource != NULL)
			assert_string_equal(path.resource, cases[i].resource);
	}
	pool_destroy(&pool);
}

static void test_path_bad(void **state)
{
	static const char *const bad[] = {
		"/", "/davx", "/dav/../etc", "/dav/calendars/a/b/c/d",
		"/dav/calendars/a/%2Fx", "/dav/calendars/a/%0a", "/dav/calendars/a/%4",
		"/dav/other/", "/dav/calendars/a/inbox/x.ics", "/dav/principals/a/b",
	};
	struct pool *pool = pool_create(1024);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dav_path path;

		assert_int_equal(dav_path_parse(pool, bad[i], &path), -1);
	}
	pool_destroy(&pool);
}

static void test_path_href_roundtrip(void **state)
{
	struct pool *pool = pool_create(1024);
	struct dav_path path;
	const char *href = dav_path_href(pool, DAV_PATH_CAL_OBJECT, "a@b.test", "calendar",
					 "odd name#1.ics");

	(void)state;
	assert_string_equal(href, "/dav/calendars/a@b.test/calendar/odd%20name%231.ics");
	assert_int_equal(dav_path_parse(pool, href, &path), 0);
	assert_string_equal(path.resource, "odd name#1.ics");
	pool_destroy(&pool);
}

static void test_xml_propfind(void **state)
{
	static const char body[] =
		"<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\" "
		"xmlns:cs=\"http://calendarserver.org/ns/\"><d:prop><d:displayname/>"
		"<cs:getctag/><x:odd xmlns:x=\"urn:x\"/></d:prop></d:propfind>";
	struct pool *pool = pool_create(1024);
	struct dav_body b;
	const char *error;

	(void)state;
	assert_int_equal(dav_xml_parse(pool, body, strlen(body), &b, &error), 0);
	assert_int_equal(b.propfind, DAV_PROPFIND_PROP);
	assert_int_equal(b.prop_count, 3);
	assert_true(dav_prop_is(&b.props[1], DAV_NS_CS, "getctag"));
	assert_true(dav_prop_is(&b.props[2], "urn:x", "odd"));
	assert_int_equal(dav_xml_parse(pool, "", 0, &b, &error), 0);
	assert_int_equal(b.propfind, DAV_PROPFIND_ALLPROP);
	pool_destroy(&pool);
}

static void test_xml_query(void **state)
{
	static const char body[] =
		"<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
		"<D:prop><D:getetag/><C:calendar-data/></D:prop>"
		"<C:filter><C:comp-filter name=\"VCALENDAR\"><C:comp-filter name=\"VEVENT\">"
		"<C:time-range start=\"20261201T000000Z\" end=\"20270101T000000Z\"/>"
		"<C:prop-filter name=\"SUMMARY\"><C:text-match match-type=\"starts-with\">"
		"Team</C:text-match></C:prop-filter>"
		"</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>";
	struct pool *pool = pool_create(1024);
	struct dav_body b;
	const char *error;

	(void)state;
	assert_int_equal(dav_xml_parse(pool, body, strlen(body), &b, &error), 0);
	assert_int_equal(b.report, DAV_REPORT_CALENDAR_QUERY);
	assert_string_equal(b.comp_filter->name, "VCALENDAR");
	assert_int_equal(b.comp_filter->comp_count, 1);
	assert_true(b.comp_filter->comps[0].range.set);
	assert_int_equal(b.comp_filter->comps[0].range.start, 1796083200);
	assert_string_equal(b.comp_filter->comps[0].props[0].name, "SUMMARY");
	assert_int_equal(b.comp_filter->comps[0].props[0].texts[0].match,
			 DAV_MATCH_STARTS_WITH);
	pool_destroy(&pool);
}

static void test_xml_hostile(void **state)
{
	static const char *const bad[] = {
		"<a",
		"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><D:propfind xmlns:D=\"DAV:\">&a;</D:propfind>",
		"<D:sync-collection xmlns:D=\"DAV:\"><D:limit><D:nresults>0</D:nresults>"
		"</D:limit></D:sync-collection>",
		"<C:free-busy-query xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><C:time-range "
		"start=\"2026\"/></C:free-busy-query>",
		"<D:propfind xmlns:D=\"DAV:\"/>",
		"<D:propfind xmlns:D=\"DAV:\"><D:prop><bar:foo xmlns:bar=\"\"/></D:prop>"
		"</D:propfind>",
		"<D:propfind xmlns:D=\"DAV:\"><D:prop><nope:foo/></D:prop></D:propfind>",
	};
	struct pool *pool = pool_create(1024);
	struct dav_body b;
	const char *error;
	char *many;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dav_xml_parse(pool, bad[i], strlen(bad[i]), &b, &error), -1);
	/* more hrefs than a multiget may have */
	many = p_malloc(pool, 40 * (DAV_XML_MAX_HREFS + 2) + 200);
	len += (size_t)sprintf(many, "<C:calendar-multiget xmlns:D=\"DAV:\" "
			       "xmlns:C=\"urn:ietf:params:xml:ns:caldav\">");
	for (int i = 0; i <= DAV_XML_MAX_HREFS; i++)
		len += (size_t)sprintf(many + len, "<D:href>/x/%d</D:href>", i);
	len += (size_t)sprintf(many + len, "</C:calendar-multiget>");
	assert_int_equal(dav_xml_parse(pool, many, len, &b, &error), -1);
	pool_destroy(&pool);
}

static void test_headers(void **state)
{
	struct pool *pool = pool_create(1024);
	const char *user;
	char *password;

	(void)state;
	assert_int_equal(dav_depth_parse("0"), 0);
	assert_int_equal(dav_depth_parse("1"), 1);
	assert_int_equal(dav_depth_parse("Infinity"), DAV_DEPTH_INFINITY);
	assert_int_equal(dav_depth_parse(NULL), DAV_DEPTH_ABSENT);
	assert_int_equal(dav_depth_parse("2"), DAV_DEPTH_INVALID);
	assert_true(dav_etag_listed("\"1\", \"12\"", "\"12\""));
	assert_false(dav_etag_listed("\"123\"", "\"12\""));
	assert_false(dav_etag_listed("W/\"12\"", "\"12\""));
	assert_true(dav_etag_listed("*", "\"12\""));
	assert_false(dav_etag_listed("*", ""));
	assert_false(dav_etag_listed("", "\"12\""));
	/* "alice@example.test:pa:ss" */
	assert_true(dav_basic_parse(pool, "Basic YWxpY2VAZXhhbXBsZS50ZXN0OnBhOnNz",
				    &user, &password));
	assert_string_equal(user, "alice@example.test");
	assert_string_equal(password, "pa:ss");
	assert_false(dav_basic_parse(pool, "Bearer x", &user, &password));
	assert_false(dav_basic_parse(pool, "Basic !!!!", &user, &password));
	assert_false(dav_basic_parse(pool, "Basic OnBhc3M=", &user, &password)); /* ":pass" */
	assert_true(dav_brief("t", NULL));
	assert_true(dav_brief(NULL, "return=minimal"));
	assert_false(dav_brief("f", "return=representation"));
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_kinds),
		cmocka_unit_test(test_path_bad),
		cmocka_unit_test(test_path_href_roundtrip),
		cmocka_unit_test(test_xml_propfind),
		cmocka_unit_test(test_xml_query),
		cmocka_unit_test(test_xml_hostile),
		cmocka_unit_test(test_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
