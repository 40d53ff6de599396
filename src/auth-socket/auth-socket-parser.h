#ifndef INFOSTORE_AUTH_SOCKET_PARSER_H
#define INFOSTORE_AUTH_SOCKET_PARSER_H

/*
 * The syntax of Dovecot's authentication protocol (version 1), the one
 * Postfix speaks with smtpd_sasl_type = dovecot: lines of TAB-separated
 * fields, the first the command, values escaped with \001 ("\0011" is
 * \001, "\001t" TAB, "\001r" CR, "\001n" LF). No I/O; what each command
 * does is auth-socket.c's business.
 *
 *   C: VERSION 1 0          C: AUTH 7 PLAIN service=smtp nologin
 *   C: CPID 4711                lip=192.0.2.1 rip=198.51.100.7 secured
 *                               resp=AGFsaWNl...
 *   S: OK 7 user=alice@example.test   (or CONT 7 <base64>, FAIL 7 ...)
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;

/* Fields of one line at most (AUTH has a dozen at most in practice). */
#define AUTH_SOCKET_MAX_FIELDS 32

struct auth_socket_line {
	const char *cmd;
	unsigned int argc;
	const char *args[AUTH_SOCKET_MAX_FIELDS - 1];
};

/*
 * Split line (len bytes, without its LF; a final CR is kept as data) in
 * place at TABs and unescape every field; line must have room for a NUL
 * at len. The strings point into line. 0, or -1 with *error_r (static)
 * for an empty line, a NUL, a bad escape or too many fields.
 */
int auth_socket_line_parse(char *line, size_t len, struct auth_socket_line *line_r,
			   const char **error_r);

/* A request id: decimal, 1 to 2^32-1, no sign, no leading zero. */
int auth_socket_id_parse(const char *str, unsigned int *id_r);

/* AUTH <id> <mechanism> [params]: what infostore reads of it. */
struct auth_socket_request {
	unsigned int id;
	const char *mech;
	const char *service;     /* NULL if not given */
	const char *rip;         /* the client's address, as Postfix saw it */
	const char *resp;        /* base64 initial response, or NULL */
	bool secured;            /* the client's connection is TLS */
};

/* Read an AUTH line's fields. Unknown parameters are ignored (the
   protocol grows by adding them). 0, or -1 with *error_r (static). */
int auth_socket_request_parse(const struct auth_socket_line *line,
			      struct auth_socket_request *request_r,
			      const char **error_r);

/* Append value to out with TAB, CR, LF and \001 escaped. */
void auth_socket_escape(struct buffer *out, const char *value);

#endif
