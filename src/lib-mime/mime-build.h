#ifndef INFOSTORE_MIME_BUILD_H
#define INFOSTORE_MIME_BUILD_H

/*
 * Composing new messages with GMime: the meeting requests rendered for
 * IMAP/POP3 clients and the iTIP replies and invitations infostore sends.
 *
 * The caller describes the MIME tree with these plain structs; GMime
 * chooses boundaries and transfer encodings (7bit where it can, else
 * quoted-printable or base64, never 8bit) and writes the bytes.
 * Everything returned lives in the pool passed in.
 */

#include <stdbool.h>
#include <stddef.h>

struct pool;

struct mime_build_part {
	const char *type;             /* "text", "multipart", "application" */
	const char *subtype;          /* "plain", "alternative", "calendar" */
	/* more Content-Type parameters: name, value, ..., NULL; text leaves
	   always get charset=utf-8 */
	const char *const *params;

	/* a leaf: its content (UTF-8 for text/) */
	const void *data;
	size_t size;
	const char *filename;         /* Content-Disposition filename, or NULL */
	bool attachment;              /* disposition attachment (else inline
					 when there is a filename) */
	bool base64;                  /* base64 whatever the content */

	/* a multipart: its parts */
	const struct mime_build_part *parts;
	unsigned int part_count;

	/* or a whole entity written as it is, header fields, blank line and
	   body (mime_entity_extract() makes one): the fields above are
	   unused. A multipart holding one gets a boundary found in none. */
	const void *raw;
	size_t raw_size;
};

struct mime_build_header {
	const char *name;
	/* as it goes on the wire after "Name:": ASCII, RFC 2047-encoded
	   where needed; a leading space is added when missing; folds (line
	   breaks followed by white space) are kept */
	const char *value;
};

/*
 * The headers of a message whose names are in names (NULL-terminated,
 * case-insensitive), raw as written, in the order they appear. Returns the
 * count; *headers_r from pool.
 */
unsigned int mime_build_copy_headers(struct pool *pool, const unsigned char *data,
				     size_t size, const char *const *names,
				     struct mime_build_header **headers_r);

/*
 * A whole message: headers in the order given, "MIME-Version: 1.0", then
 * root with its Content-* headers and body. Line endings are CRLF, or LF
 * when crlf is false.
 */
void mime_build_message(struct pool *pool, const struct mime_build_header *headers,
			unsigned int header_count, const struct mime_build_part *root,
			bool crlf, const unsigned char **data_r, size_t *size_r);

#endif
