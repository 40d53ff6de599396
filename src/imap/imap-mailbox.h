#ifndef INFOSTORE_IMAP_MAILBOX_H
#define INFOSTORE_IMAP_MAILBOX_H

/*
 * Mailbox names between the wire and the store. On the wire they are
 * modified UTF-7 (RFC 3501 5.1.3), in the store UTF-8 with "/" between
 * levels. Every name a client gives goes through imap_mailbox_name_decode()
 * and every lookup through imap_mailbox_lookup(), which sees only the
 * user's own mail mailboxes: the Calendar (STORE_MAILBOX_CALENDAR) is not
 * a mail folder, and no name can reach another user's (the store scopes
 * every query by user).
 */

#include <stdbool.h>

struct buffer;
struct imap_client;
struct pool;
struct store_mailbox;

/* The hierarchy separator as clients see it. */
#define IMAP_HIERARCHY_SEP "/"

/* Wire name to store name. 0, or -1 with a static *error_r. */
int imap_mailbox_name_decode(struct imap_client *client, struct pool *pool,
			     const char *wire, const char **name_r,
			     const char **error_r);
/* Append a store name as an astring in the wire form. */
void imap_mailbox_name_append(struct imap_client *client, struct buffer *buf,
			      const char *name);
/* A mail mailbox of the user by store name: 1 found, 0 not (or not a mail
   mailbox), -1 store error. */
int imap_mailbox_lookup(struct imap_client *client, struct pool *pool,
			const char *name, struct store_mailbox *mb_r);
/*
 * A mailbox argument of cmd, decoded and looked up. true: found, *name_r
 * and *mb_r set. false: the NO reply ([NONEXISTENT] or the store's
 * error) has been sent.
 */
struct imap_command;
bool imap_mailbox_arg_lookup(struct imap_command *cmd, const char *wire,
			     const char **name_r, struct store_mailbox *mb_r);
/* Is name the INBOX (any case)? */
bool imap_mailbox_is_inbox(const char *name);

#endif
