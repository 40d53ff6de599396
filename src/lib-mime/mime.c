/*
 * Message summaries with GMime: ENVELOPE, BODYSTRUCTURE, the part map and
 * the searchable text, computed once when a message is stored.
 *
 * GMime builds the tree of entities and decodes headers, parameters,
 * addresses, transfer encodings and charsets. The byte positions of the
 * entities (which IMAP needs and GMime does not expose) come from
 * mime-region.c, walking the raw bytes along the tree GMime built.
 */
#include "mime-private.h"
#include "mime-limit.h"
#include "mime-region.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <stdio.h>
#include <string.h>

struct mime_ctx {
	struct pool *pool;
	const unsigned char *data;
	size_t size;
	struct buffer text;
	struct buffer parts;
	unsigned int part_count;
};

void mime_init(void)
{
	g_mime_init();
}

void mime_deinit(void)
{
	g_mime_shutdown();
}

GMimeMessage *mime_parse_message(const unsigned char *data, size_t size)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
		(const char *)data, mime_limit_size(data, size));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg;

	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	return msg;
}

/* Unfold a raw header value and trim it; NULL stays NULL. */
static char *mime_unfold(struct pool *pool, const char *raw)
{
	char *out, *w;

	if (raw == NULL)
		return NULL;
	out = w = p_malloc(pool, strlen(raw) + 1);
	for (const char *p = raw; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		*w++ = *p;
	}
	*w = '\0';
	return str_trim(out);
}

static const char *mime_raw_header(struct pool *pool, GMimeObject *obj,
				   const char *name)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(obj);
	GMimeHeader *header;

	if (headers == NULL)
		return NULL;
	header = g_mime_header_list_get_header(headers, name);
	if (header == NULL)
		return NULL;
	return mime_unfold(pool, g_mime_header_get_raw_value(header));
}

/* --- ENVELOPE (RFC 9051 7.5.2) --- */

/*
 * GMime gives display names decoded. IMAP clients expect the name as
 * written (RFC 2047 words still encoded), so find the run of encoded-words
 * in the raw header that decodes to this name and use it; if there is
 * none (the name was 8-bit in the raw header), encode the name ourselves.
 */
static const char *mime_raw_phrase(struct mime_ctx *ctx, const char *raw,
				   const char *decoded)
{
	const char *p = raw;

	if (raw == NULL)
		return mime_encode_phrase(ctx->pool, decoded);
	while ((p = strstr(p, "=?")) != NULL) {
		const char *end = p, *q;

		/* extend over encoded-words separated by whitespace */
		for (;;) {
			const char *close;

			if (strncmp(end, "=?", 2) != 0)
				break;
			/* =?charset?e?text?= has three more '?' */
			close = strchr(end + 2, '?');
			if (close == NULL || (close = strchr(close + 1, '?')) == NULL ||
			    (close = strstr(close + 1, "?=")) == NULL)
				break;
			end = close + 2;
			q = end;
			while (*q == ' ' || *q == '\t')
				q++;
			if (strncmp(q, "=?", 2) != 0)
				break;
			end = q;
		}
		if (end > p) {
			char *run = p_strndup(ctx->pool, p, (size_t)(end - p));
			char *dec = g_mime_utils_header_decode_phrase(NULL, str_trim(run));
			bool same = dec != NULL && strcmp(dec, decoded) == 0;

			g_free(dec);
			if (same)
				return run;
			p = end;
		} else {
			p += 2;
		}
	}
	return mime_encode_phrase(ctx->pool, decoded);
}

/* The source route of addr in a raw address header ("<@a,@b:addr>"), which
   GMime drops; RFC 9051 7.5.2 gives it as the address's adl. NULL if
   addr has none. */
static const char *mime_raw_route(struct pool *pool, const char *raw,
				  const char *addr)
{
	size_t alen = strlen(addr);

	for (const char *p = strchr(raw, '<'); p != NULL; p = strchr(p + 1, '<')) {
		const char *route = p + 1, *colon, *end, *a, *e;

		while (*route == ' ' || *route == '\t')
			route++;
		if (*route != '@')
			continue;
		colon = strpbrk(route, ":>");
		if (colon == NULL || *colon != ':' ||
		    (end = strchr(colon, '>')) == NULL)
			continue;
		for (a = colon + 1; *a == ' ' || *a == '\t'; a++)
			;
		for (e = end; e > a && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if ((size_t)(e - a) == alen && mem_iequal(a, addr, alen)) {
			for (e = colon; e > route && (e[-1] == ' ' || e[-1] == '\t'); e--)
				;
			return p_strndup(pool, route, (size_t)(e - route));
		}
	}
	return NULL;
}

/* The addresses of one header as ENVELOPE lists them: a group as a start
   entry, its members and an end entry (RFC 9051 7.5.2). */
struct mime_address_build {
	struct mime_address *addrs;
	unsigned int count, alloc;
};

static void mime_address_add(struct mime_ctx *ctx, struct mime_address_build *b,
			     InternetAddress *ia, const char *raw)
{
	struct mime_address *out;

	if (!INTERNET_ADDRESS_IS_GROUP(ia) && !INTERNET_ADDRESS_IS_MAILBOX(ia))
		return;
	b->addrs = p_grow(ctx->pool, b->addrs, sizeof(*b->addrs), b->count,
			  &b->alloc, 4);
	out = &b->addrs[b->count++];
	memset(out, 0, sizeof(*out));
	if (INTERNET_ADDRESS_IS_GROUP(ia)) {
		InternetAddressList *members =
			internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia));
		const char *name = internet_address_get_name(ia);

		out->kind = MIME_ADDRESS_GROUP_START;
		/* copies: the names are GMime's, freed with the list */
		out->name = p_strdup(ctx->pool, mime_raw_phrase(ctx, raw, name != NULL ? name : ""));
		for (int i = 0; members != NULL && i < internet_address_list_length(members); i++)
			mime_address_add(ctx, b, internet_address_list_get_address(members, i), raw);
		b->addrs = p_grow(ctx->pool, b->addrs, sizeof(*b->addrs), b->count,
				  &b->alloc, 4);
		memset(&b->addrs[b->count], 0, sizeof(b->addrs[b->count]));
		b->addrs[b->count++].kind = MIME_ADDRESS_GROUP_END;
	} else {
		const char *name = internet_address_get_name(ia);
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

		out->kind = MIME_ADDRESS_MAILBOX;
		if (name != NULL && *name != '\0')
			out->name = p_strdup(ctx->pool, mime_raw_phrase(ctx, raw, name));
		if (addr != NULL && raw != NULL)
			out->route = mime_raw_route(ctx->pool, raw, addr);
		if (at != NULL) {
			out->local = p_strndup(ctx->pool, addr, (size_t)(at - addr));
			out->domain = p_strdup(ctx->pool, at + 1);
		} else if (addr != NULL && *addr != '\0') {
			out->local = p_strdup(ctx->pool, addr);
		}
	}
}

static struct mime_address_list mime_address_list(struct mime_ctx *ctx,
						  const char *raw)
{
	struct mime_address_build b = { NULL, 0, 0 };
	InternetAddressList *list;

	if (raw == NULL || *raw == '\0')
		return (struct mime_address_list){ NULL, 0 };
	list = internet_address_list_parse(NULL, raw);
	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++)
		mime_address_add(ctx, &b, internet_address_list_get_address(list, i), raw);
	if (list != NULL)
		g_object_unref(list);
	return (struct mime_address_list){ b.addrs, b.count };
}

static const struct mime_envelope *mime_envelope(struct mime_ctx *ctx,
						 GMimeObject *msg)
{
	struct pool *pool = ctx->pool;
	struct mime_envelope *env = p_new(pool, struct mime_envelope, 1);
	const char *sender = mime_raw_header(pool, msg, "Sender");
	const char *reply_to = mime_raw_header(pool, msg, "Reply-To");

	env->date = mime_raw_header(pool, msg, "Date");
	env->subject = mime_raw_header(pool, msg, "Subject");
	env->from = mime_address_list(ctx, mime_raw_header(pool, msg, "From"));
	/* RFC 9051 7.5.2: sender and reply-to default to from */
	env->sender = sender != NULL && *sender != '\0' ?
		mime_address_list(ctx, sender) : env->from;
	env->reply_to = reply_to != NULL && *reply_to != '\0' ?
		mime_address_list(ctx, reply_to) : env->from;
	env->to = mime_address_list(ctx, mime_raw_header(pool, msg, "To"));
	env->cc = mime_address_list(ctx, mime_raw_header(pool, msg, "Cc"));
	env->bcc = mime_address_list(ctx, mime_raw_header(pool, msg, "Bcc"));
	env->in_reply_to = mime_raw_header(pool, msg, "In-Reply-To");
	env->message_id = mime_raw_header(pool, msg, "Message-ID");
	return env;
}

/* --- the body structure (RFC 9051 7.5.2) --- */

/* A parameter list; a text part without any gets charset=us-ascii, as
   RFC 2045 5.2 defaults it. */
static struct mime_params mime_params(struct mime_ctx *ctx, GMimeParamList *params,
				      const char *default_charset)
{
	int n = params != NULL ? g_mime_param_list_length(params) : 0;
	struct mime_param *out;

	if (n == 0 && default_charset == NULL)
		return (struct mime_params){ NULL, 0 };
	if (n == 0) {
		out = p_new(ctx->pool, struct mime_param, 1);
		out->name = "charset";
		out->value = default_charset;
		return (struct mime_params){ out, 1 };
	}
	out = p_new(ctx->pool, struct mime_param, (size_t)n);
	for (int i = 0; i < n; i++) {
		GMimeParam *param = g_mime_param_list_get_parameter_at(params, i);

		out[i].name = p_strdup(ctx->pool, g_mime_param_get_name(param));
		out[i].value = p_strdup(ctx->pool, g_mime_param_get_value(param));
	}
	return (struct mime_params){ out, (unsigned int)n };
}

/* disposition, language, location: the extension data all entities share */
static void mime_ext_common(struct mime_ctx *ctx, GMimeObject *obj,
			    struct mime_body *body)
{
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);

	if (disp != NULL && g_mime_content_disposition_get_disposition(disp) != NULL) {
		body->disposition = p_strdup(ctx->pool,
			g_mime_content_disposition_get_disposition(disp));
		body->disposition_params = mime_params(ctx,
			g_mime_content_disposition_get_parameters(disp), NULL);
	}
	body->language = mime_raw_header(ctx->pool, obj, "Content-Language");
	body->location = mime_raw_header(ctx->pool, obj, "Content-Location");
}

/* A text/plain part in us-ascii: what a message or multipart with no
   part GMime could see is shown as (RFC 9051 requires one). */
static struct mime_body *mime_plain_body(struct pool *pool, uint64_t size,
					 uint64_t lines)
{
	static const struct mime_param charset = { "charset", "us-ascii" };
	struct mime_body *body = p_new(pool, struct mime_body, 1);

	body->type = "text";
	body->subtype = "plain";
	body->params = (struct mime_params){ &charset, 1 };
	body->encoding = "7bit";
	body->size = size;
	body->lines = lines;
	body->has_lines = true;
	return body;
}

static void mime_part_map_add(struct mime_ctx *ctx, unsigned int depth, char kind,
			      size_t hs, size_t bs, size_t end)
{
	buffer_printf(&ctx->parts, "%u %c %zu %zu %zu\n", depth, kind, hs, bs, end);
	ctx->part_count++;
}

static void mime_text_append(struct mime_ctx *ctx, const char *text, size_t len)
{
	size_t room = MIME_TEXT_MAX - ctx->text.used;

	if (room == 0)
		return;
	if (len > room)
		len = room;
	buffer_append(&ctx->text, text, len);
	buffer_append_c(&ctx->text, '\n');
}

static void mime_index_text(struct mime_ctx *ctx, GMimeObject *obj)
{
	char *text;

	if (!GMIME_IS_TEXT_PART(obj) || ctx->text.used >= MIME_TEXT_MAX)
		return;
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	if (text != NULL) {
		mime_text_append(ctx, text, strlen(text));
		g_free(text);
	}
}

static const struct mime_body *
mime_build_part(struct mime_ctx *ctx, GMimeObject *obj, size_t hs,
		size_t bstart, size_t end, unsigned int depth);

static const struct mime_body *
mime_build_message(struct mime_ctx *ctx, GMimeMessage *msg, size_t hs,
		   size_t end, unsigned int depth)
{
	size_t bstart = mime_region_body_start(ctx->data, hs, end);
	GMimeObject *mime_part = g_mime_message_get_mime_part(msg);

	mime_part_map_add(ctx, depth, 'e', hs, bstart, end);
	if (mime_part == NULL) {
		/* no body GMime could see: an empty text/plain */
		uint64_t vsize, lines;

		mime_region_measure(ctx->data, bstart, end, &vsize, &lines);
		mime_part_map_add(ctx, depth + 1, 'l', hs, bstart, end);
		return mime_plain_body(ctx->pool, vsize, lines);
	}
	return mime_build_part(ctx, mime_part, hs, bstart, end, depth + 1);
}

static const struct mime_body *
mime_build_multipart(struct mime_ctx *ctx, GMimeObject *obj,
		     struct mime_body *body, size_t hs, size_t bstart,
		     size_t end, unsigned int depth)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	const char *boundary = g_mime_multipart_get_boundary(mp);
	int n = g_mime_multipart_get_count(mp);
	const struct mime_body **children;
	struct mime_region *regions;
	unsigned int found = 0;

	if (n > MIME_MAX_PARTS)
		n = MIME_MAX_PARTS;
	regions = p_new(ctx->pool, struct mime_region, n > 0 ? (size_t)n : 1);
	children = p_new(ctx->pool, const struct mime_body *, n > 0 ? (size_t)n : 1);
	mime_part_map_add(ctx, depth, 'm', hs, bstart, end);
	if (boundary != NULL && n > 0)
		found = mime_region_split(ctx->data, bstart, end, boundary,
					  regions, (unsigned int)n);
	if (n == 0) {
		children[0] = mime_plain_body(ctx->pool, 0, 0);
		mime_part_map_add(ctx, depth + 1, 'l', end, end, end);
	}
	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);
		size_t chs = end, cend = end;

		if ((unsigned int)i < found) {
			chs = regions[i].header_start;
			cend = regions[i].end;
		}
		children[i] = mime_build_part(ctx, child, chs,
					      mime_region_body_start(ctx->data, chs, cend),
					      cend, depth + 1);
	}
	body->multipart = true;
	body->children = children;
	body->child_count = n > 0 ? (unsigned int)n : 1;
	body->params = mime_params(ctx, g_mime_content_type_get_parameters(
		g_mime_object_get_content_type(obj)), NULL);
	mime_ext_common(ctx, obj, body);
	return body;
}

static const struct mime_body *
mime_build_part(struct mime_ctx *ctx, GMimeObject *obj, size_t hs,
		size_t bstart, size_t end, unsigned int depth)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *type = ct != NULL ? g_mime_content_type_get_media_type(ct) : "text";
	const char *subtype = ct != NULL ? g_mime_content_type_get_media_subtype(ct) : "plain";
	struct mime_body *body = p_new(ctx->pool, struct mime_body, 1);
	const char *default_charset = NULL;
	uint64_t vsize, lines;

	body->type = p_strdup(ctx->pool, type == NULL || *type == '\0' ? "text" : type);
	body->subtype = p_strdup(ctx->pool, subtype == NULL || *subtype == '\0' ?
				 "plain" : subtype);
	if (GMIME_IS_MULTIPART(obj) && depth < MIME_MAX_DEPTH &&
	    ctx->part_count < MIME_MAX_PARTS)
		return mime_build_multipart(ctx, obj, body, hs, bstart, end, depth);

	body->encoding = mime_raw_header(ctx->pool, obj, "Content-Transfer-Encoding");
	if (body->encoding == NULL || *body->encoding == '\0')
		body->encoding = "7bit";
	mime_region_measure(ctx->data, bstart, end, &vsize, &lines);
	body->size = vsize;
	if ((ct == NULL || g_mime_content_type_get_parameters(ct) == NULL ||
	     g_mime_param_list_length(g_mime_content_type_get_parameters(ct)) == 0) &&
	    str_iequal(body->type, "text"))
		default_charset = "us-ascii";
	body->params = mime_params(ctx, ct != NULL ?
				   g_mime_content_type_get_parameters(ct) : NULL,
				   default_charset);
	body->id = mime_raw_header(ctx->pool, obj, "Content-ID");
	body->description = mime_raw_header(ctx->pool, obj, "Content-Description");

	if (GMIME_IS_MESSAGE_PART(obj) && depth < MIME_MAX_DEPTH &&
	    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj)) != NULL &&
	    (str_iequal(body->encoding, "7bit") || str_iequal(body->encoding, "8bit") ||
	     str_iequal(body->encoding, "binary"))) {
		GMimeMessage *emb = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		mime_part_map_add(ctx, depth, 'r', hs, bstart, end);
		body->envelope = mime_envelope(ctx, GMIME_OBJECT(emb));
		body->message = mime_build_message(ctx, emb, bstart, end, depth + 1);
		body->lines = lines;
		body->has_lines = true;
	} else {
		mime_part_map_add(ctx, depth, 'l', hs, bstart, end);
		if (str_iequal(body->type, "text")) {
			body->lines = lines;
			body->has_lines = true;
			mime_index_text(ctx, obj);
		}
	}
	body->md5 = mime_raw_header(ctx->pool, obj, "Content-MD5");
	mime_ext_common(ctx, obj, body);
	return body;
}

static bool mime_is_address_header(const char *name)
{
	static const char *const names[] = {
		"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (str_iequal(name, names[i]))
			return true;
	}
	return false;
}

/* The header block as "Name: value" lines for SEARCH HEADER and the
   address keys. An address field whose written form differs from the
   plain one (comments, odd spacing, encoded names) gets a second line
   with "Name <local@domain>, ...", so that SEARCH FROM user@domain finds
   "<user (comment)@ domain>" as RFC 9051 6.4.4's envelope matching
   would. */
static const char *mime_headers_text(struct pool *pool, GMimeObject *msg)
{
	GMimeHeaderList *headers = g_mime_object_get_header_list(msg);
	struct buffer buf;
	int n = headers != NULL ? g_mime_header_list_get_count(headers) : 0;

	buffer_init_pool(&buf, pool, 256 * 1024);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(headers, i);
		const char *name = g_mime_header_get_name(h);
		const char *value = g_mime_header_get_value(h);

		if (value == NULL)
			value = "";
		if (buffer_printf(&buf, "%s: %s\n", name, value) < 0)
			break;
		if (*value != '\0' && mime_is_address_header(name)) {
			InternetAddressList *list = internet_address_list_parse(NULL, value);
			char *plain = list != NULL ?
				internet_address_list_to_string(list, NULL, FALSE) : NULL;
			int ret = 0;

			if (plain != NULL && *plain != '\0' && strcmp(plain, value) != 0)
				ret = buffer_printf(&buf, "%s: %s\n", name, plain);
			g_free(plain);
			if (list != NULL)
				g_object_unref(list);
			if (ret < 0)
				break;
		}
	}
	return buf.data != NULL ? buf.data : "";
}

void mime_summarize(struct pool *pool, const unsigned char *data, size_t size,
		    struct mime_summary *sum_r)
{
	struct mime_ctx ctx;
	GMimeMessage *msg;
	GDateTime *date;
	uint64_t vsize, lines;
	size_t body_start;

	memset(sum_r, 0, sizeof(*sum_r));
	memset(&ctx, 0, sizeof(ctx));
	ctx.pool = pool;
	ctx.data = data;
	ctx.size = size;
	buffer_init_pool(&ctx.text, pool, 0);
	buffer_init_pool(&ctx.parts, pool, 0);

	mime_region_measure(data, 0, size, &vsize, &lines);
	sum_r->size = size;
	sum_r->vsize = vsize;
	sum_r->crlf = vsize == size;
	body_start = mime_region_body_start(data, 0, size);
	sum_r->header_size = (uint32_t)body_start;

	msg = mime_parse_message(data, size);
	if (msg == NULL) {
		/* GMime gives up only on empty input; keep it a plain part */
		buffer_printf(&ctx.parts, "0 e 0 %zu %zu\n1 l 0 %zu %zu\n",
			      body_start, size, body_start, size);
		sum_r->envelope = p_new(pool, struct mime_envelope, 1);
		sum_r->body = mime_plain_body(pool, vsize, lines);
		sum_r->parts = ctx.parts.data;
		sum_r->headers = "";
		sum_r->text = "";
		return;
	}
	sum_r->envelope = mime_envelope(&ctx, GMIME_OBJECT(msg));
	sum_r->body = mime_build_message(&ctx, msg, 0, size, 0);
	sum_r->parts = ctx.parts.data;
	sum_r->text = ctx.text.data != NULL ? ctx.text.data : "";
	sum_r->headers = mime_headers_text(pool, GMIME_OBJECT(msg));
	if (g_mime_message_get_message_id(msg) != NULL)
		sum_r->message_id = p_strdup(pool, g_mime_message_get_message_id(msg));
	sum_r->sent_date = mime_raw_header(pool, GMIME_OBJECT(msg), "Date");
	date = g_mime_message_get_date(msg);
	if (date != NULL)
		sum_r->sent_time = (time_t)g_date_time_to_unix(date);
	if (g_mime_message_get_subject(msg) != NULL)
		sum_r->subject = p_strdup(pool, g_mime_message_get_subject(msg));
	{
		InternetAddressList *from = g_mime_message_get_from(msg);

		if (from != NULL && internet_address_list_length(from) > 0) {
			InternetAddress *ia = internet_address_list_get_address(from, 0);

			if (INTERNET_ADDRESS_IS_MAILBOX(ia))
				sum_r->from = p_strdup(pool,
					internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
		}
	}
	g_object_unref(msg);
}

int mime_parts_parse(struct pool *pool, const char *map,
		     struct mime_part_pos **parts_r, unsigned int *count_r)
{
	unsigned int count = 0, alloc = 0;
	struct mime_part_pos *parts = NULL;
	const char *p = map;

	while (p != NULL && *p != '\0') {
		struct mime_part_pos pos;
		unsigned long long hs, bs, be;
		char kind;
		unsigned int depth;
		int n = 0;

		if (sscanf(p, "%u %c %llu %llu %llu%n", &depth, &kind, &hs, &bs, &be, &n) != 5 ||
		    strchr("mrel", kind) == NULL || hs > bs || bs > be)
			return -1;
		pos.depth = depth;
		pos.kind = kind;
		pos.header_start = hs;
		pos.body_start = bs;
		pos.body_end = be;
		parts = p_grow(pool, parts, sizeof(*parts), count, &alloc, 8);
		parts[count++] = pos;
		p = strchr(p + n, '\n');
		if (p != NULL)
			p++;
	}
	*parts_r = parts;
	*count_r = count;
	return 0;
}

/* --- leaves for the web access and the calendar --- */

struct mime_leaf_ctx {
	struct pool *pool;
	mime_leaf_cb *cb;
	void *context;
	unsigned int count;
};

void mime_leaf_describe(struct pool *pool, GMimeObject *obj,
			const char *section, struct mime_leaf *leaf_r)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeContentDisposition *disp = g_mime_object_get_content_disposition(obj);
	const char *type = ct != NULL ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *subtype =
		ct != NULL ? g_mime_content_type_get_media_subtype(ct) : NULL;
	struct mime_leaf *leaf = leaf_r;

	memset(leaf, 0, sizeof(*leaf));
	leaf->section = section;
	leaf->type = p_strdup(pool, type != NULL ? type : "text");
	leaf->subtype = p_strdup(pool, subtype != NULL ? subtype : "plain");
	str_lcase((char *) leaf->type);
	str_lcase((char *) leaf->subtype);
	if (ct != NULL) {
		leaf->charset = p_strdup(
			pool, g_mime_content_type_get_parameter(ct, "charset"));
		leaf->method = p_strdup(
			pool, g_mime_content_type_get_parameter(ct, "method"));
	}
	if (GMIME_IS_PART(obj))
		leaf->filename = p_strdup(
			pool, g_mime_part_get_filename(GMIME_PART(obj)));
	leaf->content_id = p_strdup(pool, g_mime_object_get_content_id(obj));
	leaf->attachment =
		disp != NULL && g_mime_content_disposition_is_attachment(disp);
}

static void mime_leaf_emit(struct mime_leaf_ctx *lctx, GMimeObject *obj,
			   const char *section, const char *language)
{
	struct mime_leaf leaf;
	GMimeStream *out;
	GByteArray *bytes;

	if (!GMIME_IS_PART(obj))
		return;
	mime_leaf_describe(lctx->pool, obj, section, &leaf);
	leaf.language = p_strdup(lctx->pool, language);
	if (GMIME_IS_TEXT_PART(obj)) {
		char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));

		if (text != NULL) {
			leaf.size = strlen(text);
			leaf.data = (const unsigned char *)p_strndup(lctx->pool, text, leaf.size);
			g_free(text);
		} else {
			leaf.data = (const unsigned char *)"";
		}
	} else {
		GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(obj));

		out = g_mime_stream_mem_new();
		if (content != NULL)
			g_mime_data_wrapper_write_to_stream(content, out);
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
		leaf.size = bytes->len;
		leaf.data = (const unsigned char *)p_strndup(lctx->pool, bytes->data, bytes->len);
		g_object_unref(out);
	}
	lctx->cb(lctx->context, &leaf);
}

static void mime_leaf_walk(struct mime_leaf_ctx *lctx, GMimeObject *obj,
			   const char *prefix, unsigned int depth,
			   const char *language)
{
	const char *own = g_mime_object_get_header(obj, "Content-Language");

	if (depth > MIME_MAX_DEPTH || lctx->count >= MIME_MAX_PARTS)
		return;
	lctx->count++;
	/* RFC 3282 2: a multipart's language is its parts' unless they say */
	if (own != NULL)
		language = own;
	if (GMIME_IS_MULTIPART(obj)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (int i = 0; i < n; i++) {
			const char *section = prefix[0] == '\0' ?
				p_printf(lctx->pool, "%d", i + 1) :
				p_printf(lctx->pool, "%s.%d", prefix, i + 1);

			mime_leaf_walk(lctx,
				       g_mime_multipart_get_part(
					       GMIME_MULTIPART(obj), i),
				       section, depth + 1, language);
		}
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *emb = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		/* an attached message says its own language */
		if (emb != NULL && g_mime_message_get_mime_part(emb) != NULL)
			mime_leaf_walk(lctx, g_mime_message_get_mime_part(emb),
				       prefix, depth + 1, NULL);
	} else {
		mime_leaf_emit(lctx, obj, prefix[0] == '\0' ? "1" : prefix,
			       language);
	}
}

void mime_foreach_leaf(struct pool *pool, const unsigned char *data,
		       size_t size, mime_leaf_cb *cb, void *context)
{
	struct mime_leaf_ctx lctx = { .pool = pool, .cb = cb, .context = context };
	GMimeMessage *msg = mime_parse_message(data, size);

	if (msg == NULL)
		return;
	if (g_mime_message_get_mime_part(msg) != NULL)
		mime_leaf_walk(&lctx, g_mime_message_get_mime_part(msg), "", 0,
			       NULL);
	g_object_unref(msg);
}

const char *mime_get_header(struct pool *pool, const unsigned char *data,
			    size_t size, const char *name)
{
	GMimeMessage *msg = mime_parse_message(data, size);
	const char *value, *ret = NULL;

	if (msg == NULL)
		return NULL;
	value = g_mime_object_get_header(GMIME_OBJECT(msg), name);
	if (value != NULL)
		ret = p_strdup(pool, value);
	g_object_unref(msg);
	return ret;
}

const char *mime_decode_header(struct pool *pool, const char *value)
{
	char *decoded;
	const char *ret;

	if (value == NULL)
		return NULL;
	decoded = g_mime_utils_header_decode_text(NULL, value);
	ret = p_strdup(pool, decoded != NULL ? decoded : value);
	g_free(decoded);
	return ret;
}

static bool mime_is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
	}
	return true;
}

const char *mime_encode_phrase(struct pool *pool, const char *utf8)
{
	char *encoded;
	const char *ret;

	if (utf8 == NULL)
		return NULL;
	if (mime_is_ascii(utf8))
		return utf8;
	encoded = g_mime_utils_header_encode_phrase(NULL, utf8, "utf-8");
	ret = p_strdup(pool, encoded != NULL ? encoded : utf8);
	g_free(encoded);
	return ret;
}

const char *mime_encode_text(struct pool *pool, const char *utf8)
{
	char *encoded;
	const char *ret;

	if (utf8 == NULL)
		return NULL;
	if (mime_is_ascii(utf8))
		return utf8;
	encoded = g_mime_utils_header_encode_text(NULL, utf8, "utf-8");
	ret = p_strdup(pool, encoded != NULL ? encoded : utf8);
	g_free(encoded);
	return ret;
}

static void mime_addrs_collect(struct buffer *buf, InternetAddressList *list)
{
	for (int i = 0; list != NULL && i < internet_address_list_length(list); i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			mime_addrs_collect(buf, internet_address_group_get_members(
				INTERNET_ADDRESS_GROUP(ia)));
		} else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			const char *addr = internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia));

			if (addr == NULL || *addr == '\0')
				continue;
			if (buf->used > 0)
				buffer_append_str(buf, ", ");
			buffer_append_str(buf, addr);
		}
	}
}

const char *mime_address_list_addrs(struct pool *pool, const char *value)
{
	InternetAddressList *list;
	struct buffer buf;

	if (value == NULL)
		return NULL;
	list = internet_address_list_parse(NULL, value);
	buffer_init_pool(&buf, pool, 0);
	mime_addrs_collect(&buf, list);
	if (list != NULL)
		g_object_unref(list);
	return buf.used > 0 ? buf.data : NULL;
}

/* utf8 as RFC 2047 Q encoded-words, separated by spaces: at most 75
   characters each (2.), each of whole characters (5. (3)), only the
   characters 5. (3) allows in a phrase. (Not B: decoders that join the
   words of one charset before decoding choke on the padding of a B word
   in the middle.) */
static const char *mime_phrase_encode_all(struct pool *pool, const char *utf8)
{
	/* "=?utf-8?q?" and "?=" around at most 63 */
	const size_t word_max = 63;
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *) utf8;
	struct buffer out;
	size_t word = 0;

	buffer_init_pool(&out, pool, 0);
	while (*p != '\0') {
		char enc[4 * 3];
		size_t n = 1, elen = 0;

		/* one character: a lead byte and its continuation bytes */
		while (n < 4 && (p[n] & 0xc0) == 0x80)
			n++;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[i];

			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '!' || c == '*' ||
			    c == '+' || c == '-' || c == '/') {
				enc[elen++] = (char) c;
			} else if (c == ' ') {
				enc[elen++] = '_';
			} else {
				enc[elen++] = '=';
				enc[elen++] = hex[c >> 4];
				enc[elen++] = hex[c & 15];
			}
		}
		if (word > 0 && word + elen > word_max) {
			buffer_append_str(&out, "?= ");
			word = 0;
		}
		if (word == 0)
			buffer_append_str(&out, "=?utf-8?q?");
		buffer_append(&out, enc, elen);
		word += elen;
		p += n;
	}
	buffer_append_str(&out, "?=");
	return out.data;
}

const char *mime_mailbox_header(struct pool *pool, const char *name,
				const char *address)
{
	InternetAddress *ia;
	char *str;
	const char *ret;

	if (name == NULL || *name == '\0')
		return address;
	/* A name that holds "=?" would be read back as encoded-words (GMime
	   and others decode them inside atoms and quotes alike), so it is
	   sent encoded whatever its characters. */
	if (strstr(name, "=?") != NULL)
		return p_printf(pool, "%s <%s>",
				mime_phrase_encode_all(pool, name), address);
	ia = internet_address_mailbox_new(name, address);
	str = internet_address_to_string(ia, NULL, TRUE);
	ret = p_strdup(pool, str);
	g_free(str);
	g_object_unref(ia);
	return ret;
}

const char *mime_address_display(struct pool *pool, const char *value)
{
	InternetAddressList *list;
	const char *ret = value;

	if (value == NULL)
		return NULL;
	list = internet_address_list_parse(NULL, value);
	if (list != NULL && internet_address_list_length(list) > 0) {
		InternetAddress *ia = internet_address_list_get_address(list, 0);
		const char *name = internet_address_get_name(ia);

		if (name != NULL && *name != '\0')
			ret = p_strdup(pool, name);
		else if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			ret = p_strdup(pool, internet_address_mailbox_get_addr(
				INTERNET_ADDRESS_MAILBOX(ia)));
	}
	if (list != NULL)
		g_object_unref(list);
	return ret;
}

const char *mime_date_now(struct pool *pool)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *str = g_mime_utils_header_format_date(now);
	const char *ret = p_strdup(pool, str);

	g_free(str);
	g_date_time_unref(now);
	return ret;
}

const char *mime_new_message_id(struct pool *pool, const char *host)
{
	char *id = g_mime_utils_generate_message_id(host);
	const char *ret = p_printf(pool, "<%s>", id);

	g_free(id);
	return ret;
}
