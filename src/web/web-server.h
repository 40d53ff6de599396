#ifndef INFOSTORE_WEB_SERVER_H
#define INFOSTORE_WEB_SERVER_H

struct server;

/* Bind the [web] listeners. 0, or -1 with *error_r. */
int web_server_init(struct server *srv, const char **error_r);
void web_server_deinit(void);

#include "web-http.h"

/* Hand every request whose target is prefix, or starts with prefix and
   then '/' or '?', to handler instead of the pages (the DAV front-end
   registers /dav and the /.well-known/ names this way, so src/web does
   not depend on it). At most WEB_SERVER_MAX_PREFIXES. */
#define WEB_SERVER_MAX_PREFIXES 8
void web_server_add_prefix(const char *prefix, web_http_handler *handler,
			   void *context);

#endif
