#ifndef INFOSTORE_STORE_OUTBOUND_RCPT_H
#define INFOSTORE_STORE_OUTBOUND_RCPT_H

/*
 * Narrowing an outbound queue entry to the recipients still to be tried,
 * after the relay took some and refused others (src/outbound). The entry
 * keeps its creation time (the bounce deadline) and attempt count.
 */

#include <stdint.h>

struct store;

/* recipients: comma-separated, non-empty. 0, or -1 (store_last_error()). */
int store_outbound_set_recipients(struct store *store, int64_t id,
				  const char *recipients);

#endif
