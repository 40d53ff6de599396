/* Unit tests: the POP3 command parser and SASL PLAIN decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pop3-parser.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_verbs),
		cmocka_unit_test(test_parse_spaces),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_args_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
