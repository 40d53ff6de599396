/*
 * Reading a message: headers, the text (plain text escaped; HTML
 * sanitised and shown in a sandboxed iframe with its own CSP), the
 * attachments as downloads. Opening a message marks it \Seen.
 *
 * A big message is not read whole for its page: each part's body is cut
 * to WEB_PART_SHOWN bytes and the whole to WEB_MESSAGE_SHOWN (read piece
 * by piece along the part map), each text shown to WEB_TEXT_SHOWN, and
 * the page says so and links the original, which is streamed from the
 * blob.
 */
#include "web-private.h"
#include "web-html.h"
#include "web-mail.h"
#include "web-sanitize.h"
#include "log.h"
#include "mailbox-watch.h"
#include "mime.h"
#include "pool.h"
#include "server.h"
#include "strutil.h"
#include "imip.h"

#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Inline images up to this size become data: URIs in the HTML body (the
   sandboxed frame has an opaque origin and gets no cookies). */
#define WEB_INLINE_IMAGE_MAX (2 * 1024 * 1024)

/* The body document: inline style for the mail's own looks, images only
   from data: (and http(s) when asked), nothing else, no scripts at all
   (CSP sandbox without allow-scripts). */
#define WEB_BODY_CSP \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:%s;" \
	" frame-ancestors 'self'; base-uri 'none'; form-action 'none';" \
	" sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox"

/* Messages up to this size are read whole for their page. */
#define WEB_MESSAGE_WHOLE_MAX (4 * 1024 * 1024)
/* Above it: what is read of each part's body, and of the message. */
#define WEB_PART_SHOWN (1024 * 1024)
#define WEB_MESSAGE_SHOWN (6 * 1024 * 1024)
/* Text shown of one text part (plain, or HTML before sanitising). */
#define WEB_TEXT_SHOWN (1024 * 1024)

struct web_message {
	struct store_mailbox mb;
	struct store_message msg;
	const unsigned char *data;
	size_t size;
	uint64_t stored_size;      /* of the whole message */
	bool cut;                  /* data is only part of it */
	struct mime_leaf *leaves;
	unsigned int count, alloc;
	struct pool *pool;
};

static void web_message_leaf(void *context, const struct mime_leaf *leaf)
{
	struct web_message *m = context;

	m->leaves = p_grow(m->pool, m->leaves, sizeof(*m->leaves), m->count,
			   &m->alloc, 8);
	m->leaves[m->count++] = *leaf;
}

/* Append up to len bytes of fd from offset, without going past
   WEB_MESSAGE_SHOWN in all; sets m->cut when something is left out.
   0 or -1. */
static int web_message_read_range(struct web_message *m, struct buffer *buf,
				  int fd, uint64_t offset, uint64_t len)
{
	if (buf->used + len > WEB_MESSAGE_SHOWN) {
		len = WEB_MESSAGE_SHOWN - buf->used;
		m->cut = true;
	}
	while (len > 0) {
		char chunk[65536];
		ssize_t ret = pread(fd, chunk, len < sizeof(chunk) ? (size_t)len : sizeof(chunk),
				    (off_t)offset);

		if (ret <= 0)
			return -1;
		buffer_append(buf, chunk, (size_t)ret);
		offset += (uint64_t)ret;
		len -= (uint64_t)ret;
	}
	return 0;
}

/* A big message for its page: the headers and boundaries as they are, each
   leaf's body cut after WEB_PART_SHOWN bytes (at a line end, so that
   base64 and quoted-printable still decode), all of it at most
   WEB_MESSAGE_SHOWN. Without a part map, the start of the message. */
static int web_message_read_cut(struct web_ctx *ctx, struct web_message *m, int fd)
{
	struct mime_part_pos *parts = NULL;
	unsigned int count = 0;
	uint64_t pos = 0;
	struct buffer buf;

	buffer_init_pool(&buf, ctx->pool, WEB_MESSAGE_SHOWN / 4);
	if (m->msg.parts == NULL ||
	    mime_parts_parse(ctx->pool, m->msg.parts, &parts, &count) < 0)
		count = 0;
	for (unsigned int i = 0; i < count; i++) {
		const struct mime_part_pos *p = &parts[i];
		size_t keep;

		if (p->kind != 'l' || p->body_start < pos ||
		    p->body_end - p->body_start <= WEB_PART_SHOWN)
			continue;
		keep = buf.used;
		if (web_message_read_range(m, &buf, fd, pos,
					   p->body_start + WEB_PART_SHOWN - pos) < 0)
			return -1;
		/* back to the end of the last whole line of the part */
		while (buf.used > keep && buf.data[buf.used - 1] != '\n')
			buf.used--;
		pos = p->body_end;
		m->cut = true;
	}
	if (web_message_read_range(m, &buf, fd, pos, m->stored_size - pos) < 0)
		return -1;
	m->data = (const unsigned char *)buf.data;
	m->size = buf.used;
	return 0;
}

/* 1 loaded, 0/-1 page sent. whole: the whole message (a part's download),
   else a big one is cut (web_message_read_cut()). */
static int web_message_load(struct web_ctx *ctx, struct web_message *m, bool whole)
{
	struct store *store = ctx->srv->store;
	struct stat st;
	int ret, fd = -1;

	memset(m, 0, sizeof(*m));
	m->pool = ctx->pool;
	if ((ret = web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &m->mb)) <= 0)
		return ret;
	ret = store_message_get(store, m->mb.id, ctx->route.uid, STORE_FIELD_STATE |
				STORE_FIELD_BLOB | STORE_FIELD_SIZES, ctx->pool, &m->msg);
	if (ret == 0) {
		web_send_not_found(ctx);
		return 0;
	}
	if (ret < 0 || (fd = store_blob_open(store, m->msg.blob)) < 0 ||
	    fstat(fd, &st) < 0)
		goto failed;
	m->stored_size = (uint64_t)st.st_size;
	if (whole || m->stored_size <= WEB_MESSAGE_WHOLE_MAX) {
		close(fd);
		fd = -1;
		if (store_blob_read(store, m->msg.blob, ctx->pool, &m->data, &m->size) < 0)
			goto failed;
	} else if (web_message_read_cut(ctx, m, fd) < 0) {
		goto failed;
	}
	if (fd >= 0)
		close(fd);
	mime_foreach_leaf(ctx->pool, m->data, m->size, web_message_leaf, m);
	return 1;
failed:
	if (fd >= 0)
		close(fd);
	log_error("web", "cannot read message: %s", store_last_error_detail(store));
	web_send_message(ctx, 503, "Try again later", "This message cannot be read right now.");
	return -1;
}

/* How much of a text part to show: at most WEB_TEXT_SHOWN, not in the
   middle of a UTF-8 sequence. Sets *cut when that is not all of it. */
static size_t web_text_shown(const struct mime_leaf *leaf, bool *cut)
{
	size_t len = leaf->size;

	if (len <= WEB_TEXT_SHOWN)
		return len;
	*cut = true;
	len = WEB_TEXT_SHOWN;
	while (len > 0 && (leaf->data[len] & 0xc0) == 0x80)
		len--;
	return len;
}

static bool leaf_is(const struct mime_leaf *leaf, const char *type, const char *subtype)
{
	return strcmp(leaf->type, type) == 0 &&
		(subtype == NULL || strcmp(leaf->subtype, subtype) == 0);
}

static bool leaf_is_body_text(const struct mime_leaf *leaf)
{
	return !leaf->attachment && leaf->filename == NULL &&
		(leaf_is(leaf, "text", "plain") || leaf_is(leaf, "text", "html"));
}

/* The parent section: "1.2" -> "1", "1" -> "" */
static size_t section_parent_len(const char *section)
{
	const char *dot = strrchr(section, '.');

	return dot != NULL ? (size_t)(dot - section) : 0;
}

/* A text/plain part that has an HTML sibling is its multipart/alternative
   twin: show the HTML instead. */
static bool leaf_has_html_twin(const struct web_message *m, const struct mime_leaf *leaf)
{
	size_t plen = section_parent_len(leaf->section);

	for (unsigned int i = 0; i < m->count; i++) {
		const struct mime_leaf *o = &m->leaves[i];

		if (o != leaf && leaf_is_body_text(o) && leaf_is(o, "text", "html") &&
		    section_parent_len(o->section) == plen &&
		    strncmp(o->section, leaf->section, plen) == 0)
			return true;
	}
	return false;
}

static bool leaf_is_safe_image(const struct mime_leaf *leaf)
{
	return leaf_is(leaf, "image", "png") || leaf_is(leaf, "image", "jpeg") ||
		leaf_is(leaf, "image", "gif") || leaf_is(leaf, "image", "webp");
}

static void base64_append(struct buffer *out, const unsigned char *data, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < len; i += 3) {
		unsigned int v = (unsigned int)data[i] << 16;
		char q[4];

		if (i + 1 < len)
			v |= (unsigned int)data[i + 1] << 8;
		if (i + 2 < len)
			v |= data[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		buffer_append(out, q, 4);
	}
}

static const char *web_message_cid(void *context, const char *cid)
{
	struct web_message *m = context;

	for (unsigned int i = 0; i < m->count; i++) {
		const struct mime_leaf *leaf = &m->leaves[i];
		struct buffer b;

		if (leaf->content_id == NULL || strcmp(leaf->content_id, cid) != 0 ||
		    !leaf_is_safe_image(leaf) || leaf->size > WEB_INLINE_IMAGE_MAX)
			continue;
		buffer_init_pool(&b, m->pool, 0);
		buffer_printf(&b, "data:image/%s;base64,", leaf->subtype);
		base64_append(&b, leaf->data, leaf->size);
		return b.data;
	}
	return NULL;
}

static unsigned int web_message_sanitize(struct web_ctx *ctx, struct web_message *m,
					 bool remote, struct buffer *out, bool *cut)
{
	struct web_sanitize_settings set = {
		.allow_remote = remote, .cid = web_message_cid, .context = m,
	};
	unsigned int blocked = 0;

	for (unsigned int i = 0; i < m->count; i++) {
		struct web_sanitize_result result;

		if (!leaf_is_body_text(&m->leaves[i]) ||
		    !leaf_is(&m->leaves[i], "text", "html"))
			continue;
		web_sanitize_html(ctx->pool, (const char *)m->leaves[i].data,
				  web_text_shown(&m->leaves[i], cut), &set, out, &result);
		blocked += result.remote_blocked;
	}
	return blocked;
}

static const char *web_size_text(struct pool *pool, size_t size)
{
	if (size < 1024)
		return p_printf(pool, "%zu bytes", size);
	if (size < 1024 * 1024)
		return p_printf(pool, "%zu KB", (size + 1023) / 1024);
	return p_printf(pool, "%.1f MB", (double)size / (1024 * 1024));
}

static const char *web_leaf_name(struct pool *pool, const struct mime_leaf *leaf)
{
	if (leaf->filename != NULL && *leaf->filename != '\0')
		return leaf->filename;
	return p_printf(pool, "part-%s.%s", leaf->section,
			leaf_is(leaf, "text", NULL) ? "txt" : "bin");
}

static void web_mark_seen(struct web_ctx *ctx, struct web_message *m)
{
	struct store_flag_change change;

	if ((m->msg.flags & STORE_FLAG_SEEN) != 0)
		return;
	if (store_message_set_flags(ctx->srv->store, m->mb.id, m->msg.uid,
				    STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0,
				    ctx->pool, &change) < 0) {
		log_error("web", "cannot mark a message seen: %s",
			  store_last_error_detail(ctx->srv->store));
		return;
	}
	if (change.changed)
		mailbox_watch_changed(ctx->srv->watch, m->mb.id);
}

/* The actions on a message; the keys of app.js are in data-key. */
static void web_message_toolbar(struct web_ctx *ctx, const struct web_message *m)
{
	struct buffer *out = ctx->out;
	int64_t mb = m->mb.id;
	uint32_t uid = m->msg.uid;
	bool flagged = (m->msg.flags & STORE_FLAG_FLAGGED) != 0;
	struct store_mailbox *mbs;
	unsigned int count;

	html_printf(out, "<div class=\"toolbar\" role=\"group\" aria-label=\"Message actions\">\n"
		    "<a href=\"/mail/%L\">← %s</a>\n", mb, web_mailbox_label(&m->mb));
	if (web_mailbox_is(&m->mb, "\\Drafts"))
		html_printf(out, "<a class=\"button primary\" href=\"/mail/compose?mode=draft&amp;mb=%L&amp;uid=%u\">"
			    "Edit draft</a>\n", mb, uid);
	html_printf(out, "<a class=\"button\" data-key=\"r\" href=\"/mail/compose?mode=reply&amp;mb=%L&amp;uid=%u\">Reply</a>\n"
		    "<a class=\"button\" data-key=\"a\" href=\"/mail/compose?mode=all&amp;mb=%L&amp;uid=%u\">Reply all</a>\n"
		    "<a class=\"button\" data-key=\"f\" href=\"/mail/compose?mode=forward&amp;mb=%L&amp;uid=%u\">Forward</a>\n"
		    "<form method=\"post\" action=\"/mail/%L/%u/delete\">\n",
		    mb, uid, mb, uid, mb, uid, mb, uid);
	web_page_csrf_field(ctx);
	html_printf(out, "<button type=\"submit\" data-key=\"#\">Delete</button>\n</form>\n"
		    "<form method=\"post\" action=\"/mail/%L/%u/flag\">\n", mb, uid);
	web_page_csrf_field(ctx);
	html_printf(out, "<input type=\"hidden\" name=\"flag\" value=\"%S\">\n"
		    "<button type=\"submit\">%S</button>\n</form>\n"
		    "<form method=\"post\" action=\"/mail/%L/%u/unread\">\n",
		    flagged ? "0" : "1", flagged ? "Unflag" : "Flag", mb, uid);
	web_page_csrf_field(ctx);
	html_printf(out, "<button type=\"submit\" data-key=\"u\">Mark unread</button>\n</form>\n");
	if (store_mailbox_list(ctx->srv->store, ctx->user.id, ctx->pool, &mbs, &count) < 0)
		count = 0;
	html_printf(out, "<form method=\"post\" action=\"/mail/%L/%u/move\" class=\"move\">\n",
		    mb, uid);
	web_page_csrf_field(ctx);
	html_printf(out, "<label for=\"move-to\" class=\"sr-only\">Move to folder</label>\n"
		    "<select id=\"move-to\" name=\"to\">\n");
	for (unsigned int i = 0; i < count; i++) {
		if (mbs[i].kind != STORE_MAILBOX_MAIL || mbs[i].id == mb)
			continue;
		html_printf(out, "<option value=\"%L\">%s</option>\n", (int64_t)mbs[i].id,
			    web_mailbox_label(&mbs[i]));
	}
	html_printf(out, "</select>\n<button type=\"submit\">Move</button>\n</form>\n</div>\n");
}

/* A copy in Sent whose message still waits in the outbound queue: the
   queue is read for the user's own entries, and each one's header for its
   Message-ID. */
struct web_outbound_match {
	struct store *store;
	struct pool *pool;
	const char *sender;
	const char *message_id;
	const struct store_outbound *found;
	struct store_outbound copy;
};

static void web_outbound_match_cb(void *context, const struct store_outbound *entry)
{
	struct web_outbound_match *match = context;
	char head[16384];
	ssize_t n;
	int fd;
	const char *id;

	if (match->found != NULL || !str_iequal(entry->sender, match->sender) ||
	    (fd = store_blob_open(match->store, entry->blob)) < 0)
		return;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n <= 0)
		return;
	id = mime_get_header(match->pool, (const unsigned char *)head, (size_t)n, "Message-ID");
	if (id != NULL && strcmp(id, match->message_id) == 0) {
		match->copy = *entry;
		match->copy.recipients = p_strdup(match->pool, entry->recipients);
		match->copy.last_error = entry->last_error != NULL ?
			p_strdup(match->pool, entry->last_error) : NULL;
		match->found = &match->copy;
	}
}

static void web_message_outbound_note(struct web_ctx *ctx, const struct web_message *m)
{
	struct web_outbound_match match;
	const char *id = mime_get_header(ctx->pool, m->data, m->size, "Message-ID");

	if (id == NULL)
		return;
	memset(&match, 0, sizeof(match));
	match.store = ctx->srv->store;
	match.pool = ctx->pool;
	match.sender = ctx->user.address;
	match.message_id = id;
	if (store_outbound_list(ctx->srv->store, ctx->pool, web_outbound_match_cb, &match) < 0 ||
	    match.found == NULL)
		return;
	html_printf(ctx->out, "<p class=\"notice waiting\" role=\"status\">Waiting for the relay:"
		    " not yet handed on to %s (%u attempt%S so far%S%s).", match.found->recipients,
		    match.found->attempts, match.found->attempts == 1 ? "" : "s",
		    match.found->last_error != NULL ? "; last answer: " : "",
		    match.found->last_error != NULL ? match.found->last_error : "");
	html_printf(ctx->out, " <a href=\"/mail/outbox\">Outbox</a></p>\n");
}

/* A meeting request among the parts: Accept / Tentative / Decline right
   here, answered through the item's own page (web-item.c). */
static void web_message_meeting(struct web_ctx *ctx, const struct web_message *m)
{
	for (unsigned int i = 0; i < m->count; i++) {
		const struct mime_leaf *leaf = &m->leaves[i];
		struct imip_calendar *cal;
		struct store_cal_item item;
		const char *error;

		if (!leaf_is(leaf, "text", "calendar") ||
		    (leaf->method != NULL && strcasecmp(leaf->method, "REQUEST") != 0) ||
		    imip_parse(ctx->pool, leaf->data, leaf->size, &cal, &error) < 0 ||
		    cal->method != IMIP_METHOD_REQUEST ||
		    store_cal_item_lookup(ctx->srv->store, ctx->user.id, cal->uid,
					  ctx->pool, &item) <= 0 ||
		    item.partstat == NULL || item.token == NULL)
			continue;
		html_printf(ctx->out, "<form method=\"post\" action=\"/item/%q\" class=\"meeting-answer notice\">\n"
			    "<p id=\"answer-%u\">Meeting request: <strong>%s</strong>."
			    " Your answer: %s. <a href=\"/item/%q\">Open in calendar</a></p>\n",
			    item.token, i, item.summary != NULL ? item.summary : "(no title)",
			    strcmp(item.partstat, "ACCEPTED") == 0 ? "Accepted" :
			    strcmp(item.partstat, "DECLINED") == 0 ? "Declined" :
			    strcmp(item.partstat, "TENTATIVE") == 0 ? "Tentative" : "none yet",
			    item.token);
		web_page_csrf_field(ctx);
		html_printf(ctx->out, "<div class=\"answer\" role=\"group\" aria-labelledby=\"answer-%u\">\n"
			    "<button type=\"submit\" name=\"answer\" value=\"accept\" class=\"primary\">Accept</button>\n"
			    "<button type=\"submit\" name=\"answer\" value=\"tentative\">Tentative</button>\n"
			    "<button type=\"submit\" name=\"answer\" value=\"decline\">Decline</button>\n"
			    "</div>\n</form>\n", i);
		return;
	}
}

void web_message_page(struct web_ctx *ctx)
{
	struct buffer *out = ctx->out;
	struct web_message m;
	const char *subject, *from, *to, *cc, *date;
	bool remote = web_form_get(&ctx->query, "remote") != NULL;
	bool have_html = false, shown_text = false, cut;
	unsigned int attachments = 0;

	if (web_message_load(ctx, &m, false) <= 0)
		return;
	cut = m.cut;
	web_mark_seen(ctx, &m);
	subject = mime_get_header(ctx->pool, m.data, m.size, "Subject");
	from = mime_get_header(ctx->pool, m.data, m.size, "From");
	to = mime_get_header(ctx->pool, m.data, m.size, "To");
	cc = mime_get_header(ctx->pool, m.data, m.size, "Cc");
	date = mime_get_header(ctx->pool, m.data, m.size, "Date");
	if (subject == NULL || *subject == '\0')
		subject = "(no subject)";

	web_page_begin(ctx, subject, WEB_NAV_MAIL);
	html_printf(out, "<div class=\"layout\">\n");
	web_folder_nav(ctx, m.mb.id);
	html_printf(out, "<article class=\"card\" aria-labelledby=\"msg-title\">\n");
	web_message_toolbar(ctx, &m);
	html_printf(out, 		    "<h1 id=\"msg-title\">%s</h1>\n<dl class=\"headers\">\n", subject);
	if (from != NULL)
		html_printf(out, "<dt>From</dt><dd>%s</dd>\n", from);
	if (to != NULL)
		html_printf(out, "<dt>To</dt><dd>%s</dd>\n", to);
	if (cc != NULL)
		html_printf(out, "<dt>Cc</dt><dd>%s</dd>\n", cc);
	if (m.msg.sent_time != 0)
		html_printf(out, "<dt>Date</dt><dd><time datetime=\"%s\">%s</time></dd>\n",
			    web_format_iso(ctx->pool, m.msg.sent_time),
			    web_format_datetime(ctx->pool, ctx->tz, m.msg.sent_time));
	else if (date != NULL)
		html_printf(out, "<dt>Date</dt><dd>%s</dd>\n", date);
	html_printf(out, "</dl>\n");
	if (web_form_get(&ctx->query, "sent") != NULL)
		html_printf(out, "<p class=\"notice\" role=\"status\">Your message has been sent.</p>\n");
	if (web_mailbox_is(&m.mb, "\\Sent"))
		web_message_outbound_note(ctx, &m);
	web_message_meeting(ctx, &m);
	/* said before the text, since the text below is what is cut */
	for (unsigned int i = 0; i < m.count; i++) {
		if (leaf_is_body_text(&m.leaves[i]))
			(void)web_text_shown(&m.leaves[i], &cut);
	}
	if (cut)
		html_printf(out, "<p class=\"notice\">This message is too large to show"
			    " whole (%s): it is truncated here."
			    " <a href=\"/mail/%L/%u/raw\" download>Download the original"
			    " message</a></p>\n", web_size_text(ctx->pool, m.stored_size),
			    (int64_t)m.mb.id, m.msg.uid);

	for (unsigned int i = 0; i < m.count; i++)
		have_html = have_html || (leaf_is_body_text(&m.leaves[i]) &&
					  leaf_is(&m.leaves[i], "text", "html"));
	if (have_html) {
		struct buffer scratch;
		unsigned int blocked;

		buffer_init_pool(&scratch, ctx->pool, 0);
		blocked = web_message_sanitize(ctx, &m, remote, &scratch, &cut);
		if (blocked > 0 && !remote)
			html_printf(out, "<p class=\"notice\">Remote images in this message were"
				    " not loaded, so the sender cannot tell when you read it."
				    " <a href=\"/mail/%L/%u?remote=1\">Show remote images</a></p>\n",
				    (int64_t)m.mb.id, m.msg.uid);
		/* allow-same-origin without allow-scripts: the frame runs no
		   script (its CSP has none either), and our own script may
		   read its height to size it (no scrolling inside scrolling) */
		html_printf(out, "<iframe class=\"htmlbody\" title=\"Message text\""
			    " sandbox=\"allow-same-origin allow-popups allow-popups-to-escape-sandbox\""
			    " src=\"/mail/%L/%u/body%S\"></iframe>\n",
			    (int64_t)m.mb.id, m.msg.uid, remote ? "?remote=1" : "");
	}
	for (unsigned int i = 0; i < m.count; i++) {
		const struct mime_leaf *leaf = &m.leaves[i];

		if (!leaf_is_body_text(leaf) || !leaf_is(leaf, "text", "plain") ||
		    leaf_has_html_twin(&m, leaf))
			continue;
		html_printf(out, "<pre class=\"plain\">");
		html_escape_linkify(out, (const char *)leaf->data, web_text_shown(leaf, &cut));
		html_printf(out, "</pre>\n");
		shown_text = true;
	}
	if (!have_html && !shown_text)
		html_printf(out, "<p class=\"empty\">This message has no text.</p>\n");
	for (unsigned int i = 0; i < m.count; i++) {
		const struct mime_leaf *leaf = &m.leaves[i];

		if (leaf_is_body_text(leaf))
			continue;
		if (attachments++ == 0)
			html_printf(out, "<h2>Attachments</h2>\n<ul class=\"attachments\">\n");
		/* the size of a part that was cut is not known here */
		html_printf(out, "<li><a href=\"/mail/%L/%u/part/%s\" download>%s</a>"
			    " <span class=\"hint\">%s</span></li>\n",
			    (int64_t)m.mb.id, m.msg.uid, leaf->section,
			    web_leaf_name(ctx->pool, leaf),
			    m.cut ? "" : web_size_text(ctx->pool, leaf->size));
	}
	if (attachments > 0)
		html_printf(out, "</ul>\n");
	html_printf(out, "</article>\n</div>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

#define WEB_LETTERS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* The language tag to put on the body's document: the first of the HTML
   part's Content-Language (RFC 3282) when it has the shape of a BCP 47
   tag (2 to 8 letters, then subtags of 1 to 8 letters and digits), else
   NULL. */
static const char *web_message_lang(struct pool *pool, const struct web_message *m)
{
	const char *tag = NULL;
	size_t len, i, n;

	for (unsigned int k = 0; k < m->count && tag == NULL; k++) {
		if (leaf_is_body_text(&m->leaves[k]) && leaf_is(&m->leaves[k], "text", "html"))
			tag = m->leaves[k].language;
	}
	if (tag == NULL)
		return NULL;
	tag += strspn(tag, " \t");
	len = strcspn(tag, ", \t");
	i = strspn(tag, WEB_LETTERS);
	if (len > 35 || i < 2 || i > 8 || i > len)
		return NULL;
	while (i < len) {
		if (tag[i++] != '-')
			return NULL;
		n = strspn(tag + i, WEB_LETTERS "0123456789");
		if (n < 1 || n > 8 || i + n > len)
			return NULL;
		i += n;
	}
	return p_strndup(pool, tag, len);
}

void web_message_body(struct web_ctx *ctx)
{
	struct web_message m;
	bool remote = web_form_get(&ctx->query, "remote") != NULL;
	struct web_request *req = ctx->req;
	const char *subject, *lang;
	bool cut = false;

	if (web_message_load(ctx, &m, false) <= 0)
		return;
	/* shown in the message page's frame, titled there; a title and the
	   language of its own for whoever opens it alone */
	subject = mime_get_header(ctx->pool, m.data, m.size, "Subject");
	lang = web_message_lang(ctx->pool, &m);
	html_printf(ctx->out, "<!doctype html>\n<html");
	if (lang != NULL)
		html_printf(ctx->out, " lang=\"%s\"", lang);
	html_printf(ctx->out, ">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n",
		    subject != NULL && *subject != '\0' ? subject : "(no subject)");
	html_printf(ctx->out, "<style>body{font:15px/1.5 system-ui,sans-serif;color:#1b1f24;"
		    "background:#fff;margin:12px;overflow-wrap:anywhere}"
		    "img{max-width:100%%;height:auto}img[data-blocked]{display:none}</style>\n"
		    "</head>\n<body>\n");
	web_message_sanitize(ctx, &m, remote, ctx->out, &cut);
	html_printf(ctx->out, "\n</body>\n</html>\n");
	req->status = 200;
	req->content_type = "text/html; charset=utf-8";
	web_security_headers(req, p_printf(ctx->pool, WEB_BODY_CSP,
					   remote ? " https: http:" : ""));
	web_response_header(req, "Cache-Control", "no-store");
	web_response_send(req);
}

/* A filename for Content-Disposition (RFC 6266): no path, no quotes or
   controls; an ASCII fallback plus the UTF-8 name in filename* (RFC 8187). */
static void web_content_disposition(struct web_ctx *ctx, const struct mime_leaf *leaf,
				    bool inline_image)
{
	const char *name = web_leaf_name(ctx->pool, leaf);
	const char *base = name;
	struct buffer ascii, enc;

	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '/' || *p == '\\')
			base = p + 1;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		base = p_printf(ctx->pool, "part-%s.bin", leaf->section);
	buffer_init_pool(&ascii, ctx->pool, 0);
	buffer_init_pool(&enc, ctx->pool, 0);
	for (const unsigned char *p = (const unsigned char *)base;
	     *p != '\0' && ascii.used < 120; p++) {
		unsigned char c = *p;

		buffer_append_c(&ascii, c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ||
				c == ';' || c == '%' ? '_' : (char)c);
	}
	if (ascii.used > 0 && ascii.data[0] == '.')
		ascii.data[0] = '_';
	url_encode_component(&enc, base);
	web_response_header(ctx->req, "Content-Disposition",
			    p_printf(ctx->pool, "%s; filename=\"%s\"; filename*=UTF-8''%s",
				     inline_image ? "inline" : "attachment",
				     ascii.data, enc.data));
}

void web_message_part(struct web_ctx *ctx)
{
	struct web_message m;
	const struct mime_leaf *leaf = NULL;
	struct web_request *req = ctx->req;
	bool inline_image;

	if (web_message_load(ctx, &m, true) <= 0)
		return;
	for (unsigned int i = 0; i < m.count && leaf == NULL; i++) {
		if (strcmp(m.leaves[i].section, ctx->route.section) == 0)
			leaf = &m.leaves[i];
	}
	if (leaf == NULL) {
		web_send_not_found(ctx);
		return;
	}
	inline_image = web_form_get(&ctx->query, "inline") != NULL &&
		leaf_is_safe_image(leaf);
	buffer_append(ctx->out, leaf->data, leaf->size);
	req->status = 200;
	/* never let a browser render an attachment as our page: octet-stream,
	   nosniff and a sandboxing CSP */
	req->content_type = inline_image ?
		p_printf(ctx->pool, "image/%s", leaf->subtype) : "application/octet-stream";
	web_content_disposition(ctx, leaf, inline_image);
	web_security_headers(req, "default-src 'none'; sandbox");
	web_response_header(req, "Cache-Control", "private, no-store");
	web_response_send(req);
}

void web_message_raw(struct web_ctx *ctx)
{
	struct store *store = ctx->srv->store;
	struct web_request *req = ctx->req;
	struct store_mailbox mb;
	struct store_message msg;
	struct stat st;
	int ret, fd;

	if (web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &mb) <= 0)
		return;
	ret = store_message_get(store, mb.id, ctx->route.uid, STORE_FIELD_STATE |
				STORE_FIELD_BLOB, ctx->pool, &msg);
	if (ret == 0) {
		web_send_not_found(ctx);
		return;
	}
	if (ret < 0 || (fd = store_blob_open(store, msg.blob)) < 0) {
		log_error("web", "cannot read message: %s", store_last_error_detail(store));
		web_send_message(ctx, 503, "Try again later", "This message cannot be read right now.");
		return;
	}
	if (fstat(fd, &st) < 0) {
		log_error("web", "cannot read message: fstat: %m");
		close(fd);
		web_send_message(ctx, 503, "Try again later", "This message cannot be read right now.");
		return;
	}
	req->status = 200;
	req->content_type = "message/rfc822";
	web_response_header(req, "Content-Disposition",
			    p_printf(ctx->pool, "attachment; filename=\"message-%u.eml\"",
				     msg.uid));
	web_security_headers(req, "default-src 'none'; sandbox");
	web_response_header(req, "Cache-Control", "private, no-store");
	web_response_send_file(req, fd, (uint64_t)st.st_size);
}

void web_message_unread(struct web_ctx *ctx)
{
	struct store_mailbox mb;
	struct store_flag_change change;
	int ret;

	if (!web_csrf_ok(ctx)) {
		web_send_message(ctx, 403, "Forbidden",
				 "This form has expired. Please go back, reload the page and try again.");
		return;
	}
	if (web_mailbox_get(ctx, (int64_t)ctx->route.mailbox_id, &mb) <= 0)
		return;
	ret = store_message_set_flags(ctx->srv->store, mb.id, ctx->route.uid,
				      STORE_FLAGS_REMOVE, STORE_FLAG_SEEN, NULL, 0,
				      ctx->pool, &change);
	if (ret == 0) {
		web_send_not_found(ctx);
		return;
	}
	if (ret < 0) {
		web_send_message(ctx, 503, "Try again later", "The message could not be changed.");
		return;
	}
	if (change.changed)
		mailbox_watch_changed(ctx->srv->watch, mb.id);
	web_send_redirect(ctx, 303, p_printf(ctx->pool, "/mail/%lld", (long long)mb.id));
}
