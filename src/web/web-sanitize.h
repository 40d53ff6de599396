#ifndef INFOSTORE_WEB_SANITIZE_H
#define INFOSTORE_WEB_SANITIZE_H

/*
 * HTML mail, made safe to show: an allow-list of elements and attributes.
 * Scripts, styles sheets, frames, forms, event handlers and every URL
 * scheme but http, https, mailto and cid go; remote images are dropped
 * unless the reader asked for them; cid: images become links to the
 * message's own parts. The output is well-formed (every element it opens
 * it closes) and carries only text that html_escape() wrote or entities
 * checked by shape. No I/O; fuzzed (fuzz/fuzz-http.c).
 *
 * This is the first line; the body is also shown in a sandboxed iframe
 * under a Content-Security-Policy without scripts (web-message.c).
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;
struct pool;

/* Map a Content-ID (without "cid:") to a local URL, or NULL. */
typedef const char *web_sanitize_cid_cb(void *context, const char *cid);

struct web_sanitize_settings {
	bool allow_remote;          /* show http(s) images */
	web_sanitize_cid_cb *cid;   /* may be NULL */
	void *context;
};

struct web_sanitize_result {
	unsigned int remote_blocked;   /* remote images left out */
};

void web_sanitize_html(struct pool *pool, const char *html, size_t len,
		       const struct web_sanitize_settings *set,
		       struct buffer *out, struct web_sanitize_result *result_r);

#endif
