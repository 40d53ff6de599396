/* Unit tests for web-autoconfig.c: the Autodiscover request reader (fed
   whole and cut at every offset), and the renderers with and without a
   submission service, which the server cannot be configured with yet. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "conf.h"
#include "pool.h"
#include "secret.h"
#include "web-autoconfig.h"

#include <string.h>

static struct pool *pool;

static int setup(void **state)
{
	(void)state;
	secret_init();
	pool = pool_create(4096);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pool_destroy(&pool);
	return 0;
}

static const char ad_request[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"
	"<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\r\n"
	"  <Request>\r\n"
	"    <EMailAddress>alice@example.test</EMailAddress>\r\n"
	"    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\r\n"
	"  </Request>\r\n"
	"</Autodiscover>\r\n";

/* a server with everything but submission */
static void sample(struct web_autoconfig *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->mail_host = "mail.example.test";
	ac->imaps_port = 993;
	ac->imap_port = 143;
	ac->pop3s_port = 995;
	ac->pop3_port = 110;
	ac->dav_host = "mail.example.test";
	ac->dav_port = 8443;
	ac->dav_tls = true;
	ac->dav_path = "/dav/";
}

static void test_domain_valid(void **state)
{
	(void)state;
	assert_true(web_autoconfig_domain_valid("example.test"));
	assert_true(web_autoconfig_domain_valid("a-b.Example.TEST"));
	assert_true(web_autoconfig_domain_valid("localhost"));
	assert_false(web_autoconfig_domain_valid(""));
	assert_false(web_autoconfig_domain_valid(".example.test"));
	assert_false(web_autoconfig_domain_valid("example.test."));
	assert_false(web_autoconfig_domain_valid("a..b"));
	assert_false(web_autoconfig_domain_valid("-a.b"));
	assert_false(web_autoconfig_domain_valid("a-.b"));
	assert_false(web_autoconfig_domain_valid("a_b.test"));
	assert_false(web_autoconfig_domain_valid("a b.test"));
	assert_false(web_autoconfig_domain_valid("<x>.test"));
	assert_string_equal(web_autoconfig_parent_domain(pool, "mail.example.test"),
			    "example.test");
	assert_string_equal(web_autoconfig_parent_domain(pool, "example.test"),
			    "example.test");
	assert_string_equal(web_autoconfig_parent_domain(pool, "localhost"), "localhost");
}

static void test_ad_read(void **state)
{
	const char *address, *schema;

	(void)state;
	assert_int_equal(web_autoconfig_autodiscover_read(pool, ad_request,
							  strlen(ad_request),
							  &address, &schema), 0);
	assert_string_equal(address, "alice@example.test");
	assert_string_equal(schema, WEB_AUTOCONFIG_OUTLOOK_SCHEMA);

	/* a prefix, attributes, whitespace, an entity; no schema */
#define AD(body) web_autoconfig_autodiscover_read(pool, body, strlen(body), &address, &schema)
	assert_int_equal(AD("<a:Request><a:EMailAddress xmlns:a=\"x\">\n bob+x&amp;y@example.test\n"
			    "</a:EMailAddress></a:Request>"), 0);
	assert_string_equal(address, "bob+x&y@example.test");
	assert_null(schema);
	/* the first EMailAddress element counts, not a longer name */
	assert_int_equal(AD("<EMailAddressX>x@y</EMailAddressX><EMailAddress>a@b</EMailAddress>"), 0);
	assert_string_equal(address, "a@b");

	assert_int_equal(AD(""), -1);
	assert_int_equal(AD("<Request></Request>"), -1);
	assert_int_equal(AD("<EMailAddress/>"), -1);
	assert_int_equal(AD("<EMailAddress></EMailAddress>"), -1);
	assert_int_equal(AD("<EMailAddress>not an address</EMailAddress>"), -1);
	assert_int_equal(AD("<EMailAddress>a&#64;b</EMailAddress>"), -1);
	assert_int_equal(AD("<EMailAddress>a&bogus;@b</EMailAddress>"), -1);
	assert_int_equal(AD("<EMailAddress>a@b"), -1);
	assert_int_equal(AD("<EMailAddress"), -1);
	assert_int_equal(AD("<"), -1);
	assert_int_equal(AD("</EMailAddress>a@b</EMailAddress>"), -1);
#undef AD
	{
		/* a NUL inside the text */
		static const char nul[] = "<EMailAddress>a\0@b</EMailAddress>";

		assert_int_equal(web_autoconfig_autodiscover_read(pool, nul, sizeof(nul) - 1,
								  &address, &schema), -1);
	}
	{
		/* over the limit, even when valid */
		size_t size = WEB_AUTOCONFIG_MAX_REQUEST + 1;
		char *big = p_malloc(pool, size + 1);

		memset(big, ' ', size);
		memcpy(big, ad_request, strlen(ad_request));
		assert_int_equal(web_autoconfig_autodiscover_read(pool, big, size,
								  &address, &schema), -1);
	}
}

/* Cut at every offset: never reads past the end, and only a cut after
   the address's closing '<' can succeed. */
static void test_ad_read_truncated(void **state)
{
	const char *address, *schema;
	size_t len = strlen(ad_request);
	const char *end = strstr(ad_request, "</EMailAddress>");

	(void)state;
	for (size_t i = 0; i <= len; i++) {
		char *copy = p_malloc(pool, i + 1);
		int ret;

		memcpy(copy, ad_request, i);
		ret = web_autoconfig_autodiscover_read(pool, copy, i, &address, &schema);
		if (i <= (size_t)(end - ad_request)) {
			assert_int_equal(ret, -1);
		} else {
			assert_int_equal(ret, 0);
			assert_string_equal(address, "alice@example.test");
		}
	}
}

static void test_thunderbird(void **state)
{
	struct web_autoconfig ac;
	struct buffer out;

	(void)state;
	sample(&ac);
	buffer_init(&out, 0);
	web_autoconfig_thunderbird(&ac, "example.test", &out);
	assert_non_null(strstr(out.data, "<emailProvider id=\"example.test\">"));
	assert_non_null(strstr(out.data, "<incomingServer type=\"imap\">\n"
			       "      <hostname>mail.example.test</hostname>\n"
			       "      <port>993</port>\n"
			       "      <socketType>SSL</socketType>\n"));
	assert_non_null(strstr(out.data, "<port>143</port>\n      <socketType>STARTTLS"));
	assert_non_null(strstr(out.data, "<port>110</port>\n      <socketType>STARTTLS"));
	/* implicit TLS first, IMAP before POP3 */
	assert_true(strstr(out.data, "<port>993</port>") < strstr(out.data, "<port>143</port>"));
	assert_true(strstr(out.data, "<port>143</port>") < strstr(out.data, "<port>995</port>"));
	assert_null(strstr(out.data, "outgoingServer"));
	assert_non_null(strstr(out.data, "<serverURL>https://mail.example.test:8443/dav/</serverURL>"));

	/* with submission, the outgoing servers appear */
	buffer_reset(&out);
	ac.submissions_port = 465;
	ac.submission_port = 587;
	ac.dav_port = 443;
	web_autoconfig_thunderbird(&ac, "example.test", &out);
	assert_non_null(strstr(out.data, "<outgoingServer type=\"smtp\">\n"
			       "      <hostname>mail.example.test</hostname>\n"
			       "      <port>465</port>\n"
			       "      <socketType>SSL</socketType>\n"));
	assert_non_null(strstr(out.data, "<port>587</port>\n      <socketType>STARTTLS"));
	assert_non_null(strstr(out.data, "<serverURL>https://mail.example.test/dav/</serverURL>"));

	/* no web access: no DAV hints */
	buffer_reset(&out);
	ac.dav_host = NULL;
	web_autoconfig_thunderbird(&ac, "example.test", &out);
	assert_null(strstr(out.data, "serverURL"));
	buffer_free(&out);
}

/* The Settings page's help: every service as it is offered, escaped. */
static void test_help(void **state)
{
	struct web_autoconfig ac;
	struct buffer out;

	(void) state;
	sample(&ac);
	buffer_init(&out, 0);
	web_autoconfig_help(&ac, "a<b@example.test", &out);
	assert_non_null(
		strstr(out.data, "<strong>a&lt;b@example.test</strong>"));
	assert_non_null(strstr(
		out.data,
		"<dt>IMAP (incoming mail)</dt><dd>server <strong>"
		"mail.example.test</strong>, port <strong>993</strong> with SSL/TLS;"
		" or port <strong>143</strong> with STARTTLS</dd>"));
	assert_non_null(
		strstr(out.data,
		       "<dt>SMTP (outgoing mail)</dt><dd><span class=\"hint\">"
		       "not offered here</span></dd>"));
	assert_non_null(strstr(
		out.data, "<code>https://mail.example.test:8443/dav/calendars/"
			  "a&lt;b@example.test/</code>"));
	assert_non_null(strstr(
		out.data, "/dav/addressbooks/a&lt;b@example.test/</code>"));

	buffer_reset(&out);
	ac.submission_port = 587;
	ac.imaps_port = 0;
	ac.dav_host = NULL;
	web_autoconfig_help(&ac, "a@example.test", &out);
	assert_non_null(strstr(
		out.data,
		"<dt>SMTP (outgoing mail)</dt><dd>server <strong>"
		"mail.example.test</strong>, port <strong>587</strong> with STARTTLS</dd>"));
	assert_non_null(strstr(
		out.data,
		"<dt>IMAP (incoming mail)</dt><dd>server <strong>"
		"mail.example.test</strong>, port <strong>143</strong> with STARTTLS</dd>"));
	assert_null(strstr(out.data, "CalDAV"));
	buffer_free(&out);
}

static void test_autodiscover(void **state)
{
	struct web_autoconfig ac;
	struct buffer out;

	(void)state;
	sample(&ac);
	ac.imaps_port = 0;
	buffer_init(&out, 0);
	web_autoconfig_autodiscover(&ac, "a<b@example.test", &out);
	/* only the STARTTLS listener: Encryption TLS */
	assert_non_null(strstr(out.data, "<Type>IMAP</Type>\n"
			       "        <Server>mail.example.test</Server>\n"
			       "        <Port>143</Port>\n"));
	assert_non_null(strstr(out.data, "<LoginName>a&lt;b@example.test</LoginName>"));
	assert_non_null(strstr(out.data, "<Encryption>TLS</Encryption>"));
	assert_non_null(strstr(out.data, "<Port>995</Port>"));
	assert_null(strstr(out.data, "<Port>110</Port>"));
	assert_null(strstr(out.data, "SMTP"));
	buffer_reset(&out);
	ac.submission_port = 587;
	web_autoconfig_autodiscover(&ac, "a@example.test", &out);
	assert_non_null(strstr(out.data, "<Type>SMTP</Type>"));
	buffer_reset(&out);
	web_autoconfig_autodiscover_error(600, "Invalid Request", &out);
	assert_non_null(strstr(out.data, "<ErrorCode>600</ErrorCode>"));
	buffer_free(&out);
}

static void test_apple_profile(void **state)
{
	struct web_autoconfig ac;
	struct buffer out, again;

	(void)state;
	sample(&ac);
	buffer_init(&out, 0);
	buffer_init(&again, 0);
	web_autoconfig_apple_profile(&ac, "alice@example.test", &out);
	assert_non_null(strstr(out.data, "<string>com.apple.caldav.account</string>"));
	assert_non_null(strstr(out.data, "<string>com.apple.carddav.account</string>"));
	assert_non_null(strstr(out.data, "<key>CalDAVPrincipalURL</key>\n"
			       "      <string>/dav/principals/alice@example.test/</string>"));
	assert_non_null(strstr(out.data, "<key>CardDAVPort</key>\n      <integer>8443</integer>"));
	assert_non_null(strstr(out.data, "<string>test.example.mail.infostore.alice-example-test</string>"));
	/* no outgoing server, so no Mail payload: Apple requires one */
	assert_null(strstr(out.data, "com.apple.mail.managed"));
	assert_null(strstr(out.data, "Password</key>"));
	/* random UUIDs: two downloads differ only there */
	web_autoconfig_apple_profile(&ac, "alice@example.test", &again);
	assert_int_equal(out.used, again.used);
	assert_memory_not_equal(out.data, again.data, out.used);

	buffer_reset(&out);
	ac.submissions_port = 465;
	web_autoconfig_apple_profile(&ac, "alice@example.test", &out);
	assert_non_null(strstr(out.data, "<string>com.apple.mail.managed</string>"));
	assert_non_null(strstr(out.data, "<key>OutgoingMailServerPortNumber</key>\n"
			       "      <integer>465</integer>"));
	assert_non_null(strstr(out.data, "<key>IncomingMailServerPortNumber</key>\n"
			       "      <integer>993</integer>"));
	assert_null(strstr(out.data, "<key>IncomingPassword</key>"));
	buffer_free(&out);
	buffer_free(&again);
}

static void test_dns(void **state)
{
	struct web_autoconfig ac;
	struct buffer out;

	(void)state;
	sample(&ac);
	buffer_init(&out, 0);
	web_autoconfig_dns(&ac, "example.test", &out);
	assert_non_null(strstr(out.data, "\n_imaps._tcp.example.test. 3600 IN SRV 0 1 993 mail.example.test.\n"));
	assert_non_null(strstr(out.data, "\n_pop3._tcp.example.test. 3600 IN SRV 30 1 110 mail.example.test.\n"));
	assert_non_null(strstr(out.data, "\n_submission._tcp.example.test. 3600 IN SRV 0 0 0 .\n"));
	assert_non_null(strstr(out.data, "\n_submissions._tcp.example.test. 3600 IN SRV 0 0 0 .\n"));
	assert_non_null(strstr(out.data, "\n_caldavs._tcp.example.test. 3600 IN SRV 0 1 8443 mail.example.test.\n"));
	assert_non_null(strstr(out.data, "\n_carddavs._tcp.example.test. 3600 IN TXT \"path=/dav/\"\n"));
	assert_non_null(strstr(out.data, "\nautoconfig.example.test. 3600 IN CNAME mail.example.test.\n"));
	assert_non_null(strstr(out.data, "\n_autodiscover._tcp.example.test. 3600 IN SRV 0 1 8443 mail.example.test.\n"));

	/* submission, no POP3, web access by address */
	buffer_reset(&out);
	ac.submission_port = 587;
	ac.pop3_port = ac.pop3s_port = 0;
	ac.dav_host = "192.0.2.7";
	web_autoconfig_dns(&ac, "example.test", &out);
	assert_non_null(strstr(out.data, "\n_submission._tcp.example.test. 3600 IN SRV 10 1 587 mail.example.test.\n"));
	assert_non_null(strstr(out.data, "\n_pop3s._tcp.example.test. 3600 IN SRV 0 0 0 .\n"));
	assert_non_null(strstr(out.data, "\n_caldavs._tcp.example.test. 3600 IN SRV 0 0 0 .\n"));
	assert_null(strstr(out.data, "TXT"));
	assert_non_null(strstr(out.data, "\nautoconfig.example.test. 3600 IN A 192.0.2.7\n"));

	/* no web access at all */
	buffer_reset(&out);
	ac.dav_host = NULL;
	web_autoconfig_dns(&ac, "example.test", &out);
	assert_null(strstr(out.data, "autoconfig.example.test"));
	assert_non_null(strstr(out.data, "\n_carddavs._tcp.example.test. 3600 IN SRV 0 0 0 .\n"));
	buffer_free(&out);
}

static void test_from_conf(void **state)
{
	struct conf conf;
	struct web_autoconfig ac;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.hostname = (char *)"mail.example.test";
	conf.imap_tls_listen.count = 2;
	conf.imap_tls_listen.addr[0].port = 1993;
	conf.imap_tls_listen.addr[1].port = 993;
	conf.pop3_listen.count = 1;
	conf.pop3_listen.addr[0].port = 1110;
	conf.https_base = (char *)"https://mail.example.test:8443";
	conf.link_base = (char *)"http://mail.example.test:8080";
	web_autoconfig_from_conf(&conf, pool, &ac);
	assert_string_equal(ac.mail_host, "mail.example.test");
	assert_int_equal(ac.imaps_port, 1993);
	assert_int_equal(ac.imap_port, 0);
	assert_int_equal(ac.pop3_port, 1110);
	assert_int_equal(ac.submission_port, 0);
	assert_string_equal(ac.dav_host, "mail.example.test");
	assert_int_equal(ac.dav_port, 8443);
	assert_true(ac.dav_tls);
	assert_string_equal(ac.dav_path, "/dav/");

	conf.https_base = (char *)"https://proxy.example.test/infostore";
	web_autoconfig_from_conf(&conf, pool, &ac);
	assert_string_equal(ac.dav_host, "proxy.example.test");
	assert_int_equal(ac.dav_port, 443);
	assert_string_equal(ac.dav_path, "/infostore/dav/");

	conf.https_base = (char *)"https://[2001:db8::1]:8443";
	web_autoconfig_from_conf(&conf, pool, &ac);
	assert_string_equal(ac.dav_host, "[2001:db8::1]");
	assert_int_equal(ac.dav_port, 8443);

	conf.https_base = NULL;
	web_autoconfig_from_conf(&conf, pool, &ac);
	assert_string_equal(ac.dav_host, "mail.example.test");
	assert_int_equal(ac.dav_port, 8080);
	assert_false(ac.dav_tls);

	conf.link_base = NULL;
	web_autoconfig_from_conf(&conf, pool, &ac);
	assert_null(ac.dav_host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_domain_valid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ad_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ad_read_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_thunderbird, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_autodiscover, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apple_profile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_from_conf, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
