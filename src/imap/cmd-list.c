/*
 * LIST (RFC 9051 6.3.9) with LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC
 * 5819), SPECIAL-USE (RFC 6154) and CHILDREN (RFC 3348), and LSUB (RFC
 * 3501 6.3.9), which shares the matching.
 *
 * The candidates are the user's mail mailboxes and every parent level
 * implied by their names; a parent that is not itself a mailbox is
 * \NonExistent (\Noselect to clients that did not use the extended
 * syntax). Subscribed names whose mailbox is gone are candidates only for
 * LSUB and LIST (SUBSCRIBED). The Calendar is not a mail folder and never
 * listed.
 */
#include "buffer.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-list.h"
#include "imap-mailbox.h"
#include "imap-match.h"
#include "imap-status.h"
#include "imap-utf7.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

enum list_select {
	LIST_SELECT_SUBSCRIBED = 0x01,
	LIST_SELECT_RECURSIVEMATCH = 0x02,
	LIST_SELECT_SPECIAL_USE = 0x04,
};

enum list_return {
	LIST_RETURN_SUBSCRIBED = 0x01,
	LIST_RETURN_CHILDREN = 0x02,
	LIST_RETURN_SPECIAL_USE = 0x04,
	LIST_RETURN_STATUS = 0x08,
};

struct list_entry {
	const char *name;
	const struct store_mailbox *mb;   /* NULL: no such mailbox */
	bool in_tree;       /* a mailbox or a level above one: plain LIST shows it */
	bool subscribed;
	bool has_children;
	bool child_subscribed;
	bool child_special;
};

struct list_ctx {
	struct imap_command *cmd;
	bool lsub;
	bool extended;
	unsigned int select;
	unsigned int ret;
	unsigned int status_items;
	const char **patterns;
	unsigned int pattern_count;
	bool root_only;          /* LIST "" "" */
};

/* Hierarchy order: "/" sorts before every other character, so that a
   mailbox's children follow it directly. */
static int list_name_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;

		if (ca == STORE_HIERARCHY_SEP)
			ca = 1;
		if (cb == STORE_HIERARCHY_SEP)
			cb = 1;
		if (ca != cb || ca == '\0')
			return (int)ca - (int)cb;
	}
}

static int list_entry_cmp(const void *a, const void *b)
{
	return list_name_cmp(((const struct list_entry *)a)->name,
			     ((const struct list_entry *)b)->name);
}

static int list_parse_options(struct list_ctx *ctx, const struct imap_arg *list,
			      bool selection, const char **error_r)
{
	for (; list->type != IMAP_ARG_EOL; list++) {
		const char *name;
		const struct imap_arg *sub;
		unsigned int count;

		if (!imap_arg_get_atom(list, &name)) {
			*error_r = "Invalid LIST options";
			return -1;
		}
		if (selection) {
			if (str_iequal(name, "SUBSCRIBED"))
				ctx->select |= LIST_SELECT_SUBSCRIBED;
			else if (str_iequal(name, "RECURSIVEMATCH"))
				ctx->select |= LIST_SELECT_RECURSIVEMATCH;
			else if (str_iequal(name, "SPECIAL-USE"))
				ctx->select |= LIST_SELECT_SPECIAL_USE;
			else if (!str_iequal(name, "REMOTE")) {
				*error_r = "Unknown LIST selection option";
				return -1;
			}
			continue;
		}
		if (str_iequal(name, "SUBSCRIBED")) {
			ctx->ret |= LIST_RETURN_SUBSCRIBED;
		} else if (str_iequal(name, "CHILDREN")) {
			ctx->ret |= LIST_RETURN_CHILDREN;
		} else if (str_iequal(name, "SPECIAL-USE")) {
			ctx->ret |= LIST_RETURN_SPECIAL_USE;
		} else if (str_iequal(name, "STATUS") &&
			   imap_arg_get_list(&list[1], &sub, &count)) {
			if (imap_status_parse(sub, &ctx->status_items, error_r) < 0)
				return -1;
			ctx->ret |= LIST_RETURN_STATUS;
			list++;
		} else {
			*error_r = "Unknown LIST return option";
			return -1;
		}
	}
	/* RFC 5258 3.1: RECURSIVEMATCH needs another selection option */
	if (selection && ctx->select == LIST_SELECT_RECURSIVEMATCH) {
		*error_r = "RECURSIVEMATCH needs another selection option";
		return -1;
	}
	return 0;
}

/* A pattern as a store name: decoded from modified UTF-7 (wildcards are
   plain ASCII and survive), INBOX in canonical case. */
static const char *list_pattern(struct list_ctx *ctx, const char *ref, const char *pat)
{
	struct imap_client *client = ctx->cmd->client;
	const char *full = p_printf(ctx->cmd->pool, "%s%s", ref, pat);
	struct buffer buf;
	char *name;

	if (!client->utf8_accept) {
		buffer_init_pool(&buf, ctx->cmd->pool, 0);
		if (imap_utf7_to_utf8(full, &buf) == 0 && buf.data != NULL)
			full = buf.data;
	}
	name = p_strdup(ctx->cmd->pool, full);
	if (str_begins_icase(name, "INBOX") &&
	    (name[5] == '\0' || name[5] == STORE_HIERARCHY_SEP))
		memcpy(name, "INBOX", 5);
	return name;
}

static bool list_matches(const struct list_ctx *ctx, const char *name)
{
	for (unsigned int i = 0; i < ctx->pattern_count; i++) {
		if (imap_match(ctx->patterns[i], name, STORE_HIERARCHY_SEP))
			return true;
	}
	return false;
}

static bool list_patterns_have_percent(const struct list_ctx *ctx)
{
	for (unsigned int i = 0; i < ctx->pattern_count; i++) {
		if (strchr(ctx->patterns[i], '%') != NULL)
			return true;
	}
	return false;
}

/* Add name and every level above it. */
static unsigned int list_add(struct pool *pool, struct list_entry *entries,
			     unsigned int n, const char *name,
			     const struct store_mailbox *mb, bool in_tree,
			     bool subscribed)
{
	entries[n].name = name;
	entries[n].mb = mb;
	entries[n].in_tree = in_tree;
	entries[n++].subscribed = subscribed;
	for (const char *p = name; *p != '\0'; p++) {
		if (*p == STORE_HIERARCHY_SEP) {
			entries[n].name = p_strndup(pool, name, (size_t)(p - name));
			entries[n++].in_tree = in_tree;
		}
	}
	return n;
}

static unsigned int list_levels(const char *name)
{
	unsigned int levels = 1;

	for (const char *p = name; *p != '\0'; p++) {
		if (*p == STORE_HIERARCHY_SEP)
			levels++;
	}
	return levels;
}

/* All mail mailboxes, all subscribed names, and the levels above them, in
   hierarchy order. */
static int list_entries(struct list_ctx *ctx, struct list_entry **entries_r,
			unsigned int *count_r)
{
	struct imap_client *client = ctx->cmd->client;
	struct pool *pool = ctx->cmd->pool;
	struct store_mailbox *mbs;
	struct list_entry *entries;
	const char **subs;
	unsigned int count, sub_count, n = 0, total = 0, out;

	if (store_mailbox_list(client->session.srv->store, client->user_id, pool, &mbs, &count) < 0 ||
	    store_subscription_list(client->session.srv->store, client->user_id, pool,
				    &subs, &sub_count) < 0)
		return -1;
	for (unsigned int i = 0; i < count; i++)
		total += list_levels(mbs[i].name);
	for (unsigned int i = 0; i < sub_count; i++)
		total += list_levels(subs[i]);
	entries = p_new(pool, struct list_entry, total > 0 ? total : 1);
	for (unsigned int i = 0; i < count; i++) {
		if (mbs[i].kind == STORE_MAILBOX_MAIL)
			n = list_add(pool, entries, n, mbs[i].name, &mbs[i], true,
				     mbs[i].subscribed);
	}
	for (unsigned int i = 0; i < sub_count; i++)
		n = list_add(pool, entries, n, subs[i], NULL, false, true);
	qsort(entries, n, sizeof(*entries), list_entry_cmp);
	/* merge duplicates: a real mailbox wins over an implied parent */
	out = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (out > 0 && strcmp(entries[out - 1].name, entries[i].name) == 0) {
			struct list_entry *prev = &entries[out - 1];

			if (entries[i].mb != NULL)
				prev->mb = entries[i].mb;
			prev->in_tree = prev->in_tree || entries[i].in_tree;
			prev->subscribed = prev->subscribed || entries[i].subscribed;
			continue;
		}
		entries[out++] = entries[i];
	}
	n = out;
	/* children follow their parent: look at the following entries */
	for (unsigned int i = 0; i < n; i++) {
		size_t len = strlen(entries[i].name);

		for (unsigned int j = i + 1; j < n; j++) {
			if (strncmp(entries[j].name, entries[i].name, len) != 0 ||
			    entries[j].name[len] != STORE_HIERARCHY_SEP)
				break;
			if (entries[j].in_tree)
				entries[i].has_children = true;
			if (entries[j].subscribed)
				entries[i].child_subscribed = true;
			if (entries[j].mb != NULL && entries[j].mb->special_use != NULL)
				entries[i].child_special = true;
		}
	}
	*entries_r = entries;
	*count_r = n;
	return 0;
}

static void list_write_entry(struct list_ctx *ctx, struct buffer *buf,
			     const struct list_entry *e, bool as_childinfo)
{
	struct imap_client *client = ctx->cmd->client;
	const char *sep = "";

	buffer_append_str(buf, ctx->lsub ? "* LSUB (" : "* LIST (");
	if (e->mb == NULL) {
		buffer_append_str(buf, ctx->extended ? "\\NonExistent" : "\\Noselect");
		sep = " ";
	} else if (ctx->lsub && !e->subscribed) {
		buffer_append_str(buf, "\\Noselect");
		sep = " ";
	}
	if (!ctx->lsub) {
		buffer_printf(buf, "%s%s", sep, e->has_children ? "\\HasChildren" :
			      "\\HasNoChildren");
		sep = " ";
		if (e->subscribed &&
		    ((ctx->ret & LIST_RETURN_SUBSCRIBED) != 0 ||
		     (ctx->select & LIST_SELECT_SUBSCRIBED) != 0))
			buffer_append_str(buf, " \\Subscribed");
		if (e->mb != NULL && e->mb->special_use != NULL)
			buffer_printf(buf, " %s", e->mb->special_use);
	}
	buffer_append_str(buf, ") \"" IMAP_HIERARCHY_SEP "\" ");
	imap_mailbox_name_append(client, buf, e->name);
	if (as_childinfo)
		buffer_append_str(buf, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	buffer_append_str(buf, "\r\n");
	if ((ctx->ret & LIST_RETURN_STATUS) != 0 && e->mb != NULL)
		imap_status_write(client, buf, e->mb, ctx->status_items);
}

/* RFC 5258 3.5: CHILDINFO for a parent whose subscribed descendant is not
   itself listed (matched by no pattern). */
static bool list_subscribed_child_unmatched(const struct list_ctx *ctx,
					    const struct list_entry *entries,
					    unsigned int count, unsigned int idx)
{
	size_t len = strlen(entries[idx].name);

	for (unsigned int j = idx + 1; j < count; j++) {
		const struct list_entry *c = &entries[j];

		if (strncmp(c->name, entries[idx].name, len) != 0 ||
		    c->name[len] != STORE_HIERARCHY_SEP)
			break;
		if (c->subscribed && !list_matches(ctx, c->name))
			return true;
	}
	return false;
}

static void list_run(struct list_ctx *ctx, struct list_entry *entries, unsigned int count)
{
	struct imap_client *client = ctx->cmd->client;
	bool percent = list_patterns_have_percent(ctx);
	struct buffer buf;

	buffer_init_pool(&buf, ctx->cmd->pool, 0);
	for (unsigned int i = 0; i < count; i++) {
		const struct list_entry *e = &entries[i];
		bool subscribed = e->subscribed;
		bool childinfo = false;

		if (!list_matches(ctx, e->name))
			continue;
		if (ctx->lsub) {
			/* RFC 3501 6.3.9: with "%", an unsubscribed level above
			   a subscribed mailbox shows as \Noselect */
			if (!subscribed && !(percent && e->child_subscribed))
				continue;
		} else if ((ctx->select & LIST_SELECT_SUBSCRIBED) != 0) {
			if (!subscribed) {
				if ((ctx->select & LIST_SELECT_RECURSIVEMATCH) == 0 ||
				    !list_subscribed_child_unmatched(ctx, entries, count, i))
					continue;
				childinfo = true;
			}
		} else if (!e->in_tree) {
			continue;
		} else if ((ctx->select & LIST_SELECT_SPECIAL_USE) != 0) {
			if (e->mb == NULL || e->mb->special_use == NULL)
				continue;
		}
		list_write_entry(ctx, &buf, e, childinfo);
		if (buf.used > 16384)
			imap_client_send_buffer(client, &buf);
	}
	imap_client_send_buffer(client, &buf);
}

bool imap_list_run(struct imap_command *cmd, bool lsub)
{
	const struct imap_arg *args = cmd->args, *list;
	const char *ref, *pat, *error;
	struct list_entry *entries;
	struct list_ctx ctx;
	unsigned int count;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cmd = cmd;
	ctx.lsub = lsub;
	if (!lsub && imap_arg_get_list(args, &list, &count)) {
		ctx.extended = true;
		if (list_parse_options(&ctx, list, true, &error) < 0) {
			imap_command_bad(cmd, "%s.", error);
			return true;
		}
		args++;
	}
	if (!imap_arg_get_astring(args, &ref)) {
		imap_command_bad(cmd, "Missing reference name.");
		return true;
	}
	args++;
	if (!lsub && imap_arg_get_list(args, &list, &count)) {
		/* RFC 5258 3: several patterns */
		ctx.extended = true;
		if (count == 0) {
			imap_command_bad(cmd, "Empty pattern list.");
			return true;
		}
		ctx.patterns = p_new(cmd->pool, const char *, count);
		for (unsigned int i = 0; i < count; i++) {
			if (!imap_arg_get_astring(&list[i], &pat)) {
				imap_command_bad(cmd, "Invalid mailbox pattern.");
				return true;
			}
			ctx.patterns[ctx.pattern_count++] = list_pattern(&ctx, ref, pat);
		}
	} else if (imap_arg_get_astring(args, &pat)) {
		if (*pat == '\0' && !lsub)
			ctx.root_only = true;
		ctx.patterns = p_new(cmd->pool, const char *, 1);
		ctx.patterns[ctx.pattern_count++] = list_pattern(&ctx, ref, pat);
	} else {
		imap_command_bad(cmd, "Missing mailbox pattern.");
		return true;
	}
	args++;
	if (!lsub && imap_arg_atom_equals(args, "RETURN")) {
		ctx.extended = true;
		if (!imap_arg_get_list(&args[1], &list, &count) ||
		    list_parse_options(&ctx, list, false, &error) < 0) {
			imap_command_bad(cmd, "%s.", imap_arg_get_list(&args[1], &list, &count) ?
					 error : "Invalid RETURN options");
			return true;
		}
		args += 2;
	}
	if (args->type != IMAP_ARG_EOL) {
		imap_command_bad(cmd, "Invalid %s arguments.", lsub ? "LSUB" : "LIST");
		return true;
	}
	if (ctx.root_only) {
		/* RFC 9051 6.3.9: the delimiter and the root */
		imap_client_send(cmd->client, "* LIST (\\Noselect) \""
				 IMAP_HIERARCHY_SEP "\" \"\"");
		imap_command_ok(cmd, "List completed.");
		return true;
	}
	if (list_entries(&ctx, &entries, &count) < 0) {
		imap_command_store_error(cmd, lsub ? "LSUB" : "LIST");
		return true;
	}
	list_run(&ctx, entries, count);
	imap_command_ok(cmd, "%s completed.", lsub ? "Lsub" : "List");
	return true;
}

bool cmd_list(struct imap_command *cmd)
{
	return imap_list_run(cmd, false);
}
