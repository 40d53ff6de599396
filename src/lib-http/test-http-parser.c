#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "buffer.h"
#include "http-parser.h"
#include "http-response.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct http_parser_settings test_set = {
	.max_request_line = 64,
	.max_head_size = 256,
	.max_fields = 8,
	.max_body_size = 100,
};

/* Targets under /small/ get a body limit of 10, as /dav/ gets its own in
   the web access. */
#define SMALL_PREFIX "/small/"
#define SMALL_LIMIT 10

static void serialize_head(struct buffer *out, const struct http_request_head *head)
{
	buffer_printf(out, "HEAD:%s %s 1.%u", head->method, head->target,
		      head->version_minor);
	for (unsigned int i = 0; i < head->field_count; i++)
		buffer_printf(out, " [%s=%s]", head->fields[i].name, head->fields[i].value);
	switch (head->framing) {
	case HTTP_BODY_NONE:
		buffer_append_str(out, " body=none");
		break;
	case HTTP_BODY_LENGTH:
		buffer_printf(out, " body=%llu",
			      (unsigned long long)head->content_length);
		break;
	case HTTP_BODY_CHUNKED:
		buffer_append_str(out, " body=chunked");
		break;
	}
	buffer_printf(out, " ka=%d cont=%d\n", head->keep_alive, head->expect_continue);
}

/*
 * Feed input in chunks of split bytes (0: all at once; with once, split
 * bytes and then the rest) and return a transcript of every event:
 * "HEAD:...", "DATA:<bytes>" (glued across events), "END", "ERR:<status>
 * <reason>" (the end), and "PARTIAL" when the input stops inside a
 * request.
 */
static char *run_parser(const char *input, size_t len, size_t split, bool once,
			size_t *len_r)
{
	struct pool *pool = pool_create(1024), *head_pool = pool_create(1024);
	struct http_parser *parser = http_parser_create(pool, &test_set);
	struct buffer pending, out;
	size_t fed = 0, off = 0;
	bool in_data = false, failed = false;
	char *result;

	buffer_init(&pending, 0);
	buffer_init(&out, 0);
	http_parser_reset(parser, head_pool);
	while (!failed && (fed < len || off < pending.used)) {
		size_t chunk = split == 0 || (once && fed > 0) ? len - fed : split;

		if (chunk > len - fed)
			chunk = len - fed;
		buffer_append(&pending, input + fed, chunk);
		fed += chunk;
		for (;;) {
			size_t consumed, avail = pending.used - off;
			enum http_parse_result ret =
				http_parser_parse(parser, (const unsigned char *)pending.data + off,
						  avail, &consumed);
			const struct http_request_head *head;
			const unsigned char *data;
			size_t dlen;
			const char *reason;
			int status;

			assert_true(consumed <= avail);
			off += consumed;
			if (ret == HTTP_PARSE_NEED_MORE) {
				assert_int_equal(off, pending.used);
				break;
			}
			if (ret == HTTP_PARSE_HEAD) {
				head = http_parser_head(parser);
				assert_non_null(head);
				serialize_head(&out, head);
				if (strncmp(head->target, SMALL_PREFIX,
					    strlen(SMALL_PREFIX)) == 0 &&
				    http_parser_set_max_body(parser, SMALL_LIMIT) < 0) {
					status = http_parser_error(parser, &reason);
					buffer_printf(&out, "ERR:%d %s\n", status, reason);
					failed = true;
					break;
				}
			} else if (ret == HTTP_PARSE_BODY_DATA) {
				http_parser_body_data(parser, &data, &dlen);
				assert_true(dlen > 0);
				/* glued: the transcript must not depend on
				   how the input was split */
				if (!in_data)
					buffer_append_str(&out, "DATA:");
				in_data = true;
				buffer_append(&out, data, dlen);
			} else if (ret == HTTP_PARSE_END) {
				buffer_append_str(&out, in_data ? "\nEND\n" : "END\n");
				in_data = false;
				pool_clear(head_pool);
				http_parser_reset(parser, head_pool);
			} else {
				assert_int_equal(ret, HTTP_PARSE_ERROR);
				if (in_data)
					buffer_append_c(&out, '\n');
				status = http_parser_error(parser, &reason);
				buffer_printf(&out, "ERR:%d %s\n", status, reason);
				failed = true;
				break;
			}
		}
		/* keep pending small like a connection buffer */
		buffer_consume(&pending, off);
		off = 0;
	}
	if (!failed && http_parser_started(parser))
		buffer_append_str(&out, in_data ? "\nPARTIAL\n" : "PARTIAL\n");
	result = malloc(out.used + 1);
	memcpy(result, out.data != NULL ? out.data : "", out.used);
	result[out.used] = '\0';
	*len_r = out.used;
	buffer_free(&out);
	buffer_free(&pending);
	pool_destroy(&head_pool);
	pool_destroy(&pool);
	return result;
}

/* Whole, byte at a time, in every chunk size, and split once at every
   offset must agree. */
static void check_parse_len(const char *input, size_t len, const char *expected,
			    size_t expected_len)
{
	size_t wlen, rlen;
	char *whole = run_parser(input, len, 0, false, &wlen);

	if (wlen != expected_len || memcmp(whole, expected, expected_len) != 0)
		fail_msg("input %s\nexpected:\n%s\ngot:\n%s", input, expected, whole);
	for (size_t split = 1; split <= len; split++) {
		char *r = run_parser(input, len, split, false, &rlen);

		if (rlen != wlen || memcmp(r, whole, wlen) != 0)
			fail_msg("input %s split %zu\nexpected:\n%s\ngot:\n%s",
				 input, split, expected, r);
		free(r);
	}
	for (size_t at = 1; at < len; at++) {
		char *r = run_parser(input, len, at, true, &rlen);

		if (rlen != wlen || memcmp(r, whole, wlen) != 0)
			fail_msg("input %s at %zu\nexpected:\n%s\ngot:\n%s",
				 input, at, expected, r);
		free(r);
	}
	free(whole);
}

static void check_parse(const char *input, const char *expected)
{
	check_parse_len(input, strlen(input), expected, strlen(expected));
}

/* For input with NULs in it. */
#define check_parse_bin(input, expected) \
	check_parse_len(input, sizeof(input) - 1, expected, strlen(expected))

static void test_request_line(void **state)
{
	(void)state;
	check_parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	/* WebDAV and CalDAV methods, and any other token */
	check_parse("PROPFIND /dav/a%20b/ HTTP/1.1\r\nHost: x\r\nDepth: 1\r\n\r\n",
		    "HEAD:PROPFIND /dav/a%20b/ 1.1 [Host=x] [Depth=1] body=none ka=1 cont=0\nEND\n");
	check_parse("MKCALENDAR /dav/c/ HTTP/1.1\r\nHost: x\r\n\r\n",
		    "HEAD:MKCALENDAR /dav/c/ 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	check_parse("X-MS.ENUM-ATTS! * HTTP/1.1\r\nHost: x\r\n\r\n",
		    "HEAD:X-MS.ENUM-ATTS! * 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	/* methods are case-sensitive: kept as sent */
	check_parse("get /?q=1&r=%2F HTTP/1.1\r\nHost: x\r\n\r\n",
		    "HEAD:get /?q=1&r=%2F 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	/* bare LF line ends; empty lines before the request line */
	check_parse("\r\n\nGET / HTTP/1.1\nHost: x\n\n",
		    "HEAD:GET / 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	check_parse("\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n",
		    "ERR:400 Invalid request line\n");
	check_parse("GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", "ERR:400 Invalid method\n");
	check_parse(" GET / HTTP/1.1\r\n", "ERR:400 Invalid method\n");
	check_parse("GET\r\n", "ERR:400 Invalid method\n");
	check_parse("GET  / HTTP/1.1\r\n", "ERR:400 Invalid request target\n");
	check_parse("GET /a b HTTP/1.1\r\n", "ERR:400 Invalid HTTP version\n");
	check_parse("GET /\xc3\xa9 HTTP/1.1\r\n", "ERR:400 Invalid request target\n");
	check_parse("GET /\r\n", "ERR:400 Invalid request target\n");
	check_parse("GET / HTTP/1.1 \r\n", "ERR:400 Invalid HTTP version\n");
	check_parse("GET / http/1.1\r\n", "ERR:400 Invalid HTTP version\n");
	check_parse("GET / HTTP/1.10\r\n", "ERR:400 Invalid HTTP version\n");
	check_parse("GET / HTTP/1.1\rX\r\n", "ERR:400 CR without LF\n");
	check_parse_bin("GET /\0 HTTP/1.1\r\n", "ERR:400 Invalid request target\n");
	check_parse_bin("\x00\x01garbage\r\n\r\n", "ERR:400 Invalid method\n");
}

static void test_versions(void **state)
{
	(void)state;
	check_parse("GET / HTTP/2.0\r\n", "ERR:505 HTTP version not supported\n");
	check_parse("GET / HTTP/0.9\r\n", "ERR:505 HTTP version not supported\n");
	/* a later minor is read as the highest we know (RFC 9110 6.2) */
	check_parse("GET / HTTP/1.7\r\nHost: x\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] body=none ka=1 cont=0\nEND\n");
	/* HTTP/1.0: no Host needed, no keep-alive unless asked */
	check_parse("GET / HTTP/1.0\r\n\r\n", "HEAD:GET / 1.0 body=none ka=0 cont=0\nEND\n");
	check_parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		    "HEAD:GET / 1.0 [Connection=Keep-Alive] body=none ka=1 cont=0\nEND\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] [Connection=keep-alive, close] body=none "
		    "ka=0 cont=0\nEND\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\r\nconnection: TE,\r\nConnection: ,Close\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] [connection=TE,] [Connection=,Close] body=none "
		    "ka=0 cont=0\nEND\n");
	/* RFC 9112 3.2 */
	check_parse("GET / HTTP/1.1\r\n\r\n", "ERR:400 Missing or repeated Host\n");
	check_parse("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
		    "ERR:400 Missing or repeated Host\n");
}

static void test_fields(void **state)
{
	(void)state;
	check_parse("GET / HTTP/1.1\r\nHost:x\r\nX-Empty:\r\nX-Sp: \t a  b \t\r\n"
		    "X-8bit: caf\xc3\xa9\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] [X-Empty=] [X-Sp=a  b] [X-8bit=caf\xc3\xa9] "
		    "body=none ka=1 cont=0\nEND\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n continued\r\n\r\n",
		    "ERR:400 Folded header field\n");
	check_parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "ERR:400 Whitespace before colon\n");
	check_parse("GET / HTTP/1.1\r\nHost x\r\n\r\n", "ERR:400 Invalid header field\n");
	check_parse("GET / HTTP/1.1\r\n: x\r\n\r\n", "ERR:400 Invalid header field\n");
	check_parse("GET / HTTP/1.1\r\nX(: x\r\n\r\n", "ERR:400 Invalid header field\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n", "ERR:400 CR without LF\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\x01y\r\n\r\n",
		    "ERR:400 Invalid character in a header field\n");
	check_parse_bin("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n",
			"ERR:400 Invalid character in a header field\n");
	/* a head that just stops */
	check_parse("GET / HTTP/1.1\r\nHost: x\r\n", "PARTIAL\n");
	check_parse("GE", "PARTIAL\n");
	check_parse("\r\n", "");
}

static void test_limits(void **state)
{
	char line[400], expected[600];

	(void)state;
	/* the request line may be 64 bytes, its CR counted */
	snprintf(line, sizeof(line), "GET /%049d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	snprintf(expected, sizeof(expected),
		 "HEAD:GET /%049d 1.1 [Host=x] body=none ka=1 cont=0\nEND\n", 0);
	check_parse(line, expected);
	snprintf(line, sizeof(line), "GET /%050d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	check_parse(line, "ERR:414 Request line too long\n");
	/* 256 bytes of head, every CRLF counted */
	snprintf(line, sizeof(line), "GET / HTTP/1.1\r\nHost: x\r\nX: %0224d\r\n\r\n", 0);
	assert_int_equal(strlen(line), 256);
	snprintf(expected, sizeof(expected),
		 "HEAD:GET / 1.1 [Host=x] [X=%0224d] body=none ka=1 cont=0\nEND\n", 0);
	check_parse(line, expected);
	snprintf(line, sizeof(line), "GET / HTTP/1.1\r\nHost: x\r\nX: %0225d\r\n\r\n", 0);
	check_parse(line, "ERR:431 Request header too large\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\ne:5\r\n"
		    "f:6\r\ng:7\r\nh:8\r\n\r\n", "ERR:431 Too many header fields\n");
	check_parse("GET / HTTP/1.1\r\nHost: x\r\na:1\r\nb:2\r\nc:3\r\nd:4\r\ne:5\r\n"
		    "f:6\r\ng:7\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] [a=1] [b=2] [c=3] [d=4] [e=5] [f=6] [g=7] "
		    "body=none ka=1 cont=0\nEND\n");
}

static void test_content_length(void **state)
{
	(void)state;
	check_parse("POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		    "HEAD:POST /login 1.1 [Host=x] [Content-Length=5] body=5 ka=1 cont=0\n"
		    "DATA:hello\nEND\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		    "HEAD:POST / 1.1 [Host=x] [Content-Length=0] body=0 ka=1 cont=0\nEND\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 003\r\n"
		    "\r\nabc",
		    "HEAD:PUT / 1.1 [Host=x] [Content-Length=3] [content-length=003] body=3 "
		    "ka=1 cont=0\nDATA:abc\nEND\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
		    "ERR:400 Conflicting Content-Length\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n",
		    "ERR:400 Invalid Content-Length\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n",
		    "ERR:400 Invalid Content-Length\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
		    "ERR:400 Invalid Content-Length\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
		    "ERR:400 Invalid Content-Length\n");
	/* over the limit: answered before a byte of the body is read */
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\nabc",
		    "ERR:413 Request body too large\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		    "ERR:413 Request body too large\n");
	check_parse("PUT /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n",
		    "HEAD:PUT /small/x 1.1 [Host=x] [Content-Length=11] body=11 ka=1 cont=0\n"
		    "ERR:413 Request body too large\n");
	check_parse("PUT /small/x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
		    "HEAD:PUT /small/x 1.1 [Host=x] [Content-Length=10] body=10 ka=1 cont=0\n"
		    "DATA:0123456789\nEND\n");
	/* a body cut short */
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel",
		    "HEAD:POST / 1.1 [Host=x] [Content-Length=5] body=5 ka=1 cont=0\n"
		    "DATA:hel\nPARTIAL\n");
}

static void test_chunked(void **state)
{
	(void)state;
	check_parse("PUT /dav/x.ics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5\r\nhello\r\n1;name=\"v\" ; x\r\n \r\nA\r\n0123456789\r\n000\r\n\r\n",
		    "HEAD:PUT /dav/x.ics 1.1 [Host=x] [Transfer-Encoding=chunked] body=chunked "
		    "ka=1 cont=0\nDATA:hello 0123456789\nEND\n");
	/* trailers are skipped; upper-case hex and coding name */
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
		    "b\r\nhello world\r\n0\r\nX-Checksum: 1\r\nX-More: 2\r\n\r\n",
		    "HEAD:POST / 1.1 [Host=x] [Transfer-Encoding=Chunked] body=chunked "
		    "ka=1 cont=0\nDATA:hello world\nEND\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		    "HEAD:POST / 1.1 [Host=x] [Transfer-Encoding=chunked] body=chunked "
		    "ka=1 cont=0\nEND\n");
	/* RFC 9112 6.1 and 6.3 */
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		    "ERR:501 Transfer-Encoding not supported\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n",
		    "ERR:501 Transfer-Encoding not supported\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
		    "ERR:400 Invalid Transfer-Encoding\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		    "ERR:400 Invalid Transfer-Encoding\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		    "ERR:400 Invalid Transfer-Encoding\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,\r\n\r\n",
		    "ERR:400 Invalid Transfer-Encoding\n");
	check_parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		    "Content-Length: 5\r\n\r\n",
		    "ERR:400 Both Content-Length and Transfer-Encoding\n");
	check_parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
		    "ERR:400 Transfer-Encoding in HTTP/1.0\n");
}

static void test_chunked_errors(void **state)
{
	(void)state;
#define TE_HEAD "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
#define TE_OUT "HEAD:POST / 1.1 [Host=x] [Transfer-Encoding=chunked] body=chunked " \
	"ka=1 cont=0\n"
	check_parse(TE_HEAD "3\r\nabcX\r\n0\r\n\r\n",
		    TE_OUT "DATA:abc\nERR:400 Missing CRLF after chunk data\n");
	check_parse(TE_HEAD "3\r\nabc\r0\r\n\r\n",
		    TE_OUT "DATA:abc\nERR:400 Missing CRLF after chunk data\n");
	check_parse(TE_HEAD "g\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	check_parse(TE_HEAD ";x\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	check_parse(TE_HEAD "\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	check_parse(TE_HEAD "-1\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	/* bare LF: strict in the framing that decides where a body ends */
	check_parse(TE_HEAD "3\nabc\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	check_parse(TE_HEAD "3;a\nabc\r\n", TE_OUT "ERR:400 Invalid chunk extension\n");
	check_parse(TE_HEAD "3\r\r\n", TE_OUT "ERR:400 CR without LF\n");
	check_parse(TE_HEAD "10000000000000000\r\n", TE_OUT "ERR:400 Invalid chunk size\n");
	check_parse(TE_HEAD "0\r\nX: 1\n\r\n", TE_OUT "ERR:400 Invalid trailer field\n");
	check_parse(TE_HEAD "0\r\n\rX", TE_OUT "ERR:400 CR without LF\n");
	/* the limit: a declared chunk over it, and a sum of chunks over it */
	check_parse(TE_HEAD "65\r\n", TE_OUT "ERR:413 Request body too large\n");
	check_parse(TE_HEAD "ffffffffffffffff\r\n", TE_OUT "ERR:413 Request body too large\n");
	check_parse("POST /small/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "6\r\nabcdef\r\n4\r\nghij\r\n1\r\nk\r\n0\r\n\r\n",
		    "HEAD:POST /small/ 1.1 [Host=x] [Transfer-Encoding=chunked] body=chunked "
		    "ka=1 cont=0\nDATA:abcdefghij\nERR:413 Request body too large\n");
	check_parse(TE_HEAD "5\r\nabc", TE_OUT "DATA:abc\nPARTIAL\n");
#undef TE_HEAD
#undef TE_OUT
}

static void test_pipelined(void **state)
{
	(void)state;
	check_parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
		    "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nxy"
		    "\r\n" /* a stray CRLF after a body (RFC 9112 2.2) */
		    "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "1\r\nz\r\n0\r\n\r\n"
		    "GET /d HTTP/1.0\r\n\r\n",
		    "HEAD:GET /a 1.1 [Host=x] body=none ka=1 cont=0\nEND\n"
		    "HEAD:POST /b 1.1 [Host=x] [Content-Length=2] body=2 ka=1 cont=0\n"
		    "DATA:xy\nEND\n"
		    "HEAD:PUT /c 1.1 [Host=x] [Transfer-Encoding=chunked] body=chunked "
		    "ka=1 cont=0\nDATA:z\nEND\n"
		    "HEAD:GET /d 1.0 body=none ka=0 cont=0\nEND\n");
	check_parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n",
		    "HEAD:GET /a 1.1 [Host=x] body=none ka=1 cont=0\nEND\nPARTIAL\n");
	check_parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\n",
		    "HEAD:GET /a 1.1 [Host=x] body=none ka=1 cont=0\nEND\n"
		    "ERR:400 Invalid method\n");
}

static void test_expect(void **state)
{
	(void)state;
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
		    "Content-Length: 2\r\n\r\nab",
		    "HEAD:PUT / 1.1 [Host=x] [Expect=100-Continue] [Content-Length=2] "
		    "body=2 ka=1 cont=1\nDATA:ab\nEND\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		    "HEAD:PUT / 1.1 [Host=x] [Expect=100-continue] "
		    "[Transfer-Encoding=chunked] body=chunked ka=1 cont=1\nEND\n");
	/* no body, HTTP/1.0, or another expectation: nothing to wait for */
	check_parse("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",
		    "HEAD:GET / 1.1 [Host=x] [Expect=100-continue] body=none ka=1 cont=0\nEND\n");
	check_parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na",
		    "HEAD:PUT / 1.0 [Expect=100-continue] [Content-Length=1] body=1 "
		    "ka=0 cont=0\nDATA:a\nEND\n");
	check_parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\na",
		    "HEAD:PUT / 1.1 [Host=x] [Expect=200-ok] [Content-Length=1] body=1 "
		    "ka=1 cont=0\nDATA:a\nEND\n");
}

static void test_helpers(void **state)
{
	struct pool *pool = pool_create(1024), *head_pool = pool_create(1024);
	struct http_parser *parser = http_parser_create(pool, &test_set);
	const char *in = "GET / HTTP/1.1\r\nHost: x\r\nACCEPT: a/b\r\nAccept: c/d\r\n"
		"X-List: a, b ;q=1 ,c\r\n\r\n";
	const struct http_request_head *head;
	char date[HTTP_DATE_SIZE];
	size_t consumed;

	(void)state;
	http_parser_reset(parser, head_pool);
	assert_false(http_parser_started(parser));
	assert_null(http_parser_head(parser));
	assert_int_equal(http_parser_parse(parser, (const unsigned char *)in, strlen(in),
					   &consumed), HTTP_PARSE_HEAD);
	assert_int_equal(consumed, strlen(in));
	assert_true(http_parser_started(parser));
	head = http_parser_head(parser);
	assert_string_equal(http_request_field(head, "accept"), "a/b");
	assert_null(http_request_field(head, "Accept-Language"));
	assert_true(http_request_field_has_token(head, "x-list", "B"));
	assert_true(http_request_field_has_token(head, "x-list", "c"));
	assert_false(http_request_field_has_token(head, "x-list", "d"));
	assert_false(http_request_field_has_token(head, "Connection", "close"));
	assert_int_equal(http_parser_parse(parser, NULL, 0, &consumed), HTTP_PARSE_END);
	assert_int_equal(consumed, 0);
	assert_int_equal(http_parser_body_size(parser), 0);

	assert_true(http_char_is_token('~'));
	assert_false(http_char_is_token('('));
	assert_false(http_char_is_token(0x80));
	assert_string_equal(http_reason_phrase(207), "Multi-Status");
	assert_string_equal(http_reason_phrase(413), "Content Too Large");
	assert_string_equal(http_reason_phrase(299), "Unknown");
	http_date_format(784111777, date);
	assert_string_equal(date, "Sun, 06 Nov 1994 08:49:37 GMT");
	pool_destroy(&head_pool);
	pool_destroy(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_chunked_errors),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
