#ifndef INFOSTORE_WEB_PARSE_H
#define INFOSTORE_WEB_PARSE_H

/*
 * The parts of an HTTP request the web access interprets itself, as
 * functions that do no I/O (so fuzz/fuzz-http.c can drive them without a
 * socket): the request target, percent-decoding, urlencoded forms, the
 * Cookie header, link tokens and return paths. HTTP framing itself is
 * libevent's (web-http.c).
 *
 * Every function takes hostile input: bounded, never reads past len, and
 * returns -1 (or false/NULL) rather than guessing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

/* Limits on what a client controls. */
#define WEB_FORM_MAX_FIELDS 64
#define WEB_TARGET_MAX 4096
#define WEB_PATH_MAX_SEGMENTS 16

/*
 * Percent-decode len bytes (RFC 3986 2.1); with plus_space, '+' is a space
 * (application/x-www-form-urlencoded, WHATWG URL 5.1). The result is
 * NUL-terminated in pool. -1 if it would contain a NUL or a control
 * character other than TAB/CR/LF (with allow_newlines) or is not UTF-8.
 */
int web_url_decode(struct pool *pool, const char *str, size_t len,
		   bool plus_space, bool allow_newlines, const char **out_r);

struct web_form_field {
	const char *name;
	const char *value;
};
struct web_form {
	struct web_form_field fields[WEB_FORM_MAX_FIELDS];
	unsigned int count;
};

/* Parse "a=1&b=x+y" (a body or a query string). Fields with undecodable
   names are an error; more than WEB_FORM_MAX_FIELDS is an error. 0 or -1. */
int web_form_parse(struct pool *pool, const char *data, size_t len,
		   struct web_form *form_r);
/* The first value of name, or NULL. */
const char *web_form_get(const struct web_form *form, const char *name);

/*
 * A multipart/form-data body (RFC 7578), as the compose form sends it with
 * its attachments. Text fields go into form (each value UTF-8 without NUL
 * or controls other than TAB, CR, LF; at most WEB_FORM_MAX_FIELDS); file
 * fields with a non-empty filename into files (at most max_files; an empty
 * file input is skipped). The filename loses any path ("C:\x\a.txt" is
 * "a.txt"). Data points into body, which must outlive the result.
 * content_type is the request's header value, with its boundary
 * parameter. 0, or -1 for anything malformed or over a limit.
 */
#define WEB_MULTIPART_MAX_HEADER 4096
struct web_upload {
	const char *field;
	const char *filename;      /* UTF-8, non-empty */
	const char *content_type;  /* as sent ("application/pdf"), or NULL */
	const unsigned char *data;
	size_t size;
};
int web_multipart_parse(struct pool *pool, const char *content_type,
			const char *body, size_t size, unsigned int max_files,
			struct web_form *form_r, struct web_upload **files_r,
			unsigned int *file_count_r);

/*
 * The value of cookie name in a Cookie header (RFC 6265 4.2.1, 5.4:
 * "a=1; b=2"), surrounding double quotes removed, or NULL. The first
 * occurrence wins (the most specific path, RFC 6265 5.4 step 2).
 */
const char *web_cookie_get(struct pool *pool, const char *header,
			   const char *name);

/*
 * Split a request target into a path and a query. An absolute-form
 * target ("http://host/x", RFC 9112 3.2.2) is reduced to its path. The
 * path is checked: it starts with '/', has no "." or ".." segments, no
 * empty segment except a trailing one, at most WEB_PATH_MAX_SEGMENTS, and
 * each segment decodes to printable UTF-8 without '/'. Segments are
 * returned decoded. 0 or -1.
 */
struct web_target {
	const char *path;      /* raw path as sent (for redirects) */
	const char *query;     /* raw query without '?', or NULL */
	const char *segments[WEB_PATH_MAX_SEGMENTS];
	unsigned int segment_count;
};
int web_target_parse(struct pool *pool, const char *target,
		     struct web_target *target_r);

/* A link or session token: base64url characters only, 16..128 of them. */
bool web_token_valid(const char *token);

/*
 * May the login form send the browser on to this path afterwards? Only a
 * local absolute path: starts with one '/', not "//" or "/\" (which
 * browsers treat as another host), printable ASCII, no more than
 * WEB_TARGET_MAX bytes.
 */
bool web_return_path_safe(const char *path);

/* Decimal mailbox ids and UIDs in paths: 1..max, no sign, no leading
   zeros. 0 or -1. */
int web_parse_id(const char *str, uint64_t max, uint64_t *id_r);
/* A MIME section "1", "2.1.3": digits and dots, no empty parts, at most
   32 bytes. */
bool web_section_valid(const char *section);

/* "2026-11-24" to year/month/day (checked for the calendar). 0 or -1. */
int web_parse_date(const char *str, int *year_r, int *month_r, int *day_r);
/* "09:30" to minutes after midnight (0..1439). 0 or -1. */
int web_parse_hhmm(const char *str, int *minutes_r);

#endif
