/* THREAD (RFC 5256) on hand-made messages: ORDEREDSUBJECT, and the
   REFERENCES steps one by one (links, dummies, loops, duplicates, subject
   merging, date order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imap-thread.h"
#include "pool.h"

#include <stdio.h>
#include <string.h>

struct spec {
	const char *subject;
	bool reply;
	time_t date;
	const char *id;
	const char *refs;   /* "<a@x> <b@x>" */
};

static const char *thread(enum imap_thread_algorithm alg, const struct spec *specs,
			  unsigned int n)
{
	static char result[512];
	struct pool *pool = pool_create(4096);
	struct imap_thread_msg *msgs = p_new(pool, struct imap_thread_msg, n);
	struct buffer out;

	for (unsigned int i = 0; i < n; i++) {
		const char **ids;

		msgs[i].number = i + 1;
		msgs[i].base_subject = specs[i].subject;
		msgs[i].reply = specs[i].reply;
		msgs[i].date = specs[i].date;
		if (specs[i].id != NULL &&
		    imap_thread_parse_ids(pool, specs[i].id, &ids) > 0)
			msgs[i].message_id = ids[0];
		msgs[i].ref_count = imap_thread_parse_ids(pool, specs[i].refs, &msgs[i].refs);
	}
	buffer_init_pool(&out, pool, 0);
	imap_thread_write(pool, alg, msgs, n, &out);
	snprintf(result, sizeof(result), "%s", out.data != NULL ? out.data : "");
	pool_destroy(&pool);
	return result;
}

static void test_ordered_subject(void **state)
{
	static const struct spec specs[] = {
		{ "b", false, 30, NULL, NULL },
		{ "a", false, 20, NULL, NULL },
		{ "b", true, 10, NULL, NULL },
		{ "A", true, 40, NULL, NULL },
		{ "c", false, 5, NULL, NULL },
		{ "b", false, 35, NULL, NULL },
	};

	(void)state;
	/* threads by their first message's date; children by date */
	assert_string_equal(thread(IMAP_THREAD_ORDEREDSUBJECT, specs, 6),
			    "(5)(3 (1)(6))(2 4)");
	assert_string_equal(thread(IMAP_THREAD_ORDEREDSUBJECT, specs, 0), "");
}

static void test_references(void **state)
{
	static const struct spec chain[] = {
		{ "x", false, 1, "<1@x>", NULL },
		{ "x", true, 2, "<2@x>", "<1@x>" },
		{ "x", true, 3, "<3@x>", "<1@x> <2@x>" },
		{ "x", true, 4, "<4@x>", "<1@x>" },
	};
	/* 1 and 2 answer a message that is not here: a dummy with two
	   children stays at the root */
	static const struct spec dummy[] = {
		{ "p", true, 5, "<a@x>", "<gone@x>" },
		{ "q", true, 6, "<b@x>", "<gone@x>" },
		{ "r", false, 1, "<c@x>", NULL },
	};
	/* a loop (each refers to the other), a repeated Message-ID and one
	   with none */
	static const struct spec odd[] = {
		{ "s", false, 1, "<l1@x>", "<l2@x>" },
		{ "t", false, 2, "<l2@x>", "<l1@x>" },
		{ "u", false, 3, "<l1@x>", NULL },
		{ "v", false, 4, NULL, "<l1@x>" },
	};
	/* unrelated messages with one base subject come together: under
	   the original when the other is a reply, else under a dummy */
	static const struct spec subj[] = {
		{ "hello", false, 1, "<h1@x>", NULL },
		{ "hello", true, 2, "<h2@x>", NULL },
		{ "world", false, 3, "<w1@x>", NULL },
		{ "world", false, 4, "<w2@x>", NULL },
		{ "", false, 5, "<e1@x>", NULL },
		{ "", false, 6, "<e2@x>", NULL },
	};

	(void)state;
	assert_string_equal(thread(IMAP_THREAD_REFERENCES, chain, 4), "(1 (2 3)(4))");
	assert_string_equal(thread(IMAP_THREAD_REFERENCES, dummy, 3), "(3)((1)(2))");
	/* 1 makes l2 (a dummy yet) its parent; 2 is l2 and would take l1 as
	   parent, which would loop, so it keeps 1 as its child; 3 repeats l1
	   and stands alone; 4 answers l1 */
	assert_string_equal(thread(IMAP_THREAD_REFERENCES, odd, 4), "(2 1 4)(3)");
	assert_string_equal(thread(IMAP_THREAD_REFERENCES, subj, 6),
			    "(1 2)((3)(4))(5)(6)");
}

/* 5,000 messages, each answering the one before: no stack runs out,
   and the chain is cut into threads of at most 1,000 levels. */
static void test_deep_chain(void **state)
{
	struct pool *pool = pool_create(65536);
	unsigned int n = 5000, opens = 0;
	struct imap_thread_msg *msgs = p_new(pool, struct imap_thread_msg, n);
	struct buffer out;

	(void)state;
	for (unsigned int i = 0; i < n; i++) {
		msgs[i].number = i + 1;
		msgs[i].base_subject = "deep";
		msgs[i].date = (time_t)i;
		msgs[i].message_id = p_printf(pool, "%u@x", i);
		if (i > 0) {
			msgs[i].refs = p_new(pool, const char *, 1);
			msgs[i].refs[0] = p_printf(pool, "%u@x", i - 1);
			msgs[i].ref_count = 1;
		}
	}
	buffer_init_pool(&out, pool, 0);
	imap_thread_write(pool, IMAP_THREAD_REFERENCES, msgs, n, &out);
	for (const char *p = out.data; *p != '\0'; p++)
		opens += *p == '(';
	assert_true(opens >= n / 1000);
	assert_true(strncmp(out.data, "((1 2 3 ", 8) == 0);
	pool_destroy(&pool);
}

static void test_parse_ids(void **state)
{
	struct pool *pool = pool_create(1024);
	const char **ids;

	(void)state;
	assert_int_equal(imap_thread_parse_ids(pool, " <a@b>\t<c@d> <no-at> <sp @x> <e@f", &ids), 2);
	assert_string_equal(ids[0], "a@b");
	assert_string_equal(ids[1], "c@d");
	assert_int_equal(imap_thread_parse_ids(pool, NULL, &ids), 0);
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordered_subject),
		cmocka_unit_test(test_references),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_parse_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
