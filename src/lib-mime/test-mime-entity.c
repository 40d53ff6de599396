/*
 * A message's content as an entity: the parts that stay keep every byte,
 * the dropped ones go with their delimiter lines, what cannot be looked
 * into is kept whole, and the entity is never larger than the message
 * (every prefix of a message tried). Then a message built around it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "mime.h"
#include "mime-build.h"
#include "mime-entity.h"
#include "pool.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

/* calendar parts go, as the meeting request drops them */
static bool drop_calendar(void *context, const struct mime_leaf *leaf)
{
	unsigned int *seen = context;

	assert_null(leaf->data);
	if (seen != NULL)
		(*seen)++;
	return strcmp(leaf->type, "text") == 0 &&
	       strcmp(leaf->subtype, "calendar") == 0;
}

/* The entity of msg with calendar parts dropped, NUL-terminated; NULL if
   nothing is left. */
static const char *extract(struct pool *pool, const char *msg)
{
	const unsigned char *data;
	size_t size;

	if (mime_entity_extract(pool, (const unsigned char *) msg, strlen(msg),
				drop_calendar, NULL, &data, &size) == 0)
		return NULL;
	assert_true(size <= strlen(msg) + 2);
	return p_strndup(pool, data, size);
}

struct leaves {
	char found[256];
};

static void leaves_cb(void *context, const struct mime_leaf *leaf)
{
	struct leaves *l = context;
	size_t used = strlen(l->found);

	snprintf(l->found + used, sizeof(l->found) - used, "%s%s/%s",
		 used > 0 ? " " : "", leaf->type, leaf->subtype);
}

/* The leaves of an entity, read as the body of a message. */
static const char *entity_leaves(struct pool *pool, const char *entity)
{
	struct leaves l = {.found = ""};
	const char *msg = p_printf(pool, "MIME-Version: 1.0\r\n%s", entity);

	mime_foreach_leaf(pool, (const unsigned char *) msg, strlen(msg),
			  leaves_cb, &l);
	return p_strdup(pool, l.found);
}

#define HEAD  "From: a@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
#define PLAIN "Content-Type: text/plain; charset=utf-8\r\n\r\nHall=C3=B6\r\n"
#define CAL                                                                    \
	"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"

static void test_last_part_dropped(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *msg = HEAD
		"Content-Type: multipart/alternative;\r\n boundary=\"b\"\r\n"
		"X-After: 1\r\n\r\npreamble\r\n--b\r\n" PLAIN "--b\r\n" CAL
		"--b--\r\nepilogue\r\n";

	(void) state;
	/* the Content-* fields as written (the fold too), nothing else of the
	   header; the body less one delimiter and the calendar */
	assert_string_equal(
		extract(pool, msg),
		"Content-Type: multipart/alternative;\r\n boundary=\"b\"\r\n\r\n"
		"preamble\r\n--b\r\n" PLAIN "--b--\r\nepilogue\r\n");
	pool_destroy(&pool);
}

static void test_first_part_dropped(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *msg =
		HEAD "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
		     "--b\r\n" CAL "--b\r\n" PLAIN "--b--\r\n";
	const char *entity;

	(void) state;
	entity = extract(pool, msg);
	assert_string_equal(
		entity, "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
			"\r\n--b\r\n" PLAIN "--b--\r\n");
	assert_string_equal(entity_leaves(pool, entity), "text/plain");
	pool_destroy(&pool);
}

static void test_nested_and_emptied(void **state)
{
	struct pool *pool = pool_create(4096);
	/* mixed{alt{plain, calendar}, alt{calendar}, related{html, png}} */
	const char *related =
		"Content-Type: multipart/related; boundary=\"r\"\r\n\r\n"
		"--r\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--r\r\n"
		"Content-Type: image/png\r\nContent-ID: <i@x>\r\nContent-Transfer-Encoding: base64"
		"\r\n\r\niVBORw0K\r\n--r--\r\n";
	const char *msg = p_printf(
		pool,
		HEAD
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n"
		"\r\n--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
		"--a\r\n" PLAIN "--a\r\n" CAL "--a--\r\n"
		"--m\r\nContent-Type: multipart/alternative; boundary=\"c\"\r\n\r\n"
		"--c\r\n" CAL "--c--\r\n"
		"--m\r\n%s--m--\r\n",
		related);
	const char *entity;
	unsigned int seen = 0;
	const unsigned char *data;
	size_t size;

	(void) state;
	entity = extract(pool, msg);
	assert_string_equal(entity_leaves(pool, entity),
			    "text/plain text/html image/png");
	assert_non_null(strstr(entity, "--a\r\n" PLAIN "--a--\r\n--m\r\n"));
	assert_non_null(strstr(entity, related));
	assert_null(strstr(entity, "VCALENDAR"));
	assert_null(strstr(entity, "boundary=\"c\""));
	/* every leaf is shown to the callback */
	assert_int_equal(mime_entity_extract(pool, (const unsigned char *) msg,
					     strlen(msg), drop_calendar, &seen,
					     &data, &size),
			 1);
	assert_int_equal(seen, 5);
	pool_destroy(&pool);
}

static void test_all_dropped(void **state)
{
	struct pool *pool = pool_create(4096);

	(void) state;
	assert_null(extract(pool, HEAD CAL));
	assert_null(
		extract(pool, HEAD
			"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
			"--b\r\n" CAL "--b\r\n" CAL "--b--\r\n"));
	pool_destroy(&pool);
}

static void test_kept_whole(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *body, *msg;
	struct buffer deep;

	(void) state;
	/* an attached message, signed content, a boundary no line uses */
	body = "\r\n--b\r\n" PLAIN "--b\r\nContent-Type: message/rfc822\r\n\r\n"
	       "Subject: fwd\r\nContent-Type: multipart/alternative; boundary=\"f\"\r\n\r\n"
	       "--f\r\n" CAL "--f--\r\n--b--\r\n";
	msg = p_printf(pool,
		       HEAD
		       "Content-Type: multipart/mixed; boundary=\"b\"\r\n%s",
		       body);
	assert_string_equal(
		extract(pool, msg),
		p_printf(pool,
			 "Content-Type: multipart/mixed; boundary=\"b\"\r\n%s",
			 body));
	body = "\r\n--s\r\n" CAL
	       "--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n"
	       "--s--\r\n";
	msg = p_printf(pool,
		       HEAD "Content-Type: multipart/signed; boundary=\"s\";"
			    " protocol=\"application/pgp-signature\"\r\n%s",
		       body);
	assert_non_null(strstr(extract(pool, msg), body));
	body = "\r\n--other\r\n" CAL "--other--\r\n";
	msg = p_printf(pool,
		       HEAD
		       "Content-Type: multipart/mixed; boundary=\"b\"\r\n%s",
		       body);
	assert_non_null(strstr(extract(pool, msg), body));

	/* nested past MIME_MAX_DEPTH, a calendar at the bottom: the levels
	   below the limit are not looked into */
	buffer_init_pool(&deep, pool, 0);
	buffer_append_str(
		&deep,
		HEAD "Content-Type: multipart/mixed; boundary=\"d0\"\r\n\r\n");
	for (int i = 0; i < MIME_MAX_DEPTH + 10; i++)
		buffer_printf(
			&deep,
			"--d%d\r\nContent-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n",
			i, i + 1);
	buffer_printf(&deep, "--d%d\r\n" CAL "--d%d--\r\n", MIME_MAX_DEPTH + 10,
		      MIME_MAX_DEPTH + 10);
	buffer_append_c(&deep, '\0');
	assert_non_null(strstr(extract(pool, deep.data), "VCALENDAR"));
	pool_destroy(&pool);
}

static void test_plain_messages(void **state)
{
	struct pool *pool = pool_create(4096);
	const unsigned char *data;
	size_t size;

	(void) state;
	/* no MIME fields: an entity with an empty header; LF stays LF */
	assert_string_equal(extract(pool, "From: a\nSubject: s\n\nhello\n"),
			    "\nhello\n");
	assert_string_equal(
		extract(pool, "Subject: s\nContent-Type: text/plain\n\nhi"),
		"Content-Type: text/plain\n\nhi");
	/* all header, no blank line: the entity gets one */
	assert_string_equal(
		extract(pool, "Subject: s\r\nContent-Type: text/plain\r\n"),
		"Content-Type: text/plain\r\n\n");
	assert_string_equal(extract(pool, ""), "\n");
	/* without drop(), the content as it is */
	assert_int_equal(
		mime_entity_extract(pool, (const unsigned char *) HEAD CAL,
				    strlen(HEAD CAL), NULL, NULL, &data, &size),
		1);
	assert_int_equal(size, strlen(CAL));
	assert_memory_equal(data, CAL, size);
	pool_destroy(&pool);
}

/* Any prefix of a message (cut anywhere: a header, a delimiter, a part)
   gives an entity no larger than it, or none. */
static void test_every_prefix(void **state)
{
	const char *msg = HEAD
		"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
		"--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
		"--a\r\n" PLAIN "--a\r\n" CAL "--a--\r\n--m\r\n" PLAIN
		"--m--\r\n";

	(void) state;
	for (size_t len = 0; len <= strlen(msg); len++) {
		struct pool *pool = pool_create(4096);
		const unsigned char *data;
		size_t size;

		if (mime_entity_extract(pool, (const unsigned char *) msg, len,
					drop_calendar, NULL, &data, &size) > 0)
			assert_true(size <= len + 2);
		pool_destroy(&pool);
	}
}

/* mime_build_message() with the entity as a part: its bytes as they are,
   a boundary of its own, readable back. */
static void test_build_around_raw(void **state)
{
	struct pool *pool = pool_create(4096);
	const char *msg = HEAD
		"Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n"
		"--b\r\n" PLAIN "--b\r\n" CAL "--b--\r\n";
	const struct mime_build_header header = {"Subject", "s"};
	const struct mime_build_part ours[] = {
		{.type = "text",
		 .subtype = "plain",
		 .data = "summary\n",
		 .size = 8},
		{.type = "text",
		 .subtype = "html",
		 .data = "<p>summary</p>\n",
		 .size = 15},
	};
	struct mime_build_part mixed[2] = {
		{.type = "multipart",
		 .subtype = "alternative",
		 .parts = ours,
		 .part_count = 2},
	};
	const struct mime_build_part root = {
		.type = "multipart",
		.subtype = "mixed",
		.parts = mixed,
		.part_count = 2,
	};
	const unsigned char *entity, *data;
	size_t entity_size, size;
	struct leaves l = {.found = ""};
	struct mime_summary sum;

	(void) state;
	assert_int_equal(mime_entity_extract(pool, (const unsigned char *) msg,
					     strlen(msg), drop_calendar, NULL,
					     &entity, &entity_size),
			 1);
	mixed[1].raw = entity;
	mixed[1].raw_size = entity_size;
	mime_build_message(pool, &header, 1, &root, true, &data, &size);

	assert_non_null(memmem(data, size, entity, entity_size));
	mime_foreach_leaf(pool, data, size, leaves_cb, &l);
	assert_string_equal(l.found, "text/plain text/html text/plain");
	mime_summarize(pool, data, size, &sum);
	assert_true(sum.crlf);
	assert_true(sum.body->multipart);
	assert_string_equal(sum.body->subtype, "mixed");
	assert_int_equal(sum.body->child_count, 2);
	assert_string_equal(sum.body->children[1]->subtype, "alternative");
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_part_dropped),
		cmocka_unit_test(test_first_part_dropped),
		cmocka_unit_test(test_nested_and_emptied),
		cmocka_unit_test(test_all_dropped),
		cmocka_unit_test(test_kept_whole),
		cmocka_unit_test(test_plain_messages),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_build_around_raw),
	};
	int ret;

	mime_init();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	mime_deinit();
	return ret;
}
