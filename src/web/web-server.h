#ifndef INFOSTORE_WEB_SERVER_H
#define INFOSTORE_WEB_SERVER_H

struct server;

/* Bind the [web] listeners. 0, or -1 with *error_r. */
int web_server_init(struct server *srv, const char **error_r);
void web_server_deinit(void);

#endif
