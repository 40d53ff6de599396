#ifndef INFOSTORE_POP3_MAILDROP_H
#define INFOSTORE_POP3_MAILDROP_H

/*
 * A POP3 session's maildrop: a snapshot of the user's INBOX taken at login
 * (RFC 1939 4: the server "acquires an exclusive-access lock on the
 * maildrop"), the deletion marks of the session, and the UPDATE state that
 * carries them out.
 *
 * The lock is an in-process table of users with a maildrop open: one
 * daemon owns the store, so a second POP3 login of the same user gets
 * -ERR [IN-USE] (RFC 2449 8.1.1). IMAP is not locked out; the snapshot is
 * what keeps the session consistent while IMAP changes INBOX:
 *   - messages that arrive later are not shown in this session;
 *   - messages that IMAP expunges stay in the listing (numbers and sizes
 *     never shift under the client), but RETR and TOP of them answer
 *     -ERR (see pop3_maildrop_message_gone()).
 */

#include <stdbool.h>
#include <stdint.h>

struct store;
struct mailbox_watch;

enum pop3_msg_flags {
	POP3_MSG_DELETED = 0x01,    /* DELE in this session */
	POP3_MSG_RETRIEVED = 0x02,  /* RETR in this session: \Seen at UPDATE */
	POP3_MSG_SEEN = 0x04,       /* had \Seen at login */
	POP3_MSG_GONE = 0x08,       /* expunged by another session */
};

struct pop3_msg {
	uint32_t uid;
	uint32_t header_size;
	uint64_t size;              /* stored bytes */
	uint64_t vsize;             /* octets as sent, RFC 1939 11 */
	unsigned char blob[16];     /* blob id, binary */
	uint8_t flags;              /* enum pop3_msg_flags */
};

struct pop3_maildrop {
	struct store *store;        /* the loop's, which holds the lock */
	int64_t user_id;
	int64_t mailbox_id;
	uint32_t uidvalidity;

	struct pop3_msg *msgs;      /* message number n is msgs[n - 1] */
	unsigned int count;
	unsigned int alloc;
	unsigned int deleted_count;
	uint64_t total_size;        /* vsize of all, deleted included */
	uint64_t deleted_size;

	struct pop3_maildrop *next; /* in the lock table */
};

enum pop3_maildrop_open_result {
	POP3_MAILDROP_OK,
	POP3_MAILDROP_IN_USE,
	POP3_MAILDROP_FAILED,       /* store error: see the log */
};

/* Lock the user's maildrop and take the snapshot of INBOX. */
enum pop3_maildrop_open_result
pop3_maildrop_open(struct store *store, int64_t user_id,
		   struct pop3_maildrop **md_r);
/* Unlock and free, changing nothing in the store (a session that ends
   without QUIT, RFC 1939 6). NULL is fine. */
void pop3_maildrop_close(struct pop3_maildrop **md);

/* Is this user's maildrop open in some session? */
bool pop3_maildrop_in_use(int64_t user_id);

/* Message number n (1-based) if it exists and is not marked deleted;
   NULL otherwise (*deleted_r tells which). */
struct pop3_msg *pop3_maildrop_get(struct pop3_maildrop *md, uint32_t n,
				   bool *deleted_r);

void pop3_maildrop_delete(struct pop3_maildrop *md, struct pop3_msg *msg);
/* RFC 1939 5 RSET: unmark every message. */
void pop3_maildrop_reset(struct pop3_maildrop *md);

/*
 * Has msg been expunged since the snapshot? Asks the store only when
 * maybe_changed (the session's mailbox watcher fired); a message found
 * gone stays gone. 1 gone, 0 still there, -1 store error.
 */
int pop3_maildrop_message_gone(struct pop3_maildrop *md, struct store *store,
			       struct pop3_msg *msg, bool maybe_changed);

/* The blob id of msg as text (33 bytes with NUL). */
void pop3_maildrop_blob_id(const struct pop3_msg *msg, char out[33]);

/* RFC 1939 7 UIDL: "<uidvalidity>.<uid>", never longer than 70. */
#define POP3_UIDL_MAX 24
void pop3_maildrop_uidl(const struct pop3_maildrop *md,
			const struct pop3_msg *msg, char out[POP3_UIDL_MAX]);

/*
 * RFC 1939 6 UPDATE: expunge the messages marked deleted and set \Seen on
 * those retrieved, in one transaction, then tell the mailbox watch.
 * *expunged_r counts the messages removed. 0, or -1 when nothing could be
 * committed (nothing was removed).
 */
int pop3_maildrop_update(struct pop3_maildrop *md, struct store *store,
			 struct mailbox_watch *watch, unsigned int *expunged_r);

#endif
