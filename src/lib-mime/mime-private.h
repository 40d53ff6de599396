#ifndef INFOSTORE_MIME_PRIVATE_H
#define INFOSTORE_MIME_PRIVATE_H

/* Shared by the files of src/lib-mime only: they alone see GMime. */

#include "mime.h"

#include <gmime/gmime.h>

/* GMime's view of a message: at most mime_limit_size() bytes of it (see
   mime-limit.h). NULL if GMime makes nothing of it; else unref it. */
GMimeMessage *mime_parse_message(const unsigned char *data, size_t size);

/* A leaf's description (type, parameters, filename, disposition) without
   its content: data NULL, size 0. Strings from pool. */
void mime_leaf_describe(struct pool *pool, GMimeObject *obj,
			const char *section, struct mime_leaf *leaf_r);

#endif
