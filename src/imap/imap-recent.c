#include "imap-recent.h"
#include "alloc.h"

#include <stdlib.h>

#define RECENT_BUCKETS 4096

struct recent_entry {
	struct recent_entry *next;
	int64_t mailbox_id;
	uint32_t uidvalidity;
	uint32_t claimed;
};

static struct recent_entry *recent_buckets[RECENT_BUCKETS];

static struct recent_entry **recent_find(int64_t mailbox_id)
{
	struct recent_entry **ep = &recent_buckets[(uint64_t)mailbox_id % RECENT_BUCKETS];

	while (*ep != NULL && (*ep)->mailbox_id != mailbox_id)
		ep = &(*ep)->next;
	return ep;
}

uint32_t imap_recent_claimed(int64_t mailbox_id, uint32_t uidvalidity)
{
	struct recent_entry *e = *recent_find(mailbox_id);

	return e != NULL && e->uidvalidity == uidvalidity ? e->claimed : 0;
}

uint32_t imap_recent_claim(int64_t mailbox_id, uint32_t uidvalidity, uint32_t uid)
{
	struct recent_entry **ep = recent_find(mailbox_id), *e = *ep;
	uint32_t prev;

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->mailbox_id = mailbox_id;
		*ep = e;
	}
	if (e->uidvalidity != uidvalidity) {
		/* the id belonged to a mailbox deleted since */
		e->uidvalidity = uidvalidity;
		e->claimed = 0;
	}
	prev = e->claimed;
	if (uid > e->claimed)
		e->claimed = uid;
	return prev;
}

void imap_recent_deinit(void)
{
	for (unsigned int i = 0; i < RECENT_BUCKETS; i++) {
		while (recent_buckets[i] != NULL) {
			struct recent_entry *e = recent_buckets[i];

			recent_buckets[i] = e->next;
			free(e);
		}
	}
}
