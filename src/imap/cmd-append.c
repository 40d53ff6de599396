/*
 * APPEND (RFC 9051 6.3.12, RFC 4315 APPENDUID, RFC 3502 MULTIAPPEND,
 * RFC 7888 LITERAL+, RFC 7889 APPENDLIMIT): messages are streamed from the literal into a blob,
 * summarised (envelope, body structure, part map, text for search) and
 * made durable; the index gets them in one transaction when the command
 * line is complete. What IMAP APPEND stores is byte-exact.
 */
#include "buffer.h"
#include "conf.h"
#include "deliver.h"
#include "imap-append.h"
#include "imap-client.h"
#include "imap-commands.h"
#include "imap-date.h"
#include "imap-flags.h"
#include "imap-mailbox.h"
#include "imap-seqset.h"
#include "imap-view.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "store-imap.h"
#include "imap-writer.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct imap_append_msg {
	char blob[33];
	struct store_message_meta meta;  /* from the summary, in the append pool */
	bool ok;
	bool nul;                 /* refused: a NUL byte (UNKNOWN-CTE) */
};

struct imap_append {
	struct pool *pool;        /* handed to the write job at the end */
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct store_blob_writer *writer;
	struct imap_append_msg *msgs;
	unsigned int count, alloc;
	bool nul_seen;            /* the literal being read has a NUL byte */
	bool submitted;           /* the writer owns the pool and the blobs */
};

static void append_reject(struct imap_client *client, const char *tag,
			  const char *code, const char *text)
{
	if (code != NULL)
		imap_client_send(client, "%s NO [%s] %s", tag, code, text);
	else
		imap_client_send(client, "%s NO %s", tag, text);
	imap_parser_literal_reject(client->parser);
}

/* The flags and date before this literal, checked before the client is
   asked for the message (RFC 9051 6.3.12 append-opts). */
static int append_check_opts(struct imap_client *client, const struct imap_arg *args,
			     unsigned int count)
{
	unsigned int start = 3;
	const struct imap_arg *list;
	unsigned int list_count;
	uint32_t flags;
	const char *keywords, *error;
	time_t date;
	int tz;

	for (unsigned int i = 3; i < count; i++) {
		if (args[i].type == IMAP_ARG_LITERAL)
			start = i + 1;
	}
	if (start < count && imap_arg_get_list(&args[start], &list, &list_count)) {
		if (imap_flags_parse(client->cmd_pool, list, &flags, &keywords, &error) < 0)
			return -1;
		start++;
	}
	if (start < count && args[start].type == IMAP_ARG_STRING) {
		if (!imap_date_parse_datetime(args[start].u.str, &date, &tz))
			return -1;
		start++;
	}
	return start == count ? 0 : -1;
}

int imap_append_literal(struct imap_client *client, const struct imap_arg *args,
			unsigned int count, uint64_t size, bool sync, bool binary)
{
	struct store *store = client->session.srv->store;
	struct imap_append *append = client->append;
	const char *tag = args[0].u.str, *wire, *name, *error;
	struct store_mailbox mb;
	int ret;

	(void)sync;
	(void)binary;
	if (count < 3) {
		/* the mailbox name itself is a literal: keep it */
		if (imap_parser_literal_buffer(client->parser) < 0) {
			append_reject(client, tag, NULL, "Literal too large.");
			return -1;
		}
		return 0;
	}
	if (append == NULL) {
		if (!imap_arg_get_astring(&args[2], &wire) ||
		    imap_mailbox_name_decode(client, client->cmd_pool, wire,
					     &name, &error) < 0) {
			append_reject(client, tag, "CANNOT", "Invalid mailbox name.");
			return -1;
		}
		ret = imap_mailbox_lookup(client, client->cmd_pool, name, &mb);
		if (ret <= 0) {
			/* RFC 9051 6.3.12: before the client sends the message */
			if (ret == 0)
				append_reject(client, tag, "TRYCREATE", "Mailbox doesn't exist.");
			else
				append_reject(client, tag, "UNAVAILABLE",
					      "Temporary failure, try again later.");
			return -1;
		}
		{
			struct pool *pool = pool_create(4096);

			append = p_new(pool, struct imap_append, 1);
			append->pool = pool;
		}
		append->mailbox_id = mb.id;
		append->uidvalidity = mb.uidvalidity;
		client->append = append;
	}
	if (append_check_opts(client, args, count) < 0) {
		imap_client_send(client, "%s BAD Invalid APPEND flags or date.", tag);
		imap_client_bad_command(client);
		imap_parser_literal_reject(client->parser);
		return -1;
	}
	if (size > client->session.srv->conf->max_message_size) {
		append_reject(client, tag, "TOOBIG", "Message too large.");
		return -1;
	}
	if (size == 0) {
		append_reject(client, tag, NULL, "Can't save a zero byte message.");
		return -1;
	}
	append->writer = store_blob_writer_create(store);
	if (append->writer == NULL) {
		log_error("imap", "APPEND cannot create a blob: %s",
			  store_last_error_detail(store));
		append_reject(client, tag, "UNAVAILABLE", "Temporary failure, try again later.");
		return -1;
	}
	imap_parser_literal_stream(client->parser);
	return 0;
}

void imap_append_literal_data(struct imap_client *client,
			      const unsigned char *data, size_t len)
{
	struct imap_append *append = client->append;

	/* a failed write is remembered by the writer and reported at the end */
	if (append != NULL && append->writer != NULL) {
		/* only a literal8 can carry NUL (the parser refuses it in
		   others); such a message could never be sent back in BODY[] */
		if (memchr(data, '\0', len) != NULL)
			append->nul_seen = true;
		(void)store_blob_writer_write(append->writer, data, len);
	}
}

void imap_append_literal_end(struct imap_client *client)
{
	struct store *store = client->session.srv->store;
	struct imap_append *append = client->append;
	struct imap_append_msg *msg;

	if (append == NULL)
		return;
	append->msgs = p_grow(append->pool, append->msgs, sizeof(*append->msgs),
			      append->count, &append->alloc, 4);
	msg = &append->msgs[append->count++];
	memset(msg, 0, sizeof(*msg));
	if (append->writer == NULL)
		return;
	if (append->nul_seen) {
		append->nul_seen = false;
		msg->nul = true;
		store_blob_writer_abort(&append->writer);
		return;
	}
	/* the summary (ENVELOPE, BODYSTRUCTURE, SEARCH text) is made on the
	   writer thread: parsing MIME is the costliest part of an APPEND */
	if (store_blob_writer_finish(append->writer, false, msg->blob) < 0) {
		log_error("imap", "APPEND cannot store the message: %s",
			  store_last_error_detail(store));
		store_blob_writer_abort(&append->writer);
		return;
	}
	store_blob_writer_free(&append->writer);
	msg->ok = true;
}

void imap_append_abort(struct imap_client *client)
{
	struct imap_append *append = client->append;

	if (append == NULL)
		return;
	client->append = NULL;
	if (append->writer != NULL)
		store_blob_writer_abort(&append->writer);
	if (append->submitted)
		return;
	for (unsigned int i = 0; i < append->count; i++) {
		if (append->msgs[i].ok)
			store_blob_unlink(client->session.srv->store, append->msgs[i].blob);
	}
	pool_destroy(&append->pool);
}

struct append_item {
	uint32_t flags;
	const char *keywords;
	time_t date;
	int tz;
	unsigned int msg;
};

/* append-opts: [SP flag-list] [SP date-time], then the literal */
static int append_parse_items(struct imap_command *cmd, const struct imap_arg *args,
			      struct append_item **items_r, unsigned int *count_r,
			      const char **error_r)
{
	unsigned int n = 0, max = 0;
	struct append_item *items;

	for (const struct imap_arg *a = args; a->type != IMAP_ARG_EOL; a++) {
		if (a->type == IMAP_ARG_LITERAL)
			max++;
	}
	if (max == 0) {
		*error_r = "Missing message literal";
		return -1;
	}
	items = p_new(cmd->pool, struct append_item, max);
	while (args->type != IMAP_ARG_EOL) {
		struct append_item *item = &items[n];
		const struct imap_arg *list;
		unsigned int list_count;
		const char *date;

		if (imap_arg_get_list(args, &list, &list_count)) {
			if (imap_flags_parse(cmd->pool, list, &item->flags,
					     &item->keywords, error_r) < 0)
				return -1;
			args++;
		}
		if (args->type == IMAP_ARG_STRING) {
			date = args->u.str;
			if (!imap_date_parse_datetime(date, &item->date, &item->tz)) {
				*error_r = "Invalid date-time";
				return -1;
			}
			args++;
		}
		if (args->type != IMAP_ARG_LITERAL || !args->streamed) {
			*error_r = "Missing message literal";
			return -1;
		}
		item->msg = n++;
		args++;
	}
	*items_r = items;
	*count_r = n;
	return 0;
}

struct append_job {
	struct imap_command *cmd;
	struct imap_append *append;   /* in its own pool, owned by the job */
	struct append_item *items;
	unsigned int count;
	uint32_t *uids;
};

static void append_pool_destroy(void *context)
{
	struct pool *pool = context;

	pool_destroy(&pool);
}

/* On the writer thread, before the transaction: the summaries of the new
   messages, from the files the loop wrote. */
static int append_job_prepare(struct store *store, void *context)
{
	struct append_job *job = context;
	struct imap_append *append = job->append;

	for (unsigned int i = 0; i < job->count; i++) {
		struct imap_append_msg *msg = &append->msgs[job->items[i].msg];
		struct mime_summary sum;
		struct stat st;
		void *map;
		int fd = store_blob_open(store, msg->blob);

		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0 || st.st_size <= 0 ||
		    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
				fd, 0)) == MAP_FAILED) {
			log_error("imap", "APPEND cannot map the new blob %s", msg->blob);
			close(fd);
			return -1;
		}
		mime_summarize(append->pool, map, (size_t)st.st_size, &sum);
		deliver_summary_meta(append->pool, &sum, &msg->meta);
		munmap(map, (size_t)st.st_size);
		close(fd);
	}
	return 0;
}

/* On the writer thread: the blobs are written; their directories get
   their fsync with the batch, then the index rows go in. */
static int append_job_run(struct store *store, void *context)
{
	struct append_job *job = context;
	struct imap_append *append = job->append;

	for (unsigned int i = 0; i < job->count; i++) {
		struct imap_append_msg *msg = &append->msgs[job->items[i].msg];

		store_imap_blob_dirty(store, msg->blob);
		if (store_message_add(store, append->mailbox_id, msg->blob, &msg->meta,
				      job->items[i].flags, job->items[i].keywords,
				      job->items[i].date, job->items[i].tz, &job->uids[i]) < 0)
			return -1;
	}
	return 0;
}

static void append_job_done(void *context, int result, enum store_error error)
{
	struct append_job *job = context;
	struct imap_command *cmd = job->cmd;
	struct imap_client *client = cmd->client;
	struct imap_append *append = job->append;
	struct buffer code;

	if (result < 0) {
		/* nothing refers to the blobs */
		for (unsigned int i = 0; i < append->count; i++)
			store_blob_unlink(client->session.srv->store, append->msgs[i].blob);
		if (error == STORE_ERROR_NOT_FOUND)
			imap_command_reply(cmd, "NO", "TRYCREATE", "Mailbox doesn't exist.");
		else
			imap_command_error(cmd, error);
		imap_command_write_done(cmd);
		return;
	}
	imap_view_notify_changed(client, append->mailbox_id);
	/* RFC 4315 3: APPENDUID uidvalidity uid-set */
	buffer_init_pool(&code, cmd->pool, 0);
	buffer_printf(&code, "APPENDUID %u ", append->uidvalidity);
	imap_seqset_write_array(&code, job->uids, job->count);
	imap_command_reply(cmd, "OK", code.data, "Append completed.");
	imap_command_write_done(cmd);
}

bool cmd_append(struct imap_command *cmd)
{
	struct imap_client *client = cmd->client;
	struct imap_append *append = client->append;
	struct append_item *items;
	struct imap_write_job *wjob;
	struct append_job *job;
	struct pool *pool;
	unsigned int count;
	const char *wire, *error;

	if (!imap_arg_get_astring(&cmd->args[0], &wire)) {
		imap_command_bad(cmd, "Missing mailbox name.");
		return true;
	}
	if (append_parse_items(cmd, cmd->args + 1, &items, &count, &error) < 0) {
		imap_command_bad(cmd, "%s.", error);
		return true;
	}
	if (append == NULL || append->count != count) {
		imap_command_bad(cmd, "Invalid APPEND arguments.");
		return true;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (append->msgs[i].nul) {
			/* RFC 9051 6.3.12: no storage for binary content; the
			   client sends it again with a transfer encoding. Stored
			   bytes stay exactly what the client sent. */
			imap_command_reply(cmd, "NO", "UNKNOWN-CTE",
					   "Binary content with NUL bytes cannot be stored; "
					   "send it base64-encoded.");
			return true;
		}
		if (!append->msgs[i].ok) {
			imap_command_reply(cmd, "NO", "UNAVAILABLE",
					   "Temporary failure, try again later.");
			return true;
		}
	}
	wjob = imap_write_job_create(append_job_run, append_job_done, sizeof(*job),
				     (void **)&job);
	imap_write_job_set_prepare(wjob, append_job_prepare);
	pool = imap_write_job_pool(wjob);
	job->cmd = cmd;
	job->count = count;
	job->uids = p_new(pool, uint32_t, count);
	job->items = p_new(pool, struct append_item, count);
	memcpy(job->items, items, sizeof(*items) * count);
	for (unsigned int i = 0; i < count; i++) {
		if (items[i].keywords != NULL)
			job->items[i].keywords = p_strdup(pool, items[i].keywords);
	}
	/* the streamed messages and their summaries go with the job */
	job->append = append;
	append->submitted = true;
	pool_add_cleanup(pool, append_pool_destroy, append->pool);
	client->append = NULL;
	imap_command_write(cmd, wjob);
	return false;
}
