#ifndef INFOSTORE_IMAP_LOGIN_H
#define INFOSTORE_IMAP_LOGIN_H

/*
 * Checking a password for LOGIN and AUTHENTICATE PLAIN: auth_verify() on
 * the worker thread (it also applies the delay after a failure), then the
 * tagged reply. The command waits meanwhile; pipelined input stays unread.
 */

struct imap_command;

/* Starts the check; the command must return false (it is waiting). */
void imap_login_verify(struct imap_command *cmd, const char *address,
		       const char *password);

#endif
