#ifndef INFOSTORE_IMAP_EXPUNGE_H
#define INFOSTORE_IMAP_EXPUNGE_H

/* Removing \Deleted messages of the selected mailbox, for EXPUNGE,
   UID EXPUNGE and CLOSE. */

#include <stdint.h>

struct imap_client;
struct imap_seqset;
struct pool;

/*
 * Expunge the view's messages that have \Deleted (and, with uid_set, whose
 * UID is in it), in one transaction. *uids_r (ascending, from pool) gets
 * what was expunged. 0, or -1 (store error; nothing expunged).
 */
int imap_expunge_deleted(struct imap_client *client, struct pool *pool,
			 const struct imap_seqset *uid_set,
			 uint32_t **uids_r, unsigned int *count_r);

#endif
