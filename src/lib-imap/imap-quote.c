#include "imap-quote.h"
#include "buffer.h"

#include <string.h>
#include <strings.h>

bool imap_is_atom_char(unsigned char c)
{
	/* ATOM-CHAR: any CHAR except atom-specials:
	   ( ) { SP CTL % * " \ ] */
	if (c <= 0x20 || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*':
	case '"': case '\\': case ']':
		return false;
	default:
		return true;
	}
}

bool imap_is_quotable(const char *value, size_t len)
{
	/* Long values go as literals: easier on clients' line limits. */
	if (len > 1024)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return false;
	}
	return true;
}

static void imap_append_quoted_raw(struct buffer *buf, const char *value, size_t len)
{
	buffer_append_c(buf, '"');
	for (size_t i = 0; i < len; i++) {
		char c = value[i];

		if (c == '"' || c == '\\')
			buffer_append_c(buf, '\\');
		if (c == '\r' || c == '\n' || c == '\0')
			c = ' ';
		buffer_append_c(buf, c);
	}
	buffer_append_c(buf, '"');
}

void imap_append_nstring_len(struct buffer *buf, const char *value, size_t len)
{
	if (value == NULL) {
		buffer_append(buf, "NIL", 3);
		return;
	}
	if (imap_is_quotable(value, len)) {
		imap_append_quoted_raw(buf, value, len);
	} else {
		buffer_printf(buf, "{%zu}\r\n", len);
		buffer_append(buf, value, len);
	}
}

void imap_append_nstring(struct buffer *buf, const char *value)
{
	imap_append_nstring_len(buf, value, value != NULL ? strlen(value) : 0);
}

void imap_append_string(struct buffer *buf, const char *value)
{
	imap_append_nstring(buf, value != NULL ? value : "");
}

void imap_append_quoted(struct buffer *buf, const char *value)
{
	imap_append_quoted_raw(buf, value, strlen(value));
}

void imap_append_astring(struct buffer *buf, const char *value)
{
	size_t len = strlen(value);
	bool atom = len > 0;

	for (size_t i = 0; i < len && atom; i++)
		atom = imap_is_atom_char((unsigned char)value[i]);
	/* "NIL" as an atom would read as NIL */
	if (atom && !(len == 3 && strncasecmp(value, "NIL", 3) == 0))
		buffer_append(buf, value, len);
	else
		imap_append_string(buf, value);
}
