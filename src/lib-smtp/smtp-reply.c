#include "smtp-reply.h"
#include "alloc.h"
#include "buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMTP_REPLY_MAX_LINES 100

void smtp_reply_write(struct buffer *out, unsigned int code,
		      const char *enhanced, const char *text)
{
	const char *line = text;

	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);

		buffer_printf(out, "%03u%c", code, nl != NULL ? '-' : ' ');
		if (enhanced != NULL)
			buffer_printf(out, "%s%s", enhanced, len > 0 ? " " : "");
		for (size_t i = 0; i < len; i++) {
			char c = line[i];

			/* nothing the caller passed may break the framing */
			buffer_append_c(out, c == '\r' || c == '\0' ? ' ' : c);
		}
		buffer_append(out, "\r\n", 2);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
}

void smtp_reply_printf(struct buffer *out, unsigned int code,
		       const char *enhanced, const char *fmt, ...)
{
	struct buffer text;
	va_list args;

	buffer_init(&text, 0);
	va_start(args, fmt);
	buffer_vprintf(&text, fmt, args);
	va_end(args);
	smtp_reply_write(out, code, enhanced, text.data != NULL ? text.data : "");
	buffer_free(&text);
}

struct smtp_reply_parser {
	size_t max_line;
	struct buffer line;      /* partial line */
	struct buffer text;      /* lines of this reply, joined */
	char enhanced[16];
	unsigned int code;
	unsigned int lines;
	bool done;               /* last call returned a reply: start anew */
};

struct smtp_reply_parser *smtp_reply_parser_create(size_t max_line)
{
	struct smtp_reply_parser *parser = xcalloc(1, sizeof(*parser));

	parser->max_line = max_line < 512 ? 512 : max_line;
	buffer_init(&parser->line, parser->max_line);
	buffer_init(&parser->text, 0);
	return parser;
}

void smtp_reply_parser_destroy(struct smtp_reply_parser **_parser)
{
	struct smtp_reply_parser *parser = *_parser;

	if (parser == NULL)
		return;
	*_parser = NULL;
	buffer_free(&parser->line);
	buffer_free(&parser->text);
	free(parser);
}

void smtp_reply_parser_reset(struct smtp_reply_parser *parser)
{
	buffer_reset(&parser->line);
	buffer_reset(&parser->text);
	parser->enhanced[0] = '\0';
	parser->code = 0;
	parser->lines = 0;
	parser->done = false;
}

/* status-code = class "." subject "." detail (RFC 3463 2), with class
   2, 4 or 5 and the same class as the reply code. Length of it, or 0. */
static size_t smtp_enhanced_scan(const char *text, size_t len, unsigned int code)
{
	size_t i = 0;

	if (len < 5 || text[0] < '2' || text[0] > '5' || text[0] == '3' ||
	    (unsigned int)(text[0] - '0') != code / 100 || text[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t start = i;

		while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 3)
			i++;
		if (i == start)
			return 0;
		if (part == 0) {
			if (i >= len || text[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < len && text[i] != ' ')
		return 0;
	return i;
}

/* Reply-line = *( Reply-code "-" [ textstring ] CRLF )
                   Reply-code [ SP textstring ] CRLF    (RFC 5321 4.2) */
static int smtp_reply_parse_line(struct smtp_reply_parser *parser,
				 const char *line, size_t len, bool *last_r,
				 const char **error_r)
{
	unsigned int code;
	const char *text;
	size_t text_len, enh_len;

	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '5' || line[2] < '0' || line[2] > '9') {
		*error_r = "reply does not start with a valid code";
		return -1;
	}
	code = (unsigned int)((line[0] - '0') * 100 + (line[1] - '0') * 10 +
			      (line[2] - '0'));
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		*error_r = "reply code not followed by space or hyphen";
		return -1;
	}
	if (parser->lines > 0 && code != parser->code) {
		*error_r = "reply code changes between lines";
		return -1;
	}
	if (++parser->lines > SMTP_REPLY_MAX_LINES) {
		*error_r = "reply has too many lines";
		return -1;
	}
	parser->code = code;
	*last_r = len == 3 || line[3] == ' ';
	text = len > 4 ? line + 4 : "";
	text_len = len > 4 ? len - 4 : 0;
	enh_len = smtp_enhanced_scan(text, text_len, code);
	if (enh_len > 0) {
		if (parser->lines == 1) {
			memcpy(parser->enhanced, text, enh_len);
			parser->enhanced[enh_len] = '\0';
		}
		text += enh_len;
		text_len -= enh_len;
		if (text_len > 0 && *text == ' ') {
			text++;
			text_len--;
		}
	}
	if (parser->lines > 1)
		buffer_append_c(&parser->text, '\n');
	for (size_t i = 0; i < text_len; i++) {
		char c = text[i];

		buffer_append_c(&parser->text,
				(unsigned char)c < 0x20 || c == 0x7f ? '?' : c);
	}
	return 0;
}

int smtp_reply_parser_parse(struct smtp_reply_parser *parser,
			    const void *data, size_t size, size_t *consumed_r,
			    struct smtp_reply *reply_r, const char **error_r)
{
	const char *p = data;
	size_t i = 0;

	*consumed_r = 0;
	if (parser->done)
		smtp_reply_parser_reset(parser);
	while (i < size) {
		const char *lf = memchr(p + i, '\n', size - i);
		size_t take = lf != NULL ? (size_t)(lf - (p + i)) + 1 : size - i;
		const char *line;
		size_t len;
		bool last;

		if (parser->line.used + take > parser->max_line) {
			*consumed_r = i + take;
			*error_r = "reply line too long";
			return -1;
		}
		buffer_append(&parser->line, p + i, lf != NULL ? take - 1 : take);
		i += take;
		if (lf == NULL)
			break;
		line = parser->line.data;
		len = parser->line.used;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (smtp_reply_parse_line(parser, line, len, &last, error_r) < 0) {
			*consumed_r = i;
			return -1;
		}
		buffer_reset(&parser->line);
		if (last) {
			*consumed_r = i;
			parser->done = true;
			reply_r->code = parser->code;
			reply_r->enhanced = parser->enhanced;
			reply_r->text = parser->text.data != NULL ? parser->text.data : "";
			reply_r->lines = parser->lines;
			return 1;
		}
	}
	*consumed_r = size;
	return 0;
}

const char *smtp_reply_oneline(const struct smtp_reply *reply, struct buffer *out)
{
	buffer_reset(out);
	buffer_printf(out, "%03u", reply->code);
	if (reply->enhanced[0] != '\0')
		buffer_printf(out, " %s", reply->enhanced);
	if (reply->text[0] != '\0')
		buffer_append_c(out, ' ');
	for (const char *p = reply->text; *p != '\0'; p++) {
		if (*p == '\n')
			buffer_append_str(out, " / ");
		else
			buffer_append_c(out, *p);
	}
	return out->data;
}
