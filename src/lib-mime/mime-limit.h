#ifndef INFOSTORE_MIME_LIMIT_H
#define INFOSTORE_MIME_LIMIT_H

/*
 * How much of a message GMime is shown. GMime builds an object for every
 * part and every header field it finds: five bytes per part ("--q" and an
 * empty line) cost it about 1.3 KiB and 15 us, so a 50 MB message of
 * empty parts would take minutes and gigabytes of the server that
 * delivers it. Dovecot stops at 10,000 MIME parts for the same reason.
 *
 * mime_limit_size() scans the raw bytes once, line by line, and returns
 * the length of the prefix that stays within the limits below; the rest of
 * the message is still stored and served byte for byte, it just adds no
 * parts, header fields or indexed text. Positions in the part map come
 * from the raw bytes (mime-region.c), so they stay right for the whole
 * message. Pure function: no I/O, no GMime.
 */

#include <stddef.h>

/* Lines that may be boundary delimiters ("--" and a boundary). */
#define MIME_LIMIT_DELIMITER_LINES 10000
/* Header field lines (continuations included), in all header blocks. */
#define MIME_LIMIT_HEADER_LINES 20000
/* Bytes of all header blocks together (Postfix keeps 100 KiB per message). */
#define MIME_LIMIT_HEADER_BYTES (1024 * 1024)

/* The number of bytes of data (at most size) that GMime may parse: size,
   or the start of the first line that would pass a limit. */
size_t mime_limit_size(const unsigned char *data, size_t size);

#endif
