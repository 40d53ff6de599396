#ifndef INFOSTORE_IMAP_SECTION_H
#define INFOSTORE_IMAP_SECTION_H

/*
 * FETCH BODY[section] (RFC 9051 6.4.5): parsing the section spec and
 * finding its bytes in a stored message through the part map that
 * lib-mime computed at delivery (mime_parts_parse()).
 *
 *   ""                whole message        "HEADER", "TEXT"
 *   "HEADER.FIELDS (A B)", "HEADER.FIELDS.NOT (A B)"
 *   "1.2"             a part's body        "1.2.MIME" its MIME header
 *   "3.HEADER"        header of the message/rfc822 in part 3 (also TEXT,
 *                     HEADER.FIELDS)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buffer;
struct pool;
struct mime_part_pos;

#define IMAP_SECTION_MAX_PATH 32

enum imap_section_kind {
	IMAP_SECTION_ALL,          /* "" or a part number alone */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,
};

struct imap_section {
	unsigned int path[IMAP_SECTION_MAX_PATH];
	unsigned int path_len;
	enum imap_section_kind kind;
	const char **fields;       /* HEADER.FIELDS names */
	unsigned int field_count;
};

/* Parse the text between the brackets. 0, or -1 with a static *error_r.
   Field names come from pool. */
int imap_section_parse(struct pool *pool, const char *spec,
		       struct imap_section *sect_r, const char **error_r);

/* Where a section lies in the stored bytes. */
struct imap_section_region {
	uint64_t start, end;
	bool filter;               /* HEADER.FIELDS: filter [start, end) */
};

/* 1: found, 0: no such part (the reply is NIL). */
int imap_section_resolve(const struct imap_section *sect,
			 const struct mime_part_pos *parts, unsigned int count,
			 uint64_t size, struct imap_section_region *region_r);

/*
 * HEADER.FIELDS(.NOT): the fields of a header block whose names are (not)
 * in fields, case-insensitively, with their continuation lines, then the
 * blank line. Line ends are written as CRLF.
 */
void imap_header_filter(const unsigned char *hdr, size_t len,
			const char *const *fields, unsigned int count, bool not,
			struct buffer *out);

/* Append data with every bare LF written as CRLF. */
void imap_append_crlf(struct buffer *out, const unsigned char *data, size_t len);
/* Bytes data would take with every bare LF as CRLF. */
uint64_t imap_crlf_size(const unsigned char *data, size_t len);

#endif
