/* The Postfix authentication socket: lines of Dovecot's authentication
   protocol (auth-socket-parser.c) on arbitrary bytes.

   Every line is split and unescaped; an AUTH line is read as a request.
   What must hold: the fields lie inside the line and hold no TAB that was
   not escaped; escaping a field and reading it back gives the field; a
   request has an id from 1 to 2^32-1 and a mechanism. */
#include "auth-socket-parser.h"
#include "buffer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_line(const uint8_t *data, size_t len)
{
	char *copy = malloc(len + 1);
	struct auth_socket_line line;
	struct auth_socket_request req;
	const char *error;

	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	if (auth_socket_line_parse(copy, len, &line, &error) < 0) {
		CHECK(error != NULL);
		free(copy);
		return;
	}
	CHECK(line.cmd >= copy && line.cmd <= copy + len);
	CHECK(line.argc < AUTH_SOCKET_MAX_FIELDS);
	for (unsigned int i = 0; i < line.argc; i++) {
		struct buffer esc;
		struct auth_socket_line back;
		char *again;

		CHECK(line.args[i] > copy && line.args[i] <= copy + len);
		/* escape, read back: the same field */
		buffer_init(&esc, 0);
		buffer_append_str(&esc, "X\t");
		auth_socket_escape(&esc, line.args[i]);
		CHECK(memchr(esc.data + 2, '\t', esc.used - 2) == NULL);
		CHECK(memchr(esc.data, '\n', esc.used) == NULL);
		again = malloc(esc.used + 1);
		if (again == NULL)
			abort();
		memcpy(again, esc.data, esc.used);
		CHECK(auth_socket_line_parse(again, esc.used, &back, &error) == 0);
		CHECK(back.argc == 1 && strcmp(back.args[0], line.args[i]) == 0);
		free(again);
		buffer_free(&esc);
	}
	if (strcmp(line.cmd, "AUTH") == 0 &&
	    auth_socket_request_parse(&line, &req, &error) == 0) {
		CHECK(req.id >= 1);
		CHECK(req.mech != NULL && req.mech[0] != '\0');
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			check_line(data + start, i - start);
			start = i + 1;
		}
	}
	return 0;
}
