/*
 * The IMAP command tokenizer: one byte at a time through a small state
 * machine, so that input split anywhere (a TCP segment boundary inside a
 * quoted string, a literal header cut after "{12") gives the same result.
 *
 * Grammar (RFC 9051 9, RFC 7888, RFC 3516):
 *   line    = arg *(SP arg) [SP] CRLF      (a bare LF is accepted)
 *   arg     = atom / quoted / literal / literal8 / "(" [arg *(SP arg)] ")"
 *   literal = "{" number ["+"] "}" CRLF *OCTET
 *   literal8= "~{" number ["+"] "}" CRLF *OCTET
 * Atoms take any byte but SP, CTL, ( ) { and ", so that flags (\Seen),
 * sequence sets (1:*), LIST patterns (%) and astrings (with ]) are atoms.
 * A FETCH section "BODY[HEADER.FIELDS (A B)]<0.10>" is one atom: after
 * BODY[, BODY.PEEK[, BINARY[, BINARY.PEEK[ or BINARY.SIZE[ the atom runs
 * to the closing bracket, spaces and parentheses included.
 */
#include "imap-parser.h"
#include "buffer.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

enum parser_state {
	STATE_ARG,          /* between arguments */
	STATE_ATOM,
	STATE_QUOTED,
	STATE_QUOTED_ESCAPE,
	STATE_TILDE,        /* "~": literal8 or an atom */
	STATE_LITERAL_SIZE, /* after "{" */
	STATE_LITERAL_CLOSE,/* after "+", expecting "}" */
	STATE_LITERAL_CR,   /* after "}" */
	STATE_LITERAL_LF,
	STATE_LITERAL_WAIT, /* event returned; caller decides */
	STATE_LITERAL_DATA,
	STATE_CR,           /* CR at the end of the line */
	STATE_LINE_DONE,    /* event returned */
	STATE_SKIP_LINE,    /* after an error: up to the next LF */
	STATE_FATAL,
};

enum literal_mode {
	LITERAL_BUFFER,
	LITERAL_STREAM,
	LITERAL_DISCARD,
};

struct parser_list {
	struct imap_arg *args;
	unsigned int count, alloc;
};

struct imap_parser {
	struct pool *pool;         /* the parser's own */
	struct pool *args_pool;    /* this command's arguments */
	struct imap_parser_settings set;
	enum parser_state state;

	struct parser_list *stack; /* set.max_depth + 1 levels */
	unsigned int stack_size;
	unsigned int depth;
	unsigned int total_args;
	size_t line_len;
	size_t buffered;
	bool need_sp;              /* an argument just ended */
	bool discard;              /* a rejected literal: keep nothing to EOL */

	struct buffer token;       /* atom or quoted string so far */
	bool bracket;              /* inside BODY[...] */

	uint64_t lit_size, lit_left;
	bool lit_sync, lit_binary, lit_digits, lit_nul;
	enum literal_mode lit_mode;
	char *lit_data;
	const unsigned char *out_data;
	size_t out_len;

	const char *error;
	bool fatal;
};

struct imap_parser *imap_parser_create(struct pool *pool,
				       const struct imap_parser_settings *set)
{
	struct imap_parser *parser = p_new(pool, struct imap_parser, 1);

	parser->pool = pool;
	buffer_init_pool(&parser->token, pool, 0);
	imap_parser_set_limits(parser, set);
	imap_parser_reset(parser, pool);
	return parser;
}

void imap_parser_set_limits(struct imap_parser *parser,
			    const struct imap_parser_settings *set)
{
	unsigned int need;

	parser->set = *set;
	if (parser->set.max_depth == 0)
		parser->set.max_depth = 1;
	need = parser->set.max_depth + 1;
	if (need > parser->stack_size) {
		struct parser_list *stack = p_new(parser->pool, struct parser_list, need);

		if (parser->stack != NULL)
			memcpy(stack, parser->stack, sizeof(*stack) * parser->stack_size);
		parser->stack = stack;
		parser->stack_size = need;
	}
	/* the token never holds more than a line */
	parser->token.limit = parser->set.max_line + 1;
}

void imap_parser_reset(struct imap_parser *parser, struct pool *args_pool)
{
	parser->args_pool = args_pool;
	for (unsigned int i = 0; i < parser->stack_size; i++)
		memset(&parser->stack[i], 0, sizeof(parser->stack[i]));
	parser->depth = 0;
	parser->total_args = 0;
	parser->line_len = 0;
	parser->buffered = 0;
	parser->need_sp = false;
	parser->bracket = false;
	parser->lit_data = NULL;
	parser->out_data = NULL;
	parser->out_len = 0;
	parser->error = NULL;
	buffer_reset(&parser->token);
	/* the token buffer lives in the parser's pool: a long line once
	   must not keep memory for the life of the connection */
	if (parser->token.alloc > 4096) {
		buffer_init_pool(&parser->token, parser->pool, parser->set.max_line + 1);
	}
	if (parser->state == STATE_FATAL)
		return;
	if (parser->discard) {
		/* a rejected non-synchronising literal and the rest of its
		   line are still being thrown away */
		parser->discard = true;
		return;
	}
	if (parser->state != STATE_SKIP_LINE)
		parser->state = STATE_ARG;
}

/* --- building the argument tree --- */

static struct imap_arg *parser_new_arg(struct imap_parser *parser)
{
	struct parser_list *list = &parser->stack[parser->depth];

	/* count + 1: a slot spare past the new argument, where
	   parser_finish_line() puts the EOL without growing the list. */
	list->args = p_grow(parser->args_pool, list->args, sizeof(*list->args),
			    list->count + 1, &list->alloc, 8);
	return &list->args[list->count++];
}

static int parser_fail(struct imap_parser *parser, const char *error)
{
	parser->error = error;
	parser->state = STATE_SKIP_LINE;
	return -1;
}

/* Counts an argument against the limit; -1 past it. */
static int parser_count_arg(struct imap_parser *parser)
{
	if (++parser->total_args > parser->set.max_args)
		return parser_fail(parser, "Too many arguments");
	return 0;
}

static void parser_add_string(struct imap_parser *parser, enum imap_arg_type type,
			      const char *data, size_t len)
{
	struct imap_arg *arg;

	parser->need_sp = true;
	if (parser->discard)
		return;
	arg = parser_new_arg(parser);
	memset(arg, 0, sizeof(*arg));
	arg->type = type;
	arg->len = len;
	arg->u.str = p_strndup(parser->args_pool, data, len);
	if (type == IMAP_ARG_ATOM && len == 3 && mem_iequal(data, "NIL", 3))
		arg->type = IMAP_ARG_NIL;
}

static int parser_open_list(struct imap_parser *parser)
{
	if (parser_count_arg(parser) < 0)
		return -1;
	if (parser->depth >= parser->set.max_depth)
		return parser_fail(parser, "Lists nested too deeply");
	parser->depth++;
	memset(&parser->stack[parser->depth], 0, sizeof(parser->stack[0]));
	parser->need_sp = false;
	return 0;
}

static int parser_close_list(struct imap_parser *parser)
{
	struct parser_list *list;
	struct imap_arg *arg, *args;

	if (parser->depth == 0)
		return parser_fail(parser, "Unexpected ')'");
	list = &parser->stack[parser->depth];
	parser->depth--;
	parser->need_sp = true;
	if (parser->discard)
		return 0;
	args = p_new(parser->args_pool, struct imap_arg, list->count + 1);
	if (list->count > 0)
		memcpy(args, list->args, sizeof(*args) * list->count);
	args[list->count].type = IMAP_ARG_EOL;
	arg = parser_new_arg(parser);
	memset(arg, 0, sizeof(*arg));
	arg->type = IMAP_ARG_LIST;
	arg->len = list->count;
	arg->u.list = args;
	return 0;
}

static void parser_finish_line(struct imap_parser *parser)
{
	struct parser_list *list = &parser->stack[0];
	struct imap_arg *eol;

	if (list->count + 1 > list->alloc) {
		unsigned int na = list->count + 1;

		list->args = p_realloc(parser->args_pool, list->args,
				       sizeof(*list->args) * list->alloc,
				       sizeof(*list->args) * na);
		list->alloc = na;
	}
	eol = &list->args[list->count];
	memset(eol, 0, sizeof(*eol));
	eol->type = IMAP_ARG_EOL;
	parser->state = STATE_LINE_DONE;
}

/* --- atoms --- */

static bool parser_atom_opens_section(const struct buffer *token)
{
	static const char *const prefixes[] = {
		"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK", "BINARY.SIZE",
	};

	for (unsigned int i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t len = strlen(prefixes[i]);

		if (token->used == len && mem_iequal(token->data, prefixes[i], len))
			return true;
	}
	return false;
}

static bool parser_is_atom_char(unsigned char c)
{
	/* RFC 9051 ATOM-CHAR, plus % * ] and \ which astrings, list
	   patterns, sequence sets and flags need; 8-bit for UTF-8 names. */
	if (c <= 0x20 || c == 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

static int parser_atom_char(struct imap_parser *parser, unsigned char c)
{
	if (parser->bracket) {
		if (c == '\r' || c == '\n' || c == '\0') {
			parser_fail(parser, "Missing ']'");
			if (c == '\n')
				parser->state = STATE_ARG;
			return -1;
		}
		if (c == ']')
			parser->bracket = false;
	} else if (c == '[') {
		if (parser_atom_opens_section(&parser->token))
			parser->bracket = true;
	} else if (!parser_is_atom_char(c)) {
		return parser_fail(parser, "Invalid characters in atom");
	}
	if (buffer_append_c(&parser->token, (char)c) < 0)
		return parser_fail(parser, "Too long argument");
	return 0;
}

static bool parser_ends_atom(unsigned char c)
{
	return c == ' ' || c == '\r' || c == '\n' || c == ')';
}

/* --- literals --- */

static int parser_literal_header_done(struct imap_parser *parser)
{
	if (!parser->lit_digits)
		return parser_fail(parser, "Invalid literal size");
	parser->state = STATE_LITERAL_CR;
	return 0;
}

static int parser_literal_ready(struct imap_parser *parser)
{
	if (parser->discard && parser->lit_sync) {
		/* the client waits for a "+" that never comes; its command
		   has been answered, so a new one follows */
		parser->state = STATE_ARG;
		parser->discard = false;
		imap_parser_reset(parser, parser->args_pool);
		return 1;
	}
	if (parser->lit_size > parser->set.max_literal && !parser->lit_sync) {
		/* the bytes are on their way and reading that many to throw
		   them away is not worth it: give up. (A synchronising one
		   goes to the caller, who refuses it before it is sent.) */
		parser->error = "Literal too large";
		parser->fatal = true;
		parser->state = STATE_FATAL;
		return -1;
	}
	parser->lit_left = parser->lit_size;
	if (parser->discard) {
		parser->lit_mode = LITERAL_DISCARD;
		parser->state = STATE_LITERAL_DATA;
		return 0;
	}
	parser->state = STATE_LITERAL_WAIT;
	return 0;
}

void imap_parser_literal(const struct imap_parser *parser, uint64_t *size_r,
			 bool *sync_r, bool *binary_r)
{
	*size_r = parser->lit_size;
	*sync_r = parser->lit_sync;
	*binary_r = parser->lit_binary;
}

int imap_parser_literal_buffer(struct imap_parser *parser)
{
	if (parser->lit_size > parser->set.max_buffered - parser->buffered ||
	    parser->buffered > parser->set.max_buffered)
		return -1;
	parser->buffered += (size_t)parser->lit_size;
	parser->lit_mode = LITERAL_BUFFER;
	parser->lit_data = p_malloc(parser->args_pool, (size_t)parser->lit_size + 1);
	parser->lit_nul = false;
	parser->state = STATE_LITERAL_DATA;
	return 0;
}

void imap_parser_literal_stream(struct imap_parser *parser)
{
	parser->lit_mode = LITERAL_STREAM;
	parser->state = STATE_LITERAL_DATA;
}

void imap_parser_literal_reject(struct imap_parser *parser)
{
	if (parser->lit_sync) {
		parser->state = STATE_ARG;
		parser->depth = 0;
		parser->need_sp = false;
		parser->discard = false;
		parser->line_len = 0;
		return;
	}
	parser->discard = true;
	parser->lit_mode = LITERAL_DISCARD;
	parser->state = STATE_LITERAL_DATA;
}

void imap_parser_literal_data(const struct imap_parser *parser,
			      const unsigned char **data_r, size_t *len_r)
{
	*data_r = parser->out_data;
	*len_r = parser->out_len;
}

static void parser_literal_finished(struct imap_parser *parser)
{
	struct imap_arg *arg;

	parser->need_sp = true;
	parser->state = STATE_ARG;
	if (parser->discard || parser->lit_mode == LITERAL_DISCARD)
		return;
	arg = parser_new_arg(parser);
	memset(arg, 0, sizeof(*arg));
	arg->type = IMAP_ARG_LITERAL;
	arg->literal8 = parser->lit_binary;
	arg->len = (size_t)parser->lit_size;
	if (parser->lit_mode == LITERAL_STREAM) {
		arg->streamed = true;
		arg->u.str = "";
	} else {
		parser->lit_data[parser->lit_size] = '\0';
		arg->u.str = parser->lit_data;
	}
}

/* --- the state machine --- */

/* A byte between arguments. 0: consumed; -1: error. */
static int parser_arg_start(struct imap_parser *parser, unsigned char c)
{
	switch (c) {
	case ' ':
		if (!parser->need_sp)
			return parser_fail(parser, "Unexpected space");
		parser->need_sp = false;
		return 0;
	case '\r':
		parser->state = STATE_CR;
		return 0;
	case '\n':
		if (parser->discard) {
			/* the rejected command's line is over */
			parser->discard = false;
			parser->state = STATE_ARG;
			imap_parser_reset(parser, parser->args_pool);
			return 0;
		}
		if (parser->depth > 0) {
			parser_fail(parser, "Missing ')'");
			/* the LF is consumed: the next line is a new command */
			parser->state = STATE_ARG;
			return -1;
		}
		parser_finish_line(parser);
		return 0;
	case ')':
		return parser_close_list(parser);
	default:
		break;
	}
	if (parser->need_sp)
		return parser_fail(parser, "Missing space between arguments");
	switch (c) {
	case '(':
		return parser_open_list(parser);
	case '"':
		if (parser_count_arg(parser) < 0)
			return -1;
		buffer_reset(&parser->token);
		parser->state = STATE_QUOTED;
		return 0;
	case '{':
		if (parser_count_arg(parser) < 0)
			return -1;
		parser->lit_binary = false;
		parser->lit_size = 0;
		parser->lit_digits = false;
		parser->lit_sync = true;
		parser->state = STATE_LITERAL_SIZE;
		return 0;
	case '~':
		if (parser_count_arg(parser) < 0)
			return -1;
		parser->state = STATE_TILDE;
		return 0;
	default:
		if (parser_count_arg(parser) < 0)
			return -1;
		buffer_reset(&parser->token);
		parser->bracket = false;
		parser->state = STATE_ATOM;
		return parser_atom_char(parser, c);
	}
}

enum imap_parse_result imap_parser_parse(struct imap_parser *parser,
					 const unsigned char *data, size_t size,
					 size_t *consumed_r)
{
	size_t i = 0;
	int ret;

	*consumed_r = 0;
	if (parser->state == STATE_FATAL)
		return IMAP_PARSE_ERROR;
	if (parser->state == STATE_LINE_DONE)
		return IMAP_PARSE_LINE;
	while (i < size) {
		unsigned char c = data[i];

		if (parser->state == STATE_LITERAL_DATA) {
			size_t n = size - i;

			if (n > parser->lit_left)
				n = (size_t)parser->lit_left;
			if (parser->lit_mode == LITERAL_STREAM) {
				if (n == 0) {
					*consumed_r = i;
					parser_literal_finished(parser);
					return IMAP_PARSE_LITERAL_END;
				}
				parser->out_data = data + i;
				parser->out_len = n;
				parser->lit_left -= n;
				*consumed_r = i + n;
				return IMAP_PARSE_LITERAL_DATA;
			}
			if (parser->lit_mode == LITERAL_BUFFER) {
				size_t off = (size_t)(parser->lit_size - parser->lit_left);

				memcpy(parser->lit_data + off, data + i, n);
				if (!parser->lit_binary && memchr(data + i, '\0', n) != NULL)
					parser->lit_nul = true;
			}
			parser->lit_left -= n;
			i += n;
			if (parser->lit_left == 0) {
				if (parser->lit_nul) {
					parser->lit_nul = false;
					parser_fail(parser, "NUL in a literal");
					*consumed_r = i;
					return IMAP_PARSE_ERROR;
				}
				parser_literal_finished(parser);
			}
			continue;
		}
		if (parser->state == STATE_SKIP_LINE) {
			const unsigned char *lf = memchr(data + i, '\n', size - i);

			if (lf == NULL) {
				i = size;
				break;
			}
			i = (size_t)(lf - data) + 1;
			parser->state = STATE_ARG;
			parser->discard = false;
			imap_parser_reset(parser, parser->args_pool);
			continue;
		}
		if (parser->state == STATE_LITERAL_WAIT) {
			/* the caller has not chosen yet */
			*consumed_r = i;
			return IMAP_PARSE_LITERAL;
		}
		if (parser->state == STATE_LINE_DONE) {
			*consumed_r = i;
			return IMAP_PARSE_LINE;
		}

		/* every byte from here on is command text */
		if (++parser->line_len > parser->set.max_line) {
			parser_fail(parser, "Command line too long");
			*consumed_r = i;
			return IMAP_PARSE_ERROR;
		}
		ret = 0;
		switch (parser->state) {
		case STATE_ARG:
			ret = parser_arg_start(parser, c);
			i++;
			if (ret == 0 && parser->state == STATE_LINE_DONE) {
				*consumed_r = i;
				return IMAP_PARSE_LINE;
			}
			break;
		case STATE_ATOM:
			if (!parser->bracket && parser_ends_atom(c)) {
				parser_add_string(parser, IMAP_ARG_ATOM,
						  parser->token.data, parser->token.used);
				parser->state = STATE_ARG;
				/* the byte is not part of the atom: count it again */
				parser->line_len--;
				continue;
			}
			ret = parser_atom_char(parser, c);
			i++;
			break;
		case STATE_QUOTED:
			i++;
			if (c == '"') {
				parser_add_string(parser, IMAP_ARG_STRING,
						  parser->token.data, parser->token.used);
				parser->state = STATE_ARG;
			} else if (c == '\\') {
				parser->state = STATE_QUOTED_ESCAPE;
			} else if (c == '\r' || c == '\n' || c == '\0') {
				ret = parser_fail(parser, "Missing '\"'");
				if (c == '\n')
					parser->state = STATE_ARG;
			} else if (buffer_append_c(&parser->token, (char)c) < 0) {
				ret = parser_fail(parser, "Too long argument");
			}
			break;
		case STATE_QUOTED_ESCAPE:
			i++;
			/* RFC 9051 quoted-specials: only " and \ are escaped */
			if (c != '"' && c != '\\') {
				ret = parser_fail(parser, "Invalid escape in a quoted string");
				if (c == '\n')
					parser->state = STATE_ARG;
			} else if (buffer_append_c(&parser->token, (char)c) < 0) {
				ret = parser_fail(parser, "Too long argument");
			} else {
				parser->state = STATE_QUOTED;
			}
			break;
		case STATE_TILDE:
			if (c == '{') {
				i++;
				parser->lit_binary = true;
				parser->lit_size = 0;
				parser->lit_digits = false;
				parser->lit_sync = true;
				parser->state = STATE_LITERAL_SIZE;
			} else {
				/* an atom that starts with '~' */
				buffer_reset(&parser->token);
				buffer_append_c(&parser->token, '~');
				parser->bracket = false;
				parser->state = STATE_ATOM;
				parser->line_len--;
			}
			break;
		case STATE_LITERAL_SIZE:
			i++;
			if (c >= '0' && c <= '9') {
				/* at most 20 digits fit in 64 bits; stop well
				   before an overflow */
				if (parser->lit_size > (UINT64_MAX - 9) / 10) {
					ret = parser_fail(parser, "Invalid literal size");
					break;
				}
				parser->lit_size = parser->lit_size * 10 + (uint64_t)(c - '0');
				parser->lit_digits = true;
			} else if (c == '+') {
				/* RFC 7888 LITERAL+ */
				parser->lit_sync = false;
				parser->state = STATE_LITERAL_CLOSE;
			} else if (c == '}') {
				ret = parser_literal_header_done(parser);
			} else {
				ret = parser_fail(parser, "Invalid literal size");
				if (c == '\n')
					parser->state = STATE_ARG;
			}
			break;
		case STATE_LITERAL_CLOSE:
			i++;
			if (c == '}') {
				ret = parser_literal_header_done(parser);
			} else {
				ret = parser_fail(parser, "Invalid literal size");
				if (c == '\n')
					parser->state = STATE_ARG;
			}
			break;
		case STATE_LITERAL_CR:
			i++;
			if (c == '\r') {
				parser->state = STATE_LITERAL_LF;
			} else if (c == '\n') {
				parser->state = STATE_LITERAL_LF;
				i--;
				parser->line_len--;
			} else {
				ret = parser_fail(parser, "Missing CRLF after literal size");
			}
			break;
		case STATE_LITERAL_LF:
			i++;
			if (c != '\n') {
				ret = parser_fail(parser, "Missing CRLF after literal size");
				break;
			}
			ret = parser_literal_ready(parser);
			if (ret == -1) {
				*consumed_r = i;
				return IMAP_PARSE_ERROR;
			}
			ret = 0;
			if (parser->state == STATE_LITERAL_WAIT) {
				*consumed_r = i;
				return IMAP_PARSE_LITERAL;
			}
			break;
		case STATE_CR:
			if (c != '\n') {
				ret = parser_fail(parser, "CR without LF");
				break;
			}
			/* the LF is handled as between arguments */
			parser->state = STATE_ARG;
			parser->line_len--;
			continue;
		default:
			break;
		}
		if (ret < 0) {
			if (parser->discard) {
				/* the command was answered already: drop the
				   rest of its line without a word */
				continue;
			}
			*consumed_r = i;
			return IMAP_PARSE_ERROR;
		}
	}
	*consumed_r = i;
	if (parser->state == STATE_LITERAL_DATA && parser->lit_mode == LITERAL_STREAM &&
	    parser->lit_left == 0) {
		parser_literal_finished(parser);
		return IMAP_PARSE_LITERAL_END;
	}
	if (parser->state == STATE_LITERAL_WAIT)
		return IMAP_PARSE_LITERAL;
	return IMAP_PARSE_NEED_MORE;
}

const struct imap_arg *imap_parser_args(const struct imap_parser *parser,
					unsigned int *count_r)
{
	*count_r = parser->stack[0].count;
	return parser->stack[0].args;
}

const char *imap_parser_tag(const struct imap_parser *parser)
{
	const struct parser_list *top = &parser->stack[0];

	if (top->count == 0 || top->args[0].type != IMAP_ARG_ATOM)
		return NULL;
	return top->args[0].u.str;
}

unsigned int imap_parser_depth(const struct imap_parser *parser)
{
	return parser->depth;
}

const char *imap_parser_error(const struct imap_parser *parser)
{
	return parser->error != NULL ? parser->error : "Invalid arguments";
}

bool imap_parser_is_fatal(const struct imap_parser *parser)
{
	return parser->fatal;
}

/* --- reading arguments --- */

bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_STRING &&
	    arg->type != IMAP_ARG_LITERAL)
		return false;
	*str_r = arg->u.str;
	return true;
}

bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*str_r = arg->u.str;
		return true;
	}
	return imap_arg_get_string(arg, str_r);
}

bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*str_r = NULL;
		return true;
	}
	/* RFC 9051 nstring is string / NIL: an atom is not a string */
	if (arg->type != IMAP_ARG_STRING && arg->type != IMAP_ARG_LITERAL)
		return false;
	*str_r = arg->u.str;
	return true;
}

bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
		return false;
	*str_r = arg->u.str;
	return true;
}

bool imap_arg_get_list(const struct imap_arg *arg, const struct imap_arg **list_r,
		       unsigned int *count_r)
{
	if (arg->type != IMAP_ARG_LIST)
		return false;
	*list_r = arg->u.list;
	*count_r = (unsigned int)arg->len;
	return true;
}

bool imap_arg_atom_equals(const struct imap_arg *arg, const char *str)
{
	return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
		str_iequal(arg->u.str, str);
}
