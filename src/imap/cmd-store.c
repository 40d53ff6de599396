/* STORE and UID STORE (RFC 9051 6.4.6), with UNCHANGEDSINCE (RFC 7162
   3.1.3). The flags change on the writer thread; the replies go out once
   that is committed. */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-flags.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "imap-writer.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <string.h>

struct store_result {
	uint32_t uid;
	uint32_t flags;
	const char *keywords;
	uint64_t modseq;
	bool changed;
	bool conflict;
	bool gone;                /* expunged meanwhile */
};

struct store_job {
	/* loop side */
	struct imap_command *cmd;
	bool silent;
	/* writer side */
	struct pool *pool;
	int64_t mailbox_id;
	enum store_flags_mode mode;
	uint32_t flags;
	const char *keywords;
	uint64_t unchangedsince;
	uint32_t *uids;
	unsigned int count;
	struct store_result *results;
};

static int store_parse_item(const char *item, enum store_flags_mode *mode_r,
			    bool *silent_r)
{
	if (*item == '+') {
		*mode_r = STORE_FLAGS_ADD;
		item++;
	} else if (*item == '-') {
		*mode_r = STORE_FLAGS_REMOVE;
		item++;
	} else {
		*mode_r = STORE_FLAGS_REPLACE;
	}
	if (str_iequal(item, "FLAGS")) {
		*silent_r = false;
		return 0;
	}
	if (str_iequal(item, "FLAGS.SILENT")) {
		*silent_r = true;
		return 0;
	}
	return -1;
}

/* On the writer thread. */
static int store_job_run(struct store *store, void *context)
{
	struct store_job *job = context;

	for (unsigned int i = 0; i < job->count; i++) {
		struct store_result *r = &job->results[i];
		struct store_flag_change change;
		int ret;

		ret = store_message_set_flags(store, job->mailbox_id, job->uids[i],
					      job->mode, job->flags, job->keywords,
					      job->unchangedsince, job->pool, &change);
		if (ret < 0)
			return -1;
		r->uid = job->uids[i];
		r->gone = ret == 0;
		r->conflict = change.conflict;
		r->flags = change.flags;
		r->keywords = change.keywords;
		r->modseq = change.modseq;
		r->changed = change.changed;
	}
	return 0;
}

/* On the loop, once the changes are durable. */
static void store_job_done(void *context, int result, enum store_error error)
{
	struct store_job *job = context;
	struct imap_command *cmd = job->cmd;
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	uint32_t *modified = p_new(cmd->pool, uint32_t, job->count > 0 ? job->count : 1);
	unsigned int modified_count = 0;
	struct buffer out;

	if (result < 0) {
		imap_command_error(cmd, error);
		imap_command_write_done(cmd);
		return;
	}
	imap_view_notify_changed(client, job->mailbox_id);
	buffer_init_pool(&out, cmd->pool, 0);
	for (unsigned int i = 0; i < job->count; i++) {
		struct store_result *r = &job->results[i];
		uint32_t seq;

		if (r->gone || view == NULL || (seq = imap_view_seq(view, r->uid)) == 0)
			continue;
		if (r->conflict) {
			modified[modified_count++] = cmd->uid ? r->uid : seq;
			continue;
		}
		/* reported below: the next sync need not repeat it */
		if (r->changed)
			imap_view_reported(view, r->uid, r->modseq);
		if (job->silent && !(client->condstore && r->changed))
			continue;
		if (!job->silent && r->keywords != NULL) {
			imap_client_send_buffer(client, &out);
			imap_view_announce_keywords(client, r->keywords);
		}
		buffer_printf(&out, "* %u FETCH (", seq);
		if (cmd->uid)
			buffer_printf(&out, "UID %u ", r->uid);
		if (!job->silent) {
			buffer_append_str(&out, "FLAGS ");
			imap_flags_write(&out, r->flags, r->keywords,
					 !client->imap4rev2 && imap_view_is_recent(view, r->uid));
			if (client->condstore)
				buffer_append_c(&out, ' ');
		}
		if (client->condstore)
			buffer_printf(&out, "MODSEQ (%llu)", (unsigned long long)r->modseq);
		buffer_append_str(&out, ")\r\n");
		if (out.used > 16384)
			imap_client_send_buffer(client, &out);
	}
	imap_client_send_buffer(client, &out);
	if (modified_count > 0) {
		struct buffer code;

		/* RFC 7162 3.1.3: which ones failed the UNCHANGEDSINCE test */
		buffer_init_pool(&code, cmd->pool, 0);
		buffer_append_str(&code, "MODIFIED ");
		imap_seqset_write_array(&code, modified, modified_count);
		imap_command_reply(cmd, "OK", code.data, "Conditional STORE failed.");
	} else {
		imap_command_ok(cmd, "Store completed.");
	}
	imap_command_write_done(cmd);
}

bool cmd_store(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	const struct imap_arg *args = cmd->args, *list;
	const char *setstr, *item, *keywords, *error;
	uint64_t unchangedsince = 0;
	enum store_flags_mode mode;
	struct imap_seqset set;
	struct imap_uid_array targets;
	struct imap_write_job *wjob;
	struct store_job *job;
	uint32_t flags;
	unsigned int list_count;
	bool silent;

	if (!imap_arg_get_atom(&args[0], &setstr)) {
		imap_command_bad(cmd, "Missing message set.");
		return true;
	}
	if (imap_view_parse_set(cmd, setstr, &set, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	args++;
	if (imap_arg_get_list(args, &list, &list_count)) {
		/* store-modifiers: (UNCHANGEDSINCE n) */
		const char *num;

		if (list_count != 2 || !imap_arg_atom_equals(&list[0], "UNCHANGEDSINCE") ||
		    !imap_arg_get_atom(&list[1], &num) ||
		    str_to_u64(num, UINT64_MAX, &unchangedsince) < 0) {
			imap_command_bad(cmd, "Invalid STORE modifiers.");
			return true;
		}
		imap_client_enable_condstore(client);
		args++;
	}
	if (!imap_arg_get_atom(args, &item) || store_parse_item(item, &mode, &silent) < 0) {
		imap_command_bad(cmd, "Invalid STORE data item.");
		return true;
	}
	args++;
	if (imap_arg_get_list(args, &list, &list_count)) {
		if (args[1].type != IMAP_ARG_EOL) {
			imap_command_bad(cmd, "Invalid STORE arguments.");
			return true;
		}
		args = list;
	} else if (args->type == IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Missing flags.");
		return true;
	}
	if (imap_flags_parse(cmd->pool, args, &flags, &keywords, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (view->readonly) {
		imap_command_reply(cmd, "NO", "READ-ONLY", "Mailbox is read-only.");
		return true;
	}
	if (keywords != NULL && mode != STORE_FLAGS_REMOVE) {
		unsigned int n = view->keyword_count;

		for (const char *p = keywords; p != NULL; p = strchr(p + 1, ' '))
			n++;
		if (n > IMAP_MAX_KEYWORDS) {
			imap_command_reply(cmd, "NO", "LIMIT", "Too many keywords in the mailbox.");
			return true;
		}
	}
	if (imap_view_collect(cmd, &set, NULL, NULL, &targets, NULL) < 0) {
		imap_command_store_error(cmd, "STORE");
		return true;
	}
	if (targets.count == 0) {
		imap_command_ok(cmd, "Store completed.");
		return true;
	}
	wjob = imap_write_job_create(store_job_run, store_job_done, sizeof(*job),
				     (void **)&job);
	job->pool = imap_write_job_pool(wjob);
	job->cmd = cmd;
	job->silent = silent;
	job->mailbox_id = view->mailbox_id;
	job->mode = mode;
	job->flags = flags;
	job->keywords = keywords != NULL ? p_strdup(job->pool, keywords) : NULL;
	job->unchangedsince = unchangedsince;
	job->count = targets.count;
	job->uids = p_new(job->pool, uint32_t, targets.count);
	memcpy(job->uids, targets.uids, sizeof(uint32_t) * targets.count);
	job->results = p_new(job->pool, struct store_result, targets.count);
	imap_command_write(cmd, wjob);
	return false;
}
