#ifndef INFOSTORE_OUTBOUND_H
#define INFOSTORE_OUTBOUND_H

/*
 * The outbound queue: iMIP messages for addresses that are not local,
 * sent to [outbound] relay over SMTP, retried with backoff, bounced to the
 * local sender after [outbound] max_age.
 */

struct server;

int outbound_init(struct server *srv, const char **error_r);
void outbound_deinit(void);
/* Something was queued: try to send now rather than at the next tick. */
void outbound_kick(void);

#endif
