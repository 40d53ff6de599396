/* Unit tests: the POP3 command parser and SASL PLAIN decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pop3-parser.h"
#include "pop3-sasl.h"

#include <string.h>

static int parse(struct pop3_command *cmd, const char *line, const char **error_r)
{
	return pop3_command_parse(cmd, line, strlen(line), error_r);
}

static void test_parse_verbs(void **state)
{
	struct pop3_command cmd;
	const char *error;

	(void)state;
	assert_int_equal(parse(&cmd, "STAT", &error), 0);
	assert_string_equal(cmd.verb, "STAT");
	assert_int_equal(cmd.argc, 0);
	assert_string_equal(cmd.rest, "");

	/* RFC 1939 3: keywords are case-insensitive */
	assert_int_equal(parse(&cmd, "retr 12", &error), 0);
	assert_string_equal(cmd.verb, "RETR");
	assert_int_equal(cmd.argc, 1);
	assert_string_equal(cmd.args[0], "12");

	assert_int_equal(parse(&cmd, "Top 3 10", &error), 0);
	assert_string_equal(cmd.verb, "TOP");
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.args[0], "3");
	assert_string_equal(cmd.args[1], "10");
	assert_string_equal(cmd.rest, "3 10");
}

static void test_parse_spaces(void **state)
{
	struct pop3_command cmd;
	const char *error;

	(void)state;
	/* lenient: runs of spaces and a trailing space */
	assert_int_equal(parse(&cmd, "TOP  1   2 ", &error), 0);
	assert_int_equal(cmd.argc, 2);
	assert_string_equal(cmd.args[0], "1");
	assert_string_equal(cmd.args[1], "2");
	assert_int_equal(parse(&cmd, "LIST ", &error), 0);
	assert_int_equal(cmd.argc, 0);

	/* PASS takes the rest of the line exactly, spaces kept */
	assert_int_equal(parse(&cmd, "PASS  my secret pass ", &error), 0);
	assert_string_equal(cmd.verb, "PASS");
	assert_string_equal(cmd.rest, " my secret pass ");
	assert_int_equal(cmd.argc, POP3_MAX_ARGS + 1);
	pop3_command_wipe(&cmd);
	assert_string_equal(cmd.rest, "");
}

static void test_parse_errors(void **state)
{
	struct pop3_command cmd;
	const char *error;
	char line[POP3_MAX_COMMAND_LINE + 10];

	(void)state;
	assert_int_equal(parse(&cmd, "", &error), -1);
	assert_string_equal(error, "Empty command.");
	assert_int_equal(parse(&cmd, " STAT", &error), -1);
	assert_int_equal(parse(&cmd, "STATS", &error), -1);
	assert_string_equal(error, "Unknown command.");
	assert_int_equal(parse(&cmd, "ST4T", &error), -1);
	assert_int_equal(parse(&cmd, "LIST\t1", &error), -1);
	assert_string_equal(error, "Invalid characters in command.");
	assert_int_equal(pop3_command_parse(&cmd, "LIST\0001", 6, &error), -1);
	assert_int_equal(parse(&cmd, "NOOP\x7f", &error), -1);

	memset(line, 'a', sizeof(line));
	memcpy(line, "PASS ", 5);
	assert_int_equal(pop3_command_parse(&cmd, line, POP3_MAX_COMMAND_LINE, &error), 0);
	assert_int_equal(strlen(cmd.rest), POP3_MAX_COMMAND_LINE - 5);
	assert_int_equal(pop3_command_parse(&cmd, line, POP3_MAX_COMMAND_LINE + 1, &error), -1);
	assert_string_equal(error, "Command line too long.");

	/* 8-bit bytes are fine (UTF-8 passwords) */
	assert_int_equal(parse(&cmd, "PASS p\xc3\xa4ss", &error), 0);
	assert_string_equal(cmd.rest, "p\xc3\xa4ss");
}

static void test_parse_args_cap(void **state)
{
	struct pop3_command cmd;
	const char *error;

	(void)state;
	assert_int_equal(parse(&cmd, "TOP 1 2 3 4 5", &error), 0);
	assert_int_equal(cmd.argc, POP3_MAX_ARGS + 1);
	assert_string_equal(cmd.args[0], "1");
	assert_string_equal(cmd.args[1], "2");
}

static int b64(const char *in, unsigned char *out, size_t *len_r)
{
	return pop3_base64_decode(in, strlen(in), out, len_r);
}

static void test_base64(void **state)
{
	unsigned char out[64];
	size_t len;

	(void)state;
	assert_int_equal(b64("", out, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(b64("Zg==", out, &len), 0);
	assert_int_equal(len, 1);
	assert_memory_equal(out, "f", 1);
	assert_int_equal(b64("Zm8=", out, &len), 0);
	assert_memory_equal(out, "fo", 2);
	assert_int_equal(len, 2);
	assert_int_equal(b64("Zm9vYmFy", out, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(b64("AGFsaWNlAHNlY3JldA==", out, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(out, "\0alice\0secret", 13);

	assert_int_equal(b64("Zg=", out, &len), -1);     /* length */
	assert_int_equal(b64("Zg=a", out, &len), -1);    /* data after '=' */
	assert_int_equal(b64("Z===", out, &len), -1);
	assert_int_equal(b64("Zg==Zg==", out, &len), -1); /* padding inside */
	assert_int_equal(b64("Zh==", out, &len), -1);    /* not canonical */
	assert_int_equal(b64("Zm9=", out, &len), -1);
	assert_int_equal(b64("Zm 9", out, &len), -1);
	assert_int_equal(b64("Zm9v\r\n", out, &len), -1);
}

static int plain(const char *msg, size_t len, const char **authcid,
		 const char **passwd, const char **error)
{
	unsigned char buf[128];

	memcpy(buf, msg, len);
	return pop3_sasl_plain_parse(buf, len, authcid, passwd, error) < 0 ? -1 :
		(int)(*passwd - (const char *)buf);
}

static void test_sasl_plain(void **state)
{
	unsigned char buf[64];
	const char *authcid, *passwd, *error;

	(void)state;
	memcpy(buf, "\0alice@example.test\0pw with space", 33);
	assert_int_equal(pop3_sasl_plain_parse(buf, 33, &authcid, &passwd, &error), 0);
	assert_string_equal(authcid, "alice@example.test");
	assert_string_equal(passwd, "pw with space");

	memcpy(buf, "Alice@Example.test\0alice@example.test\0pw", 40);
	assert_int_equal(pop3_sasl_plain_parse(buf, 40, &authcid, &passwd, &error), 0);

	assert_int_equal(plain("bob\0alice\0pw", 12, &authcid, &passwd, &error), -1);
	assert_string_equal(error, "Authorization as another user is not allowed");
	assert_int_equal(plain("alice\0pw", 8, &authcid, &passwd, &error), -1);
	assert_int_equal(plain("\0alice\0pw\0x", 11, &authcid, &passwd, &error), -1);
	assert_int_equal(plain("\0\0pw", 4, &authcid, &passwd, &error), -1);
	assert_int_equal(plain("\0alice\0", 7, &authcid, &passwd, &error), -1);
	assert_int_equal(plain("", 0, &authcid, &passwd, &error), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verbs),
		cmocka_unit_test(test_parse_spaces),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_args_cap),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_sasl_plain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
