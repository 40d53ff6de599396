/*
 * Lines of Dovecot's authentication protocol: fields and their escapes.
 */
#include "auth-socket-parser.h"
#include "buffer.h"
#include "strutil.h"

#include <string.h>

/* Undo the \001 escapes of one field in place. */
static int auth_socket_unescape(char *field)
{
	char *in = field, *out = field;

	while (*in != '\0') {
		if (*in != '\001') {
			*out++ = *in++;
			continue;
		}
		switch (in[1]) {
		case '1':
			*out++ = '\001';
			break;
		case 't':
			*out++ = '\t';
			break;
		case 'r':
			*out++ = '\r';
			break;
		case 'n':
			*out++ = '\n';
			break;
		default:
			return -1;
		}
		in += 2;
	}
	*out = '\0';
	return 0;
}

int auth_socket_line_parse(char *line, size_t len, struct auth_socket_line *line_r,
			   const char **error_r)
{
	char *p = line, *end = line + len;
	unsigned int n = 0;

	memset(line_r, 0, sizeof(*line_r));
	if (len == 0) {
		*error_r = "empty line";
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "NUL in line";
		return -1;
	}
	line[len] = '\0';
	for (;;) {
		char *tab = memchr(p, '\t', (size_t)(end - p));

		if (n == AUTH_SOCKET_MAX_FIELDS) {
			*error_r = "too many fields";
			return -1;
		}
		if (tab != NULL)
			*tab = '\0';
		if (auth_socket_unescape(p) < 0) {
			*error_r = "bad escape";
			return -1;
		}
		if (n == 0)
			line_r->cmd = p;
		else
			line_r->args[n - 1] = p;
		n++;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	line_r->argc = n - 1;
	return 0;
}

int auth_socket_id_parse(const char *str, unsigned int *id_r)
{
	uint64_t id;

	if (str[0] == '0' || str_to_u64(str, 0xffffffffULL, &id) < 0 || id == 0)
		return -1;
	*id_r = (unsigned int)id;
	return 0;
}

int auth_socket_request_parse(const struct auth_socket_line *line,
			      struct auth_socket_request *request_r,
			      const char **error_r)
{
	struct auth_socket_request *r = request_r;

	memset(r, 0, sizeof(*r));
	if (line->argc < 2 || auth_socket_id_parse(line->args[0], &r->id) < 0 ||
	    line->args[1][0] == '\0') {
		*error_r = "AUTH needs an id and a mechanism";
		return -1;
	}
	r->mech = line->args[1];
	for (unsigned int i = 2; i < line->argc; i++) {
		const char *arg = line->args[i];

		if (str_begins(arg, "service="))
			r->service = arg + 8;
		else if (str_begins(arg, "rip="))
			r->rip = arg + 4;
		else if (str_begins(arg, "resp="))
			r->resp = arg + 5;
		else if (strcmp(arg, "secured") == 0 || str_begins(arg, "secured="))
			r->secured = true;
	}
	return 0;
}

void auth_socket_escape(struct buffer *out, const char *value)
{
	for (const char *p = value; *p != '\0'; p++) {
		switch (*p) {
		case '\001':
			buffer_append(out, "\0011", 2);
			break;
		case '\t':
			buffer_append(out, "\001t", 2);
			break;
		case '\r':
			buffer_append(out, "\001r", 2);
			break;
		case '\n':
			buffer_append(out, "\001n", 2);
			break;
		default:
			buffer_append_c(out, *p);
			break;
		}
	}
}
