/*
 * MIME summaries against golden files (tests/data/mime/NAME.eml and
 * NAME.ref, as Postfix does it). INFOSTORE_UPDATE_GOLDEN=1 rewrites the
 * .ref files and fails (run again without it to compare); review the diff
 * before committing them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imap-bodystructure.h"
#include "mime.h"
#include "mime-limit.h"
#include "mime-region.h"
#include "pool.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char data_dir[1024];

static char *read_file(const char *path, size_t *size_r)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long size;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	data[size] = '\0';
	fclose(f);
	*size_r = (size_t)size;
	return data;
}

static void summary_text(struct buffer *out, const unsigned char *data, size_t size)
{
	struct pool *pool = pool_create(4096);
	struct mime_summary sum;

	mime_summarize(pool, data, size, &sum);
	buffer_printf(out, "SIZE %llu VSIZE %llu HEADER %u CRLF %d\n",
		      (unsigned long long)sum.size, (unsigned long long)sum.vsize,
		      sum.header_size, sum.crlf ? 1 : 0);
	/* the structure as IMAP renders it: the strings the store keeps */
	buffer_printf(out, "ENVELOPE %s\n", imap_envelope_string(pool, sum.envelope));
	buffer_printf(out, "BODYSTRUCTURE %s\n", imap_body_string(pool, sum.body, true));
	buffer_printf(out, "BODY %s\n", imap_body_string(pool, sum.body, false));
	buffer_printf(out, "MESSAGE-ID %s\nSUBJECT %s\nFROM %s\nSENT %lld\n",
		      sum.message_id != NULL ? sum.message_id : "-",
		      sum.subject != NULL ? sum.subject : "-",
		      sum.from != NULL ? sum.from : "-", (long long)sum.sent_time);
	buffer_printf(out, "PARTS\n%s", sum.parts);
	buffer_printf(out, "TEXT\n%s", sum.text);
	pool_destroy(&pool);
}

static void test_golden(void **state)
{
	DIR *dir = opendir(data_dir);
	struct dirent *d;
	int checked = 0;
	bool update = getenv("INFOSTORE_UPDATE_GOLDEN") != NULL;

	(void)state;
	assert_non_null(dir);
	while ((d = readdir(dir)) != NULL) {
		char in_path[2048], ref_path[2048];
		size_t len = strlen(d->d_name), size, ref_size;
		struct buffer out;
		char *data, *ref;

		if (len < 5 || strcmp(d->d_name + len - 4, ".eml") != 0)
			continue;
		snprintf(in_path, sizeof(in_path), "%s/%s", data_dir, d->d_name);
		snprintf(ref_path, sizeof(ref_path), "%s/%.*s.ref", data_dir,
			 (int)(len - 4), d->d_name);
		data = read_file(in_path, &size);
		assert_non_null(data);
		buffer_init(&out, 0);
		summary_text(&out, (const unsigned char *)data, size);
		if (update) {
			/* rewritten files are not compared in the same run: a
			   run that rewrites them proves nothing, so it fails */
			FILE *f = fopen(ref_path, "wb");

			assert_non_null(f);
			fwrite(out.data, 1, out.used, f);
			fclose(f);
			fprintf(stderr, "%s rewritten; run again without "
				"INFOSTORE_UPDATE_GOLDEN to compare\n", ref_path);
			fail();
		}
		ref = read_file(ref_path, &ref_size);
		if (ref == NULL || ref_size != out.used ||
		    memcmp(ref, out.data, out.used) != 0) {
			fprintf(stderr, "%s differs from %s; got:\n%s\n", in_path,
				ref_path, out.data);
			fail();
		}
		free(ref);
		free(data);
		buffer_free(&out);
		checked++;
	}
	closedir(dir);
	assert_true(checked >= 4);
}

static void test_region_split(void **state)
{
	static const char body[] =
		"preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n--b--\r\nepi";
	struct mime_region r[4];
	size_t len = sizeof(body) - 1;
	unsigned int n;

	(void)state;
	n = mime_region_split((const unsigned char *)body, 0, len, "b", r, 4);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].header_start, 15);
	assert_memory_equal(body + r[0].header_start, "A: 1\r\n\r\none", r[0].end - r[0].header_start);
	assert_int_equal(mime_region_body_start((const unsigned char *)body,
						r[0].header_start, r[0].end), 23);
	/* a child with no headers starts with its blank line */
	assert_int_equal(mime_region_body_start((const unsigned char *)body,
						r[1].header_start, r[1].end),
			 r[1].header_start + 2);
	assert_memory_equal(body + r[1].header_start + 2, "two", 3);
	/* "--bb" is not a delimiter of "b" */
	n = mime_region_split((const unsigned char *)"--bb\r\nx\r\n", 0, 9, "b", r, 4);
	assert_int_equal(n, 0);
}

static void test_region_measure(void **state)
{
	uint64_t vsize, lines;

	(void)state;
	mime_region_measure((const unsigned char *)"a\r\nb\nc", 0, 6, &vsize, &lines);
	assert_int_equal(vsize, 7);
	assert_int_equal(lines, 3);
	mime_region_measure((const unsigned char *)"", 0, 0, &vsize, &lines);
	assert_int_equal(vsize, 0);
	assert_int_equal(lines, 0);
	mime_region_measure((const unsigned char *)"\n", 0, 1, &vsize, &lines);
	assert_int_equal(vsize, 2);
	assert_int_equal(lines, 1);
}

static void leaf_cb(void *context, const struct mime_leaf *leaf)
{
	struct buffer *out = context;

	buffer_printf(out, "%s %s/%s %s %zu|", leaf->section, leaf->type,
		      leaf->subtype, leaf->filename != NULL ? leaf->filename : "-",
		      leaf->size);
}

static void test_leaves(void **state)
{
	char path[2048];
	struct pool *pool = pool_create(1024);
	struct buffer out;
	size_t size;
	char *data;

	(void)state;
	snprintf(path, sizeof(path), "%s/multipart.eml", data_dir);
	data = read_file(path, &size);
	buffer_init(&out, 0);
	mime_foreach_leaf(pool, (const unsigned char *)data, size, leaf_cb, &out);
	/* the QP part decoded to UTF-8 "Jörg says hi", the PDF base64-decoded */
	assert_string_equal(out.data,
		"1.1 text/plain - 13|1.2 text/html - 9|2 application/pdf r.pdf 9|"
		"3 text/plain - 18|");
	assert_string_equal(mime_decode_header(pool, "=?utf-8?q?caf=C3=A9?="), "caf\xc3\xa9");
	assert_string_equal(mime_address_list_addrs(pool, "A <a@x.test>, b@y.test"),
			    "a@x.test, b@y.test");
	assert_string_equal(mime_address_display(pool, "\"Alice E\" <a@x.test>"), "Alice E");
	buffer_free(&out);
	free(data);
	pool_destroy(&pool);
}

static void language_cb(void *context, const struct mime_leaf *leaf)
{
	struct buffer *out = context;

	buffer_printf(out, "%s %s|", leaf->section,
		      leaf->language != NULL ? leaf->language : "-");
}

/* Content-Language: a part's own, else the nearest enclosing one's, never
   across into an attached message (RFC 3282 2). */
static void test_leaf_language(void **state)
{
	static const char msg[] =
		"From: a@example.test\r\nMIME-Version: 1.0\r\nContent-Language: de\r\n"
		"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
		"--o\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
		"--a\r\nContent-Type: text/plain\r\n\r\nHallo\r\n"
		"--a\r\nContent-Type: text/html\r\nContent-Language: fr-CA, en\r\n\r\n<p>Salut\r\n"
		"--a--\r\n"
		"--o\r\nContent-Type: message/rfc822\r\n\r\n"
		"From: b@example.test\r\nContent-Type: text/plain\r\n\r\nHi\r\n"
		"--o--\r\n";
	struct pool *pool = pool_create(1024);
	struct buffer out;

	(void)state;
	buffer_init(&out, 0);
	mime_foreach_leaf(pool, (const unsigned char *)msg, sizeof(msg) - 1, language_cb, &out);
	assert_string_equal(out.data, "1.1 de|1.2 fr-CA, en|2 -|");
	buffer_free(&out);
	pool_destroy(&pool);
}

static void count_leaf_cb(void *context, const struct mime_leaf *leaf)
{
	size_t *sizes = context;

	sizes[0]++;
	sizes[1] += leaf->size;
}

/* Offset of the n-th (1-based) occurrence of needle in data. */
static size_t nth_offset(const struct buffer *buf, const char *needle, unsigned int n)
{
	size_t nlen = strlen(needle);

	/* a plain loop: ASan's strstr() would measure the whole 7 MB each time */
	for (size_t pos = 0; pos + nlen <= buf->used; pos++) {
		if (buf->data[pos] == needle[0] &&
		    memcmp(buf->data + pos, needle, nlen) == 0 && --n == 0)
			return pos;
	}
	fail();
	return 0;
}

/* A million empty parts in 7 MB: GMime is shown the first 10,000, so the
   summary and the leaf walk take a fraction of a second instead of
   minutes (and a gigabyte), and the part map still fits the message. */
static void test_limit_many_parts(void **state)
{
	struct pool *pool = pool_create(4096);
	struct mime_summary sum;
	struct mime_part_pos *parts;
	unsigned int count;
	struct buffer msg;
	size_t cut, leaves[2] = { 0, 0 };
	clock_t start;

	(void)state;
	buffer_init(&msg, 0);
	buffer_append_str(&msg, "From: a@example.test\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n");
	for (unsigned int i = 0; i < 1000000; i++)
		buffer_append_str(&msg, "--q\r\n\r\n");
	buffer_append_str(&msg, "--q--\r\n");
	cut = mime_limit_size((const unsigned char *)msg.data, msg.used);
	assert_int_equal(cut, nth_offset(&msg, "--q", MIME_LIMIT_DELIMITER_LINES + 1));

	start = clock();
	mime_summarize(pool, (const unsigned char *)msg.data, msg.used, &sum);
	mime_foreach_leaf(pool, (const unsigned char *)msg.data, msg.used,
			  count_leaf_cb, leaves);
	/* minutes without the limit, well under a second with it (ASan) */
	assert_true(clock() - start < 10 * CLOCKS_PER_SEC);
	assert_int_equal(sum.size, msg.used);
	assert_int_equal(mime_parts_parse(pool, sum.parts, &parts, &count), 0);
	assert_true(count > 2 && count <= 2 * MIME_MAX_PARTS + 2);
	for (unsigned int i = 0; i < count; i++)
		assert_true(parts[i].body_end <= msg.used);
	assert_int_equal(leaves[0], MIME_MAX_PARTS - 1);
	buffer_free(&msg);
	pool_destroy(&pool);
}

/* SQL dumps and signatures: "-- " and bare "--" lines are no delimiters
   unless a boundary could make them one, so a legitimate text attachment
   full of them is parsed whole. */
static void test_limit_dash_lines(void **state)
{
	struct pool *pool = pool_create(4096);
	struct buffer msg;
	size_t leaves[2] = { 0, 0 }, body_len = 0;

	(void)state;
	buffer_init(&msg, 0);
	buffer_append_str(&msg, "From: a@example.test\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
			  "--b\r\nContent-Type: text/plain\r\n\r\nsee the dump\r\n"
			  "--b\r\nContent-Type: text/plain; name=dump.sql\r\n"
			  "Content-Disposition: attachment; filename=dump.sql\r\n\r\n");
	for (unsigned int i = 0; i < 30000; i++) {
		buffer_append_str(&msg, "--\r\n-- Name: t; Type: TABLE\r\n--\r\nX: 1\r\n");
		body_len += 2 + 24 + 2 + 4 + 4 * 1;
	}
	buffer_append_str(&msg, "\r\n--b--\r\n");
	assert_int_equal(mime_limit_size((const unsigned char *)msg.data, msg.used), msg.used);
	mime_foreach_leaf(pool, (const unsigned char *)msg.data, msg.used, count_leaf_cb, leaves);
	assert_int_equal(leaves[0], 2);
	/* "see the dump" and the whole dump, line ends as GMime gives them */
	assert_true(leaves[1] >= 12 + body_len);

	/* once a header declares a boundary that starts with a space, "-- "
	   lines count like any other */
	buffer_reset(&msg);
	buffer_append_str(&msg, "From: a@example.test\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\" sp\"\r\n\r\n");
	for (unsigned int i = 0; i < 20000; i++)
		buffer_append_str(&msg, "-- sp\r\n\r\n");
	assert_int_equal(mime_limit_size((const unsigned char *)msg.data, msg.used),
			 nth_offset(&msg, "-- sp", MIME_LIMIT_DELIMITER_LINES + 1));
	buffer_free(&msg);
	pool_destroy(&pool);
}

/* Header blocks: too many field lines or bytes, at the top, in a part or
   in an attached message, end what GMime sees. */
static void test_limit_headers(void **state)
{
	struct pool *pool = pool_create(4096);
	struct mime_summary sum;
	struct buffer msg;
	size_t cut;

	(void)state;
	buffer_init(&msg, 0);
	buffer_append_str(&msg, "From: a@example.test\r\nSubject: many\r\n");
	for (unsigned int i = 0; i < 30000; i++)
		buffer_printf(&msg, "X-H%u: v\r\n", i);
	buffer_append_str(&msg, "\r\nbody\r\n");
	assert_int_equal(mime_limit_size((const unsigned char *)msg.data, msg.used),
			 nth_offset(&msg, "X-H", MIME_LIMIT_HEADER_LINES - 1));
	mime_summarize(pool, (const unsigned char *)msg.data, msg.used, &sum);
	assert_string_equal(sum.subject, "many");
	assert_int_equal(sum.size, msg.used);

	/* one 2 MB field: the header block would pass 1 MiB */
	buffer_reset(&msg);
	buffer_append_str(&msg, "From: a@example.test\r\nSubject: long\r\nTo: ");
	for (unsigned int i = 0; i < 100000; i++)
		buffer_printf(&msg, "x%06u@example.test, ", i);
	buffer_append_str(&msg, "y@example.test\r\n\r\nbody\r\n");
	cut = mime_limit_size((const unsigned char *)msg.data, msg.used);
	assert_int_equal(cut, nth_offset(&msg, "To: ", 1));
	mime_summarize(pool, (const unsigned char *)msg.data, msg.used, &sum);
	assert_string_equal(sum.subject, "long");

	/* an attached message's header counts as well */
	buffer_reset(&msg);
	buffer_append_str(&msg, "From: a@example.test\r\nMIME-Version: 1.0\r\n"
			  "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
			  "--b\r\nContent-Type: message/rfc822\r\n\r\n");
	for (unsigned int i = 0; i < 30000; i++)
		buffer_printf(&msg, "X-E%u: v\r\n", i);
	buffer_append_str(&msg, "\r\ninner\r\n--b--\r\n");
	assert_int_equal(mime_limit_size((const unsigned char *)msg.data, msg.used),
			 nth_offset(&msg, "X-E", MIME_LIMIT_HEADER_LINES - 3));
	buffer_free(&msg);
	pool_destroy(&pool);
}

static void check_decode(struct pool *pool, const char *cte, const char *in,
			 int want_ret, const char *want, size_t want_len)
{
	const unsigned char *out;
	size_t len;

	assert_int_equal(mime_transfer_decode(pool, cte, (const unsigned char *)in,
					      strlen(in), &out, &len), want_ret);
	if (want_ret < 0)
		return;
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len);
}

static void test_transfer_decode(void **state)
{
	struct pool *pool = pool_create(1024);

	(void)state;
	check_decode(pool, NULL, "as is\r\n", MIME_TRANSFER_LINES, "as is\r\n", 7);
	check_decode(pool, " 8BIT ", "x", MIME_TRANSFER_LINES, "x", 1);
	check_decode(pool, "binary", "b", MIME_TRANSFER_BINARY, "b", 1);
	check_decode(pool, "Base64", "AAECAw==\r\n", MIME_TRANSFER_DECODED,
		     "\0\1\2\3", 4);
	/* RFC 2045 6.7: trailing blanks go, "=" then blanks is a soft break */
	check_decode(pool, "quoted-printable",
		     "hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n=62\r\n"
		     "foo = \t\r\nbar\r\ncaf=C3=A9",
		     MIME_TRANSFER_DECODED,
		     "hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\ncaf\xc3\xa9",
		     strlen("hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\ncaf\xc3\xa9"));
	check_decode(pool, "x-rot13", "nop", -1, NULL, 0);
	pool_destroy(&pool);
}

/* A From: mailbox: quoted where RFC 5322 needs it, RFC 2047 when not
   ASCII, and read back by GMime as the same name and address. */
static void test_mailbox_header(void **state)
{
	static const char *const names[] = {
		"Alice Example",
		"Smith, John",
		"O'Neil \"Ace\" (boss)",
		"J\xc3\xbcrgen M\xc3\xbcller",
		"\xe5\xb1\xb1\xe7\x94\xb0 \xe5\xa4\xaa\xe9\x83\x8e",
		"a <b@c>",
		"x=?utf-8?q?y?=",
		"=?utf-8?q?Mallory?= <m@evil.test>",
		"=?\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
		"\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"
		"\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4",
	};
	struct pool *pool = pool_create(1024);
	const char *h;

	(void) state;
	assert_string_equal(mime_mailbox_header(pool, NULL, "a@b.test"),
			    "a@b.test");
	assert_string_equal(mime_mailbox_header(pool, "", "a@b.test"),
			    "a@b.test");
	assert_string_equal(
		mime_mailbox_header(pool, "Alice Example", "a@b.test"),
		"Alice Example <a@b.test>");
	assert_string_equal(
		mime_mailbox_header(pool, "Smith, John", "a@b.test"),
		"\"Smith, John\" <a@b.test>");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		h = mime_mailbox_header(pool, names[i], "a@b.test");
		for (const unsigned char *p = (const unsigned char *) h;
		     *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
		assert_string_equal(mime_address_display(pool, h), names[i]);
		/* RFC 2047 2: no encoded-word longer than 75 characters */
		for (const char *w = strstr(h, "=?"); w != NULL;
		     w = strstr(w, "=?")) {
			const char *end = strstr(w + 2, "?= ");

			if (end == NULL)
				end = strstr(w + 2, "?= <");
			assert_non_null(end);
			assert_true(end + 2 - w <= 75);
			w = end + 2;
		}
		assert_string_equal(mime_address_list_addrs(pool, h),
				    "a@b.test");
	}
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_region_split),
		cmocka_unit_test(test_region_measure),
		cmocka_unit_test(test_leaves),
		cmocka_unit_test(test_leaf_language),
		cmocka_unit_test(test_limit_many_parts),
		cmocka_unit_test(test_limit_dash_lines),
		cmocka_unit_test(test_limit_headers),
		cmocka_unit_test(test_transfer_decode),
		cmocka_unit_test(test_mailbox_header),
	};
	const char *srcdir = getenv("INFOSTORE_SRCDIR");

	snprintf(data_dir, sizeof(data_dir), "%s/tests/data/mime",
		 srcdir != NULL ? srcdir : ".");
	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
