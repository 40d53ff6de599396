#ifndef INFOSTORE_STORE_POP3_H
#define INFOSTORE_STORE_POP3_H

/*
 * Store queries for POP3 (src/pop3): the few columns a maildrop snapshot
 * needs, without dragging the envelope and body structure of 10,000
 * messages through SQLite at every login.
 */

#include <stdint.h>

struct store;

struct store_pop3_message {
	uint32_t uid;
	uint32_t flags;        /* enum store_flag */
	uint64_t size;         /* bytes as stored */
	uint64_t vsize;        /* bare LFs counted as CRLF */
	uint32_t header_size;  /* stored header bytes, blank line included */
	const char *blob;      /* valid during the callback only */
};

typedef void store_pop3_message_cb(void *context,
				   const struct store_pop3_message *msg);

/* Every message of the mailbox in UID order, read in one SQLite read
   transaction (a consistent snapshot). 0, or -1 (store_last_error()). */
int store_pop3_list(struct store *store, int64_t mailbox_id,
		    store_pop3_message_cb *cb, void *context);

/*
 * The maildrop lock across nodes (RFC 1939 8: one session per maildrop).
 * On PostgreSQL a session advisory lock on this handle's connection: a
 * session on another node is refused, and a node that dies takes its
 * locks with its connection. On SQLite one process serves POP3 and its
 * own table is the lock: always 1. 1 locked, 0 held elsewhere, -1 error.
 */
int store_pop3_lock(struct store *store, int64_t user_id);
void store_pop3_unlock(struct store *store, int64_t user_id);

/* Is the message still in the mailbox? 1 yes, 0 no, -1 error. */
int store_pop3_message_exists(struct store *store, int64_t mailbox_id,
			      uint32_t uid);

#endif
