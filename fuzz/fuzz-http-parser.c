/*
 * The HTTP/1.1 request reader on arbitrary bytes: pipelined requests fed
 * whole and then in chunks whose size the input chooses must give the
 * same events, and every event must keep the parser's promises (what was
 * consumed, where body data points, how much body a request may have).
 *
 * Input: byte 0 picks the chunk size, byte 1 the body limit for targets
 * under /dav/ (as the web access sets one per target); the rest is what a
 * client sent.
 */
#include "buffer.h"
#include "http-parser.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct http_parser_settings fuzz_set = {
	.max_request_line = 1024,
	.max_head_size = 4096,
	.max_fields = 32,
	.max_body_size = 65536,
};

static void check_head(const struct http_request_head *head)
{
	if (head == NULL || head->method[0] == '\0' || head->target[0] == '\0' ||
	    head->field_count > fuzz_set.max_fields || head->version_minor > 1)
		__builtin_trap();
	for (const char *p = head->method; *p != '\0'; p++) {
		if (!http_char_is_token((unsigned char)*p))
			__builtin_trap();
	}
	if (strpbrk(head->target, " \t\r\n") != NULL)
		__builtin_trap();
	for (unsigned int i = 0; i < head->field_count; i++) {
		const char *value = head->fields[i].value;
		size_t len = strlen(value);

		if (head->fields[i].name[0] == '\0' || strpbrk(value, "\r\n") != NULL ||
		    (len > 0 && (value[0] == ' ' || value[len - 1] == ' ')))
			__builtin_trap();
	}
	if (head->framing == HTTP_BODY_LENGTH &&
	    head->content_length > fuzz_set.max_body_size)
		__builtin_trap();
	(void)http_request_field(head, "Host");
	(void)http_request_field_has_token(head, "Connection", "upgrade");
}

/* Feed data in chunks of chunk bytes; a transcript of the events goes to
   out. */
static void run(const uint8_t *data, size_t size, size_t chunk, uint64_t dav_limit,
		struct buffer *out)
{
	struct pool *pool = pool_create(1024), *head_pool = pool_create(4096);
	struct http_parser *parser = http_parser_create(pool, &fuzz_set);
	size_t off = 0, avail = 0;
	uint64_t limit = fuzz_set.max_body_size;

	http_parser_reset(parser, head_pool);
	/* data[off, avail) has "arrived" and is not consumed */
	while (avail < size) {
		avail = avail + chunk > size ? size : avail + chunk;
		for (;;) {
			const struct http_request_head *head;
			const unsigned char *body;
			size_t consumed, len;
			const char *reason;
			enum http_parse_result ret =
				http_parser_parse(parser, data + off, avail - off, &consumed);

			if (consumed > avail - off)
				__builtin_trap();
			switch (ret) {
			case HTTP_PARSE_NEED_MORE:
				if (consumed != avail - off)
					__builtin_trap();
				break;
			case HTTP_PARSE_HEAD:
				head = http_parser_head(parser);
				check_head(head);
				buffer_printf(out, "H%s %s %u %d %llu %d %d\n", head->method,
					      head->target, head->field_count, head->framing,
					      (unsigned long long)head->content_length,
					      head->keep_alive, head->expect_continue);
				limit = fuzz_set.max_body_size;
				if (strncmp(head->target, "/dav/", 5) == 0) {
					limit = dav_limit;
					if (http_parser_set_max_body(parser, dav_limit) < 0) {
						if (http_parser_error(parser, &reason) != 413)
							__builtin_trap();
						buffer_append_str(out, "E413\n");
						goto out;
					}
				}
				break;
			case HTTP_PARSE_BODY_DATA:
				http_parser_body_data(parser, &body, &len);
				/* decoded bytes end where the consumed ones do */
				if (len == 0 || body + len != data + off + consumed ||
				    body < data + off)
					__builtin_trap();
				if (http_parser_body_size(parser) > limit)
					__builtin_trap();
				buffer_append(out, body, len);
				break;
			case HTTP_PARSE_END:
				head = http_parser_head(parser);
				if (head == NULL ||
				    (head->framing == HTTP_BODY_LENGTH &&
				     http_parser_body_size(parser) != head->content_length) ||
				    (head->framing == HTTP_BODY_NONE &&
				     http_parser_body_size(parser) != 0))
					__builtin_trap();
				buffer_append_str(out, "\nEND\n");
				pool_clear(head_pool);
				http_parser_reset(parser, head_pool);
				break;
			case HTTP_PARSE_ERROR:
				buffer_printf(out, "\nE%d\n", http_parser_error(parser, &reason));
				if (reason == NULL || reason[0] == '\0')
					__builtin_trap();
				goto out;
			}
			off += consumed;
			if (ret == HTTP_PARSE_NEED_MORE)
				break;
		}
	}
	buffer_printf(out, "S%d\n", http_parser_started(parser));
out:
	pool_destroy(&head_pool);
	pool_destroy(&pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer whole, split;
	size_t chunk;
	uint64_t dav_limit;

	if (size < 2 || size > 262144)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	dav_limit = (uint64_t)data[1] * 16;
	data += 2;
	size -= 2;
	buffer_init(&whole, 0);
	buffer_init(&split, 0);
	run(data, size, size > 0 ? size : 1, dav_limit, &whole);
	run(data, size, chunk, dav_limit, &split);
	/* where the input was split must not change anything */
	if (whole.used != split.used ||
	    (whole.used > 0 && memcmp(whole.data, split.data, whole.used) != 0))
		__builtin_trap();
	buffer_free(&whole);
	buffer_free(&split);
	return 0;
}
