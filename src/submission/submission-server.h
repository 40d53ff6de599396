#ifndef INFOSTORE_SUBMISSION_SERVER_H
#define INFOSTORE_SUBMISSION_SERVER_H

/*
 * Message submission for mail apps (RFC 6409): [submission] listen
 * (STARTTLS, RFC 3207) and tls_listen (implicit TLS, RFC 8314). Logged-in
 * users send from their own address; local recipients get the message in
 * their INBOX, everyone else through the outbound queue.
 */

struct server;

/* Bind the [submission] listeners. 0, or -1 with *error_r. */
int submission_server_init(struct server *srv, const char **error_r);
void submission_server_deinit(void);

#endif
