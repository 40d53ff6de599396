/*
 * POP3 command lines (RFC 1939 3, RFC 2449 3-4).
 */
#include "pop3-parser.h"
#include "secret.h"

#include <string.h>

static bool pop3_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int pop3_command_parse(struct pop3_command *cmd, const void *line, size_t len,
		       const char **error_r)
{
	const unsigned char *p = line;
	size_t verb_len = 0, i;
	char *rest, *args, *a;

	cmd->verb[0] = '\0';
	cmd->argc = 0;
	cmd->rest = "";
	if (len > POP3_MAX_COMMAND_LINE) {
		*error_r = "Command line too long.";
		return -1;
	}
	if (len == 0) {
		*error_r = "Empty command.";
		return -1;
	}
	for (i = 0; i < len; i++) {
		/* Control characters have no place in a command; NUL would cut
		   an argument short behind our back. 8-bit bytes are allowed
		   (UTF-8 passwords). */
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*error_r = "Invalid characters in command.";
			return -1;
		}
	}
	while (verb_len < len && p[verb_len] != ' ') {
		if (verb_len == POP3_MAX_VERB || !pop3_is_alpha(p[verb_len])) {
			*error_r = "Unknown command.";
			return -1;
		}
		cmd->verb[verb_len] = (char)(p[verb_len] & ~0x20);
		verb_len++;
	}
	if (verb_len == 0) {
		*error_r = "Unknown command.";
		return -1;
	}
	cmd->verb[verb_len] = '\0';

	/* buf holds two copies of what follows the verb: the rest as sent,
	   and a second one cut into NUL-terminated arguments. */
	rest = cmd->buf;
	i = verb_len < len ? verb_len + 1 : len;
	memcpy(rest, p + i, len - i);
	rest[len - i] = '\0';
	cmd->rest = rest;
	args = rest + (len - i) + 1;
	memcpy(args, rest, len - i + 1);

	for (a = args; *a != '\0'; ) {
		while (*a == ' ')
			a++;
		if (*a == '\0')
			break;
		if (cmd->argc == POP3_MAX_ARGS) {
			cmd->argc++;
			break;
		}
		cmd->args[cmd->argc++] = a;
		while (*a != ' ' && *a != '\0')
			a++;
		if (*a == ' ')
			*a++ = '\0';
	}
	return 0;
}

void pop3_command_wipe(struct pop3_command *cmd)
{
	secret_wipe(cmd->buf, sizeof(cmd->buf));
	cmd->argc = 0;
	cmd->rest = "";
}
