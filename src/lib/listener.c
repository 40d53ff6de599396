#include "listener.h"
#include "alloc.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"

#include <errno.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>

struct listener {
	struct ioloop *ioloop;
	struct evconnlistener *evl;
	struct timer *resume_timer;
	listener_accept_cb *cb;
	void *context;
	char name[128];
};

static void listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
			    struct sockaddr *sa, int socklen, void *arg)
{
	struct listener *listener = arg;

	(void)evl;
	listener->cb(listener->context, fd, sa, (socklen_t)socklen);
}

static void listener_resume(void *context)
{
	struct listener *listener = context;

	timer_remove(&listener->resume_timer);
	evconnlistener_enable(listener->evl);
}

static void listener_error(struct evconnlistener *evl, void *arg)
{
	struct listener *listener = arg;
	int err = EVUTIL_SOCKET_ERROR();

	log_error("listener", "accept failed on %s: %s", listener->name,
		  strerror(err));
	/* Out of descriptors or memory: try again in a second rather than
	   spinning on a listening socket that stays readable. */
	evconnlistener_disable(evl);
	if (listener->resume_timer == NULL)
		listener->resume_timer = timer_add(listener->ioloop, 1000, false,
						   listener_resume, listener);
}

struct listener *listener_create(struct ioloop *ioloop, int listen_fd,
				 const char *name, listener_accept_cb *cb,
				 void *context)
{
	struct listener *listener = xcalloc(1, sizeof(*listener));

	listener->ioloop = ioloop;
	listener->cb = cb;
	listener->context = context;
	strncpy(listener->name, name, sizeof(listener->name) - 1);
	listener->evl = evconnlistener_new(ioloop_event_base(ioloop),
					   listener_accept, listener,
					   LEV_OPT_CLOSE_ON_FREE |
					   LEV_OPT_CLOSE_ON_EXEC, -1, listen_fd);
	if (listener->evl == NULL)
		fatal("cannot create listener for %s", name);
	evconnlistener_set_error_cb(listener->evl, listener_error);
	return listener;
}

void listener_destroy(struct listener **_listener)
{
	struct listener *listener = *_listener;

	if (listener == NULL)
		return;
	*_listener = NULL;
	timer_remove(&listener->resume_timer);
	evconnlistener_free(listener->evl);
	free(listener);
}

