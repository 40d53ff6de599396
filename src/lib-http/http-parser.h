#ifndef INFOSTORE_HTTP_PARSER_H
#define INFOSTORE_HTTP_PARSER_H

/*
 * The HTTP/1.1 request reader (RFC 9112): a state machine that does no
 * I/O. The caller feeds it whatever bytes it has and gets back events:
 *
 *   HTTP_PARSE_HEAD       the request line and header fields are complete:
 *                         http_parser_head(). The caller may now tighten
 *                         the body limit (http_parser_set_max_body()) and
 *                         answer "100 Continue".
 *   HTTP_PARSE_BODY_DATA  decoded body bytes: http_parser_body_data()
 *                         (Content-Length or chunked framing removed);
 *   HTTP_PARSE_END        the request is complete (also right after HEAD
 *                         when there is no body);
 *   HTTP_PARSE_ERROR      the request cannot be read: http_parser_error()
 *                         gives the status to answer (400, 413, 414, 431,
 *                         501, 505) and a reason. The input cannot be
 *                         resynchronised: answer and close.
 *   HTTP_PARSE_NEED_MORE  every byte was consumed without an event.
 *
 * One request per cycle: after END the caller handles the request and calls
 * http_parser_reset() before feeding the next one (pipelined bytes stay in
 * the caller's buffer meanwhile). Calling http_parser_parse() after END or
 * ERROR without a reset is a bug (assertion).
 *
 * What is accepted (RFC 9112 2-7, RFC 9110 5):
 * - a request line "method SP target SP HTTP/1.x" with a method of any
 *   token characters (PROPFIND and MKCALENDAR as well as GET), a target of
 *   visible ASCII, HTTP/1.0 or 1.1 (1.2 and later minors are read as 1.1;
 *   another major version is 505). Up to a few empty lines before it are
 *   skipped; lines may end in CRLF or a bare LF, a CR anywhere else is 400.
 * - header fields "name: value" with a token name (no space before the
 *   colon) and a value without control characters other than HTAB;
 *   leading and trailing spaces are trimmed. obs-fold (a line that starts
 *   with a space) is 400. More than max_fields fields or a head over
 *   max_head_size bytes is 431; a request line over max_request_line
 *   bytes is 414.
 * - HTTP/1.1 needs exactly one Host field, HTTP/1.0 at most one (400).
 * - body framing: Content-Length (digits only; repeated fields must
 *   agree), or Transfer-Encoding whose only coding is "chunked". Both at
 *   once, Transfer-Encoding in HTTP/1.0, or a coding list that does not end
 *   in chunked are 400; other codings before chunked are 501. A declared
 *   or decoded body over the limit is 413. Chunk extensions are skipped,
 *   trailer fields read and dropped.
 *
 * Memory: the parser lives in the pool given to http_parser_create(); the
 * head of a request (and its line buffer) comes from the pool given to
 * http_parser_reset() and lives until that pool is cleared. Body data is
 * never copied: it points into the caller's input.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;
struct http_parser;

struct http_parser_settings {
	size_t max_request_line;   /* 414 beyond it (RFC 9112 3) */
	size_t max_head_size;      /* request line and fields, CRLFs counted */
	unsigned int max_fields;   /* header field lines */
	uint64_t max_body_size;    /* default limit of every body */
};

enum http_body_framing {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,          /* Content-Length */
	HTTP_BODY_CHUNKED,
};

struct http_field {
	const char *name;          /* as sent */
	const char *value;         /* without leading and trailing OWS */
};

struct http_request_head {
	const char *method;        /* as sent, case kept (RFC 9110 9.1) */
	const char *target;        /* as sent */
	unsigned int version_minor;/* 0 or 1 */
	const struct http_field *fields;
	unsigned int field_count;

	enum http_body_framing framing;
	uint64_t content_length;   /* HTTP_BODY_LENGTH only */
	bool keep_alive;           /* http_request_keep_alive() */
	bool expect_continue;      /* http_request_expects_continue() */
};

enum http_parse_result {
	HTTP_PARSE_NEED_MORE,
	HTTP_PARSE_HEAD,
	HTTP_PARSE_BODY_DATA,
	HTTP_PARSE_END,
	HTTP_PARSE_ERROR,
};

struct http_parser *http_parser_create(struct pool *pool,
				       const struct http_parser_settings *set);
/* Start a new request whose head comes from head_pool; the body limit
   goes back to set->max_body_size. */
void http_parser_reset(struct http_parser *parser, struct pool *head_pool);

/*
 * Parse from data. *consumed_r tells how many bytes were used; the caller
 * drops them and calls again with what is left (and more when it comes).
 * A byte is consumed at most once, so input may be split anywhere.
 */
enum http_parse_result http_parser_parse(struct http_parser *parser,
					 const unsigned char *data, size_t size,
					 size_t *consumed_r);

/* Has any byte of the current request been consumed? (An idle keep-alive
   connection has none: it may be closed without an answer.) */
bool http_parser_started(const struct http_parser *parser);

/* The head, once HEAD was returned (also after a later ERROR); else NULL.
   Lives in head_pool. */
const struct http_request_head *http_parser_head(const struct http_parser *parser);

/*
 * After HEAD: the largest body this request may have (the limit for its
 * target). 0, or -1 if its Content-Length is larger: the parser is then in
 * the ERROR state with 413, and the caller answers without reading the
 * body (RFC 9110 15.5.14). A chunked body is checked as it is decoded.
 */
int http_parser_set_max_body(struct http_parser *parser, uint64_t max);

/* After BODY_DATA: decoded bytes, pointing into the data given to the last
   http_parser_parse() call; valid until the caller drops them. */
void http_parser_body_data(const struct http_parser *parser,
			   const unsigned char **data_r, size_t *len_r);
/* Body bytes decoded so far. */
uint64_t http_parser_body_size(const struct http_parser *parser);

/* After ERROR: the status to answer and a short reason for the log and
   the response text. */
int http_parser_error(const struct http_parser *parser, const char **reason_r);

/* --- reading a head --- */

/* The first field named name (case-insensitive), or NULL. */
const char *http_request_field(const struct http_request_head *head,
			       const char *name);
/* Does the comma-separated list field name (every field of that name)
   contain token, case-insensitively? (Connection, Expect, ...) */
bool http_request_field_has_token(const struct http_request_head *head,
				  const char *name, const char *token);
/* May the connection stay open after this request? (RFC 9112 9.3:
   HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
   "Connection: keep-alive") */
bool http_request_keep_alive(const struct http_request_head *head);
/* Does the client wait for "100 Continue" before sending its body?
   (RFC 9110 10.1.1: HTTP/1.1 with "Expect: 100-continue" and a body) */
bool http_request_expects_continue(const struct http_request_head *head);

/* Is c a tchar (RFC 9110 5.6.2)? */
bool http_char_is_token(unsigned char c);

#endif
