/* Unit tests: byte-stuffing and line ends for RETR and TOP. Every case is
   fed whole, one byte at a time, and split at every offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pop3-stuff.h"

#include <stdlib.h>
#include <string.h>

struct out {
	unsigned char data[4096];
	size_t len;
};

static void feed(struct pop3_stuff *st, const char *in, size_t len, struct out *out)
{
	if (st->done)
		return;
	out->len += pop3_stuff_feed(st, (const unsigned char *)in, len,
				    out->data + out->len);
}

/* Run in through a fresh state split into pieces of at most step bytes
   (0: whole), or at one split point (split > 0). */
static void run(const char *in, size_t len, bool top, uint64_t hdr,
		uint64_t lines, size_t step, size_t split, struct out *out)
{
	struct pop3_stuff st;

	if (top)
		pop3_stuff_init_top(&st, hdr, lines);
	else
		pop3_stuff_init(&st);
	out->len = 0;
	if (split > 0) {
		feed(&st, in, split, out);
		feed(&st, in + split, len - split, out);
	} else if (step == 0) {
		feed(&st, in, len, out);
	} else {
		for (size_t i = 0; i < len; i += step)
			feed(&st, in + i, len - i < step ? len - i : step, out);
	}
	out->len += pop3_stuff_finish(&st, out->data + out->len);
}

static void check_top(const char *in, bool top, uint64_t hdr, uint64_t lines,
		      const char *want)
{
	size_t len = strlen(in), wlen = strlen(want);
	struct out out;

	run(in, len, top, hdr, lines, 0, 0, &out);
	assert_int_equal(out.len, wlen);
	assert_memory_equal(out.data, want, wlen);
	run(in, len, top, hdr, lines, 1, 0, &out);
	assert_int_equal(out.len, wlen);
	assert_memory_equal(out.data, want, wlen);
	for (size_t split = 1; split < len; split++) {
		run(in, len, top, hdr, lines, 0, split, &out);
		assert_int_equal(out.len, wlen);
		assert_memory_equal(out.data, want, wlen);
	}
}

static void check(const char *in, const char *want)
{
	check_top(in, false, 0, 0, want);
}

static void test_stuff_plain(void **state)
{
	(void)state;
	check("", ".\r\n");
	check("a\r\n", "a\r\n.\r\n");
	check("Subject: x\r\n\r\nbody\r\n", "Subject: x\r\n\r\nbody\r\n.\r\n");
}

static void test_stuff_dots(void **state)
{
	(void)state;
	/* RFC 1939 3: a line beginning with "." gets another */
	check(".\r\n", "..\r\n.\r\n");
	check("a\r\n.\r\n..x\r\n", "a\r\n..\r\n...x\r\n.\r\n");
	check(".start\r\nmid.dle\r\n", "..start\r\nmid.dle\r\n.\r\n");
	check("a\n.b\n", "a\r\n..b\r\n.\r\n");
}

static void test_stuff_bare_lf(void **state)
{
	(void)state;
	/* RFC 1939 11: bare LF goes out as CRLF */
	check("a\nb\n", "a\r\nb\r\n.\r\n");
	check("\n\n", "\r\n\r\n.\r\n");
	check("a\r\nb\nc\r\n", "a\r\nb\r\nc\r\n.\r\n");
	/* a bare CR is data */
	check("a\rb\r\n", "a\rb\r\n.\r\n");
	check("a\r\r\n", "a\r\r\n.\r\n");
}

static void test_stuff_unterminated(void **state)
{
	(void)state;
	/* the terminating "." needs a line of its own */
	check("abc", "abc\r\n.\r\n");
	check("a\r\n.", "a\r\n..\r\n.\r\n");
	check("abc\r", "abc\r\n.\r\n");
}

static void test_stuff_top(void **state)
{
	const char *msg = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\nl4";

	(void)state;
	/* header is 14 bytes, blank line included */
	check_top(msg, true, 14, 0, "A: 1\r\nB: 2\r\n\r\n.\r\n");
	check_top(msg, true, 14, 1, "A: 1\r\nB: 2\r\n\r\nl1\r\n.\r\n");
	check_top(msg, true, 14, 2, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n");
	check_top(msg, true, 14, 3, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n");
	check_top(msg, true, 14, 4, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\nl4\r\n.\r\n");
	check_top(msg, true, 14, 1000, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\nl4\r\n.\r\n");
	/* LF-only message: header_size counts stored bytes */
	check_top("A: 1\n\nx\ny\n", true, 6, 1, "A: 1\r\n\r\nx\r\n.\r\n");
	/* no body at all */
	check_top("A: 1\r\n", true, 6, 5, "A: 1\r\n.\r\n");
	check_top("A: 1", true, 4, 0, "A: 1\r\n.\r\n");
	check_top("", true, 0, 0, ".\r\n");
}

/* Undo the stuffing as a client does and compare with the stored bytes
   with LF turned into CRLF: the sizes in LIST must match what arrives. */
static void test_stuff_roundtrip(void **state)
{
	static const char alphabet[] = ".\r\nab";
	unsigned char in[200], expect[400], unstuffed[400];
	struct out out;

	(void)state;
	srand(1939);
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand() % 60), elen = 0, ulen = 0, i;
		bool line_start = true;

		for (i = 0; i < len; i++)
			in[i] = (unsigned char)alphabet[rand() % 5];
		for (i = 0; i < len; i++) {
			if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
				expect[elen++] = '\r';
			expect[elen++] = in[i];
		}
		run((const char *)in, len, false, 0, 0, (size_t)(rand() % 7), 0, &out);
		/* unstuff line by line, stop at the terminator */
		for (i = 0; i < out.len; ) {
			const unsigned char *lf = memchr(out.data + i, '\n', out.len - i);
			size_t llen;

			assert_non_null(lf);
			llen = (size_t)(lf - (out.data + i)) + 1;
			assert_true(llen >= 2 && out.data[i + llen - 2] == '\r');
			if (llen == 3 && out.data[i] == '.')
				break;
			if (out.data[i] == '.') {
				memcpy(unstuffed + ulen, out.data + i + 1, llen - 1);
				ulen += llen - 1;
			} else {
				memcpy(unstuffed + ulen, out.data + i, llen);
				ulen += llen;
			}
			i += llen;
		}
		assert_int_equal(i + 3, out.len);
		(void)line_start;
		/* an unterminated last line gained a CRLF (or an LF after a
		   final CR) */
		if (elen > 0 && expect[elen - 1] != '\n') {
			if (expect[elen - 1] != '\r')
				expect[elen++] = '\r';
			expect[elen++] = '\n';
		}
		assert_int_equal(ulen, elen);
		assert_memory_equal(unstuffed, expect, elen);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stuff_plain),
		cmocka_unit_test(test_stuff_dots),
		cmocka_unit_test(test_stuff_bare_lf),
		cmocka_unit_test(test_stuff_unterminated),
		cmocka_unit_test(test_stuff_top),
		cmocka_unit_test(test_stuff_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
