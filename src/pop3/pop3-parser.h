#ifndef INFOSTORE_POP3_PARSER_H
#define INFOSTORE_POP3_PARSER_H

/*
 * The POP3 command line parser: one line in (without its CRLF), the verb
 * and its arguments out. No I/O, no allocation: everything lives in the
 * struct pop3_command the caller passes, so a session keeps one.
 *
 * RFC 1939 3: a keyword of three or four characters, case-insensitive,
 * then arguments separated by a single space. We are lenient where that
 * costs nothing (runs of spaces, a trailing space) and strict where it
 * matters (length, control characters).
 */

#include <stdbool.h>
#include <stddef.h>

/* RFC 2449 4 allows clients 255 octets per command line; we take up to
   this many so that long addresses and passwords still fit. Lines longer
   than this are refused before anything is copied. */
#define POP3_MAX_COMMAND_LINE 1024
#define POP3_MAX_VERB 4
/* The most arguments any command takes (TOP msg n, AUTH mech response). */
#define POP3_MAX_ARGS 2

struct pop3_command {
	char verb[POP3_MAX_VERB + 1];   /* upper-cased, NUL-terminated */
	/* Number of space-separated arguments, counted up to
	   POP3_MAX_ARGS + 1 (more is reported as POP3_MAX_ARGS + 1). */
	unsigned int argc;
	const char *args[POP3_MAX_ARGS]; /* NUL-terminated, into buf */
	/* Everything after "VERB " exactly as sent, spaces included ("" if
	   none): PASS takes its password from here (RFC 1939 7). */
	const char *rest;
	char buf[2 * (POP3_MAX_COMMAND_LINE + 1)];
};

/*
 * Parse line[0..len) into cmd. Returns 0, or -1 with *error_r a short text
 * for the client's "-ERR" reply: the line is too long, empty, contains
 * control characters, or its verb is not 1-4 letters.
 * The pointers in cmd stay valid until the next parse into it.
 */
int pop3_command_parse(struct pop3_command *cmd, const void *line, size_t len,
		       const char **error_r);

/* Wipe the command's buffer (it may hold a password). */
void pop3_command_wipe(struct pop3_command *cmd);

#endif
