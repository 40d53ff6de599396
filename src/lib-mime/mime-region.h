#ifndef INFOSTORE_MIME_REGION_H
#define INFOSTORE_MIME_REGION_H

/*
 * Byte positions of MIME entities in the stored message. GMime decides the
 * structure (which parts exist, their types and boundaries); these helpers
 * find where each entity's header and body lie in the raw bytes, which IMAP
 * needs (BODY[1.2], sizes and line counts in BODYSTRUCTURE) and GMime does
 * not expose. Pure functions on a byte range: no I/O, no GMime.
 */

#include <stddef.h>
#include <stdint.h>

struct mime_region {
	size_t header_start;
	size_t body_start;
	size_t end;
};

/* Where the body starts in [start, end): after the first empty line, or at
   end if there is none. */
size_t mime_region_body_start(const unsigned char *data, size_t start, size_t end);

/*
 * Split a multipart body [start, end) at the delimiter lines of boundary.
 * Fills up to max child regions (header_start = body_start = start of the
 * child; the caller computes body_start). Returns the number found.
 * A child ends before the line break that precedes the next delimiter
 * (RFC 2046 5.1.1: that CRLF belongs to the delimiter).
 */
unsigned int mime_region_split(const unsigned char *data, size_t start,
			       size_t end, const char *boundary,
			       struct mime_region *children, unsigned int max);

/* Size with bare LFs counted as CRLF, and the number of lines. */
void mime_region_measure(const unsigned char *data, size_t start, size_t end,
			 uint64_t *vsize_r, uint64_t *lines_r);

#endif
