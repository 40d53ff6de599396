/* The DAV request path without sockets: the request target (and every
   href of a body) through the namespace parser, the headers DAV reads
   (Depth, entity-tag lists, Basic credentials, Brief/Prefer), and the
   body through the XML reader, with every field it returns read back.
   Input: the first line is a target, the second a header value, the rest
   the body. */
#include "buffer.h"
#include "dav-headers.h"
#include "dav-path.h"
#include "dav-xml.h"
#include "pool.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void read_filter(const struct dav_comp_filter *cf, size_t *sum)
{
	*sum += touch(cf->name);
	for (unsigned int i = 0; i < cf->prop_count; i++) {
		*sum += touch(cf->props[i].name);
		for (unsigned int t = 0; t < cf->props[i].text_count; t++)
			*sum += touch(cf->props[i].texts[t].text);
		for (unsigned int p = 0; p < cf->props[i].param_count; p++)
			*sum += touch(cf->props[i].params[p].name);
	}
	for (unsigned int i = 0; i < cf->comp_count; i++)
		read_filter(&cf->comps[i], sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = pool_create(4096);
	const char *text = (const char *)data, *end = text + size;
	const char *nl1 = memchr(text, '\n', size), *nl2;
	const char *target, *header, *user, *error;
	char *password;
	struct dav_path path;
	struct dav_body body;
	size_t sum = 0;

	if (nl1 == NULL)
		nl1 = end;
	nl2 = nl1 < end ? memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1)) : NULL;
	if (nl2 == NULL)
		nl2 = end;
	target = p_strndup(pool, text, (size_t)(nl1 - text));
	header = nl1 < end ? p_strndup(pool, nl1 + 1, (size_t)(nl2 - nl1 - 1)) : "";
	if (dav_path_parse(pool, target, &path) == 0) {
		sum += touch(path.address) + touch(path.collection) + touch(path.resource);
		(void)dav_path_href(pool, path.kind, path.address, path.collection,
				    path.resource);
	}
	(void)dav_depth_parse(header);
	(void)dav_etag_listed(header, "\"42\"");
	(void)dav_brief(header, header);
	if (dav_basic_parse(pool, header, &user, &password))
		sum += touch(user) + touch(password);
	if (nl2 < end &&
	    dav_xml_parse(pool, nl2 + 1, (size_t)(end - nl2 - 1), &body, &error) == 0) {
		for (unsigned int i = 0; i < body.prop_count; i++)
			sum += touch(body.props[i].ns) + touch(body.props[i].name);
		for (unsigned int i = 0; i < body.value_count; i++)
			sum += touch(body.values[i].text) + touch(body.values[i].components);
		for (unsigned int i = 0; i < body.href_count; i++) {
			if (dav_path_parse(pool, body.hrefs[i], &path) == 0)
				sum += touch(path.resource);
		}
		if (body.comp_filter != NULL)
			read_filter(body.comp_filter, &sum);
		sum += touch(body.sync_token);
	}
	(void)sum;
	pool_destroy(&pool);
	return 0;
}
