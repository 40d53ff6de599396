/*
 * Configuration rules: every error names FILE:LINE: key, and the link base
 * follows the listeners and url_protocol exactly as DESIGN.md says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tls_dir[1024];
static char conf_path[] = "/tmp/test-conf-XXXXXX";
static char errors[8192];

/* Write a config: a [server] section with the test certificate, then the
   given text. Returns the loaded conf or NULL with errors[] filled. */
static struct conf *load(const char *text, bool check_files)
{
	FILE *f, *err;
	struct conf *conf;
	size_t n;

	f = fopen(conf_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	err = tmpfile();
	assert_non_null(err);
	conf = conf_load(conf_path, check_files, err);
	rewind(err);
	n = fread(errors, 1, sizeof(errors) - 1, err);
	errors[n] = '\0';
	fclose(err);
	return conf;
}

static char *with_tls(const char *rest)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "[server]\nhostname = mail.example.test\ndata_dir = /tmp/x\n"
		 "tls_cert = %s/cert.pem\ntls_key = %s/key.pem\n%s",
		 tls_dir, tls_dir, rest);
	return buf;
}

static void assert_error(const char *expected_line_key, const char *fragment)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%s", conf_path, expected_line_key);
	if (strstr(errors, want) == NULL || strstr(errors, fragment) == NULL) {
		fprintf(stderr, "expected '%s' and '%s' in:\n%s", want, fragment, errors);
		fail();
	}
}

static void test_defaults_give_https_link(void **state)
{
	struct conf *conf;

	(void)state;
	conf = load(with_tls(""), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "https://mail.example.test");
	assert_true(conf->link_https);
	assert_int_equal(conf->imap_listen.addr[0].port, 143);
	assert_int_equal(conf->imap_pop3_format, CONF_CALENDAR_FORMAT_BOTH);
	/* RFC 6409 and RFC 8314: submission on 587 and 465 */
	assert_int_equal(conf->submission_listen.count, 1);
	assert_int_equal(conf->submission_listen.addr[0].port, 587);
	assert_int_equal(conf->submission_tls_listen.addr[0].port, 465);
	assert_int_equal(conf->submission_idle_timeout_secs, 300);
	conf_free(&conf);
}

static void test_submission_listeners(void **state)
{
	static const char others_off[] =
		"[server]\nhostname = h.example.test\ndata_dir = /tmp/x\n"
		"[imap]\nlisten =\ntls_listen =\n[pop3]\nlisten =\ntls_listen =\n"
		"[web]\ntls_listen =\n[submission]\n";
	char text[1024];
	struct conf *conf;

	(void)state;
	/* either listener needs the certificate: STARTTLS, implicit TLS */
	snprintf(text, sizeof(text), "%slisten = 127.0.0.1:1587\ntls_listen =\n",
		 others_off);
	assert_null(load(text, true));
	assert_error("0: tls_cert: ", "required: [submission] listen needs a certificate "
		     "(for STARTTLS)");
	snprintf(text, sizeof(text), "%slisten =\ntls_listen = 127.0.0.1:1465\n",
		 others_off);
	assert_null(load(text, true));
	assert_error("0: tls_cert: ", "required: [submission] tls_listen needs a "
		     "certificate (for TLS)");
	/* both off: no certificate needed */
	snprintf(text, sizeof(text), "%slisten =\ntls_listen =\n", others_off);
	conf = load(text, true);
	assert_non_null(conf);
	assert_false(conf_needs_tls(conf));
	conf_free(&conf);
	/* a port shared with another listener */
	assert_null(load(with_tls("[imap]\nlisten = 127.0.0.1:1587\n"
				  "[submission]\nlisten = 127.0.0.1:1587\n"), true));
	assert_error("9: listen: ", "also used by [imap] listen");
	assert_null(load(with_tls("[submission]\nlisten = unix:/tmp/s\n"), true));
	assert_error("7: listen: ", "unix sockets are only for [lmtp] listen");
	conf = load(with_tls("[limits]\nsubmission_idle_timeout = 10m\n"), true);
	assert_non_null(conf);
	assert_int_equal(conf->submission_idle_timeout_secs, 600);
	conf_free(&conf);
}

/* login_timeout bounds the time before login only: the RFC minimums of
   the idle timeouts after login stay. */
static void test_login_timeout(void **state)
{
	struct conf *conf;

	(void)state;
	conf = load(with_tls(""), true);
	assert_non_null(conf);
	assert_int_equal(conf->login_timeout_secs, 180);
	assert_int_equal(conf_login_timeout(conf, conf->imap_idle_timeout_secs), 180);
	conf_free(&conf);
	conf = load(with_tls("[limits]\nlogin_timeout = 2s\n"), true);
	assert_non_null(conf);
	assert_int_equal(conf_login_timeout(conf, 1860), 2);
	assert_int_equal(conf_login_timeout(conf, 0), 2);
	assert_int_equal(conf_login_timeout(conf, 1), 1);
	conf_free(&conf);
	assert_null(load(with_tls("[limits]\nlogin_timeout = 0\n"), true));
	assert_error("7: login_timeout: ", "must be at least 1s");
	/* and a short login timeout does not allow a short IMAP idle one */
	assert_null(load(with_tls("[limits]\nlogin_timeout = 2s\n"
				  "imap_idle_timeout = 2s\n"), true));
	assert_error("8: imap_idle_timeout: ", "RFC 9051");
}

/* A web login slides: session_idle after its last use, never past
   session_lifetime; neither may be 0 (every login would be dead at once). */
static void test_web_session_times(void **state)
{
	struct conf *conf;

	(void) state;
	conf = load(with_tls(""), true);
	assert_non_null(conf);
	assert_int_equal(conf->web_session_lifetime_secs, 12 * 3600);
	assert_int_equal(conf->web_session_idle_secs, 2 * 3600);
	conf_free(&conf);
	conf = load(
		with_tls("[web]\nsession_idle = 30m\nsession_lifetime = 1d\n"),
		true);
	assert_non_null(conf);
	assert_int_equal(conf->web_session_idle_secs, 1800);
	assert_int_equal(conf->web_session_lifetime_secs, 86400);
	conf_free(&conf);
	assert_null(load(with_tls("[web]\nsession_idle = 0\n"), true));
	assert_error("7: session_idle: ", "must be at least 1s");
	assert_null(load(with_tls("[web]\nsession_lifetime = 0s\n"), true));
	assert_error("7: session_lifetime: ", "must be at least 1s");
	assert_null(load(with_tls("[web]\nsession_idle = soon\n"), true));
	assert_error("7: session_idle: ", "expected a duration");
}

static void test_link_port_and_protocols(void **state)
{
	struct conf *conf;

	(void)state;
	conf = load(with_tls("[web]\ntls_listen = 127.0.0.1:8443\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "https://mail.example.test:8443");
	conf_free(&conf);

	/* auto follows the listeners: plain only gives http: (with networks
	   that may log in over it) */
	conf = load(with_tls("[web]\ntls_listen =\nlisten = 127.0.0.1:8080\n"
			     "[server]\nplaintext_auth_from = 10.0.0.0/8\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "http://mail.example.test:8080");
	conf_free(&conf);
	/* and without them nobody could log in: refused */
	assert_null(load(with_tls("[web]\ntls_listen =\nlisten = 127.0.0.1:8080\n"), true));
	assert_error("8: listen: ", "nobody could log in");

	/* both listeners, auto: https wins */
	conf = load(with_tls("[web]\ntls_listen = 127.0.0.1:8443\nlisten = 127.0.0.1:8080\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "https://mail.example.test:8443");
	conf_free(&conf);

	/* explicit http: with a plain listener, and without the colon */
	conf = load(with_tls("[web]\ntls_listen = 127.0.0.1:8443\nlisten = 127.0.0.1:8080\nurl_protocol = http\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "http://mail.example.test:8080");
	conf_free(&conf);

	/* public_host carries its own port */
	conf = load(with_tls("[web]\ntls_listen = 127.0.0.1:8443\npublic_host = webmail.example.test\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "https://webmail.example.test");
	conf_free(&conf);

	/* public_url is the base as written */
	conf = load(with_tls("[web]\ntls_listen =\npublic_url = https://proxy.example.test/mail/\n"), true);
	assert_non_null(conf);
	assert_string_equal(conf->link_base, "https://proxy.example.test/mail");
	conf_free(&conf);
}

static void test_url_protocol_errors(void **state)
{
	struct conf *conf;

	(void)state;
	/* line 7: the [web] header is line 6 after the 5 [server] lines */
	assert_null(load(with_tls("[web]\nurl_protocol = ftp:\n"), true));
	assert_error("7: url_protocol: ", "must be one of auto, https:, http:");

	assert_null(load(with_tls("[web]\nurl_protocol = http:\n"), true));
	assert_error("7: url_protocol: ", "meeting-request links would not open");

	assert_null(load(with_tls("[web]\ntls_listen =\nlisten = 127.0.0.1:8080\nurl_protocol = https:\n"), true));
	assert_error("9: url_protocol: ", "meeting-request links would not open");

	/* a proxy answers: fine */
	conf = load(with_tls("[web]\ntls_listen =\nurl_protocol = http:\npublic_url = http://proxy.example.test\n"), true);
	assert_non_null(conf);
	conf_free(&conf);
	/* but not one that disagrees */
	assert_null(load(with_tls("[web]\nurl_protocol = https:\npublic_url = http://proxy.example.test\n"), true));
	assert_error("7: url_protocol: ", "disagrees with public_url");

	assert_null(load(with_tls("[web]\npublic_url = ftp://x\n"), true));
	assert_error("7: public_url: ", "must start with https:// or http://");
}

static void test_unknown_and_malformed(void **state)
{
	(void)state;
	assert_null(load(with_tls("[imap]\nlisten = 127.0.0.1:143\nbogus = 1\n"), true));
	assert_error("8: bogus: ", "unknown key in [imap]");

	assert_null(load(with_tls("[nosuch]\nkey = 1\n"), true));
	assert_error("6: nosuch: ", "unknown section");
	assert_null(strstr(errors, "did you mean"));

	/* did you mean: a typo, a key under the wrong header, a section */
	assert_null(load(with_tls("[limits]\nmax_mesage_sise = 1M\n"), true));
	assert_error("7: max_mesage_sise: ",
		     "unknown key in [limits]; did you mean max_message_size?");
	assert_null(load(with_tls("[imap]\nlistne = 127.0.0.1:143\n"), true));
	assert_error("7: listne: ", "did you mean listen?");
	assert_null(load(with_tls("[imap]\nmax_message_size = 1M\n"), true));
	assert_error("7: max_message_size: ", "did you mean max_message_size in [limits]?");
	assert_null(load(with_tls("[imap]\nbogus = 1\n"), true));
	assert_null(strstr(errors, "did you mean"));
	assert_null(load(with_tls("[limit]\nmax_message_size = 1M\n"), true));
	assert_error("6: limit: ", "unknown section; did you mean [limits]?");

	assert_null(load(with_tls("[imap]\nlisten = 127.0.0.1\n"), true));
	assert_error("7: listen: ", "expected host:port");

	assert_null(load(with_tls("[pop3]\ntls_listen = 127.0.0.1:99999\n"), true));
	assert_error("7: tls_listen: ", "port must be a number");

	assert_null(load(with_tls("[lmtp]\nlisten = mail.example.test:24\n"), true));
	assert_error("7: listen: ", "numeric IP");

	assert_null(load(with_tls("[imap]\nlisten = 127.0.0.1:143\nlisten = 127.0.0.1:144\n"), true));
	assert_error("8: listen: ", "set twice (first on line 7)");

	assert_null(load(with_tls("[imap]\nlisten = 127.0.0.1:1143\n[pop3]\nlisten = 127.0.0.1:1143\n"), true));
	assert_error("9: listen: ", "also used by [imap] listen");

	assert_null(load(with_tls("[calendar]\nimap_pop3_format = html\n"), true));
	assert_error("7: imap_pop3_format: ", "both, icalendar, url");

	assert_null(load(with_tls("[limits]\nmax_message_size = lots\n"), true));
	assert_error("7: max_message_size: ", "expected a size");

	assert_null(load(with_tls("[server]\nhostname = bad host\n"), true));
}

static void test_tls_files(void **state)
{
	struct conf *conf;
	char text[4096];

	(void)state;
	snprintf(text, sizeof(text),
		 "[server]\nhostname = h.example.test\ndata_dir = /tmp/x\n"
		 "tls_cert = %s/nonexistent.pem\ntls_key = %s/key.pem\n", tls_dir, tls_dir);
	assert_null(load(text, true));
	assert_error("4: tls_cert: ", "cannot read");

	snprintf(text, sizeof(text),
		 "[server]\nhostname = h.example.test\ndata_dir = /tmp/x\n"
		 "tls_cert = %s/cert.pem\ntls_key = %s/other-key.pem\n", tls_dir, tls_dir);
	assert_null(load(text, true));
	assert_error("5: tls_key: ", "does not match");

	/* the key file given as the certificate */
	snprintf(text, sizeof(text),
		 "[server]\nhostname = h.example.test\ndata_dir = /tmp/x\n"
		 "tls_cert = %s/key.pem\ntls_key = %s/key.pem\n", tls_dir, tls_dir);
	assert_null(load(text, true));
	assert_error("4: tls_cert: ", "cannot load certificate");

	/* listeners that need TLS, but no certificate */
	assert_null(load("[server]\nhostname = h.example.test\ndata_dir = /tmp/x\n", true));
	assert_error("0: tls_cert: ", "required");

	/* without check_files (user add etc.), the files are not read */
	conf = load(text, false);
	assert_non_null(conf);
	conf_free(&conf);
}

static void test_relative_paths(void **state)
{
	struct conf *conf;

	(void)state;
	conf = load("[server]\nhostname = h.example.test\ndata_dir = data\n"
		    "[imap]\nlisten =\ntls_listen =\n[pop3]\nlisten =\ntls_listen =\n"
		    "[submission]\nlisten =\ntls_listen =\n[web]\ntls_listen =\n", true);
	assert_non_null(conf);
	assert_string_equal(conf->data_dir, "/tmp/data");
	assert_null(conf->link_base);
	conf_free(&conf);
}

static void test_postfix_socket(void **state)
{
	struct conf *conf;
	char text[512];

	(void)state;
	conf = load(with_tls(""), true);
	assert_non_null(conf);
	assert_int_equal(conf->auth_postfix_socket.count, 0);
	conf_free(&conf);
	/* relative to the configuration file, like every path */
	conf = load(with_tls("[auth]\npostfix_socket = run/auth\n"), true);
	assert_non_null(conf);
	assert_int_equal(conf->auth_postfix_socket.count, 1);
	assert_true(conf->auth_postfix_socket.addr[0].is_unix);
	assert_string_equal(conf->auth_postfix_socket.addr[0].path, "/tmp/run/auth");
	conf_free(&conf);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	memcpy(text, "[auth]\npostfix_socket = /", strlen("[auth]\npostfix_socket = /"));
	strcpy(text + 200, "\n");
	assert_null(load(with_tls(text), true));
	assert_error("7: postfix_socket: ", "too long");
	/* the same socket as LMTP's */
	assert_null(load(with_tls("[lmtp]\nlisten = unix:/tmp/s\n"
				  "[auth]\npostfix_socket = /tmp/s\n"), true));
	assert_error("9: postfix_socket: ", "also used by [lmtp] listen");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_give_https_link),
		cmocka_unit_test(test_login_timeout),
		cmocka_unit_test(test_web_session_times),
		cmocka_unit_test(test_link_port_and_protocols),
		cmocka_unit_test(test_url_protocol_errors),
		cmocka_unit_test(test_unknown_and_malformed),
		cmocka_unit_test(test_tls_files),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_submission_listeners),
		cmocka_unit_test(test_postfix_socket),
	};
	const char *srcdir = getenv("INFOSTORE_SRCDIR");
	int fd, ret;

	log_set_level(LOG_LEVEL_ERROR);
	snprintf(tls_dir, sizeof(tls_dir), "%s/tests/data/tls",
		 srcdir != NULL ? srcdir : ".");
	fd = mkstemp(conf_path);
	if (fd < 0)
		return 1;
	close(fd);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(conf_path);
	return ret;
}
