#include "web-html.h"
#include "buffer.h"
#include "fatal.h"
#include "strutil.h"

#include <ctype.h>

#include <stdint.h>
#include <string.h>

void html_escape(struct buffer *out, const char *text, size_t len)
{
	size_t start = 0;

	if (text == NULL)
		return;
	if (len == (size_t)-1)
		len = strlen(text);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		const char *ent;

		switch (c) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default:
			if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
				ent = "";
			else if (c == 0x7f)
				ent = "";
			else
				continue;
		}
		buffer_append(out, text + start, i - start);
		buffer_append_str(out, ent);
		start = i + 1;
	}
	buffer_append(out, text + start, len - start);
}

void url_encode_component(struct buffer *out, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	if (text == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		unsigned char c = *p;

		/* RFC 3986 2.3 unreserved */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			buffer_append_c(out, (char)c);
		} else {
			char enc[3] = { '%', hex[c >> 4], hex[c & 15] };

			buffer_append(out, enc, 3);
		}
	}
}

void html_vprintf(struct buffer *out, const char *fmt, va_list args)
{
	const char *p = fmt;

	while (*p != '\0') {
		const char *pct = strchr(p, '%');

		if (pct == NULL) {
			buffer_append_str(out, p);
			return;
		}
		buffer_append(out, p, (size_t)(pct - p));
		switch (pct[1]) {
		case 's':
			html_escape(out, va_arg(args, const char *), (size_t)-1);
			break;
		case 'S': {
			const char *raw = va_arg(args, const char *);

			if (raw != NULL)
				buffer_append_str(out, raw);
			break;
		}
		case 'q': {
			/* percent-encoding leaves only unreserved characters and
			   '%', none of which needs escaping in HTML */
			url_encode_component(out, va_arg(args, const char *));
			break;
		}
		case 'd':
			buffer_printf(out, "%d", va_arg(args, int));
			break;
		case 'u':
			buffer_printf(out, "%u", va_arg(args, unsigned int));
			break;
		case 'L':
			buffer_printf(out, "%lld", (long long)va_arg(args, int64_t));
			break;
		case '%':
			buffer_append_c(out, '%');
			break;
		default:
			fatal("html_printf: bad format \"%s\"", fmt);
		}
		p = pct + 2;
	}
}

void html_printf(struct buffer *out, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	html_vprintf(out, fmt, args);
	va_end(args);
}

/* The length of the web address at text (0 if none starts there). */
static size_t html_url_len(const char *text, size_t len)
{
	size_t n, parens = 0;

	if (len > 8 && mem_iequal(text, "https://", 8))
		n = 8;
	else if (len > 7 && mem_iequal(text, "http://", 7))
		n = 7;
	else
		return 0;
	for (; n < len; n++) {
		unsigned char c = (unsigned char)text[n];

		if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\'' ||
		    c == '`' || c == 0x7f)
			break;
		if (c == '(')
			parens++;
		else if (c == ')' && parens-- == 0)
			break;
	}
	while (n > 0 && strchr(".,;:!?)]", text[n - 1]) != NULL) {
		if (text[n - 1] == ')' && memchr(text, '(', n) != NULL)
			break;
		n--;
	}
	/* a scheme alone is no address */
	return n > 8 || (n > 7 && text[4] == ':') ? n : 0;
}

void html_escape_linkify(struct buffer *out, const char *text, size_t len)
{
	size_t start = 0, i = 0;

	while (i < len) {
		size_t ulen;

		/* an address starts a word */
		if ((text[i] != 'h' && text[i] != 'H') ||
		    (i > 0 && (isalnum((unsigned char)text[i - 1]) || text[i - 1] == '/')) ||
		    (ulen = html_url_len(text + i, len - i)) == 0) {
			i++;
			continue;
		}
		html_escape(out, text + start, i - start);
		buffer_append_str(out, "<a href=\"");
		html_escape(out, text + i, ulen);
		buffer_append_str(out, "\" target=\"_blank\" rel=\"noopener noreferrer\">");
		html_escape(out, text + i, ulen);
		buffer_append_str(out, "</a>");
		i += ulen;
		start = i;
	}
	html_escape(out, text + start, len - start);
}
