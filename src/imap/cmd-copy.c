/*
 * COPY (RFC 9051 6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315).
 * The bodies are shared, not copied. All messages go in one transaction:
 * either every one is copied (and for MOVE expunged) or none.
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-copy.h"
#include "imap-mailbox.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "imap-writer.h"
#include "pool.h"
#include "server.h"
#include "store.h"

#include <string.h>

struct copy_job {
	struct imap_command *cmd;
	bool move;
	int64_t src_id, dst_id;
	uint32_t dst_uidvalidity;
	uint32_t *uids, *new_uids;
	unsigned int count;
};

/* On the writer thread: all or nothing. */
static int copy_job_run(struct store *store, void *context)
{
	struct copy_job *job = context;

	for (unsigned int i = 0; i < job->count; i++) {
		/* a MOVE stays within the user: no quota check (store.h) */
		if ((job->move ? store_message_move : store_message_copy)(
			    store, job->src_id, job->uids[i], job->dst_id,
			    &job->new_uids[i]) < 0)
			return -1;
	}
	return 0;
}

static void copy_job_done(void *context, int result, enum store_error error)
{
	struct copy_job *job = context;
	struct imap_command *cmd = job->cmd;
	struct imap_client *client = cmd->client;
	struct buffer code;

	if (result < 0) {
		if (error == STORE_ERROR_NOT_FOUND)
			imap_command_reply(cmd, "NO", "EXPUNGEISSUED",
					   "Some of the requested messages no longer exist.");
		else
			imap_command_error(cmd, error);
		imap_command_write_done(cmd);
		return;
	}
	imap_view_notify_changed(client, job->dst_id);
	/* RFC 4315 3: COPYUID uidvalidity source-uids dest-uids */
	buffer_init_pool(&code, cmd->pool, 0);
	buffer_printf(&code, "COPYUID %u ", job->dst_uidvalidity);
	imap_seqset_write_array(&code, job->uids, job->count);
	buffer_append_c(&code, ' ');
	imap_seqset_write_array(&code, job->new_uids, job->count);
	if (!job->move) {
		imap_command_reply(cmd, "OK", code.data, "Copy completed.");
	} else {
		uint32_t *uids = p_new(cmd->pool, uint32_t, job->count);

		/* RFC 6851 4.3: COPYUID untagged, then the expunges */
		memcpy(uids, job->uids, sizeof(uint32_t) * job->count);
		imap_view_notify_changed(client, job->src_id);
		imap_client_send(client, "* OK [%s] Moved UIDs.", code.data);
		imap_view_expunged(client, uids, job->count);
		imap_command_ok(cmd, "Move completed.");
	}
	imap_command_write_done(cmd);
}

bool imap_copy_run(struct imap_command *cmd, bool move)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	const char *setstr, *wire, *name, *error;
	struct store_mailbox dst;
	struct imap_seqset set;
	struct imap_uid_array src;
	struct imap_write_job *wjob;
	struct copy_job *job;
	struct pool *pool;
	unsigned int expected;
	int ret;

	if (!imap_arg_get_atom(&cmd->args[0], &setstr) ||
	    !imap_arg_get_astring(&cmd->args[1], &wire) ||
	    cmd->args[2].type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Usage: %s set mailbox.", move ? "MOVE" : "COPY");
		return true;
	}
	if (imap_view_parse_set(cmd, setstr, &set, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (imap_mailbox_name_decode(client, cmd->pool, wire, &name, &error) < 0) {
		imap_command_reply(cmd, "NO", "TRYCREATE", "%s.", error);
		return true;
	}
	ret = imap_mailbox_lookup(client, cmd->pool, name, &dst);
	if (ret <= 0) {
		/* RFC 9051 6.4.7: TRYCREATE tells the client to create it */
		if (ret == 0)
			imap_command_reply(cmd, "NO", "TRYCREATE", "Mailbox doesn't exist.");
		else
			imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	if (move && view->readonly) {
		imap_command_reply(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return true;
	}
	if (imap_view_collect(cmd, &set, NULL, NULL, &src, &expected) < 0) {
		imap_command_store_error(cmd, move ? "MOVE" : "COPY");
		return true;
	}
	if (src.count == 0) {
		if (expected > 0)
			imap_command_reply(cmd, "NO", "EXPUNGEISSUED",
					   "Some of the requested messages no longer exist.");
		else
			imap_command_ok(cmd, "No messages found.");
		return true;
	}
	wjob = imap_write_job_create(copy_job_run, copy_job_done, sizeof(*job),
				     (void **)&job);
	pool = imap_write_job_pool(wjob);
	job->cmd = cmd;
	job->move = move;
	job->src_id = view->mailbox_id;
	job->dst_id = dst.id;
	job->dst_uidvalidity = dst.uidvalidity;
	job->count = src.count;
	job->uids = p_new(pool, uint32_t, src.count);
	memcpy(job->uids, src.uids, sizeof(uint32_t) * src.count);
	job->new_uids = p_new(pool, uint32_t, src.count);
	imap_command_write(cmd, wjob);
	return false;
}

bool cmd_copy(struct imap_command *cmd)
{
	return imap_copy_run(cmd, false);
}
