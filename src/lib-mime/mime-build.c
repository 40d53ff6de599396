/*
 * Building messages with GMime (see mime-build.h). The top-level headers
 * are written here as given, so that headers copied from another message
 * keep their exact encoding; GMime writes the MIME entities below them.
 */
#include "mime-build.h"
#include "mime-limit.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <gmime/gmime.h>
#include <string.h>

unsigned int mime_build_copy_headers(struct pool *pool, const unsigned char *data,
				     size_t size, const char *const *names,
				     struct mime_build_header **headers_r)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data,
								 mime_limit_size(data, size));
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *msg;
	GMimeHeaderList *list;
	unsigned int count = 0;
	int total;

	*headers_r = NULL;
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
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

void mime_build_message(struct pool *pool, const struct mime_build_header *headers,
			unsigned int header_count, const struct mime_build_part *root,
			bool crlf, const unsigned char **data_r, size_t *size_r)
{
	const char *eol = crlf ? "\r\n" : "\n";
	GMimeFormatOptions *options = g_mime_format_options_new();
	GMimeStream *out = g_mime_stream_mem_new();
	GMimeObject *obj;
	GByteArray *bytes;
	struct buffer buf;

	buffer_init_pool(&buf, pool, 0);
	for (unsigned int i = 0; i < header_count; i++)
		mime_build_append_header(&buf, &headers[i], eol);
	buffer_append_str(&buf, "MIME-Version: 1.0");
	buffer_append_str(&buf, eol);

	g_mime_format_options_set_newline_format(options, crlf ? GMIME_NEWLINE_FORMAT_DOS :
						 GMIME_NEWLINE_FORMAT_UNIX);
	obj = mime_build_object(root);
	g_mime_object_write_to_stream(obj, options, out);
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	buffer_append(&buf, bytes->data, bytes->len);
	g_object_unref(obj);
	g_object_unref(out);
	g_mime_format_options_free(options);
	*data_r = (const unsigned char *)buf.data;
	*size_r = buf.used;
}
