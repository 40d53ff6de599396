/*
 * The command reader. A line is collected (bounded by max_line), split
 * into verb and arguments, and each argument checked against the grammar
 * of RFC 5321 4.1.1 and the extensions we speak. Nothing here knows about
 * sessions: that a MAIL needs an LHLO first is for the protocol to say.
 */
#include "smtp-command.h"
#include "alloc.h"
#include "smtp-address.h"
#include "buffer.h"
#include "secret.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* RFC 5321 4.5.3.1.4: a command line is at least 512 octets; more are
   allowed when extensions add parameters (RFC 1869 4.1.2). */
#define SMTP_COMMAND_LINE_MIN 512
#define SMTP_MAX_PARAMS 10

struct smtp_command_parser {
	size_t max_line;
	struct buffer line;   /* the line being collected, without LF */
	struct buffer arg;    /* the parsed mailbox or argument */
	bool skipping;        /* too long: throwing the rest of the line away */
	bool line_done;       /* line holds a parsed line: clear on next call */
};

static const char *const smtp_verb_names[SMTP_VERB_COUNT] = {
	[SMTP_VERB_HELO] = "HELO",
	[SMTP_VERB_EHLO] = "EHLO",
	[SMTP_VERB_LHLO] = "LHLO",
	[SMTP_VERB_MAIL] = "MAIL",
	[SMTP_VERB_RCPT] = "RCPT",
	[SMTP_VERB_DATA] = "DATA",
	[SMTP_VERB_BDAT] = "BDAT",
	[SMTP_VERB_RSET] = "RSET",
	[SMTP_VERB_NOOP] = "NOOP",
	[SMTP_VERB_QUIT] = "QUIT",
	[SMTP_VERB_VRFY] = "VRFY",
	[SMTP_VERB_EXPN] = "EXPN",
	[SMTP_VERB_HELP] = "HELP",
	[SMTP_VERB_STARTTLS] = "STARTTLS",
	[SMTP_VERB_AUTH] = "AUTH",
};

const char *smtp_verb_name(enum smtp_verb verb)
{
	if ((unsigned int)verb >= SMTP_VERB_COUNT)
		return "?";
	return smtp_verb_names[verb];
}

struct smtp_command_parser *smtp_command_parser_create(size_t max_line)
{
	struct smtp_command_parser *parser = xcalloc(1, sizeof(*parser));

	if (max_line < SMTP_COMMAND_LINE_MIN)
		max_line = SMTP_COMMAND_LINE_MIN;
	parser->max_line = max_line;
	buffer_init(&parser->line, max_line);
	buffer_init(&parser->arg, max_line);
	return parser;
}

void smtp_command_parser_destroy(struct smtp_command_parser **_parser)
{
	struct smtp_command_parser *parser = *_parser;

	if (parser == NULL)
		return;
	*_parser = NULL;
	buffer_free(&parser->line);
	buffer_free(&parser->arg);
	free(parser);
}

void smtp_command_parser_reset(struct smtp_command_parser *parser)
{
	buffer_reset(&parser->line);
	buffer_reset(&parser->arg);
	parser->skipping = false;
	parser->line_done = false;
}

void smtp_command_parser_wipe(struct smtp_command_parser *parser)
{
	if (parser->line.data != NULL)
		secret_wipe(parser->line.data, parser->line.alloc);
	if (parser->arg.data != NULL)
		secret_wipe(parser->arg.data, parser->arg.alloc);
	smtp_command_parser_reset(parser);
}

static int smtp_command_fail(struct smtp_command_error *error_r,
			     unsigned int code, const char *enhanced,
			     const char *text)
{
	error_r->code = code;
	error_r->enhanced = enhanced;
	error_r->text = text;
	return -1;
}

/* The argument of a command that takes free text (VRFY, NOOP, ...). */
static int smtp_command_text_arg(struct smtp_command_parser *parser,
				 const char *rest, bool required,
				 struct smtp_command *cmd_r,
				 struct smtp_command_error *error_r,
				 const char *syntax)
{
	if (*rest == '\0') {
		if (required)
			return smtp_command_fail(error_r, 501, "5.5.4", syntax);
		cmd_r->arg = "";
		return 1;
	}
	if (*rest != ' ' || rest[1] == '\0')
		return smtp_command_fail(error_r, 501, "5.5.4", syntax);
	buffer_append_str(&parser->arg, rest + 1);
	cmd_r->arg = parser->arg.data;
	return 1;
}

/* HELO/EHLO/LHLO SP Domain. We take any one token: the name is only
   recorded in Received:, and RFC 5321 4.1.4 forbids refusing mail over
   it, so real hostnames with underscores are not worth a rejection. */
static int smtp_command_hello(struct smtp_command_parser *parser,
			      const char *rest, struct smtp_command *cmd_r,
			      struct smtp_command_error *error_r)
{
	static const char *const syntax[] = {
		[SMTP_VERB_HELO] = "Syntax: HELO domain",
		[SMTP_VERB_EHLO] = "Syntax: EHLO domain",
		[SMTP_VERB_LHLO] = "Syntax: LHLO domain",
	};
	size_t len;

	if (rest[0] != ' ' || rest[1] == '\0' || strchr(rest + 1, ' ') != NULL)
		return smtp_command_fail(error_r, 501, "5.5.4", syntax[cmd_r->verb]);
	len = strlen(rest + 1);
	if (len > 255)
		return smtp_command_fail(error_r, 501, "5.5.4", "Domain name too long");
	buffer_append(&parser->arg, rest + 1, len);
	cmd_r->arg = parser->arg.data;
	return 1;
}

static bool smtp_param_keyword_ok(const char *kw, size_t len)
{
	if (len == 0 || !((kw[0] >= 'a' && kw[0] <= 'z') ||
			  (kw[0] >= 'A' && kw[0] <= 'Z') ||
			  (kw[0] >= '0' && kw[0] <= '9')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = kw[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed (RFC 6531 3.3) */
static bool smtp_param_value_ok(const char *value, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '=' || c <= ' ' || c == 0x7f)
			return false;
	}
	return true;
}

static bool smtp_has_8bit(const char *str)
{
	for (; *str != '\0'; str++) {
		if ((unsigned char)*str >= 0x80)
			return true;
	}
	return false;
}

/*
 * Mail-parameters = esmtp-param *(SP esmtp-param)   (RFC 5321 4.1.2)
 * MAIL knows SIZE (RFC 1869), BODY (RFC 6152) and SMTPUTF8 (RFC 6531);
 * RCPT knows none (we do not offer DSN). Unknown ones get 555 (RFC 5321
 * 4.1.1.11).
 */
static int smtp_command_params(const char *params, bool is_mail,
			       struct smtp_command *cmd_r,
			       struct smtp_command_error *error_r)
{
	unsigned int count = 0;
	bool body_seen = false;
	const char *p = params;

	for (const char *sp = strchr(params, ' '); sp != NULL; sp = strchr(sp + 1, ' ')) {
		if (++count > SMTP_MAX_PARAMS)
			return smtp_command_fail(error_r, 501, "5.5.4",
						 "Too many parameters");
	}
	while (*p != '\0') {
		const char *end, *eq;
		size_t kw_len, val_len;
		const char *val;

		if (*p != ' ' || p[1] == ' ' || p[1] == '\0')
			return smtp_command_fail(error_r, 501, "5.5.4",
						 "Invalid parameter syntax");
		p++;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		kw_len = eq != NULL ? (size_t)(eq - p) : (size_t)(end - p);
		val = eq != NULL ? eq + 1 : NULL;
		val_len = eq != NULL ? (size_t)(end - val) : 0;
		if (!smtp_param_keyword_ok(p, kw_len) ||
		    (val != NULL && !smtp_param_value_ok(val, val_len)))
			return smtp_command_fail(error_r, 501, "5.5.4",
						 "Invalid parameter syntax");
		if (!is_mail)
			return smtp_command_fail(error_r, 555, "5.5.4",
						 "Unsupported RCPT TO parameter");
		if (kw_len == 4 && mem_iequal(p, "SIZE", 4)) {
			if (cmd_r->size_given)
				return smtp_command_fail(error_r, 501, "5.5.4",
							 "SIZE given twice");
			if (val == NULL || val_len > 20 ||
			    mem_to_u64(val, val_len, UINT64_MAX, &cmd_r->size) < 0)
				return smtp_command_fail(error_r, 501, "5.5.4",
							 "Syntax: SIZE=<number>");
			cmd_r->size_given = true;
		} else if (kw_len == 4 && mem_iequal(p, "BODY", 4)) {
			if (body_seen)
				return smtp_command_fail(error_r, 501, "5.5.4",
							 "BODY given twice");
			body_seen = true;
			if (val_len == 4 && mem_iequal(val, "7BIT", 4))
				cmd_r->body = SMTP_BODY_7BIT;
			else if (val_len == 8 && mem_iequal(val, "8BITMIME", 8))
				cmd_r->body = SMTP_BODY_8BITMIME;
			else
				return smtp_command_fail(error_r, 555, "5.5.4",
							 "Unsupported BODY type");
		} else if (kw_len == 8 && mem_iequal(p, "SMTPUTF8", 8)) {
			if (val != NULL)
				return smtp_command_fail(error_r, 501, "5.5.4",
							 "SMTPUTF8 takes no value");
			if (cmd_r->smtputf8)
				return smtp_command_fail(error_r, 501, "5.5.4",
							 "SMTPUTF8 given twice");
			cmd_r->smtputf8 = true;
		} else {
			return smtp_command_fail(error_r, 555, "5.5.4",
						 "Unsupported MAIL FROM parameter");
		}
		p = end;
	}
	return 1;
}

/* "MAIL FROM:" Reverse-path [SP Mail-parameters] and
   "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path )
   [SP Rcpt-parameters] */
static int smtp_command_mail_rcpt(struct smtp_command_parser *parser,
				  const char *line, struct smtp_command *cmd_r,
				  struct smtp_command_error *error_r)
{
	bool is_mail = cmd_r->verb == SMTP_VERB_MAIL;
	const char *prefix = is_mail ? "MAIL FROM:" : "RCPT TO:";
	const char *syntax = is_mail ?
		"Syntax: MAIL FROM:<address> [SIZE=n] [BODY=8BITMIME] [SMTPUTF8]" :
		"Syntax: RCPT TO:<address>";
	const char *bad_path = is_mail ? "5.1.7" : "5.1.3";
	size_t prefix_len = strlen(prefix), consumed;
	const char *path;
	int ret;

	if (!str_begins_icase(line, prefix))
		return smtp_command_fail(error_r, 501, "5.5.4", syntax);
	path = line + prefix_len;
	if (*path != '<')
		return smtp_command_fail(error_r, 501, "5.5.4", syntax);
	switch (smtp_path_parse(path, strlen(path),
				SMTP_PATH_UTF8 | (is_mail ? SMTP_PATH_ALLOW_NULL :
						  SMTP_PATH_ALLOW_POSTMASTER),
				&parser->arg, &consumed)) {
	case SMTP_PATH_OK:
		break;
	case SMTP_PATH_TOO_LONG:
		return smtp_command_fail(error_r, 501, bad_path, "Path too long");
	case SMTP_PATH_SYNTAX:
	case SMTP_PATH_NON_ASCII:
		return smtp_command_fail(error_r, 501, bad_path,
					 is_mail ? "Bad sender address syntax" :
					 "Bad recipient address syntax");
	}
	cmd_r->arg = parser->arg.data;
	cmd_r->utf8_path = smtp_has_8bit(cmd_r->arg);
	ret = smtp_command_params(path + consumed, is_mail, cmd_r, error_r);
	if (ret < 0)
		return ret;
	/* RFC 6531 3.5 */
	if (is_mail && cmd_r->utf8_path && !cmd_r->smtputf8)
		return smtp_command_fail(error_r, 553, "5.6.7",
					 "Non-ASCII address needs SMTPUTF8");
	return 1;
}

/* "BDAT" SP chunk-size [ SP end-marker ]   (RFC 3030 3) */
static int smtp_command_bdat(const char *rest, struct smtp_command *cmd_r,
			     struct smtp_command_error *error_r)
{
	static const char syntax[] = "Syntax: BDAT <size> [LAST]";
	const char *num = rest + 1, *end;
	size_t len;

	if (rest[0] != ' ')
		return smtp_command_fail(error_r, 501, "5.5.4", syntax);
	end = strchr(num, ' ');
	len = end != NULL ? (size_t)(end - num) : strlen(num);
	if (len == 0 || len > 20 ||
	    mem_to_u64(num, len, SMTP_BDAT_SIZE_MAX, &cmd_r->chunk_size) < 0)
		return smtp_command_fail(error_r, 501, "5.5.4", syntax);
	if (end != NULL) {
		if (!str_iequal(end + 1, "LAST"))
			return smtp_command_fail(error_r, 501, "5.5.4", syntax);
		cmd_r->last = true;
	}
	return 1;
}

static int smtp_command_parse_line(struct smtp_command_parser *parser,
				   const char *line, size_t len,
				   struct smtp_command *cmd_r,
				   struct smtp_command_error *error_r)
{
	const char *rest;
	size_t verb_len;
	unsigned int v;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			return smtp_command_fail(error_r, 501, "5.5.2",
						 "Control characters in command");
	}
	if (!str_utf8_valid(line, len))
		return smtp_command_fail(error_r, 501, "5.5.2",
					 "Invalid UTF-8 in command");
	rest = memchr(line, ' ', len);
	verb_len = rest != NULL ? (size_t)(rest - line) : len;
	if (rest == NULL)
		rest = line + len;
	for (v = 0; v < SMTP_VERB_COUNT; v++) {
		if (strlen(smtp_verb_names[v]) == verb_len &&
		    mem_iequal(line, smtp_verb_names[v], verb_len))
			break;
	}
	if (v == SMTP_VERB_COUNT)
		return smtp_command_fail(error_r, 500, "5.5.1", "Unknown command");
	cmd_r->verb = (enum smtp_verb)v;

	switch (cmd_r->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
	case SMTP_VERB_LHLO:
		return smtp_command_hello(parser, rest, cmd_r, error_r);
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RCPT:
		return smtp_command_mail_rcpt(parser, line, cmd_r, error_r);
	case SMTP_VERB_BDAT:
		return smtp_command_bdat(rest, cmd_r, error_r);
	case SMTP_VERB_DATA:
	case SMTP_VERB_RSET:
	case SMTP_VERB_QUIT:
	case SMTP_VERB_STARTTLS:
		/* RFC 5321 4.1.1.4, 4.1.1.5, 4.1.1.10: no arguments */
		if (*rest != '\0') {
			static const char *const syntax[] = {
				[SMTP_VERB_DATA] = "Syntax: DATA",
				[SMTP_VERB_RSET] = "Syntax: RSET",
				[SMTP_VERB_QUIT] = "Syntax: QUIT",
				[SMTP_VERB_STARTTLS] = "Syntax: STARTTLS",
			};
			return smtp_command_fail(error_r, 501, "5.5.4",
						 syntax[cmd_r->verb]);
		}
		cmd_r->arg = "";
		return 1;
	case SMTP_VERB_NOOP:
		return smtp_command_text_arg(parser, rest, false, cmd_r, error_r,
					     "Syntax: NOOP [string]");
	case SMTP_VERB_HELP:
		return smtp_command_text_arg(parser, rest, false, cmd_r, error_r,
					     "Syntax: HELP [string]");
	case SMTP_VERB_VRFY:
		return smtp_command_text_arg(parser, rest, true, cmd_r, error_r,
					     "Syntax: VRFY string");
	case SMTP_VERB_EXPN:
		return smtp_command_text_arg(parser, rest, true, cmd_r, error_r,
					     "Syntax: EXPN string");
	case SMTP_VERB_AUTH:
		return smtp_command_text_arg(parser, rest, true, cmd_r, error_r,
					     "Syntax: AUTH mechanism");
	}
	return smtp_command_fail(error_r, 500, "5.5.1", "Unknown command");
}

int smtp_command_parser_parse(struct smtp_command_parser *parser,
			      const void *data, size_t size, size_t *consumed_r,
			      struct smtp_command *cmd_r,
			      struct smtp_command_error *error_r)
{
	const char *lf;
	size_t take;
	const char *line;
	size_t len;

	memset(cmd_r, 0, sizeof(*cmd_r));
	*consumed_r = 0;
	if (parser->line_done) {
		buffer_reset(&parser->line);
		parser->line_done = false;
	}
	buffer_reset(&parser->arg);
	buffer_append_str(&parser->arg, "");

	lf = size > 0 ? memchr(data, '\n', size) : NULL;
	if (parser->skipping) {
		if (lf == NULL) {
			*consumed_r = size;
			return 0;
		}
		*consumed_r = (size_t)(lf - (const char *)data) + 1;
		parser->skipping = false;
		/* RFC 5321 4.5.3.1.4 */
		return smtp_command_fail(error_r, 500, "5.5.2", "Line too long");
	}
	if (lf == NULL) {
		/* the LF is still to come, so a line this long cannot fit */
		if (parser->line.used + size >= parser->max_line) {
			buffer_reset(&parser->line);
			parser->skipping = true;
		} else {
			buffer_append(&parser->line, data, size);
		}
		*consumed_r = size;
		return 0;
	}
	take = (size_t)(lf - (const char *)data) + 1;
	*consumed_r = take;
	if (parser->line.used + take > parser->max_line) {
		buffer_reset(&parser->line);
		return smtp_command_fail(error_r, 500, "5.5.2", "Line too long");
	}
	buffer_append(&parser->line, data, take - 1);
	parser->line_done = true;
	line = parser->line.data;
	len = parser->line.used;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	/* the line is NUL-terminated at len for the helpers */
	parser->line.data[len] = '\0';
	if (memchr(line, '\0', len) != NULL)
		return smtp_command_fail(error_r, 501, "5.5.2",
					 "Control characters in command");
	return smtp_command_parse_line(parser, line, len, cmd_r, error_r);
}
