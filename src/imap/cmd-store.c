/* STORE and UID STORE (RFC 9051 6.4.6), with UNCHANGEDSINCE (RFC 7162
   3.1.3). */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-flags.h"
#include "imap-seqset.h"
#include "imap-view.h"
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

bool cmd_store(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct store *store = client->srv->store;
	const struct imap_arg *args = cmd->args, *list;
	const char *setstr, *item, *keywords, *error;
	uint64_t unchangedsince = 0;
	enum store_flags_mode mode;
	struct imap_seqset set;
	struct store_result *results;
	struct imap_uid_array targets;
	uint32_t *uids, *modified, flags;
	unsigned int count, list_count, modified_count = 0;
	bool silent;
	struct buffer out;

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
	uids = targets.uids;
	count = targets.count;
	results = p_new(cmd->pool, struct store_result, count > 0 ? count : 1);
	modified = p_new(cmd->pool, uint32_t, count > 0 ? count : 1);
	if (store_begin(store) < 0) {
		imap_command_store_error(cmd, "STORE");
		return true;
	}
	for (unsigned int i = 0; i < count; i++) {
		struct store_flag_change change;
		int ret;

		ret = store_message_set_flags(store, view->mailbox_id, uids[i], mode,
					      flags, keywords, unchangedsince, cmd->pool,
					      &change);
		if (ret < 0) {
			store_rollback(store);
			imap_command_store_error(cmd, "STORE");
			return true;
		}
		results[i].uid = uids[i];
		if (ret == 0)
			continue;
		if (change.conflict) {
			modified[modified_count++] = cmd->uid ? uids[i] :
				imap_view_seq(view, uids[i]);
			continue;
		}
		results[i].flags = change.flags;
		results[i].keywords = change.keywords;
		/* 0 marks "nothing to report" below */
		results[i].modseq = change.modseq != 0 ? change.modseq : 1;
		results[i].changed = change.changed;
		/* reported below: the next sync need not repeat it */
		if (change.changed)
			imap_view_reported(view, uids[i], change.modseq);
	}
	if (store_commit(store) < 0) {
		imap_command_store_error(cmd, "STORE");
		return true;
	}
	imap_view_notify_changed(client, view->mailbox_id);

	buffer_init_pool(&out, cmd->pool, 0);
	for (unsigned int i = 0; i < count; i++) {
		struct store_result *r = &results[i];
		uint32_t seq;

		if (r->modseq == 0 || (seq = imap_view_seq(view, r->uid)) == 0)
			continue;
		if (silent && !(client->condstore && r->changed))
			continue;
		if (!silent && r->keywords != NULL) {
			imap_client_send_buffer(client, &out);
			imap_view_announce_keywords(client, r->keywords);
		}
		buffer_printf(&out, "* %u FETCH (", seq);
		if (cmd->uid)
			buffer_printf(&out, "UID %u ", r->uid);
		if (!silent) {
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
		return true;
	}
	imap_command_ok(cmd, "Store completed.");
	return true;
}
