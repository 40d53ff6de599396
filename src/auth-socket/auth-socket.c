/*
 * The Postfix authentication socket: Dovecot's authentication protocol,
 * server side (see auth-socket.h). Lines are read one at a time; a line
 * that starts a password check stops reading until the answer is written.
 */
#include "auth-socket.h"
#include "alloc.h"
#include "auth-sasl.h"
#include "auth-socket-parser.h"
#include "auth.h"
#include "buffer.h"
#include "conf.h"
#include "connection.h"
#include "log.h"
#include "secret.h"
#include "server.h"
#include "strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* We speak 1.2; Postfix sends 1.0, and only the major number matters. */
#define AUTH_SOCKET_MAJOR 1
#define AUTH_SOCKET_MINOR 2
/* A line holds at most a base64 response of AUTH_SASL_RESPONSE_MAX bytes
   and the request's parameters. */
#define AUTH_SOCKET_MAX_LINE 16384
#define AUTH_SOCKET_MAX_INPUT (64 * 1024)
/* Postfix keeps its connection for the life of an smtpd process and
   reconnects when it finds it closed, so an idle one may go. */
#define AUTH_SOCKET_IDLE_TIMEOUT_SECS 3600

enum auth_socket_step {
	AUTH_SOCKET_IDLE,
	AUTH_SOCKET_PLAIN,        /* CONT sent, waiting for the PLAIN message */
	AUTH_SOCKET_LOGIN_USER,   /* waiting for LOGIN's user name */
	AUTH_SOCKET_LOGIN_PASS,   /* waiting for LOGIN's password */
	AUTH_SOCKET_CHECKING,     /* the password is with auth.h */
};

struct auth_socket_client {
	struct auth_socket_client *prev, *next;
	struct server *srv;
	struct connection *conn;
	struct buffer line;            /* a copy of the line being handled */
	bool counted;                  /* server_connection_opened() said yes */
	bool version_ok;               /* VERSION 1 received */
	bool closing;

	/* the request in progress */
	enum auth_socket_step step;
	unsigned int id;
	char *rip;                     /* the SMTP client's address, or NULL */
	char *user;                    /* LOGIN's user name; who is checked */
	struct auth_request *auth_request;
};

static struct auth_socket_client *auth_socket_clients;
static bool auth_socket_draining;
static unsigned int auth_socket_next_cuid = 1;
static char auth_socket_cookie[33];

static void auth_socket_client_run(struct auth_socket_client *client);
static void auth_socket_client_input(void *context);
static void auth_socket_client_closed(void *context,
				      enum connection_close_reason reason,
				      const char *detail);

static const struct connection_callbacks auth_socket_callbacks = {
	.input = auth_socket_client_input,
	.closed = auth_socket_client_closed,
};

static void auth_socket_write(struct auth_socket_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void auth_socket_write(struct auth_socket_client *client, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	connection_vprintf(client->conn, fmt, args);
	va_end(args);
}

static void auth_socket_close(struct auth_socket_client *client)
{
	client->closing = true;
	connection_close_after_output(client->conn);
}

/* A line we cannot make sense of: Dovecot disconnects, and Postfix
   reconnects for its next request. */
static void auth_socket_protocol_error(struct auth_socket_client *client,
				       const char *what)
{
	log_warning("auth-socket", "protocol error, disconnecting: %s", what);
	auth_socket_close(client);
}

/* Forget the request in progress. */
static void auth_socket_request_reset(struct auth_socket_client *client)
{
	client->step = AUTH_SOCKET_IDLE;
	client->id = 0;
	free(client->rip);
	client->rip = NULL;
	free(client->user);
	client->user = NULL;
}

/* FAIL with a reason (static text, no TAB) and, when known, the user. */
static void auth_socket_fail(struct auth_socket_client *client, bool temp,
			     const char *reason)
{
	struct buffer out;

	buffer_init(&out, 0);
	buffer_printf(&out, "FAIL\t%u", client->id);
	if (client->user != NULL) {
		buffer_append_str(&out, "\tuser=");
		auth_socket_escape(&out, client->user);
	}
	if (temp)
		buffer_append_str(&out, "\ttemp");
	if (reason != NULL)
		buffer_printf(&out, "\treason=%s", reason);
	buffer_append_c(&out, '\n');
	connection_write(client->conn, out.data, out.used);
	buffer_free(&out);
	auth_socket_request_reset(client);
}

static void auth_socket_auth_done(void *context, const struct auth_result *result)
{
	struct auth_socket_client *client = context;
	char reason[96];

	client->auth_request = NULL;
	if (result->success) {
		struct buffer out;

		log_info("auth-socket", "login user=%s rip=%s", log_value(result->address),
			 log_value(client->rip != NULL ? client->rip : "-"));
		buffer_init(&out, 0);
		buffer_printf(&out, "OK\t%u\tuser=", client->id);
		auth_socket_escape(&out, result->address);
		buffer_append_c(&out, '\n');
		connection_write(client->conn, out.data, out.used);
		buffer_free(&out);
		auth_socket_request_reset(client);
	} else if (result->throttled) {
		snprintf(reason, sizeof(reason), "Too many login attempts, try again "
			 "in %u second%s", result->retry_after_secs,
			 result->retry_after_secs == 1 ? "" : "s");
		auth_socket_fail(client, true, reason);
	} else if (result->temp_failure) {
		auth_socket_fail(client, true, "Temporary authentication failure");
	} else {
		log_info("auth-socket", "login failed user=%s rip=%s",
			 log_value(client->user),
			 log_value(client->rip != NULL ? client->rip : "-"));
		auth_socket_fail(client, false, NULL);
	}
	if (auth_socket_draining) {
		auth_socket_close(client);
		return;
	}
	connection_input_pause(client->conn, false);
	connection_input_kick(client->conn);
}

static void auth_socket_verify(struct auth_socket_client *client,
			       const char *user, const char *password)
{
	if (client->user != user) {
		free(client->user);
		client->user = xstrdup(user);
	}
	client->step = AUTH_SOCKET_CHECKING;
	connection_input_pause(client->conn, true);
	/* the throttle counts by the SMTP client's address, not Postfix's */
	client->auth_request = client->rip != NULL ?
		auth_verify_from(client->srv->auth, METRICS_PROTOCOL_AUTH, client->rip,
				 user, password, auth_socket_auth_done, client) :
		auth_verify(client->srv->auth, METRICS_PROTOCOL_AUTH, user, password,
			    auth_socket_auth_done, client);
}

/* A response (base64) for the step we are at. */
static void auth_socket_response(struct auth_socket_client *client,
				 const char *b64)
{
	struct buffer msg;
	const char *authcid, *passwd, *error;

	buffer_init(&msg, AUTH_SASL_RESPONSE_MAX + 1);
	if (auth_sasl_decode(b64, strlen(b64), &msg) < 0) {
		auth_socket_fail(client, false, "Invalid base64 data");
	} else if (client->step == AUTH_SOCKET_PLAIN) {
		if (auth_sasl_plain_parse(msg.data, msg.used, &authcid, &passwd,
					  &error) < 0)
			auth_socket_fail(client, false, error);
		else
			auth_socket_verify(client, authcid, passwd);
	} else if (msg.used == 0 || memchr(msg.data, '\0', msg.used) != NULL) {
		auth_socket_fail(client, false, "Invalid LOGIN response");
	} else if (client->step == AUTH_SOCKET_LOGIN_USER) {
		free(client->user);
		client->user = xstrdup(msg.data);
		client->step = AUTH_SOCKET_LOGIN_PASS;
		/* "Password:" */
		auth_socket_write(client, "CONT\t%u\tUGFzc3dvcmQ6\n", client->id);
	} else {
		auth_socket_verify(client, client->user, msg.data);
	}
	auth_sasl_wipe(&msg);
}

static void auth_socket_cmd_auth(struct auth_socket_client *client,
				 const struct auth_socket_line *line)
{
	struct auth_socket_request req;
	const char *error;

	if (!client->version_ok) {
		auth_socket_protocol_error(client, "AUTH before VERSION");
		return;
	}
	if (auth_socket_request_parse(line, &req, &error) < 0) {
		auth_socket_protocol_error(client, error);
		return;
	}
	/* a new request replaces one the SMTP client abandoned ("*") */
	auth_socket_request_reset(client);
	client->id = req.id;
	if (req.rip != NULL && req.rip[0] != '\0') {
		client->rip = xstrdup(req.rip);
	}
	if (str_iequal(req.mech, "PLAIN"))
		client->step = AUTH_SOCKET_PLAIN;
	else if (str_iequal(req.mech, "LOGIN"))
		client->step = AUTH_SOCKET_LOGIN_USER;
	else {
		auth_socket_fail(client, false, "Unsupported authentication mechanism");
		return;
	}
	/* passwords only over TLS, or from plaintext_auth_from, as for
	   every other login here */
	if (!req.secured && (client->rip == NULL ||
			     !server_plaintext_auth_allowed_ip(client->srv, client->rip))) {
		log_info("auth-socket", "refused: not secured rip=%s",
			 log_value(client->rip != NULL ? client->rip : "-"));
		auth_socket_fail(client, false, "Plaintext authentication disallowed "
				 "on non-secure (SSL/TLS) connections");
		return;
	}
	if (req.resp != NULL)
		auth_socket_response(client, req.resp);
	else if (client->step == AUTH_SOCKET_PLAIN)
		auth_socket_write(client, "CONT\t%u\t\n", client->id);
	else
		/* "Username:" */
		auth_socket_write(client, "CONT\t%u\tVXNlcm5hbWU6\n", client->id);
}

static void auth_socket_cmd_cont(struct auth_socket_client *client,
				 const struct auth_socket_line *line)
{
	unsigned int id;

	if (line->argc < 1 || auth_socket_id_parse(line->args[0], &id) < 0) {
		auth_socket_protocol_error(client, "CONT needs an id");
		return;
	}
	if (id != client->id || client->step == AUTH_SOCKET_IDLE) {
		/* an answer for a request we no longer have */
		auth_socket_write(client, "FAIL\t%u\treason=Unknown request\n", id);
		return;
	}
	auth_socket_response(client, line->argc >= 2 ? line->args[1] : "");
}

static void auth_socket_handle_line(struct auth_socket_client *client,
				    char *text, size_t len)
{
	struct auth_socket_line line;
	const char *error;

	if (auth_socket_line_parse(text, len, &line, &error) < 0) {
		auth_socket_protocol_error(client, error);
		return;
	}
	if (strcmp(line.cmd, "VERSION") == 0) {
		if (line.argc < 1 || strcmp(line.args[0], "1") != 0) {
			auth_socket_protocol_error(client, "not protocol version 1");
			return;
		}
		client->version_ok = true;
	} else if (strcmp(line.cmd, "AUTH") == 0) {
		auth_socket_cmd_auth(client, &line);
	} else if (strcmp(line.cmd, "CONT") == 0) {
		auth_socket_cmd_cont(client, &line);
	} else {
		/* CPID, and whatever a newer client adds */
		log_debug("auth-socket", "ignored %s", log_value(line.cmd));
	}
}

static void auth_socket_client_run(struct auth_socket_client *client)
{
	while (!client->closing && client->step != AUTH_SOCKET_CHECKING) {
		const char *data;
		size_t len;
		int ret = connection_input_line(client->conn, &data, &len);

		if (ret == 0)
			break;
		if (ret < 0) {
			auth_socket_protocol_error(client, "line too long");
			break;
		}
		/* a copy: the line may carry a password, and is wiped */
		buffer_reset(&client->line);
		buffer_append(&client->line, data, len);
		connection_input_line_consume(client->conn);
		auth_socket_handle_line(client, client->line.data, client->line.used);
		secret_wipe(client->line.data, client->line.alloc);
	}
}

static void auth_socket_client_input(void *context)
{
	auth_socket_client_run(context);
}

static void auth_socket_client_destroy(struct auth_socket_client *client)
{
	if (client->prev != NULL)
		client->prev->next = client->next;
	else
		auth_socket_clients = client->next;
	if (client->next != NULL)
		client->next->prev = client->prev;
	auth_request_cancel(&client->auth_request);
	if (client->counted)
		server_connection_closed(client->srv, connection_peer(client->conn),
					 METRICS_PROTOCOL_AUTH);
	connection_destroy(&client->conn);
	auth_socket_request_reset(client);
	if (client->line.data != NULL)
		secret_wipe(client->line.data, client->line.alloc);
	buffer_free(&client->line);
	free(client);
}

static void auth_socket_client_closed(void *context,
				      enum connection_close_reason reason,
				      const char *detail)
{
	struct auth_socket_client *client = context;

	if (reason == CONNECTION_CLOSED_ERROR)
		log_info("auth-socket", "connection error: %s",
			 detail != NULL ? detail : "");
	auth_socket_client_destroy(client);
}

static void auth_socket_accept(void *context, int fd, const struct sockaddr *peer,
			       socklen_t peer_len, struct tls_session **session)
{
	struct server *srv = context;
	struct connection_settings set;
	struct auth_socket_client *client;

	(void)peer_len;
	(void)session;
	memset(&set, 0, sizeof(set));
	set.max_line = AUTH_SOCKET_MAX_LINE;
	set.max_input_buffer = AUTH_SOCKET_MAX_INPUT;
	set.idle_timeout_secs = AUTH_SOCKET_IDLE_TIMEOUT_SECS;

	client = xcalloc(1, sizeof(*client));
	client->srv = srv;
	client->conn = connection_create(srv->ioloop, fd, peer, NULL, &set,
					 &auth_socket_callbacks, client);
	if (client->conn == NULL) {
		free(client);
		return;
	}
	buffer_init(&client->line, AUTH_SOCKET_MAX_LINE);
	client->next = auth_socket_clients;
	if (auth_socket_clients != NULL)
		auth_socket_clients->prev = client;
	auth_socket_clients = client;
	if (!server_connection_opened(srv, peer, METRICS_PROTOCOL_AUTH)) {
		log_warning("auth-socket", "connection limit reached, closing");
		auth_socket_close(client);
		return;
	}
	client->counted = true;
	/* the handshake: what we offer, then DONE */
	auth_socket_write(client, "VERSION\t%u\t%u\n"
			  "MECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\n"
			  "SPID\t%ld\nCUID\t%u\nCOOKIE\t%s\nDONE\n",
			  AUTH_SOCKET_MAJOR, AUTH_SOCKET_MINOR, (long)getpid(),
			  auth_socket_next_cuid++, auth_socket_cookie);
}

static void auth_socket_drain(void *context)
{
	(void)context;
	auth_socket_draining = true;
	for (struct auth_socket_client *client = auth_socket_clients; client != NULL;
	     client = client->next) {
		/* a check under way is answered first */
		if (client->step != AUTH_SOCKET_CHECKING && !client->closing)
			auth_socket_close(client);
	}
}

int auth_socket_init(struct server *srv, const char **error_r)
{
	const struct conf *conf = srv->conf;
	unsigned char raw[16];

	if (conf->auth_postfix_socket.count == 0)
		return 0;
	/* COOKIE identifies this server to login processes, which Postfix
	   is not; it is sent because the handshake has it */
	secret_random(raw, sizeof(raw));
	for (unsigned int i = 0; i < sizeof(raw); i++)
		snprintf(auth_socket_cookie + i * 2, 3, "%02x", raw[i]);
	if (server_listen(srv, &conf->auth_postfix_socket, false, "postfix-auth",
			  auth_socket_accept, srv, error_r) < 0)
		return -1;
	server_add_drain_hook(srv, auth_socket_drain, NULL);
	return 0;
}

void auth_socket_deinit(void)
{
	while (auth_socket_clients != NULL)
		auth_socket_client_destroy(auth_socket_clients);
	auth_socket_draining = false;
}
