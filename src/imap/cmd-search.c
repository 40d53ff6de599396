/*
 * SEARCH and UID SEARCH (RFC 9051 6.4.4), with ESEARCH result options
 * (RFC 4731: MIN MAX ALL COUNT), SAVE (RFC 5182) and MODSEQ (RFC 7162
 * 3.1.5). IMAP4rev2 sessions always get ESEARCH responses.
 */
#include "buffer.h"
#include "alloc.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-search.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "pool.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

enum search_return {
	SEARCH_RETURN_MIN = 0x01,
	SEARCH_RETURN_MAX = 0x02,
	SEARCH_RETURN_ALL = 0x04,
	SEARCH_RETURN_COUNT = 0x08,
	SEARCH_RETURN_SAVE = 0x10,
};

struct search_cmd {
	struct imap_search search;
	unsigned int ret;
	bool esearch;
};

static int search_parse_return(const struct imap_arg *list, unsigned int *ret_r)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} opts[] = {
		{ "MIN", SEARCH_RETURN_MIN }, { "MAX", SEARCH_RETURN_MAX },
		{ "ALL", SEARCH_RETURN_ALL }, { "COUNT", SEARCH_RETURN_COUNT },
		{ "SAVE", SEARCH_RETURN_SAVE },
	};
	unsigned int ret = 0;

	for (; list->type != IMAP_ARG_EOL; list++) {
		const char *name;
		bool found = false;

		if (!imap_arg_get_atom(list, &name))
			return -1;
		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
			if (str_iequal(name, opts[i].name)) {
				ret |= opts[i].flag;
				found = true;
			}
		}
		if (!found)
			return -1;
	}
	/* RFC 4731 3.1: "RETURN ()" means ALL */
	*ret_r = ret != 0 ? ret : SEARCH_RETURN_ALL;
	return 0;
}

static void search_save(struct imap_client *client, const uint32_t *uids,
			unsigned int count)
{
	free(client->saved_uids);
	client->saved_uids = NULL;
	client->saved_count = 0;
	if (count == 0)
		return;
	client->saved_uids = xmalloc(sizeof(uint32_t) * count);
	memcpy(client->saved_uids, uids, sizeof(uint32_t) * count);
	client->saved_count = count;
}

static uint32_t search_number(struct imap_command *cmd, uint32_t uid)
{
	return cmd->uid ? uid : imap_view_seq(cmd->client->view, uid);
}

/* RFC 7162 3.1.5: the highest MODSEQ of the messages the reply returns */
static uint64_t search_modseq(const struct search_cmd *sc, bool esearch)
{
	const struct imap_search *search = &sc->search;
	unsigned int n = search->result.count;
	uint64_t max = 0;

	if (esearch && (sc->ret & (SEARCH_RETURN_ALL | SEARCH_RETURN_COUNT)) == 0) {
		if ((sc->ret & SEARCH_RETURN_MIN) != 0)
			max = search->modseqs[0];
		if ((sc->ret & SEARCH_RETURN_MAX) != 0 && search->modseqs[n - 1] > max)
			max = search->modseqs[n - 1];
		return max;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (search->modseqs[i] > max)
			max = search->modseqs[i];
	}
	return max;
}

static void search_send(struct imap_command *cmd, struct search_cmd *sc)
{
	struct imap_client *client = cmd->client;
	struct imap_search *search = &sc->search;
	struct buffer out;

	buffer_init(&out, 0);
	if (!sc->esearch) {
		buffer_append_str(&out, "* SEARCH");
		for (unsigned int i = 0; i < search->result.count; i++) {
			buffer_printf(&out, " %u", search_number(cmd, search->result.uids[i]));
			if (out.used > 16384)
				imap_client_send_buffer(client, &out);
		}
		if (search->uses_modseq && search->result.count > 0)
			buffer_printf(&out, " (MODSEQ %llu)",
				      (unsigned long long)search_modseq(sc, false));
	} else {
		/* RFC 5182 2.4: SAVE alone gives no ESEARCH response */
		if (sc->ret == SEARCH_RETURN_SAVE) {
			buffer_free(&out);
			return;
		}
		buffer_printf(&out, "* ESEARCH (TAG \"%s\")", cmd->tag);
		if (cmd->uid)
			buffer_append_str(&out, " UID");
		if ((sc->ret & SEARCH_RETURN_MIN) != 0 && search->result.count > 0)
			buffer_printf(&out, " MIN %u", search_number(cmd, search->result.uids[0]));
		if ((sc->ret & SEARCH_RETURN_MAX) != 0 && search->result.count > 0)
			buffer_printf(&out, " MAX %u",
				      search_number(cmd, search->result.uids[search->result.count - 1]));
		if ((sc->ret & SEARCH_RETURN_COUNT) != 0)
			buffer_printf(&out, " COUNT %u", search->result.count);
		if ((sc->ret & SEARCH_RETURN_ALL) != 0 && search->result.count > 0) {
			uint32_t *nums = p_new(cmd->pool, uint32_t, search->result.count);

			for (unsigned int i = 0; i < search->result.count; i++)
				nums[i] = search_number(cmd, search->result.uids[i]);
			buffer_append_str(&out, " ALL ");
			imap_seqset_write_array(&out, nums, search->result.count);
		}
		if (search->uses_modseq && search->result.count > 0)
			buffer_printf(&out, " MODSEQ %llu",
				      (unsigned long long)search_modseq(sc, true));
	}
	buffer_append_str(&out, "\r\n");
	imap_client_send_buffer(client, &out);
	buffer_free(&out);
}

static bool cmd_search_continue(struct imap_command *cmd)
{
	struct search_cmd *sc = cmd->context;
	bool failed;

	if (!imap_search_run(cmd, &sc->search, &failed))
		return false;
	if (failed) {
		if ((sc->ret & SEARCH_RETURN_SAVE) != 0)
			search_save(cmd->client, NULL, 0);
		imap_search_reply_failed(cmd, &sc->search, "SEARCH");
		return true;
	}
	if ((sc->ret & SEARCH_RETURN_SAVE) != 0)
		search_save(cmd->client, sc->search.result.uids, sc->search.result.count);
	search_send(cmd, sc);
	imap_command_ok(cmd, "Search completed.");
	return true;
}

bool cmd_search(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	const struct imap_arg *args = cmd->args, *list;
	struct imap_search_key *root;
	struct search_cmd *sc;
	const struct imap_arg *charset = NULL;
	unsigned int count;

	sc = p_new(cmd->pool, struct search_cmd, 1);
	sc->esearch = client->imap4rev2;
	if (imap_arg_atom_equals(args, "RETURN")) {
		if (!imap_arg_get_list(&args[1], &list, &count) ||
		    search_parse_return(list, &sc->ret) < 0) {
			imap_command_bad(cmd, "Invalid RETURN options.");
			return true;
		}
		sc->esearch = true;
		args += 2;
	} else if (sc->esearch) {
		sc->ret = SEARCH_RETURN_ALL;
	}
	if (imap_arg_atom_equals(args, "CHARSET")) {
		charset = &args[1];
		args += 2;
	}
	if (!imap_search_parse_keys(cmd, charset, args, &root)) {
		/* RFC 5182 2.1: a failed SEARCH (SAVE) empties $ */
		if ((sc->ret & SEARCH_RETURN_SAVE) != 0)
			search_save(client, NULL, 0);
		return true;
	}
	imap_search_init(&sc->search, root);
	cmd->context = sc;
	cmd->func = cmd_search_continue;
	return cmd_search_continue(cmd);
}
