/*
 * The FETCH engine. Parsing follows RFC 9051 9 (fetch-att); output follows
 * 7.5.2. Messages are read in UID order from the store, one batch per turn
 * of the loop, walking the session's view alongside to get sequence
 * numbers and to notice messages that vanished under us.
 */
#include "imap-fetch.h"
#include "buffer.h"
#include "connection.h"
#include "imap-client.h"
#include "imap-date.h"
#include "imap-flags.h"
#include "imap-index.h"
#include "imap-parser.h"
#include "imap-quote.h"
#include "imap-view.h"
#include "imap-writer.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "server.h"
#include "store.h"
#include "store-imap.h"
#include "strutil.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Messages per turn of the loop, even when the client reads fast. */
#define FETCH_BATCH 5000
/* Output kept before it is handed to the connection. */
#define FETCH_FLUSH_SIZE (16 * 1024)

/* Decimal without printf: the FLAGS of 100,000 messages add up. */
static void fetch_append_u64(struct buffer *out, uint64_t value)
{
	char tmp[24];
	unsigned int n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	buffer_append(out, tmp + n, sizeof(tmp) - n);
}

/* --- parsing --- */

static struct imap_fetch_body *fetch_add_body(struct imap_command *cmd,
					      struct imap_fetch *fetch)
{
	struct imap_fetch_body *body;

	fetch->bodies = p_realloc(cmd->pool, fetch->bodies,
				  sizeof(*fetch->bodies) * fetch->body_count,
				  sizeof(*fetch->bodies) * (fetch->body_count + 1));
	body = &fetch->bodies[fetch->body_count++];
	memset(body, 0, sizeof(*body));
	return body;
}

/* "<start.len>" after a section; *p past it. */
static int fetch_parse_partial(const char **p, struct imap_fetch_body *body,
			       const char **error_r)
{
	const char *s = *p + 1, *dot, *end;

	dot = strchr(s, '.');
	end = strchr(s, '>');
	if (dot == NULL || end == NULL || dot > end ||
	    mem_to_u64(s, (size_t)(dot - s), UINT64_MAX, &body->start) < 0 ||
	    mem_to_u64(dot + 1, (size_t)(end - dot - 1), UINT64_MAX, &body->len) < 0 ||
	    body->len == 0) {
		*error_r = "Invalid partial range";
		return -1;
	}
	body->partial = true;
	*p = end + 1;
	return 0;
}

static int fetch_parse_body(struct imap_command *cmd, struct imap_fetch *fetch,
			    const char *atom, const char **error_r)
{
	const char *open = strchr(atom, '['), *close, *p;
	struct imap_fetch_body *body;
	const char *spec;
	size_t prefix_len = (size_t)(open - atom);

	static const struct {
		const char *prefix;
		enum imap_fetch_body_kind kind;
		bool peek;
	} prefixes[] = {
		{ "BODY", IMAP_FETCH_BODY_RAW, false },
		{ "BODY.PEEK", IMAP_FETCH_BODY_RAW, true },
		{ "BINARY", IMAP_FETCH_BODY_BINARY, false },
		{ "BINARY.PEEK", IMAP_FETCH_BODY_BINARY, true },
		{ "BINARY.SIZE", IMAP_FETCH_BODY_BINARY_SIZE, true },
	};
	const char *kind_name = NULL;

	body = fetch_add_body(cmd, fetch);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (strlen(prefixes[i].prefix) == prefix_len &&
		    mem_iequal(atom, prefixes[i].prefix, prefix_len)) {
			body->kind = prefixes[i].kind;
			body->peek = prefixes[i].peek;
			kind_name = body->kind == IMAP_FETCH_BODY_RAW ? "BODY" :
				body->kind == IMAP_FETCH_BODY_BINARY ? "BINARY" :
				"BINARY.SIZE";
		}
	}
	if (kind_name == NULL) {
		*error_r = "Unknown FETCH item";
		return -1;
	}
	close = strrchr(open, ']');
	if (close == NULL) {
		*error_r = "Missing ']'";
		return -1;
	}
	spec = p_strndup(cmd->pool, open + 1, (size_t)(close - open - 1));
	if (imap_section_parse(cmd->pool, spec, &body->sect, error_r) < 0)
		return -1;
	/* RFC 9051 9: section-binary is part numbers only */
	if (body->kind != IMAP_FETCH_BODY_RAW && body->sect.kind != IMAP_SECTION_ALL) {
		*error_r = "BINARY takes part numbers only";
		return -1;
	}
	p = close + 1;
	if (*p == '<' && body->kind != IMAP_FETCH_BODY_BINARY_SIZE &&
	    fetch_parse_partial(&p, body, error_r) < 0)
		return -1;
	if (*p != '\0') {
		*error_r = "Garbage after FETCH item";
		return -1;
	}
	/* the reply names the section as asked, and the partial's origin */
	if (body->partial)
		body->name = p_printf(cmd->pool, "%s[%s]<%llu>", kind_name, spec,
				      (unsigned long long)body->start);
	else
		body->name = p_printf(cmd->pool, "%s[%s]", kind_name, spec);
	if (!body->peek)
		fetch->set_seen = true;
	return 0;
}

static int fetch_parse_item(struct imap_command *cmd, struct imap_fetch *fetch,
			    const char *atom, const char **error_r)
{
	static const struct {
		const char *name;
		unsigned int items;
	} simple[] = {
		{ "FLAGS", IMAP_FETCH_FLAGS },
		{ "UID", IMAP_FETCH_UID },
		{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
		{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
		{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
		{ "BODY", IMAP_FETCH_BODY },
		{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
		{ "MODSEQ", IMAP_FETCH_MODSEQ },
	};
	struct imap_fetch_body *body;

	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (str_iequal(atom, simple[i].name)) {
			fetch->items |= simple[i].items;
			return 0;
		}
	}
	if (strchr(atom, '[') != NULL)
		return fetch_parse_body(cmd, fetch, atom, error_r);
	/* RFC 3501 6.4.5 RFC822 forms: BODY[] and its parts under old names */
	if (str_iequal(atom, "RFC822") || str_iequal(atom, "RFC822.HEADER") ||
	    str_iequal(atom, "RFC822.TEXT")) {
		body = fetch_add_body(cmd, fetch);
		body->name = str_iequal(atom, "RFC822") ? "RFC822" :
			str_iequal(atom, "RFC822.HEADER") ? "RFC822.HEADER" : "RFC822.TEXT";
		body->sect.kind = str_iequal(atom, "RFC822") ? IMAP_SECTION_ALL :
			str_iequal(atom, "RFC822.HEADER") ? IMAP_SECTION_HEADER :
			IMAP_SECTION_TEXT;
		body->peek = str_iequal(atom, "RFC822.HEADER");
		if (!body->peek)
			fetch->set_seen = true;
		return 0;
	}
	*error_r = "Unknown FETCH item";
	return -1;
}

static int fetch_parse_modifiers(struct imap_command *cmd, struct imap_fetch *fetch,
				 const struct imap_arg *args, const char **error_r)
{
	const struct imap_arg *list;
	unsigned int count;
	const char *str;

	if (args->type == IMAP_ARG_EOL)
		return 0;
	if (!imap_arg_get_list(args, &list, &count) || args[1].type != IMAP_ARG_EOL) {
		*error_r = "Invalid FETCH modifiers";
		return -1;
	}
	for (; list->type != IMAP_ARG_EOL; list++) {
		if (imap_arg_atom_equals(list, "CHANGEDSINCE")) {
			/* RFC 7162 3.1.4.1 */
			if (!imap_arg_get_atom(&list[1], &str) ||
			    str_to_u64(str, UINT64_MAX, &fetch->changedsince) < 0) {
				*error_r = "Invalid CHANGEDSINCE value";
				return -1;
			}
			list++;
		} else if (imap_arg_atom_equals(list, "VANISHED")) {
			/* RFC 7162 3.2.6 */
			if (!cmd->uid || !cmd->client->qresync) {
				*error_r = "VANISHED needs UID FETCH and QRESYNC";
				return -1;
			}
			fetch->vanished = true;
		} else {
			*error_r = "Unknown FETCH modifier";
			return -1;
		}
	}
	if (fetch->vanished && fetch->changedsince == 0) {
		*error_r = "VANISHED needs CHANGEDSINCE";
		return -1;
	}
	if (fetch->changedsince != 0) {
		fetch->items |= IMAP_FETCH_MODSEQ;
		imap_client_enable_condstore(cmd->client);
	}
	return 0;
}

int imap_fetch_parse(struct imap_command *cmd, struct imap_fetch *fetch,
		     const char **error_r)
{
	const struct imap_arg *args = cmd->args, *list;
	const char *set, *atom;
	unsigned int count;

	memset(fetch, 0, sizeof(*fetch));
	if (!imap_arg_get_atom(&args[0], &set)) {
		*error_r = "Missing message set";
		return -1;
	}
	if (imap_view_parse_set(cmd, set, &fetch->uids, error_r) < 0)
		return -1;
	if (imap_arg_get_atom(&args[1], &atom)) {
		/* macros stand alone (RFC 9051 6.4.5) */
		if (str_iequal(atom, "ALL") || str_iequal(atom, "FAST") ||
		    str_iequal(atom, "FULL")) {
			fetch->items |= IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE |
				IMAP_FETCH_RFC822_SIZE;
			if (!str_iequal(atom, "FAST"))
				fetch->items |= IMAP_FETCH_ENVELOPE;
			if (str_iequal(atom, "FULL"))
				fetch->items |= IMAP_FETCH_BODY;
		} else if (fetch_parse_item(cmd, fetch, atom, error_r) < 0) {
			return -1;
		}
	} else if (imap_arg_get_list(&args[1], &list, &count) && count > 0) {
		for (unsigned int i = 0; i < count; i++) {
			if (!imap_arg_get_atom(&list[i], &atom)) {
				*error_r = "Invalid FETCH item";
				return -1;
			}
			if (fetch_parse_item(cmd, fetch, atom, error_r) < 0)
				return -1;
		}
	} else {
		*error_r = "Missing FETCH items";
		return -1;
	}
	if (fetch_parse_modifiers(cmd, fetch, &args[2], error_r) < 0)
		return -1;
	if ((fetch->items & IMAP_FETCH_MODSEQ) != 0)
		imap_client_enable_condstore(cmd->client);
	if (cmd->client->view->readonly)
		fetch->set_seen = false;
	return 0;
}

/* --- \Seen before fetching (RFC 9051 6.4.5: BODY[] sets it) --- */

static bool fetch_unseen_filter(void *context, const struct store_message *msg)
{
	const struct imap_fetch *fetch = context;

	return (msg->flags & STORE_FLAG_SEEN) == 0 &&
		(fetch->changedsince == 0 || msg->modseq > fetch->changedsince);
}

struct seen_job {
	struct imap_command *cmd;
	struct imap_fetch *fetch;
	struct pool *pool;
	int64_t mailbox_id;
	uint32_t *uids;
	uint64_t *modseqs;        /* 0: not changed by us */
	unsigned int count;
};

static int seen_job_run(struct store *store, void *context)
{
	struct seen_job *job = context;

	for (unsigned int i = 0; i < job->count; i++) {
		struct store_flag_change change;

		if (store_message_set_flags(store, job->mailbox_id, job->uids[i],
					    STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0,
					    job->pool, &change) < 0)
			return -1;
		job->modseqs[i] = change.changed ? change.modseq : 0;
	}
	return 0;
}

static void seen_job_done(void *context, int result, enum store_error error)
{
	struct seen_job *job = context;
	struct imap_command *cmd = job->cmd;
	struct imap_client *client = cmd->client;
	struct imap_fetch *fetch = job->fetch;

	if (result < 0) {
		fetch->seen_failed = true;
		fetch->seen_error = error;
	} else {
		for (unsigned int i = 0; i < job->count; i++) {
			if (job->modseqs[i] != 0 && client->view != NULL)
				imap_view_reported(client->view, job->uids[i], job->modseqs[i]);
		}
		fetch->seen_set = p_new(cmd->pool, uint32_t, job->count);
		memcpy(fetch->seen_set, job->uids, sizeof(uint32_t) * job->count);
		fetch->seen_count = job->count;
		imap_view_notify_changed(client, job->mailbox_id);
	}
	imap_command_write_done(cmd);
}

/* The messages that get \Seen are changed on the writer thread first: the
   FETCH answers with the new flags (and MODSEQ) once that is durable.
   true: the command waits for it. */
static bool fetch_set_seen(struct imap_command *cmd, struct imap_fetch *fetch,
			   bool *failed_r)
{
	struct imap_client *client = cmd->client;
	struct imap_uid_array uids;
	struct imap_write_job *wjob;
	struct seen_job *job;

	if (imap_view_collect(cmd, &fetch->uids, fetch_unseen_filter, fetch,
			      &uids, NULL) < 0) {
		*failed_r = true;
		return false;
	}
	if (uids.count == 0)
		return false;
	wjob = imap_write_job_create(seen_job_run, seen_job_done, sizeof(*job),
				     (void **)&job);
	job->cmd = cmd;
	job->fetch = fetch;
	job->pool = imap_write_job_pool(wjob);
	job->mailbox_id = client->view->mailbox_id;
	job->count = uids.count;
	job->uids = p_new(job->pool, uint32_t, uids.count);
	memcpy(job->uids, uids.uids, sizeof(uint32_t) * uids.count);
	job->modseqs = p_new(job->pool, uint64_t, uids.count);
	imap_command_write(cmd, wjob);
	return true;
}

static bool fetch_seen_was_set(const struct imap_fetch *fetch, uint32_t uid)
{
	return imap_uids_contain(fetch->seen_set, fetch->seen_count, uid);
}

/* --- RFC 7162 3.2.6: VANISHED (EARLIER) before the results --- */

struct fetch_vanished_ctx {
	struct imap_fetch *fetch;
	struct pool *pool;
	struct imap_uid_array uids;
};

static void fetch_vanished_cb(void *context, uint32_t uid)
{
	struct fetch_vanished_ctx *ctx = context;

	if (imap_seqset_contains(&ctx->fetch->uids, uid))
		imap_uid_array_add(ctx->pool, &ctx->uids, uid);
}

static void fetch_send_vanished(struct imap_command *cmd, struct imap_fetch *fetch)
{
	struct imap_client *client = cmd->client;
	struct fetch_vanished_ctx ctx = { .fetch = fetch, .pool = cmd->pool };
	struct buffer buf;

	if (store_mailbox_changes(client->session.srv->store, client->view->mailbox_id,
				  fetch->changedsince, NULL, fetch_vanished_cb, &ctx) < 0 ||
	    ctx.uids.count == 0)
		return;
	buffer_init_pool(&buf, cmd->pool, 0);
	buffer_append_str(&buf, "* VANISHED (EARLIER) ");
	imap_seqset_write_array(&buf, ctx.uids.uids, ctx.uids.count);
	buffer_append_str(&buf, "\r\n");
	imap_client_send_buffer(client, &buf);
}

/* --- body sections --- */

static int fetch_pread(int fd, uint64_t start, uint64_t len, struct pool *pool,
		       unsigned char **data_r)
{
	unsigned char *data = p_malloc(pool, (size_t)len + 1);
	size_t done = 0;

	while (done < len) {
		ssize_t ret = pread(fd, data + done, (size_t)len - done,
				    (off_t)(start + done));

		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return -1;
		done += (size_t)ret;
	}
	*data_r = data;
	return 0;
}

/* Where the section is when the part map cannot tell (an old or broken
   map): the whole message, its header or its text. */
static int fetch_region_fallback(const struct imap_fetch_body *body,
				 const struct store_message *msg,
				 struct imap_section_region *region)
{
	memset(region, 0, sizeof(*region));
	if (body->sect.path_len > 0)
		return 0;
	switch (body->sect.kind) {
	case IMAP_SECTION_ALL:
		region->end = msg->size;
		return 1;
	case IMAP_SECTION_TEXT:
		region->start = msg->header_size;
		region->end = msg->size;
		return 1;
	case IMAP_SECTION_HEADER:
	case IMAP_SECTION_HEADER_FIELDS:
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		region->end = msg->header_size;
		region->filter = body->sect.kind != IMAP_SECTION_HEADER;
		return 1;
	default:
		return 0;
	}
}

struct fetch_message {
	const struct store_message *msg;
	int fd;
	struct mime_part_pos *parts;
	unsigned int part_count;
	bool parts_parsed;
};

/* The Content-Transfer-Encoding of a section: from the MIME header of a
   part, or the message's own header for the whole message. NULL: none. */
static const char *fetch_section_cte(struct imap_fetch *fetch,
				     const struct imap_fetch_body *body,
				     struct fetch_message *fm)
{
	static const char *const names[] = { "Content-Transfer-Encoding" };
	struct imap_section hsect = body->sect;
	struct imap_section_region hregion;
	struct buffer field;
	unsigned char *hdr;
	char *value;

	hsect.kind = hsect.path_len > 0 ? IMAP_SECTION_MIME : IMAP_SECTION_HEADER;
	if (fm->part_count > 0) {
		if (imap_section_resolve(&hsect, fm->parts, fm->part_count,
					 fm->msg->size, &hregion) <= 0)
			return NULL;
	} else {
		hregion.start = 0;
		hregion.end = fm->msg->header_size;
	}
	if (hregion.end <= hregion.start || hregion.end > fm->msg->size ||
	    fetch_pread(fm->fd, hregion.start, hregion.end - hregion.start,
			fetch->msg_pool, &hdr) < 0)
		return NULL;
	/* the field with its continuation lines, "Name: value\r\n...\r\n" */
	buffer_init_pool(&field, fetch->msg_pool, 0);
	imap_header_filter(hdr, (size_t)(hregion.end - hregion.start), names, 1,
			   false, &field);
	if (field.data == NULL || (value = strchr(field.data, ':')) == NULL)
		return NULL;
	value = p_strdup(fetch->msg_pool, value + 1);
	for (char *c = value; *c != '\0'; c++) {
		if (*c == '\r' || *c == '\n' || *c == '\t')
			*c = ' ';
	}
	return str_trim(value);
}

/* BINARY[section]<partial> and BINARY.SIZE[section] (RFC 3516, RFC 9051
   6.4.5): the section with its transfer encoding undone. Content with a
   NUL goes out as a literal8. */
static void fetch_binary(struct imap_fetch *fetch,
			 const struct imap_fetch_body *body, struct fetch_message *fm,
			 const struct imap_section_region *region, struct buffer *out)
{
	const struct store_message *msg = fm->msg;
	const char *cte = fetch_section_cte(fetch, body, fm);
	const unsigned char *content;
	unsigned char *raw;
	size_t size;
	uint64_t start, len;
	int ret;

	if (fetch_pread(fm->fd, region->start, region->end - region->start,
			fetch->msg_pool, &raw) < 0) {
		log_error("imap", "cannot read message uid=%u blob=%s", msg->uid,
			  msg->blob);
		buffer_append_str(out, "NIL");
		return;
	}
	size = (size_t)(region->end - region->start);
	ret = mime_transfer_decode(fetch->msg_pool, cte, raw, size, &content, &size);
	if (ret < 0) {
		/* the tagged reply says NO [UNKNOWN-CTE] */
		fetch->unknown_cte = true;
		buffer_append_str(out, "NIL");
		return;
	}
	if (ret == MIME_TRANSFER_LINES) {
		/* 7bit and 8bit are lines: bare LFs go out as CRLF, as in BODY[] */
		struct buffer conv;

		buffer_init_pool(&conv, fetch->msg_pool, 0);
		imap_append_crlf(&conv, raw, size);
		content = (const unsigned char *)(conv.data != NULL ? conv.data : "");
		size = conv.used;
	}
	if (body->kind == IMAP_FETCH_BODY_BINARY_SIZE) {
		fetch_append_u64(out, size);
		return;
	}
	start = body->partial ? (body->start < size ? body->start : size) : 0;
	len = size - start;
	if (body->partial && body->len < len)
		len = body->len;
	buffer_printf(out, "%s{%llu}\r\n",
		      memchr(content + start, '\0', (size_t)len) != NULL ? "~" : "",
		      (unsigned long long)len);
	buffer_append(out, content + start, (size_t)len);
}

static void fetch_body(struct imap_command *cmd, struct imap_fetch *fetch,
		       const struct imap_fetch_body *body, struct fetch_message *fm,
		       const char *sep, struct buffer *out)
{
	struct imap_client *client = cmd->client;
	const struct store_message *msg = fm->msg;
	struct imap_section_region region;
	const unsigned char *content = NULL;
	unsigned char *raw;
	uint64_t total, start, len;
	bool from_file = false;
	int found;

	buffer_printf(out, "%s%s ", sep, body->name);
	if (!fm->parts_parsed) {
		fm->parts_parsed = true;
		if (msg->parts == NULL || *msg->parts == '\0' ||
		    mime_parts_parse(fetch->msg_pool, msg->parts, &fm->parts,
				     &fm->part_count) < 0)
			fm->part_count = 0;
	}
	if (fm->part_count > 0)
		found = imap_section_resolve(&body->sect, fm->parts, fm->part_count,
					     msg->size, &region);
	else
		found = fetch_region_fallback(body, msg, &region);
	if (found <= 0 || fm->fd < 0 || region.end > msg->size || region.start > region.end) {
		buffer_append_str(out, "NIL");
		return;
	}
	if (body->kind != IMAP_FETCH_BODY_RAW) {
		fetch_binary(fetch, body, fm, &region, out);
		return;
	}
	if (!region.filter && msg->crlf) {
		/* stored with CRLF: the bytes go out as they are, from the
		   file, without passing through memory */
		total = region.end - region.start;
		from_file = true;
	} else {
		struct buffer conv;

		if (fetch_pread(fm->fd, region.start, region.end - region.start,
				fetch->msg_pool, &raw) < 0) {
			log_error("imap", "cannot read message uid=%u blob=%s", msg->uid,
				  msg->blob);
			buffer_append_str(out, "NIL");
			return;
		}
		buffer_init_pool(&conv, fetch->msg_pool, 0);
		if (region.filter)
			imap_header_filter(raw, (size_t)(region.end - region.start),
					   body->sect.fields, body->sect.field_count,
					   body->sect.kind == IMAP_SECTION_HEADER_FIELDS_NOT,
					   &conv);
		else
			imap_append_crlf(&conv, raw, (size_t)(region.end - region.start));
		content = (const unsigned char *)(conv.data != NULL ? conv.data : "");
		total = conv.used;
	}
	start = body->partial ? (body->start < total ? body->start : total) : 0;
	len = total - start;
	if (body->partial && body->len < len)
		len = body->len;
	buffer_printf(out, "{%llu}\r\n", (unsigned long long)len);
	if (from_file) {
		imap_client_send_buffer(client, out);
		if (len > 0 && connection_write_file(client->session.conn, fm->fd,
						     (off_t)(region.start + start),
						     (size_t)len) < 0) {
			/* the literal's length is promised: nothing to do
			   but end the session */
			log_error("imap", "cannot send message uid=%u", msg->uid);
			imap_client_disconnect(client, "Internal error.");
		}
	} else {
		buffer_append(out, content + start, (size_t)len);
	}
}

static void fetch_message(struct imap_command *cmd, struct imap_fetch *fetch,
			  const struct store_message *msg, uint32_t seq,
			  struct buffer *out)
{
	struct imap_client *client = cmd->client;
	struct fetch_message fm = { .msg = msg, .fd = -1 };
	bool seen_set = fetch->seen_count > 0 && fetch_seen_was_set(fetch, msg->uid);
	const char *sep = "";

	if (fetch->body_count > 0) {
		/* before anything is written: the row was read, but another
		   session may have expunged the message since and its body
		   gone with the commit */
		errno = 0;
		fm.fd = store_blob_open(client->session.srv->store, msg->blob);
		if (fm.fd < 0) {
			if (errno != ENOENT)
				log_error("imap", "cannot open message uid=%u: %s", msg->uid,
					  store_last_error_detail(client->session.srv->store));
			fetch->expunged = true;
			return;
		}
	}

	if (((fetch->items & IMAP_FETCH_FLAGS) != 0 || seen_set) &&
	    msg->keywords != NULL && *msg->keywords != '\0') {
		/* a keyword the client has not been told of yet: FLAGS first */
		imap_client_send_buffer(client, out);
		imap_view_announce_keywords(client, msg->keywords);
	}
	buffer_append_str(out, "* ");
	fetch_append_u64(out, seq);
	buffer_append_str(out, " FETCH (");
	if ((fetch->items & IMAP_FETCH_UID) != 0 || cmd->uid) {
		buffer_append_str(out, "UID ");
		fetch_append_u64(out, msg->uid);
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_FLAGS) != 0 || seen_set) {
		buffer_printf(out, "%sFLAGS ", sep);
		imap_flags_write(out, msg->flags, msg->keywords,
				 !client->imap4rev2 && imap_view_is_recent(client->view, msg->uid));
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_INTERNALDATE) != 0) {
		buffer_printf(out, "%sINTERNALDATE \"", sep);
		imap_date_append_datetime(out, msg->internaldate, msg->internaldate_tz);
		buffer_append_c(out, '"');
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_RFC822_SIZE) != 0) {
		buffer_printf(out, "%sRFC822.SIZE %llu", sep, (unsigned long long)msg->vsize);
		sep = " ";
	}
	/* the cached strings can be long: append, do not format */
	if ((fetch->items & IMAP_FETCH_ENVELOPE) != 0) {
		buffer_append_str(out, sep);
		buffer_append_str(out, "ENVELOPE ");
		buffer_append_str(out, msg->envelope);
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_BODY) != 0) {
		buffer_append_str(out, sep);
		buffer_append_str(out, "BODY ");
		buffer_append_str(out, msg->body);
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_BODYSTRUCTURE) != 0) {
		buffer_append_str(out, sep);
		buffer_append_str(out, "BODYSTRUCTURE ");
		buffer_append_str(out, msg->bodystructure);
		sep = " ";
	}
	if ((fetch->items & IMAP_FETCH_MODSEQ) != 0 || (seen_set && client->condstore)) {
		buffer_printf(out, "%sMODSEQ (%llu)", sep, (unsigned long long)msg->modseq);
		sep = " ";
	}
	if (fetch->body_count > 0) {
		for (unsigned int i = 0; i < fetch->body_count; i++) {
			fetch_body(cmd, fetch, &fetch->bodies[i], &fm, sep, out);
			sep = " ";
		}
		if (fm.fd >= 0)
			close(fm.fd);
	}
	buffer_append_str(out, ")\r\n");
	pool_clear(fetch->msg_pool);
}

/*
 * FLAGS, UID and MODSEQ only: answered from the shared in-memory index,
 * without touching the store's rows.
 */
static bool fetch_run_index(struct imap_command *cmd, struct imap_fetch *fetch,
			    bool *failed_r)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct imap_index *index = imap_view_index(client);
	unsigned int processed = 0;
	bool stop = false;
	struct buffer out;

	if (index == NULL) {
		*failed_r = true;
		return true;
	}
	buffer_init(&out, 0);
	while (fetch->range < fetch->uids.count && !stop) {
		const struct imap_seq_range *r = &fetch->uids.ranges[fetch->range];
		uint32_t lo = r->lo > fetch->next_uid ? r->lo : fetch->next_uid;
		unsigned int vidx = imap_view_lower_bound(view, lo);
		unsigned int pos = imap_index_lower_bound(index, lo);

		for (; vidx < view->count && imap_view_uid(view, vidx) <= r->hi; vidx++) {
			uint32_t uid = imap_view_uid(view, vidx);
			const struct imap_index_rec *rec;
			const char *keywords;

			while (pos < index->count && index->recs[pos].uid < uid)
				pos++;
			if (pos >= index->count || index->recs[pos].uid != uid) {
				fetch->expunged = true;
				continue;
			}
			rec = &index->recs[pos];
			if (fetch->changedsince != 0 && rec->modseq <= fetch->changedsince)
				continue;
			keywords = imap_index_keywords(index, pos);
			if ((fetch->items & IMAP_FETCH_FLAGS) != 0 && keywords != NULL) {
				imap_client_send_buffer(client, &out);
				imap_view_announce_keywords(client, keywords);
			}
			buffer_append_str(&out, "* ");
			fetch_append_u64(&out, vidx + 1);
			buffer_append_str(&out, " FETCH (");
			if ((fetch->items & IMAP_FETCH_UID) != 0 || cmd->uid) {
				buffer_append_str(&out, "UID ");
				fetch_append_u64(&out, uid);
				if ((fetch->items & ~(unsigned int)IMAP_FETCH_UID) != 0)
					buffer_append_c(&out, ' ');
			}
			if ((fetch->items & IMAP_FETCH_FLAGS) != 0) {
				buffer_append_str(&out, "FLAGS ");
				imap_flags_write(&out, rec->flags, keywords,
						 !client->imap4rev2 && imap_view_is_recent(view, uid));
				if ((fetch->items & IMAP_FETCH_MODSEQ) != 0)
					buffer_append_c(&out, ' ');
			}
			if ((fetch->items & IMAP_FETCH_MODSEQ) != 0) {
				buffer_append_str(&out, "MODSEQ (");
				fetch_append_u64(&out, rec->modseq);
				buffer_append_c(&out, ')');
			}
			buffer_append_str(&out, ")\r\n");
			if (out.used >= FETCH_FLUSH_SIZE) {
				imap_client_send_buffer(client, &out);
				if (connection_output_full(client->session.conn) ||
				    ++processed >= 40) {
					/* a turn of the loop every ~640 KB (40 flushes) */
					stop = true;
					fetch->next_uid = uid + 1;
					if (uid == r->hi || uid == UINT32_MAX) {
						fetch->range++;
						fetch->next_uid = 0;
					}
					break;
				}
			}
		}
		if (!stop) {
			fetch->range++;
			fetch->next_uid = 0;
		}
	}
	imap_client_send_buffer(client, &out);
	buffer_free(&out);
	if (stop && fetch->range < fetch->uids.count) {
		if (!connection_output_full(client->session.conn))
			imap_client_continue_later(client);
		return false;
	}
	return true;
}

static void fetch_pool_cleanup(void *context)
{
	struct imap_fetch *fetch = context;

	pool_destroy(&fetch->msg_pool);
}

bool imap_fetch_run(struct imap_command *cmd, struct imap_fetch *fetch,
		    bool *failed_r)
{
	struct imap_client *client = cmd->client;
	struct imap_view *view = client->view;
	struct store *store = client->session.srv->store;
	unsigned int fields = STORE_FIELD_STATE, processed = 0;
	struct buffer out;
	bool stop = false;

	*failed_r = false;
	if (fetch->msg_pool == NULL) {
		fetch->msg_pool = pool_create(4096);
		/* the command's pool ends with the command, however it ends */
		pool_add_cleanup(cmd->pool, fetch_pool_cleanup, fetch);
	}
	if (!fetch->started) {
		fetch->started = true;
		if (fetch->set_seen && fetch_set_seen(cmd, fetch, failed_r))
			return false;
		if (*failed_r)
			return true;
	}
	if (fetch->seen_failed) {
		fetch->seen_failed = false;
		*failed_r = true;
		return true;
	}
	if (fetch->vanished && !fetch->vanished_sent) {
		fetch->vanished_sent = true;
		fetch_send_vanished(cmd, fetch);
	}
	if ((fetch->items & ~(unsigned int)(IMAP_FETCH_FLAGS | IMAP_FETCH_UID |
					    IMAP_FETCH_MODSEQ)) == 0 &&
	    fetch->body_count == 0 && fetch->seen_count == 0)
		return fetch_run_index(cmd, fetch, failed_r);
	/* only the columns the items need */
	if ((fetch->items & (IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE)) != 0 ||
	    fetch->body_count > 0)
		fields |= STORE_FIELD_SIZES;
	if ((fetch->items & IMAP_FETCH_ENVELOPE) != 0)
		fields |= STORE_FIELD_ENVELOPE;
	if ((fetch->items & (IMAP_FETCH_BODY | IMAP_FETCH_BODYSTRUCTURE)) != 0)
		fields |= STORE_FIELD_BODYSTRUCTURE;
	if (fetch->body_count > 0)
		fields |= STORE_FIELD_BLOB;

	buffer_init(&out, 0);
	while (fetch->range < fetch->uids.count && !stop && view->count > 0) {
		const struct imap_seq_range *r = &fetch->uids.ranges[fetch->range];
		uint32_t lo = r->lo > fetch->next_uid ? r->lo : fetch->next_uid;
		uint32_t hi = r->hi < imap_view_last_uid(view) ? r->hi :
			imap_view_last_uid(view);
		struct store_message_iter *iter;
		struct store_message msg;
		unsigned int idx;
		int ret;

		if (lo > hi) {
			fetch->range++;
			fetch->next_uid = 0;
			continue;
		}
		idx = imap_view_lower_bound(view, lo);
		iter = store_message_iter_init(store, view->mailbox_id, lo, hi, fields);
		while ((ret = store_message_iter_next(iter, &msg)) > 0) {
			while (idx < view->count && imap_view_uid(view, idx) < msg.uid) {
				fetch->expunged = true;
				idx++;
			}
			if (idx >= view->count || imap_view_uid(view, idx) != msg.uid)
				continue;
			idx++;
			if (fetch->changedsince != 0 && msg.modseq <= fetch->changedsince)
				continue;
			fetch_message(cmd, fetch, &msg, idx, &out);
			if (out.used >= FETCH_FLUSH_SIZE)
				imap_client_send_buffer(client, &out);
			if (client->closing) {
				stop = true;
				break;
			}
			if (++processed >= FETCH_BATCH || connection_output_full(client->session.conn)) {
				if (msg.uid == UINT32_MAX || msg.uid >= hi) {
					fetch->range++;
					fetch->next_uid = 0;
				} else {
					fetch->next_uid = msg.uid + 1;
				}
				stop = true;
				break;
			}
		}
		store_message_iter_deinit(&iter);
		if (ret < 0) {
			*failed_r = true;
			break;
		}
		if (stop)
			break;
		/* what the view has in the range and the store has not */
		while (idx < view->count && imap_view_uid(view, idx) <= hi) {
			fetch->expunged = true;
			idx++;
		}
		fetch->range++;
		fetch->next_uid = 0;
	}
	imap_client_send_buffer(client, &out);
	buffer_free(&out);
	if (*failed_r || client->closing)
		return true;
	if (stop && fetch->range < fetch->uids.count) {
		/* give the loop a turn; the output drain also wakes us */
		if (!connection_output_full(client->session.conn))
			imap_client_continue_later(client);
		return false;
	}
	return true;
}
