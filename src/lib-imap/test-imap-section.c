/* BODY[section] parsing and resolution against lib-mime's part map, and
   SEARCH key parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "imap-parser.h"
#include "imap-search-args.h"
#include "imap-section.h"
#include "mime.h"
#include "pool.h"

#include <string.h>

static const char nested_msg[] =
	"From: a@example.test\r\n"
	"Subject: outer\r\n"
	"Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
	"\r\n"
	"preamble\r\n"
	"--XX\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"part one\r\n"
	"--XX\r\n"
	"Content-Type: message/rfc822\r\n"
	"\r\n"
	"From: b@example.test\r\n"
	"Subject: inner\r\n"
	"Content-Type: multipart/alternative; boundary=\"YY\"\r\n"
	"\r\n"
	"--YY\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"inner plain\r\n"
	"--YY\r\n"
	"Content-Type: text/html\r\n"
	"\r\n"
	"<p>inner html</p>\r\n"
	"--YY--\r\n"
	"--XX--\r\n";

static const char simple_msg[] =
	"From: a@example.test\n"
	"Subject: simple\n"
	"X-Long: one\n"
	"  two\n"
	"\n"
	"body line\n";

/* The bytes of a section, or "NIL". */
static const char *section_text(struct pool *pool, const char *msg, const char *spec)
{
	struct mime_summary sum;
	struct mime_part_pos *parts;
	unsigned int count;
	struct imap_section sect;
	struct imap_section_region region;
	const char *error;
	struct buffer out;

	mime_summarize(pool, (const unsigned char *)msg, strlen(msg), &sum);
	assert_int_equal(mime_parts_parse(pool, sum.parts, &parts, &count), 0);
	if (imap_section_parse(pool, spec, &sect, &error) < 0)
		return "BAD";
	if (imap_section_resolve(&sect, parts, count, strlen(msg), &region) == 0)
		return "NIL";
	buffer_init_pool(&out, pool, 0);
	if (region.filter) {
		imap_header_filter((const unsigned char *)msg + region.start,
				   (size_t)(region.end - region.start), sect.fields,
				   sect.field_count,
				   sect.kind == IMAP_SECTION_HEADER_FIELDS_NOT, &out);
	} else {
		buffer_append(&out, msg + region.start, (size_t)(region.end - region.start));
	}
	return out.data != NULL ? out.data : "";
}

static void test_section_nested(void **state)
{
	struct pool *pool = pool_create(4096);

	(void)state;
	assert_string_equal(section_text(pool, nested_msg, ""), nested_msg);
	assert_string_equal(section_text(pool, nested_msg, "HEADER"),
			    "From: a@example.test\r\nSubject: outer\r\n"
			    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n");
	assert_string_equal(section_text(pool, nested_msg, "1"), "part one");
	assert_string_equal(section_text(pool, nested_msg, "1.MIME"),
			    "Content-Type: text/plain\r\n\r\n");
	assert_string_equal(section_text(pool, nested_msg, "2.HEADER.FIELDS (subject)"),
			    "Subject: inner\r\n\r\n");
	assert_string_equal(section_text(pool, nested_msg, "2.1"), "inner plain");
	assert_string_equal(section_text(pool, nested_msg, "2.2"), "<p>inner html</p>");
	assert_string_equal(section_text(pool, nested_msg, "2.2.MIME"),
			    "Content-Type: text/html\r\n\r\n");
	assert_true(strncmp(section_text(pool, nested_msg, "2"), "From: b@", 8) == 0);
	assert_true(strncmp(section_text(pool, nested_msg, "2.TEXT"), "--YY\r\n", 6) == 0);
	assert_string_equal(section_text(pool, nested_msg, "3"), "NIL");
	assert_string_equal(section_text(pool, nested_msg, "1.1"), "NIL");
	assert_string_equal(section_text(pool, nested_msg, "1.HEADER"), "NIL");
	assert_string_equal(section_text(pool, nested_msg, "2.3"), "NIL");
	pool_destroy(&pool);
}

static void test_section_simple(void **state)
{
	struct pool *pool = pool_create(4096);

	(void)state;
	assert_string_equal(section_text(pool, simple_msg, "TEXT"), "body line\n");
	assert_string_equal(section_text(pool, simple_msg, "1"), "body line\n");
	assert_string_equal(section_text(pool, simple_msg, "2"), "NIL");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS (X-LONG From)"),
			    "From: a@example.test\r\nX-Long: one\r\n  two\r\n\r\n");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS.NOT (X-LONG From)"),
			    "Subject: simple\r\n\r\n");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS (\"Subject\")"),
			    "Subject: simple\r\n\r\n");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS (Nope)"), "\r\n");
	assert_string_equal(section_text(pool, simple_msg, "MIME"), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "0"), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "1."), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS"), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS ()"), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "HEADER.FIELDS (a"), "BAD");
	assert_string_equal(section_text(pool, simple_msg, "FOO"), "BAD");
	pool_destroy(&pool);
}

static void test_crlf(void **state)
{
	struct pool *pool = pool_create(1024);
	struct buffer out;
	static const unsigned char in[] = "a\nb\r\nc\n";

	(void)state;
	buffer_init_pool(&out, pool, 0);
	imap_append_crlf(&out, in, sizeof(in) - 1);
	assert_string_equal(out.data, "a\r\nb\r\nc\r\n");
	assert_int_equal(imap_crlf_size(in, sizeof(in) - 1), 9);
	pool_destroy(&pool);
}

/* Parse a SEARCH program from text and describe the tree. */
static void describe(struct buffer *out, const struct imap_search_key *key)
{
	for (; key != NULL; key = key->next) {
		if (key->not)
			buffer_append_str(out, "!");
		switch (key->type) {
		case IMAP_SEARCH_AND:
			buffer_append_c(out, '(');
			describe(out, key->children);
			buffer_append_c(out, ')');
			break;
		case IMAP_SEARCH_OR:
			buffer_append_str(out, "OR(");
			describe(out, key->children);
			buffer_append_c(out, ')');
			break;
		case IMAP_SEARCH_FLAG:
			buffer_printf(out, "F%u", key->flag);
			break;
		case IMAP_SEARCH_HEADER:
			buffer_printf(out, "H[%s=%s]", key->field, key->value);
			break;
		case IMAP_SEARCH_SEQSET:
			buffer_printf(out, "S%u-%u", key->set.ranges[0].lo,
				      key->set.ranges[key->set.count - 1].hi);
			break;
		case IMAP_SEARCH_UIDSET:
			buffer_printf(out, "U%u-%u", key->set.ranges[0].lo,
				      key->set.ranges[key->set.count - 1].hi);
			break;
		case IMAP_SEARCH_SAVED:
			buffer_append_str(out, "$");
			break;
		case IMAP_SEARCH_BODY:
			buffer_printf(out, "B[%s]", key->value);
			break;
		case IMAP_SEARCH_SINCE:
			buffer_printf(out, "SINCE%lld", (long long)key->day);
			break;
		case IMAP_SEARCH_LARGER:
			buffer_printf(out, ">%llu", (unsigned long long)key->num);
			break;
		case IMAP_SEARCH_MODSEQ:
			buffer_printf(out, "M%llu", (unsigned long long)key->num);
			break;
		case IMAP_SEARCH_RECENT:
			buffer_append_str(out, "R");
			break;
		case IMAP_SEARCH_ALL:
			buffer_append_str(out, "ALL");
			break;
		default:
			buffer_printf(out, "T%d", key->type);
			break;
		}
		if (key->next != NULL)
			buffer_append_c(out, ' ');
	}
}

static const char *search(struct pool *pool, const char *line, bool empty)
{
	static const struct imap_parser_settings set = {
		.max_line = 1000, .max_literal = 100, .max_buffered = 100,
		.max_depth = 10, .max_args = 200,
	};
	struct imap_parser *parser = imap_parser_create(pool, &set);
	struct imap_search_context ctx = { .seq_star = 10, .uid_star = 500,
					   .seq_star_valid = !empty };
	struct imap_search_key *root;
	const struct imap_arg *args;
	unsigned int count;
	const char *error;
	size_t consumed;
	struct buffer out;

	for (size_t off = 0;;) {
		enum imap_parse_result ret =
			imap_parser_parse(parser, (const unsigned char *)line + off,
					  strlen(line) - off, &consumed);

		off += consumed;
		if (ret == IMAP_PARSE_LINE)
			break;
		assert_int_equal(ret, IMAP_PARSE_LITERAL);
		assert_int_equal(imap_parser_literal_buffer(parser), 0);
	}
	args = imap_parser_args(parser, &count);
	if (imap_search_args_parse(pool, args, &ctx, &root, &error) < 0)
		return p_printf(pool, "BAD:%s", error);
	buffer_init_pool(&out, pool, 0);
	describe(&out, root);
	return out.data;
}

static void test_search_args(void **state)
{
	struct pool *pool = pool_create(4096);

	(void)state;
	assert_string_equal(search(pool, "ALL\r\n", false), "(ALL)");
	assert_string_equal(search(pool, "seen unseen\r\n", false), "(F1 !F1)");
	assert_string_equal(search(pool, "OR FROM alice SUBJECT \"hi there\"\r\n", false),
			    "(OR(H[FROM=alice] H[SUBJECT=hi there]))");
	assert_string_equal(search(pool, "NOT (DELETED 1:*) UID 3:*\r\n", false),
			    "(!(F8 S1-10) U3-500)");
	assert_string_equal(search(pool, "NOT NOT SEEN\r\n", false), "(!(!F1))");
	assert_string_equal(search(pool, "HEADER X-Foo {3}\r\nbar\r\n", false),
			    "(H[X-Foo=bar])");
	assert_string_equal(search(pool, "SINCE 1-Feb-1994 LARGER 100\r\n", false),
			    "(SINCE760060800 >100)");
	assert_string_equal(search(pool, "MODSEQ \"/flags/\\\\draft\" all 620162338\r\n", false),
			    "(M620162338)");
	assert_string_equal(search(pool, "MODSEQ 5 $ UID $\r\n", false), "(M5 $ $)");
	assert_string_equal(search(pool, "NEW\r\n", false), "((R !F1))");
	assert_string_equal(search(pool, "KEYWORD \\Seen UNKEYWORD $Junk\r\n", false),
			    "(F1 !T7)");
	assert_string_equal(search(pool, "BODY x\r\n", false), "(B[x])");
	assert_string_equal(search(pool, "1:*\r\n", true),
			    "BAD:No messages: * is not a message number");
	assert_string_equal(search(pool, "FOO\r\n", false), "BAD:Unknown search key");
	assert_string_equal(search(pool, "OR SEEN\r\n", false),
			    "BAD:Missing second search key of OR");
	assert_string_equal(search(pool, "SINCE 1-Foo-1994\r\n", false), "BAD:Invalid search date");
	assert_string_equal(search(pool, "LARGER x\r\n", false), "BAD:Invalid search number");
	assert_string_equal(search(pool, "()\r\n", false), "BAD:Empty search key list");
	assert_string_equal(search(pool, "\r\n", false), "BAD:Empty search key list");
	assert_string_equal(search(pool, "FROM\r\n", false), "BAD:Missing search argument");
	assert_string_equal(search(pool, "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
				   "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
				   "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT "
				   "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT SEEN\r\n",
				   false), "BAD:Search keys nested too deeply");
	pool_destroy(&pool);
}

static int setup(void **state)
{
	(void)state;
	mime_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mime_deinit();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section_nested),
		cmocka_unit_test(test_section_simple),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_search_args),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
