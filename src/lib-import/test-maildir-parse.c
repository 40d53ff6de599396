/* Unit tests for Dovecot's Maildir++ metadata parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "maildir-parse.h"

#include <string.h>

static void test_uidlist_header(void **state)
{
	struct maildir_uidlist_header hdr;
	const char *error;
	static const char *const bad[] = {
		"", "4 V1 N2", "3 N5 G00", "3 V0 N5", "3 V12x N5", "3 V99999999999 N5",
		"1 123", "1 x 5", "3 V1 N", "3 V1 N2 G0123",
	};

	(void)state;
	assert_int_equal(maildir_uidlist_parse_header(
		"3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1", 54,
		&hdr, &error), 0);
	assert_int_equal(hdr.version, 3);
	assert_int_equal(hdr.uidvalidity, 1275660208);
	assert_int_equal(hdr.next_uid, 25022);
	assert_int_equal(maildir_uidlist_parse_header("1 77 9", 6, &hdr, &error), 0);
	assert_int_equal(hdr.version, 1);
	assert_int_equal(hdr.uidvalidity, 77);
	assert_int_equal(hdr.next_uid, 9);
	/* only the given length is read */
	assert_int_equal(maildir_uidlist_parse_header("3 V5 N7 junk", 7, &hdr, &error), 0);
	assert_int_equal(hdr.next_uid, 7);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(maildir_uidlist_parse_header(bad[i], strlen(bad[i]),
							      &hdr, &error), -1);
}

static void test_uidlist_entry(void **state)
{
	const char *base;
	size_t len;
	uint32_t uid;
	const char *line = "17 W1234 S1200 :1035478339.27041_118.example.org";

	(void)state;
	assert_int_equal(maildir_uidlist_parse_entry(3, line, strlen(line), &uid,
						     &base, &len), 0);
	assert_int_equal(uid, 17);
	assert_int_equal(len, strlen("1035478339.27041_118.example.org"));
	assert_memory_equal(base, "1035478339.27041_118.example.org", len);
	line = "3 :a b";
	assert_int_equal(maildir_uidlist_parse_entry(3, line, 6, &uid, &base, &len), 0);
	assert_int_equal(len, 3);
	line = "5 1.2.host:2,S";
	assert_int_equal(maildir_uidlist_parse_entry(1, line, strlen(line), &uid,
						     &base, &len), 0);
	assert_int_equal(len, strlen("1.2.host"));
	assert_int_equal(maildir_uidlist_parse_entry(3, "0 :x", 4, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(3, "5 x", 3, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(3, "5 :", 3, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(3, "5 :../x", 7, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(3, "5 :a/b", 6, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(3, "x :a", 4, &uid, &base, &len), -1);
	assert_int_equal(maildir_uidlist_parse_entry(1, "5 a b", 5, &uid, &base, &len), -1);
}

static void test_keywords(void **state)
{
	unsigned int idx;
	const char *name;
	size_t len;

	(void)state;
	assert_int_equal(maildir_keywords_parse_line("0 $Forwarded", 12, &idx, &name, &len), 0);
	assert_int_equal(idx, 0);
	assert_memory_equal(name, "$Forwarded", len);
	assert_int_equal(maildir_keywords_parse_line("25 Work", 7, &idx, &name, &len), 0);
	assert_int_equal(idx, 25);
	assert_int_equal(maildir_keywords_parse_line("26 Work", 7, &idx, &name, &len), -1);
	assert_int_equal(maildir_keywords_parse_line("1 a b", 5, &idx, &name, &len), -1);
	assert_int_equal(maildir_keywords_parse_line("1 \\Seen", 7, &idx, &name, &len), -1);
	assert_int_equal(maildir_keywords_parse_line("1 ", 2, &idx, &name, &len), -1);
	assert_int_equal(maildir_keywords_parse_line("1", 1, &idx, &name, &len), -1);
	assert_false(maildir_keyword_valid("a(b", 3));
	assert_true(maildir_keyword_valid("$Junk", 5));
}

static void test_filename(void **state)
{
	struct maildir_filename_info info;
	const char *name = "1700000000.M1P2.host,S=120,W=124:2,FRSacz";

	(void)state;
	maildir_filename_parse(name, strlen(name), &info);
	assert_int_equal(info.base_len, strlen("1700000000.M1P2.host,S=120,W=124"));
	assert_int_equal(info.flags, MAILDIR_FLAG_FLAGGED | MAILDIR_FLAG_ANSWERED |
			 MAILDIR_FLAG_SEEN);
	assert_int_equal(info.keywords, 1u | 4u | (1u << 25));
	maildir_filename_parse("x:2,DTP", 7, &info);
	assert_int_equal(info.flags, MAILDIR_FLAG_DRAFT | MAILDIR_FLAG_DELETED);
	maildir_filename_parse("plain", 5, &info);
	assert_int_equal(info.base_len, 5);
	assert_int_equal(info.flags, 0);
	maildir_filename_parse("odd:1,S", 7, &info);
	assert_int_equal(info.base_len, 3);
	assert_int_equal(info.flags, 0);
	/* the length bounds the read */
	maildir_filename_parse("x:2,S", 4, &info);
	assert_int_equal(info.flags, 0);
}

static void test_sort(void **state)
{
	(void)state;
	assert_true(maildir_filename_sort_cmp("9.x", "10.x") < 0);
	assert_true(maildir_filename_sort_cmp("10.M5P1.h", "10.M40P1.h") < 0);
	assert_true(maildir_filename_sort_cmp("10.a", "10.b") < 0);
	assert_int_equal(maildir_filename_sort_cmp("10.a:2,S", "10.a:2,"), 0);
	assert_true(maildir_filename_sort_cmp("99999999999999999999999.a", "1.a") > 0);
}

static const char *folder(struct buffer *buf, const char *name)
{
	buffer_reset(buf);
	if (maildir_folder_name_decode(name, strlen(name), buf) < 0)
		return "ERROR";
	return buf->data != NULL ? buf->data : "";
}

static void test_folder_names(void **state)
{
	struct buffer buf;

	(void)state;
	buffer_init(&buf, 1024);
	assert_string_equal(folder(&buf, ".Sent"), "Sent");
	assert_string_equal(folder(&buf, ".Work.2024"), "Work/2024");
	assert_string_equal(folder(&buf, ".Entw&APw-rfe"), "Entw\xc3\xbc" "rfe");
	assert_string_equal(folder(&buf, ".A&-B"), "A&B");
	assert_string_equal(folder(&buf, ".caf\xc3\xa9"), "caf\xc3\xa9");
	assert_string_equal(folder(&buf, "Sent"), "ERROR");
	assert_string_equal(folder(&buf, "."), "ERROR");
	assert_string_equal(folder(&buf, ".."), "ERROR");
	assert_string_equal(folder(&buf, ".a..b"), "ERROR");
	assert_string_equal(folder(&buf, ".a."), "ERROR");
	assert_string_equal(folder(&buf, ".a\tb"), "ERROR");
	assert_string_equal(folder(&buf, ".\xff"), "ERROR");
	buffer_free(&buf);
}

static const char *subscription(struct buffer *buf, unsigned int version,
				const char *line)
{
	buffer_reset(buf);
	if (maildir_subscription_decode(version, line, strlen(line), buf) < 0)
		return "ERROR";
	return buf->data != NULL ? buf->data : "";
}

static void test_subscriptions(void **state)
{
	struct buffer buf;
	size_t skip;

	(void)state;
	buffer_init(&buf, 1024);
	assert_int_equal(maildir_subscriptions_version("V\t2\n\nINBOX\n", 11, &skip), 2);
	assert_int_equal(skip, 5);
	assert_int_equal(maildir_subscriptions_version("INBOX\n", 6, &skip), 1);
	assert_int_equal(skip, 0);
	assert_string_equal(subscription(&buf, 2, "Work\t2024"), "Work/2024");
	assert_string_equal(subscription(&buf, 2, "a.b"), "a.b");
	assert_string_equal(subscription(&buf, 2, "Entw&APw-rfe"), "Entw\xc3\xbc" "rfe");
	assert_string_equal(subscription(&buf, 1, "Work.2024"), "Work/2024");
	assert_string_equal(subscription(&buf, 2, "a\001"), "ERROR");
	assert_string_equal(subscription(&buf, 2, "a\001x"), "ERROR");
	assert_string_equal(subscription(&buf, 2, "a\001tb"), "ERROR");
	assert_string_equal(subscription(&buf, 2, "\tb"), "ERROR");
	buffer_free(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uidlist_header),
		cmocka_unit_test(test_uidlist_entry),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_filename),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_folder_names),
		cmocka_unit_test(test_subscriptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
