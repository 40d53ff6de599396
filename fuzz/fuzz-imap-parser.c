/*
 * The IMAP command parser on arbitrary bytes, fed in chunks whose size the
 * input chooses, with literals buffered, streamed or refused; every
 * complete line then goes through the parsers that work on arguments:
 * search keys, sequence sets, FETCH sections, dates, modified UTF-7.
 */
#include "buffer.h"
#include "imap-date.h"
#include "imap-match.h"
#include "imap-parser.h"
#include "imap-search-args.h"
#include "imap-section.h"
#include "imap-seqset.h"
#include "imap-utf7.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct imap_parser_settings fuzz_set = {
	.max_line = 4096,
	.max_literal = 65536,
	.max_buffered = 8192,
	.max_depth = 8,
	.max_args = 256,
};

static void fuzz_args(struct pool *pool, const struct imap_arg *args)
{
	struct imap_search_context ctx = { .seq_star = 10, .uid_star = 100,
					   .seq_star_valid = true };
	struct imap_search_key *root;
	const char *error;

	for (const struct imap_arg *a = args; a->type != IMAP_ARG_EOL; a++) {
		struct imap_seqset set;
		struct imap_section sect;
		struct buffer buf;
		time_t t;
		int tz;
		const char *str, *open;

		if (a->type == IMAP_ARG_LIST) {
			fuzz_args(pool, a->u.list);
			continue;
		}
		if (!imap_arg_get_astring(a, &str))
			continue;
		if (imap_seqset_parse(pool, str, 50, &set, &error) == 0) {
			if (!imap_seqset_contains(&set, imap_seqset_max(&set)))
				__builtin_trap();
		}
		open = strchr(str, '[');
		if (open != NULL && strrchr(open, ']') != NULL) {
			char *spec = p_strndup(pool, open + 1,
					       (size_t)(strrchr(open, ']') - open - 1));

			(void)imap_section_parse(pool, spec, &sect, &error);
		}
		(void)imap_date_parse_datetime(str, &t, &tz);
		(void)imap_date_parse_date(str, &t);
		buffer_init_pool(&buf, pool, 0);
		if (imap_utf7_to_utf8(str, &buf) == 0 && buf.data != NULL) {
			struct buffer back;

			/* valid modified UTF-7 decodes to UTF-8 that encodes back */
			buffer_init_pool(&back, pool, 0);
			if (imap_utf8_to_utf7(buf.data, &back) < 0)
				__builtin_trap();
		}
		(void)imap_match(str, "INBOX/a/b", '/');
	}
	(void)imap_search_args_parse(pool, args, &ctx, &root, &error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool, *args_pool;
	struct imap_parser *parser;
	size_t chunk, off = 0, avail = 0;
	unsigned int policy;

	if (size < 2 || size > 65536)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	policy = data[1];
	data += 2;
	size -= 2;
	pool = pool_create(4096);
	args_pool = pool_create(4096);
	parser = imap_parser_create(pool, &fuzz_set);
	imap_parser_reset(parser, args_pool);
	/* data[off, avail) is what has "arrived" and is not consumed */
	while (off < size) {
		size_t consumed;
		enum imap_parse_result ret;

		if (avail < size)
			avail = avail + chunk > size ? size : avail + chunk;
		for (;;) {
			ret = imap_parser_parse(parser, data + off, avail - off, &consumed);
			if (consumed > avail - off)
				__builtin_trap();
			if (ret == IMAP_PARSE_LITERAL_DATA) {
				const unsigned char *chunk_data;
				size_t chunk_len;

				imap_parser_literal_data(parser, &chunk_data, &chunk_len);
				if (chunk_data != data + off || chunk_len != consumed ||
				    chunk_len == 0)
					__builtin_trap();
			}
			off += consumed;
			if (ret == IMAP_PARSE_NEED_MORE)
				break;
			if (ret == IMAP_PARSE_LINE) {
				unsigned int count;
				const struct imap_arg *args = imap_parser_args(parser, &count);

				if (args[count].type != IMAP_ARG_EOL)
					__builtin_trap();
				fuzz_args(args_pool, args);
				pool_clear(args_pool);
				imap_parser_reset(parser, args_pool);
			} else if (ret == IMAP_PARSE_ERROR) {
				if (imap_parser_is_fatal(parser))
					goto out;
				pool_clear(args_pool);
				imap_parser_reset(parser, args_pool);
			} else if (ret == IMAP_PARSE_LITERAL) {
				switch (policy++ % 3) {
				case 0:
					if (imap_parser_literal_buffer(parser) == 0)
						break;
					/* fall through */
				case 1:
					imap_parser_literal_reject(parser);
					pool_clear(args_pool);
					imap_parser_reset(parser, args_pool);
					break;
				default:
					imap_parser_literal_stream(parser);
					break;
				}
			}
		}
		if (avail == size && off < size)
			break;
	}
out:
	pool_destroy(&args_pool);
	pool_destroy(&pool);
	return 0;
}
