/*
 * SORT and UID SORT (RFC 5256), with DISPLAYFROM and DISPLAYTO (RFC 5957).
 *
 * The search runs first (imap-search.c). Then the sort keys of the
 * matching messages are read from what delivery cached (the ENVELOPE
 * string, sizes and dates), a batch per turn of the loop, and sorted.
 * Strings compare with i;ascii-casemap, RFC 5256's default collation;
 * messages equal on every key stay in mailbox order.
 */
#include "buffer.h"
#include "imap-base-subject.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-envelope.h"
#include "imap-search.h"
#include "imap-view.h"
#include "mime.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

#define SORT_MAX_CRITERIA 16

enum sort_key {
	SORT_ARRIVAL,
	SORT_CC,
	SORT_DATE,
	SORT_FROM,
	SORT_SIZE,
	SORT_SUBJECT,
	SORT_TO,
	SORT_DISPLAYFROM,
	SORT_DISPLAYTO,
};

struct sort_criterion {
	enum sort_key key;
	bool reverse;
};

struct sort_item {
	uint32_t uid;
	time_t arrival, date;
	uint64_t size;
	/* the string keys the criteria need, NULL for "" */
	const char *str[SORT_DISPLAYTO + 1];
};

struct sort_cmd {
	struct imap_search search;
	struct sort_criterion crit[SORT_MAX_CRITERIA];
	unsigned int crit_count;
	bool need_envelope;
	bool searched;
	struct sort_item *items;  /* one per search result, in UID order */
	unsigned int pos;         /* next item whose keys are unread */
};

static int sort_parse_criteria(struct sort_cmd *sc, const struct imap_arg *list,
			       unsigned int count)
{
	static const struct {
		const char *name;
		enum sort_key key;
	} keys[] = {
		{ "ARRIVAL", SORT_ARRIVAL }, { "CC", SORT_CC }, { "DATE", SORT_DATE },
		{ "FROM", SORT_FROM }, { "SIZE", SORT_SIZE },
		{ "SUBJECT", SORT_SUBJECT }, { "TO", SORT_TO },
		{ "DISPLAYFROM", SORT_DISPLAYFROM }, { "DISPLAYTO", SORT_DISPLAYTO },
	};
	bool reverse = false;

	for (unsigned int i = 0; i < count; i++) {
		const char *name;
		bool found = false;

		if (!imap_arg_get_atom(&list[i], &name))
			return -1;
		if (str_iequal(name, "REVERSE")) {
			if (reverse)
				return -1;
			reverse = true;
			continue;
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (str_iequal(name, keys[k].name)) {
				if (sc->crit_count == SORT_MAX_CRITERIA)
					return -1;
				sc->crit[sc->crit_count].key = keys[k].key;
				sc->crit[sc->crit_count++].reverse = reverse;
				if (keys[k].key != SORT_ARRIVAL && keys[k].key != SORT_DATE &&
				    keys[k].key != SORT_SIZE)
					sc->need_envelope = true;
				found = true;
			}
		}
		if (!found)
			return -1;
		reverse = false;
	}
	/* RFC 5256 3: at least one key, and REVERSE only before one */
	return sc->crit_count == 0 || reverse ? -1 : 0;
}

/* RFC 5957: the display name if there is one, else the address. */
static const char *sort_display(struct pool *pool, const struct imap_envelope_addr *a)
{
	const char *name = a->name != NULL ? mime_decode_header(pool, a->name) : NULL;

	if (name != NULL && *name != '\0')
		return name;
	if (a->mailbox == NULL)
		return NULL;
	return a->host != NULL ? p_printf(pool, "%s@%s", a->mailbox, a->host) : a->mailbox;
}

static void sort_fill(struct imap_command *cmd, struct sort_cmd *sc,
		      struct sort_item *item, const struct store_message *msg)
{
	struct pool *pool = cmd->pool;
	struct imap_envelope env;

	item->arrival = msg->internaldate;
	/* RFC 5256 3: no usable Date: header, then INTERNALDATE */
	item->date = msg->sent_time != 0 ? msg->sent_time : msg->internaldate;
	item->size = msg->vsize;
	if (!sc->need_envelope || msg->envelope == NULL ||
	    imap_envelope_parse(pool, msg->envelope, &env) < 0)
		return;
	for (unsigned int i = 0; i < sc->crit_count; i++) {
		const char **str = &item->str[sc->crit[i].key];

		switch (sc->crit[i].key) {
		case SORT_SUBJECT:
			*str = env.subject == NULL ? NULL :
				imap_base_subject(pool, mime_decode_header(pool, env.subject));
			break;
		/* RFC 5256 3: the addr-mailbox (local part) of the first one */
		case SORT_FROM:
			*str = env.from.mailbox;
			break;
		case SORT_TO:
			*str = env.to.mailbox;
			break;
		case SORT_CC:
			*str = env.cc.mailbox;
			break;
		case SORT_DISPLAYFROM:
			*str = sort_display(pool, &env.from);
			break;
		case SORT_DISPLAYTO:
			*str = sort_display(pool, &env.to);
			break;
		default:
			break;
		}
	}
}

static int sort_cmp_num(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static int sort_item_cmp(const void *pa, const void *pb, void *context)
{
	const struct sort_item *a = pa, *b = pb;
	const struct sort_cmd *sc = context;

	for (unsigned int i = 0; i < sc->crit_count; i++) {
		enum sort_key key = sc->crit[i].key;
		int ret;

		switch (key) {
		case SORT_ARRIVAL:
			ret = sort_cmp_num((uint64_t)a->arrival, (uint64_t)b->arrival);
			break;
		case SORT_DATE:
			ret = sort_cmp_num((uint64_t)a->date, (uint64_t)b->date);
			break;
		case SORT_SIZE:
			ret = sort_cmp_num(a->size, b->size);
			break;
		default:
			ret = str_casemap_cmp(a->str[key], b->str[key]);
			break;
		}
		if (ret != 0)
			return sc->crit[i].reverse ? -ret : ret;
	}
	/* RFC 5256 3: then by sequence number, which is UID order */
	return sort_cmp_num(a->uid, b->uid);
}

struct sort_fill_ctx {
	struct imap_command *cmd;
	struct sort_cmd *sc;
};

static void sort_row_cb(void *context, unsigned int idx, const struct store_message *msg)
{
	struct sort_fill_ctx *ctx = context;

	sort_fill(ctx->cmd, ctx->sc, &ctx->sc->items[idx], msg);
}

static void sort_send(struct imap_command *cmd, struct sort_cmd *sc)
{
	struct imap_client *client = cmd->client;
	struct buffer out;

	buffer_init(&out, 0);
	buffer_append_str(&out, "* SORT");
	for (unsigned int i = 0; i < sc->search.result.count; i++) {
		uint32_t uid = sc->items[i].uid;

		buffer_printf(&out, " %u", cmd->uid ? uid : imap_view_seq(client->view, uid));
		if (out.used > 16384)
			imap_client_send_buffer(client, &out);
	}
	buffer_append_str(&out, "\r\n");
	imap_client_send_buffer(client, &out);
	buffer_free(&out);
}

/* The keys of the results, a batch per turn of the loop. */
static bool sort_read_keys(struct imap_command *cmd, struct sort_cmd *sc,
			   bool *failed_r)
{
	struct sort_fill_ctx ctx = { .cmd = cmd, .sc = sc };
	unsigned int fields = STORE_FIELD_STATE | STORE_FIELD_SIZES;

	if (sc->need_envelope)
		fields |= STORE_FIELD_ENVELOPE;
	return imap_search_read_rows(cmd, sc->search.result.uids, sc->search.result.count,
				     &sc->pos, fields, sort_row_cb, &ctx, failed_r);
}

static bool cmd_sort_continue(struct imap_command *cmd)
{
	struct sort_cmd *sc = cmd->context;
	bool failed = false;

	if (!sc->searched) {
		if (!imap_search_run(cmd, &sc->search, &failed))
			return false;
		if (failed) {
			imap_search_reply_failed(cmd, &sc->search, "SORT");
			return true;
		}
		sc->searched = true;
		sc->items = p_new(cmd->pool, struct sort_item,
				  sc->search.result.count > 0 ? sc->search.result.count : 1);
		for (unsigned int i = 0; i < sc->search.result.count; i++)
			sc->items[i].uid = sc->search.result.uids[i];
	}
	if (!sort_read_keys(cmd, sc, &failed))
		return false;
	if (failed) {
		imap_command_store_error(cmd, "SORT");
		return true;
	}
	qsort_r(sc->items, sc->search.result.count, sizeof(*sc->items),
		sort_item_cmp, sc);
	sort_send(cmd, sc);
	imap_command_ok(cmd, "Sort completed.");
	return true;
}

bool cmd_sort(struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args, *list;
	struct imap_search_key *root;
	struct sort_cmd *sc;
	unsigned int count;

	sc = p_new(cmd->pool, struct sort_cmd, 1);
	/* RFC 5256 3: SORT (criteria) charset search-key... */
	if (!imap_arg_get_list(&args[0], &list, &count) ||
	    sort_parse_criteria(sc, list, count) < 0) {
		imap_command_bad(cmd, "Invalid sort criteria.");
		return true;
	}
	if (!imap_search_parse_keys(cmd, &args[1], &args[2], &root))
		return true;
	imap_search_init(&sc->search, root);
	cmd->context = sc;
	cmd->func = cmd_sort_continue;
	return cmd_sort_continue(cmd);
}
