#include "imap-expunge.h"
#include "imap-client.h"
#include "imap-index.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "imap-writer.h"
#include "pool.h"
#include "server.h"
#include "store.h"

#include <string.h>

struct expunge_job {
	struct imap_command *cmd;
	imap_expunge_done *done;
	int64_t mailbox_id;
	uint32_t *uids;
	unsigned int count;
};

static int expunge_job_run(struct store *store, void *context)
{
	struct expunge_job *job = context;

	for (unsigned int i = 0; i < job->count; i++) {
		if (store_message_expunge(store, job->mailbox_id, job->uids[i]) < 0)
			return -1;
	}
	return 0;
}

static void expunge_job_done(void *context, int result, enum store_error error)
{
	struct expunge_job *job = context;
	struct imap_command *cmd = job->cmd;
	uint32_t *uids = p_new(cmd->pool, uint32_t, job->count);

	/* the job's memory goes after this: the command keeps a copy */
	memcpy(uids, job->uids, sizeof(uint32_t) * job->count);
	if (result == 0)
		imap_view_notify_changed(cmd->client, job->mailbox_id);
	job->done(cmd, uids, job->count, result, error);
	imap_command_write_done(cmd);
}

bool imap_expunge_start(struct imap_command *cmd, const struct imap_seqset *uid_set,
			imap_expunge_done *done)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct imap_index *index = imap_view_index(client);
	struct imap_uid_array uids;
	struct imap_write_job *wjob;
	struct expunge_job *job;

	memset(&uids, 0, sizeof(uids));
	if (index == NULL) {
		done(cmd, NULL, 0, -1, STORE_ERROR_INTERNAL);
		return true;
	}
	for (unsigned int pos = 0; pos < index->count; pos++) {
		const struct imap_index_rec *rec = &index->recs[pos];

		if ((rec->flags & STORE_FLAG_DELETED) == 0 ||
		    (uid_set != NULL && !imap_seqset_contains(uid_set, rec->uid)) ||
		    imap_view_seq(view, rec->uid) == 0)
			continue;
		imap_uid_array_add(cmd->pool, &uids, rec->uid);
	}
	if (uids.count == 0) {
		done(cmd, NULL, 0, 0, STORE_ERROR_NONE);
		return true;
	}
	wjob = imap_write_job_create(expunge_job_run, expunge_job_done, sizeof(*job),
				     (void **)&job);
	job->cmd = cmd;
	job->done = done;
	job->mailbox_id = view->mailbox_id;
	job->count = uids.count;
	job->uids = p_new(imap_write_job_pool(wjob), uint32_t, uids.count);
	memcpy(job->uids, uids.uids, sizeof(uint32_t) * uids.count);
	imap_command_write(cmd, wjob);
	return false;
}
