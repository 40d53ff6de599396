/*
 * SEARCH evaluation (RFC 9051 6.4.4). Strings match as case-insensitive
 * substrings; dates compare days, disregarding time and zone; sizes are
 * RFC822.SIZE.
 */
#include "imap-search.h"
#include "imap-client.h"
#include "imap-date.h"
#include "imap-flags.h"
#include "imap-index.h"
#include "imap-writer.h"
#include "imap-search-args.h"
#include "imap-view.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "store-imap.h"
#include "strutil.h"

#include <stdlib.h>
#include <string.h>

/* Messages looked at per turn of the loop. */
#define SEARCH_BATCH 20000

/* Keys per command at most (every key and parenthesised list but the
   whole): each text key is a scan of the mailbox's text, and a thousand
   are already minutes of work over a big mailbox. */
#define IMAP_SEARCH_MAX_KEYS 1000

/* A text key (BODY, TEXT, HEADER and the address and subject keys that
   are HEADER) as the reader thread sees it: copies in the job's pool,
   since the command's pool goes if the client disconnects meanwhile. */
struct search_text_query {
	enum imap_search_type type;
	const char *field;
	const char *value;
	uint32_t *matches;         /* ascending, in the job's pool */
	unsigned int match_count, alloc;
	struct pool *pool;
};

struct search_text_job {
	int64_t mailbox_id;
	uint64_t deadline;         /* store_imap_now_msecs() */
	struct search_text_query *queries;
	unsigned int count;
	bool timed_out;            /* set by the reader */
	struct imap_write_job *wjob;
	/* on the loop, while not cancelled */
	struct imap_command *cmd;
	struct imap_search *search;
};

static void search_add_match(struct search_text_query *q, uint32_t uid)
{
	if (q->match_count > 0 && q->matches[q->match_count - 1] == uid)
		return;
	q->matches = p_grow(q->pool, q->matches, sizeof(uint32_t),
			    q->match_count, &q->alloc, 64);
	q->matches[q->match_count++] = uid;
}

static void search_text_cb(void *context, uint32_t uid)
{
	search_add_match(context, uid);
}

static void search_header_cb(void *context, uint32_t uid, const char *headers)
{
	struct search_text_query *q = context;

	if (headers != NULL && store_imap_header_has(headers, q->field, q->value))
		search_add_match(q, uid);
}

/* On a reader thread: answer the text keys from the text the store keeps
   for search, within the job's deadline (time in the queue counted). */
static int search_text_run(struct store *store, void *context)
{
	struct search_text_job *job = context;
	int ret = 0;

	store_imap_set_deadline(store, job->deadline);
	for (unsigned int i = 0; i < job->count && ret == 0; i++) {
		struct search_text_query *q = &job->queries[i];

		if (store_imap_now_msecs() >= job->deadline) {
			ret = -1;
			break;
		}
		/* the client has gone: nobody waits for the rest */
		if (imap_write_job_cancelled(job->wjob))
			break;
		if (q->type == IMAP_SEARCH_HEADER)
			ret = store_imap_search_headers(store, job->mailbox_id, q->value,
							search_header_cb, q);
		else
			ret = store_search_text(store, job->mailbox_id, q->value,
						q->type == IMAP_SEARCH_TEXT,
						search_text_cb, q);
	}
	store_imap_set_deadline(store, 0);
	if (ret < 0) {
		job->timed_out = store_imap_now_msecs() >= job->deadline;
		if (!job->timed_out)
			log_error("imap", "search failed: %s", store_last_error_detail(store));
	}
	return ret;
}

/* On the loop: hand the matches to the keys, in the command's pool. */
static void search_text_done(void *context, int result, enum store_error error)
{
	struct search_text_job *job = context;
	struct imap_command *cmd = job->cmd;
	struct imap_search *search = job->search;

	if (result < 0) {
		search->failed = true;
		search->timed_out = job->timed_out;
		search->error = error;
	} else {
		for (unsigned int i = 0; i < job->count; i++) {
			struct search_text_query *q = &job->queries[i];
			struct imap_search_key *key = search->text_keys[i];

			key->match_count = q->match_count;
			key->matches = p_malloc(cmd->pool, sizeof(uint32_t) *
						(q->match_count > 0 ? q->match_count : 1));
			if (q->match_count > 0)
				memcpy(key->matches, q->matches,
				       sizeof(uint32_t) * q->match_count);
		}
	}
	imap_command_write_done(cmd);
}

/* The text keys of the tree in order, into keys (NULL: count only). */
static void search_collect_text_keys(struct imap_search_key *key,
				     struct imap_search_key **keys, unsigned int *count)
{
	for (; key != NULL; key = key->next) {
		switch (key->type) {
		case IMAP_SEARCH_BODY:
		case IMAP_SEARCH_TEXT:
		case IMAP_SEARCH_HEADER:
			if (keys != NULL)
				keys[*count] = key;
			(*count)++;
			break;
		case IMAP_SEARCH_AND:
		case IMAP_SEARCH_OR:
			search_collect_text_keys(key->children, keys, count);
			break;
		default:
			break;
		}
	}
}

/* Send the text keys to a reader thread. false: there are none. */
static bool search_text_submit(struct imap_command *cmd, struct imap_search *search)
{
	struct imap_client *client = cmd->client;
	struct imap_write_job *wjob;
	struct search_text_job *job;
	struct pool *pool;
	unsigned int count = 0;

	search_collect_text_keys(search->root, NULL, &count);
	if (count == 0)
		return false;
	search->text_keys = p_new(cmd->pool, struct imap_search_key *, count);
	count = 0;
	search_collect_text_keys(search->root, search->text_keys, &count);

	wjob = imap_write_job_create(search_text_run, search_text_done, sizeof(*job),
				     (void **)&job);
	pool = imap_write_job_pool(wjob);
	job->wjob = wjob;
	job->mailbox_id = client->view->mailbox_id;
	job->deadline = store_imap_now_msecs() +
		client->session.srv->conf->imap_search_timeout_msecs;
	job->count = count;
	job->queries = p_new(pool, struct search_text_query, count);
	job->cmd = cmd;
	job->search = search;
	for (unsigned int i = 0; i < count; i++) {
		const struct imap_search_key *key = search->text_keys[i];
		struct search_text_query *q = &job->queries[i];

		q->type = key->type;
		q->pool = pool;
		q->value = p_strdup(pool, key->value);
		q->field = key->field != NULL ? p_strdup(pool, key->field) : NULL;
	}
	imap_command_read(cmd, wjob);
	return true;
}

static unsigned int search_count_keys(const struct imap_search_key *key)
{
	unsigned int count = 0;

	for (; key != NULL; key = key->next) {
		count++;
		if (key->type == IMAP_SEARCH_AND || key->type == IMAP_SEARCH_OR)
			count += search_count_keys(key->children);
	}
	return count;
}

void imap_search_reply_failed(struct imap_command *cmd,
			      const struct imap_search *search, const char *what)
{
	unsigned int msecs = cmd->client->session.srv->conf->imap_search_timeout_msecs;

	if (search->timed_out)
		imap_command_reply(cmd, "NO", "LIMIT",
				   "%s ran out of time (%u.%u s): search for fewer or longer words.",
				   what, msecs / 1000, msecs % 1000 / 100);
	else if (search->error != STORE_ERROR_NONE)
		imap_command_error(cmd, search->error);
	else
		imap_command_store_error(cmd, what);
}

/* Keys that need a column only the store has (dates, sizes): 2; keys the
   shared index can answer (flags, keywords, MODSEQ): 1; neither: 0. */
static int search_needs(const struct imap_search_key *key)
{
	int need = 0, sub;

	for (; key != NULL; key = key->next) {
		switch (key->type) {
		case IMAP_SEARCH_BEFORE:
		case IMAP_SEARCH_ON:
		case IMAP_SEARCH_SINCE:
		case IMAP_SEARCH_SENTBEFORE:
		case IMAP_SEARCH_SENTON:
		case IMAP_SEARCH_SENTSINCE:
		case IMAP_SEARCH_LARGER:
		case IMAP_SEARCH_SMALLER:
			return 2;
		case IMAP_SEARCH_FLAG:
		case IMAP_SEARCH_KEYWORD:
		case IMAP_SEARCH_MODSEQ:
			need = 1;
			break;
		case IMAP_SEARCH_AND:
		case IMAP_SEARCH_OR:
			sub = search_needs(key->children);
			if (sub == 2)
				return 2;
			if (sub > need)
				need = sub;
			break;
		default:
			break;
		}
	}
	return need;
}

/* The zone of a Date: header value ("... +0200"), in minutes. */
static int search_sent_zone(const char *date)
{
	const char *p;
	int tz;

	if (date == NULL || (p = strrchr(date, ' ')) == NULL)
		return 0;
	p++;
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 5)
		return 0;
	for (int i = 1; i < 5; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
	}
	tz = ((p[1] - '0') * 10 + (p[2] - '0')) * 60 + (p[3] - '0') * 10 + (p[4] - '0');
	return p[0] == '-' ? -tz : tz;
}

struct search_eval {
	struct imap_client *client;
	uint32_t seq, uid;
	const struct store_message *row;
};

static bool search_eval_key(const struct search_eval *ev, const struct imap_search_key *key);

static bool search_eval_list(const struct search_eval *ev, const struct imap_search_key *key,
			     bool any)
{
	for (; key != NULL; key = key->next) {
		bool r = search_eval_key(ev, key);

		if (any && r)
			return true;
		if (!any && !r)
			return false;
	}
	return !any;
}

static bool search_eval_key(const struct search_eval *ev, const struct imap_search_key *key)
{
	const struct store_message *row = ev->row;
	struct imap_client *client = ev->client;
	time_t day;
	bool r;

	switch (key->type) {
	case IMAP_SEARCH_ALL:
		r = true;
		break;
	case IMAP_SEARCH_AND:
		r = search_eval_list(ev, key->children, false);
		break;
	case IMAP_SEARCH_OR:
		r = search_eval_list(ev, key->children, true);
		break;
	case IMAP_SEARCH_SEQSET:
		r = imap_seqset_contains(&key->set, ev->seq);
		break;
	case IMAP_SEARCH_UIDSET:
		r = imap_seqset_contains(&key->set, ev->uid);
		break;
	case IMAP_SEARCH_SAVED:
		r = imap_uids_contain(client->saved_uids, client->saved_count, ev->uid);
		break;
	case IMAP_SEARCH_FLAG:
		r = (row->flags & key->flag) != 0;
		break;
	case IMAP_SEARCH_KEYWORD:
		r = imap_keyword_in(row->keywords, key->value, strlen(key->value));
		break;
	case IMAP_SEARCH_RECENT:
		r = imap_view_is_recent(client->view, ev->uid);
		break;
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
		day = imap_date_day(row->internaldate, row->internaldate_tz);
		r = key->type == IMAP_SEARCH_BEFORE ? day < key->day :
			key->type == IMAP_SEARCH_ON ? day == key->day : day >= key->day;
		break;
	case IMAP_SEARCH_SENTBEFORE:
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		if (row->sent_time == 0) {
			r = false;
			break;
		}
		day = imap_date_day(row->sent_time, search_sent_zone(row->sent_date));
		r = key->type == IMAP_SEARCH_SENTBEFORE ? day < key->day :
			key->type == IMAP_SEARCH_SENTON ? day == key->day : day >= key->day;
		break;
	case IMAP_SEARCH_LARGER:
		r = row->vsize > key->num;
		break;
	case IMAP_SEARCH_SMALLER:
		r = row->vsize < key->num;
		break;
	case IMAP_SEARCH_HEADER:
	case IMAP_SEARCH_BODY:
	case IMAP_SEARCH_TEXT:
		r = imap_uids_contain(key->matches, key->match_count, ev->uid);
		break;
	case IMAP_SEARCH_MODSEQ:
		r = row->modseq >= key->num;
		break;
	default:
		r = false;
		break;
	}
	return key->not ? !r : r;
}

void imap_search_init(struct imap_search *search, struct imap_search_key *root)
{
	memset(search, 0, sizeof(*search));
	search->root = root;
	search->needs = search_needs(root);
	search->uses_modseq = imap_search_uses(root, IMAP_SEARCH_MODSEQ);
}


static void search_add(struct imap_command *cmd, struct imap_search *search,
		       uint32_t uid, uint64_t modseq)
{
	imap_uid_array_add(cmd->pool, &search->result, uid);
	if (!search->uses_modseq)
		return;
	if (search->modseq_alloc < search->result.alloc) {
		search->modseqs = p_realloc(cmd->pool, search->modseqs,
					    sizeof(uint64_t) * search->modseq_alloc,
					    sizeof(uint64_t) * search->result.alloc);
		search->modseq_alloc = search->result.alloc;
	}
	search->modseqs[search->result.count - 1] = modseq;
}

bool imap_search_run(struct imap_command *cmd, struct imap_search *search,
		     bool *failed_r)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct search_eval ev = { .client = client };
	unsigned int end;

	*failed_r = false;
	if (!search->prepared) {
		/* the text keys first, on a reader thread: the command waits
		   and is called again when they are answered */
		search->prepared = true;
		if (search_text_submit(cmd, search))
			return false;
	}
	if (search->failed) {
		*failed_r = true;
		return true;
	}
	end = search->pos + SEARCH_BATCH;
	if (end > view->count)
		end = view->count;
	if (search->needs == 0) {
		/* nothing per message to read: the view and the text index do */
		for (unsigned int i = search->pos; i < end; i++) {
			ev.seq = i + 1;
			ev.uid = imap_view_uid(view, i);
			if (search_eval_key(&ev, search->root))
				imap_uid_array_add(cmd->pool, &search->result, ev.uid);
		}
	} else if (search->needs == 1) {
		/* flags, keywords, MODSEQ: from the shared index in memory */
		struct imap_index *index = imap_view_index(client);
		struct store_message row;
		unsigned int pos;

		if (index == NULL) {
			*failed_r = true;
			return true;
		}
		memset(&row, 0, sizeof(row));
		ev.row = &row;
		pos = imap_index_lower_bound(index, imap_view_uid(view, search->pos));
		for (unsigned int i = search->pos; i < end; i++) {
			while (pos < index->count && index->recs[pos].uid < imap_view_uid(view, i))
				pos++;
			if (pos >= index->count || index->recs[pos].uid != imap_view_uid(view, i))
				continue; /* expunged meanwhile */
			row.uid = imap_view_uid(view, i);
			row.flags = index->recs[pos].flags;
			row.modseq = index->recs[pos].modseq;
			row.keywords = imap_index_keywords(index, pos);
			ev.seq = i + 1;
			ev.uid = row.uid;
			if (search_eval_key(&ev, search->root))
				search_add(cmd, search, row.uid, row.modseq);
		}
	} else if (search->pos < end) {
		struct store_message_iter *iter;
		struct store_message row;
		unsigned int idx = search->pos;
		int ret;

		iter = store_message_iter_init(client->session.srv->store, view->mailbox_id,
					       imap_view_uid(view, search->pos),
					       imap_view_uid(view, end - 1),
					       STORE_FIELD_STATE | STORE_FIELD_SIZES);
		ev.row = &row;
		while ((ret = store_message_iter_next(iter, &row)) > 0) {
			while (idx < end && imap_view_uid(view, idx) < row.uid)
				idx++;
			if (idx >= end || imap_view_uid(view, idx) != row.uid)
				continue;
			ev.seq = idx + 1;
			ev.uid = row.uid;
			if (search_eval_key(&ev, search->root))
				search_add(cmd, search, row.uid, row.modseq);
		}
		store_message_iter_deinit(&iter);
		if (ret < 0) {
			*failed_r = true;
			return true;
		}
	}
	search->pos = end;
	if (search->pos < view->count) {
		imap_client_continue_later(client);
		return false;
	}
	return true;
}

bool imap_search_parse_keys(struct imap_command *cmd,
			    const struct imap_arg *charset_arg,
			    const struct imap_arg *args,
			    struct imap_search_key **root_r)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct imap_search_context ctx;
	const char *charset, *error;

	if (charset_arg != NULL && !imap_arg_get_astring(charset_arg, &charset)) {
		imap_command_bad(cmd, "Missing charset.");
		return false;
	}
	/* text is kept as UTF-8; ASCII is a subset */
	if (charset_arg != NULL && !str_iequal(charset, "UTF-8") &&
	    !str_iequal(charset, "US-ASCII")) {
		imap_command_reply(cmd, "NO", "BADCHARSET (UTF-8 US-ASCII)",
				   "Unsupported charset.");
		return false;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.seq_star = view->count;
	ctx.seq_star_valid = view->count > 0;
	ctx.uid_star = imap_view_last_uid(view);
	if (imap_search_args_parse(cmd->pool, args, &ctx, root_r, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return false;
	}
	/* RFC 9051 7.1: LIMIT, "the operation ... exceeds a server limit" */
	if (search_count_keys((*root_r)->children) > IMAP_SEARCH_MAX_KEYS) {
		imap_command_reply(cmd, "NO", "LIMIT", "Too many search keys: at most %u.",
				   IMAP_SEARCH_MAX_KEYS);
		return false;
	}
	if (imap_search_uses(*root_r, IMAP_SEARCH_MODSEQ))
		imap_client_enable_condstore(client);
	return true;
}

/* Rows looked at per turn of the loop by imap_search_read_rows(). */
#define SEARCH_READ_BATCH 5000

bool imap_search_read_rows(struct imap_command *cmd, const uint32_t *uids,
			   unsigned int count, unsigned int *pos,
			   unsigned int fields, imap_search_row_cb *cb,
			   void *context, bool *failed_r)
{
	struct imap_client *client = cmd->client;
	struct store_message_iter *iter;
	struct store_message msg;
	unsigned int rows = 0;
	int ret;

	*failed_r = false;
	if (*pos >= count)
		return true;
	iter = store_message_iter_init(client->session.srv->store, client->view->mailbox_id,
					  uids[*pos], uids[count - 1], fields);
	while ((ret = store_message_iter_next(iter, &msg)) > 0) {
		/* a message expunged meanwhile is just not there */
		while (*pos < count && uids[*pos] < msg.uid)
			(*pos)++;
		if (*pos < count && uids[*pos] == msg.uid)
			cb(context, (*pos)++, &msg);
		if (*pos >= count || ++rows >= SEARCH_READ_BATCH)
			break;
	}
	store_message_iter_deinit(&iter);
	if (ret < 0) {
		*failed_r = true;
		return true;
	}
	if (ret == 0)
		*pos = count;
	if (*pos < count) {
		imap_client_continue_later(client);
		return false;
	}
	return true;
}
