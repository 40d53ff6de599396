#ifndef INFOSTORE_AUTH_SOCKET_H
#define INFOSTORE_AUTH_SOCKET_H

/*
 * [auth] postfix_socket: a unix socket that answers Dovecot's
 * authentication protocol, so that a Postfix doing submission itself
 * (smtpd_sasl_type = dovecot, smtpd_sasl_path = the socket) checks its
 * SMTP clients' passwords against infostore's users.
 *
 * Mechanisms PLAIN and LOGIN (flagged "plaintext", so Postfix offers
 * them only where smtpd_sasl_security_options allow). The password goes
 * through auth.h like every other login: the throttle keyed by the SMTP
 * client's address (Postfix's rip=), the cache, Argon2id on its thread,
 * the failure delay. A request from a connection Postfix did not mark
 * "secured" (TLS) is refused unless rip= is in [server]
 * plaintext_auth_from, as everywhere else.
 *
 * Requests on one socket connection are answered one at a time, in order
 * (Postfix sends one and waits). Anyone who can open the socket can try
 * passwords, so it belongs in a directory only Postfix can reach (its
 * private/ directory); it is created mode 0666 like the LMTP socket.
 */

struct server;

/* Bind the socket. 0, or -1 with *error_r. Nothing when not configured. */
int auth_socket_init(struct server *srv, const char **error_r);
void auth_socket_deinit(void);

#endif
