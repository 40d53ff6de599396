#ifndef INFOSTORE_IMAP_PARSER_H
#define INFOSTORE_IMAP_PARSER_H

/*
 * The IMAP command tokenizer (RFC 9051 section 4 and 9): a state machine
 * that does no I/O. The caller feeds it whatever bytes it has; it returns
 * "need more", a complete command line as a tree of arguments, an error
 * with a reason, or a literal event.
 *
 * A command line is tag, command name and arguments, all as arguments: the
 * caller reads the tag and the name from the first two. Strings come as
 * atoms, quoted strings or literals: {n} (synchronising), {n+} (RFC 7888
 * LITERAL+) and ~{n} (RFC 3516 literal8). Lists nest up to a limit.
 *
 * Literals: when the parser has read a literal's header "{n}" and its CRLF,
 * it returns IMAP_PARSE_LITERAL and waits for the caller to decide:
 *   imap_parser_literal_buffer()  keep the bytes in the argument (the usual);
 *   imap_parser_literal_stream()  hand the bytes out as they arrive
 *                                 (IMAP_PARSE_LITERAL_DATA, then
 *                                 IMAP_PARSE_LITERAL_END): APPEND streams a
 *                                 message to the store this way;
 *   imap_parser_literal_reject()  refuse it (the caller has answered the
 *                                 command): a synchronising literal is
 *                                 never sent, so the parser expects a new
 *                                 command; a non-synchronising one is read
 *                                 and thrown away with the rest of its line.
 * For a synchronising literal the caller sends the "+" continuation after
 * choosing buffer or stream.
 *
 * After IMAP_PARSE_ERROR the caller answers BAD and calls
 * imap_parser_reset(); the rest of the bad line is skipped. When
 * imap_parser_is_fatal() the input cannot be resynchronised (a
 * non-synchronising literal beyond every limit) and the caller must close
 * the connection.
 *
 * Memory: the parser lives in the pool given to imap_parser_create(); the
 * arguments of a command are allocated from the pool given to
 * imap_parser_reset() and live until that pool is cleared.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

enum imap_arg_type {
	IMAP_ARG_NIL,      /* the atom NIL (any case) */
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING,   /* quoted string, unescaped */
	IMAP_ARG_LITERAL,  /* {n}, {n+} or ~{n} */
	IMAP_ARG_LIST,
	IMAP_ARG_EOL,      /* ends every argument array */
};

struct imap_arg {
	enum imap_arg_type type;
	bool literal8;     /* ~{n}: may hold NULs */
	bool streamed;     /* literal handed to the caller; str is "" */
	/* bytes of str (without the NUL that always follows it), or the
	   number of list elements; for a streamed literal its size */
	size_t len;
	union {
		const char *str;              /* NIL, ATOM, STRING, LITERAL */
		const struct imap_arg *list;  /* LIST: len args, then EOL */
	} u;
};

struct imap_parser_settings {
	size_t max_line;          /* command bytes outside literals */
	uint64_t max_literal;     /* non-synchronising literals past this end
				     the connection (imap_parser_is_fatal) */
	size_t max_buffered;      /* literal bytes kept per command */
	unsigned int max_depth;   /* list nesting */
	unsigned int max_args;    /* arguments per command, nested included */
};

enum imap_parse_result {
	IMAP_PARSE_NEED_MORE,     /* everything consumed, no event */
	IMAP_PARSE_LINE,          /* a complete command: imap_parser_args() */
	IMAP_PARSE_LITERAL,       /* a literal header: imap_parser_literal() */
	IMAP_PARSE_LITERAL_DATA,  /* streamed bytes: imap_parser_literal_data() */
	IMAP_PARSE_LITERAL_END,   /* the streamed literal is complete */
	IMAP_PARSE_ERROR,         /* imap_parser_error() */
};

struct imap_parser *imap_parser_create(struct pool *pool,
				       const struct imap_parser_settings *set);
/* Change the limits (tighter before login, wider after). */
void imap_parser_set_limits(struct imap_parser *parser,
			    const struct imap_parser_settings *set);
/* Start a new command whose arguments come from args_pool. After an error
   the rest of the bad line is still skipped. */
void imap_parser_reset(struct imap_parser *parser, struct pool *args_pool);

/*
 * Parse from data. *consumed_r tells how many bytes were used; the caller
 * drops them and calls again with what is left (and more when it arrives).
 * Data passed with LITERAL_DATA points into the caller's data.
 */
enum imap_parse_result imap_parser_parse(struct imap_parser *parser,
					 const unsigned char *data, size_t size,
					 size_t *consumed_r);

/* After IMAP_PARSE_LINE: the top-level arguments, EOL-terminated. At any
   other time (a literal event): those complete so far, not terminated,
   valid until the next parse call. */
const struct imap_arg *imap_parser_args(const struct imap_parser *parser,
					unsigned int *count_r);
/* The tag, if the first argument is complete and an atom; else NULL. */
const char *imap_parser_tag(const struct imap_parser *parser);
/* Nesting depth at the current point (0: top level). */
unsigned int imap_parser_depth(const struct imap_parser *parser);

/* After IMAP_PARSE_LITERAL. */
void imap_parser_literal(const struct imap_parser *parser, uint64_t *size_r,
			 bool *sync_r, bool *binary_r);
/* 0, or -1 if the command's buffered literals would pass max_buffered
   (nothing changes; the caller rejects). */
int imap_parser_literal_buffer(struct imap_parser *parser);
void imap_parser_literal_stream(struct imap_parser *parser);
void imap_parser_literal_reject(struct imap_parser *parser);
/* After IMAP_PARSE_LITERAL_DATA. */
void imap_parser_literal_data(const struct imap_parser *parser,
			      const unsigned char **data_r, size_t *len_r);

/* After IMAP_PARSE_ERROR: why, for the BAD reply. */
const char *imap_parser_error(const struct imap_parser *parser);
bool imap_parser_is_fatal(const struct imap_parser *parser);

/* --- reading arguments --- */

/* atom, quoted or literal (not NIL): *str_r */
bool imap_arg_get_string(const struct imap_arg *arg, const char **str_r);
/* astring: also an atom "NIL" read as the text NIL */
bool imap_arg_get_astring(const struct imap_arg *arg, const char **str_r);
/* nstring: NULL for NIL */
bool imap_arg_get_nstring(const struct imap_arg *arg, const char **str_r);
bool imap_arg_get_atom(const struct imap_arg *arg, const char **str_r);
bool imap_arg_get_list(const struct imap_arg *arg, const struct imap_arg **list_r,
		       unsigned int *count_r);
bool imap_arg_atom_equals(const struct imap_arg *arg, const char *str);

#endif
