/*
 * The SMTP client's session: a small state machine driven by whole replies
 * (smtp-reply.c) over one bufferevent, replaced by a TLS one after
 * STARTTLS (the way src/lib/connection.c upgrades server connections).
 */
#include "smtp-client.h"
#include "alloc.h"
#include "buffer.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "smtp-data.h"
#include "smtp-reply.h"
#include "strutil.h"
#include "tls-bufferevent.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMTP_CLIENT_REPLY_MAX_LINE 4096
/* After QUIT we wait this long for 221 and no longer. */
#define SMTP_CLIENT_QUIT_TIMEOUT_SECS 5

enum smtp_client_state {
	SMTP_CLIENT_CONNECTING,
	SMTP_CLIENT_GREETING,
	SMTP_CLIENT_EHLO,
	SMTP_CLIENT_HELO,
	SMTP_CLIENT_STARTTLS,
	SMTP_CLIENT_TLS_HANDSHAKE,
	SMTP_CLIENT_MAIL,
	SMTP_CLIENT_RCPT,
	SMTP_CLIENT_DATA,
	SMTP_CLIENT_DATA_END,
	SMTP_CLIENT_QUIT,
	SMTP_CLIENT_DONE,
};

static const char *const smtp_client_stages[] = {
	[SMTP_CLIENT_CONNECTING] = "connect",
	[SMTP_CLIENT_GREETING] = "greeting",
	[SMTP_CLIENT_EHLO] = "EHLO",
	[SMTP_CLIENT_HELO] = "HELO",
	[SMTP_CLIENT_STARTTLS] = "STARTTLS",
	[SMTP_CLIENT_TLS_HANDSHAKE] = "TLS handshake",
	[SMTP_CLIENT_MAIL] = "MAIL FROM",
	[SMTP_CLIENT_RCPT] = "RCPT TO",
	[SMTP_CLIENT_DATA] = "DATA",
	[SMTP_CLIENT_DATA_END] = "end of data",
	[SMTP_CLIENT_QUIT] = "QUIT",
	[SMTP_CLIENT_DONE] = "done",
};

struct smtp_client {
	struct ioloop *ioloop;
	struct event_base *base;
	struct evdns_base *dns;
	struct bufferevent *bev;
	struct smtp_reply_parser *parser;
	struct buffer scratch;
	enum smtp_client_state state;

	char *host;
	uint16_t port;
	char *helo;
	struct tls_context *tls;
	unsigned int connect_timeout_secs;
	unsigned int command_timeout_secs;

	char *sender;
	char *data;
	size_t size;
	struct smtp_client_rcpt *rcpts;
	bool *accepted;          /* 2xx at RCPT, waiting for the data's reply */
	bool *final;             /* status decided */
	unsigned int count;
	unsigned int rcpt_idx;
	unsigned int accepted_count;

	bool ext_starttls, ext_8bitmime, ext_smtputf8, ext_size;
	bool tls_active;
	struct timer *finish_timer;
	smtp_client_done_cb *cb;
	void *context;
};

static void smtp_client_read_cb(struct bufferevent *bev, void *arg);
static void smtp_client_event_cb(struct bufferevent *bev, short what, void *arg);

static char *smtp_strdup(const char *str)
{
	char *copy = xstrdup(str);

	return copy;
}

static void smtp_client_set_timeouts(struct smtp_client *client, unsigned int secs)
{
	struct timeval tv = { .tv_sec = secs, .tv_usec = 0 };

	bufferevent_set_timeouts(client->bev, &tv, &tv);
}

static void smtp_client_free(struct smtp_client *client)
{
	timer_remove(&client->finish_timer);
	if (client->bev != NULL)
		bufferevent_free(client->bev);
	if (client->dns != NULL)
		evdns_base_free(client->dns, 0);
	smtp_reply_parser_destroy(&client->parser);
	buffer_free(&client->scratch);
	for (unsigned int i = 0; i < client->count; i++) {
		free((char *)client->rcpts[i].address);
		free((char *)client->rcpts[i].reply);
	}
	free(client->rcpts);
	free(client->accepted);
	free(client->final);
	free(client->host);
	free(client->helo);
	free(client->sender);
	free(client->data);
	free(client);
}

static void smtp_client_finish_cb(void *context)
{
	struct smtp_client *client = context;
	struct smtp_client_result result = {
		.rcpts = client->rcpts,
		.count = client->count,
		.tls = client->tls_active,
	};

	timer_remove(&client->finish_timer);
	client->cb(client->context, &result);
	smtp_client_free(client);
}

/* Report from the loop, never from inside a libevent callback that may
   still touch the bufferevent. */
static void smtp_client_finish(struct smtp_client *client)
{
	if (client->state == SMTP_CLIENT_DONE)
		return;
	client->state = SMTP_CLIENT_DONE;
	if (client->bev != NULL)
		bufferevent_disable(client->bev, EV_READ | EV_WRITE);
	client->finish_timer = timer_add(client->ioloop, 0, false,
					 smtp_client_finish_cb, client);
}

static void smtp_client_set_rcpt(struct smtp_client *client, unsigned int i,
				 enum smtp_client_status status,
				 const char *stage, const char *reply)
{
	struct smtp_client_rcpt *rcpt = &client->rcpts[i];

	free((char *)rcpt->reply);
	rcpt->reply = smtp_strdup(reply);
	rcpt->stage = stage;
	rcpt->status = status;
	client->final[i] = true;
}

/* Every recipient not decided yet gets status (with the reason). */
static void smtp_client_fail_rest(struct smtp_client *client,
				  enum smtp_client_status status, const char *reason)
{
	const char *stage = smtp_client_stages[client->state];

	for (unsigned int i = 0; i < client->count; i++) {
		if (!client->final[i])
			smtp_client_set_rcpt(client, i, status, stage, reason);
	}
}

static void smtp_client_write(struct smtp_client *client, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void smtp_client_write(struct smtp_client *client, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(client->bev);
	va_list args;

	va_start(args, fmt);
	evbuffer_add_vprintf(out, fmt, args);
	va_end(args);
	evbuffer_add(out, "\r\n", 2);
}

static void smtp_client_quit(struct smtp_client *client)
{
	client->state = SMTP_CLIENT_QUIT;
	smtp_client_set_timeouts(client, SMTP_CLIENT_QUIT_TIMEOUT_SECS);
	smtp_client_write(client, "QUIT");
}

/* A failure that ends the transaction; the connection still works. */
static void smtp_client_fail_and_quit(struct smtp_client *client,
				      const struct smtp_reply *reply)
{
	smtp_client_fail_rest(client, reply->code >= 500 ? SMTP_CLIENT_PERMFAIL :
			      SMTP_CLIENT_TEMPFAIL,
			      smtp_reply_oneline(reply, &client->scratch));
	smtp_client_quit(client);
}

static bool smtp_has_8bit(const void *data, size_t size)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < size; i++) {
		if (p[i] >= 0x80)
			return true;
	}
	return false;
}

static void smtp_client_ehlo(struct smtp_client *client)
{
	client->state = SMTP_CLIENT_EHLO;
	client->ext_starttls = client->ext_8bitmime = false;
	client->ext_smtputf8 = client->ext_size = false;
	smtp_client_write(client, "EHLO %s", client->helo);
}

static void smtp_client_mail(struct smtp_client *client)
{
	bool utf8 = smtp_has_8bit(client->sender, strlen(client->sender));

	for (unsigned int i = 0; i < client->count && !utf8; i++)
		utf8 = smtp_has_8bit(client->rcpts[i].address,
				     strlen(client->rcpts[i].address));
	client->state = SMTP_CLIENT_MAIL;
	buffer_reset(&client->scratch);
	buffer_printf(&client->scratch, "MAIL FROM:<%s>", client->sender);
	/* RFC 1870, RFC 6152, RFC 6531 3.4 */
	if (client->ext_size)
		buffer_printf(&client->scratch, " SIZE=%zu", client->size);
	if (client->ext_8bitmime && smtp_has_8bit(client->data, client->size))
		buffer_append_str(&client->scratch, " BODY=8BITMIME");
	if (utf8 && client->ext_smtputf8)
		buffer_append_str(&client->scratch, " SMTPUTF8");
	smtp_client_write(client, "%s", client->scratch.data);
}

static void smtp_client_next_rcpt(struct smtp_client *client)
{
	if (client->rcpt_idx < client->count) {
		client->state = SMTP_CLIENT_RCPT;
		smtp_client_write(client, "RCPT TO:<%s>",
				  client->rcpts[client->rcpt_idx].address);
		return;
	}
	if (client->accepted_count == 0) {
		smtp_client_quit(client);
		return;
	}
	client->state = SMTP_CLIENT_DATA;
	smtp_client_write(client, "DATA");
}

static void smtp_client_send_data(struct smtp_client *client)
{
	struct buffer stuffed;

	buffer_init(&stuffed, 0);
	(void)smtp_data_stuff(&stuffed, client->data, client->size);
	bufferevent_write(client->bev, stuffed.data, stuffed.used);
	buffer_free(&stuffed);
	client->state = SMTP_CLIENT_DATA_END;
	/* RFC 5321 4.5.3.2.6: up to 10 minutes for the final reply */
	smtp_client_set_timeouts(client, client->command_timeout_secs * 2);
}

static void smtp_client_parse_ehlo(struct smtp_client *client, const char *text)
{
	const char *line = strchr(text, '\n');

	/* the first line is the server's name; then one keyword a line */
	while (line != NULL) {
		const char *kw = line + 1;
		size_t len;

		line = strchr(kw, '\n');
		len = line != NULL ? (size_t)(line - kw) : strlen(kw);
		if (len >= 8 && mem_iequal(kw, "STARTTLS", 8) && (len == 8 || kw[8] == ' '))
			client->ext_starttls = true;
		else if (len >= 8 && mem_iequal(kw, "8BITMIME", 8))
			client->ext_8bitmime = true;
		else if (len >= 8 && mem_iequal(kw, "SMTPUTF8", 8))
			client->ext_smtputf8 = true;
		else if (len >= 4 && mem_iequal(kw, "SIZE", 4) && (len == 4 || kw[4] == ' '))
			client->ext_size = true;
	}
}

static void smtp_client_start_tls(struct smtp_client *client)
{
	struct evbuffer *input = bufferevent_get_input(client->bev);
	int fd;

	/* RFC 3207 4.2: forget everything from before the handshake */
	evbuffer_drain(input, evbuffer_get_length(input));
	smtp_reply_parser_reset(client->parser);
	fd = dup(bufferevent_getfd(client->bev));
	bufferevent_free(client->bev);
	client->bev = NULL;
	client->state = SMTP_CLIENT_TLS_HANDSHAKE;
	if (fd < 0) {
		smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL, strerror(errno));
		smtp_client_finish(client);
		return;
	}
	client->bev = tls_bufferevent_connect(client->tls, client->base, fd,
					      client->host);
	if (client->bev == NULL) {
		smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL, "TLS setup failed");
		smtp_client_finish(client);
		return;
	}
	bufferevent_setcb(client->bev, smtp_client_read_cb, NULL,
			  smtp_client_event_cb, client);
	smtp_client_set_timeouts(client, client->command_timeout_secs);
	bufferevent_enable(client->bev, EV_READ | EV_WRITE);
}

static void smtp_client_reply(struct smtp_client *client,
			      const struct smtp_reply *reply)
{
	unsigned int class = reply->code / 100;

	log_debug("smtp-client", "%s: %s %s", client->host,
		  smtp_client_stages[client->state],
		  smtp_reply_oneline(reply, &client->scratch));
	switch (client->state) {
	case SMTP_CLIENT_GREETING:
		/* RFC 5321 3.1: anything but 220 means no service now */
		if (reply->code != 220) {
			smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL,
					      smtp_reply_oneline(reply, &client->scratch));
			smtp_client_quit(client);
			return;
		}
		smtp_client_ehlo(client);
		return;
	case SMTP_CLIENT_EHLO:
		if (class == 2) {
			smtp_client_parse_ehlo(client, reply->text);
			if (client->ext_starttls && client->tls != NULL &&
			    !client->tls_active) {
				client->state = SMTP_CLIENT_STARTTLS;
				smtp_client_write(client, "STARTTLS");
				return;
			}
			smtp_client_mail(client);
			return;
		}
		/* RFC 5321 3.2: a server that does not know EHLO gets HELO */
		if (class == 5 && !client->tls_active) {
			client->state = SMTP_CLIENT_HELO;
			smtp_client_write(client, "HELO %s", client->helo);
			return;
		}
		smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL,
				      smtp_reply_oneline(reply, &client->scratch));
		smtp_client_quit(client);
		return;
	case SMTP_CLIENT_HELO:
		if (class != 2) {
			smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL,
					      smtp_reply_oneline(reply, &client->scratch));
			smtp_client_quit(client);
			return;
		}
		smtp_client_mail(client);
		return;
	case SMTP_CLIENT_STARTTLS:
		if (reply->code == 220) {
			smtp_client_start_tls(client);
			return;
		}
		/* offered but refused (454): go on in plaintext, as the
		   relay will take the message anyway */
		log_warning("smtp-client", "%s refused STARTTLS: %s", client->host,
			    smtp_reply_oneline(reply, &client->scratch));
		smtp_client_mail(client);
		return;
	case SMTP_CLIENT_MAIL:
		if (class != 2) {
			smtp_client_fail_and_quit(client, reply);
			return;
		}
		client->rcpt_idx = 0;
		smtp_client_next_rcpt(client);
		return;
	case SMTP_CLIENT_RCPT: {
		unsigned int i = client->rcpt_idx++;

		if (class == 2) {
			client->accepted[i] = true;
			client->accepted_count++;
		} else {
			smtp_client_set_rcpt(client, i, class == 5 ?
					     SMTP_CLIENT_PERMFAIL : SMTP_CLIENT_TEMPFAIL,
					     "RCPT TO",
					     smtp_reply_oneline(reply, &client->scratch));
		}
		smtp_client_next_rcpt(client);
		return;
	}
	case SMTP_CLIENT_DATA:
		if (reply->code != 354) {
			smtp_client_fail_and_quit(client, reply);
			return;
		}
		smtp_client_send_data(client);
		return;
	case SMTP_CLIENT_DATA_END:
		if (class == 2) {
			const char *text = smtp_reply_oneline(reply, &client->scratch);

			for (unsigned int i = 0; i < client->count; i++) {
				if (client->accepted[i] && !client->final[i])
					smtp_client_set_rcpt(client, i, SMTP_CLIENT_SENT,
							     "end of data", text);
			}
			smtp_client_quit(client);
			return;
		}
		smtp_client_fail_and_quit(client, reply);
		return;
	case SMTP_CLIENT_QUIT:
		smtp_client_finish(client);
		return;
	case SMTP_CLIENT_CONNECTING:
	case SMTP_CLIENT_TLS_HANDSHAKE:
	case SMTP_CLIENT_DONE:
		break;
	}
}

static void smtp_client_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_client *client = arg;
	struct evbuffer *input = bufferevent_get_input(bev);

	while (client->state != SMTP_CLIENT_DONE &&
	       client->state != SMTP_CLIENT_TLS_HANDSHAKE) {
		size_t size = evbuffer_get_length(input), consumed;
		const unsigned char *data;
		struct smtp_reply reply;
		const char *error;
		int ret;

		if (size == 0)
			break;
		data = evbuffer_pullup(input, (ev_ssize_t)size);
		ret = smtp_reply_parser_parse(client->parser, data, size,
					      &consumed, &reply, &error);
		evbuffer_drain(input, consumed);
		if (ret < 0) {
			buffer_reset(&client->scratch);
			buffer_printf(&client->scratch, "invalid reply from %s: %s",
				      client->host, error);
			smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL,
					      client->scratch.data);
			smtp_client_finish(client);
			return;
		}
		if (ret == 0)
			break;
		smtp_client_reply(client, &reply);
		/* STARTTLS replaced the bufferevent: its input is gone */
		if (client->bev != bev)
			return;
	}
}

static void smtp_client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_client *client = arg;
	const char *why;

	if (client->state == SMTP_CLIENT_DONE)
		return;
	if ((what & BEV_EVENT_CONNECTED) != 0) {
		if (client->state == SMTP_CLIENT_TLS_HANDSHAKE) {
			client->tls_active = true;
			smtp_client_ehlo(client);
		} else {
			client->state = SMTP_CLIENT_GREETING;
			smtp_client_set_timeouts(client, client->command_timeout_secs);
		}
		return;
	}
	if (client->state == SMTP_CLIENT_QUIT) {
		/* the relay hung up after QUIT, or did not answer it: fine */
		smtp_client_finish(client);
		return;
	}
	buffer_reset(&client->scratch);
	if ((what & BEV_EVENT_TIMEOUT) != 0) {
		why = "timed out";
	} else if ((what & BEV_EVENT_EOF) != 0) {
		why = "connection closed by the relay";
	} else if (client->state == SMTP_CLIENT_TLS_HANDSHAKE) {
		why = tls_bufferevent_error(bev);
	} else {
		int dns_err = bufferevent_socket_get_dns_error(bev);

		why = dns_err != 0 ? evutil_gai_strerror(dns_err) :
			evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
	}
	if (client->state == SMTP_CLIENT_CONNECTING)
		buffer_printf(&client->scratch, "connect to %s:%u: %s", client->host,
			      client->port, why);
	else
		buffer_printf(&client->scratch, "%s with %s:%u: %s",
			      smtp_client_stages[client->state], client->host,
			      client->port, why);
	smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL, client->scratch.data);
	smtp_client_finish(client);
}

/* Numeric addresses connect at once; names go through evdns so that the
   loop never waits on DNS. */
static int smtp_client_connect(struct smtp_client *client)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, client->host, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(client->port);
		return bufferevent_socket_connect(client->bev, (struct sockaddr *)&sin,
						  sizeof(sin));
	}
	if (inet_pton(AF_INET6, client->host, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(client->port);
		return bufferevent_socket_connect(client->bev, (struct sockaddr *)&sin6,
						  sizeof(sin6));
	}
	client->dns = evdns_base_new(client->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (client->dns == NULL)
		return -1;
	return bufferevent_socket_connect_hostname(client->bev, client->dns,
						   AF_UNSPEC, client->host,
						   client->port);
}

struct smtp_client *smtp_client_send(struct ioloop *ioloop,
				     const struct smtp_client_settings *set,
				     const char *sender,
				     const char *const *recipients,
				     unsigned int count, const void *data,
				     size_t size, smtp_client_done_cb *cb,
				     void *context)
{
	struct smtp_client *client = xcalloc(1, sizeof(*client));

	client->ioloop = ioloop;
	client->base = ioloop_event_base(ioloop);
	client->parser = smtp_reply_parser_create(SMTP_CLIENT_REPLY_MAX_LINE);
	buffer_init(&client->scratch, 0);
	client->host = smtp_strdup(set->host);
	client->port = set->port;
	client->helo = smtp_strdup(set->helo);
	client->tls = set->tls;
	client->connect_timeout_secs = set->connect_timeout_secs != 0 ?
		set->connect_timeout_secs : 30;
	client->command_timeout_secs = set->command_timeout_secs != 0 ?
		set->command_timeout_secs : 300;
	client->sender = smtp_strdup(sender);
	client->data = xmalloc(size > 0 ? size : 1);
	client->rcpts = xcalloc(count > 0 ? count : 1, sizeof(*client->rcpts));
	client->accepted = xcalloc(count > 0 ? count : 1, sizeof(bool));
	client->final = xcalloc(count > 0 ? count : 1, sizeof(bool));
	if (size > 0)
		memcpy(client->data, data, size);
	client->size = size;
	client->count = count;
	for (unsigned int i = 0; i < count; i++) {
		client->rcpts[i].address = smtp_strdup(recipients[i]);
		client->rcpts[i].status = SMTP_CLIENT_TEMPFAIL;
		client->rcpts[i].stage = "connect";
	}
	client->cb = cb;
	client->context = context;
	client->state = SMTP_CLIENT_CONNECTING;

	client->bev = bufferevent_socket_new(client->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (client->bev == NULL)
		fatal_oom();
	bufferevent_setcb(client->bev, smtp_client_read_cb, NULL,
			  smtp_client_event_cb, client);
	smtp_client_set_timeouts(client, client->connect_timeout_secs);
	bufferevent_enable(client->bev, EV_READ | EV_WRITE);
	if (smtp_client_connect(client) < 0) {
		buffer_printf(&client->scratch, "connect to %s:%u: %s", client->host,
			      client->port, strerror(errno));
		smtp_client_fail_rest(client, SMTP_CLIENT_TEMPFAIL,
				      client->scratch.data);
		smtp_client_finish(client);
	}
	return client;
}

void smtp_client_abort(struct smtp_client **_client)
{
	struct smtp_client *client = *_client;

	if (client == NULL)
		return;
	*_client = NULL;
	smtp_client_free(client);
}
