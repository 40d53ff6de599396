/*
 * Building messages: the tree comes out as described, headers copied raw,
 * no 8bit, no header injection, and lib-mime reads back what it wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mime.h"
#include "mime-build.h"
#include "pool.h"

#include <string.h>

struct leaves {
	const char *types[8];
	const char *data[8];
	const char *method;
	unsigned int count;
};

static void leaf_cb(void *context, const struct mime_leaf *leaf)
{
	struct leaves *l = context;

	if (l->count >= 8)
		return;
	l->types[l->count] = leaf->subtype;
	l->data[l->count++] = (const char *)leaf->data;
	if (leaf->method != NULL)
		l->method = leaf->method;
}

static void test_build_alternative(void **state)
{
	struct pool *pool = pool_create(4096);
	static const char *const cal_params[] = { "method", "REQUEST", NULL };
	const char *text = "Caf\xc3\xa9 at 10:00\n";
	const char *ics = "BEGIN:VCALENDAR\r\nSUMMARY:Caf\xc3\xa9\r\nEND:VCALENDAR\r\n";
	const struct mime_build_part leaves[] = {
		{ .type = "text", .subtype = "plain", .data = text, .size = strlen(text) },
		{ .type = "text", .subtype = "calendar", .params = cal_params,
		  .data = ics, .size = strlen(ics), .base64 = true },
	};
	const struct mime_build_part root = {
		.type = "multipart", .subtype = "alternative", .parts = leaves, .part_count = 2,
	};
	const struct mime_build_header headers[] = {
		{ "From", "Alice <alice@example.test>" },
		{ "Subject", "Accepted: x\r\nBcc: victim@example.test" },
		{ "To", " a@b,\r\n c@d\r\n" },
	};
	const unsigned char *data;
	size_t size;
	struct leaves l = { .count = 0 };
	struct mime_summary sum;

	(void)state;
	mime_build_message(pool, headers, 3, &root, true, &data, &size);
	assert_int_equal(strlen((const char *)data), size);
	assert_non_null(strstr((const char *)data, "From: Alice <alice@example.test>\r\n"));
	/* the injected line break is no header */
	assert_non_null(strstr((const char *)data, "Subject: Accepted: x Bcc: victim"));
	assert_non_null(strstr((const char *)data, "To: a@b,\r\n c@d\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr((const char *)data, "method=REQUEST"));
	for (size_t i = 0; i < size; i++) {
		assert_true(data[i] < 0x80);
		if (data[i] == '\n')
			assert_int_equal(data[i - 1], '\r');
	}
	mime_summarize(pool, data, size, &sum);
	assert_true(sum.crlf);
	mime_foreach_leaf(pool, data, size, leaf_cb, &l);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.types[0], "plain");
	/* written with CRLF, read back by GMime with LF */
	assert_string_equal(l.data[0], "Caf\xc3\xa9 at 10:00\n");
	assert_string_equal(l.types[1], "calendar");
	assert_string_equal(l.data[1], ics);
	assert_string_equal(l.method, "REQUEST");
	pool_destroy(&pool);
}

static void test_copy_headers(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *msg = "Received: x\nFrom: =?utf-8?q?J=C3=B6rg?= <j@example.test>\n"
		"Subject: long\n folded\nX-Other: 1\nmessage-id: <1@x>\n\nbody\n";
	static const char *const names[] = { "From", "Subject", "Message-ID", NULL };
	struct mime_build_header *h;
	const struct mime_build_part root = {
		.type = "text", .subtype = "plain", .data = "hi\n", .size = 3,
	};
	const unsigned char *data;
	size_t size;

	(void)state;
	assert_int_equal(mime_build_copy_headers(pool, (const unsigned char *)msg, strlen(msg),
						 names, &h), 3);
	assert_string_equal(h[0].name, "From");
	assert_string_equal(h[1].name, "Subject");
	assert_string_equal(h[2].name, "message-id");
	mime_build_message(pool, h, 3, &root, false, &data, &size);
	assert_non_null(strstr((const char *)data,
			       "From: =?utf-8?q?J=C3=B6rg?= <j@example.test>\nSubject: long\n folded\n"
			       "message-id: <1@x>\nMIME-Version: 1.0\nContent-Type: text/plain; "
			       "charset=utf-8\n"));
	assert_null(strchr((const char *)data, '\r'));
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_alternative),
		cmocka_unit_test(test_copy_headers),
	};
	int ret;

	mime_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	mime_deinit();
	return ret;
}
