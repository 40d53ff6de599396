/* POP3: the command parser, SASL PLAIN decoding and the RETR/TOP
   byte-stuffer, on arbitrary bytes.

   Every line of the input goes through pop3_command_parse() and, as an
   AUTH PLAIN response, through the base64 decoder and the PLAIN splitter
   every protocol shares (src/server/auth-sasl.c);
   the whole input, cut into chunks of input-chosen sizes, goes through the
   stuffer as a stored message, and what a client would make of the result
   must be the input with bare LFs turned into CRLF. */
#include "pop3-parser.h"
#include "auth-sasl.h"
#include "buffer.h"
#include "pop3-stuff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static void check_command(const uint8_t *line, size_t len)
{
	static struct pop3_command cmd;
	const char *error;

	if (pop3_command_parse(&cmd, line, len, &error) < 0) {
		CHECK(error != NULL && error[0] != '\0');
		return;
	}
	CHECK(len <= POP3_MAX_COMMAND_LINE);
	CHECK(strlen(cmd.verb) >= 1 && strlen(cmd.verb) <= POP3_MAX_VERB);
	for (const char *v = cmd.verb; *v != '\0'; v++)
		CHECK(*v >= 'A' && *v <= 'Z');
	CHECK(cmd.argc <= POP3_MAX_ARGS + 1);
	for (unsigned int i = 0; i < cmd.argc && i < POP3_MAX_ARGS; i++) {
		CHECK(cmd.args[i][0] != '\0');
		CHECK(strchr(cmd.args[i], ' ') == NULL);
	}
	/* rest is what followed "VERB " exactly */
	CHECK(strlen(cmd.rest) + strlen(cmd.verb) + (cmd.rest[0] != '\0' ? 1 : 0) <= len);
	if (cmd.rest[0] != '\0')
		CHECK(memcmp(line + len - strlen(cmd.rest), cmd.rest, strlen(cmd.rest)) == 0);
}

static void base64_encode(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		unsigned int v = (unsigned int)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned int)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

static void check_sasl(const uint8_t *line, size_t len)
{
	struct buffer msg;
	char *again;
	const char *authcid, *passwd, *error;

	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (len > 1 && auth_sasl_decode((const char *)line, len, &msg) == 0) {
		/* only canonical base64 is accepted: it must encode back */
		again = malloc(len + 1);
		base64_encode((const unsigned char *)msg.data, msg.used, again);
		CHECK(strlen(again) == len && memcmp(again, line, len) == 0);
		free(again);
		if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					  &error) == 0) {
			CHECK(authcid[0] != '\0' && passwd[0] != '\0');
			CHECK(passwd + strlen(passwd) == msg.data + msg.used);
		}
	}
	auth_sasl_wipe(&msg);
}

/* Feed data in chunks whose sizes come from the data itself. */
static size_t stuff_all(struct pop3_stuff *st, const uint8_t *data, size_t size,
			unsigned char *out)
{
	size_t o = 0, i = 0, k = 0;

	while (i < size && !st->done) {
		size_t chunk = (size_t)data[k++ % size] % 17 + 1;

		if (chunk > size - i)
			chunk = size - i;
		o += pop3_stuff_feed(st, data + i, chunk, out + o);
		i += chunk;
	}
	return o + pop3_stuff_finish(st, out + o);
}

static void check_stuff(const uint8_t *data, size_t size)
{
	unsigned char *out = malloc(POP3_STUFF_OUT_MAX(size) + POP3_STUFF_FINISH_MAX);
	unsigned char *top = malloc(POP3_STUFF_OUT_MAX(size) + POP3_STUFF_FINISH_MAX);
	unsigned char *expect = malloc(size * 2 + 2), *got = malloc(size * 2 + 2);
	size_t olen, tlen, elen = 0, glen = 0, i;
	struct pop3_stuff st;

	pop3_stuff_init(&st);
	olen = stuff_all(&st, data, size, out);
	for (i = 0; i < size; i++) {
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			expect[elen++] = '\r';
		expect[elen++] = data[i];
	}
	if (elen > 0 && expect[elen - 1] != '\n') {
		if (expect[elen - 1] != '\r')
			expect[elen++] = '\r';
		expect[elen++] = '\n';
	}
	/* unstuff as a client does: every line ends in CRLF, a lone "."
	   ends the reply, a leading "." is dropped */
	for (i = 0; i < olen; ) {
		const unsigned char *lf = memchr(out + i, '\n', olen - i);
		size_t llen;

		CHECK(lf != NULL);
		llen = (size_t)(lf - (out + i)) + 1;
		CHECK(llen >= 2 && out[i + llen - 2] == '\r');
		if (llen == 3 && out[i] == '.')
			break;
		if (out[i] == '.') {
			memcpy(got + glen, out + i + 1, llen - 1);
			glen += llen - 1;
		} else {
			memcpy(got + glen, out + i, llen);
			glen += llen;
		}
		i += llen;
	}
	CHECK(i + 3 == olen);
	CHECK(glen == elen && memcmp(got, expect, elen) == 0);

	/* TOP: what it sends is the start of what RETR sends */
	if (size > 0) {
		uint64_t hdr = data[0] % (size + 1), lines = data[size - 1] % 8;

		pop3_stuff_init_top(&st, hdr, lines);
		tlen = stuff_all(&st, data, size, top);
		CHECK(tlen >= 3 && memcmp(top + tlen - 3, ".\r\n", 3) == 0);
		tlen -= 3;
		if (tlen <= olen - 3 && memcmp(top, out, tlen) == 0)
			return free(out), free(top), free(expect), free(got);
		/* or it is that plus the CRLF that ends a cut-off last line */
		CHECK(tlen >= 1 && top[tlen - 1] == '\n');
		tlen -= (tlen >= 2 && top[tlen - 2] == '\r') ? 2 : 1;
		CHECK(memcmp(top, out, tlen) == 0);
	}
	free(out);
	free(top);
	free(expect);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = 0;

	if (size > 64 * 1024)
		return 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || data[i] == '\n') {
			size_t len = i - start;

			if (len > 0 && data[start + len - 1] == '\r')
				len--;
			check_command(data + start, len);
			check_sasl(data + start, len);
			start = i + 1;
		}
	}
	check_stuff(data, size);
	return 0;
}
