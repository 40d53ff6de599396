/*
 * AUTHENTICATE PLAIN (RFC 9051 6.2.2, RFC 4616) with the initial response
 * on the command line (RFC 4959 SASL-IR) or after a "+" continuation.
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-login.h"
#include "pool.h"
#include "secret.h"
#include "strutil.h"

#include <string.h>

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64 with padding. The output is NUL-terminated; -1 if bad. */
static int base64_decode(struct pool *pool, const char *in, size_t len,
			 unsigned char **out_r, size_t *out_len_r)
{
	unsigned char *out;
	size_t n = 0;

	if (len % 4 != 0)
		return -1;
	out = p_malloc(pool, len / 4 * 3 + 1);
	for (size_t i = 0; i < len; i += 4) {
		int v[4];

		for (int j = 0; j < 4; j++) {
			v[j] = in[i + j] == '=' && i + 4 == len && j >= 2 ?
				-2 : base64_value(in[i + j]);
			if (v[j] == -1)
				return -1;
		}
		if (v[2] == -2 && v[3] != -2)
			return -1;
		out[n++] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
		if (v[2] != -2)
			out[n++] = (unsigned char)(((v[1] & 0xf) << 4) | (v[2] >> 2));
		if (v[3] != -2)
			out[n++] = (unsigned char)(((v[2] & 0x3) << 6) | v[3]);
	}
	out[n] = '\0';
	*out_r = out;
	*out_len_r = n;
	return 0;
}

/* message = [authzid] NUL authcid NUL passwd (RFC 4616 2) */
static bool authenticate_plain(struct imap_command *cmd, const char *response,
			       size_t len)
{
	unsigned char *data;
	const char *authzid, *authcid, *password, *end;
	size_t data_len;

	if (len == 1 && response[0] == '*') {
		/* RFC 9051 6.2.2: the client cancelled */
		imap_command_bad(cmd, "Authentication aborted by client.");
		return true;
	}
	if (len == 1 && response[0] == '=')
		len = 0;
	if (base64_decode(cmd->pool, response, len, &data, &data_len) < 0) {
		imap_command_bad(cmd, "Invalid base64 data.");
		return true;
	}
	end = (const char *)data + data_len;
	authzid = (const char *)data;
	authcid = memchr(authzid, '\0', data_len) != NULL ?
		authzid + strlen(authzid) + 1 : NULL;
	password = authcid != NULL && authcid < end &&
		memchr(authcid, '\0', (size_t)(end - authcid)) != NULL ?
		authcid + strlen(authcid) + 1 : NULL;
	if (password == NULL || password > end ||
	    memchr(password, '\0', (size_t)(end - password)) != NULL) {
		secret_wipe(data, data_len);
		imap_command_reply(cmd, "NO", "AUTHENTICATIONFAILED",
				   "Invalid PLAIN response.");
		return true;
	}
	/* acting as another user is not supported */
	if (*authzid != '\0' && !str_iequal(authzid, authcid)) {
		secret_wipe(data, data_len);
		imap_command_reply(cmd, "NO", "AUTHORIZATIONFAILED",
				   "Authorization identity not allowed.");
		return true;
	}
	imap_login_verify(cmd, authcid, password);
	secret_wipe(data, data_len);
	return false;
}

static bool authenticate_line(struct imap_command *cmd, const char *line, size_t len)
{
	/* the line lives in the input buffer: copy what we keep */
	char *copy = p_strndup(cmd->pool, line, len);
	bool done = authenticate_plain(cmd, copy, len);

	secret_wipe(copy, len);
	return done;
}

bool cmd_authenticate(struct imap_command *cmd)
{
	const char *mech, *ir = NULL;

	if (!imap_arg_get_atom(&cmd->args[0], &mech)) {
		imap_command_bad(cmd, "Missing authentication mechanism.");
		return true;
	}
	if (cmd->args[1].type != IMAP_ARG_EOL) {
		if (!imap_arg_get_atom(&cmd->args[1], &ir) ||
		    cmd->args[2].type != IMAP_ARG_EOL) {
			imap_command_bad(cmd, "Invalid AUTHENTICATE arguments.");
			return true;
		}
	}
	if (!str_iequal(mech, "PLAIN")) {
		imap_command_no(cmd, "Unsupported authentication mechanism.");
		return true;
	}
	if (ir != NULL)
		return authenticate_plain(cmd, ir, strlen(ir));
	/* an empty challenge; the response comes as a line */
	imap_client_send(cmd->client, "+ ");
	cmd->line_func = authenticate_line;
	return false;
}
