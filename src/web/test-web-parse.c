/* Unit tests for the I/O-free parts of the web access: request parsing,
   routing, the HTML sanitiser, escaping and time zones. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "pool.h"
#include "web-html.h"
#include "web-parse.h"
#include "web-route.h"
#include "web-sanitize.h"
#include "web-tz.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static struct pool *pool;

static int setup(void **state)
{
	(void)state;
	pool = pool_create(4096);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pool_destroy(&pool);
	return 0;
}

static void test_form(void **state)
{
	struct web_form form;

	(void)state;
	assert_int_equal(web_form_parse(pool, "username=alice%40example.test&password=a+b%26c&&x",
					strlen("username=alice%40example.test&password=a+b%26c&&x"),
					&form), 0);
	assert_int_equal(form.count, 3);
	assert_string_equal(web_form_get(&form, "username"), "alice@example.test");
	assert_string_equal(web_form_get(&form, "password"), "a b&c");
	assert_string_equal(web_form_get(&form, "x"), "");
	assert_null(web_form_get(&form, "nope"));
	/* NUL, bad escapes and invalid UTF-8 are refused */
	assert_int_equal(web_form_parse(pool, "a=%00", 5, &form), -1);
	assert_int_equal(web_form_parse(pool, "a=%2", 4, &form), -1);
	assert_int_equal(web_form_parse(pool, "a=%zz", 5, &form), -1);
	assert_int_equal(web_form_parse(pool, "a=%C0%80", 8, &form), -1);
	assert_int_equal(web_form_parse(pool, "a=%E2%82%AC", 11, &form), 0);
	assert_string_equal(web_form_get(&form, "a"), "\xe2\x82\xac");
	/* newlines only in values */
	assert_int_equal(web_form_parse(pool, "a=x%0Ay", 7, &form), 0);
	assert_int_equal(web_form_parse(pool, "a%0A=x", 6, &form), -1);
}

static void test_form_limit(void **state)
{
	struct buffer b;
	struct web_form form;

	(void)state;
	buffer_init_pool(&b, pool, 0);
	for (int i = 0; i < WEB_FORM_MAX_FIELDS; i++)
		buffer_printf(&b, "f%d=%d&", i, i);
	assert_int_equal(web_form_parse(pool, b.data, b.used, &form), 0);
	buffer_append_str(&b, "one=more");
	assert_int_equal(web_form_parse(pool, b.data, b.used, &form), -1);
}

static void test_cookie(void **state)
{
	(void)state;
	assert_string_equal(web_cookie_get(pool, "a=1; __Host-infostore=abc; b=2",
					   "__Host-infostore"), "abc");
	assert_string_equal(web_cookie_get(pool, "x=\"q\"", "x"), "q");
	assert_string_equal(web_cookie_get(pool, "x=1; x=2", "x"), "1");
	assert_null(web_cookie_get(pool, "xx=1", "x"));
	assert_null(web_cookie_get(pool, "x", "x"));
	assert_null(web_cookie_get(pool, NULL, "x"));
	assert_null(web_cookie_get(pool, "x=a\\b", "x"));
	assert_string_equal(web_cookie_get(pool, ";;  x=  ;y=2", "y"), "2");
}

static void test_target(void **state)
{
	struct web_target t;

	(void)state;
	assert_int_equal(web_target_parse(pool, "/mail/12/7?before=5", &t), 0);
	assert_int_equal(t.segment_count, 3);
	assert_string_equal(t.segments[0], "mail");
	assert_string_equal(t.query, "before=5");
	assert_string_equal(t.path, "/mail/12/7");
	assert_int_equal(web_target_parse(pool, "/", &t), 0);
	assert_int_equal(t.segment_count, 0);
	assert_int_equal(web_target_parse(pool, "http://evil.test/item/x?y", &t), 0);
	assert_string_equal(t.path, "/item/x");
	assert_int_equal(web_target_parse(pool, "/a/../b", &t), -1);
	assert_int_equal(web_target_parse(pool, "/a/%2e%2e/b", &t), -1);
	assert_int_equal(web_target_parse(pool, "/a%2fb", &t), -1);
	assert_int_equal(web_target_parse(pool, "//a", &t), -1);
	assert_int_equal(web_target_parse(pool, "a", &t), -1);
	assert_int_equal(web_target_parse(pool, "/a b", &t), -1);
	assert_int_equal(web_target_parse(pool, "", &t), -1);
}

static void test_route(void **state)
{
	struct web_target t;
	struct web_route_match m;

	(void)state;
	assert_int_equal(web_target_parse(pool, "/item/abcdefghijklmnopqrstuvwxyz012345", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_ITEM);
	assert_string_equal(m.token, "abcdefghijklmnopqrstuvwxyz012345");
	assert_int_equal(web_target_parse(pool, "/item/short", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(web_target_parse(pool, "/mail/3/42/part/1.2", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_MESSAGE_PART);
	assert_int_equal(m.mailbox_id, 3);
	assert_int_equal(m.uid, 42);
	assert_string_equal(m.section, "1.2");
	assert_int_equal(web_target_parse(pool, "/mail/03/1", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(web_target_parse(pool, "/mail/3/4294967296", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(web_target_parse(pool, "/mail/3/1/part/1..2", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(web_target_parse(pool, "/", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_ROOT);
	/* contacts by store id; the words before the ids */
	assert_int_equal(web_target_parse(pool, "/contacts/17/edit", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_CONTACT_EDIT);
	assert_int_equal(m.contact_id, 17);
	assert_int_equal(m.methods, WEB_ROUTE_GET | WEB_ROUTE_POST);
	assert_int_equal(web_target_parse(pool, "/contacts/complete?q=an", &t),
			 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_CONTACT_COMPLETE);
	assert_int_equal(web_target_parse(pool, "/contacts/new", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_CONTACT_NEW);
	assert_int_equal(web_target_parse(pool, "/contacts/9/delete", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.methods, WEB_ROUTE_POST);
	assert_int_equal(web_target_parse(pool, "/contacts/0", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(web_target_parse(pool, "/contacts/x.vcf", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	assert_int_equal(
		web_target_parse(pool, "/contacts/9223372036854775808", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
	/* Settings: the page takes GET, each of its forms POST only */
	assert_int_equal(web_target_parse(pool, "/settings", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_SETTINGS);
	assert_int_equal(m.methods, WEB_ROUTE_GET);
	assert_int_equal(
		web_target_parse(pool, "/settings/sessions/end-all", &t), 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_SETTINGS_END_ALL);
	assert_int_equal(m.methods, WEB_ROUTE_POST);
	assert_int_equal(web_target_parse(pool, "/settings/apple-profile", &t),
			 0);
	assert_int_equal(web_route_find(&t, &m), 0);
	assert_int_equal(m.id, WEB_ROUTE_APPLE_PROFILE);
	assert_int_equal(web_target_parse(pool, "/settings/sessions", &t), 0);
	assert_int_equal(web_route_find(&t, &m), -1);
}

static void test_return_path(void **state)
{
	(void)state;
	assert_true(web_return_path_safe("/item/abc?x=1"));
	assert_false(web_return_path_safe("//evil.test/"));
	assert_false(web_return_path_safe("/\\evil.test"));
	assert_false(web_return_path_safe("https://evil.test/"));
	assert_false(web_return_path_safe("/\t/evil.test"));
	assert_false(web_return_path_safe(""));
	assert_false(web_return_path_safe(NULL));
}

static void test_token(void **state)
{
	(void)state;
	assert_true(web_token_valid("AAAAAAAAAAAAAAAA"));
	assert_false(web_token_valid("AAAAAAAAAAAAAAA"));
	assert_false(web_token_valid("AAAAAAAAAAAAAAAA="));
	assert_false(web_token_valid(NULL));
}

static void test_dates(void **state)
{
	int y, m, d, min;

	(void)state;
	assert_int_equal(web_parse_date("2026-11-24", &y, &m, &d), 0);
	assert_int_equal(y * 10000 + m * 100 + d, 20261124);
	assert_int_equal(web_parse_date("2026-02-29", &y, &m, &d), -1);
	assert_int_equal(web_parse_date("2028-02-29", &y, &m, &d), 0);
	assert_int_equal(web_parse_date("2026-13-01", &y, &m, &d), -1);
	assert_int_equal(web_parse_hhmm("09:30", &min), 0);
	assert_int_equal(min, 570);
	assert_int_equal(web_parse_hhmm("24:00", &min), -1);
	assert_int_equal(web_parse_hhmm("9:30", &min), -1);
}

static const char *sanitize(const char *html, bool remote, unsigned int *blocked_r)
{
	struct web_sanitize_settings set = { .allow_remote = remote };
	struct web_sanitize_result result;
	struct buffer out;

	buffer_init_pool(&out, pool, 0);
	web_sanitize_html(pool, html, strlen(html), &set, &out, &result);
	if (blocked_r != NULL)
		*blocked_r = result.remote_blocked;
	return out.data != NULL ? out.data : "";
}

static void test_sanitize(void **state)
{
	unsigned int blocked;
	const char *s;

	(void)state;
	assert_string_equal(sanitize("<p>Hi <b>there</b></p>", false, NULL),
			    "<p>Hi <b>there</b></p>");
	s = sanitize("<script>alert(1)</script><p onclick=\"x()\">t</p>", false, NULL);
	assert_string_equal(s, "<p>t</p>");
	s = sanitize("<img src=x onerror=alert(1)>", false, NULL);
	assert_null(strstr(s, "onerror"));
	s = sanitize("<a href=\"javascript:alert(1)\">x</a>", false, NULL);
	assert_null(strstr(s, "javascript"));
	s = sanitize("<a href=\"java&#x09;script&colon;alert(1)\">x</a>", false, NULL);
	assert_null(strstr(s, "href"));
	s = sanitize("<a href=\"https://example.test/?a=1&amp;b=2\">x</a>", false, NULL);
	assert_string_equal(s, "<a href=\"https://example.test/?a=1&amp;b=2\""
			    " target=\"_blank\" rel=\"noopener noreferrer\">x</a>");
	s = sanitize("<img src=\"https://tracker.test/p.gif\">", false, &blocked);
	assert_int_equal(blocked, 1);
	assert_null(strstr(s, "tracker"));
	s = sanitize("<img src=\"https://tracker.test/p.gif\">", true, &blocked);
	assert_non_null(strstr(s, "tracker"));
	s = sanitize("<style>body{background:url(https://x.test/)}</style>ok", false, NULL);
	assert_string_equal(s, "ok");
	s = sanitize("<div style=\"background:url(https://x.test/)\">a</div>", false, NULL);
	assert_string_equal(s, "<div>a</div>");
	s = sanitize("<div style=\"color:red\">a</div>", false, NULL);
	assert_string_equal(s, "<div style=\"color:red\">a</div>");
	/* unbalanced input gets closed; stray end tags vanish */
	assert_string_equal(sanitize("<div><p>x", false, NULL), "<div><p>x</p></div>");
	assert_string_equal(sanitize("x</div>y", false, NULL), "xy");
	/* text: lone '<' and '&' are escaped, entities kept */
	assert_string_equal(sanitize("a < b & c &amp; d &#169;", false, NULL),
			    "a &lt; b &amp; c &amp; d &#169;");
	assert_string_equal(sanitize("<!-- <script>x</script> -->y", false, NULL), "y");
	assert_string_equal(sanitize("<SCRIPT SRC=x></SCRIPT >z", false, NULL), "z");
	assert_string_equal(sanitize("<svg><script>alert(1)</script></svg>q", false, NULL), "q");
	assert_string_equal(sanitize("<p title='a\"b'>x</p>", false, NULL),
			    "<p title=\"a&quot;b\">x</p>");
	assert_string_equal(sanitize("<form action=x><input name=y></form>k", false, NULL), "k");
}

static void test_escape(void **state)
{
	struct buffer b;

	(void)state;
	buffer_init_pool(&b, pool, 0);
	html_printf(&b, "<a href=\"/x?q=%q\">%s</a>%S", "a b&c", "<i>\"'&\x01", "<br>");
	assert_string_equal(b.data, "<a href=\"/x?q=a%20b%26c\">&lt;i&gt;&quot;&#39;&amp;</a><br>");
}

static void test_tz(void **state)
{
	const struct web_tz *berlin, *ny;
	struct web_tz_rule rule;
	struct tm tm;
	const char *abbr;
	bool dst;

	(void)state;
	assert_int_equal(web_tz_rule_parse("CET-1CEST,M3.5.0,M10.5.0/3", &rule), 0);
	/* 2026-07-01 12:00 UTC is summer time; 2026-01-15 is not */
	assert_int_equal(web_tz_rule_offset(&rule, 1782907200, &dst), 7200);
	assert_true(dst);
	assert_int_equal(web_tz_rule_offset(&rule, 1768478400, &dst), 3600);
	assert_int_equal(web_tz_rule_parse("AEST-10AEDT,M10.1.0,M4.1.0/3", &rule), 0);
	assert_int_equal(web_tz_rule_offset(&rule, 1768478400, &dst), 11 * 3600);
	assert_int_equal(web_tz_rule_parse("<+0330>-3:30", &rule), 0);
	assert_int_equal(web_tz_rule_offset(&rule, 0, &dst), 12600);
	assert_int_equal(web_tz_rule_parse("X", &rule), -1);
	assert_int_equal(web_tz_rule_parse("CET-1CEST,M13.5.0,M10.5.0", &rule), -1);

	assert_false(web_tz_name_valid("../etc/passwd"));
	assert_false(web_tz_name_valid("/etc/passwd"));
	assert_true(web_tz_name_valid("America/Argentina/Cordoba"));
	berlin = web_tz_get("Europe/Berlin");
	ny = web_tz_get("America/New_York");
	if (berlin == NULL || ny == NULL) {
		skip();
		return;
	}
	/* 2026-11-24 09:00 UTC */
	web_tz_localtime(berlin, 1795510800, &tm, &abbr);
	assert_int_equal(tm.tm_hour, 10);
	assert_string_equal(abbr, "CET");
	web_tz_localtime(ny, 1795510800, &tm, &abbr);
	assert_int_equal(tm.tm_hour, 4);
	assert_string_equal(abbr, "EST");
	assert_int_equal(tm.tm_wday, 2);
	assert_int_equal(web_tz_mktime(berlin, 2026, 11, 24, 600), 1795510800);
	/* far future follows the footer rule: 2100-07-01 12:00 CEST */
	web_tz_localtime(berlin, 4118227200, &tm, &abbr);
	assert_string_equal(abbr, "CEST");
	assert_null(web_tz_get("Nowhere/Nothing"));
}

/* One client naming many zones (in its cookie) must not use up the zone
   cache for everyone else. */
static void test_tz_cache_not_exhausted(void **state)
{
	DIR *dir = opendir("/usr/share/zoneinfo/America");
	struct dirent *d;
	unsigned int tried = 0, loaded = 0;

	(void)state;
	if (dir == NULL || web_tz_get("America/New_York") == NULL) {
		if (dir != NULL)
			closedir(dir);
		skip();
		return;
	}
	while ((d = readdir(dir)) != NULL && tried < 120) {
		char name[300];

		snprintf(name, sizeof(name), "America/%s", d->d_name);
		if (d->d_type != DT_REG || !web_tz_name_valid(name))
			continue;
		tried++;
		if (web_tz_get(name) != NULL)
			loaded++;
	}
	closedir(dir);
	if (tried < 100) {
		skip();
		return;
	}
	assert_int_equal(loaded, tried);
	assert_non_null(web_tz_get("Pacific/Auckland"));
	assert_non_null(web_tz_get("Asia/Tokyo"));
}

static void test_multipart(void **state)
{
	static const char ct[] = "multipart/form-data; boundary=\"XyZ\"";
	static const char body[] =
		"--XyZ\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nbob@example.test\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nline 1\r\n--Xy line 2\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"C:\\tmp\\a.bin\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n"
		"--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n"
		"Content-Type: application/octet-stream\r\n\r\n\r\n"
		"--XyZ--\r\n";
	struct web_form form;
	struct web_upload *files;
	unsigned int count;
	char *bad;

	(void)state;
	assert_int_equal(web_multipart_parse(pool, ct, body, sizeof(body) - 1, 4, &form,
					     &files, &count), 0);
	assert_int_equal(form.count, 2);
	assert_string_equal(web_form_get(&form, "to"), "bob@example.test");
	assert_string_equal(web_form_get(&form, "body"), "line 1\r\n--Xy line 2");
	/* the empty file input is left out; the path is dropped */
	assert_int_equal(count, 1);
	assert_string_equal(files[0].filename, "a.bin");
	assert_string_equal(files[0].content_type, "application/octet-stream");
	assert_int_equal(files[0].size, 3);
	assert_memory_equal(files[0].data, "\x00\x01\xff", 3);
	/* over the file limit, cut short, a NUL in a text field, no boundary */
	assert_int_equal(web_multipart_parse(pool, ct, body, sizeof(body) - 1, 0, &form,
					     &files, &count), -1);
	for (size_t cut = 0; cut < sizeof(body) - 3; cut++)
		assert_int_equal(web_multipart_parse(pool, ct, body, cut, 4, &form, &files,
						     &count), -1);
	bad = p_strdup(pool, body);
	bad[strlen("--XyZ\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nbob")] = '\x01';
	assert_int_equal(web_multipart_parse(pool, ct, bad, strlen(bad), 4, &form, &files,
					     &count), -1);
	assert_int_equal(web_multipart_parse(pool, "multipart/form-data", body, sizeof(body) - 1,
					     4, &form, &files, &count), -1);
	assert_int_equal(web_multipart_parse(pool, "text/plain", body, sizeof(body) - 1,
					     4, &form, &files, &count), -1);
}

static const char linkify_text[] = "see https://a.test/x?y=1&z=2. <b> (http://b.test/p) "
	"xhttp://c.test https:// javascript:alert(1)";

static void test_linkify(void **state)
{
	struct buffer out;

	(void)state;
	buffer_init_pool(&out, pool, 0);
	html_escape_linkify(&out, linkify_text, sizeof(linkify_text) - 1);
	assert_string_equal(out.data,
		"see <a href=\"https://a.test/x?y=1&amp;z=2\" target=\"_blank\" rel=\"noopener noreferrer\">"
		"https://a.test/x?y=1&amp;z=2</a>. &lt;b&gt; (<a href=\"http://b.test/p\" target=\"_blank\""
		" rel=\"noopener noreferrer\">http://b.test/p</a>) xhttp://c.test https:// javascript:alert(1)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linkify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route, setup, teardown),
		cmocka_unit_test_setup_teardown(test_return_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tz_cache_not_exhausted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
