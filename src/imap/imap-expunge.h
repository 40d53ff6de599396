#ifndef INFOSTORE_IMAP_EXPUNGE_H
#define INFOSTORE_IMAP_EXPUNGE_H

/* Removing \Deleted messages of the selected mailbox, for EXPUNGE,
   UID EXPUNGE and CLOSE, on the writer thread. */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct imap_command;
struct imap_seqset;

/* Called on the loop once the expunges are durable (or failed): uids
   (ascending, in the command's pool) were expunged. */
typedef void imap_expunge_done(struct imap_command *cmd, const uint32_t *uids,
			       unsigned int count, int result,
			       enum store_error error);

/*
 * Expunge the view's messages that have \Deleted (and, with uid_set, whose
 * UID is in it). done is called in any case; the return value is what the
 * command handler returns: true if done was called already (nothing to
 * expunge), false if the command now waits for the writer.
 */
bool imap_expunge_start(struct imap_command *cmd, const struct imap_seqset *uid_set,
			imap_expunge_done *done);

#endif
