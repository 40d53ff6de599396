#ifndef INFOSTORE_MIME_ENTITY_H
#define INFOSTORE_MIME_ENTITY_H

/*
 * A message's content, carried whole inside another message: what the
 * calendar does to keep every part an organizer sent in the meeting
 * request it stores (the text, the HTML, the attachments, byte for byte)
 * while leaving out their calendar parts.
 */

#include <stdbool.h>
#include <stddef.h>

struct mime_leaf;
struct pool;

/* Is this leaf to be left out? leaf->data is NULL here: only the
   description (type, parameters, filename, disposition) is known. */
typedef bool mime_entity_drop_fn(void *context, const struct mime_leaf *leaf);

/*
 * The content of the message data as one MIME entity another message can
 * carry as a body part: the message's own Content-* header fields as
 * written, its blank line, and its body byte for byte, except that each
 * leaf drop() (may be NULL) says to leave out is cut away with its
 * delimiter line, and a multipart left empty goes with it. Everything that
 * stays keeps its bytes: header fields, boundaries, transfer encodings,
 * line endings, preamble and epilogue.
 *
 * What is not looked into is kept whole: attached messages
 * (message/rfc822), multiparts deeper than MIME_MAX_DEPTH or past
 * MIME_MAX_PARTS entities, the part of a huge message GMime is not shown
 * (mime-limit.h), and a multipart whose delimiter lines do not match the
 * parts GMime found in it (broken MIME). The entity is never larger than
 * the message.
 *
 * Returns 1 with the entity in *data_r and *size_r (from pool, or inside
 * data), 0 when nothing is left (every leaf dropped).
 */
int mime_entity_extract(struct pool *pool, const unsigned char *data,
			size_t size, mime_entity_drop_fn *drop, void *context,
			const unsigned char **data_r, size_t *size_r);

#endif
