/*
 * A message's content as an entity of its own (see mime-entity.h).
 *
 * GMime says what the parts are; their bytes come from the raw message
 * along the delimiter lines (mime-region.c), as for the part map. Leaving
 * a part out is cutting one byte range: RFC 2046 5.1.1 gives the line
 * break before a delimiter line to the delimiter, so the first part of a
 * multipart goes from its delimiter line to its end, and any later one
 * from the end of the part before it to its own end. What is left is the
 * same multipart with one delimiter and one part fewer, and every byte
 * of the others where it was.
 */
#include "mime-entity.h"
#include "mime-private.h"
#include "mime-region.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

struct mime_cut {
	size_t start, end;
};

struct mime_entity_ctx {
	struct pool *pool;
	const unsigned char *data;
	mime_entity_drop_fn *drop;
	void *context;
	struct mime_cut *cuts;
	unsigned int cut_count, cut_alloc;
	unsigned int entities;
};

static void mime_entity_cut(struct mime_entity_ctx *ctx, size_t start,
			    size_t end)
{
	ctx->cuts = p_grow(ctx->pool, ctx->cuts, sizeof(*ctx->cuts),
			   ctx->cut_count, &ctx->cut_alloc, 8);
	ctx->cuts[ctx->cut_count].start = start;
	ctx->cuts[ctx->cut_count].end = end;
	ctx->cut_count++;
}

/* The start of the line before the one at pos, not before floor: the
   delimiter line of a part whose header starts at pos. */
static size_t mime_entity_line_before(const unsigned char *data, size_t floor,
				      size_t pos)
{
	if (pos > floor && data[pos - 1] == '\n')
		pos--;
	if (pos > floor && data[pos - 1] == '\r')
		pos--;
	while (pos > floor && data[pos - 1] != '\n')
		pos--;
	return pos;
}

/* Walk an entity whose body is [bstart, end); true if all of it goes.
   Cuts inside it are added in byte order. */
static bool mime_entity_walk(struct mime_entity_ctx *ctx, GMimeObject *obj,
			     size_t bstart, size_t end, unsigned int depth)
{
	GMimeMultipart *mp;
	struct mime_region *children;
	const char *boundary;
	unsigned int found, kept = 0, mark;
	int n;

	if (++ctx->entities > MIME_MAX_PARTS || depth > MIME_MAX_DEPTH)
		return false;
	if (GMIME_IS_PART(obj)) {
		struct mime_leaf leaf;

		if (ctx->drop == NULL)
			return false;
		mime_leaf_describe(ctx->pool, obj, "", &leaf);
		return ctx->drop(ctx->context, &leaf);
	}
	/* message/rfc822 is kept whole; so are signed and encrypted
	   multiparts, whose signature covers every byte (RFC 1847) */
	if (!GMIME_IS_MULTIPART(obj) || GMIME_IS_MULTIPART_SIGNED(obj) ||
	    GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return false;

	mp = GMIME_MULTIPART(obj);
	boundary = g_mime_multipart_get_boundary(mp);
	n = g_mime_multipart_get_count(mp);
	if (boundary == NULL || n <= 0 || n > MIME_MAX_PARTS)
		return false;
	children = p_new(ctx->pool, struct mime_region, (size_t) n);
	found = mime_region_split(ctx->data, bstart, end, boundary, children,
				  (unsigned int) n);
	if (found != (unsigned int) n)
		return false; /* the bytes and GMime disagree: touch nothing */

	mark = ctx->cut_count;
	for (unsigned int i = 0; i < found; i++) {
		size_t chs = children[i].header_start, cend = children[i].end;
		size_t cbs = mime_region_body_start(ctx->data, chs, cend);

		if (!mime_entity_walk(ctx,
				      g_mime_multipart_get_part(mp, (int) i),
				      cbs, cend, depth + 1)) {
			kept++;
			continue;
		}
		if (i == 0)
			mime_entity_cut(
				ctx,
				mime_entity_line_before(ctx->data, bstart, chs),
				cend);
		else
			mime_entity_cut(ctx, children[i - 1].end, cend);
	}
	if (kept > 0)
		return false;
	/* nothing left: the multipart goes, and the cuts inside it with it */
	ctx->cut_count = mark;
	return true;
}

/* The message's Content-* header fields from its header block
   [0, header_end), each as written (continuation lines and all). */
static void mime_entity_content_fields(struct buffer *out,
				       const unsigned char *data,
				       size_t header_end)
{
	size_t pos = 0;
	bool copying = false;

	while (pos < header_end) {
		const unsigned char *nl =
			memchr(data + pos, '\n', header_end - pos);
		size_t next =
			nl != NULL ? (size_t) (nl - data) + 1 : header_end;

		if (data[pos] != ' ' && data[pos] != '\t')
			copying = next - pos > 8 &&
				  mem_iequal(data + pos, "Content-", 8) &&
				  memchr(data + pos, ':', next - pos) != NULL;
		if (copying)
			buffer_append(out, data + pos, next - pos);
		pos = next;
	}
}

int mime_entity_extract(struct pool *pool, const unsigned char *data,
			size_t size, mime_entity_drop_fn *drop, void *context,
			const unsigned char **data_r, size_t *size_r)
{
	struct mime_entity_ctx ctx = {
		.pool = pool,
		.data = data,
		.drop = drop,
		.context = context,
	};
	GMimeMessage *msg = mime_parse_message(data, size);
	GMimeObject *top =
		msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	size_t bstart = mime_region_body_start(data, 0, size);
	size_t blank = mime_entity_line_before(data, 0, bstart);
	size_t pos = bstart, body_size, used;
	struct buffer head;
	unsigned char *out;
	bool gone;

	gone = top != NULL && mime_entity_walk(&ctx, top, bstart, size, 0);
	if (msg != NULL)
		g_object_unref(msg);
	if (gone)
		return 0;

	/* the header block ends with an empty line, unless the message is
	   all header (then the entity gets one) */
	if (blank < bstart && data[blank] != '\r' && data[blank] != '\n')
		blank = bstart;
	buffer_init_pool(&head, pool, 0);
	mime_entity_content_fields(&head, data, blank);
	if (head.used > 0 && head.data[head.used - 1] != '\n')
		buffer_append_str(&head, "\n");
	if (blank < bstart)
		buffer_append(&head, data + blank, bstart - blank);
	else
		buffer_append_str(&head, "\n");

	/* one allocation: the body may be most of a big message */
	body_size = size - bstart;
	for (unsigned int i = 0; i < ctx.cut_count; i++)
		body_size -= ctx.cuts[i].end - ctx.cuts[i].start;
	out = p_malloc(pool, head.used + body_size + 1);
	memcpy(out, head.data, head.used);
	used = head.used;
	for (unsigned int i = 0; i < ctx.cut_count; i++) {
		memcpy(out + used, data + pos, ctx.cuts[i].start - pos);
		used += ctx.cuts[i].start - pos;
		pos = ctx.cuts[i].end;
	}
	memcpy(out + used, data + pos, size - pos);
	used += size - pos;
	*data_r = out;
	*size_r = used;
	return 1;
}
