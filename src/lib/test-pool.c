#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

static int cleanup_calls;
static int cleanup_order[4];

static void cleanup_cb(void *context)
{
	cleanup_order[cleanup_calls++] = *(int *)context;
}

static void test_pool_alloc(void **state)
{
	struct pool *pool = pool_create(64);
	char *big;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		char *s = p_printf(pool, "item %d", i);

		assert_string_equal(s, p_printf(pool, "item %d", i));
		assert_int_equal((uintptr_t)s % 16, 0);
	}
	big = p_malloc(pool, 5 * 1024 * 1024);
	assert_int_equal(big[5 * 1024 * 1024 - 1], 0);
	assert_string_equal(p_strndup(pool, "abcdef", 3), "abc");
	pool_clear(pool);
	assert_int_equal(pool_used(pool), 0);
	assert_string_equal(p_strdup(pool, "after clear"), "after clear");
	pool_destroy(&pool);
	assert_null(pool);
}

static void test_pool_cleanup_order(void **state)
{
	struct pool *pool = pool_create(64);
	int a = 1, b = 2, c = 3;

	(void)state;
	cleanup_calls = 0;
	pool_add_cleanup(pool, cleanup_cb, &a);
	pool_add_cleanup(pool, cleanup_cb, &b);
	pool_clear(pool);
	assert_int_equal(cleanup_calls, 2);
	assert_int_equal(cleanup_order[0], 2);
	assert_int_equal(cleanup_order[1], 1);
	pool_add_cleanup(pool, cleanup_cb, &c);
	pool_destroy(&pool);
	assert_int_equal(cleanup_calls, 3);
	assert_int_equal(cleanup_order[2], 3);
}

static void test_p_grow(void **state)
{
	struct pool *pool = pool_create(64);
	unsigned int *array = NULL, *before;
	unsigned int count = 0, alloc = 0;

	(void)state;
	/* growth from nothing to first_alloc */
	array = p_grow(pool, array, sizeof(*array), count, &alloc, 4);
	assert_non_null(array);
	assert_int_equal(alloc, 4);
	array[count++] = 0;
	/* no move while there is room */
	before = array;
	while (count < 4) {
		array = p_grow(pool, array, sizeof(*array), count, &alloc, 4);
		assert_ptr_equal(array, before);
		assert_int_equal(alloc, 4);
		array[count] = count;
		count++;
	}
	/* doubling, with the contents kept */
	for (unsigned int expect = 8; expect <= 64; expect *= 2) {
		array = p_grow(pool, array, sizeof(*array), count, &alloc, 4);
		assert_int_equal(alloc, expect);
		while (count < alloc) {
			array = p_grow(pool, array, sizeof(*array), count, &alloc, 4);
			assert_int_equal(alloc, expect);
			array[count] = count;
			count++;
		}
	}
	for (unsigned int i = 0; i < count; i++)
		assert_int_equal(array[i], i);
	pool_destroy(&pool);
}

static void test_mem_grow(void **state)
{
	uint64_t *array = NULL, *before;
	unsigned int count = 0, alloc = 0;

	(void)state;
	array = mem_grow(array, sizeof(*array), count, &alloc, 16);
	assert_non_null(array);
	assert_int_equal(alloc, 16);
	before = array;
	for (; count < 16; count++) {
		array = mem_grow(array, sizeof(*array), count, &alloc, 16);
		assert_ptr_equal(array, before);
		array[count] = (uint64_t)count << 40;
	}
	array = mem_grow(array, sizeof(*array), count, &alloc, 16);
	assert_int_equal(alloc, 32);
	for (; count < 1000; count++) {
		array = mem_grow(array, sizeof(*array), count, &alloc, 16);
		array[count] = (uint64_t)count << 40;
	}
	assert_int_equal(alloc, 1024);
	for (unsigned int i = 0; i < count; i++)
		assert_true(array[i] == (uint64_t)i << 40);
	free(array);
}

static void test_buffer_limit(void **state)
{
	struct buffer buf;

	(void)state;
	buffer_init(&buf, 10);
	assert_int_equal(buffer_append_str(&buf, "12345"), 0);
	assert_int_equal(buffer_printf(&buf, "%d", 678), 0);
	assert_string_equal(buf.data, "12345678");
	assert_int_equal(buffer_append_str(&buf, "abc"), -1);
	assert_true(buf.overflow);
	assert_string_equal(buf.data, "12345678");
	/* once overflowed, even small appends fail */
	assert_int_equal(buffer_append_c(&buf, 'x'), -1);
	buffer_reset(&buf);
	assert_int_equal(buffer_append_str(&buf, "abc"), 0);
	buffer_consume(&buf, 1);
	assert_string_equal(buf.data, "bc");
	buffer_free(&buf);
}

static void test_strutil(void **state)
{
	uint64_t n;
	uint32_t n32;
	char trim[] = "  hello \r\n";

	(void)state;
	assert_int_equal(str_to_u64("18446744073709551615", UINT64_MAX, &n), 0);
	assert_true(n == UINT64_MAX);
	assert_int_equal(str_to_u64("18446744073709551616", UINT64_MAX, &n), -1);
	assert_int_equal(str_to_u64("", 100, &n), -1);
	assert_int_equal(str_to_u64("+1", 100, &n), -1);
	assert_int_equal(str_to_u64("101", 100, &n), -1);
	assert_int_equal(str_to_u32("4294967296", &n32), -1);
	assert_true(str_iequal("INBOX", "inbox"));
	assert_false(str_iequal("INBOX", "inbox2"));
	assert_string_equal(str_trim(trim), "hello");
	assert_non_null(mem_imem("Hello XyLoPhone world", 21, "xylophone", 9));
	assert_null(mem_imem("Hello", 5, "xylophone", 9));
	assert_true(str_is_address("alice@example.test"));
	assert_false(str_is_address("alice"));
	assert_false(str_is_address("@example.test"));
	assert_false(str_is_address("a@b@c"));
	assert_false(str_is_address("a b@c"));
	assert_false(str_is_address("a/../b@c"));
}

/* Sizes for people, in the configuration's powers of 1024. */
static void test_str_size_human(void **state)
{
	char buf[STR_SIZE_MAX];

	(void)state;
	assert_string_equal(str_size_human(0, true, buf), "0 bytes");
	assert_string_equal(str_size_human(1, true, buf), "1 byte");
	assert_string_equal(str_size_human(1023, false, buf), "1023");
	assert_string_equal(str_size_human(1024, true, buf), "1 KB");
	assert_string_equal(str_size_human(1536, false, buf), "1.5K");
	assert_string_equal(str_size_human(3072, true, buf), "3 KB");
	assert_string_equal(str_size_human(12897484, true, buf), "12.3 MB");
	assert_string_equal(str_size_human(1024 * 1024 - 1, false, buf), "1024K");
	assert_string_equal(str_size_human(1024ULL * 1024 * 1024, true, buf), "1 GB");
	assert_string_equal(str_size_human(150ULL * 1024 * 1024, false, buf), "150M");
	assert_string_equal(str_size_human(5ULL << 40, false, buf), "5T");
	assert_string_equal(str_size_human(UINT64_MAX, false, buf), "16E");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_alloc),
		cmocka_unit_test(test_str_size_human),
		cmocka_unit_test(test_pool_cleanup_order),
		cmocka_unit_test(test_p_grow),
		cmocka_unit_test(test_mem_grow),
		cmocka_unit_test(test_buffer_limit),
		cmocka_unit_test(test_strutil),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
