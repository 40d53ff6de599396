#ifndef INFOSTORE_IMAP_RECENT_H
#define INFOSTORE_IMAP_RECENT_H

/*
 * \Recent (RFC 3501 2.3.2; gone from IMAP4rev2): a message is recent in
 * the first session told about it. Per mailbox, this process remembers the
 * highest UID some session has claimed; a session claims the messages
 * above it when it selects the mailbox or learns of new ones. The record
 * is kept in memory only: after a restart every message is recent once
 * more, which the RFC allows ("this session is the first session to have
 * been notified").
 */

#include <stdint.h>

/* The highest UID claimed in the mailbox (0: none). A mailbox is known by
   its id and UIDVALIDITY together: ids are reused after a delete. */
uint32_t imap_recent_claimed(int64_t mailbox_id, uint32_t uidvalidity);
/* Claim UIDs up to uid; returns the previous mark. */
uint32_t imap_recent_claim(int64_t mailbox_id, uint32_t uidvalidity, uint32_t uid);
/* Free the table (at shutdown). */
void imap_recent_deinit(void);

#endif
