#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imap-parser.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the test driver does with a literal. */
enum lit_policy {
	LIT_BUFFER,
	LIT_STREAM,
	LIT_REJECT_BIG,   /* reject literals over 10 bytes, buffer the rest */
};

static const struct imap_parser_settings test_set = {
	.max_line = 200,
	.max_literal = 1000,
	.max_buffered = 100,
	.max_depth = 4,
	.max_args = 20,
};

static void serialize_args(struct buffer *out, const struct imap_arg *args)
{
	for (const struct imap_arg *a = args; a->type != IMAP_ARG_EOL; a++) {
		if (a != args)
			buffer_append_c(out, ' ');
		switch (a->type) {
		case IMAP_ARG_NIL:
			buffer_append_str(out, "NIL");
			break;
		case IMAP_ARG_ATOM:
			buffer_printf(out, "A:%s", a->u.str);
			break;
		case IMAP_ARG_STRING:
			buffer_printf(out, "Q:%s", a->u.str);
			break;
		case IMAP_ARG_LITERAL:
			buffer_printf(out, "%s{%zu%s}", a->literal8 ? "~" : "", a->len,
				      a->streamed ? "s" : "");
			for (size_t i = 0; i < a->len && !a->streamed; i++) {
				char c = a->u.str[i];

				buffer_append_c(out, c == '\0' ? '0' : c);
			}
			break;
		case IMAP_ARG_LIST:
			buffer_append_c(out, '(');
			serialize_args(out, a->u.list);
			buffer_append_c(out, ')');
			break;
		case IMAP_ARG_EOL:
			break;
		}
	}
}

/*
 * Feed input in chunks of split bytes (0: all at once) and return a
 * transcript of every event: "LINE:<args>", "ERR:<reason>", "DATA:<bytes>",
 * "END", "FATAL", one per line.
 */
static char *run_parser(const char *input, size_t len, size_t split,
			bool once, enum lit_policy policy, size_t *len_r)
{
	bool in_data = false;
	struct pool *pool = pool_create(1024), *args_pool = pool_create(1024);
	struct imap_parser *parser = imap_parser_create(pool, &test_set);
	struct buffer pending, out;
	size_t fed = 0, off = 0;
	char *result;

	buffer_init(&pending, 0);
	buffer_init(&out, 0);
	imap_parser_reset(parser, args_pool);
	while (fed < len || off < pending.used) {
		size_t chunk = split == 0 || (once && fed > 0) ? len - fed : split;
		bool fatal = false;

		if (chunk > len - fed)
			chunk = len - fed;
		buffer_append(&pending, input + fed, chunk);
		fed += chunk;
		for (;;) {
			size_t consumed;
			enum imap_parse_result ret =
				imap_parser_parse(parser, (const unsigned char *)pending.data + off,
						  pending.used - off, &consumed);
			const struct imap_arg *args;
			unsigned int count;

			off += consumed;
			if (ret == IMAP_PARSE_NEED_MORE) {
				assert_int_equal(off, pending.used);
				break;
			}
			if (ret == IMAP_PARSE_LINE) {
				args = imap_parser_args(parser, &count);
				buffer_append_str(&out, "LINE:");
				serialize_args(&out, args);
				buffer_append_c(&out, '\n');
				pool_clear(args_pool);
				imap_parser_reset(parser, args_pool);
			} else if (ret == IMAP_PARSE_ERROR) {
				if (imap_parser_is_fatal(parser)) {
					buffer_append_str(&out, "FATAL\n");
					fatal = true;
					break;
				}
				buffer_printf(&out, "ERR:%s tag=%s\n", imap_parser_error(parser),
					      imap_parser_tag(parser) != NULL ?
					      imap_parser_tag(parser) : "*");
				pool_clear(args_pool);
				imap_parser_reset(parser, args_pool);
			} else if (ret == IMAP_PARSE_LITERAL) {
				uint64_t size;
				bool sync, binary;

				imap_parser_literal(parser, &size, &sync, &binary);
				if (policy == LIT_STREAM) {
					imap_parser_literal_stream(parser);
				} else if (policy == LIT_REJECT_BIG && size > 10) {
					buffer_printf(&out, "REJECT:%llu%s\n",
						      (unsigned long long)size, sync ? "" : "+");
					imap_parser_literal_reject(parser);
					pool_clear(args_pool);
					imap_parser_reset(parser, args_pool);
				} else if (imap_parser_literal_buffer(parser) < 0) {
					buffer_append_str(&out, "OVERBUDGET\n");
					imap_parser_literal_reject(parser);
					pool_clear(args_pool);
					imap_parser_reset(parser, args_pool);
				}
			} else if (ret == IMAP_PARSE_LITERAL_DATA) {
				const unsigned char *data;
				size_t dlen;

				imap_parser_literal_data(parser, &data, &dlen);
				assert_true(dlen > 0);
				/* chunks are glued together: the transcript
				   must not depend on how input was split */
				if (!in_data)
					buffer_append_str(&out, "DATA:");
				in_data = true;
				buffer_append(&out, data, dlen);
			} else if (ret == IMAP_PARSE_LITERAL_END) {
				in_data = false;
				buffer_append_str(&out, "\nEND\n");
			}
		}
		if (fatal)
			break;
		/* keep pending small like a connection buffer */
		buffer_consume(&pending, off);
		off = 0;
	}
	result = malloc(out.used + 1);
	memcpy(result, out.data != NULL ? out.data : "", out.used);
	result[out.used] = '\0';
	*len_r = out.used;
	buffer_free(&out);
	buffer_free(&pending);
	pool_destroy(&args_pool);
	pool_destroy(&pool);
	return result;
}

/* Whole, byte at a time, and split at every offset must agree. */
static void check_parse_len(const char *input, size_t len, enum lit_policy policy,
			    const char *expected, size_t expected_len)
{
	size_t wlen, rlen;
	char *whole = run_parser(input, len, 0, false, policy, &wlen);

	if (wlen != expected_len || memcmp(whole, expected, expected_len) != 0)
		fail_msg("input %s\nexpected:\n%s\ngot:\n%s", input, expected, whole);
	for (size_t split = 1; split <= len; split++) {
		char *r = run_parser(input, len, split, false, policy, &rlen);

		if (rlen != wlen || memcmp(r, whole, wlen) != 0)
			fail_msg("input %s split %zu\nexpected:\n%s\ngot:\n%s",
				 input, split, expected, r);
		free(r);
	}
	/* split once at every offset: first part, then the rest */
	for (size_t at = 1; at < len; at++) {
		char *r1 = run_parser(input, len, at, true, policy, &rlen);

		if (rlen != wlen || memcmp(r1, whole, wlen) != 0)
			fail_msg("input %s at %zu\ngot:\n%s", input, at, r1);
		free(r1);
	}
	free(whole);
}

static void check_parse(const char *input, enum lit_policy policy,
			const char *expected)
{
	check_parse_len(input, strlen(input), policy, expected, strlen(expected));
}

static void test_parser_simple(void **state)
{
	(void)state;
	check_parse("a1 NOOP\r\n", LIT_BUFFER, "LINE:A:a1 A:NOOP\n");
	check_parse("a1 NOOP\n", LIT_BUFFER, "LINE:A:a1 A:NOOP\n");
	check_parse("a1 NOOP \r\n", LIT_BUFFER, "LINE:A:a1 A:NOOP\n");
	check_parse("\r\n", LIT_BUFFER, "LINE:\n");
	check_parse("a SELECT nil NIL \"NIL\"\r\n", LIT_BUFFER,
		    "LINE:A:a A:SELECT NIL NIL Q:NIL\n");
	check_parse("t LIST \"\" %/*\r\n", LIT_BUFFER, "LINE:A:t A:LIST Q: A:%/*\n");
	check_parse("a STORE 1:* +FLAGS.SILENT (\\Seen \\Deleted)\r\n", LIT_BUFFER,
		    "LINE:A:a A:STORE A:1:* A:+FLAGS.SILENT (A:\\Seen A:\\Deleted)\n");
	check_parse("a x ~foo ~\r\n", LIT_BUFFER, "LINE:A:a A:x A:~foo A:~\n");
	check_parse("a SELECT fo]o\r\n", LIT_BUFFER, "LINE:A:a A:SELECT A:fo]o\n");
}

static void test_parser_quoted(void **state)
{
	(void)state;
	check_parse("a LOGIN \"al\\\"ice\" \"p\\\\w d\"\r\n", LIT_BUFFER,
		    "LINE:A:a A:LOGIN Q:al\"ice Q:p\\w d\n");
	check_parse("a x \"\"\r\n", LIT_BUFFER, "LINE:A:a A:x Q:\n");
	check_parse("a x \"caf\xc3\xa9\"\r\n", LIT_BUFFER, "LINE:A:a A:x Q:caf\xc3\xa9\n");
	check_parse("a x \"bad\\n\"\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid escape in a quoted string tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x \"open\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing '\"' tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x \"open\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing '\"' tag=a\nLINE:A:b A:NOOP\n");
}

static void test_parser_lists(void **state)
{
	(void)state;
	check_parse("a FETCH 1:* (FLAGS (X Y) () UID)\r\n", LIT_BUFFER,
		    "LINE:A:a A:FETCH A:1:* (A:FLAGS (A:X A:Y) () A:UID)\n");
	check_parse("a x ((((y))))\r\n", LIT_BUFFER, "LINE:A:a A:x ((((A:y))))\n");
	check_parse("a x (((((y)))))\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Lists nested too deeply tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x (y\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing ')' tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x y)\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Unexpected ')' tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x  y\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Unexpected space tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x (y)z\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing space between arguments tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x y(z)\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid characters in atom tag=a\nLINE:A:b A:NOOP\n");
}

static void test_parser_sections(void **state)
{
	(void)state;
	check_parse("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To)]<0.100> UID)\r\n",
		    LIT_BUFFER,
		    "LINE:A:a A:FETCH A:1 (A:BODY.PEEK[HEADER.FIELDS (From To)]<0.100> A:UID)\n");
	check_parse("a FETCH 1 body[]\r\n", LIT_BUFFER, "LINE:A:a A:FETCH A:1 A:body[]\n");
	check_parse("a FETCH 1 BODY[1.2.MIME] BINARY.SIZE[1]\r\n", LIT_BUFFER,
		    "LINE:A:a A:FETCH A:1 A:BODY[1.2.MIME] A:BINARY.SIZE[1]\n");
	/* '[' elsewhere does not open a section */
	check_parse("a SELECT fo[o bar\r\n", LIT_BUFFER,
		    "LINE:A:a A:SELECT A:fo[o A:bar\n");
	check_parse("a FETCH 1 BODY[HEADER.FIELDS (From)\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing ']' tag=a\nLINE:A:b A:NOOP\n");
}

static void test_parser_literals(void **state)
{
	(void)state;
	check_parse("a LOGIN {5}\r\nalice {6}\r\nsecret\r\n", LIT_BUFFER,
		    "LINE:A:a A:LOGIN {5}alice {6}secret\n");
	check_parse("a LOGIN {5+}\r\nalice {0}\r\n\r\n", LIT_BUFFER,
		    "LINE:A:a A:LOGIN {5}alice {0}\n");
	check_parse_len("a x ~{3}\r\na\0c\r\n", 15, LIT_BUFFER,
			"LINE:A:a A:x ~{3}a0c\n", 21);
	check_parse("a x (y {2}\r\n()) z\r\n", LIT_BUFFER, "LINE:A:a A:x (A:y {2}()) A:z\n");
	check_parse("a x {3}\nabc\n", LIT_BUFFER, "LINE:A:a A:x {3}abc\n");
	/* NUL is allowed in literal8 only */
	check_parse_len("a x {3}\r\na\0c\r\nb NOOP\r\n", 22, LIT_BUFFER,
			"ERR:NUL in a literal tag=a\nLINE:A:b A:NOOP\n", 43);
	check_parse("a x {3a}\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid literal size tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x {}\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid literal size tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x {99999999999999999999999}\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid literal size tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x {3}x\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Missing CRLF after literal size tag=a\nLINE:A:b A:NOOP\n");
	/* a synchronising literal over the hard cap: the client never sends
	   it, so the next line is a new command */
	check_parse("a x {1001}\r\nb NOOP\r\n", LIT_BUFFER,
		    "OVERBUDGET\nLINE:A:b A:NOOP\n");
	/* over the per-command budget */
	check_parse("a x {60}\r\n{60}\r\nb NOOP\r\n", LIT_REJECT_BIG,
		    "REJECT:60\nREJECT:60\nLINE:A:b A:NOOP\n");
}

static void test_parser_literal_budget(void **state)
{
	char input[300];

	(void)state;
	snprintf(input, sizeof(input), "a x {60}\r\n%060d {60}\r\nb NOOP\r\n", 0);
	check_parse(input, LIT_BUFFER, "OVERBUDGET\nLINE:A:b A:NOOP\n");
}

static void test_parser_nonsync_fatal(void **state)
{
	(void)state;
	check_parse("a x {1001+}\r\nxxxx", LIT_BUFFER, "FATAL\n");
}

static void test_parser_reject(void **state)
{
	(void)state;
	/* a rejected non-synchronising literal is read and dropped with the
	   rest of its line, further literals included */
	check_parse("a APPEND x {12+}\r\nhello world! {3+}\r\nabc (((((((x)) \"q\r\nb NOOP\r\n",
		    LIT_REJECT_BIG,
		    "REJECT:12+\nLINE:A:b A:NOOP\n");
	/* a synchronising literal inside the dropped line ends it */
	check_parse("a APPEND x {12+}\r\nhello world! {13}\r\nb NOOP\r\n",
		    LIT_REJECT_BIG, "REJECT:12+\nLINE:A:b A:NOOP\n");
	check_parse("a APPEND x {12}\r\nb NOOP\r\n", LIT_REJECT_BIG,
		    "REJECT:12\nLINE:A:b A:NOOP\n");
}

static void test_parser_stream(void **state)
{
	(void)state;
	check_parse("a APPEND INBOX (\\Seen) {11}\r\nhello\r\nworl\r\nb NOOP\r\n",
		    LIT_STREAM,
		    "DATA:hello\r\nworl\nEND\n"
		    "LINE:A:a A:APPEND A:INBOX (A:\\Seen) {11s}\nLINE:A:b A:NOOP\n");
	check_parse("a APPEND INBOX {0+}\r\n\r\n", LIT_STREAM,
		    "\nEND\nLINE:A:a A:APPEND A:INBOX {0s}\n");
	{
		static const char in[] = "a APPEND INBOX ~{3+}\r\n\0\0\0 {1+}\r\nz\r\n";
		static const char out[] =
			"DATA:\0\0\0\nEND\nDATA:z\nEND\nLINE:A:a A:APPEND A:INBOX ~{3s} {1s}\n";

		check_parse_len(in, sizeof(in) - 1, LIT_STREAM, out, sizeof(out) - 1);
	}
}

static void test_parser_limits(void **state)
{
	char line[400];

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "a ", 2);
	memcpy(line + sizeof(line) - 15, "\r\nb NOOP\r\n", 11);
	check_parse(line, LIT_BUFFER, "ERR:Command line too long tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20\r\nb NOOP\r\n",
		    LIT_BUFFER, "ERR:Too many arguments tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x\ry\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:CR without LF tag=a\nLINE:A:b A:NOOP\n");
	check_parse("a x \x01\r\nb NOOP\r\n", LIT_BUFFER,
		    "ERR:Invalid characters in atom tag=a\nLINE:A:b A:NOOP\n");
}

static void test_parser_arg_helpers(void **state)
{
	struct pool *pool = pool_create(1024);
	struct imap_parser *parser = imap_parser_create(pool, &test_set);
	const char *in = "a LOGIN NIL \"x\" (1 2) atom\r\n";
	const struct imap_arg *args, *list;
	unsigned int count;
	const char *str;
	size_t consumed;

	(void)state;
	assert_int_equal(imap_parser_parse(parser, (const unsigned char *)in, strlen(in),
					   &consumed), IMAP_PARSE_LINE);
	assert_int_equal(consumed, strlen(in));
	args = imap_parser_args(parser, &count);
	assert_int_equal(count, 6);
	assert_string_equal(imap_parser_tag(parser), "a");
	assert_true(imap_arg_get_astring(&args[2], &str));
	assert_string_equal(str, "NIL");
	assert_true(imap_arg_get_nstring(&args[2], &str));
	assert_null(str);
	assert_false(imap_arg_get_string(&args[2], &str));
	assert_true(imap_arg_get_nstring(&args[3], &str));
	assert_string_equal(str, "x");
	assert_false(imap_arg_get_nstring(&args[5], &str));
	assert_true(imap_arg_get_list(&args[4], &list, &count));
	assert_int_equal(count, 2);
	assert_int_equal(list[2].type, IMAP_ARG_EOL);
	assert_true(imap_arg_atom_equals(&args[1], "login"));
	assert_int_equal(args[6].type, IMAP_ARG_EOL);
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser_simple),
		cmocka_unit_test(test_parser_quoted),
		cmocka_unit_test(test_parser_lists),
		cmocka_unit_test(test_parser_sections),
		cmocka_unit_test(test_parser_literals),
		cmocka_unit_test(test_parser_literal_budget),
		cmocka_unit_test(test_parser_nonsync_fatal),
		cmocka_unit_test(test_parser_reject),
		cmocka_unit_test(test_parser_stream),
		cmocka_unit_test(test_parser_limits),
		cmocka_unit_test(test_parser_arg_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
