/* Unit tests for the small lib-imap modules: sequence sets, modified
   UTF-7, dates and LIST pattern matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imap-base-subject.h"
#include "imap-date.h"
#include "imap-bodystructure.h"
#include "imap-envelope.h"
#include "mime.h"
#include "imap-match.h"
#include "imap-seqset.h"
#include "imap-utf7.h"
#include "pool.h"

#include <string.h>

static const char *seqset_roundtrip(struct pool *pool, const char *str, uint32_t star)
{
	struct imap_seqset set;
	struct buffer buf;
	const char *error;

	if (imap_seqset_parse(pool, str, star, &set, &error) < 0)
		return "ERROR";
	buffer_init_pool(&buf, pool, 0);
	imap_seqset_write(&buf, &set);
	return buf.data != NULL ? buf.data : "";
}

static void test_seqset(void **state)
{
	struct pool *pool = pool_create(1024);
	struct imap_seqset set;
	const char *error;
	uint32_t nums[] = { 1, 2, 3, 5, 7, 8, 8, 9, 4294967295u };
	struct buffer buf;

	(void)state;
	assert_string_equal(seqset_roundtrip(pool, "1", 10), "1");
	assert_string_equal(seqset_roundtrip(pool, "1:*", 10), "1:10");
	assert_string_equal(seqset_roundtrip(pool, "*:3", 10), "3:10");
	assert_string_equal(seqset_roundtrip(pool, "5:2,9,1,10,3:4", 10), "1:5,9:10");
	assert_string_equal(seqset_roundtrip(pool, "4294967295", 10), "4294967295");
	assert_string_equal(seqset_roundtrip(pool, "1:4294967295,7", 10), "1:4294967295");
	assert_string_equal(seqset_roundtrip(pool, "4294967296", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "0", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "1,", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, ",1", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "1::2", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "1:2:3", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "01", 10), "ERROR");
	assert_string_equal(seqset_roundtrip(pool, "", 10), "ERROR");
	assert_int_equal(imap_seqset_parse(pool, "2:4,8", 10, &set, &error), 0);
	assert_true(imap_seqset_contains(&set, 3));
	assert_true(imap_seqset_contains(&set, 8));
	assert_false(imap_seqset_contains(&set, 5));
	assert_false(imap_seqset_contains(&set, 1));
	assert_int_equal(imap_seqset_count(&set), 4);
	assert_int_equal(imap_seqset_max(&set), 8);
	assert_true(imap_seqset_is_valid("1:*,3"));
	assert_false(imap_seqset_is_valid("1 2"));
	buffer_init_pool(&buf, pool, 0);
	imap_seqset_write_array(&buf, nums, 9);
	assert_string_equal(buf.data, "1:3,5,7:9,4294967295");
	imap_seqset_from_array(pool, nums, 9, &set);
	assert_int_equal(set.count, 4);
	pool_destroy(&pool);
}

static const char *utf7_decode(struct pool *pool, const char *in)
{
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	if (imap_utf7_to_utf8(in, &buf) < 0)
		return "ERROR";
	return buf.data != NULL ? buf.data : "";
}

static const char *utf7_encode(struct pool *pool, const char *in)
{
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	if (imap_utf8_to_utf7(in, &buf) < 0)
		return "ERROR";
	return buf.data != NULL ? buf.data : "";
}

static void test_utf7(void **state)
{
	struct pool *pool = pool_create(1024);
	static const char *const pairs[][2] = {
		{ "INBOX", "INBOX" },
		{ "a&b", "a&-b" },
		{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },
		/* RFC 3501 5.1.3's example */
		{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		  "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
		/* outside the BMP: a surrogate pair */
		{ "x\xf0\x9f\x98\x80y", "x&2D3eAA-y" },
		{ "\xc3\xa9\xc3\xa9\xc3\xa9", "&AOkA6QDp-" },
	};

	(void)state;
	for (unsigned int i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_string_equal(utf7_encode(pool, pairs[i][0]), pairs[i][1]);
		assert_string_equal(utf7_decode(pool, pairs[i][1]), pairs[i][0]);
	}
	/* invalid modified UTF-7 */
	assert_string_equal(utf7_decode(pool, "a&b"), "ERROR");
	assert_string_equal(utf7_decode(pool, "&AGE-"), "ERROR");   /* encoded 'a' */
	assert_string_equal(utf7_decode(pool, "&AOk"), "ERROR");    /* not closed */
	assert_string_equal(utf7_decode(pool, "&AOl-"), "ERROR");   /* bits left */
	assert_string_equal(utf7_decode(pool, "&2D0-"), "ERROR");   /* lone surrogate */
	assert_string_equal(utf7_decode(pool, "&-&-"), "&&");
	assert_string_equal(utf7_decode(pool, "caf\xc3\xa9"), "ERROR");
	/* invalid UTF-8 */
	assert_string_equal(utf7_encode(pool, "\xc3"), "ERROR");
	assert_string_equal(utf7_encode(pool, "\xc0\xaf"), "ERROR");
	assert_true(imap_utf8_is_valid("caf\xc3\xa9", 5));
	assert_false(imap_utf8_is_valid("\xed\xa0\x80", 3));
	pool_destroy(&pool);
}

static void test_date(void **state)
{
	struct pool *pool = pool_create(1024);
	struct buffer buf;
	time_t t, day;
	int tz;

	(void)state;
	assert_true(imap_date_parse_datetime("17-Jul-1996 02:44:25 -0700", &t, &tz));
	assert_int_equal(t, 837596665);
	assert_int_equal(tz, -420);
	buffer_init_pool(&buf, pool, 0);
	imap_date_append_datetime(&buf, t, tz);
	assert_string_equal(buf.data, "17-Jul-1996 02:44:25 -0700");
	assert_true(imap_date_parse_datetime(" 7-Jul-1996 02:44:25 +0000", &t, &tz));
	assert_true(imap_date_parse_datetime("7-jul-1996 02:44:25 +0130", &t, &tz));
	assert_int_equal(tz, 90);
	assert_false(imap_date_parse_datetime("32-Jul-1996 02:44:25 +0000", &t, &tz));
	assert_false(imap_date_parse_datetime("29-Feb-2023 02:44:25 +0000", &t, &tz));
	assert_true(imap_date_parse_datetime("29-Feb-2024 02:44:25 +0000", &t, &tz));
	assert_false(imap_date_parse_datetime("17-Jul-1996 24:44:25 +0000", &t, &tz));
	assert_false(imap_date_parse_datetime("17-Jul-1996 02:44:25", &t, &tz));
	assert_false(imap_date_parse_datetime("17-Jux-1996 02:44:25 +0000", &t, &tz));
	assert_true(imap_date_parse_date("1-Feb-1994", &day));
	assert_int_equal(day, 760060800);
	assert_false(imap_date_parse_date("1-Feb-94", &day));
	assert_false(imap_date_parse_date("1-Feb-1994 ", &day));
	/* the day of a moment in a zone */
	assert_int_equal(imap_date_day(760060800 + 3600, -120), 760060800 - 86400);
	assert_int_equal(imap_date_day(760060800 + 3600, 0), 760060800);
	pool_destroy(&pool);
}

static void test_match(void **state)
{
	(void)state;
	assert_true(imap_match("*", "a/b/c", '/'));
	assert_true(imap_match("%", "abc", '/'));
	assert_false(imap_match("%", "a/b", '/'));
	assert_true(imap_match("a/%", "a/b", '/'));
	assert_false(imap_match("a/%", "a/b/c", '/'));
	assert_true(imap_match("a*c", "a/b/c", '/'));
	assert_true(imap_match("a%c", "abbc", '/'));
	assert_false(imap_match("a%c", "ab/c", '/'));
	assert_true(imap_match("INBOX", "INBOX", '/'));
	assert_false(imap_match("INBOX", "INBOX/x", '/'));
	assert_true(imap_match("", "", '/'));
	assert_false(imap_match("", "a", '/'));
	assert_true(imap_match("%/%", "a/b", '/'));
	assert_true(imap_match("*%*%*%*%*%*%*%*%*%*%*%*%*%*x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaax", '/'));
	assert_false(imap_match("%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/x", '/'));
}

static void test_envelope(void **state)
{
	struct pool *pool = pool_create(1024);
	struct imap_envelope env;

	(void)state;
	assert_int_equal(imap_envelope_parse(pool,
		"(\"Thu, 15 Feb 2007 01:02:03 +0200\" {5}\r\nhi \"x ((\"Ann\" NIL \"ann\" \"a.example\"))"
		" NIL NIL ((NIL NIL \"grp\" NIL)(NIL NIL \"bob\" \"b.example\")(NIL NIL NIL NIL))"
		" NIL NIL NIL \"<id@x>\")", &env), 0);
	assert_string_equal(env.date, "Thu, 15 Feb 2007 01:02:03 +0200");
	assert_string_equal(env.subject, "hi \"x");
	assert_string_equal(env.from.name, "Ann");
	assert_string_equal(env.from.mailbox, "ann");
	assert_string_equal(env.from.host, "a.example");
	/* a group: its name comes first, as the mailbox of its marker */
	assert_string_equal(env.to.mailbox, "grp");
	assert_null(env.to.host);
	assert_null(env.cc.mailbox);
	assert_int_equal(imap_envelope_parse(pool, "(NIL NIL)", &env), -1);
	assert_int_equal(imap_envelope_parse(pool, "garbage (", &env), -1);
	/* a literal that claims more than there is; an open quote */
	assert_int_equal(imap_envelope_parse(pool, "(NIL {50}\r\nab", &env), -1);
	assert_int_equal(imap_envelope_parse(pool, "(\"x", &env), -1);
	assert_int_equal(imap_envelope_parse(pool, "", &env), -1);
	pool_destroy(&pool);
}

/* What imap-bodystructure.c writes, imap-envelope.c reads back: quotes,
   backslashes and 8-bit text (a literal) survive the trip. */
static void test_envelope_round_trip(void **state)
{
	struct pool *pool = pool_create(1024);
	const struct mime_address from[] = {
		{ MIME_ADDRESS_MAILBOX, "Ann \"the\" \\ Best", NULL, "ann", "a.example" },
	};
	const struct mime_address to[] = {
		{ MIME_ADDRESS_GROUP_START, "team", NULL, NULL, NULL },
		{ MIME_ADDRESS_MAILBOX, NULL, "@relay", "bob", "b.example" },
		{ MIME_ADDRESS_GROUP_END, NULL, NULL, NULL, NULL },
	};
	struct mime_envelope in = {
		.date = "Mon, 7 Dec 2026 03:00:00 +0000",
		.subject = "caf\xc3\xa9 \"plans\"",
		.from = { from, 1 }, .sender = { from, 1 }, .reply_to = { from, 1 },
		.to = { to, 3 },
		.message_id = "<1@x>",
	};
	struct imap_envelope env;
	const char *wire = imap_envelope_string(pool, &in);

	assert_int_equal(imap_envelope_parse(pool, wire, &env), 0);
	assert_string_equal(env.date, in.date);
	assert_string_equal(env.subject, in.subject);
	assert_string_equal(env.from.name, from[0].name);
	assert_string_equal(env.from.mailbox, "ann");
	assert_string_equal(env.to.mailbox, "team");
	assert_null(env.cc.mailbox);
	pool_destroy(&pool);
}

static void check_base(struct pool *pool, const char *in, const char *want)
{
	assert_string_equal(imap_base_subject(pool, in), want);
}

static void test_base_subject(void **state)
{
	struct pool *pool = pool_create(1024);

	(void)state;
	check_base(pool, NULL, "");
	check_base(pool, "Hello", "Hello");
	check_base(pool, "Re: Hello", "Hello");
	check_base(pool, "RE:  re: FWD: Hello", "Hello");
	check_base(pool, "Fw: [list] Re: Hello (fwd) (FWD)  ", "Hello");
	check_base(pool, "Re[2]: Hello", "Hello");
	check_base(pool, "[list] Hello", "Hello");
	check_base(pool, "[only a blob]", "[only a blob]");
	check_base(pool, "[Fwd: Re: Hello]", "Hello");
	check_base(pool, "Hello\t\r\n  world", "Hello world");
	check_base(pool, "Reply to all", "Reply to all");
	check_base(pool, "re:", "");
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seqset),
		cmocka_unit_test(test_utf7),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_round_trip),
		cmocka_unit_test(test_base_subject),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
