/*
 * The HTTP/1.1 request reader. The head is collected a line at a time
 * (a line is complete only at its LF, so a request split anywhere gives
 * the same result) and checked when its empty line arrives; the body is
 * decoded by a byte-level state machine for chunked framing and by
 * counting for Content-Length.
 *
 * Grammar (RFC 9112 2-7, RFC 9110 5.5, 5.6):
 *   request    = *( CRLF ) request-line *( field-line CRLF ) CRLF [ body ]
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   field-line = field-name ":" OWS field-value OWS
 *   chunked    = *chunk last-chunk trailer-section CRLF
 *   chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk = 1*("0") [ chunk-ext ] CRLF
 *
 * Strictness is deliberate where two readers of one message could
 * disagree about where it ends (request smuggling, RFC 9112 11.2): no
 * obs-fold, no space before the colon, no Content-Length with
 * Transfer-Encoding, agreeing Content-Length copies, CRLF (not a bare LF)
 * in chunked framing.
 */
#include "http-parser.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <assert.h>
#include <string.h>

/* Empty lines skipped before a request line (RFC 9112 2.2 asks for at
   least one: old clients send CRLF after a POST body). */
#define HTTP_MAX_LEADING_EMPTY_LINES 8
/* A chunk-size line with its extensions; the extensions are thrown away,
   so there is no reason to read a long one. */
#define HTTP_MAX_CHUNK_LINE 4096

enum parser_state {
	STATE_HEAD_LINE,     /* collecting a head line up to its LF */
	STATE_HEAD_DONE,     /* HEAD returned; the body comes next */
	STATE_BODY_LENGTH,
	STATE_CHUNK_SIZE,
	STATE_CHUNK_EXT,
	STATE_CHUNK_SIZE_LF,
	STATE_CHUNK_DATA,
	STATE_CHUNK_DATA_CR,
	STATE_CHUNK_DATA_LF,
	STATE_TRAILER_START, /* at the start of a trailer line */
	STATE_TRAILER_LINE,
	STATE_TRAILER_LF,    /* CR seen at the end of a trailer line */
	STATE_TRAILER_END_LF,/* CR of the empty line ending the trailers */
	STATE_END,
	STATE_ERROR,
};

struct http_parser {
	struct pool *head_pool;
	struct http_parser_settings set;
	enum parser_state state;

	/* the head */
	struct buffer line;          /* the line being collected */
	size_t head_size;            /* bytes of the head so far */
	unsigned int empty_lines;
	bool have_request_line;
	bool head_done;
	struct http_request_head head;
	struct http_field *fields;
	unsigned int fields_alloc;

	/* the body */
	uint64_t max_body;
	uint64_t body_size;          /* decoded so far */
	uint64_t chunk_left;         /* of the current chunk */
	unsigned int chunk_digits;   /* of the chunk-size being read */
	size_t chunk_line;           /* bytes of the chunk-size line */
	size_t trailer_size;
	const unsigned char *body_data;
	size_t body_len;

	int error_status;
	const char *error;
};

bool http_char_is_token(unsigned char c)
{
	/* RFC 9110 5.6.2: tchar */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* VCHAR / obs-text (RFC 9110 5.5) */
static bool http_char_is_field_vchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}

static bool http_char_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct http_parser *http_parser_create(struct pool *pool,
				       const struct http_parser_settings *set)
{
	struct http_parser *parser = p_new(pool, struct http_parser, 1);

	parser->set = *set;
	parser->state = STATE_END;
	return parser;
}

void http_parser_reset(struct http_parser *parser, struct pool *head_pool)
{
	parser->head_pool = head_pool;
	parser->state = STATE_HEAD_LINE;
	buffer_init_pool(&parser->line, head_pool, 0);
	parser->head_size = 0;
	parser->empty_lines = 0;
	parser->have_request_line = false;
	parser->head_done = false;
	memset(&parser->head, 0, sizeof(parser->head));
	parser->fields = NULL;
	parser->fields_alloc = 0;
	parser->max_body = parser->set.max_body_size;
	parser->body_size = 0;
	parser->chunk_left = 0;
	parser->chunk_digits = 0;
	parser->chunk_line = 0;
	parser->trailer_size = 0;
	parser->body_data = NULL;
	parser->body_len = 0;
	parser->error_status = 0;
	parser->error = NULL;
}

static enum http_parse_result parser_fail(struct http_parser *parser, int status,
					  const char *reason)
{
	parser->state = STATE_ERROR;
	parser->error_status = status;
	parser->error = reason;
	return HTTP_PARSE_ERROR;
}

/* --- the head --- */

/* RFC 9112 3 */
static enum http_parse_result
parser_request_line(struct http_parser *parser, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	const char *method, *target, *version;
	size_t method_len, target_len;

	method = p;
	while (p < end && http_char_is_token((unsigned char)*p))
		p++;
	method_len = (size_t)(p - method);
	if (method_len == 0 || p == end || *p != ' ')
		return parser_fail(parser, 400, "Invalid method");
	target = ++p;
	/* RFC 3986: a URI is visible ASCII; anything else is not a target
	   we could have linked to. */
	while (p < end && *p >= 0x21 && *p <= 0x7e)
		p++;
	target_len = (size_t)(p - target);
	if (target_len == 0 || p == end || *p != ' ')
		return parser_fail(parser, 400, "Invalid request target");
	version = ++p;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3) */
	if (end - version != 8 || memcmp(version, "HTTP/", 5) != 0 ||
	    version[5] < '0' || version[5] > '9' || version[6] != '.' ||
	    version[7] < '0' || version[7] > '9')
		return parser_fail(parser, 400, "Invalid HTTP version");
	if (version[5] != '1')
		return parser_fail(parser, 505, "HTTP version not supported");
	/* a later 1.x is answered as 1.1 (RFC 9110 6.2) */
	parser->head.version_minor = version[7] == '0' ? 0 : 1;
	parser->head.method = p_strndup(parser->head_pool, method, method_len);
	parser->head.target = p_strndup(parser->head_pool, target, target_len);
	parser->have_request_line = true;
	return HTTP_PARSE_NEED_MORE;
}

/* RFC 9112 5 */
static enum http_parse_result
parser_field_line(struct http_parser *parser, const char *line, size_t len)
{
	const char *p = line, *end = line + len, *value, *value_end;
	struct http_field *field;
	size_t name_len;

	if (http_char_is_ows((unsigned char)line[0])) {
		/* obs-fold: RFC 9112 5.2 lets a server reject it with 400 */
		return parser_fail(parser, 400, "Folded header field");
	}
	while (p < end && http_char_is_token((unsigned char)*p))
		p++;
	name_len = (size_t)(p - line);
	if (p < end && http_char_is_ows((unsigned char)*p)) {
		const char *q = p;

		while (q < end && http_char_is_ows((unsigned char)*q))
			q++;
		/* RFC 9112 5.1: MUST be rejected with 400 */
		if (q < end && *q == ':')
			return parser_fail(parser, 400, "Whitespace before colon");
	}
	if (name_len == 0 || p == end || *p != ':')
		return parser_fail(parser, 400, "Invalid header field");
	p++;
	while (p < end && http_char_is_ows((unsigned char)*p))
		p++;
	value = p;
	value_end = end;
	while (value_end > value && http_char_is_ows((unsigned char)value_end[-1]))
		value_end--;
	for (; p < value_end; p++) {
		if (!http_char_is_field_vchar((unsigned char)*p) &&
		    !http_char_is_ows((unsigned char)*p))
			return parser_fail(parser, 400, "Invalid character in a header field");
	}
	if (parser->head.field_count >= parser->set.max_fields)
		return parser_fail(parser, 431, "Too many header fields");
	parser->fields = p_grow(parser->head_pool, parser->fields,
				sizeof(*parser->fields), parser->head.field_count,
				&parser->fields_alloc, 16);
	field = &parser->fields[parser->head.field_count++];
	field->name = p_strndup(parser->head_pool, line, name_len);
	field->value = p_strndup(parser->head_pool, value, (size_t)(value_end - value));
	parser->head.fields = parser->fields;
	return HTTP_PARSE_NEED_MORE;
}

/* Content-Length = 1*DIGIT (RFC 9110 8.6); a value too big to hold is
   only "over every limit". */
static int parse_content_length(const char *value, uint64_t *len_r)
{
	uint64_t n = 0;

	if (*value == '\0')
		return -1;
	for (; *value != '\0'; value++) {
		if (*value < '0' || *value > '9')
			return -1;
		if (n > (UINT64_MAX - 9) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + (uint64_t)(*value - '0');
	}
	*len_r = n;
	return 0;
}

/* Calls fn for every element of a comma-separated list value (RFC 9110
   5.6.1), OWS trimmed, empty elements skipped. Stops when fn returns
   false. */
typedef bool list_element_fn(const char *elem, size_t len, void *context);

static void http_list_foreach(const char *value, list_element_fn *fn, void *context)
{
	while (*value != '\0') {
		const char *start, *end;

		while (*value == ',' || http_char_is_ows((unsigned char)*value))
			value++;
		start = value;
		while (*value != '\0' && *value != ',')
			value++;
		end = value;
		while (end > start && http_char_is_ows((unsigned char)end[-1]))
			end--;
		if (end > start && !fn(start, (size_t)(end - start), context))
			return;
	}
}

struct te_state {
	unsigned int codings;
	unsigned int chunked;
	bool last_is_chunked;
};

static bool te_element(const char *elem, size_t len, void *context)
{
	struct te_state *te = context;
	bool chunked = len == 7 && mem_iequal(elem, "chunked", 7);

	te->codings++;
	if (chunked)
		te->chunked++;
	te->last_is_chunked = chunked;
	return true;
}

/* The empty line arrived: decide the body framing (RFC 9112 6.1-6.3). */
static enum http_parse_result parser_head_end(struct http_parser *parser)
{
	struct http_request_head *head = &parser->head;
	unsigned int hosts = 0, lengths = 0, encodings = 0;
	struct te_state te = { 0, 0, false };
	uint64_t length = 0;

	parser->head_done = true;
	for (unsigned int i = 0; i < head->field_count; i++) {
		const struct http_field *f = &head->fields[i];

		if (str_iequal(f->name, "Host")) {
			hosts++;
		} else if (str_iequal(f->name, "Content-Length")) {
			uint64_t n;

			if (parse_content_length(f->value, &n) < 0)
				return parser_fail(parser, 400, "Invalid Content-Length");
			if (lengths > 0 && n != length)
				return parser_fail(parser, 400, "Conflicting Content-Length");
			length = n;
			lengths++;
		} else if (str_iequal(f->name, "Transfer-Encoding")) {
			encodings++;
			http_list_foreach(f->value, te_element, &te);
		}
	}
	/* RFC 9112 3.2: one Host, and HTTP/1.1 must send it */
	if (hosts > 1 || (hosts == 0 && head->version_minor >= 1))
		return parser_fail(parser, 400, "Missing or repeated Host");
	if (encodings > 0) {
		/* RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty
		   framing; 6.3: together with Content-Length we may reject
		   (and do: one of the two readers would be wrong) */
		if (head->version_minor == 0)
			return parser_fail(parser, 400, "Transfer-Encoding in HTTP/1.0");
		if (lengths > 0)
			return parser_fail(parser, 400,
					   "Both Content-Length and Transfer-Encoding");
		/* RFC 9112 6.3: chunked not last means the length cannot be
		   known (400); chunked twice is not allowed either (7) */
		if (te.codings == 0 || !te.last_is_chunked || te.chunked > 1)
			return parser_fail(parser, 400, "Invalid Transfer-Encoding");
		/* RFC 9112 6.1: a coding we do not know, before chunked */
		if (te.codings > 1)
			return parser_fail(parser, 501, "Transfer-Encoding not supported");
		head->framing = HTTP_BODY_CHUNKED;
	} else if (lengths > 0) {
		head->framing = HTTP_BODY_LENGTH;
		head->content_length = length;
	}
	head->keep_alive = http_request_keep_alive(head);
	head->expect_continue = http_request_expects_continue(head);
	if (head->framing == HTTP_BODY_LENGTH && length > parser->max_body)
		return parser_fail(parser, 413, "Request body too large");
	parser->state = STATE_HEAD_DONE;
	return HTTP_PARSE_HEAD;
}

static enum http_parse_result parser_head_line(struct http_parser *parser)
{
	char *line = parser->line.data != NULL ? parser->line.data : "";
	size_t len = parser->line.used;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* RFC 9112 2.2: a bare CR is invalid; we do not guess */
	if (memchr(line, '\r', len) != NULL)
		return parser_fail(parser, 400, "CR without LF");
	if (!parser->have_request_line) {
		if (len == 0) {
			if (++parser->empty_lines > HTTP_MAX_LEADING_EMPTY_LINES)
				return parser_fail(parser, 400, "Invalid request line");
			parser->head_size = 0;
			return HTTP_PARSE_NEED_MORE;
		}
		return parser_request_line(parser, line, len);
	}
	if (len == 0)
		return parser_head_end(parser);
	return parser_field_line(parser, line, len);
}

static enum http_parse_result
parser_parse_head(struct http_parser *parser, const unsigned char *data,
		  size_t size, size_t *consumed_r)
{
	size_t pos = 0;

	while (pos < size) {
		const unsigned char *lf = memchr(data + pos, '\n', size - pos);
		size_t seg = lf != NULL ? (size_t)(lf - (data + pos)) : size - pos;
		enum http_parse_result ret;

		/* limits before copying: the line never grows past them */
		if (!parser->have_request_line &&
		    parser->line.used + seg > parser->set.max_request_line) {
			*consumed_r = pos;
			return parser_fail(parser, 414, "Request line too long");
		}
		if (parser->head_size + seg + (lf != NULL ? 1 : 0) >
		    parser->set.max_head_size) {
			*consumed_r = pos;
			return parser_fail(parser, 431, "Request header too large");
		}
		buffer_append(&parser->line, data + pos, seg);
		parser->head_size += seg;
		pos += seg;
		if (lf == NULL)
			break;
		pos++;
		parser->head_size++;
		ret = parser_head_line(parser);
		buffer_reset(&parser->line);
		if (ret != HTTP_PARSE_NEED_MORE) {
			*consumed_r = pos;
			return ret;
		}
	}
	*consumed_r = pos;
	return HTTP_PARSE_NEED_MORE;
}

/* --- the body --- */

static enum http_parse_result
parser_body_data(struct http_parser *parser, const unsigned char *data,
		 size_t len)
{
	parser->body_data = data;
	parser->body_len = len;
	parser->body_size += len;
	return HTTP_PARSE_BODY_DATA;
}

/* RFC 9112 7.1 */
static enum http_parse_result
parser_parse_chunked(struct http_parser *parser, const unsigned char *data,
		     size_t size, size_t *consumed_r)
{
	size_t i = 0;

	while (i < size) {
		unsigned char c = data[i];
		int digit;

		switch (parser->state) {
		case STATE_CHUNK_SIZE:
			if (++parser->chunk_line > HTTP_MAX_CHUNK_LINE)
				return parser_fail(parser, 400, "Chunk size line too long");
			digit = hex_value(c);
			if (digit >= 0) {
				if (parser->chunk_left > (UINT64_MAX >> 4))
					return parser_fail(parser, 400, "Invalid chunk size");
				parser->chunk_left = parser->chunk_left * 16 + (uint64_t)digit;
				parser->chunk_digits++;
				i++;
				break;
			}
			if (parser->chunk_digits == 0)
				return parser_fail(parser, 400, "Invalid chunk size");
			if (c == '\r') {
				parser->state = STATE_CHUNK_SIZE_LF;
			} else if (c == ';' || http_char_is_ows(c)) {
				/* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS
				   value ] ): ignored (7.1.1) */
				parser->state = STATE_CHUNK_EXT;
			} else {
				return parser_fail(parser, 400, "Invalid chunk size");
			}
			i++;
			break;
		case STATE_CHUNK_EXT:
			if (++parser->chunk_line > HTTP_MAX_CHUNK_LINE)
				return parser_fail(parser, 400, "Chunk size line too long");
			if (c == '\r')
				parser->state = STATE_CHUNK_SIZE_LF;
			else if (c < 0x20 && c != '\t')
				return parser_fail(parser, 400, "Invalid chunk extension");
			else if (c == 0x7f)
				return parser_fail(parser, 400, "Invalid chunk extension");
			i++;
			break;
		case STATE_CHUNK_SIZE_LF:
			if (c != '\n')
				return parser_fail(parser, 400, "CR without LF");
			i++;
			parser->chunk_line = 0;
			parser->chunk_digits = 0;
			if (parser->chunk_left == 0) {
				parser->state = STATE_TRAILER_START;
				break;
			}
			/* the declared size is enough to know (RFC 9110 15.5.14) */
			if (parser->chunk_left > parser->max_body ||
			    parser->body_size > parser->max_body - parser->chunk_left) {
				*consumed_r = i;
				return parser_fail(parser, 413, "Request body too large");
			}
			parser->state = STATE_CHUNK_DATA;
			break;
		case STATE_CHUNK_DATA: {
			size_t n = size - i;

			if (n > parser->chunk_left)
				n = (size_t)parser->chunk_left;
			parser->chunk_left -= n;
			if (parser->chunk_left == 0)
				parser->state = STATE_CHUNK_DATA_CR;
			*consumed_r = i + n;
			return parser_body_data(parser, data + i, n);
		}
		case STATE_CHUNK_DATA_CR:
			if (c != '\r')
				return parser_fail(parser, 400, "Missing CRLF after chunk data");
			parser->state = STATE_CHUNK_DATA_LF;
			i++;
			break;
		case STATE_CHUNK_DATA_LF:
			if (c != '\n')
				return parser_fail(parser, 400, "Missing CRLF after chunk data");
			parser->state = STATE_CHUNK_SIZE;
			i++;
			break;
		case STATE_TRAILER_START:
			if (c == '\r') {
				parser->state = STATE_TRAILER_END_LF;
				i++;
				break;
			}
			parser->state = STATE_TRAILER_LINE;
			/* fall through */
		case STATE_TRAILER_LINE:
			/* trailer fields are read and dropped (RFC 9112 7.1.2:
			   we do not merge them into the head) */
			if (++parser->trailer_size > parser->set.max_head_size)
				return parser_fail(parser, 431, "Trailer section too large");
			if (c == '\r')
				parser->state = STATE_TRAILER_LF;
			else if (c == '\n' || c == '\0')
				return parser_fail(parser, 400, "Invalid trailer field");
			i++;
			break;
		case STATE_TRAILER_LF:
			if (c != '\n')
				return parser_fail(parser, 400, "CR without LF");
			parser->state = STATE_TRAILER_START;
			i++;
			break;
		case STATE_TRAILER_END_LF:
			if (c != '\n')
				return parser_fail(parser, 400, "CR without LF");
			parser->state = STATE_END;
			*consumed_r = i + 1;
			return HTTP_PARSE_END;
		default:
			assert(!"unexpected chunked state");
			return parser_fail(parser, 500, "Internal error");
		}
	}
	*consumed_r = i;
	return HTTP_PARSE_NEED_MORE;
}

enum http_parse_result http_parser_parse(struct http_parser *parser,
					 const unsigned char *data, size_t size,
					 size_t *consumed_r)
{
	*consumed_r = 0;
	parser->body_data = NULL;
	parser->body_len = 0;
	switch (parser->state) {
	case STATE_HEAD_LINE:
		return parser_parse_head(parser, data, size, consumed_r);
	case STATE_HEAD_DONE:
		switch (parser->head.framing) {
		case HTTP_BODY_NONE:
			parser->state = STATE_END;
			return HTTP_PARSE_END;
		case HTTP_BODY_LENGTH:
			parser->state = STATE_BODY_LENGTH;
			break;
		case HTTP_BODY_CHUNKED:
			parser->state = STATE_CHUNK_SIZE;
			break;
		}
		return http_parser_parse(parser, data, size, consumed_r);
	case STATE_BODY_LENGTH: {
		uint64_t left = parser->head.content_length - parser->body_size;
		size_t n = size;

		if (left == 0) {
			parser->state = STATE_END;
			return HTTP_PARSE_END;
		}
		if (n == 0)
			return HTTP_PARSE_NEED_MORE;
		if (n > left)
			n = (size_t)left;
		*consumed_r = n;
		return parser_body_data(parser, data, n);
	}
	case STATE_END:
	case STATE_ERROR:
		assert(!"http_parser_parse() after END or ERROR without a reset");
		return HTTP_PARSE_ERROR;
	default:
		return parser_parse_chunked(parser, data, size, consumed_r);
	}
}

bool http_parser_started(const struct http_parser *parser)
{
	return parser->state != STATE_HEAD_LINE || parser->have_request_line ||
		parser->line.used > 0;
}

const struct http_request_head *http_parser_head(const struct http_parser *parser)
{
	return parser->head_done ? &parser->head : NULL;
}

int http_parser_set_max_body(struct http_parser *parser, uint64_t max)
{
	assert(parser->head_done);
	parser->max_body = max;
	if (parser->state != STATE_ERROR &&
	    parser->head.framing == HTTP_BODY_LENGTH &&
	    parser->head.content_length > max) {
		(void)parser_fail(parser, 413, "Request body too large");
		return -1;
	}
	return 0;
}

void http_parser_body_data(const struct http_parser *parser,
			   const unsigned char **data_r, size_t *len_r)
{
	*data_r = parser->body_data;
	*len_r = parser->body_len;
}

uint64_t http_parser_body_size(const struct http_parser *parser)
{
	return parser->body_size;
}

int http_parser_error(const struct http_parser *parser, const char **reason_r)
{
	*reason_r = parser->error != NULL ? parser->error : "";
	return parser->error_status;
}

/* --- reading a head --- */

const char *http_request_field(const struct http_request_head *head,
			       const char *name)
{
	for (unsigned int i = 0; i < head->field_count; i++) {
		if (str_iequal(head->fields[i].name, name))
			return head->fields[i].value;
	}
	return NULL;
}

struct token_search {
	const char *token;
	size_t token_len;
	bool found;
};

static bool token_element(const char *elem, size_t len, void *context)
{
	struct token_search *s = context;
	const char *semi = memchr(elem, ';', len);

	/* a parameter (";q=1") does not change which token it is */
	if (semi != NULL) {
		len = (size_t)(semi - elem);
		while (len > 0 && http_char_is_ows((unsigned char)elem[len - 1]))
			len--;
	}
	if (len == s->token_len && mem_iequal(elem, s->token, len)) {
		s->found = true;
		return false;
	}
	return true;
}

bool http_request_field_has_token(const struct http_request_head *head,
				  const char *name, const char *token)
{
	struct token_search s = { token, strlen(token), false };

	for (unsigned int i = 0; i < head->field_count && !s.found; i++) {
		if (str_iequal(head->fields[i].name, name))
			http_list_foreach(head->fields[i].value, token_element, &s);
	}
	return s.found;
}

bool http_request_keep_alive(const struct http_request_head *head)
{
	/* RFC 9112 9.3 */
	if (http_request_field_has_token(head, "Connection", "close"))
		return false;
	if (head->version_minor >= 1)
		return true;
	return http_request_field_has_token(head, "Connection", "keep-alive");
}

bool http_request_expects_continue(const struct http_request_head *head)
{
	/* RFC 9110 10.1.1: ignored in HTTP/1.0, pointless without content */
	if (head->version_minor == 0)
		return false;
	if (head->framing == HTTP_BODY_NONE ||
	    (head->framing == HTTP_BODY_LENGTH && head->content_length == 0))
		return false;
	return http_request_field_has_token(head, "Expect", "100-continue");
}
