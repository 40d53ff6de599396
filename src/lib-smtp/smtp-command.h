#ifndef INFOSTORE_SMTP_COMMAND_H
#define INFOSTORE_SMTP_COMMAND_H

/*
 * The SMTP/LMTP command reader: bytes in, one parsed command out. No I/O.
 *
 *   parser = smtp_command_parser_create(max_line);
 *   ret = smtp_command_parser_parse(parser, data, size, &consumed, &cmd, &err);
 *
 * The caller feeds whatever bytes it has; the parser takes bytes up to the
 * end of one command line (or all of them, buffering a partial line) and
 * says how many it took, so pipelined input after a command stays with the
 * caller (for DATA/BDAT content, or the next call). Syntax is checked
 * strictly against RFC 5321 4.1 (and RFC 1869, 6152, 6531, 3030, 2033);
 * whether a command is allowed now is the protocol's business.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smtp_command_parser;

enum smtp_verb {
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_LHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
};
#define SMTP_VERB_COUNT (SMTP_VERB_AUTH + 1)

enum smtp_body {
	SMTP_BODY_NONE,       /* no BODY= parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,   /* RFC 6152 */
};

struct smtp_command {
	enum smtp_verb verb;
	/* HELO/EHLO/LHLO: the domain; VRFY, EXPN, HELP, NOOP, AUTH: the rest
	   of the line ("" if none); MAIL/RCPT: the mailbox ("" for <>) */
	const char *arg;
	/* MAIL/RCPT: the path holds UTF-8 (needs SMTPUTF8 on MAIL; RFC 6531
	   3.5 says to answer 553 5.6.7 otherwise). The parser rejects it on
	   MAIL itself; for RCPT the transaction decides. */
	bool utf8_path;
	/* MAIL parameters (RFC 1869 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8) */
	bool size_given;
	uint64_t size;
	enum smtp_body body;
	bool smtputf8;
	/* BDAT (RFC 3030) */
	uint64_t chunk_size;
	bool last;
};

/* What to answer a line that is not a valid command. */
struct smtp_command_error {
	unsigned int code;       /* 500, 501, 504, 553, 555 */
	const char *enhanced;    /* RFC 3463, e.g. "5.5.2" */
	const char *text;        /* static */
};

/* Largest BDAT chunk size accepted as a number (2^62). */
#define SMTP_BDAT_SIZE_MAX ((uint64_t)1 << 62)

/* max_line: the longest command line, CRLF included (at least 512,
   RFC 5321 4.5.3.1.4). */
struct smtp_command_parser *smtp_command_parser_create(size_t max_line);
void smtp_command_parser_destroy(struct smtp_command_parser **parser);

/*
 * Parse from data (size bytes). *consumed_r: bytes taken from data.
 *   1: a command in *cmd_r; its strings live until the next call.
 *   0: no complete line yet; every byte was taken (a partial line is kept).
 *  -1: a complete line was not a valid command, or was too long (then the
 *      rest of it is thrown away as it arrives, and the error comes once
 *      the end of the line has been seen): *error_r says what to answer.
 */
int smtp_command_parser_parse(struct smtp_command_parser *parser,
			      const void *data, size_t size, size_t *consumed_r,
			      struct smtp_command *cmd_r,
			      struct smtp_command_error *error_r);

/* Forget a partial line. */
void smtp_command_parser_reset(struct smtp_command_parser *parser);
/* Forget everything buffered and overwrite it first: after an AUTH line,
   whose initial response carries a password (RFC 4954 4). */
void smtp_command_parser_wipe(struct smtp_command_parser *parser);

/* "MAIL", "RCPT", ... */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
