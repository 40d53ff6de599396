/*
 * SELECT and EXAMINE (RFC 9051 6.3.2, 6.3.3), with CONDSTORE and QRESYNC
 * parameters (RFC 7162 3.1.8, 3.2.5).
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-flags.h"
#include "imap-mailbox.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

struct qresync_params {
	bool present;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known_uids;
	bool have_known_uids;
};

/* QRESYNC (uidvalidity mod-sequence-value [known-uids [seq-match-data]]) */
static int select_parse_qresync(struct imap_command *cmd, const struct imap_arg *list,
				struct qresync_params *qr, const char **error_r)
{
	const char *str;
	uint32_t uidvalidity;
	uint64_t modseq;

	if (!imap_arg_get_atom(&list[0], &str) || str_to_u32(str, &uidvalidity) < 0 ||
	    uidvalidity == 0 ||
	    !imap_arg_get_atom(&list[1], &str) || str_to_u64(str, UINT64_MAX, &modseq) < 0) {
		*error_r = "Invalid QRESYNC parameters";
		return -1;
	}
	qr->present = true;
	qr->uidvalidity = uidvalidity;
	qr->modseq = modseq;
	if (list[2].type == IMAP_ARG_EOL)
		return 0;
	if (imap_arg_get_atom(&list[2], &str)) {
		if (imap_seqset_parse(cmd->pool, str, UINT32_MAX, &qr->known_uids, error_r) < 0)
			return -1;
		qr->have_known_uids = true;
		list++;
	}
	/* seq-match-data is an optimisation for the server; we can do
	   without it */
	if (list[2].type != IMAP_ARG_EOL &&
	    (list[2].type != IMAP_ARG_LIST || list[3].type != IMAP_ARG_EOL)) {
		*error_r = "Invalid QRESYNC parameters";
		return -1;
	}
	return 0;
}

static int select_parse_params(struct imap_command *cmd, const struct imap_arg *args,
			       struct qresync_params *qr, const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count;
	struct imap_client *client = cmd->client;

	if (args->type == IMAP_ARG_EOL)
		return 0;
	if (!imap_arg_get_list(args, &list, &count) || args[1].type != IMAP_ARG_EOL) {
		*error_r = "Invalid SELECT parameters";
		return -1;
	}
	for (; list->type != IMAP_ARG_EOL; list++) {
		const struct imap_arg *sub;

		if (imap_arg_atom_equals(list, "CONDSTORE")) {
			/* RFC 7162 3.1.8: CONDSTORE is now on */
			client->condstore = true;
		} else if (imap_arg_atom_equals(list, "QRESYNC") &&
			   imap_arg_get_list(&list[1], &sub, &count)) {
			if (!client->qresync) {
				*error_r = "QRESYNC must be enabled first";
				return -1;
			}
			if (select_parse_qresync(cmd, sub, qr, error_r) < 0)
				return -1;
			list++;
		} else {
			*error_r = "Unknown SELECT parameter";
			return -1;
		}
	}
	return 0;
}

struct qresync_ctx {
	struct imap_client *client;
	struct qresync_params *qr;
	struct buffer *out;
	struct imap_uid_array vanished;
	struct pool *pool;
};

static void qresync_vanished(void *context, uint32_t uid)
{
	struct qresync_ctx *ctx = context;

	if (ctx->qr->have_known_uids && !imap_seqset_contains(&ctx->qr->known_uids, uid))
		return;
	if (uid < ctx->client->view->uidnext)
		imap_uid_array_add(ctx->pool, &ctx->vanished, uid);
}

static void qresync_changed(void *context, const struct store_message *msg)
{
	struct qresync_ctx *ctx = context;
	uint32_t seq = imap_view_seq(ctx->client->view, msg->uid);

	if (seq == 0)
		return;
	imap_view_announce_keywords(ctx->client, msg->keywords);
	buffer_printf(ctx->out, "* %u FETCH (UID %u FLAGS ", seq, msg->uid);
	imap_flags_write(ctx->out, msg->flags, msg->keywords,
			 !ctx->client->imap4rev2 &&
			 imap_view_is_recent(ctx->client->view, msg->uid));
	buffer_printf(ctx->out, " MODSEQ (%llu))\r\n", (unsigned long long)msg->modseq);
	if (ctx->out->used > 16384)
		imap_client_send_buffer(ctx->client, ctx->out);
}

static int uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* RFC 7162 3.2.5.2: what changed since the client last looked */
static void select_qresync(struct imap_command *cmd, struct qresync_params *qr)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct store *store = client->session.srv->store;
	struct qresync_ctx ctx;
	struct buffer out;

	if (qr->uidvalidity != view->uidvalidity)
		return;
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = client;
	ctx.qr = qr;
	ctx.pool = cmd->pool;
	buffer_init_pool(&out, cmd->pool, 0);
	ctx.out = &out;
	if (qr->modseq < store_mailbox_vanished_floor(store, view->mailbox_id)) {
		/* expunges that old are forgotten: every known UID that is
		   not here any more has vanished */
		uint32_t max = qr->have_known_uids ?
			imap_seqset_max(&qr->known_uids) : view->uidnext - 1;

		if (max >= view->uidnext)
			max = view->uidnext - 1;
		for (unsigned int r = 0; qr->have_known_uids && r < qr->known_uids.count; r++) {
			for (uint32_t u = qr->known_uids.ranges[r].lo;
			     u <= qr->known_uids.ranges[r].hi && u <= max &&
			     ctx.vanished.count < 1000000; u++) {
				if (imap_view_seq(view, u) == 0)
					qresync_vanished(&ctx, u);
			}
		}
		(void)store_mailbox_changes(store, view->mailbox_id, qr->modseq,
					    qresync_changed, NULL, &ctx);
	} else {
		(void)store_mailbox_changes(store, view->mailbox_id, qr->modseq,
					    qresync_changed, qresync_vanished, &ctx);
	}
	if (ctx.vanished.count > 0) {
		struct buffer line;

		qsort(ctx.vanished.uids, ctx.vanished.count, sizeof(uint32_t), uid_cmp);
		buffer_init_pool(&line, cmd->pool, 0);
		buffer_append_str(&line, "* VANISHED (EARLIER) ");
		imap_seqset_write_array(&line, ctx.vanished.uids, ctx.vanished.count);
		buffer_append_str(&line, "\r\n");
		imap_client_send_buffer(client, &line);
	}
	imap_client_send_buffer(client, &out);
}

static bool select_open(struct imap_command *cmd, bool readonly)
{
	struct imap_client *client = cmd->client;
	struct imap_view_open_info info;
	struct qresync_params qr;
	struct store_mailbox mb;
	const char *wire, *name, *error;
	struct buffer line;

	memset(&qr, 0, sizeof(qr));
	if (!imap_arg_get_astring(&cmd->args[0], &wire)) {
		imap_command_bad(cmd, "Missing mailbox name.");
		return true;
	}
	if (select_parse_params(cmd, &cmd->args[1], &qr, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (client->view != NULL) {
		/* RFC 9051 7.1: the old mailbox is closed first, and says so */
		imap_view_close(client);
		client->state = IMAP_STATE_AUTH;
		imap_client_send(client, "* OK [CLOSED] Previous mailbox closed.");
	}
	if (!imap_mailbox_arg_lookup(cmd, wire, &name, &mb))
		return true;
	if (imap_view_open(client, &mb, readonly, &info) < 0) {
		imap_command_store_error(cmd, readonly ? "EXAMINE" : "SELECT");
		return true;
	}
	client->state = IMAP_STATE_SELECTED;
	imap_view_send_flags(client);
	imap_client_send(client, "* %u EXISTS", client->view->count);
	if (!client->imap4rev2) {
		imap_client_send(client, "* %u RECENT", info.recent);
		if (info.first_unseen != 0)
			imap_client_send(client, "* OK [UNSEEN %u] First unseen.",
					 info.first_unseen);
	}
	imap_client_send(client, "* OK [UIDVALIDITY %u] UIDs valid.", mb.uidvalidity);
	imap_client_send(client, "* OK [UIDNEXT %u] Predicted next UID.",
			 client->view->uidnext);
	imap_client_send(client, "* OK [HIGHESTMODSEQ %llu] Highest.",
			 (unsigned long long)info.highestmodseq);
	if (client->imap4rev2) {
		/* RFC 9051 6.3.2: the mailbox's name as the server has it */
		buffer_init_pool(&line, cmd->pool, 0);
		buffer_append_str(&line, "* LIST () \"" IMAP_HIERARCHY_SEP "\" ");
		imap_mailbox_name_append(client, &line, name);
		buffer_append_str(&line, "\r\n");
		imap_client_send_buffer(client, &line);
	}
	if (qr.present)
		select_qresync(cmd, &qr);
	imap_command_reply(cmd, "OK", readonly ? "READ-ONLY" : "READ-WRITE",
			   "%s completed.", readonly ? "Examine" : "Select");
	return true;
}

bool cmd_select(struct imap_command *cmd)
{
	return select_open(cmd, false);
}

bool cmd_examine(struct imap_command *cmd)
{
	return select_open(cmd, true);
}
