/* LMTP input as an LMTP server reads it: command lines (src/lib-smtp's
   command reader, with MAIL/RCPT paths and parameters), DATA content
   (dot-unstuffing, CRLF.CRLF across chunks) and BDAT chunks, in one
   transaction script per input.

   The script is run twice: once as a single read, once in chunks whose
   sizes come from the first input byte. Both runs must produce the same
   events (the parsers' results may not depend on how TCP cut the bytes),
   every call must make progress, and a message read with DATA must come
   back unchanged through smtp_data_stuff() and the reader again. */
#include "buffer.h"
#include "smtp-command.h"
#include "smtp-data.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 1024
#define FUZZ_MAX_MESSAGE (64 * 1024)

enum mode { MODE_COMMAND, MODE_DATA, MODE_BDAT };

struct session {
	struct smtp_command_parser *parser;
	struct smtp_data_reader *reader;
	struct buffer message;
	enum mode mode;
	uint64_t bdat_left;
	uint64_t hash;
};

static void hash_bytes(struct session *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		s->hash = (s->hash ^ p[i]) * 0x100000001b3ULL;
}

static void hash_u64(struct session *s, uint64_t v)
{
	hash_bytes(s, &v, sizeof(v));
}

static void check_round_trip(const struct buffer *message)
{
	struct smtp_data_reader *reader;
	struct buffer stuffed, again;
	size_t consumed;

	/* smtp_data_stuff() turns bare CR/LF into CRLF; only a message
	   without them comes back unchanged */
	for (size_t i = 0; i < message->used; i++) {
		char c = message->data[i];

		if ((c == '\n' && (i == 0 || message->data[i - 1] != '\r')) ||
		    (c == '\r' && (i + 1 >= message->used || message->data[i + 1] != '\n')))
			return;
	}
	if (message->used > 0 && message->data[message->used - 1] != '\n')
		return;
	buffer_init(&stuffed, 0);
	buffer_init(&again, 0);
	reader = smtp_data_reader_create();
	(void)smtp_data_stuff(&stuffed, message->data, message->used);
	if (smtp_data_reader_parse(reader, stuffed.data, stuffed.used, &consumed,
				   &again) != 1 || consumed != stuffed.used ||
	    again.used != message->used ||
	    (again.used > 0 && memcmp(again.data, message->data, again.used) != 0))
		__builtin_trap();
	smtp_data_reader_destroy(&reader);
	buffer_free(&stuffed);
	buffer_free(&again);
}

/* Feed one read's worth of bytes; returns how many were used (all of
   them, or the rest waits for the next read after a mode change). */
static size_t session_feed(struct session *s, const unsigned char *data,
			   size_t size, bool check)
{
	size_t pos = 0;

	while (pos < size) {
		size_t consumed = 0;

		switch (s->mode) {
		case MODE_COMMAND: {
			struct smtp_command cmd;
			struct smtp_command_error err;
			int ret = smtp_command_parser_parse(s->parser, data + pos,
							    size - pos, &consumed,
							    &cmd, &err);

			if (consumed > size - pos || (ret == 0 && consumed != size - pos))
				__builtin_trap();
			if (ret == 1) {
				hash_u64(s, 1000 + cmd.verb);
				if (cmd.arg != NULL)
					hash_bytes(s, cmd.arg, strlen(cmd.arg) + 1);
				hash_u64(s, cmd.size);
				hash_u64(s, (uint64_t)cmd.body << 8 | (uint64_t)cmd.smtputf8 << 4 |
					 (uint64_t)cmd.utf8_path << 2 | cmd.last);
				if (cmd.verb == SMTP_VERB_DATA) {
					s->mode = MODE_DATA;
					smtp_data_reader_reset(s->reader);
					buffer_reset(&s->message);
				} else if (cmd.verb == SMTP_VERB_BDAT) {
					hash_u64(s, cmd.chunk_size);
					s->mode = MODE_BDAT;
					s->bdat_left = cmd.chunk_size;
				}
			} else if (ret < 0) {
				if (err.code < 500 || err.code > 555 || err.text == NULL ||
				    err.enhanced == NULL)
					__builtin_trap();
				hash_u64(s, err.code);
				hash_bytes(s, err.text, strlen(err.text));
			}
			break;
		}
		case MODE_DATA:
			if (smtp_data_reader_parse(s->reader, data + pos, size - pos,
						   &consumed, &s->message) == 1) {
				hash_u64(s, 2000);
				hash_u64(s, smtp_data_reader_size(s->reader));
				hash_bytes(s, s->message.data, s->message.used);
				if (!s->message.overflow) {
					if (smtp_data_reader_size(s->reader) != s->message.used)
						__builtin_trap();
					if (check)
						check_round_trip(&s->message);
				}
				s->mode = MODE_COMMAND;
			} else if (consumed != size - pos) {
				__builtin_trap();
			}
			break;
		case MODE_BDAT:
			consumed = size - pos < s->bdat_left ? size - pos :
				(size_t)s->bdat_left;
			hash_bytes(s, data + pos, consumed);
			s->bdat_left -= consumed;
			if (s->bdat_left == 0) {
				hash_u64(s, 3000);
				s->mode = MODE_COMMAND;
			}
			break;
		}
		pos += consumed;
		/* BDAT 0 consumes nothing but changes the mode back */
		if (consumed == 0 && s->mode == MODE_BDAT && s->bdat_left == 0)
			s->mode = MODE_COMMAND;
	}
	if (s->mode == MODE_BDAT && s->bdat_left == 0) {
		hash_u64(s, 3000);
		s->mode = MODE_COMMAND;
	}
	return pos;
}

static uint64_t run(const unsigned char *data, size_t size, size_t chunk,
		    bool check)
{
	struct session s;
	uint64_t hash;

	memset(&s, 0, sizeof(s));
	s.hash = 0xcbf29ce484222325ULL;
	s.parser = smtp_command_parser_create(FUZZ_MAX_LINE);
	s.reader = smtp_data_reader_create();
	buffer_init(&s.message, FUZZ_MAX_MESSAGE);
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (session_feed(&s, data + off, n, check) != n)
			__builtin_trap();
	}
	hash = s.hash ^ (uint64_t)s.mode;
	smtp_command_parser_destroy(&s.parser);
	smtp_data_reader_destroy(&s.reader);
	buffer_free(&s.message);
	return hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size < 1 || size > 256 * 1024)
		return 0;
	chunk = (size_t)data[0] % 17 + 1;
	data++;
	size--;
	if (run(data, size, size > 0 ? size : 1, true) != run(data, size, chunk, false))
		__builtin_trap();
	return 0;
}
