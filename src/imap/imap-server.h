#ifndef INFOSTORE_IMAP_SERVER_H
#define INFOSTORE_IMAP_SERVER_H

struct server;

/* Bind [imap] listen and tls_listen. 0, or -1 with *error_r. */
int imap_server_init(struct server *srv, const char **error_r);
void imap_server_deinit(void);

#endif
