/* MIME ingestion: the summary computed for every delivered message, the
   part map it produces, its ENVELOPE and BODYSTRUCTURE as IMAP writes them,
   and the leaf walk of the web access. */
#include "imap-bodystructure.h"
#include "mime.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void leaf_cb(void *context, const struct mime_leaf *leaf)
{
	size_t *total = context;

	*total += leaf->size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	struct pool *pool;
	struct mime_summary sum;
	struct mime_part_pos *parts;
	unsigned int count;
	size_t total = 0;

	if (!initialised) {
		mime_init();
		initialised = 1;
	}
	if (size > 1024 * 1024)
		return 0;
	pool = pool_create(4096);
	mime_summarize(pool, data, size, &sum);
	/* the part map must parse and stay inside the message */
	if (mime_parts_parse(pool, sum.parts, &parts, &count) < 0)
		__builtin_trap();
	for (unsigned int i = 0; i < count; i++) {
		if (parts[i].body_end > size)
			__builtin_trap();
	}
	if (sum.vsize < sum.size || sum.header_size > size)
		__builtin_trap();
	/* a BODYSTRUCTURE always opens with a part: "(" */
	if (imap_body_string(pool, sum.body, true)[0] != '(' ||
	    imap_body_string(pool, sum.body, false)[0] != '(' ||
	    imap_envelope_string(pool, sum.envelope)[0] != '(')
		__builtin_trap();
	mime_foreach_leaf(pool, data, size, leaf_cb, &total);
	pool_destroy(&pool);
	return 0;
}
