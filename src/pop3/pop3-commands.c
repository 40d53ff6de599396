/*
 * The POP3 command table and what each command does: RFC 1939 (the base
 * protocol), RFC 2449 (CAPA, response codes), RFC 2595 (STLS) and
 * RFC 5034 (AUTH).
 *
 * Checking a command (state, TLS, argument count) is done once, from the
 * table, in pop3_commands_dispatch(); the handlers only carry it out.
 */
#include "pop3-client.h"
#include "alloc.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "pop3-maildrop.h"
#include "auth-sasl.h"
#include "buffer.h"
#include "secret.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The command sends credentials: refused in plaintext unless
   [server] plaintext_auth_from allows it (RFC 2595 2.1). */
#define POP3_CMD_NEEDS_TLS 0x01
/* max_args value for "anything": PASS reads the whole rest of the line. */
#define POP3_ARGS_ANY (POP3_MAX_ARGS + 1)

struct pop3_command_def {
	const char *verb;
	void (*handler)(struct pop3_client *client, const struct pop3_command *cmd);
	unsigned int states;      /* enum pop3_state mask */
	unsigned int flags;
	unsigned int min_args, max_args;
};

#define AUTHORIZATION POP3_STATE_AUTHORIZATION
#define TRANSACTION POP3_STATE_TRANSACTION

/* --- helpers --- */

/* Message number argument; NULL after answering -ERR. */
static struct pop3_msg *pop3_msg_arg(struct pop3_client *client, const char *arg)
{
	struct pop3_maildrop *md = client->maildrop;
	struct pop3_msg *msg;
	uint32_t n;
	bool deleted;

	if (str_to_u32(arg, &n) < 0) {
		pop3_client_bad(client, "Invalid message number.");
		return NULL;
	}
	msg = pop3_maildrop_get(md, n, &deleted);
	if (msg == NULL) {
		if (deleted)
			pop3_client_err(client, "Message %u is deleted.", n);
		else
			pop3_client_err(client, "No such message, only %u messages "
					"in maildrop.", md->count);
	}
	return msg;
}

static unsigned int msg_number(const struct pop3_client *client,
			       const struct pop3_msg *msg)
{
	return (unsigned int)(msg - client->maildrop->msgs) + 1;
}

/* --- AUTHORIZATION --- */

/* RFC 2449 5 */
static void cmd_capa(struct pop3_client *client, const struct pop3_command *cmd)
{
	bool authz = client->state == POP3_STATE_AUTHORIZATION;
	struct connection *conn = client->session.conn;

	(void)cmd;
	connection_write_str(conn, "+OK Capability list follows.\r\n"
			     "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
			     "PIPELINING\r\nEXPIRE NEVER\r\n");
	/* Offer a login only where a password may be sent: before STLS the
	   client learns that it must upgrade first. */
	if (authz && pop3_client_auth_allowed(client))
		connection_write_str(conn, "USER\r\nSASL PLAIN\r\n");
	if (authz && !connection_is_tls(conn) && client->session.srv->tls != NULL)
		connection_write_str(conn, "STLS\r\n");
	/* RFC 2449 6.5 */
	if (client->session.srv->conf->pop3_login_delay_secs > 0)
		connection_printf(conn, "LOGIN-DELAY %u\r\n",
				  client->session.srv->conf->pop3_login_delay_secs);
	connection_write_str(conn, "IMPLEMENTATION infostore\r\n.\r\n");
}

/* RFC 1939 7 */
static void cmd_user(struct pop3_client *client, const struct pop3_command *cmd)
{
	if (strlen(cmd->args[0]) > POP3_MAX_USER) {
		pop3_client_bad(client, "User name too long.");
		return;
	}
	/* The same answer whether or not the user exists. */
	memcpy(client->user, cmd->args[0], strlen(cmd->args[0]) + 1);
	pop3_client_ok(client, "Send the password.");
}

/* RFC 1939 7: the password is the rest of the line, spaces included. */
static void cmd_pass(struct pop3_client *client, const struct pop3_command *cmd)
{
	if (client->user[0] == '\0') {
		pop3_client_bad(client, "No user name given, send USER first.");
		return;
	}
	pop3_client_login(client, client->user, cmd->rest);
}

static void pop3_sasl_plain(struct pop3_client *client, const char *b64, size_t len)
{
	struct buffer msg;
	const char *authcid, *passwd, *error;

	/* RFC 5034 4: "*" cancels; "=" is an empty initial response. */
	if (len == 1 && b64[0] == '*') {
		pop3_client_err(client, "Authentication cancelled.");
		return;
	}
	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (auth_sasl_decode(len == 0 ? "=" : b64, len == 0 ? 1 : len, &msg) < 0) {
		pop3_client_bad(client, "Invalid base64 data.");
	} else if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					 &error) < 0) {
		client->auth_failures++;
		pop3_client_err(client, "[AUTH] %s.", error);
		if (client->auth_failures >= POP3_MAX_AUTH_FAILURES)
			pop3_client_close(client);
	} else if (strlen(authcid) > POP3_MAX_USER) {
		pop3_client_bad(client, "User name too long.");
	} else {
		pop3_client_login(client, authcid, passwd);
	}
	auth_sasl_wipe(&msg);
}

/* RFC 5034 4 */
static void cmd_auth(struct pop3_client *client, const struct pop3_command *cmd)
{
	if (cmd->argc == 0) {
		/* Not in RFC 5034, but Outlook and others send a bare AUTH to
		   learn the mechanisms (from draft-myers-sasl-pop3). */
		connection_write_str(client->session.conn, "+OK\r\nPLAIN\r\n.\r\n");
		return;
	}
	if (!str_iequal(cmd->args[0], "PLAIN")) {
		pop3_client_err(client, "Unsupported authentication mechanism.");
		return;
	}
	if (cmd->argc == 2) {
		pop3_sasl_plain(client, cmd->args[1], strlen(cmd->args[1]));
		return;
	}
	/* An empty challenge; the next line is the response. */
	connection_write_str(client->session.conn, "+ \r\n");
	client->sasl_pending = true;
}

void pop3_commands_sasl_response(struct pop3_client *client,
				 const char *line, size_t len)
{
	pop3_sasl_plain(client, line, len);
}

/* RFC 2595 4 */
static void cmd_stls(struct pop3_client *client, const struct pop3_command *cmd)
{
	(void)cmd;
	if (connection_is_tls(client->session.conn)) {
		pop3_client_bad(client, "TLS is already active.");
		return;
	}
	if (client->session.srv->tls == NULL) {
		pop3_client_err(client, "TLS is not available.");
		return;
	}
	pop3_client_ok(client, "Begin TLS negotiation now.");
	/* Drops whatever was pipelined after STLS in plaintext. */
	connection_start_tls(client->session.conn, client->session.srv->tls);
}

/* RFC 1939 4 and 6 */
static void cmd_quit(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_maildrop *md = client->maildrop;
	unsigned int expunged;

	(void)cmd;
	if (client->state == POP3_STATE_AUTHORIZATION) {
		pop3_client_ok(client, "Logging out.");
		pop3_client_close(client);
		return;
	}
	/* UPDATE: only here are deletions carried out. */
	client->state = POP3_STATE_UPDATE;
	if (pop3_maildrop_update(md, client->session.srv->store, client->session.srv->watch,
				 &expunged) < 0) {
		pop3_client_err(client, "[%s] Deleted messages could not be removed.",
				pop3_client_store_code(client));
	} else {
		unsigned int left = md->count - md->deleted_count;

		if (expunged > 0)
			log_info("pop3", "expunged user=%s count=%u",
				 log_value(client->address), expunged);
		if (left == 0)
			pop3_client_ok(client, "Logging out (maildrop empty).");
		else
			pop3_client_ok(client, "Logging out (%u messages left).", left);
	}
	/* Release the lock now: the client may reconnect before the socket
	   has finished closing. */
	pop3_maildrop_close(&client->maildrop);
	pop3_client_close(client);
}

/* --- TRANSACTION --- */

/* RFC 1939 5: deleted messages are not counted. */
static void cmd_stat(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_maildrop *md = client->maildrop;

	(void)cmd;
	pop3_client_ok(client, "%u %llu", md->count - md->deleted_count,
		       (unsigned long long)(md->total_size - md->deleted_size));
}

/* LIST and UIDL without argument: one line per message not deleted. */
static bool pop3_listing_continue(struct pop3_client *client, bool uidl)
{
	struct pop3_maildrop *md = client->maildrop;

	while (client->cont_next < md->count) {
		const struct pop3_msg *msg = &md->msgs[client->cont_next];

		if ((client->cont_next % 256) == 0 &&
		    connection_output_full(client->session.conn))
			return false;
		client->cont_next++;
		if ((msg->flags & POP3_MSG_DELETED) != 0)
			continue;
		if (uidl) {
			char uid[POP3_UIDL_MAX];

			pop3_maildrop_uidl(md, msg, uid);
			connection_printf(client->session.conn, "%u %s\r\n",
					  client->cont_next, uid);
		} else {
			connection_printf(client->session.conn, "%u %llu\r\n", client->cont_next,
					  (unsigned long long)msg->vsize);
		}
	}
	connection_write_str(client->session.conn, ".\r\n");
	return true;
}

static bool pop3_list_continue(struct pop3_client *client)
{
	return pop3_listing_continue(client, false);
}

static bool pop3_uidl_continue(struct pop3_client *client)
{
	return pop3_listing_continue(client, true);
}

/* RFC 1939 5; the size is the one RETR sends (RFC 1939 11): bare LFs
   count as CRLF, byte-stuffing is not counted. */
static void cmd_list(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_maildrop *md = client->maildrop;
	struct pop3_msg *msg;

	if (cmd->argc == 1) {
		msg = pop3_msg_arg(client, cmd->args[0]);
		if (msg != NULL)
			pop3_client_ok(client, "%u %llu", msg_number(client, msg),
				       (unsigned long long)msg->vsize);
		return;
	}
	pop3_client_ok(client, "%u messages (%llu octets)",
		       md->count - md->deleted_count,
		       (unsigned long long)(md->total_size - md->deleted_size));
	client->cont_next = 0;
	client->cont = pop3_list_continue;
}

/* RFC 1939 7 */
static void cmd_uidl(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_msg *msg;
	char uid[POP3_UIDL_MAX];

	if (cmd->argc == 1) {
		msg = pop3_msg_arg(client, cmd->args[0]);
		if (msg != NULL) {
			pop3_maildrop_uidl(client->maildrop, msg, uid);
			pop3_client_ok(client, "%u %s", msg_number(client, msg), uid);
		}
		return;
	}
	pop3_client_ok(client, "%s", "");
	client->cont_next = 0;
	client->cont = pop3_uidl_continue;
}

/*
 * Stream a blob through the byte-stuffer. The buffers are shared by every
 * session (one thread, and nothing is kept in them across returns to the
 * loop), so a session streaming a 50 MB message holds only its output
 * queue (connection_output_full()) and a file descriptor.
 *
 * The "+OK" line goes out with the first chunk, and a message that fits
 * in one chunk goes out whole, terminator included, in one
 * connection_write_now(): one send() per RETR on plain connections.
 */
static bool pop3_stream_continue(struct pop3_client *client)
{
	static unsigned char in[POP3_READ_CHUNK];
	static unsigned char out[POP3_STREAM_HEAD_MAX +
				 POP3_STUFF_OUT_MAX(POP3_READ_CHUNK) +
				 POP3_STUFF_FINISH_MAX];
	struct pop3_stream *st = &client->stream;

	for (;;) {
		size_t want, n = 0;
		ssize_t ret = 0;

		if (connection_output_full(client->session.conn))
			return false;
		memcpy(out, st->head, st->head_len);
		n = st->head_len;
		if (st->left > 0 && !st->stuff.done) {
			want = st->left < sizeof(in) ? (size_t)st->left : sizeof(in);
			ret = read(st->fd, in, want);
			if (ret < 0 && errno == EINTR)
				continue;
			if (ret <= 0) {
				log_error("pop3", "reading a message failed user=%s: %s",
					  log_value(client->address),
					  ret < 0 ? strerror(errno) :
					  "file shorter than indexed");
				if (st->head_len > 0) {
					pop3_client_err(client, "[SYS/PERM] Cannot read "
							"the message.");
				} else {
					/* The "+OK" is out: the only honest end is
					   to close without the terminating ".", so
					   the client cannot take a partial message
					   for a whole one. */
					pop3_client_close(client);
				}
				break;
			}
			st->left -= (uint64_t)ret;
			n += pop3_stuff_feed(&st->stuff, in, (size_t)ret, out + n);
		}
		st->head_len = 0;
		if (st->left == 0 || st->stuff.done) {
			n += pop3_stuff_finish(&st->stuff, out + n);
			connection_write_now(client->session.conn, out, n);
			if (st->retr_msg != NULL)
				st->retr_msg->flags |= POP3_MSG_RETRIEVED;
			break;
		}
		connection_write_now(client->session.conn, out, n);
	}
	close(st->fd);
	st->fd = -1;
	return true;
}

static void pop3_stream_start(struct pop3_client *client, int fd,
			      struct pop3_msg *msg, const char *head, bool retr)
{
	struct pop3_stream *st = &client->stream;

	st->fd = fd;
	st->retr_msg = retr ? msg : NULL;
	st->left = msg->size;
	st->head_len = strlen(head);
	assert(st->head_len < sizeof(st->head));
	memcpy(st->head, head, st->head_len);
	client->cont = pop3_stream_continue;
}

/* Open msg's blob for RETR/TOP; -1 after answering -ERR. */
static int pop3_open_msg(struct pop3_client *client, struct pop3_msg *msg)
{
	struct pop3_maildrop *md = client->maildrop;
	struct store *store = client->session.srv->store;
	char blob[33];
	int ret, fd;

	ret = pop3_maildrop_message_gone(md, store, msg, client->inbox_changed);
	if (ret == 0) {
		pop3_maildrop_blob_id(msg, blob);
		fd = store_blob_open(store, blob);
		if (fd >= 0)
			return fd;
		/* Expunged by IMAP a moment ago, before our watcher heard? */
		ret = pop3_maildrop_message_gone(md, store, msg, true);
		if (ret == 0) {
			log_error("pop3", "cannot open message uid=%u user=%s: %s",
				  msg->uid, log_value(client->address),
				  store_last_error_detail(store));
			ret = -1;
		}
	}
	if (ret > 0) {
		/* Our choice, documented in pop3-maildrop.h: the listing keeps
		   its numbers, but the message itself is gone. */
		pop3_client_err(client, "Message %u was expunged by another session.",
				msg_number(client, msg));
	} else {
		pop3_client_err(client, "[%s] Cannot read the message.",
				pop3_client_store_code(client));
	}
	return -1;
}

/* RFC 1939 5 */
static void cmd_retr(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_msg *msg = pop3_msg_arg(client, cmd->args[0]);
	char head[POP3_STREAM_HEAD_MAX];
	int fd;

	if (msg == NULL || (fd = pop3_open_msg(client, msg)) < 0)
		return;
	snprintf(head, sizeof(head), "+OK %llu octets\r\n",
		 (unsigned long long)msg->vsize);
	pop3_stuff_init(&client->stream.stuff);
	pop3_stream_start(client, fd, msg, head, true);
	client->retr_count++;
	client->retr_bytes += msg->vsize;
}

/* RFC 1939 7 */
static void cmd_top(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_msg *msg;
	uint64_t lines;
	int fd;

	if (str_to_u64(cmd->args[1], UINT64_MAX, &lines) < 0) {
		pop3_client_bad(client, "Invalid number of lines.");
		return;
	}
	msg = pop3_msg_arg(client, cmd->args[0]);
	if (msg == NULL || (fd = pop3_open_msg(client, msg)) < 0)
		return;
	pop3_stuff_init_top(&client->stream.stuff, msg->header_size, lines);
	pop3_stream_start(client, fd, msg, "+OK Top of message follows.\r\n", false);
	client->top_count++;
}

/* RFC 1939 5: marked now, removed in UPDATE. */
static void cmd_dele(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_msg *msg = pop3_msg_arg(client, cmd->args[0]);

	if (msg == NULL)
		return;
	pop3_maildrop_delete(client->maildrop, msg);
	pop3_client_ok(client, "Message %u deleted.", msg_number(client, msg));
}

static void cmd_noop(struct pop3_client *client, const struct pop3_command *cmd)
{
	(void)cmd;
	pop3_client_ok(client, "%s", "");
}

static void cmd_rset(struct pop3_client *client, const struct pop3_command *cmd)
{
	struct pop3_maildrop *md = client->maildrop;

	(void)cmd;
	pop3_maildrop_reset(md);
	pop3_client_ok(client, "Maildrop has %u messages (%llu octets).",
		       md->count, (unsigned long long)md->total_size);
}

static const struct pop3_command_def pop3_command_table[] = {
	{ "CAPA", cmd_capa, AUTHORIZATION | TRANSACTION, 0, 0, 0 },
	{ "USER", cmd_user, AUTHORIZATION, POP3_CMD_NEEDS_TLS, 1, 1 },
	{ "PASS", cmd_pass, AUTHORIZATION, POP3_CMD_NEEDS_TLS, 1, POP3_ARGS_ANY },
	{ "AUTH", cmd_auth, AUTHORIZATION, POP3_CMD_NEEDS_TLS, 0, 2 },
	{ "STLS", cmd_stls, AUTHORIZATION, 0, 0, 0 },
	{ "QUIT", cmd_quit, AUTHORIZATION | TRANSACTION, 0, 0, 0 },
	{ "STAT", cmd_stat, TRANSACTION, 0, 0, 0 },
	{ "LIST", cmd_list, TRANSACTION, 0, 0, 1 },
	{ "RETR", cmd_retr, TRANSACTION, 0, 1, 1 },
	{ "DELE", cmd_dele, TRANSACTION, 0, 1, 1 },
	{ "NOOP", cmd_noop, TRANSACTION, 0, 0, 0 },
	{ "RSET", cmd_rset, TRANSACTION, 0, 0, 0 },
	{ "TOP", cmd_top, TRANSACTION, 0, 2, 2 },
	{ "UIDL", cmd_uidl, TRANSACTION, 0, 0, 1 },
};

void pop3_commands_dispatch(struct pop3_client *client)
{
	const struct pop3_command *cmd = &client->cmd;
	const struct pop3_command_def *def = NULL;

	for (size_t i = 0; i < sizeof(pop3_command_table) /
	     sizeof(pop3_command_table[0]); i++) {
		if (strcmp(pop3_command_table[i].verb, cmd->verb) == 0) {
			def = &pop3_command_table[i];
			break;
		}
	}
	if (def == NULL) {
		pop3_client_bad(client, "Unknown command.");
		return;
	}
	if ((def->states & client->state) == 0) {
		pop3_client_bad(client, client->state == POP3_STATE_AUTHORIZATION ?
				"Log in first." : "Already logged in.");
		return;
	}
	if ((def->flags & POP3_CMD_NEEDS_TLS) != 0 &&
	    !pop3_client_auth_allowed(client)) {
		/* RFC 2595 2.1, with the RFC 3206 AUTH code */
		pop3_client_bad(client, "[AUTH] Plaintext authentication disallowed "
				"on non-secure connections, use STLS first.");
		return;
	}
	if (cmd->argc < def->min_args ||
	    (def->max_args != POP3_ARGS_ANY && cmd->argc > def->max_args)) {
		pop3_client_bad(client, cmd->argc < def->min_args ?
				"Missing arguments." : "Too many arguments.");
		return;
	}
	def->handler(client, cmd);
}
