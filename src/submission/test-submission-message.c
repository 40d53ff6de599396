/*
 * The header scan, the author check and the added fields of a submitted
 * message (submission-message.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "mime.h"
#include "pool.h"
#include "submission-message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALICE "alice@example.test"

static struct pool *pool;

static int setup(void **state)
{
	(void)state;
	pool = pool_create(4096);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pool_destroy(&pool);
	return 0;
}

static void scan(const char *msg, struct submission_headers *h)
{
	submission_message_scan(pool, (const unsigned char *)msg, strlen(msg), h);
}

static enum submission_author check(const char *msg, const char **field_r,
				    const char **found_r)
{
	struct submission_headers h;
	const char *field, *found;
	enum submission_author ret;

	scan(msg, &h);
	ret = submission_message_check(pool, &h, ALICE, &field, &found);
	if (field_r != NULL)
		*field_r = field;
	if (found_r != NULL)
		*found_r = found;
	return ret;
}

static void test_scan(void **state)
{
	static const char crlf[] =
		"Received: x\r\nFrom: Alice\r\n <alice@example.test>\r\n"
		"Subject: hi\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nFrom: body\r\n";
	static const char lf[] = "from :alice@example.test\nMESSAGE-id: <a@b>\n\nbody\n";
	struct submission_headers h;

	(void)state;
	scan(crlf, &h);
	assert_string_equal(h.eol, "\r\n");
	assert_int_equal(h.from_count, 1);
	/* unfolded: the line break goes, the white space stays */
	assert_string_equal(h.from, " Alice <alice@example.test>");
	assert_int_equal(h.date_count, 1);
	assert_int_equal(h.message_id_count, 0);
	assert_int_equal(h.header_end, strstr(crlf, "\r\n\r\n") + 2 - crlf);
	assert_false(h.too_long);

	/* LF only; obs-optional white space before the colon; any case */
	scan(lf, &h);
	assert_string_equal(h.eol, "\n");
	assert_string_equal(h.from, "alice@example.test");
	assert_int_equal(h.message_id_count, 1);
	assert_int_equal(h.header_end, strstr(lf, "\n\n") + 1 - lf);

	/* no body, no final line break: the header is everything */
	scan("From: a@b\r\nTo: c@d", &h);
	assert_int_equal(h.header_end, strlen("From: a@b\r\nTo: c@d"));
	assert_string_equal(h.from, " a@b");

	/* a line that is no field does not end the header */
	scan("Subject: x\r\nnot a field\r\nFrom: a@b\r\nFrom: c@d\r\n\r\n", &h);
	assert_int_equal(h.from_count, 2);
	assert_string_equal(h.from, " a@b");

	/* a continuation before any field belongs to nothing */
	scan(" From: a@b\r\n\r\n", &h);
	assert_int_equal(h.from_count, 0);

	/* an empty message */
	submission_message_scan(pool, NULL, 0, &h);
	assert_int_equal(h.from_count, 0);
	assert_int_equal(h.header_end, 0);
}

static void test_scan_too_long(void **state)
{
	static const char head[] = "From: alice@example.test\r\nX-Long: ";
	size_t size = SUBMISSION_HEADER_MAX + 100;
	char *msg = malloc(size + 1);
	struct submission_headers h;

	(void)state;
	assert_non_null(msg);
	memcpy(msg, head, sizeof(head) - 1);
	memset(msg + sizeof(head) - 1, 'x', size - (sizeof(head) - 1));
	msg[size] = '\0';
	scan(msg, &h);
	assert_true(h.too_long);
	/* the same header just under the limit is fine */
	msg[SUBMISSION_HEADER_MAX - 4] = '\r';
	msg[SUBMISSION_HEADER_MAX - 3] = '\n';
	msg[SUBMISSION_HEADER_MAX - 2] = '\r';
	msg[SUBMISSION_HEADER_MAX - 1] = '\n';
	scan(msg, &h);
	assert_false(h.too_long);
	assert_int_equal(h.header_end, SUBMISSION_HEADER_MAX - 2);
	free(msg);
}

static void test_mailbox_parse(void **state)
{
	static const struct {
		const char *value;
		const char *addr;   /* NULL: refused */
	} cases[] = {
		{ "alice@example.test", ALICE },
		{ "  alice@example.test  ", ALICE },
		{ "<alice@example.test>", ALICE },
		{ "Alice <alice@example.test>", ALICE },
		{ "Alice Q. Example <alice@example.test>", ALICE },
		{ "\"Example, Alice\" <alice@example.test>", ALICE },
		{ "\"Alice \\\"A\\\"\" <alice@example.test>", ALICE },
		{ "=?utf-8?q?Al=C3=AEce?= <alice@example.test>", ALICE },
		{ "Al\xc3\xaeze <alice@example.test>", ALICE },
		{ "alice@example.test (Alice (the (real) one))", ALICE },
		{ "(c) Alice <alice@example.test> (c)", ALICE },
		{ "Alice < alice@example.test >", ALICE },
		{ "\"a b\"@example.test", "\"a b\"@example.test" },
		{ "a.b.c@[192.0.2.1]", "a.b.c@[192.0.2.1]" },
		{ "Alice\t<alice@example.test>", ALICE },
		{ "", NULL },
		{ "Alice", NULL },
		{ "<>", NULL },
		{ "alice@example.test, ceo@bank.test", NULL },
		{ "Alice <alice@example.test>, <ceo@bank.test>", NULL },
		{ "alice@example.test <ceo@bank.test>", NULL },
		{ "<alice@example.test> <ceo@bank.test>", NULL },
		{ "Alice <alice@example.test> ceo@bank.test", NULL },
		{ "friends: alice@example.test;", NULL },
		{ "<@route.test:alice@example.test>", NULL },
		{ "alice @example.test", NULL },
		{ "alice@ example.test", NULL },
		{ ".alice@example.test", NULL },
		{ "alice.@example.test", NULL },
		{ "al..ice@example.test", NULL },
		{ "alice@example.test.", NULL },
		{ "alice@", NULL },
		{ "@example.test", NULL },
		{ "Alice <alice@example.test", NULL },
		{ "Alice alice@example.test>", NULL },
		{ "\"Alice <alice@example.test>", NULL },
		{ "alice@example.test (open", NULL },
		{ "alice@example.test \x7f", NULL },
		{ "Ali\x7f" "ce <alice@example.test>", NULL },
		{ "alice@[192.0.2.1", NULL },
		{ "((((((((((deep)))))))))) alice@example.test", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *addr = NULL;
		int ret = submission_mailbox_parse(pool, cases[i].value, &addr);

		if (cases[i].addr == NULL) {
			if (ret != -1)
				fail_msg("accepted %s as %s", cases[i].value, addr);
		} else {
			if (ret != 0)
				fail_msg("refused %s", cases[i].value);
			assert_string_equal(addr, cases[i].addr);
		}
	}
}

static void test_check(void **state)
{
	const char *field, *found;

	(void)state;
	assert_int_equal(check("From: Alice <alice@example.test>\r\n\r\nx", &field, &found),
			 SUBMISSION_AUTHOR_OK);
	assert_string_equal(found, ALICE);
	/* the address without regard to case; any display name */
	assert_int_equal(check("From: \"Bob\" <ALICE@Example.Test>\r\n\r\n", NULL, NULL),
			 SUBMISSION_AUTHOR_OK);
	assert_int_equal(check("From: alice@example.test\r\nSender: alice@example.test\r\n\r\n",
			       NULL, NULL), SUBMISSION_AUTHOR_OK);
	/* folded */
	assert_int_equal(check("From: Alice\r\n\t<alice@example.test>\r\n\r\n", NULL, NULL),
			 SUBMISSION_AUTHOR_OK);

	assert_int_equal(check("Subject: x\r\n\r\nFrom: alice@example.test\r\n", &field, NULL),
			 SUBMISSION_AUTHOR_MISSING);
	assert_string_equal(field, "From");
	assert_int_equal(check("From: Bob <bob@example.test>\r\n\r\n", &field, &found),
			 SUBMISSION_AUTHOR_OTHER);
	assert_string_equal(found, "bob@example.test");
	assert_int_equal(check("From: alice@example.test\r\nFROM: bob@example.test\r\n\r\n",
			       NULL, NULL), SUBMISSION_AUTHOR_MULTIPLE);
	assert_int_equal(check("From: alice@example.test, bob@example.test\r\n\r\n", NULL, NULL),
			 SUBMISSION_AUTHOR_SYNTAX);
	assert_int_equal(check("From: alice@example.test <bob@example.test>\r\n\r\n", NULL, NULL),
			 SUBMISSION_AUTHOR_SYNTAX);
	/* a NUL or a bare CR inside the field */
	{
		static const char nul[] = "From: alice@example.test\0<bob@example.test>\r\n\r\n";
		struct submission_headers h;

		submission_message_scan(pool, (const unsigned char *)nul, sizeof(nul) - 1, &h);
		assert_int_equal(submission_message_check(pool, &h, ALICE, &field, &found),
				 SUBMISSION_AUTHOR_SYNTAX);
	}
	assert_int_equal(check("From: alice@example.test\r<bob@example.test>\r\n\r\n", NULL, NULL),
			 SUBMISSION_AUTHOR_SYNTAX);
	/* Sender: is held to the same rule */
	assert_int_equal(check("From: alice@example.test\r\nSender: bob@example.test\r\n\r\n",
			       &field, &found), SUBMISSION_AUTHOR_OTHER);
	assert_string_equal(field, "Sender");
	assert_string_equal(found, "bob@example.test");
	assert_int_equal(check("Sender: alice@example.test\r\nFrom: alice@example.test\r\n"
			       "Sender: alice@example.test\r\n\r\n", &field, NULL),
			 SUBMISSION_AUTHOR_MULTIPLE);
	assert_string_equal(field, "Sender");
}

static const char *complete(const char *msg, const char *date, const char *msgid)
{
	struct submission_headers h;
	struct buffer out;

	scan(msg, &h);
	buffer_init_pool(&out, pool, 0);
	assert_int_equal(submission_message_complete(&out, (const unsigned char *)msg,
						     strlen(msg), &h, "from x by y; now",
						     date, msgid), 0);
	return out.data;
}

static void test_complete(void **state)
{
	(void)state;
	assert_string_equal(complete("From: a@b\r\n\r\nbody\r\n", NULL, NULL),
			    "Received: from x by y; now\r\nFrom: a@b\r\n\r\nbody\r\n");
	assert_string_equal(complete("From: a@b\r\nTo: c@d\r\n\r\nbody\r\n\r\n", "D", "<m@h>"),
			    "Received: from x by y; now\r\nFrom: a@b\r\nTo: c@d\r\n"
			    "Date: D\r\nMessage-ID: <m@h>\r\n\r\nbody\r\n\r\n");
	assert_string_equal(complete("From: a@b\n\nbody\n", "D", NULL),
			    "Received: from x by y; now\nFrom: a@b\nDate: D\n\nbody\n");
	/* no body, no final line break */
	assert_string_equal(complete("From: a@b", NULL, "<m@h>"),
			    "Received: from x by y; now\r\nFrom: a@b\r\nMessage-ID: <m@h>\r\n");
	/* the limit */
	{
		struct submission_headers h;
		struct buffer out;

		scan("From: a@b\r\n\r\n", &h);
		buffer_init_pool(&out, pool, 20);
		assert_int_equal(submission_message_complete(&out, (const unsigned char *)
							     "From: a@b\r\n\r\n", 13, &h,
							     "from x by y; now", NULL, NULL), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mailbox_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complete, setup, teardown),
	};

	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
