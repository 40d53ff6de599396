#include "imap-expunge.h"
#include "imap-client.h"
#include "imap-index.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "pool.h"
#include "server.h"
#include "store.h"

#include <string.h>

int imap_expunge_deleted(struct imap_client *client, struct pool *pool,
			 const struct imap_seqset *uid_set,
			 uint32_t **uids_r, unsigned int *count_r)
{
	struct store *store = client->srv->store;
	struct imap_view *view = client->view;
	struct imap_index *index;
	struct imap_uid_array uids;

	*uids_r = NULL;
	*count_r = 0;
	memset(&uids, 0, sizeof(uids));
	if (view->count == 0)
		return 0;
	index = imap_view_index(client);
	if (index == NULL)
		return -1;
	for (unsigned int pos = 0; pos < index->count; pos++) {
		const struct imap_index_rec *rec = &index->recs[pos];

		if ((rec->flags & STORE_FLAG_DELETED) == 0 ||
		    (uid_set != NULL && !imap_seqset_contains(uid_set, rec->uid)) ||
		    imap_view_seq(view, rec->uid) == 0)
			continue;
		imap_uid_array_add(pool, &uids, rec->uid);
	}
	if (uids.count == 0)
		return 0;
	if (store_begin(store) < 0)
		return -1;
	for (unsigned int i = 0; i < uids.count; i++) {
		if (store_message_expunge(store, view->mailbox_id, uids.uids[i]) < 0) {
			store_rollback(store);
			return -1;
		}
	}
	if (store_commit(store) < 0)
		return -1;
	imap_view_notify_changed(client, view->mailbox_id);
	*uids_r = uids.uids;
	*count_r = uids.count;
	return 0;
}
