/*
 * IMAP sessions: accepting, the input loop (parser events, literals,
 * command dispatch through the table), replies, limits, login and logout.
 * What each command does is in cmd-*.c.
 */
#include "imap-client.h"
#include "alloc.h"
#include "auth.h"
#include "buffer.h"
#include "conf.h"
#include "connection.h"
#include "fatal.h"
#include "imap-append.h"
#include "imap-commands.h"
#include "imap-errors.h"
#include "imap-view.h"
#include "imap-writer.h"
#include "ioloop.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Unread pipelined input kept before the connection stops reading. */
#define IMAP_MAX_INPUT_BUFFER (256 * 1024)
/* Before login everything is smaller: nobody needs long lines or big
   literals to log in, and an anonymous peer gets little memory. */
/* RFC 2971 ID: 30 pairs of values up to 1024 octets */
#define IMAP_PRELOGIN_MAX_LINE 40960
#define IMAP_PRELOGIN_MAX_LITERAL 8192
#define IMAP_PRELOGIN_MAX_ARGS 64
#define IMAP_MAX_ARGS 100000
#define IMAP_MAX_DEPTH 32
/* Failed logins before the connection is closed. */
#define IMAP_MAX_AUTH_FAILURES 3

static struct session_list imap_clients;

static void imap_client_run(struct imap_client *client);

static void imap_client_set_limits(struct imap_client *client)
{
	const struct conf *conf = client->session.srv->conf;
	struct imap_parser_settings set;

	memset(&set, 0, sizeof(set));
	if (client->state == IMAP_STATE_NOT_AUTH) {
		set.max_line = IMAP_PRELOGIN_MAX_LINE;
		set.max_literal = IMAP_PRELOGIN_MAX_LITERAL;
		set.max_buffered = IMAP_PRELOGIN_MAX_LITERAL;
		set.max_depth = 4;
		set.max_args = IMAP_PRELOGIN_MAX_ARGS;
	} else {
		set.max_line = conf->max_line_length;
		/* APPEND literals are streamed, others are kept in memory
		   up to a line's worth */
		set.max_literal = conf->max_message_size > conf->max_line_length ?
			conf->max_message_size : conf->max_line_length;
		set.max_buffered = conf->max_line_length;
		set.max_depth = IMAP_MAX_DEPTH;
		set.max_args = IMAP_MAX_ARGS;
	}
	imap_parser_set_limits(client->parser, &set);
}

static void imap_client_destroy(struct imap_client *client)
{
	auth_request_cancel(&client->auth_request);
	imap_write_job_cancel(&client->write_job);
	timer_remove(&client->continue_timer);
	imap_append_abort(client);
	client->cmd = NULL;
	imap_view_close(client);
	session_close(&client->session, &imap_clients);
	pool_destroy(&client->cmd_pool);
	pool_destroy(&client->pool);
	free(client->saved_uids);
	free(client->address);
	free(client);
}

static void imap_client_input(void *context)
{
	imap_client_run(context);
}

static void imap_client_output_drained(void *context)
{
	imap_client_run(context);
}

static void imap_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail)
{
	struct imap_client *client = context;

	client->disconnected = true;
	if (client->address != NULL || log_enabled(LOG_LEVEL_DEBUG)) {
		log_info("imap", "disconnect user=%s ip=%s reason=%s%s%s",
			 client->address != NULL ? log_value(client->address) : "-",
			 connection_peer_ip(client->session.conn), session_close_reason(reason),
			 detail != NULL ? " detail=" : "",
			 detail != NULL ? log_value(detail) : "");
	}
	if (client->running == 0)
		imap_client_destroy(client);
}

static const struct connection_callbacks imap_client_callbacks = {
	.input = imap_client_input,
	.output_drained = imap_client_output_drained,
	.closed = imap_client_closed,
};

void imap_client_create(struct server *srv, int fd, const struct sockaddr *peer,
			struct tls_session **session)
{
	bool tls = session != NULL;
	const struct conf *conf = srv->conf;
	struct connection_settings set;
	struct imap_client *client;
	struct imap_parser_settings pset;

	memset(&set, 0, sizeof(set));
	set.max_line = conf->max_line_length;
	set.max_input_buffer = IMAP_MAX_INPUT_BUFFER;
	set.idle_timeout_secs = conf_login_timeout(conf, conf->imap_idle_timeout_secs);

	client = xcalloc(1, sizeof(*client));
	client->state = IMAP_STATE_NOT_AUTH;
	client->tls_listener = tls;
	if (!session_open(&client->session, &imap_clients, srv, METRICS_PROTOCOL_IMAP,
			  fd, peer, session, &set, &imap_client_callbacks, client)) {
		free(client);
		return;
	}
	client->pool = pool_create(512);
	client->cmd_pool = pool_create(1024);
	memset(&pset, 0, sizeof(pset));
	pset.max_line = IMAP_PRELOGIN_MAX_LINE;
	pset.max_depth = 4;
	client->parser = imap_parser_create(client->pool, &pset);
	imap_client_set_limits(client);
	imap_parser_reset(client->parser, client->cmd_pool);

	if (!session_count(&client->session)) {
		imap_client_disconnect(client, "[UNAVAILABLE] Too many connections, try again later.");
		return;
	}
	log_debug("imap", "connect ip=%s%s", connection_peer_ip(client->session.conn),
		  tls ? " tls" : "");
	/* RFC 9051 7.1.1: the greeting, with capabilities to save a trip */
	imap_client_send(client, "* OK [CAPABILITY %s] %s IMAP4rev2 server ready.",
			 imap_client_capability(client), conf->hostname);
}

/* --- output --- */

void imap_client_send(struct imap_client *client, const char *fmt, ...)
{
	va_list args;

	if (client->disconnected)
		return;
	va_start(args, fmt);
	connection_vprintf(client->session.conn, fmt, args);
	va_end(args);
	connection_write(client->session.conn, "\r\n", 2);
}

void imap_client_send_raw(struct imap_client *client, const void *data, size_t len)
{
	if (!client->disconnected)
		connection_write(client->session.conn, data, len);
}

void imap_client_send_buffer(struct imap_client *client, struct buffer *buf)
{
	if (buf->used > 0)
		imap_client_send_raw(client, buf->data, buf->used);
	buffer_reset(buf);
}

bool imap_client_auth_allowed(struct imap_client *client)
{
	/* On a TLS connection whose handshake is still running (the
	   greeting of implicit TLS is queued before it ends) nothing can
	   arrive before the handshake is done. */
	return connection_is_tls(client->session.conn) ||
		server_plaintext_auth_allowed(client->session.srv, client->session.conn);
}

const char *imap_client_capability(struct imap_client *client)
{
	static char caps[512];
	const char *base = "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ ID ENABLE IDLE";

	if (client->state == IMAP_STATE_NOT_AUTH) {
		bool starttls = !connection_is_tls(client->session.conn) &&
			client->session.srv->tls != NULL;

		snprintf(caps, sizeof(caps), "%s%s%s", base,
			 starttls ? " STARTTLS" : "",
			 imap_client_auth_allowed(client) ? " AUTH=PLAIN" : " LOGINDISABLED");
		return caps;
	}
	snprintf(caps, sizeof(caps),
		 "%s MULTIAPPEND NAMESPACE UNSELECT CHILDREN SPECIAL-USE LIST-EXTENDED "
		 "LIST-STATUS UIDPLUS MOVE ESEARCH SEARCHRES CONDSTORE QRESYNC "
		 "STATUS=SIZE BINARY SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES "
		 "QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE APPENDLIMIT=%llu",
		 base, (unsigned long long)client->session.srv->conf->max_message_size);
	return caps;
}

void imap_client_disconnect(struct imap_client *client, const char *text)
{
	if (client->closing || client->disconnected)
		return;
	imap_client_send(client, "* BYE %s", text);
	client->closing = true;
	connection_close_after_output(client->session.conn);
}

void imap_client_bad_command(struct imap_client *client)
{
	if (session_bad_command(&client->session, "imap"))
		imap_client_disconnect(client, "Too many invalid IMAP commands.");
}

void imap_command_reply(struct imap_command *cmd, const char *status,
			const char *code, const char *fmt, ...)
{
	struct imap_client *client = cmd->client;
	char text[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	if (!cmd->sync_done && strcmp(status, "BAD") != 0) {
		bool allow_expunges = cmd->def == NULL || cmd->uid ||
			(cmd->def->flags & IMAP_CMD_USES_SEQS) == 0;

		cmd->sync_done = true;
		imap_view_sync(client, allow_expunges, false);
	}
	/* max_bad_commands counts bad commands in a row */
	if (strcmp(status, "OK") == 0)
		session_good_command(&client->session);
	if (code != NULL)
		imap_client_send(client, "%s %s [%s] %s", cmd->tag, status, code, text);
	else
		imap_client_send(client, "%s %s %s", cmd->tag, status, text);
	/* IDLE lasts as long as the client wants: not a latency */
	if (!cmd->done && (cmd->def == NULL || strcmp(cmd->def->name, "IDLE") != 0))
		metrics_command_done(METRICS_PROTOCOL_IMAP, cmd->start_usecs);
	cmd->done = true;
}

void imap_command_bad(struct imap_command *cmd, const char *fmt, ...)
{
	char text[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(text, sizeof(text), fmt, args);
	va_end(args);
	imap_command_reply(cmd, "BAD", NULL, "%s", text);
	imap_client_bad_command(cmd->client);
}

void imap_command_store_error(struct imap_command *cmd, const char *what)
{
	struct store *store = cmd->client->session.srv->store;
	const struct imap_error_reply *reply = imap_error_reply(store_last_error(store));

	if (store_last_error(store) == STORE_ERROR_INTERNAL ||
	    store_last_error(store) == STORE_ERROR_TEMP ||
	    store_last_error(store) == STORE_ERROR_NONE)
		log_error("imap", "%s failed user=%s: %s", what,
			  log_value(cmd->client->address != NULL ? cmd->client->address : "-"),
			  store_last_error_detail(store));
	imap_command_reply(cmd, "NO", reply->code, "%s.", reply->text);
}

void imap_client_enable_condstore(struct imap_client *client)
{
	if (client->condstore)
		return;
	client->condstore = true;
	if (client->view != NULL)
		imap_client_send(client, "* OK [HIGHESTMODSEQ %llu] Highest.",
				 (unsigned long long)client->view->modseq);
}

void imap_command_error(struct imap_command *cmd, enum store_error error)
{
	const struct imap_error_reply *reply = imap_error_reply(error);

	imap_command_reply(cmd, "NO", reply->code, "%s.", reply->text);
}

void imap_command_write(struct imap_command *cmd, struct imap_write_job *job)
{
	cmd->waiting = true;
	cmd->client->write_job = job;
	imap_write_job_submit(job);
}

void imap_command_write_done(struct imap_command *cmd)
{
	cmd->client->write_job = NULL;
	imap_client_resume(cmd->client);
}

void imap_command_read(struct imap_command *cmd, struct imap_write_job *job)
{
	cmd->waiting = true;
	cmd->client->write_job = job;
	imap_write_job_submit_read(job);
}

/* --- login --- */

void imap_client_logged_in(struct imap_client *client, int64_t user_id,
			   const char *address)
{
	client->user_id = user_id;
	free(client->address);
	client->address = xstrdup(address);
	client->state = IMAP_STATE_AUTH;
	imap_client_set_limits(client);
	connection_set_idle_timeout(client->session.conn, client->session.srv->conf->imap_idle_timeout_secs);
	log_info("imap", "login user=%s ip=%s%s", log_value(address),
		 connection_peer_ip(client->session.conn),
		 connection_is_tls(client->session.conn) ? " tls" : "");
}

/* --- running commands --- */

static void imap_client_continue_timeout(void *context)
{
	struct imap_client *client = context;

	timer_remove(&client->continue_timer);
	imap_client_run(client);
}

void imap_client_continue_later(struct imap_client *client)
{
	if (client->continue_timer == NULL)
		client->continue_timer = timer_add(client->session.srv->ioloop, 0, false,
						   imap_client_continue_timeout, client);
}

void imap_client_resume(struct imap_client *client)
{
	if (client->cmd != NULL) {
		client->cmd->waiting = false;
		client->cmd->wakeup = true;
	}
	imap_client_continue_later(client);
}

static void imap_client_command_free(struct imap_client *client)
{
	client->cmd = NULL;
	imap_append_abort(client);
	pool_clear(client->cmd_pool);
	imap_parser_reset(client->parser, client->cmd_pool);
	if (client->draining && !client->closing)
		imap_client_disconnect(client, "Server shutting down.");
}

/* A command line is complete: check it against the table and start it. */
static void imap_client_dispatch(struct imap_client *client)
{
	const struct imap_arg *args;
	const struct imap_command_def *def;
	struct imap_command *cmd;
	const char *tag, *name;
	unsigned int count;
	bool uid = false;

	args = imap_parser_args(client->parser, &count);
	if (count == 0) {
		/* an empty line: nothing to answer */
		imap_client_command_free(client);
		return;
	}
	/* tag = 1*<any ASTRING-CHAR except "+"> */
	if (!imap_arg_get_atom(&args[0], &tag) || strchr(tag, '+') != NULL ||
	    strchr(tag, '*') != NULL || strchr(tag, '%') != NULL) {
		imap_client_send(client, "* BAD Invalid tag.");
		imap_client_bad_command(client);
		imap_client_command_free(client);
		return;
	}
	if (client->state != IMAP_STATE_NOT_AUTH &&
	    auth_session_outdated(client->session.srv->auth, client->session.srv->store,
				  &client->auth_session)) {
		log_info("imap", "password changed, session ended user=%s ip=%s",
			 log_value(client->address), connection_peer_ip(client->session.conn));
		imap_client_disconnect(client, "Your password has been changed: log in again.");
		imap_client_command_free(client);
		return;
	}
	cmd = p_new(client->cmd_pool, struct imap_command, 1);
	cmd->client = client;
	cmd->pool = client->cmd_pool;
	cmd->tag = tag;
	cmd->start_usecs = metrics_now_usecs();
	client->cmd = cmd;
	if (!imap_arg_get_atom(&args[1], &name)) {
		imap_command_bad(cmd, "Missing command name.");
		return;
	}
	args += 2;
	if (str_iequal(name, "UID")) {
		if (!imap_arg_get_atom(&args[0], &name)) {
			imap_command_bad(cmd, "Missing command after UID.");
			return;
		}
		args++;
		uid = true;
	}
	def = imap_command_find(name);
	if (def == NULL || (uid && (def->flags & IMAP_CMD_HAS_UID) == 0)) {
		imap_command_bad(cmd, "Unknown command.");
		return;
	}
	cmd->def = def;
	cmd->name = def->name;
	cmd->args = args;
	cmd->uid = uid;
	if ((def->flags & client->state) == 0) {
		if (client->state == IMAP_STATE_NOT_AUTH)
			imap_command_bad(cmd, "Log in first.");
		else if (def->flags & IMAP_CMD_NOT_AUTH)
			imap_command_bad(cmd, "Already logged in.");
		else
			imap_command_bad(cmd, "No mailbox selected.");
		return;
	}
	if ((def->flags & IMAP_CMD_PASSWORD) != 0 && !imap_client_auth_allowed(client)) {
		/* RFC 9051 6.2.3, RFC 8314: no passwords in the clear */
		imap_command_reply(cmd, "NO", "PRIVACYREQUIRED",
				   "Plaintext authentication is disabled: use STARTTLS or IMAPS.");
		return;
	}
	cmd->func = def->func;
}

/* A literal's header has been read: decide what becomes of it. */
static void imap_client_literal(struct imap_client *client)
{
	const struct imap_arg *args;
	unsigned int count;
	uint64_t size;
	bool sync, binary;
	const char *tag = imap_parser_tag(client->parser);

	imap_parser_literal(client->parser, &size, &sync, &binary);
	args = imap_parser_args(client->parser, &count);
	if (client->state != IMAP_STATE_NOT_AUTH && count >= 2 &&
	    imap_arg_atom_equals(&args[1], "APPEND") &&
	    imap_parser_depth(client->parser) == 0) {
		/* the message itself goes to the store as it arrives */
		if (imap_append_literal(client, args, count, size, sync, binary) < 0)
			goto rejected;
		if (sync)
			imap_client_send(client, "+ OK");
		return;
	}
	if (imap_parser_literal_buffer(client->parser) < 0) {
		imap_client_send(client, "%s BAD Literal too large.",
				 tag != NULL ? tag : "*");
		imap_client_bad_command(client);
		imap_parser_literal_reject(client->parser);
		goto rejected;
	}
	if (sync)
		imap_client_send(client, "+ OK");
	return;
rejected:
	imap_append_abort(client);
	pool_clear(client->cmd_pool);
	imap_parser_reset(client->parser, client->cmd_pool);
}

/* Parse what input there is. false: nothing more can be done now. */
static bool imap_client_parse_input(struct imap_client *client)
{
	size_t size = connection_input_size(client->session.conn), len, consumed;
	const unsigned char *data;
	enum imap_parse_result ret;
	const char *tag;

	data = connection_input_peek(client->session.conn, size, &len);
	ret = imap_parser_parse(client->parser, data, len, &consumed);
	switch (ret) {
	case IMAP_PARSE_NEED_MORE:
		connection_input_consume(client->session.conn, consumed);
		return false;
	case IMAP_PARSE_LINE:
		connection_input_consume(client->session.conn, consumed);
		imap_client_dispatch(client);
		return true;
	case IMAP_PARSE_LITERAL:
		connection_input_consume(client->session.conn, consumed);
		imap_client_literal(client);
		return true;
	case IMAP_PARSE_LITERAL_DATA: {
		const unsigned char *chunk;
		size_t chunk_len;

		/* the chunk points into the input buffer: use it first */
		imap_parser_literal_data(client->parser, &chunk, &chunk_len);
		imap_append_literal_data(client, chunk, chunk_len);
		connection_input_consume(client->session.conn, consumed);
		return true;
	}
	case IMAP_PARSE_LITERAL_END:
		connection_input_consume(client->session.conn, consumed);
		imap_append_literal_end(client);
		return true;
	case IMAP_PARSE_ERROR:
		connection_input_consume(client->session.conn, consumed);
		tag = imap_parser_tag(client->parser);
		if (imap_parser_is_fatal(client->parser)) {
			imap_client_disconnect(client, imap_parser_error(client->parser));
			return false;
		}
		imap_client_send(client, "%s BAD Error in IMAP command: %s.",
				 tag != NULL ? tag : "*", imap_parser_error(client->parser));
		imap_client_bad_command(client);
		imap_append_abort(client);
		pool_clear(client->cmd_pool);
		imap_parser_reset(client->parser, client->cmd_pool);
		return true;
	}
	return false;
}

/* A raw line for IDLE or AUTHENTICATE. false: none yet. */
static bool imap_client_read_command_line(struct imap_client *client)
{
	struct imap_command *cmd = client->cmd;
	imap_command_line_func *func = cmd->line_func;
	const char *line;
	size_t len;
	int ret;

	ret = connection_input_line(client->session.conn, &line, &len);
	if (ret == 0)
		return false;
	if (ret < 0) {
		imap_client_disconnect(client, "Line too long.");
		return false;
	}
	/* the handler asks again if it wants another line */
	cmd->line_func = NULL;
	if (func(cmd, line, len))
		cmd->done = true;
	connection_input_line_consume(client->session.conn);
	return true;
}

static void imap_client_run(struct imap_client *client)
{
	client->running++;
	while (!client->disconnected && !client->closing) {
		struct imap_command *cmd = client->cmd;

		if (cmd != NULL) {
			if (cmd->waiting)
				break;
			if (cmd->done) {
				imap_client_command_free(client);
				continue;
			}
			if (cmd->line_func != NULL && !cmd->wakeup) {
				if (!imap_client_read_command_line(client))
					break;
				continue;
			}
			cmd->wakeup = false;
			if (cmd->func == NULL || cmd->func(cmd)) {
				imap_client_command_free(client);
				continue;
			}
			if (cmd->line_func != NULL)
				continue;
			if (connection_output_full(client->session.conn))
				connection_want_drain(client->session.conn);
			break;
		}
		if (client->draining) {
			imap_client_disconnect(client, "Server shutting down.");
			break;
		}
		if (connection_output_full(client->session.conn)) {
			connection_want_drain(client->session.conn);
			break;
		}
		if (connection_input_size(client->session.conn) == 0 ||
		    !imap_client_parse_input(client))
			break;
	}
	client->running--;
	if (client->running == 0 && client->disconnected)
		imap_client_destroy(client);
}

static void imap_client_drain(void *owner)
{
	struct imap_client *client = owner;

	client->draining = true;
	/* idle sessions and those in IDLE go now; busy ones when their
	   command ends */
	if ((client->cmd == NULL || client->cmd->line_func != NULL) &&
	    !client->closing && !client->disconnected)
		imap_client_disconnect(client, "Server shutting down.");
}

void imap_client_drain_all(void)
{
	session_list_foreach(&imap_clients, imap_client_drain);
}

void imap_client_destroy_all(void)
{
	while (imap_clients.head != NULL)
		imap_client_destroy(imap_clients.head->owner);
}
