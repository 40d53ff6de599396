/* Unit tests: lines of Dovecot's authentication protocol as Postfix sends
   them (auth-socket-parser.c), and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth-socket-parser.h"
#include "buffer.h"

#include <stdio.h>
#include <string.h>

static int parse(const char *text, char *copy, size_t size,
		 struct auth_socket_line *line, const char **error)
{
	size_t len = strlen(text);

	assert_true(len < size);
	memcpy(copy, text, len + 1);
	return auth_socket_line_parse(copy, len, line, error);
}

static void test_lines(void **state)
{
	struct auth_socket_line line;
	const char *error;
	char buf[512];

	(void)state;
	assert_int_equal(parse("VERSION\t1\t0", buf, sizeof(buf), &line, &error), 0);
	assert_string_equal(line.cmd, "VERSION");
	assert_int_equal(line.argc, 2);
	assert_string_equal(line.args[0], "1");
	assert_string_equal(line.args[1], "0");

	assert_int_equal(parse("CPID", buf, sizeof(buf), &line, &error), 0);
	assert_string_equal(line.cmd, "CPID");
	assert_int_equal(line.argc, 0);

	/* empty fields are fields */
	assert_int_equal(parse("CONT\t7\t", buf, sizeof(buf), &line, &error), 0);
	assert_int_equal(line.argc, 2);
	assert_string_equal(line.args[1], "");

	/* escapes */
	assert_int_equal(parse("X\ta\001tb\001nc\001rd\0011e", buf, sizeof(buf), &line,
			       &error), 0);
	assert_string_equal(line.args[0], "a\tb\nc\rd\001e");
	assert_int_equal(parse("X\ta\001", buf, sizeof(buf), &line, &error), -1);
	assert_int_equal(parse("X\ta\001x", buf, sizeof(buf), &line, &error), -1);
	assert_int_equal(parse("", buf, sizeof(buf), &line, &error), -1);

	/* a NUL inside */
	memcpy(buf, "AUTH\t1\0PLAIN", 12);
	assert_int_equal(auth_socket_line_parse(buf, 12, &line, &error), -1);

	/* at most AUTH_SOCKET_MAX_FIELDS fields */
	{
		char many[256] = "X";

		for (unsigned int i = 1; i < AUTH_SOCKET_MAX_FIELDS; i++)
			strcat(many, "\ta");
		assert_int_equal(parse(many, buf, sizeof(buf), &line, &error), 0);
		assert_int_equal(line.argc, AUTH_SOCKET_MAX_FIELDS - 1);
		strcat(many, "\ta");
		assert_int_equal(parse(many, buf, sizeof(buf), &line, &error), -1);
	}
}

static void test_request(void **state)
{
	struct auth_socket_line line;
	struct auth_socket_request req;
	const char *error;
	char buf[512];

	(void)state;
	/* what Postfix's xsasl_dovecot_server_first() sends */
	assert_int_equal(parse("AUTH\t7\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\t"
			       "rip=198.51.100.7\tsecured\tresp=AGEAYg==", buf, sizeof(buf),
			       &line, &error), 0);
	assert_int_equal(auth_socket_request_parse(&line, &req, &error), 0);
	assert_int_equal(req.id, 7);
	assert_string_equal(req.mech, "PLAIN");
	assert_string_equal(req.service, "smtp");
	assert_string_equal(req.rip, "198.51.100.7");
	assert_string_equal(req.resp, "AGEAYg==");
	assert_true(req.secured);

	assert_int_equal(parse("AUTH\t4294967295\tLOGIN\tservice=smtp\tfuture=1", buf,
			       sizeof(buf), &line, &error), 0);
	assert_int_equal(auth_socket_request_parse(&line, &req, &error), 0);
	assert_int_equal(req.id, 4294967295u);
	assert_false(req.secured);
	assert_null(req.rip);
	assert_null(req.resp);

	static const char *const bad[] = {
		"AUTH", "AUTH\t1", "AUTH\t0\tPLAIN", "AUTH\t01\tPLAIN", "AUTH\t-1\tPLAIN",
		"AUTH\t4294967296\tPLAIN", "AUTH\tx\tPLAIN", "AUTH\t1\t",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(parse(bad[i], buf, sizeof(buf), &line, &error), 0);
		if (auth_socket_request_parse(&line, &req, &error) != -1)
			fail_msg("accepted %s", bad[i]);
	}
}

static void test_escape(void **state)
{
	struct buffer out;
	struct auth_socket_line line;
	const char *error;
	char buf[64];

	(void)state;
	buffer_init(&out, 0);
	buffer_append_str(&out, "X\t");
	auth_socket_escape(&out, "a\tb\nc\rd\001e@f");
	assert_string_equal(out.data, "X\ta\001tb\001nc\001rd\0011e@f");
	/* and back */
	assert_int_equal(parse(out.data, buf, sizeof(buf), &line, &error), 0);
	assert_string_equal(line.args[0], "a\tb\nc\rd\001e@f");
	buffer_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
