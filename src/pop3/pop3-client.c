/*
 * POP3 sessions: accepting, the input loop, replies, login and logout.
 * What each command does is in pop3-commands.c.
 */
#include "pop3-client.h"
#include "alloc.h"
#include "auth.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "metrics.h"
#include "mailbox-watch.h"
#include "pop3-login-delay.h"
#include "pop3-maildrop.h"
#include "secret.h"
#include "server.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Pipelined commands waiting unread: enough for a client that sends a
   RETR for every message at once to keep the pipe full; beyond it the
   connection stops reading until we catch up. */
#define POP3_MAX_INPUT_BUFFER (64 * 1024)

static struct session_list pop3_clients;

static void pop3_client_run(struct pop3_client *client);

static void pop3_client_destroy(struct pop3_client *client)
{
	auth_request_cancel(&client->auth_request);
	if (client->stream.fd >= 0)
		close(client->stream.fd);
	mailbox_watch_remove(&client->watcher);
	/* A session that ends without QUIT changes nothing (RFC 1939 6). */
	pop3_maildrop_close(&client->maildrop);
	session_close(&client->session, &pop3_clients);
	pop3_command_wipe(&client->cmd);
	free(client->address);
	free(client);
}

static void pop3_client_input(void *context)
{
	pop3_client_run(context);
}

static void pop3_client_output_drained(void *context)
{
	pop3_client_run(context);
}

static void pop3_client_closed(void *context, enum connection_close_reason reason,
			       const char *detail)
{
	struct pop3_client *client = context;

	client->disconnected = true;
	if (client->address != NULL || log_enabled(LOG_LEVEL_DEBUG)) {
		log_info("pop3", "disconnect user=%s ip=%s reason=%s%s%s retr=%u "
			 "bytes=%llu top=%u",
			 client->address != NULL ? log_value(client->address) : "-",
			 connection_peer_ip(client->session.conn), session_close_reason(reason),
			 detail != NULL ? " detail=" : "",
			 detail != NULL ? log_value(detail) : "",
			 client->retr_count, (unsigned long long)client->retr_bytes,
			 client->top_count);
	}
	if (client->running == 0)
		pop3_client_destroy(client);
}

static void pop3_client_tls_ready(void *context)
{
	struct pop3_client *client = context;

	/* RFC 2595 4: nothing learnt before STLS carries over. */
	client->user[0] = '\0';
}

static const struct connection_callbacks pop3_client_callbacks = {
	.input = pop3_client_input,
	.output_drained = pop3_client_output_drained,
	.closed = pop3_client_closed,
	.tls_ready = pop3_client_tls_ready,
};

void pop3_client_create(struct server *srv, int fd, const struct sockaddr *peer,
			struct tls_session **session)
{
	bool tls = session != NULL;
	const struct conf *conf = srv->conf;
	struct connection_settings set;
	struct pop3_client *client;

	memset(&set, 0, sizeof(set));
	set.max_line = conf->max_line_length;
	set.max_input_buffer = POP3_MAX_INPUT_BUFFER;
	set.idle_timeout_secs = conf_login_timeout(conf, conf->pop3_idle_timeout_secs);

	client = xcalloc(1, sizeof(*client));
	client->state = POP3_STATE_AUTHORIZATION;
	client->stream.fd = -1;
	if (!session_open(&client->session, &pop3_clients, srv, METRICS_PROTOCOL_POP3,
			  fd, peer, session, &set, &pop3_client_callbacks, client)) {
		free(client);
		return;
	}
	if (!session_count(&client->session)) {
		pop3_client_err(client, "[SYS/TEMP] Too many connections, try again later.");
		pop3_client_close(client);
		return;
	}
	log_debug("pop3", "connect ip=%s%s", connection_peer_ip(client->session.conn),
		  tls ? " tls" : "");
	/* RFC 1939 4: the greeting */
	pop3_client_ok(client, "%s POP3 ready.", conf->hostname);
}

static void pop3_client_vreply(struct pop3_client *client, const char *prefix,
			       const char *fmt, va_list args)
	__attribute__((format(printf, 3, 0)));
static void pop3_client_vreply(struct pop3_client *client, const char *prefix,
			       const char *fmt, va_list args)
{
	char text[480];

	/* RFC 2449 4: a response line is at most 512 octets. */
	vsnprintf(text, sizeof(text), fmt, args);
	if (client->cmd_start_usecs != 0) {
		metrics_command_done(METRICS_PROTOCOL_POP3, client->cmd_start_usecs);
		client->cmd_start_usecs = 0;
	}
	if (text[0] == '\0')
		connection_printf(client->session.conn, "%s\r\n", prefix);
	else
		connection_printf(client->session.conn, "%s %s\r\n", prefix, text);
}

void pop3_client_ok(struct pop3_client *client, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	pop3_client_vreply(client, "+OK", fmt, args);
	va_end(args);
}

void pop3_client_err(struct pop3_client *client, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	pop3_client_vreply(client, "-ERR", fmt, args);
	va_end(args);
}

void pop3_client_close(struct pop3_client *client)
{
	if (client->closing)
		return;
	client->closing = true;
	connection_close_after_output(client->session.conn);
}

void pop3_client_bad(struct pop3_client *client, const char *text)
{
	if (session_bad_command(&client->session, "pop3")) {
		pop3_client_err(client, "%s Too many bad commands, closing.", text);
		pop3_client_close(client);
		return;
	}
	pop3_client_err(client, "%s", text);
}

const char *pop3_client_store_code(struct pop3_client *client)
{
	switch (store_last_error(client->session.srv->store)) {
	case STORE_ERROR_TEMP:
	case STORE_ERROR_LIMIT:
		return "SYS/TEMP";
	case STORE_ERROR_NONE:
	case STORE_ERROR_NOT_FOUND:
	case STORE_ERROR_EXISTS:
	case STORE_ERROR_INVALID:
	case STORE_ERROR_PERM:
	case STORE_ERROR_INTERNAL:
	case STORE_ERROR_OVER_QUOTA:
		break;
	}
	return "SYS/PERM";
}

bool pop3_client_auth_allowed(struct pop3_client *client)
{
	return server_plaintext_auth_allowed(client->session.srv, client->session.conn);
}

static void pop3_client_inbox_changed(void *context)
{
	struct pop3_client *client = context;

	client->inbox_changed = true;
}

static void pop3_client_auth_done(void *context, const struct auth_result *result)
{
	struct pop3_client *client = context;
	const struct conf *conf = client->session.srv->conf;
	enum pop3_maildrop_open_result ret;
	unsigned int wait;

	client->auth_request = NULL;
	connection_input_pause(client->session.conn, false);
	if (result->throttled) {
		/* RFC 3206 4: temporary, the password was not looked at */
		pop3_client_err(client, "[SYS/TEMP] Too many login attempts, "
				"try again in %u second%s.", result->retry_after_secs,
				result->retry_after_secs == 1 ? "" : "s");
	} else if (result->temp_failure) {
		pop3_client_err(client, "[SYS/TEMP] Temporary authentication failure, "
				"try again later.");
	} else if (!result->success) {
		client->auth_failures++;
		log_info("pop3", "login failed user=%s ip=%s", log_value(client->user),
			 connection_peer_ip(client->session.conn));
		pop3_client_err(client, "[AUTH] Authentication failed.");
		if (client->auth_failures >= POP3_MAX_AUTH_FAILURES)
			pop3_client_close(client);
	} else if ((wait = pop3_login_delay_check(result->user_id, time(NULL),
						 conf->pop3_login_delay_secs)) > 0) {
		/* RFC 2449 8.1.2 */
		log_info("pop3", "login too soon user=%s ip=%s wait=%u",
			 log_value(result->address), connection_peer_ip(client->session.conn),
			 wait);
		pop3_client_err(client, "[LOGIN-DELAY] Wait %u seconds between logins "
				"(%u more).", conf->pop3_login_delay_secs, wait);
	} else {
		ret = pop3_maildrop_open(client->session.srv->store, result->user_id,
					 &client->maildrop);
		if (ret == POP3_MAILDROP_IN_USE) {
			log_info("pop3", "maildrop in use user=%s ip=%s",
				 log_value(result->address),
				 connection_peer_ip(client->session.conn));
			/* RFC 2449 8.1.1 */
			pop3_client_err(client, "[IN-USE] Mailbox is locked by "
					"another POP3 session.");
		} else if (ret == POP3_MAILDROP_FAILED) {
			pop3_client_err(client, "[%s] Mailbox unavailable.",
					pop3_client_store_code(client));
		} else {
			client->address = xstrdup(result->address);
			client->state = POP3_STATE_TRANSACTION;
			connection_set_idle_timeout(client->session.conn,
						    client->session.srv->conf->pop3_idle_timeout_secs);
			auth_session_init(&client->auth_session, result);
			client->watcher = mailbox_watch_add(client->session.srv->watch,
							    client->maildrop->mailbox_id,
							    pop3_client_inbox_changed,
							    client);
			log_info("pop3", "login user=%s ip=%s messages=%u%s",
				 log_value(client->address),
				 connection_peer_ip(client->session.conn),
				 client->maildrop->count,
				 connection_is_tls(client->session.conn) ? " tls" : "");
			pop3_client_ok(client, "Logged in.");
		}
	}
	client->user[0] = '\0';
	pop3_client_run(client);
}

void pop3_client_login(struct pop3_client *client, const char *address,
		       const char *password)
{
	if (address != client->user)
		snprintf(client->user, sizeof(client->user), "%s", address);
	/* Commands pipelined behind the password wait in the buffer. */
	connection_input_pause(client->session.conn, true);
	client->auth_request = auth_verify_from(client->session.srv->auth,
						METRICS_PROTOCOL_POP3,
						connection_peer_ip(client->session.conn),
						address, password,
						pop3_client_auth_done, client);
}

/* The command has written its whole reply. */
static void pop3_client_command_done(struct pop3_client *client)
{
	if (strcmp(client->cmd.verb, "PASS") == 0 ||
	    strcmp(client->cmd.verb, "AUTH") == 0)
		pop3_command_wipe(&client->cmd);
}

/* Read and handle one line. false: no complete line buffered. */
static bool pop3_client_read_line(struct pop3_client *client)
{
	const char *line, *error;
	size_t len;
	int ret;

	if (client->skipping_line) {
		if (!connection_input_skip_line(client->session.conn))
			return false;
		client->skipping_line = false;
		client->sasl_pending = false;
		pop3_client_bad(client, "Line too long.");
		return true;
	}
	ret = connection_input_line(client->session.conn, &line, &len);
	if (ret == 0)
		return false;
	client->cmd_start_usecs = metrics_now_usecs();
	if (ret < 0) {
		client->skipping_line = true;
		return true;
	}
	if (client->sasl_pending) {
		client->sasl_pending = false;
		pop3_commands_sasl_response(client, line, len);
		connection_input_line_consume(client->session.conn);
		return true;
	}
	ret = pop3_command_parse(&client->cmd, line, len, &error);
	connection_input_line_consume(client->session.conn);
	if (ret < 0) {
		pop3_client_bad(client, error);
		return true;
	}
	if (client->state == POP3_STATE_TRANSACTION &&
	    auth_session_outdated(client->session.srv->auth, client->session.srv->store,
				  &client->auth_session)) {
		/* RFC 1939 6: no QUIT, so nothing marked is deleted */
		log_info("pop3", "password changed, session ended user=%s ip=%s",
			 log_value(client->address), connection_peer_ip(client->session.conn));
		pop3_client_err(client, "[AUTH] Your password has been changed: "
				"log in again.");
		pop3_client_close(client);
		return true;
	}
	pop3_commands_dispatch(client);
	if (client->cont == NULL)
		pop3_client_command_done(client);
	return true;
}

static void pop3_client_run(struct pop3_client *client)
{
	client->running++;
	while (!client->disconnected && !client->closing &&
	       client->auth_request == NULL) {
		if (client->cont != NULL) {
			if (!client->cont(client)) {
				connection_want_drain(client->session.conn);
				break;
			}
			client->cont = NULL;
			pop3_client_command_done(client);
			continue;
		}
		if (client->draining) {
			pop3_client_err(client, "[SYS/TEMP] Server shutting down.");
			pop3_client_close(client);
			break;
		}
		if (connection_output_full(client->session.conn)) {
			connection_want_drain(client->session.conn);
			break;
		}
		if (!pop3_client_read_line(client))
			break;
	}
	client->running--;
	if (client->running == 0 && client->disconnected)
		pop3_client_destroy(client);
}

static void pop3_client_drain(void *owner)
{
	struct pop3_client *client = owner;

	client->draining = true;
	/* Busy sessions notice when their command ends. */
	if (client->cont == NULL && client->auth_request == NULL &&
	    !client->closing && !client->disconnected) {
		pop3_client_err(client, "[SYS/TEMP] Server shutting down.");
		pop3_client_close(client);
	}
}

void pop3_client_drain_all(void)
{
	session_list_foreach(&pop3_clients, pop3_client_drain);
}

void pop3_client_destroy_all(void)
{
	while (pop3_clients.head != NULL)
		pop3_client_destroy(pop3_clients.head->owner);
}
