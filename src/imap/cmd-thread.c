/*
 * THREAD and UID THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES.
 *
 * The search runs first; then, a batch per turn of the loop, each result's
 * date and subject (from the cached ENVELOPE) and its Message-ID,
 * References and In-Reply-To (from the header lines kept for SEARCH) are
 * read, and imap-thread.c builds the threads.
 */
#include "buffer.h"
#include "imap-base-subject.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-envelope.h"
#include "imap-search.h"
#include "imap-thread.h"
#include "imap-view.h"
#include "mime.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <string.h>

struct thread_cmd {
	struct imap_search search;
	enum imap_thread_algorithm alg;
	bool searched;
	struct imap_thread_msg *msgs; /* one per search result, UID order */
	unsigned int pos;
};

struct thread_fill_ctx {
	struct imap_command *cmd;
	struct thread_cmd *tc;
};

/* The value of the first "name:" line of a header text, or NULL. */
static const char *thread_header(const char *headers, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = headers; p != NULL && *p != '\0'; ) {
		const char *end = strchr(p, '\n');

		if (mem_iequal(p, name, len) && p[len] == ':')
			return p + len + 1;
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* The header value up to its line's end, from pool. */
static const char *thread_line(struct pool *pool, const char *value)
{
	const char *end;

	if (value == NULL)
		return NULL;
	end = strchr(value, '\n');
	return end == NULL ? value : p_strndup(pool, value, (size_t)(end - value));
}

static void thread_row_cb(void *context, unsigned int idx, const struct store_message *msg)
{
	struct thread_fill_ctx *ctx = context;
	struct pool *pool = ctx->cmd->pool;
	struct imap_thread_msg *m = &ctx->tc->msgs[idx];
	struct imap_envelope env;
	const char **ids;
	const char *subject = NULL;

	/* RFC 5256 4: SORT's DATE, which falls back to INTERNALDATE */
	m->date = msg->sent_time != 0 ? msg->sent_time : msg->internaldate;
	if (msg->envelope != NULL && imap_envelope_parse(pool, msg->envelope, &env) == 0 &&
	    env.subject != NULL)
		subject = mime_decode_header(pool, env.subject);
	m->base_subject = imap_base_subject_reply(pool, subject, &m->reply);
	if (ctx->tc->alg != IMAP_THREAD_REFERENCES || msg->headers == NULL)
		return;
	if (imap_thread_parse_ids(pool, thread_line(pool, thread_header(msg->headers,
					"Message-ID")), &ids) > 0)
		m->message_id = ids[0];
	/* RFC 5256 4 (1): References, else the first In-Reply-To */
	m->ref_count = imap_thread_parse_ids(pool, thread_line(pool,
		thread_header(msg->headers, "References")), &m->refs);
	if (m->ref_count == 0 &&
	    imap_thread_parse_ids(pool, thread_line(pool, thread_header(msg->headers,
					"In-Reply-To")), &ids) > 0) {
		m->refs = ids;
		m->ref_count = 1;
	}
}

static bool cmd_thread_continue(struct imap_command *cmd)
{
	struct thread_cmd *tc = cmd->context;
	struct thread_fill_ctx ctx = { .cmd = cmd, .tc = tc };
	unsigned int count, fields = STORE_FIELD_STATE | STORE_FIELD_SIZES |
		STORE_FIELD_ENVELOPE;
	struct buffer out;
	bool failed = false;

	if (!tc->searched) {
		if (!imap_search_run(cmd, &tc->search, &failed))
			return false;
		if (failed) {
			imap_search_reply_failed(cmd, &tc->search, "THREAD");
			return true;
		}
		tc->searched = true;
		count = tc->search.result.count;
		tc->msgs = p_new(cmd->pool, struct imap_thread_msg, count > 0 ? count : 1);
		for (unsigned int i = 0; i < count; i++) {
			uint32_t uid = tc->search.result.uids[i];

			tc->msgs[i].number = cmd->uid ? uid :
				imap_view_seq(cmd->client->view, uid);
			tc->msgs[i].base_subject = "";
		}
	}
	count = tc->search.result.count;
	if (tc->alg == IMAP_THREAD_REFERENCES)
		fields |= STORE_FIELD_HEADERS;
	if (!imap_search_read_rows(cmd, tc->search.result.uids, count, &tc->pos,
				   fields, thread_row_cb, &ctx, &failed))
		return false;
	if (failed) {
		imap_command_store_error(cmd, "THREAD");
		return true;
	}
	buffer_init_pool(&out, cmd->pool, 0);
	buffer_append_str(&out, "* THREAD ");
	imap_thread_write(cmd->pool, tc->alg, tc->msgs, count, &out);
	buffer_append_str(&out, "\r\n");
	imap_client_send_buffer(cmd->client, &out);
	imap_command_ok(cmd, "Thread completed.");
	return true;
}

bool cmd_thread(struct imap_command *cmd)
{
	const struct imap_arg *args = cmd->args;
	struct imap_search_key *root;
	struct thread_cmd *tc;
	const char *alg;

	tc = p_new(cmd->pool, struct thread_cmd, 1);
	/* RFC 5256 3: THREAD algorithm charset search-key... */
	if (!imap_arg_get_atom(&args[0], &alg)) {
		imap_command_bad(cmd, "Missing threading algorithm.");
		return true;
	}
	if (str_iequal(alg, "REFERENCES")) {
		tc->alg = IMAP_THREAD_REFERENCES;
	} else if (str_iequal(alg, "ORDEREDSUBJECT")) {
		tc->alg = IMAP_THREAD_ORDEREDSUBJECT;
	} else {
		imap_command_bad(cmd, "Unknown threading algorithm.");
		return true;
	}
	if (!imap_search_parse_keys(cmd, &args[1], &args[2], &root))
		return true;
	imap_search_init(&tc->search, root);
	cmd->context = tc;
	cmd->func = cmd_thread_continue;
	return cmd_thread_continue(cmd);
}
