/*
 * The session core (session.h): one list, one accounting and one count of
 * bad commands for every protocol.
 */
#include "session.h"
#include "conf.h"
#include "log.h"
#include "server.h"

bool session_open(struct session *s, struct session_list *list,
		  struct server *srv, enum metrics_protocol protocol, int fd,
		  const struct sockaddr *peer, struct tls_session **tls_session,
		  const struct connection_settings *set,
		  const struct connection_callbacks *callbacks, void *owner)
{
	s->srv = srv;
	s->protocol = protocol;
	s->owner = owner;
	s->conn = tls_session != NULL ?
		connection_create_tls_session(srv->ioloop, fd, peer, tls_session,
					      set, callbacks, owner) :
		connection_create(srv->ioloop, fd, peer, NULL, set, callbacks,
				  owner);
	if (s->conn == NULL)
		return false;
	s->prev = NULL;
	s->next = list->head;
	if (list->head != NULL)
		list->head->prev = s;
	list->head = s;
	return true;
}

bool session_count(struct session *s)
{
	s->counted = server_connection_opened(s->srv, connection_peer(s->conn),
					      s->protocol);
	return s->counted;
}

void session_close(struct session *s, struct session_list *list)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		list->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	if (s->counted)
		server_connection_closed(s->srv, connection_peer(s->conn), s->protocol);
	s->counted = false;
	connection_destroy(&s->conn);
}

const char *session_close_reason(enum connection_close_reason reason)
{
	switch (reason) {
	case CONNECTION_CLOSED_EOF:
		return "eof";
	case CONNECTION_CLOSED_ERROR:
		return "error";
	case CONNECTION_CLOSED_TIMEOUT:
		return "idle timeout";
	case CONNECTION_CLOSED_BY_US:
		return "closed";
	case CONNECTION_CLOSED_INPUT_FULL:
		return "input full";
	}
	return "unknown";
}

bool session_bad_command(struct session *s, const char *log_name)
{
	unsigned int max = s->srv->conf->max_bad_commands;

	if (max == 0 || ++s->bad_commands < max)
		return false;
	log_info(log_name, "too many bad commands, disconnecting ip=%s",
		 connection_peer_ip(s->conn));
	return true;
}

void session_good_command(struct session *s)
{
	s->bad_commands = 0;
}

void session_list_foreach(struct session_list *list, void (*fn)(void *owner))
{
	struct session *s, *next;

	for (s = list->head; s != NULL; s = next) {
		next = s->next;
		fn(s->owner);
	}
}
