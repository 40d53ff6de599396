#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "smtp-address.h"
#include "smtp-command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_MAX_LINE 600

static void describe(struct buffer *out, int ret, const struct smtp_command *cmd,
		     const struct smtp_command_error *err)
{
	if (ret < 0) {
		buffer_printf(out, "ERR %u %s %s\n", err->code, err->enhanced, err->text);
		return;
	}
	buffer_printf(out, "%s", smtp_verb_name(cmd->verb));
	if (cmd->arg != NULL)
		buffer_printf(out, " arg=[%s]", cmd->arg);
	if (cmd->size_given)
		buffer_printf(out, " size=%llu", (unsigned long long)cmd->size);
	if (cmd->body != SMTP_BODY_NONE)
		buffer_printf(out, " body=%s", cmd->body == SMTP_BODY_7BIT ? "7bit" : "8bit");
	if (cmd->smtputf8)
		buffer_append_str(out, " smtputf8");
	if (cmd->utf8_path)
		buffer_append_str(out, " utf8path");
	if (cmd->verb == SMTP_VERB_BDAT)
		buffer_printf(out, " chunk=%llu%s", (unsigned long long)cmd->chunk_size,
			      cmd->last ? " last" : "");
	buffer_append_c(out, '\n');
}

/* Feed input: first `first` bytes (0: none special), then chunks of split
   bytes (0: the rest at once); the transcript of every command and error,
   one per line. Input the parser leaves unconsumed after a command is
   offered again, as a session would. */
static char *run(const char *input, size_t len, size_t first, size_t split)
{
	struct smtp_command_parser *parser = smtp_command_parser_create(TEST_MAX_LINE);
	struct buffer out;
	size_t pos = 0, avail = first < len ? first : 0;

	buffer_init(&out, 0);
	buffer_append_str(&out, "");
	while (pos < len) {
		struct smtp_command cmd;
		struct smtp_command_error err;
		size_t consumed;
		int ret;

		if (pos == avail)
			avail = split == 0 || len - avail < split ? len : avail + split;
		ret = smtp_command_parser_parse(parser, input + pos, avail - pos,
						&consumed, &cmd, &err);
		assert_true(consumed <= avail - pos);
		pos += consumed;
		if (ret == 0)
			assert_int_equal(pos, avail);
		else
			describe(&out, ret, &cmd, &err);
	}
	smtp_command_parser_destroy(&parser);
	return buffer_steal(&out, NULL);
}

/* Whole, byte at a time, in chunks of every size, and split in two at
   every offset: all must give the same transcript. */
static void check_len(const char *input, size_t len, const char *expected)
{
	for (size_t split = 0; split <= len; split++) {
		char *got = run(input, len, 0, split);

		if (strcmp(got, expected) != 0)
			fail_msg("split %zu of:\n%s\ngot:\n%s\nexpected:\n%s", split,
				 input, got, expected);
		free(got);
	}
	for (size_t off = 1; off < len; off++) {
		char *got = run(input, len, off, 0);

		if (strcmp(got, expected) != 0)
			fail_msg("offset %zu of:\n%s\ngot:\n%s", off, input, got);
		free(got);
	}
}

static void check(const char *input, const char *expected)
{
	check_len(input, strlen(input), expected);
}

static void test_transaction(void **state)
{
	(void)state;
	check("LHLO mx.example.test\r\n"
	      "MAIL FROM:<bob@example.test> SIZE=1234 BODY=8BITMIME\r\n"
	      "RCPT TO:<alice@example.test>\r\n"
	      "rcpt to:<Carol@Example.Test>\r\n"
	      "DATA\r\n"
	      "RSET\r\nNOOP\r\nNOOP hello there\r\nQUIT\r\n",
	      "LHLO arg=[mx.example.test]\n"
	      "MAIL arg=[bob@example.test] size=1234 body=8bit\n"
	      "RCPT arg=[alice@example.test]\n"
	      "RCPT arg=[Carol@Example.Test]\n"
	      "DATA arg=[]\n"
	      "RSET arg=[]\nNOOP arg=[]\nNOOP arg=[hello there]\nQUIT arg=[]\n");
}

static void test_paths(void **state)
{
	(void)state;
	check("MAIL FROM:<>\r\n"
	      "MAIL FROM:<> BODY=7BIT\r\n"
	      "RCPT TO:<Postmaster>\r\n"
	      "RCPT TO:<postmaster@example.test>\r\n"
	      "RCPT TO:<@relay.example,@other.example:user@example.test>\r\n"
	      "RCPT TO:<\"alice\"@example.test>\r\n"
	      "RCPT TO:<\"a b\"@example.test>\r\n"
	      "RCPT TO:<\"a\\\"b\"@example.test>\r\n"
	      "RCPT TO:<user@[192.0.2.1]>\r\n"
	      "RCPT TO:<first.last+tag@sub.example.test>\r\n",
	      "MAIL arg=[]\n"
	      "MAIL arg=[] body=7bit\n"
	      "RCPT arg=[postmaster]\n"
	      "RCPT arg=[postmaster@example.test]\n"
	      "RCPT arg=[user@example.test]\n"
	      "RCPT arg=[alice@example.test]\n"
	      "RCPT arg=[\"a b\"@example.test]\n"
	      "RCPT arg=[\"a\\\"b\"@example.test]\n"
	      "RCPT arg=[user@[192.0.2.1]]\n"
	      "RCPT arg=[first.last+tag@sub.example.test]\n");
}

static void test_bad_paths(void **state)
{
	(void)state;
	check("MAIL FROM: <bob@example.test>\r\n"
	      "MAIL FROM:bob@example.test\r\n"
	      "MAIL TO:<bob@example.test>\r\n"
	      "MAIL FROM:<bob@example.test\r\n"
	      "MAIL FROM:<bob>\r\n"
	      "MAIL FROM:<.bob@example.test>\r\n"
	      "MAIL FROM:<bob..x@example.test>\r\n"
	      "MAIL FROM:<bob@-example.test>\r\n"
	      "MAIL FROM:<bob@example-.test>\r\n"
	      "MAIL FROM:<bob@example..test>\r\n"
	      "RCPT TO:<>\r\n"
	      "RCPT TO:<a@b> \r\n"
	      "RCPT TO:<a@b>x\r\n"
	      "RCPT TO:<a@b> NOTIFY=NEVER\r\n",
	      "ERR 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]\n"
	      "ERR 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]\n"
	      "ERR 501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.7 Bad sender address syntax\n"
	      "ERR 501 5.1.3 Bad recipient address syntax\n"
	      "ERR 501 5.5.4 Invalid parameter syntax\n"
	      "ERR 501 5.5.4 Invalid parameter syntax\n"
	      "ERR 555 5.5.4 Unsupported RCPT TO parameter\n");
}

static void test_long_path(void **state)
{
	char line[400], local[300];

	(void)state;
	memset(local, 'a', 250);
	local[250] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s@example.test>\r\nRSET\r\n", local);
	check(line, "ERR 501 5.1.3 Path too long\nRSET arg=[]\n");
	/* 256 octets with the brackets is still fine */
	local[256 - 2 - 13] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<%s@example.test>\r\n", local);
	{
		char *got = run(line, strlen(line), 0, 0);

		assert_true(strncmp(got, "RCPT arg=[", 10) == 0);
		free(got);
	}
}

static void test_params(void **state)
{
	(void)state;
	check("MAIL FROM:<a@b.c> SIZE=0\r\n"
	      "MAIL FROM:<a@b.c> size=99999999999999999999\r\n"
	      "MAIL FROM:<a@b.c> SIZE=999999999999999999999\r\n"
	      "MAIL FROM:<a@b.c> SIZE=x\r\n"
	      "MAIL FROM:<a@b.c> SIZE\r\n"
	      "MAIL FROM:<a@b.c> SIZE=1 SIZE=2\r\n"
	      "MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n"
	      "MAIL FROM:<a@b.c> BODY=8bitmime SMTPUTF8\r\n"
	      "MAIL FROM:<a@b.c> SMTPUTF8=yes\r\n"
	      "MAIL FROM:<a@b.c> AUTH=<>\r\n"
	      "MAIL FROM:<a@b.c>  SIZE=1\r\n"
	      "MAIL FROM:<a@b.c> =1\r\n"
	      "MAIL FROM:<a@b.c> A B C D E F G H I J K\r\n",
	      "MAIL arg=[a@b.c] size=0\n"
	      "ERR 501 5.5.4 Syntax: SIZE=<number>\n"
	      "ERR 501 5.5.4 Syntax: SIZE=<number>\n"
	      "ERR 501 5.5.4 Syntax: SIZE=<number>\n"
	      "ERR 501 5.5.4 Syntax: SIZE=<number>\n"
	      "ERR 501 5.5.4 SIZE given twice\n"
	      "ERR 555 5.5.4 Unsupported BODY type\n"
	      "MAIL arg=[a@b.c] body=8bit smtputf8\n"
	      "ERR 501 5.5.4 SMTPUTF8 takes no value\n"
	      "ERR 555 5.5.4 Unsupported MAIL FROM parameter\n"
	      "ERR 501 5.5.4 Invalid parameter syntax\n"
	      "ERR 501 5.5.4 Invalid parameter syntax\n"
	      "ERR 501 5.5.4 Too many parameters\n");
}

static void test_utf8(void **state)
{
	(void)state;
	check("MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc" "cher.example> SMTPUTF8\r\n"
	      "MAIL FROM:<j\xc3\xb6rg@example.test>\r\n"
	      "RCPT TO:<\xc3\xa9l\xc3\xa8ve@example.test>\r\n"
	      "RCPT TO:<bad\xc3@example.test>\r\n"
	      "RCPT TO:<bad\xc0\xaf@example.test>\r\n"
	      "NOOP \xed\xa0\x80\r\n",
	      "MAIL arg=[j\xc3\xb6rg@b\xc3\xbc" "cher.example] smtputf8 utf8path\n"
	      "ERR 553 5.6.7 Non-ASCII address needs SMTPUTF8\n"
	      "RCPT arg=[\xc3\xa9l\xc3\xa8ve@example.test] utf8path\n"
	      "ERR 501 5.5.2 Invalid UTF-8 in command\n"
	      "ERR 501 5.5.2 Invalid UTF-8 in command\n"
	      "ERR 501 5.5.2 Invalid UTF-8 in command\n");
}

static void test_bdat(void **state)
{
	(void)state;
	check("BDAT 0 LAST\r\nBDAT 1000\r\nbdat 5 last\r\n"
	      "BDAT\r\nBDAT x\r\nBDAT 5 FIRST\r\nBDAT -1\r\nBDAT 5  LAST\r\n"
	      "BDAT 99999999999999999999\r\n",
	      "BDAT chunk=0 last\nBDAT chunk=1000\nBDAT chunk=5 last\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n"
	      "ERR 501 5.5.4 Syntax: BDAT <size> [LAST]\n");
}

static void test_other_verbs(void **state)
{
	static const char input[] ="HELO x\r\nEHLO y.example\r\nLHLO\r\nLHLO a b\r\nLHLO host_name.local\r\n"
	      "DATA x\r\nQUIT now\r\nRSET \r\nVRFY\r\nVRFY alice\r\nEXPN list\r\n"
	      "HELP\r\nSTARTTLS\r\nFOO\r\nMAILFROM:<a@b>\r\n\r\n"
	      "NOOP\x01\r\nNOOP a\0b\r\nNOOP\n";

	(void)state;
	check_len(input, sizeof(input) - 1,
	      "HELO arg=[x]\nEHLO arg=[y.example]\n"
	      "ERR 501 5.5.4 Syntax: LHLO domain\n"
	      "ERR 501 5.5.4 Syntax: LHLO domain\n"
	      "LHLO arg=[host_name.local]\n"
	      "ERR 501 5.5.4 Syntax: DATA\n"
	      "ERR 501 5.5.4 Syntax: QUIT\n"
	      "ERR 501 5.5.4 Syntax: RSET\n"
	      "ERR 501 5.5.4 Syntax: VRFY string\n"
	      "VRFY arg=[alice]\nEXPN arg=[list]\nHELP arg=[]\nSTARTTLS arg=[]\n"
	      "ERR 500 5.5.1 Unknown command\n"
	      "ERR 500 5.5.1 Unknown command\n"
	      "ERR 500 5.5.1 Unknown command\n"
	      "ERR 501 5.5.2 Control characters in command\n"
	      "ERR 501 5.5.2 Control characters in command\n"
	      "NOOP arg=[]\n");
}

static void test_line_too_long(void **state)
{
	char input[3000];
	size_t n;

	(void)state;
	/* exactly the limit (CRLF included) is fine, one more is not */
	n = 0;
	memcpy(input, "NOOP ", 5);
	n = 5;
	memset(input + n, 'x', TEST_MAX_LINE - 2 - n);
	n = TEST_MAX_LINE - 2;
	memcpy(input + n, "\r\nNOOP ", 7);
	n += 7;
	memset(input + n, 'y', TEST_MAX_LINE - 1 - 5);
	n += TEST_MAX_LINE - 1 - 5;
	memcpy(input + n, "\r\nRSET\r\n", 9);
	{
		char *got = run(input, strlen(input), 0, 0);
		const char *second = strchr(got, '\n') + 1;

		assert_true(strncmp(got, "NOOP arg=[xxx", 13) == 0);
		assert_string_equal(second, "ERR 500 5.5.2 Line too long\nRSET arg=[]\n");
		free(got);
	}
	/* much longer, arriving in pieces; the session goes on */
	memset(input, 'z', 2500);
	memcpy(input + 2500, "\r\nQUIT\r\n", 9);
	check(input, "ERR 500 5.5.2 Line too long\nQUIT arg=[]\n");
}

static void test_domain_valid(void **state)
{
	(void)state;
	assert_true(smtp_domain_valid("example.test", 12, false));
	assert_true(smtp_domain_valid("[192.0.2.1]", 11, false));
	assert_true(smtp_domain_valid("a-b.c", 5, false));
	assert_false(smtp_domain_valid("-a.c", 4, false));
	assert_false(smtp_domain_valid("a..c", 4, false));
	assert_false(smtp_domain_valid("a.", 2, false));
	assert_false(smtp_domain_valid("b\xc3\xbc.de", 6, false));
	assert_true(smtp_domain_valid("b\xc3\xbc.de", 6, true));
	assert_false(smtp_domain_valid("[]", 2, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transaction),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_other_verbs),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_domain_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
