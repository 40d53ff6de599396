/*
 * Building messages with GMime (see mime-build.h). The top-level headers
 * are written here as given, so that headers copied from another message
 * keep their exact encoding; GMime writes the MIME entities below them.
 */
#include "mime-build.h"
#include "mime-private.h"
#include "buffer.h"
#include "fatal.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

unsigned int mime_build_copy_headers(struct pool *pool, const unsigned char *data,
				     size_t size, const char *const *names,
				     struct mime_build_header **headers_r)
{
	GMimeMessage *msg = mime_parse_message(data, size);
	GMimeHeaderList *list;
	unsigned int count = 0;
	int total;

	*headers_r = NULL;
	if (msg == NULL)
		return 0;
	list = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	total = list != NULL ? g_mime_header_list_get_count(list) : 0;
	*headers_r = p_new(pool, struct mime_build_header, total > 0 ? (size_t)total : 1);
	for (int i = 0; i < total; i++) {
		GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_name(header);
		const char *raw = g_mime_header_get_raw_value(header);

		if (name == NULL || raw == NULL)
			continue;
		for (unsigned int j = 0; names[j] != NULL; j++) {
			if (str_iequal(name, names[j])) {
				(*headers_r)[count].name = p_strdup(pool, name);
				(*headers_r)[count].value = p_strdup(pool, raw);
				count++;
				break;
			}
		}
	}
	g_object_unref(msg);
	return count;
}

/* "Name: value" with folds written with eol and the value's own trailing
   line break dropped. */
static void mime_build_append_header(struct buffer *buf, const struct mime_build_header *h,
				     const char *eol)
{
	const char *v = h->value;
	size_t len = strlen(v);

	while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\r'))
		len--;
	buffer_append_str(buf, h->name);
	buffer_append_c(buf, ':');
	if (len == 0 || (v[0] != ' ' && v[0] != '\t'))
		buffer_append_c(buf, ' ');
	for (size_t i = 0; i < len; i++) {
		if (v[i] == '\r')
			continue;
		if (v[i] == '\n') {
			/* a fold stays a fold; any other line break would
			   start a header of its own: it becomes a space */
			if (i + 1 < len && (v[i + 1] == ' ' || v[i + 1] == '\t'))
				buffer_append_str(buf, eol);
			else
				buffer_append_c(buf, ' ');
		} else
			buffer_append_c(buf, v[i]);
	}
	buffer_append_str(buf, eol);
}

static bool mime_build_is_text(const struct mime_build_part *part)
{
	return g_ascii_strcasecmp(part->type, "text") == 0;
}

static GMimeObject *mime_build_object(const struct mime_build_part *part)
{
	GMimeObject *obj;

	if (g_ascii_strcasecmp(part->type, "multipart") == 0) {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype(part->subtype);

		for (unsigned int i = 0; i < part->part_count; i++) {
			GMimeObject *child = mime_build_object(&part->parts[i]);

			g_mime_multipart_add(mp, child);
			g_object_unref(child);
		}
		obj = GMIME_OBJECT(mp);
	} else {
		GMimePart *leaf = g_mime_part_new_with_type(part->type, part->subtype);
		GMimeStream *content = g_mime_stream_mem_new_with_buffer(part->data, part->size);
		GMimeDataWrapper *wrapper =
			g_mime_data_wrapper_new_with_stream(content, GMIME_CONTENT_ENCODING_DEFAULT);

		g_mime_part_set_content(leaf, wrapper);
		g_object_unref(wrapper);
		g_object_unref(content);
		obj = GMIME_OBJECT(leaf);
		if (mime_build_is_text(part))
			g_mime_object_set_content_type_parameter(obj, "charset", "utf-8");
		if (part->filename != NULL)
			g_mime_part_set_filename(leaf, part->filename);
		if (part->attachment || part->filename != NULL)
			g_mime_object_set_disposition(obj, part->attachment ?
						      GMIME_DISPOSITION_ATTACHMENT :
						      GMIME_DISPOSITION_INLINE);
		/* 8bit is never chosen: the message may leave over SMTP to a
		   relay without 8BITMIME */
		g_mime_part_set_content_encoding(leaf, part->base64 ? GMIME_CONTENT_ENCODING_BASE64 :
			g_mime_part_get_best_content_encoding(leaf, GMIME_ENCODING_CONSTRAINT_7BIT));
	}
	for (unsigned int i = 0; part->params != NULL && part->params[i] != NULL &&
	     part->params[i + 1] != NULL; i += 2)
		g_mime_object_set_content_type_parameter(obj, part->params[i], part->params[i + 1]);
	return obj;
}

/* The message's bytes as pieces put together once at the end: a raw
   part may be most of a big message, which a growing buffer would copy
   again at every doubling. */
struct mime_build_piece {
	const void *data;
	size_t size;
};

struct mime_build_out {
	struct pool *pool;
	GMimeFormatOptions *options;
	const char *eol;
	struct mime_build_piece *pieces;
	unsigned int count, alloc;
};

static void mime_build_piece(struct mime_build_out *out, const void *data,
			     size_t size)
{
	out->pieces = p_grow(out->pool, out->pieces, sizeof(*out->pieces),
			     out->count, &out->alloc, 16);
	out->pieces[out->count].data = data;
	out->pieces[out->count].size = size;
	out->count++;
}

static void mime_build_piece_str(struct mime_build_out *out, const char *str)
{
	mime_build_piece(out, str, strlen(str));
}

static bool mime_build_has_raw(const struct mime_build_part *part)
{
	if (part->raw != NULL)
		return true;
	for (unsigned int i = 0; i < part->part_count; i++) {
		if (mime_build_has_raw(&part->parts[i]))
			return true;
	}
	return false;
}

static bool mime_build_raw_contains(const struct mime_build_part *part,
				    const char *str)
{
	if (part->raw != NULL)
		return memmem(part->raw, part->raw_size, str, strlen(str)) !=
		       NULL;
	for (unsigned int i = 0; i < part->part_count; i++) {
		if (mime_build_raw_contains(&part->parts[i], str))
			return true;
	}
	return false;
}

/* A boundary that occurs nowhere in the raw parts below (RFC 2046 5.1.1:
   it must not appear inside the encapsulated parts). GMime's are random,
   so the first one does, bar a one-in-2^90 chance. */
static const char *mime_build_boundary(struct pool *pool,
				       const struct mime_build_part *part)
{
	for (unsigned int tries = 0; tries < 64; tries++) {
		GMimeMultipart *mp = g_mime_multipart_new();
		const char *boundary;

		g_mime_multipart_set_boundary(mp, NULL);
		boundary = p_strdup(pool, g_mime_multipart_get_boundary(mp));
		g_object_unref(mp);
		if (!mime_build_raw_contains(part, boundary))
			return boundary;
	}
	fatal("mime: no boundary found that the parts do not contain");
}

static void mime_build_write(struct mime_build_out *out,
			     const struct mime_build_part *part)
{
	if (part->raw != NULL) {
		mime_build_piece(out, part->raw, part->raw_size);
	} else if (g_ascii_strcasecmp(part->type, "multipart") == 0 &&
		   mime_build_has_raw(part)) {
		/* GMime cannot take an entity's bytes as they are: this
		   multipart is written here, the others by GMime */
		const char *boundary = mime_build_boundary(out->pool, part);
		const char *delimiter =
			p_printf(out->pool, "--%s%s", boundary, out->eol);

		mime_build_piece_str(out,
				     p_printf(out->pool,
					      "Content-Type: multipart/%s;%s"
					      "\tboundary=\"%s\"%s%s",
					      part->subtype, out->eol, boundary,
					      out->eol, out->eol));
		for (unsigned int i = 0; i < part->part_count; i++) {
			mime_build_piece_str(out, delimiter);
			mime_build_write(out, &part->parts[i]);
			/* RFC 2046 5.1.1: the line break before a delimiter
			   belongs to the delimiter */
			mime_build_piece_str(out, out->eol);
		}
		mime_build_piece_str(out, p_printf(out->pool, "--%s--%s",
						   boundary, out->eol));
	} else {
		GMimeStream *stream = g_mime_stream_mem_new();
		GMimeObject *obj = mime_build_object(part);
		GByteArray *bytes;
		void *copy;

		g_mime_object_write_to_stream(obj, out->options, stream);
		bytes = g_mime_stream_mem_get_byte_array(
			GMIME_STREAM_MEM(stream));
		copy = p_malloc(out->pool, bytes->len + 1);
		memcpy(copy, bytes->data, bytes->len);
		mime_build_piece(out, copy, bytes->len);
		g_object_unref(obj);
		g_object_unref(stream);
	}
}

void mime_build_message(struct pool *pool, const struct mime_build_header *headers,
			unsigned int header_count, const struct mime_build_part *root,
			bool crlf, const unsigned char **data_r, size_t *size_r)
{
	struct mime_build_out out = {.pool = pool, .eol = crlf ? "\r\n" : "\n"};
	struct buffer head;
	unsigned char *data;
	size_t size = 0;

	buffer_init_pool(&head, pool, 0);
	for (unsigned int i = 0; i < header_count; i++)
		mime_build_append_header(&head, &headers[i], out.eol);
	buffer_append_str(&head, "MIME-Version: 1.0");
	buffer_append_str(&head, out.eol);
	mime_build_piece(&out, head.data, head.used);

	out.options = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(
		out.options,
		crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
	mime_build_write(&out, root);
	g_mime_format_options_free(out.options);

	for (unsigned int i = 0; i < out.count; i++)
		size += out.pieces[i].size;
	data = p_malloc(pool, size + 1);
	size = 0;
	for (unsigned int i = 0; i < out.count; i++) {
		memcpy(data + size, out.pieces[i].data, out.pieces[i].size);
		size += out.pieces[i].size;
	}
	*data_r = data;
	*size_r = size;
}
