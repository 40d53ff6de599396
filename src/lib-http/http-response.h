#ifndef INFOSTORE_HTTP_RESPONSE_H
#define INFOSTORE_HTTP_RESPONSE_H

/*
 * What a server needs to write an HTTP/1.1 response head: reason phrases
 * and the Date field. No I/O; the caller writes the bytes.
 */

#include <time.h>

/* "Sun, 06 Nov 1994 08:49:37 GMT" and its NUL */
#define HTTP_DATE_SIZE 30

/* The standard reason phrase of status (RFC 9110 15), or "Unknown" for a
   code it does not name. A static string. */
const char *http_reason_phrase(int status);

/* t as an IMF-fixdate (RFC 9110 5.6.7), always in GMT. */
void http_date_format(time_t t, char out[HTTP_DATE_SIZE]);

#endif
