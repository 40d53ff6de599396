#ifndef INFOSTORE_LMTP_SERVER_H
#define INFOSTORE_LMTP_SERVER_H

struct server;

/* Bind the [lmtp] listeners. 0, or -1 with *error_r. */
int lmtp_server_init(struct server *srv, const char **error_r);
void lmtp_server_deinit(void);

#endif
