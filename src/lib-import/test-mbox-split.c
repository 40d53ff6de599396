/* Unit tests for the mbox splitter: fed whole, byte by byte and split at
   every offset, it must cut the same messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "mbox-split.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct result {
	struct buffer out;     /* "[flags|keywords|time]bytes" per message */
	unsigned int count;
};

static void cb_begin(void *context)
{
	struct result *r = context;

	buffer_append_str(&r->out, "<");
}

static void cb_data(void *context, const unsigned char *data, size_t len)
{
	struct result *r = context;

	buffer_append(&r->out, data, len);
}

static void cb_end(void *context, const struct mbox_message_state *state)
{
	struct result *r = context;

	buffer_printf(&r->out, ">[%u|%s|%lld]", state->flags, state->keywords,
		      (long long)state->from_time);
	r->count++;
}

static const struct mbox_split_callbacks callbacks = { cb_begin, cb_data, cb_end };

/* Split input fed in pieces of step bytes (0: at offset cut, in two). */
static char *split(const char *input, size_t step, size_t cut, unsigned int *count_r)
{
	struct result r;
	struct mbox_split *sp;
	size_t len = strlen(input);

	memset(&r, 0, sizeof(r));
	buffer_init(&r.out, 0);
	buffer_append_str(&r.out, "");
	sp = mbox_split_create(&callbacks, &r);
	if (step == 0) {
		mbox_split_feed(sp, (const unsigned char *)input, cut);
		mbox_split_feed(sp, (const unsigned char *)input + cut, len - cut);
	} else {
		for (size_t i = 0; i < len; i += step)
			mbox_split_feed(sp, (const unsigned char *)input + i,
					len - i < step ? len - i : step);
	}
	mbox_split_finish(sp);
	mbox_split_destroy(&sp);
	*count_r = r.count;
	return r.out.data;
}

static void check(const char *input, const char *expected, unsigned int count)
{
	size_t len = strlen(input);
	unsigned int n;
	char *out;

	out = split(input, len + 1, 0, &n);
	assert_string_equal(out, expected);
	assert_int_equal(n, count);
	free(out);
	out = split(input, 1, 0, &n);
	assert_string_equal(out, expected);
	free(out);
	for (size_t cut = 0; cut <= len; cut++) {
		out = split(input, 0, cut, &n);
		assert_string_equal(out, expected);
		free(out);
	}
}

static void test_basic(void **state)
{
	(void)state;
	check("From a@b Sat Jan  3 01:05:34 1996\n"
	      "Subject: one\n"
	      "Status: RO\n"
	      "X-Status: AF\n"
	      "X-Keywords: $Work, Later bad(\n"
	      "\n"
	      "body\n"
	      ">From here\n"
	      ">>From there\n"
	      ">Fromage\n"
	      "\n"
	      "From c@d Sun Feb  4 10:00:00 2024\n"
	      "Subject: two\n"
	      "\n"
	      "x\n"
	      "\n",
	      "<Subject: one\n\nbody\nFrom here\n>From there\n>Fromage\n"
	      ">[7|$Work Later|820631134]"
	      "<Subject: two\n\nx\n>[0||1707040800]", 2);
}

static void test_edges(void **state)
{
	(void)state;
	/* garbage before the first separator is not a message */
	check("junk\nFrom x\n\nbody", "<\nbody>[0||0]", 1);
	/* "From " not after an empty line is body text */
	check("From x\nA: 1\n\nl1\nFrom y\n", "<A: 1\n\nl1\nFrom y\n>[0||0]", 1);
	/* CRLF, and two empty lines: only the last is the separator's */
	check("From x\r\nA: 1\r\n\r\nb\r\n\r\n\r\nFrom y\r\n\r\nc\r\n",
	      "<A: 1\r\n\r\nb\r\n\r\n>[0||0]<\r\nc\r\n>[0||0]", 2);
	/* a hidden header's continuation lines go with it */
	check("From x\nX-Keywords: a\n b\nC: d\n e\n\nz\n",
	      "<C: d\n e\n\nz\n>[0|a|0]", 1);
	/* with a zone before the year */
	check("From x Mon Jan  1 00:00 UTC 2001\n\n", "<>[0||978307200]", 1);
	check("", "", 0);
}

static void test_long_lines(void **state)
{
	static char input[MBOX_LINE_MAX * 3 + 200], expected[sizeof(input)];
	size_t n;

	(void)state;
	/* a From line and a hidden header longer than the line buffer are
	   dropped whole; a long body line passes whole */
	n = (size_t)snprintf(input, sizeof(input), "From ");
	memset(input + n, 'f', MBOX_LINE_MAX);
	n += MBOX_LINE_MAX;
	n += (size_t)snprintf(input + n, sizeof(input) - n, "\nStatus: R");
	memset(input + n, 'R', MBOX_LINE_MAX);
	n += MBOX_LINE_MAX;
	n += (size_t)snprintf(input + n, sizeof(input) - n, "\n\nBody ");
	memset(input + n, 'b', MBOX_LINE_MAX);
	n += MBOX_LINE_MAX;
	input[n] = '\0';
	snprintf(expected, sizeof(expected), "<\n%s>[1||0]", input + n - MBOX_LINE_MAX - 5);
	check(input, expected, 1);
}

static void test_from_time(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(mbox_from_line_time("MAILER-DAEMON Thu Jan  1 00:00:01 1970", 38, &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(mbox_from_line_time("a b c", 5, &t), -1);
	assert_int_equal(mbox_from_line_time("a Jan 32 00:00:00 2000", 22, &t), -1);
	assert_int_equal(mbox_from_line_time("a Jan 1 24:00:00 2000", 21, &t), -1);
	assert_int_equal(mbox_from_line_time("a Jan 1 1:00:00 2000", 20, &t), -1);
	assert_int_equal(mbox_from_line_time("", 0, &t), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_from_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
