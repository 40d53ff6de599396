#ifndef INFOSTORE_IMAP_APPEND_H
#define INFOSTORE_IMAP_APPEND_H

/*
 * APPEND's literals go straight to the store as they arrive (cmd-append.c):
 * the client loop calls these on the parser's literal events, before the
 * command line is complete; cmd_append() then adds the messages to the
 * index in one transaction. Nothing is acknowledged before the blobs are
 * durable and the index committed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct imap_arg;
struct imap_client;

/*
 * A literal of an APPEND command line begins; args are the arguments so
 * far (tag, APPEND, mailbox, ...). 0: stream it (the caller sends "+" for
 * a synchronising literal); -1: refused, the tagged reply is sent and the
 * parser told.
 */
int imap_append_literal(struct imap_client *client, const struct imap_arg *args,
			unsigned int count, uint64_t size, bool sync, bool binary);
void imap_append_literal_data(struct imap_client *client,
			      const unsigned char *data, size_t len);
void imap_append_literal_end(struct imap_client *client);
/* Drop what was streamed and not committed (command failed or ended). */
void imap_append_abort(struct imap_client *client);

#endif
