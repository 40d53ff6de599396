/*
 * Writing mail: the compose form (new, Reply, Reply all, Forward, a draft
 * opened again) and its POST, which sends or saves a draft.
 *
 * The form is multipart/form-data so that it can carry attachments; it
 * works without script. A reply or forward names its source message
 * (src_mb, src_uid); a forward and a draft keep the source's attachments
 * the user leaves ticked (keep=SECTION), copied byte for byte (decoded,
 * then base64 again). The message is built and sent on the delivery
 * thread (web-job.h): the sending itself is the submission service's
 * (submission-send.h: local recipients by local delivery, everyone else
 * through the outbound queue), then a copy goes to Sent, or the draft
 * into Drafts, replacing the one it was opened from.
 *
 * From: is always the user's own address, with the display name of their
 * Settings; no field of the form can change it.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-job.h"
#include "web-mail.h"
#include "conf.h"
#include "deliver.h"
#include "log.h"
#include "mailbox-watch.h"
#include "mime.h"
#include "mime-build.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"
#include "submission-send.h"

#include <string.h>

/* RFC 5321 4.5.3.1.8: what one message may be addressed to here, as for
   the submission service */
#define WEB_COMPOSE_MAX_RECIPIENTS 100
#define WEB_SUBJECT_MAX 900
/* In-Reply-To and References as carried by the form */
#define WEB_REFERENCES_MAX 4000

enum web_compose_mode {
	WEB_COMPOSE_NEW,
	WEB_COMPOSE_REPLY,
	WEB_COMPOSE_REPLY_ALL,
	WEB_COMPOSE_FORWARD,
	WEB_COMPOSE_DRAFT,
};

/* What the form shows and sends. */
struct web_compose {
	enum web_compose_mode mode;
	const char *to, *cc, *bcc, *subject, *body;
	const char *in_reply_to, *references;
	/* the message whose attachments may be kept (forward, draft) or that
	   is answered (reply): 0 for none */
	int64_t src_mb;
	uint32_t src_uid;
	/* the draft this replaces in Drafts, or 0 */
	uint32_t draft_uid;
	/* the source's attachments, and which of them are kept */
	struct mime_leaf *leaves;
	unsigned int leaf_count;
	const char **keep;
	unsigned int keep_count;
};

/* --- reading the source message --- */

struct web_leaf_list {
	struct pool *pool;
	struct mime_leaf *leaves;
	unsigned int count, alloc;
};

static void web_compose_leaf_cb(void *context, const struct mime_leaf *leaf)
{
	struct web_leaf_list *list = context;

	list->leaves = p_grow(list->pool, list->leaves, sizeof(*list->leaves),
			      list->count, &list->alloc, 8);
	list->leaves[list->count++] = *leaf;
}

static bool web_leaf_is_body(const struct mime_leaf *leaf)
{
	return !leaf->attachment && leaf->filename == NULL &&
		strcmp(leaf->type, "text") == 0 &&
		(strcmp(leaf->subtype, "plain") == 0 || strcmp(leaf->subtype, "html") == 0);
}

static bool web_leaf_is_attachment(const struct mime_leaf *leaf)
{
	/* the calendar part of a meeting request is not the user's to
	   forward as a file: it would be a second invitation */
	return !web_leaf_is_body(leaf) &&
		!(strcmp(leaf->type, "text") == 0 && strcmp(leaf->subtype, "calendar") == 0 &&
		  leaf->filename == NULL);
}

/* The first text/plain body leaf, or NULL. */
static const struct mime_leaf *web_leaf_text(const struct web_leaf_list *list)
{
	for (unsigned int i = 0; i < list->count; i++) {
		if (web_leaf_is_body(&list->leaves[i]) &&
		    strcmp(list->leaves[i].subtype, "plain") == 0)
			return &list->leaves[i];
	}
	return NULL;
}

/* Read the source message whole (pool memory) and its leaves. 0 or -1. */
static int web_compose_read(struct store *store, struct pool *pool, int64_t mailbox_id,
			    uint32_t uid, const unsigned char **data_r, size_t *size_r,
			    struct web_leaf_list *list_r)
{
	struct store_message msg;

	memset(list_r, 0, sizeof(*list_r));
	list_r->pool = pool;
	if (store_message_get(store, mailbox_id, uid, STORE_FIELD_BLOB, pool, &msg) <= 0 ||
	    store_blob_read(store, msg.blob, pool, data_r, size_r) < 0)
		return -1;
	mime_foreach_leaf(pool, *data_r, *size_r, web_compose_leaf_cb, list_r);
	return 0;
}

/* --- addresses --- */

/* The addr-specs of a field as the user typed it ("Bob <b@x>, c@y"),
   each checked. 0, or -1 with *bad_r the first item that is not an
   address. */
static int web_addresses_parse(struct pool *pool, const char *field,
			       const char ***addrs_r, unsigned int *count_r,
			       const char **bad_r)
{
	const char **addrs;
	const char *list, *p;
	unsigned int count = 0, items = 0;

	*addrs_r = NULL;
	*count_r = 0;
	if (field == NULL)
		return 0;
	/* a line break or a semicolon, as people paste lists, is a comma */
	{
		char *copy = p_strdup(pool, field);

		for (char *c = copy; *c != '\0'; c++) {
			if (*c == '\r' || *c == '\n' || *c == ';' || *c == '\t')
				*c = *c == ';' ? ',' : ' ';
		}
		field = copy;
	}
	for (p = field; *p != '\0'; p++) {
		if (*p != ' ' && *p != ',')
			break;
	}
	if (*p == '\0')
		return 0;
	list = mime_address_list_addrs(pool, field);
	/* every comma-separated item that is not blank must give an address */
	for (const char *c = field; *c != '\0';) {
		const char *comma = strchr(c, ',');
		size_t len = comma != NULL ? (size_t)(comma - c) : strlen(c);
		bool blank = true;

		for (size_t i = 0; i < len; i++)
			blank = blank && c[i] == ' ';
		if (!blank && memchr(c, '"', len) == NULL)
			items++;
		c += len + (comma != NULL ? 1 : 0);
	}
	addrs = p_new(pool, const char *, WEB_COMPOSE_MAX_RECIPIENTS + 1);
	for (const char *c = list != NULL ? list : ""; *c != '\0';) {
		const char *comma = strchr(c, ',');
		size_t len = comma != NULL ? (size_t)(comma - c) : strlen(c);
		const char *addr;

		while (len > 0 && *c == ' ') {
			c++;
			len--;
		}
		addr = p_strndup(pool, c, len);
		if (!str_is_address(addr) || strpbrk(addr, "<>\"()[]\\") != NULL) {
			*bad_r = addr;
			return -1;
		}
		if (count == WEB_COMPOSE_MAX_RECIPIENTS) {
			*bad_r = NULL;
			return -1;
		}
		addrs[count++] = addr;
		c += len + (comma != NULL ? 1 : 0);
	}
	/* GMime leaves out what it cannot read as an address at all */
	if (count < items) {
		*bad_r = field;
		return -1;
	}
	*addrs_r = addrs;
	*count_r = count;
	return 0;
}

/* "a@b, c@d" for a header, folded between addresses */
static const char *web_addresses_header(struct pool *pool, const char *const *addrs,
					unsigned int count)
{
	struct buffer b;

	if (count == 0)
		return "";
	buffer_init_pool(&b, pool, 0);
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			buffer_append_str(&b, ",\n ");
		buffer_append_str(&b, addrs[i]);
	}
	return b.data;
}

/* Printable ASCII on one line: what a Message-ID list may be. */
static bool web_references_valid(const char *value)
{
	if (value == NULL)
		return true;
	if (strlen(value) > WEB_REFERENCES_MAX)
		return false;
	for (const char *p = value; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
	}
	return true;
}

/* --- the form --- */

static const char *web_compose_title(enum web_compose_mode mode)
{
	switch (mode) {
	case WEB_COMPOSE_REPLY:
		return "Reply";
	case WEB_COMPOSE_REPLY_ALL:
		return "Reply all";
	case WEB_COMPOSE_FORWARD:
		return "Forward";
	case WEB_COMPOSE_DRAFT:
		return "Draft";
	case WEB_COMPOSE_NEW:
	default:
		return "Compose";
	}
}

static const char *web_compose_mode_name(enum web_compose_mode mode)
{
	switch (mode) {
	case WEB_COMPOSE_REPLY:
		return "reply";
	case WEB_COMPOSE_REPLY_ALL:
		return "all";
	case WEB_COMPOSE_FORWARD:
		return "forward";
	case WEB_COMPOSE_DRAFT:
		return "draft";
	case WEB_COMPOSE_NEW:
	default:
		return "new";
	}
}

static int web_compose_mode_parse(const char *value, enum web_compose_mode *mode_r)
{
	static const enum web_compose_mode modes[] = {
		WEB_COMPOSE_NEW, WEB_COMPOSE_REPLY, WEB_COMPOSE_REPLY_ALL,
		WEB_COMPOSE_FORWARD, WEB_COMPOSE_DRAFT,
	};

	*mode_r = WEB_COMPOSE_NEW;
	if (value == NULL || *value == '\0')
		return 0;
	for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(value, web_compose_mode_name(modes[i])) == 0) {
			*mode_r = modes[i];
			return 0;
		}
	}
	return -1;
}

static bool web_compose_kept(const struct web_compose *c, const char *section)
{
	for (unsigned int i = 0; i < c->keep_count; i++) {
		if (strcmp(c->keep[i], section) == 0)
			return true;
	}
	return false;
}

static void web_compose_field(struct web_ctx *ctx, const char *id, const char *label,
			      const char *value, const char *extra)
{
	html_printf(ctx->out, "<label for=\"%s\">%s</label>\n"
		    "<input id=\"%s\" name=\"%s\" value=\"%s\"%S>\n",
		    id, label, id, id, value != NULL ? value : "", extra);
}

static void web_compose_render(struct web_ctx *ctx, const struct web_compose *c,
			       const char *const *errors, unsigned int error_count,
			       int status)
{
	struct buffer *out = ctx->out;
	unsigned int shown = 0;

	buffer_reset(out);
	web_page_begin(ctx, web_compose_title(c->mode), WEB_NAV_COMPOSE);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, 0);
	html_printf(out, "<section class=\"card\" aria-labelledby=\"compose-title\">\n"
		    "<h1 id=\"compose-title\">%s</h1>\n", web_compose_title(c->mode));
	if (web_form_get(&ctx->query, "saved") != NULL)
		html_printf(out, "<p class=\"notice\" role=\"status\">Draft saved.</p>\n");
	if (error_count > 0) {
		html_printf(out, "<div class=\"error\" role=\"alert\"><p>The message was not sent:</p><ul>\n");
		for (unsigned int i = 0; i < error_count; i++)
			html_printf(out, "<li>%s</li>\n", errors[i]);
		html_printf(out, "</ul></div>\n");
	}
	html_printf(out, "<form method=\"post\" action=\"%S\" enctype=\"multipart/form-data\""
		    " class=\"stack compose\" id=\"compose\">\n", WEB_COMPOSE_PATH);
	web_page_csrf_field(ctx);
	html_printf(out, "<input type=\"hidden\" name=\"mode\" value=\"%s\">\n",
		    web_compose_mode_name(c->mode));
	if (c->src_mb != 0)
		html_printf(out, "<input type=\"hidden\" name=\"src_mb\" value=\"%L\">\n"
			    "<input type=\"hidden\" name=\"src_uid\" value=\"%u\">\n",
			    (int64_t)c->src_mb, c->src_uid);
	if (c->draft_uid != 0)
		html_printf(out, "<input type=\"hidden\" name=\"draft_uid\" value=\"%u\">\n",
			    c->draft_uid);
	if (c->in_reply_to != NULL)
		html_printf(out, "<input type=\"hidden\" name=\"in_reply_to\" value=\"%s\">\n",
			    c->in_reply_to);
	if (c->references != NULL)
		html_printf(out, "<input type=\"hidden\" name=\"references\" value=\"%s\">\n",
			    c->references);
	if (ctx->user.display_name != NULL)
		html_printf(out,
			    "<p class=\"hint from\">From: %s &lt;%s&gt;</p>\n",
			    ctx->user.display_name, ctx->user.address);
	else
		html_printf(out, "<p class=\"hint from\">From: %s</p>\n",
			    ctx->user.address);
	/* data-complete: the script completes addresses from the contacts */
	web_compose_field(ctx, "to", "To", c->to,
			  " type=\"text\" autocomplete=\"email\" inputmode=\"email\" multiple"
			  " data-complete=\"/contacts/complete\"");
	web_compose_field(ctx, "cc", "Cc", c->cc, " type=\"text\" inputmode=\"email\""
			  " data-complete=\"/contacts/complete\"");
	web_compose_field(ctx, "bcc", "Bcc", c->bcc, " type=\"text\" inputmode=\"email\""
			  " data-complete=\"/contacts/complete\"");
	web_compose_field(ctx, "subject", "Subject", c->subject,
			  p_printf(ctx->pool, " type=\"text\" maxlength=\"%d\"", WEB_SUBJECT_MAX));
	html_printf(out, "<label for=\"body\">Message</label>\n"
		    "<textarea id=\"body\" name=\"body\" rows=\"14\">%s</textarea>\n",
		    c->body != NULL ? c->body : "");
	for (unsigned int i = 0; i < c->leaf_count; i++) {
		const struct mime_leaf *leaf = &c->leaves[i];

		if (!web_leaf_is_attachment(leaf))
			continue;
		if (shown++ == 0)
			html_printf(out, "<fieldset class=\"kept\"><legend>Attachments kept"
				    " from the original</legend>\n");
		html_printf(out, "<label class=\"check\"><input type=\"checkbox\" name=\"keep\""
			    " value=\"%s\"%S> %s <span class=\"hint\">(%u KB)</span></label>\n",
			    leaf->section, web_compose_kept(c, leaf->section) ? " checked" : "",
			    leaf->filename != NULL ? leaf->filename :
			    p_printf(ctx->pool, "%s/%s", leaf->type, leaf->subtype),
			    (unsigned int)((leaf->size + 1023) / 1024));
	}
	if (shown > 0)
		html_printf(out, "</fieldset>\n");
	html_printf(out, "<label for=\"files\">Attach files</label>\n"
		    "<input id=\"files\" name=\"files\" type=\"file\" multiple>\n"
		    "<p class=\"hint\">Up to %u files, %L MB in all.</p>\n"
		    "<div class=\"toolbar\">\n"
		    "<button type=\"submit\" name=\"action\" value=\"send\" class=\"primary\">Send</button>\n"
		    "<button type=\"submit\" name=\"action\" value=\"save\">Save draft</button>\n"
		    "</div>\n</form>\n</section>\n</div>\n",
		    (unsigned int)WEB_COMPOSE_MAX_FILES,
		    (int64_t)(ctx->srv->conf->max_message_size / (1024 * 1024)));
	web_page_end(ctx);
	web_send_html(ctx, status);
}

/* "Re: x" once, however many times it was answered */
static const char *web_subject_prefixed(struct pool *pool, const char *subject,
					const char *prefix)
{
	size_t plen = strlen(prefix);

	if (subject == NULL)
		subject = "";
	if (str_begins_icase(subject, prefix) ||
	    (strcmp(prefix, "Fwd: ") == 0 && str_begins_icase(subject, "Fw: ")))
		return subject;
	(void)plen;
	return p_printf(pool, "%s%s", prefix, subject);
}

/* The original's text quoted with "> " */
static const char *web_quote(struct pool *pool, const struct mime_leaf *text,
			     const char *intro)
{
	struct buffer b;
	const char *p, *end;

	buffer_init_pool(&b, pool, 0);
	buffer_printf(&b, "\n\n%s\n", intro);
	if (text == NULL)
		return b.data;
	p = (const char *)text->data;
	end = p + text->size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		buffer_append_str(&b, len > 0 && p[0] == '>' ? ">" : "> ");
		buffer_append(&b, p, len);
		buffer_append_c(&b, '\n');
		p = nl != NULL ? nl + 1 : end;
	}
	return b.data;
}

/* Addresses of header values, without the user's own and without
   repeats, comma-separated (or NULL). */
static const char *web_reply_addresses(struct web_ctx *ctx, const char *const *values,
				       unsigned int count, const char *also_not)
{
	struct buffer b;
	const char **seen = p_new(ctx->pool, const char *, WEB_COMPOSE_MAX_RECIPIENTS + 1);
	unsigned int seen_count = 0;

	buffer_init_pool(&b, ctx->pool, 0);
	for (unsigned int v = 0; v < count; v++) {
		const char *list = values[v] != NULL ?
			mime_address_list_addrs(ctx->pool, values[v]) : NULL;

		for (const char *c = list != NULL ? list : ""; *c != '\0';) {
			const char *comma = strchr(c, ',');
			size_t len = comma != NULL ? (size_t)(comma - c) : strlen(c);
			const char *addr;
			bool dup = false;

			while (len > 0 && *c == ' ') {
				c++;
				len--;
			}
			addr = p_strndup(ctx->pool, c, len);
			c += len + (comma != NULL ? 1 : 0);
			if (*addr == '\0' || str_iequal(addr, ctx->user.address) ||
			    (also_not != NULL && strstr(also_not, addr) != NULL))
				continue;
			for (unsigned int i = 0; i < seen_count && !dup; i++)
				dup = str_iequal(seen[i], addr);
			if (dup || seen_count == WEB_COMPOSE_MAX_RECIPIENTS)
				continue;
			seen[seen_count++] = addr;
			if (b.used > 0)
				buffer_append_str(&b, ", ");
			buffer_append_str(&b, addr);
		}
	}
	return b.used > 0 ? b.data : NULL;
}

/* Fill c from the source message for a reply, a forward or a draft.
   1, or 0/-1 with the page sent. */
static int web_compose_prefill(struct web_ctx *ctx, struct web_compose *c)
{
	struct store_mailbox mb;
	struct web_leaf_list list;
	const unsigned char *data;
	size_t size;
	const char *subject, *from, *to, *cc, *date, *msgid, *refs, *reply_to;
	int ret;

	if ((ret = web_mailbox_get(ctx, c->src_mb, &mb)) <= 0)
		return ret;
	if (c->mode == WEB_COMPOSE_DRAFT && !web_mailbox_is(&mb, "\\Drafts")) {
		web_send_not_found(ctx);
		return 0;
	}
	ret = store_message_get(ctx->srv->store, mb.id, c->src_uid, STORE_FIELD_STATE,
				ctx->pool, &(struct store_message){ 0 });
	if (ret == 0) {
		web_send_not_found(ctx);
		return 0;
	}
	if (ret < 0 || web_compose_read(ctx->srv->store, ctx->pool, mb.id, c->src_uid,
					&data, &size, &list) < 0) {
		log_error("web", "cannot read a message to answer: %s",
			  store_last_error_detail(ctx->srv->store));
		web_send_message(ctx, 503, "Try again later", "This message cannot be read right now.");
		return -1;
	}
	subject = mime_get_header(ctx->pool, data, size, "Subject");
	from = mime_get_header(ctx->pool, data, size, "From");
	reply_to = mime_get_header(ctx->pool, data, size, "Reply-To");
	to = mime_get_header(ctx->pool, data, size, "To");
	cc = mime_get_header(ctx->pool, data, size, "Cc");
	date = mime_get_header(ctx->pool, data, size, "Date");
	msgid = mime_get_header(ctx->pool, data, size, "Message-ID");
	refs = mime_get_header(ctx->pool, data, size, "References");
	if (msgid != NULL && !web_references_valid(msgid))
		msgid = NULL;
	if (refs != NULL && !web_references_valid(refs))
		refs = NULL;

	switch (c->mode) {
	case WEB_COMPOSE_REPLY:
	case WEB_COMPOSE_REPLY_ALL: {
		const char *first[1] = { reply_to != NULL ? reply_to : from };
		const char *rest[2] = { to, cc };

		c->to = web_reply_addresses(ctx, first, 1, NULL);
		if (c->to == NULL)   /* answering one's own message */
			c->to = web_reply_addresses(ctx, (const char *[]){ to }, 1, NULL);
		if (c->mode == WEB_COMPOSE_REPLY_ALL)
			c->cc = web_reply_addresses(ctx, rest, 2, c->to);
		c->subject = web_subject_prefixed(ctx->pool, subject, "Re: ");
		c->body = web_quote(ctx->pool, web_leaf_text(&list),
				    p_printf(ctx->pool, "On %s, %s wrote:",
					     date != NULL ? date : "an earlier date",
					     from != NULL ? from : "someone"));
		/* RFC 5322 3.6.4 */
		if (msgid != NULL) {
			c->in_reply_to = msgid;
			c->references = refs != NULL ?
				p_printf(ctx->pool, "%s %s", refs, msgid) : msgid;
			if (strlen(c->references) > WEB_REFERENCES_MAX)
				c->references = msgid;
		}
		break;
	}
	case WEB_COMPOSE_FORWARD:
		c->subject = web_subject_prefixed(ctx->pool, subject, "Fwd: ");
		c->body = web_quote(ctx->pool, NULL, "");
		{
			const struct mime_leaf *text = web_leaf_text(&list);
			struct buffer b;

			buffer_init_pool(&b, ctx->pool, 0);
			buffer_printf(&b, "\n\n---------- Forwarded message ----------\n"
				      "From: %s\nDate: %s\nSubject: %s\nTo: %s\n",
				      from != NULL ? from : "", date != NULL ? date : "",
				      subject != NULL ? subject : "", to != NULL ? to : "");
			if (cc != NULL)
				buffer_printf(&b, "Cc: %s\n", cc);
			buffer_append_c(&b, '\n');
			if (text != NULL)
				buffer_append(&b, text->data, text->size);
			c->body = b.data;
		}
		break;
	case WEB_COMPOSE_DRAFT: {
		const struct mime_leaf *text = web_leaf_text(&list);

		c->to = to;
		c->cc = cc;
		c->bcc = mime_get_header(ctx->pool, data, size, "Bcc");
		c->subject = subject;
		c->body = text != NULL ? p_strndup(ctx->pool, text->data, text->size) : "";
		c->in_reply_to = mime_get_header(ctx->pool, data, size, "In-Reply-To");
		c->references = refs;
		if (!web_references_valid(c->in_reply_to))
			c->in_reply_to = NULL;
		c->draft_uid = c->src_uid;
		break;
	}
	case WEB_COMPOSE_NEW:
	default:
		break;
	}
	if (c->mode == WEB_COMPOSE_FORWARD || c->mode == WEB_COMPOSE_DRAFT) {
		c->leaves = list.leaves;
		c->leaf_count = list.count;
		/* every attachment is kept until unticked */
		c->keep = p_new(ctx->pool, const char *, list.count + 1);
		for (unsigned int i = 0; i < list.count; i++) {
			if (web_leaf_is_attachment(&list.leaves[i]))
				c->keep[c->keep_count++] = list.leaves[i].section;
		}
	}
	return 1;
}

void web_compose_page(struct web_ctx *ctx)
{
	struct web_compose c;
	const char *mb_s = web_form_get(&ctx->query, "mb");
	const char *uid_s = web_form_get(&ctx->query, "uid");
	uint64_t mb = 0, uid = 0;

	memset(&c, 0, sizeof(c));
	if (web_compose_mode_parse(web_form_get(&ctx->query, "mode"), &c.mode) < 0 ||
	    (c.mode != WEB_COMPOSE_NEW &&
	     (mb_s == NULL || uid_s == NULL || web_parse_id(mb_s, INT64_MAX, &mb) < 0 ||
	      web_parse_id(uid_s, UINT32_MAX, &uid) < 0))) {
		web_send_message(ctx, 400, "Bad request", "That page does not exist.");
		return;
	}
	/* mailto-style prefill: /mail/compose?to=a@b */
	c.to = web_form_get(&ctx->query, "to");
	if (c.mode != WEB_COMPOSE_NEW) {
		c.src_mb = (int64_t)mb;
		c.src_uid = (uint32_t)uid;
		if (web_compose_prefill(ctx, &c) <= 0)
			return;
	}
	web_compose_render(ctx, &c, NULL, 0, 200);
}

/* --- sending and saving --- */

struct web_send_job {
	struct web_compose c;
	bool send;                    /* else: save the draft */
	const struct web_upload *uploads;
	unsigned int upload_count;
	uint64_t max_size;
	const char *hostname;
	const struct conf *conf;
	const char *from;	 /* the envelope sender: the address */
	const char *from_header; /* "Name" <address>, encoded */
	const char **to, **cc, **bcc;
	unsigned int to_count, cc_count, bcc_count;
	const char **local, **remote;
	unsigned int local_count, remote_count;
	int64_t sent_mb, drafts_mb;

	/* on the thread */
	struct pool *pool;            /* the thread's; freed in done */
	bool too_big;
	bool source_gone;
	enum submission_outcome outcome;
	const char *error;            /* for the log */
	bool saved;                   /* the copy or draft is stored */
	uint32_t saved_uid;
};

static void web_send_add_header(struct mime_build_header *h, unsigned int *count,
				const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	h[*count].name = name;
	h[*count].value = value;
	(*count)++;
}

/* On the thread: the message, with Bcc: (the copy in Sent, a draft) or
   without (what recipients get). 0, or -1 (too big, or the source went). */
static int web_send_build(struct store *store, struct web_send_job *job,
			  const unsigned char **data_r, size_t *size_r,
			  const unsigned char **copy_r, size_t *copy_size_r)
{
	struct pool *pool = job->pool;
	struct mime_build_header headers[12];
	struct mime_build_part *parts, text, root;
	unsigned int hcount = 0, pcount = 0;
	uint64_t total = 0;
	const char *bcc;

	web_send_add_header(headers, &hcount, "From", job->from_header);
	web_send_add_header(headers, &hcount, "To",
			    web_addresses_header(pool, job->to, job->to_count));
	web_send_add_header(headers, &hcount, "Cc",
			    web_addresses_header(pool, job->cc, job->cc_count));
	web_send_add_header(headers, &hcount, "Subject",
			    mime_encode_text(pool, job->c.subject != NULL ? job->c.subject : ""));
	web_send_add_header(headers, &hcount, "Date", mime_date_now(pool));
	web_send_add_header(headers, &hcount, "Message-ID",
			    mime_new_message_id(pool, job->hostname));
	web_send_add_header(headers, &hcount, "In-Reply-To", job->c.in_reply_to);
	web_send_add_header(headers, &hcount, "References", job->c.references);
	web_send_add_header(headers, &hcount, "User-Agent", "infostore web access");

	memset(&text, 0, sizeof(text));
	text.type = "text";
	text.subtype = "plain";
	text.data = job->c.body != NULL ? job->c.body : "";
	text.size = strlen(text.data);
	parts = p_new(pool, struct mime_build_part,
		      job->upload_count + job->c.keep_count + 1);
	parts[pcount++] = text;
	total = text.size;
	if (job->c.keep_count > 0 && job->c.src_mb != 0) {
		struct web_leaf_list list;
		const unsigned char *data;
		size_t size;

		if (web_compose_read(store, pool, job->c.src_mb, job->c.src_uid,
				     &data, &size, &list) < 0) {
			job->source_gone = true;
			return -1;
		}
		for (unsigned int i = 0; i < list.count; i++) {
			const struct mime_leaf *leaf = &list.leaves[i];
			struct mime_build_part *part;

			if (!web_leaf_is_attachment(leaf) ||
			    !web_compose_kept(&job->c, leaf->section))
				continue;
			part = &parts[pcount++];
			memset(part, 0, sizeof(*part));
			part->type = leaf->type;
			part->subtype = leaf->subtype;
			part->data = leaf->data;
			part->size = leaf->size;
			part->filename = leaf->filename != NULL ? leaf->filename :
				p_printf(pool, "part-%s.bin", leaf->section);
			part->attachment = true;
			part->base64 = true;
			total += leaf->size;
		}
	}
	for (unsigned int i = 0; i < job->upload_count; i++) {
		const struct web_upload *up = &job->uploads[i];
		struct mime_build_part *part = &parts[pcount++];
		const char *type = up->content_type, *slash;

		memset(part, 0, sizeof(*part));
		/* a type the browser named, if it is one; else bytes */
		slash = type != NULL ? strchr(type, '/') : NULL;
		if (slash != NULL && slash > type && slash[1] != '\0' &&
		    strpbrk(type, " ;\"\t") == NULL) {
			part->type = p_strndup(pool, type, (size_t)(slash - type));
			part->subtype = p_strdup(pool, slash + 1);
		} else {
			part->type = "application";
			part->subtype = "octet-stream";
		}
		part->data = up->data;
		part->size = up->size;
		part->filename = up->filename;
		part->attachment = true;
		part->base64 = true;
		total += up->size;
	}
	/* base64 makes attachments a third larger */
	if (total > job->max_size) {
		job->too_big = true;
		return -1;
	}
	if (pcount == 1) {
		root = text;
	} else {
		memset(&root, 0, sizeof(root));
		root.type = "multipart";
		root.subtype = "mixed";
		root.parts = parts;
		root.part_count = pcount;
	}
	mime_build_message(pool, headers, hcount, &root, true, data_r, size_r);
	if (*size_r > job->max_size) {
		job->too_big = true;
		return -1;
	}
	/* the copy kept for the user names the Bcc recipients, which the
	   message itself must not (RFC 5322 3.6.3) */
	bcc = web_addresses_header(pool, job->bcc, job->bcc_count);
	if (*bcc != '\0') {
		struct buffer b;

		/* "Bcc: a,\n b" with the fold in CRLF */
		buffer_init_pool(&b, pool, *size_r + strlen(bcc) + 64);
		buffer_append_str(&b, "Bcc: ");
		for (const char *p = bcc; *p != '\0'; p++) {
			if (*p == '\n')
				buffer_append_c(&b, '\r');
			buffer_append_c(&b, *p);
		}
		buffer_append_str(&b, "\r\n");
		buffer_append(&b, *data_r, *size_r);
		*copy_r = (const unsigned char *)b.data;
		*copy_size_r = b.used;
	} else {
		*copy_r = *data_r;
		*copy_size_r = *size_r;
	}
	return 0;
}

static void web_send_run(struct store *store, void *context)
{
	struct web_send_job *job = context;
	const unsigned char *data, *copy;
	size_t size, copy_size;

	job->outcome = SUBMISSION_TEMPFAIL;
	if (store == NULL) {
		job->error = "the store cannot be opened";
		return;
	}
	if (web_send_build(store, job, &data, &size, &copy, &copy_size) < 0)
		return;
	if (!job->send) {
		job->outcome = SUBMISSION_SENT;
		/* a draft replaces the one it was opened from */
		if (deliver_save(store, job->drafts_mb, copy, copy_size,
				 STORE_FLAG_DRAFT | STORE_FLAG_SEEN, job->drafts_mb,
				 job->c.draft_uid, &job->saved_uid) < 0)
			job->error = p_strdup(job->pool, store_last_error_detail(store));
		else
			job->saved = true;
		return;
	}
	{
		struct submission_send send = {
			.sender = job->from,
			.local = job->local, .local_count = job->local_count,
			.remote = job->remote, .remote_count = job->remote_count,
			.data = data, .size = size,
		};

		job->outcome = submission_send_run(store, job->conf, job->pool, &send);
		job->error = send.error;
	}
	if (job->outcome != SUBMISSION_SENT)
		return;
	/* sent: the copy in Sent, and the draft it came from goes */
	if (deliver_save(store, job->sent_mb, copy, copy_size, STORE_FLAG_SEEN,
			 job->drafts_mb, job->c.draft_uid, &job->saved_uid) < 0)
		job->error = p_strdup(job->pool, store_last_error_detail(store));
	else
		job->saved = true;
}

static void web_send_done(struct web_ctx *ctx, void *context)
{
	struct web_send_job *job = context;
	struct server *srv = ctx->srv;
	const char *error = NULL;

	if (job->too_big)
		error = p_printf(ctx->pool, "The message is larger than the %llu MB"
				 " this server takes. Please attach less.",
				 (unsigned long long)(job->max_size / (1024 * 1024)));
	else if (job->source_gone)
		error = "The message whose attachments this keeps is no longer there.";
	else if (job->outcome == SUBMISSION_NO_SPACE)
		error = "The mail store is full. Please try again later.";
	else if (job->outcome == SUBMISSION_RCPT_GONE)
		error = "A recipient here can no longer take mail.";
	else if (job->outcome != SUBMISSION_SENT)
		error = "The message could not be sent. Please try again.";
	else if (!job->saved && !job->send)
		error = "The draft could not be saved. Please try again.";

	if (job->send)
		log_info("web", "%s user=%s local=%u remote=%u%s%s",
			 job->outcome == SUBMISSION_SENT ? "sent" : "not sent",
			 log_value(ctx->user.address), job->local_count, job->remote_count,
			 job->error != NULL ? " error=" : "",
			 job->error != NULL ? log_value(job->error) : "");
	else if (job->error != NULL)
		log_error("web", "cannot save a draft user=%s: %s",
			  log_value(ctx->user.address), log_value(job->error));
	if (job->send && job->outcome == SUBMISSION_SENT && !job->saved)
		/* sent all the same: say so, and what is missing */
		log_error("web", "sent, but no copy in Sent user=%s: %s",
			  log_value(ctx->user.address), log_value(job->error));
	pool_destroy(&job->pool);

	if (error != NULL) {
		/* the attachments uploaded are gone with the request: the
		   user is told to add them again */
		const char *errors[2] = { error, "Files you attached must be attached again." };

		web_compose_render(ctx, &job->c, errors, job->upload_count > 0 ? 2 : 1,
				   job->too_big ? 413 : 503);
		return;
	}
	if (job->send) {
		if (job->local_count > 0)
			mailbox_watch_poll_now(srv->watch);
		if (job->saved)
			mailbox_watch_changed(srv->watch, job->sent_mb);
		if (job->c.draft_uid != 0)
			mailbox_watch_changed(srv->watch, job->drafts_mb);
		/* RFC 3501 2.3.2: the original has been answered */
		if ((job->c.mode == WEB_COMPOSE_REPLY || job->c.mode == WEB_COMPOSE_REPLY_ALL) &&
		    job->c.src_mb != 0) {
			struct store_flag_change change;

			if (store_message_set_flags(srv->store, job->c.src_mb, job->c.src_uid,
						    STORE_FLAGS_ADD, STORE_FLAG_ANSWERED, NULL, 0,
						    ctx->pool, &change) > 0 && change.changed)
				mailbox_watch_changed(srv->watch, job->c.src_mb);
		}
		web_send_redirect(ctx, 303, job->saved ?
				  p_printf(ctx->pool, "/mail/%lld/%u?sent=1",
					   (long long)job->sent_mb, job->saved_uid) :
				  p_printf(ctx->pool, "/mail/%lld", (long long)job->sent_mb));
		return;
	}
	mailbox_watch_changed(srv->watch, job->drafts_mb);
	web_send_redirect(ctx, 303, p_printf(ctx->pool,
					     "/mail/compose?mode=draft&mb=%lld&uid=%u&saved=1",
					     (long long)job->drafts_mb, job->saved_uid));
}

/* The source message named by the form: the viewer's, or the 404 page.
   1 (or no source: 1 with src_mb 0), 0/-1 with the page sent. */
static int web_compose_source(struct web_ctx *ctx, struct web_compose *c)
{
	const char *mb_s = web_form_get(&ctx->form, "src_mb");
	const char *uid_s = web_form_get(&ctx->form, "src_uid");
	uint64_t mb, uid;
	struct store_mailbox mbox;
	struct store_message msg;
	int ret;

	if (mb_s == NULL || *mb_s == '\0')
		return 1;
	if (web_parse_id(mb_s, INT64_MAX, &mb) < 0 || uid_s == NULL ||
	    web_parse_id(uid_s, UINT32_MAX, &uid) < 0) {
		web_send_not_found(ctx);
		return 0;
	}
	if ((ret = web_mailbox_get(ctx, (int64_t)mb, &mbox)) <= 0)
		return ret;
	ret = store_message_get(ctx->srv->store, mbox.id, (uint32_t)uid, STORE_FIELD_STATE,
				ctx->pool, &msg);
	if (ret == 0) {
		web_send_not_found(ctx);
		return 0;
	}
	if (ret < 0) {
		web_send_message(ctx, 503, "Try again later", "Your mail cannot be read right now.");
		return -1;
	}
	c->src_mb = mbox.id;
	c->src_uid = (uint32_t)uid;
	return 1;
}

void web_compose_post(struct web_ctx *ctx)
{
	struct web_send_job *job;
	struct web_compose *c;
	struct store_mailbox sent, drafts;
	const char *action = web_form_get(&ctx->form, "action");
	const char *draft_s = web_form_get(&ctx->form, "draft_uid");
	const char *errors[6], *bad = NULL;
	unsigned int error_count = 0, total;
	uint64_t upload_size = 0, draft_uid = 0;

	if (!web_csrf_ok(ctx)) {
		web_send_message(ctx, 403, "Forbidden",
				 "This form has expired. Please go back, reload the page and try again.");
		return;
	}
	job = p_new(ctx->pool, struct web_send_job, 1);
	c = &job->c;
	if (web_compose_mode_parse(web_form_get(&ctx->form, "mode"), &c->mode) < 0 ||
	    (draft_s != NULL && *draft_s != '\0' &&
	     web_parse_id(draft_s, UINT32_MAX, &draft_uid) < 0)) {
		web_send_message(ctx, 400, "Bad request", "The form could not be read.");
		return;
	}
	if (web_compose_source(ctx, c) <= 0)
		return;
	job->send = action == NULL || strcmp(action, "save") != 0;
	c->to = web_form_get(&ctx->form, "to");
	c->cc = web_form_get(&ctx->form, "cc");
	c->bcc = web_form_get(&ctx->form, "bcc");
	c->subject = web_form_get(&ctx->form, "subject");
	c->body = web_form_get(&ctx->form, "body");
	c->in_reply_to = web_form_get(&ctx->form, "in_reply_to");
	c->references = web_form_get(&ctx->form, "references");
	c->draft_uid = (uint32_t)draft_uid;
	c->keep = p_new(ctx->pool, const char *, WEB_FORM_MAX_FIELDS);
	for (unsigned int i = 0; i < ctx->form.count; i++) {
		if (strcmp(ctx->form.fields[i].name, "keep") == 0 &&
		    web_section_valid(ctx->form.fields[i].value))
			c->keep[c->keep_count++] = ctx->form.fields[i].value;
	}
	if (c->in_reply_to != NULL && (*c->in_reply_to == '\0' ||
				       !web_references_valid(c->in_reply_to)))
		c->in_reply_to = NULL;
	if (c->references != NULL && (*c->references == '\0' ||
				      !web_references_valid(c->references)))
		c->references = NULL;
	/* the source's attachments, to show them again on an error */
	if (c->src_mb != 0 && (c->mode == WEB_COMPOSE_FORWARD || c->mode == WEB_COMPOSE_DRAFT)) {
		struct web_leaf_list list;
		const unsigned char *data;
		size_t size;

		if (web_compose_read(ctx->srv->store, ctx->pool, c->src_mb, c->src_uid,
				     &data, &size, &list) == 0) {
			c->leaves = list.leaves;
			c->leaf_count = list.count;
		}
	}

	if (web_addresses_parse(ctx->pool, c->to, &job->to, &job->to_count, &bad) < 0 ||
	    web_addresses_parse(ctx->pool, c->cc, &job->cc, &job->cc_count, &bad) < 0 ||
	    web_addresses_parse(ctx->pool, c->bcc, &job->bcc, &job->bcc_count, &bad) < 0)
		errors[error_count++] = bad != NULL ?
			p_printf(ctx->pool, "\"%s\" is not an email address.", bad) :
			p_printf(ctx->pool, "A message can go to at most %d recipients.",
				 WEB_COMPOSE_MAX_RECIPIENTS);
	total = job->to_count + job->cc_count + job->bcc_count;
	if (job->send && error_count == 0 && total == 0)
		errors[error_count++] = "Please enter at least one recipient in To, Cc or Bcc.";
	if (total > WEB_COMPOSE_MAX_RECIPIENTS)
		errors[error_count++] = p_printf(ctx->pool, "A message can go to at most %d recipients.",
						 WEB_COMPOSE_MAX_RECIPIENTS);
	if (c->subject != NULL && strlen(c->subject) > WEB_SUBJECT_MAX)
		errors[error_count++] = "The subject is too long.";
	for (unsigned int i = 0; i < ctx->upload_count; i++)
		upload_size += ctx->uploads[i].size;
	if (upload_size > ctx->srv->conf->max_message_size)
		errors[error_count++] = "The attachments are larger than this server takes.";
	if (error_count > 0) {
		if (ctx->upload_count > 0)
			errors[error_count++] = "Files you attached must be attached again.";
		web_compose_render(ctx, c, errors, error_count, 400);
		return;
	}

	if (web_mailbox_special(ctx, "\\Sent", "Sent", &sent) < 0 ||
	    web_mailbox_special(ctx, "\\Drafts", "Drafts", &drafts) < 0)
		return;
	job->sent_mb = sent.id;
	job->drafts_mb = drafts.id;
	/* From: the user, and nobody else, whatever the form says */
	job->from = ctx->user.address;
	job->from_header = mime_mailbox_header(
		ctx->pool, ctx->user.display_name, ctx->user.address);
	job->hostname = ctx->srv->conf->hostname;
	job->conf = ctx->srv->conf;
	job->max_size = ctx->srv->conf->max_message_size;
	job->uploads = ctx->uploads;
	job->upload_count = ctx->upload_count;
	if (job->send) {
		const char **all[3] = { job->to, job->cc, job->bcc };
		unsigned int counts[3] = { job->to_count, job->cc_count, job->bcc_count };

		job->local = p_new(ctx->pool, const char *, total + 1);
		job->remote = p_new(ctx->pool, const char *, total + 1);
		for (unsigned int f = 0; f < 3; f++) {
			for (unsigned int i = 0; i < counts[f]; i++) {
				const char *addr = all[f][i];
				struct store_user user;
				bool dup = false;
				int ret;

				/* the same recipient twice gets it once */
				for (unsigned int k = 0; k < job->local_count && !dup; k++)
					dup = str_iequal(job->local[k], addr);
				for (unsigned int k = 0; k < job->remote_count && !dup; k++)
					dup = str_iequal(job->remote[k], addr);
				if (dup)
					continue;
				/* a user here gets it straight into INBOX, as
				   the submission service does */
				ret = store_user_lookup(ctx->srv->store, addr, ctx->pool, &user);
				if (ret < 0) {
					web_send_message(ctx, 503, "Try again later",
							 "The message could not be sent. Please try again.");
					return;
				}
				if (ret > 0)
					job->local[job->local_count++] = addr;
				else
					job->remote[job->remote_count++] = addr;
			}
		}
	}
	job->pool = pool_create(16384);
	web_job_write(ctx, web_send_run, web_send_done, job);
}
