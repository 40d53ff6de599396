/* The run-length sequence map against a plain array, with random appends,
   removals and lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "imap-seqmap.h"

#include <stdlib.h>
#include <string.h>

static void check_same(struct imap_seqmap *map, const uint32_t *uids, unsigned int n)
{
	assert_int_equal(map->count, n);
	assert_int_equal(imap_seqmap_last(map), n > 0 ? uids[n - 1] : 0);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(imap_seqmap_uid(map, i), uids[i]);
		assert_int_equal(imap_seqmap_seq(map, uids[i]), i + 1);
	}
	/* backwards too (no hint help) */
	for (unsigned int i = n; i > 0; i--)
		assert_int_equal(imap_seqmap_uid(map, i - 1), uids[i - 1]);
	for (uint32_t uid = 0; uid <= (n > 0 ? uids[n - 1] + 2 : 2); uid++) {
		unsigned int lb = 0;

		while (lb < n && uids[lb] < uid)
			lb++;
		assert_int_equal(imap_seqmap_lower_bound(map, uid), lb);
		if (lb == n || uids[lb] != uid)
			assert_int_equal(imap_seqmap_seq(map, uid), 0);
	}
}

static void test_seqmap_random(void **state)
{
	(void)state;
	srand(12345);
	for (int round = 0; round < 200; round++) {
		struct imap_seqmap map;
		uint32_t uids[600], next = 1 + (uint32_t)(rand() % 5);
		unsigned int n = 0;

		memset(&map, 0, sizeof(map));
		for (int step = 0; step < 20; step++) {
			if (rand() % 3 != 0) {
				unsigned int add = (unsigned int)(rand() % 20);

				for (unsigned int i = 0; i < add && n < 600; i++) {
					next += 1 + (rand() % 4 == 0 ? (uint32_t)(rand() % 3) : 0);
					uids[n++] = next;
					imap_seqmap_append(&map, next);
				}
			} else if (n > 0) {
				uint32_t del[600];
				unsigned int nd = 0, out = 0;

				for (unsigned int i = 0; i < n; i++) {
					if (rand() % 4 == 0)
						del[nd++] = uids[i];
					else
						uids[out++] = uids[i];
				}
				/* absent UIDs are ignored */
				del[nd] = next + 10;
				imap_seqmap_remove(&map, del, nd + 1);
				n = out;
			}
			check_same(&map, uids, n);
		}
		imap_seqmap_free(&map);
	}
}

static void test_seqmap_runs(void **state)
{
	struct imap_seqmap map;
	uint32_t del[] = { 5000 };

	(void)state;
	memset(&map, 0, sizeof(map));
	for (uint32_t uid = 1; uid <= 100000; uid++)
		imap_seqmap_append(&map, uid);
	assert_int_equal(map.run_count, 1);
	imap_seqmap_remove(&map, del, 1);
	assert_int_equal(map.run_count, 2);
	assert_int_equal(map.count, 99999);
	assert_int_equal(imap_seqmap_uid(&map, 4999), 5001);
	assert_int_equal(imap_seqmap_seq(&map, 100000), 99999);
	imap_seqmap_free(&map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seqmap_random),
		cmocka_unit_test(test_seqmap_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
