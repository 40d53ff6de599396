#ifndef INFOSTORE_IMAP_BODYSTRUCTURE_H
#define INFOSTORE_IMAP_BODYSTRUCTURE_H

/*
 * ENVELOPE, BODYSTRUCTURE and BODY on the wire (RFC 9051 7.5.2), from the
 * structure src/lib-mime makes of a message. The store keeps the three
 * strings, made once when a message is stored.
 */

#include <stdbool.h>

struct buffer;
struct pool;
struct mime_body;
struct mime_envelope;

void imap_envelope_write(struct buffer *buf, const struct mime_envelope *env);
/* extensible: BODYSTRUCTURE (with the extension data), else BODY */
void imap_body_write(struct buffer *buf, const struct mime_body *body,
		     bool extensible);

/* The same as strings from pool. */
const char *imap_envelope_string(struct pool *pool, const struct mime_envelope *env);
const char *imap_body_string(struct pool *pool, const struct mime_body *body,
			     bool extensible);

#endif
