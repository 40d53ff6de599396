#ifndef INFOSTORE_WEB_HTML_H
#define INFOSTORE_WEB_HTML_H

/*
 * Building HTML. Every piece of text that reaches a page goes through
 * html_escape(), the one escaping function of the web access, usually by
 * way of html_printf()'s %s.
 */

#include <stdarg.h>
#include <stddef.h>

struct buffer;

/*
 * Escape text for element content and double-quoted attribute values
 * (& < > " ' become entities; NUL and other C0 controls except TAB, CR, LF
 * are dropped). len (size_t)-1: up to the NUL. NULL is the empty string.
 */
void html_escape(struct buffer *out, const char *text, size_t len);

/*
 * A small printf for HTML templates:
 *   %s  text, escaped with html_escape() (NULL prints nothing)
 *   %S  trusted HTML, appended as is (constants and already built markup)
 *   %q  text percent-encoded as a URL component (RFC 3986 unreserved kept),
 *       then escaped
 *   %d %u %L  int, unsigned int, long long (int64)
 *   %%  a percent sign
 * Anything else is a programming error (fatal).
 */
void html_printf(struct buffer *out, const char *fmt, ...);
void html_vprintf(struct buffer *out, const char *fmt, va_list args);

/*
 * Plain text as HTML with its web addresses as links: http:// and https://
 * up to white space, a quote or an angle bracket, without the punctuation
 * that ends a sentence (and an unmatched ')'). Text and addresses are
 * escaped with html_escape(); the links open apart from this page
 * (target=_blank, rel="noopener noreferrer").
 */
void html_escape_linkify(struct buffer *out, const char *text, size_t len);

/* Percent-encode for a URL component (path segment or query value). */
void url_encode_component(struct buffer *out, const char *text);

#endif
