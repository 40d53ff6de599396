#ifndef INFOSTORE_DELIVER_H
#define INFOSTORE_DELIVER_H

/*
 * Local delivery: the one path by which a message from outside enters a
 * user's store, shared by LMTP, `infostore deliver` and the web access's
 * invitations to local attendees.
 *
 * For each recipient the bytes to store are the trace headers plus the
 * message, or what the calendar hook renders for a meeting request. The
 * bodies are written and made durable first (blob fsync, rename, directory
 * fsync), then all index rows of the batch go into one SQLite transaction.
 * A result of DELIVER_OK means exactly that the message is on disk.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

struct conf;
struct mime_summary;
struct pool;
struct store;
struct store_message_meta;
struct store_user;

enum deliver_status {
	DELIVER_OK,
	DELIVER_UNKNOWN_USER,  /* 550 5.1.1 / exit 67 */
	DELIVER_TEMPFAIL,      /* 451 4.3.0 / exit 75 */
	DELIVER_TOO_BIG,       /* 552 5.3.4 / exit 65 */
	DELIVER_BAD_MESSAGE,   /* 554 5.6.0 / exit 65 */
	DELIVER_OVER_QUOTA,    /* 552 5.2.2 / exit 73: the quota (store.h) */
};

struct deliver_request {
	const char *sender;      /* envelope sender, "" for <>, NULL: none known */
	const char *received;    /* a Received: header value, or NULL */
	const unsigned char *data;
	size_t size;
	unsigned int rcpt_count;
	const char *const *recipients;
	/* made by this server (cal_send(): an invitation, answer or
	   cancellation of a local user), never true for LMTP or `deliver`:
	   the calendar trusts an organizer's own copy only from here */
	bool from_this_server;
	/* what the metrics count it as (0: local) */
	enum metrics_delivery_source source;
	/* set by deliver_batch(), one per recipient */
	enum deliver_status *status;
	uint32_t *uids;
	/* optional: called inside the delivery transaction, on the delivery
	   thread, once the message is in for at least one recipient, so that
	   the caller's own records commit with it or not at all (the
	   outbound queue's entry with its bounce). -1 aborts the
	   transaction: every recipient of the batch gets DELIVER_TEMPFAIL. */
	int (*commit)(void *commit_context, struct store *store);
	void *commit_context;
};

/*
 * What the calendar does with a message for one recipient, before it is
 * stored. The hook may replace the bytes (a rendered meeting request) and
 * register work to do in the same transaction as the message (saving the
 * calendar item). It must not fail delivery for bad iCalendar: it logs and
 * leaves the message as it is.
 */
struct deliver_hook_result {
	const unsigned char *data;  /* bytes to store (in: the original) */
	size_t size;
	/* called inside the delivery transaction, after the message row is
	   added; -1 aborts the transaction (temporary failure) */
	int (*commit)(void *commit_context, struct store *store, int64_t mailbox_id,
		      uint32_t uid);
	void *commit_context;
};
typedef void deliver_hook_fn(void *hook_context, struct pool *pool,
			     struct store *store, const struct conf *conf,
			     const struct store_user *user,
			     const struct deliver_request *request,
			     struct deliver_hook_result *result);

/* Install the calendar hook (one per process; NULL to remove). */
void deliver_set_hook(deliver_hook_fn *fn, void *context);

/*
 * Deliver a batch of requests: every recipient of every request gets
 * status and uid filled in. Returns 0, or -1 if nothing could be done at
 * all (then every status is DELIVER_TEMPFAIL).
 */
int deliver_batch(struct store *store, const struct conf *conf,
		  struct deliver_request *const *requests, unsigned int count);

/*
 * Save a message a user made (the web access's copy in Sent, a draft) into
 * one of their own mailboxes, durably: the body is written and synced,
 * then its index row goes in with flags (enum store_flag); with drop_uid
 * != 0, that message of drop_mailbox_id is expunged in the same
 * transaction (a draft saved again, or sent). No calendar hook, no trace
 * headers. Blocks on fsync: for the delivery thread (deliver_queue_call()).
 * 0 with *uid_r, or -1 (the reason from store_last_error()).
 */
int deliver_save(struct store *store, int64_t mailbox_id,
		 const unsigned char *data, size_t size, uint32_t flags,
		 int64_t drop_mailbox_id, uint32_t drop_uid, uint32_t *uid_r);

/* What the store keeps of lib-mime's summary of a message (strings
   shared, not copied; ENVELOPE, BODYSTRUCTURE and BODY rendered from
   pool). For every path that adds messages: delivery, IMAP APPEND and
   `infostore import`. */
void deliver_summary_meta(struct pool *pool, const struct mime_summary *sum,
			  struct store_message_meta *meta);

/* The Received: header value infostore adds for LMTP. */
const char *deliver_received_value(struct pool *pool, const char *hostname,
				   const char *helo, const char *peer_ip,
				   const char *protocol, const char *recipient,
				   const char *id);

#endif
