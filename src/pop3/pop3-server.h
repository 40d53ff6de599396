#ifndef INFOSTORE_POP3_SERVER_H
#define INFOSTORE_POP3_SERVER_H

struct server;

/* Bind the [pop3] listeners. 0, or -1 with *error_r. */
int pop3_server_init(struct server *srv, const char **error_r);
void pop3_server_deinit(void);

#endif
