#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "smtp-data.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feed input in chunks of split bytes (0: all at once). Returns the
   message; *rest_r is the offset where the data ended (or len if not). */
static char *unstuff(const char *input, size_t len, size_t split,
		     size_t limit, size_t *msg_len_r, size_t *rest_r,
		     bool *overflow_r, uint64_t *size_r)
{
	struct smtp_data_reader *reader = smtp_data_reader_create();
	struct buffer out;
	size_t pos = 0;
	int ret = 0;

	buffer_init(&out, limit);
	buffer_append_str(&out, "");
	while (pos < len && ret == 0) {
		size_t n = split == 0 || len - pos < split ? len - pos : split;
		size_t consumed;

		ret = smtp_data_reader_parse(reader, input + pos, n, &consumed, &out);
		assert_true(consumed <= n);
		if (ret == 0)
			assert_int_equal(consumed, n);
		pos += consumed;
	}
	*rest_r = ret == 1 ? pos : len + 1;
	*overflow_r = out.overflow;
	*size_r = smtp_data_reader_size(reader);
	smtp_data_reader_destroy(&reader);
	return buffer_steal(&out, msg_len_r);
}

/* input must end the data at rest_expected; the message must be expected. */
static void check(const char *input, size_t len, const char *expected,
		  size_t expected_len, size_t rest_expected)
{
	for (size_t split = 0; split <= len; split++) {
		size_t msg_len, rest;
		bool overflow;
		uint64_t size;
		char *msg = unstuff(input, len, split, 0, &msg_len, &rest,
				    &overflow, &size);

		if (msg_len != expected_len || memcmp(msg, expected, msg_len) != 0)
			fail_msg("split %zu: got %zu bytes [%.*s]", split, msg_len,
				 (int)msg_len, msg);
		assert_int_equal(rest, rest_expected);
		assert_int_equal(size, expected_len);
		assert_false(overflow);
		free(msg);
	}
	/* and every two-chunk split */
	for (size_t off = 1; off < len; off++) {
		struct smtp_data_reader *reader = smtp_data_reader_create();
		struct buffer out;
		size_t c1, c2 = 0;
		int ret;

		buffer_init(&out, 0);
		buffer_append_str(&out, "");
		ret = smtp_data_reader_parse(reader, input, off, &c1, &out);
		if (ret == 0)
			ret = smtp_data_reader_parse(reader, input + off, len - off,
						     &c2, &out);
		assert_int_equal(ret == 1 ? c1 + c2 : len + 1, rest_expected);
		assert_int_equal(out.used, expected_len);
		assert_memory_equal(out.data, expected, expected_len);
		buffer_free(&out);
		smtp_data_reader_destroy(&reader);
	}
}

#define CHECK(in, out, rest) check(in, sizeof(in) - 1, out, sizeof(out) - 1, rest)

static void test_unstuff(void **state)
{
	(void)state;
	CHECK(".\r\n", "", 3);
	CHECK(".\r\nNEXT", "", 3);
	CHECK("a\r\n.\r\n", "a\r\n", 6);
	CHECK("a\r\n.\r\nQUIT\r\n", "a\r\n", 6);
	CHECK("..\r\n.\r\n", ".\r\n", 7);
	CHECK("...\r\n.\r\n", "..\r\n", 8);
	CHECK(".x\r\n.\r\n", "x\r\n", 7);
	CHECK("a\r\n..b\r\n.\r\n", "a\r\n.b\r\n", 11);
	/* a dot in the middle of a line is data */
	CHECK("a.b\r\n.c.\r\n.\r\n", "a.b\r\nc.\r\n", 13);
	/* bare LF: no line start, no end */
	CHECK("a\n.\nb\r\n.\r\n", "a\n.\nb\r\n", 10);
	CHECK("a\n..\r\n.\r\n", "a\n..\r\n", 9);
	/* bare CR */
	CHECK("a\r.\r\n.\r\n", "a\r.\r\n", 8);
	CHECK(".\r.\r\n.\r\n", "\r.\r\n", 8);
	CHECK(".\r\r\n.\r\n", "\r\r\n", 7);
	CHECK("a\r\r\n.\r\n", "a\r\r\n", 7);
	/* not finished */
	CHECK("a\r\n.", "a\r\n", 5);
	CHECK("a\r\n.\r", "a\r\n", 6);
	CHECK("a\r\n", "a\r\n", 4);
	/* the same dot-CRLF but not at a line start */
	CHECK("x.\r\n.\r\n", "x.\r\n", 7);
	/* binary bytes pass through */
	CHECK("\0\xff\r\n.\r\n", "\0\xff\r\n", 7);
}

static void test_limit(void **state)
{
	static const char input[] = "0123456789\r\n0123456789\r\n.\r\nNOOP\r\n";
	size_t msg_len, rest;
	bool overflow;
	uint64_t size;
	char *msg;

	(void)state;
	for (size_t split = 0; split < sizeof(input); split++) {
		msg = unstuff(input, sizeof(input) - 1, split, 15, &msg_len, &rest,
			      &overflow, &size);
		assert_true(overflow);
		assert_int_equal(size, 24);
		assert_int_equal(rest, 27);
		assert_true(msg_len <= 15);
		free(msg);
	}
	msg = unstuff(input, sizeof(input) - 1, 0, 24, &msg_len, &rest, &overflow,
		      &size);
	assert_false(overflow);
	assert_int_equal(msg_len, 24);
	free(msg);
}

static void check_stuff(const char *in, size_t len, const char *expected,
			size_t expected_len)
{
	struct buffer out;

	buffer_init(&out, 0);
	assert_int_equal(smtp_data_stuff(&out, in, len), 0);
	if (out.used != expected_len || memcmp(out.data, expected, expected_len) != 0)
		fail_msg("stuffed [%.*s]", (int)out.used, out.data);
	buffer_free(&out);
}

#define CHECK_STUFF(in, out) check_stuff(in, sizeof(in) - 1, out, sizeof(out) - 1)

static void test_stuff(void **state)
{
	(void)state;
	CHECK_STUFF("", ".\r\n");
	CHECK_STUFF("a\r\n", "a\r\n.\r\n");
	CHECK_STUFF("a", "a\r\n.\r\n");
	CHECK_STUFF(".\r\n", "..\r\n.\r\n");
	CHECK_STUFF("a\n.b\nc", "a\r\n..b\r\nc\r\n.\r\n");
	CHECK_STUFF("a\r.b", "a\r\n..b\r\n.\r\n");
	CHECK_STUFF("x.y\r\n..\r\n", "x.y\r\n...\r\n.\r\n");
}

/* What goes out and comes back in is the message with CRLF line ends. */
static void test_round_trip(void **state)
{
	static const char alphabet[] = ".\r\na";
	char in[64];
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(in));
		struct buffer stuffed, normal;
		size_t msg_len, rest;
		bool overflow;
		uint64_t size;
		char *msg;

		for (size_t i = 0; i < len; i++)
			in[i] = alphabet[rand_r(&seed) % 4];
		buffer_init(&stuffed, 0);
		buffer_init(&normal, 0);
		assert_int_equal(smtp_data_stuff(&stuffed, in, len), 0);
		/* normal form: strip the terminator from the stuffed form and
		   unstuff by hand is what we test, so compare with a CRLF
		   normalisation of the input instead */
		for (size_t i = 0; i < len; i++) {
			if (in[i] == '\r' || in[i] == '\n') {
				buffer_append(&normal, "\r\n", 2);
				if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
					i++;
			} else {
				buffer_append_c(&normal, in[i]);
			}
		}
		if (normal.used > 0 && normal.data[normal.used - 1] != '\n')
			buffer_append(&normal, "\r\n", 2);
		msg = unstuff(stuffed.data, stuffed.used, (size_t)round % 7, 0,
			      &msg_len, &rest, &overflow, &size);
		assert_int_equal(rest, stuffed.used);
		assert_int_equal(msg_len, normal.used);
		assert_memory_equal(msg, normal.data != NULL ? normal.data : "", msg_len);
		free(msg);
		buffer_free(&stuffed);
		buffer_free(&normal);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unstuff),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_stuff),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
