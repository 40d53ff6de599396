#ifndef INFOSTORE_OUTBOUND_H
#define INFOSTORE_OUTBOUND_H

/*
 * The outbound queue: iMIP messages for addresses that are not local,
 * sent to [outbound] relay over SMTP, retried with backoff, bounced to the
 * local sender after [outbound] max_age.
 */

#include <stddef.h>

struct server;
struct store;

int outbound_init(struct server *srv, const char **error_r);
void outbound_deinit(void);
/* Something was queued: try to send now rather than at the next tick.
   Safe from any thread. Does nothing outside the daemon (the CLI queues;
   `serve` finds the entry within a minute and sends it). */
void outbound_kick(void);

/*
 * Queue a message for the relay: the bytes are written to a blob and made
 * durable, then the queue entry is committed, then the runner is kicked.
 * When this returns 0 the message will be sent (or bounced to sender) even
 * if the process dies right after.
 *
 * sender: the envelope sender (a local address, which gets the bounce;
 * "" for the null sender <>, which is never bounced).
 * recipients: count addresses (1..100), each a plain user@domain without
 * angle brackets, commas or control characters.
 * data: the whole RFC 5322 message with CRLF line ends (dot-stuffing is
 * done when sending).
 *
 * 0 on success; -1 with *error_r (static or store-owned text, valid until
 * the next call on store) on bad arguments or a store failure.
 */
int outbound_queue_message(struct store *store, const char *sender,
			   const char *const *recipients, unsigned int count,
			   const unsigned char *data, size_t size,
			   const char **error_r);

#endif
