#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "smtp-reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_write(void **state)
{
	struct buffer out;

	(void)state;
	buffer_init(&out, 0);
	smtp_reply_write(&out, 250, "2.0.0", "OK");
	assert_string_equal(out.data, "250 2.0.0 OK\r\n");
	buffer_reset(&out);
	smtp_reply_write(&out, 250, NULL, "mail.example.test\nPIPELINING\nSIZE 100");
	assert_string_equal(out.data, "250-mail.example.test\r\n250-PIPELINING\r\n"
			    "250 SIZE 100\r\n");
	buffer_reset(&out);
	smtp_reply_write(&out, 550, "5.1.1", "a\rb\nc");
	assert_string_equal(out.data, "550-5.1.1 a b\r\n550 5.1.1 c\r\n");
	buffer_reset(&out);
	smtp_reply_printf(&out, 452, "4.5.3", "Too many recipients (%u)", 100u);
	assert_string_equal(out.data, "452 4.5.3 Too many recipients (100)\r\n");
	buffer_reset(&out);
	smtp_reply_write(&out, 221, "2.0.0", "");
	assert_string_equal(out.data, "221 2.0.0\r\n");
	buffer_free(&out);
}

static char *parse_all(const char *input, size_t len, size_t split)
{
	struct smtp_reply_parser *parser = smtp_reply_parser_create(512);
	struct buffer out, line;
	size_t pos = 0, avail = 0;

	buffer_init(&out, 0);
	buffer_init(&line, 0);
	buffer_append_str(&out, "");
	while (pos < len) {
		struct smtp_reply reply;
		const char *error;
		size_t consumed;
		int ret;

		if (pos == avail)
			avail = split == 0 || len - avail < split ? len : avail + split;
		ret = smtp_reply_parser_parse(parser, input + pos, avail - pos,
					      &consumed, &reply, &error);
		pos += consumed;
		if (ret < 0) {
			buffer_printf(&out, "ERR %s\n", error);
			break;
		}
		if (ret == 1)
			buffer_printf(&out, "[%s] lines=%u\n",
				      smtp_reply_oneline(&reply, &line), reply.lines);
	}
	smtp_reply_parser_destroy(&parser);
	buffer_free(&line);
	return buffer_steal(&out, NULL);
}

static void check(const char *input, const char *expected)
{
	size_t len = strlen(input);

	for (size_t split = 0; split <= len; split++) {
		char *got = parse_all(input, len, split);

		if (strcmp(got, expected) != 0)
			fail_msg("split %zu:\n%s\nexpected:\n%s", split, got, expected);
		free(got);
	}
}

static void test_parse(void **state)
{
	(void)state;
	check("220 relay.example ESMTP ready\r\n"
	      "250-relay.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
	      "250 2.1.0 Ok\r\n"
	      "550 5.1.1 <x@y>: Recipient address rejected\r\n"
	      "354\r\n"
	      "451-4.3.0 first\r\n451-4.3.0 second\r\n451 4.3.0 third\r\n"
	      "250 2.0.0\n"
	      "421 4.7.0 too busy\r\n",
	      "[220 relay.example ESMTP ready] lines=1\n"
	      "[250 relay.example / PIPELINING / STARTTLS / 8BITMIME] lines=4\n"
	      "[250 2.1.0 Ok] lines=1\n"
	      "[550 5.1.1 <x@y>: Recipient address rejected] lines=1\n"
	      "[354] lines=1\n"
	      "[451 4.3.0 first / second / third] lines=3\n"
	      "[250 2.0.0] lines=1\n"
	      "[421 4.7.0 too busy] lines=1\n");
	/* an enhanced code of the wrong class is just text */
	check("250 5.1.1 odd\r\n", "[250 5.1.1 odd] lines=1\n");
	check("250 2.1 short\r\n", "[250 2.1 short] lines=1\n");
}

static void test_parse_errors(void **state)
{
	char longline[700];

	(void)state;
	check("hello\r\n", "ERR reply does not start with a valid code\n");
	check("25\r\n", "ERR reply does not start with a valid code\n");
	check("699 x\r\n", "ERR reply does not start with a valid code\n");
	check("250x\r\n", "ERR reply code not followed by space or hyphen\n");
	check("250-a\r\n251 b\r\n", "ERR reply code changes between lines\n");
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "250 ", 4);
	check(longline, "ERR reply line too long\n");
}

static void test_many_lines(void **state)
{
	struct buffer in;
	char *got;

	(void)state;
	buffer_init(&in, 0);
	for (int i = 0; i < 101; i++)
		buffer_append_str(&in, "250-x\r\n");
	buffer_append_str(&in, "250 y\r\n");
	got = parse_all(in.data, in.used, 0);
	assert_string_equal(got, "ERR reply has too many lines\n");
	free(got);
	buffer_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_many_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
