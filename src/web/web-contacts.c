/*
 * Contacts: the user's address book, the one CardDAV serves as
 * /dav/addressbooks/ADDRESS/contacts/ (the default address-book
 * collection). The list with its search, one contact, the form to add or
 * edit one, Delete, and the completion of addresses in compose and the
 * meeting form.
 *
 * A contact is looked up by its store id inside the viewer's own address
 * book, so another user's id gets the same 404 as one that never was, and
 * changes nothing. Every change is a POST with the CSRF token. An edit
 * keeps every line of the card it does not change (web-card.h) and takes
 * the address book's next modseq, so CardDAV clients see a new ETag and
 * the change in their next sync; a card changed elsewhere since the form
 * was shown is not overwritten.
 *
 * The list, its search and the completion read many cards: they run on a
 * reader thread (web-job.h) within a budget of cards and of time. One
 * card is read and written on the loop, as the DAV front-end does.
 */
#include "web-private.h"
#include "web-card.h"
#include "web-html.h"
#include "web-job.h"
#include "conf.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "server.h"
#include "store-dav.h"
#include "store-imap.h"
#include "strutil.h"
#include "vcard.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Contacts a page of the list shows. */
#define WEB_CONTACTS_PAGE 50
/* Cards read from the store at a time, and at most by one search (what
   is left is offered as "Search further"). */
#define WEB_CONTACTS_CHUNK     100
#define WEB_CONTACTS_SCAN_MAX  5000
#define WEB_CONTACTS_QUERY_MAX 100
/* Completion: suggestions, and the cards it reads at most. */
#define WEB_COMPLETE_MAX      20
#define WEB_COMPLETE_SCAN_MAX 1000
/* Tombstones an address book keeps for sync (as over CardDAV). */
#define WEB_CONTACTS_TOMBSTONES STORE_DAV_TOMBSTONES_KEEP

/* --- the address book --- */

/* The viewer's address book: 0, or -1 with the 503 page sent. */
static int web_contacts_book(struct web_ctx *ctx,
			     struct store_dav_collection *col_r)
{
	if (store_dav_collection_default(ctx->srv->store, ctx->user.id,
					 STORE_DAV_ADDRESSBOOK, ctx->pool,
					 col_r) == 0)
		return 0;
	log_error("web", "address book of user=%s: %s",
		  log_value(ctx->user.address),
		  store_last_error_detail(ctx->srv->store));
	web_send_message(ctx, 503, "Try again later",
			 "Your contacts cannot be read right now.");
	return -1;
}

/* The contact of the route's id in the viewer's address book, read: 1,
   or 0 / -1 with the 404 / 503 page sent. */
static int web_contact_get(struct web_ctx *ctx,
			   struct store_dav_collection *col_r,
			   struct store_card *card_r, struct web_card *wc_r)
{
	const char *error;
	int ret;

	if (web_contacts_book(ctx, col_r) < 0)
		return -1;
	ret = store_card_lookup_id(ctx->srv->store, col_r->id,
				   ctx->route.contact_id, ctx->pool, card_r);
	if (ret == 0) {
		web_send_not_found(ctx);
		return 0;
	}
	if (ret < 0 ||
	    web_card_read(ctx->pool, card_r->vcard, wc_r, &error) < 0) {
		log_error("web", "contact %lld of user=%s: %s",
			  (long long) ctx->route.contact_id,
			  log_value(ctx->user.address),
			  ret < 0 ? store_last_error_detail(ctx->srv->store) :
				    error);
		web_send_message(ctx, 503, "Try again later",
				 "This contact cannot be read right now.");
		return -1;
	}
	return 1;
}

/* What a search box sent: trimmed, or NULL for none; too long or with
   line breaks it is also NULL, with *bad_r set. */
static const char *web_contacts_query(struct web_ctx *ctx, bool *bad_r)
{
	const char *q = web_form_get(&ctx->query, "q");
	char *copy;

	*bad_r = false;
	if (q == NULL)
		return NULL;
	copy = str_trim(p_strdup(ctx->pool, q));
	if (*copy == '\0')
		return NULL;
	if (strlen(copy) > WEB_CONTACTS_QUERY_MAX ||
	    strpbrk(copy, "\r\n\t") != NULL) {
		*bad_r = true;
		return NULL;
	}
	return copy;
}

/* --- reading many cards, on a reader thread --- */

struct web_card_scan;
/* A card that matched, its fields read (in scan->scratch, gone after). */
typedef void web_card_scan_cb(struct web_card_scan *scan,
			      const struct store_card *card,
			      const struct web_card_fields *fields);

/*
 * Cards in name order, from the one after after_id, that match needle
 * (web_card_matches(); NULL: all): `want` of them, within scan_max cards
 * read and the deadline.
 */
struct web_card_scan {
	int64_t collection_id;
	const char *needle;
	int64_t after_id;
	unsigned int want, scan_max;
	uint64_t deadline;
	web_card_scan_cb *match;
	void *context;

	/* on the thread */
	struct pool *pool;	/* the thread's; freed in done */
	struct pool *scratch;	/* one card's */
	struct store_card last; /* the last card read (fn in pool) */
	int64_t last_found_id;
	unsigned int scanned, found;
	bool more; /* matches are left after next_id */
	bool cut;  /* stopped by the budget */
	bool failed, timed_out;
	int64_t next_id; /* where a next page goes on from */
};

static int web_card_scan_row(void *context, const struct store_card *card)
{
	struct web_card_scan *scan = context;
	struct web_card wc;
	const char *error;

	scan->scanned++;
	scan->last.id = card->id;
	scan->last.fn =
		card->fn != NULL ? p_strdup(scan->pool, card->fn) : NULL;
	pool_clear(scan->scratch);
	if (web_card_read(scan->scratch, card->vcard, &wc, &error) < 0) {
		/* stored through CardDAV, so read before: leave it out */
		log_error("web", "card %lld cannot be read: %s",
			  (long long) card->id, error);
		return 0;
	}
	if (scan->needle != NULL && !web_card_matches(&wc.shown, scan->needle))
		return 0;
	if (scan->found == scan->want) {
		scan->more = true;
		return 1;
	}
	scan->found++;
	scan->last_found_id = card->id;
	scan->match(scan, card, &wc.shown);
	return 0;
}

static void web_card_scan_run(struct store *store, struct web_card_scan *scan)
{
	const struct store_card *after = NULL;
	struct store_card from;

	if (store == NULL) {
		scan->failed = true;
		return;
	}
	scan->scratch = pool_create(16384);
	store_imap_set_deadline(store, scan->deadline);
	if (scan->after_id != 0) {
		int ret =
			store_card_lookup_id(store, scan->collection_id,
					     scan->after_id, scan->pool, &from);

		/* gone meanwhile: from the start */
		if (ret < 0)
			scan->failed = true;
		else if (ret > 0)
			after = &from;
	}
	while (!scan->failed) {
		unsigned int before = scan->scanned;

		if (store_card_page(store, scan->collection_id, scan->needle,
				    after, WEB_CONTACTS_CHUNK,
				    web_card_scan_row, scan) < 0) {
			scan->timed_out =
				store_imap_now_msecs() >= scan->deadline;
			if (!scan->timed_out)
				log_error("web", "contacts: %s",
					  store_last_error_detail(store));
			scan->failed = true;
			break;
		}
		if (scan->more || scan->scanned - before < WEB_CONTACTS_CHUNK)
			break;
		after = &scan->last;
		if (scan->scanned >= scan->scan_max ||
		    store_imap_now_msecs() >= scan->deadline) {
			scan->cut = true;
			break;
		}
	}
	store_imap_set_deadline(store, 0);
	pool_destroy(&scan->scratch);
	/* a full page goes on after its last card; a search cut short after
	   the last card it read */
	scan->next_id = scan->more ? scan->last_found_id :
			scan->cut  ? scan->last.id :
				     0;
}

static void web_card_scan_init(struct web_ctx *ctx, struct web_card_scan *scan,
			       int64_t collection_id, const char *needle,
			       unsigned int want, unsigned int scan_max)
{
	scan->collection_id = collection_id;
	scan->needle = needle;
	scan->want = want;
	scan->scan_max = scan_max;
	scan->deadline = store_imap_now_msecs() +
			 ctx->srv->conf->imap_search_timeout_msecs;
	scan->pool = pool_create(16384);
}

/* --- the list --- */

struct web_contact_row {
	int64_t id;
	const char *name, *email, *tel, *org;
};

struct web_contacts_page {
	struct web_card_scan scan;
	const char *query;
	bool bad_query;
	struct web_contact_row rows[WEB_CONTACTS_PAGE];
	unsigned int count;
};

static const char *web_first_value(const struct web_card_value *values,
				   unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (*values[i].value != '\0')
			return values[i].value;
	}
	return "";
}

static void web_contacts_row(struct web_card_scan *scan,
			     const struct store_card *card,
			     const struct web_card_fields *f)
{
	struct web_contacts_page *page = scan->context;
	struct web_contact_row *row = &page->rows[page->count++];

	row->id = card->id;
	row->name =
		p_strdup(scan->pool, web_card_display_name(scan->scratch, f));
	row->email = p_strdup(scan->pool,
			      web_first_value(f->emails, f->email_count));
	row->tel = p_strdup(scan->pool, web_first_value(f->tels, f->tel_count));
	row->org = p_strdup(scan->pool, f->org);
}

static void web_contacts_run(struct store *store, void *context)
{
	web_card_scan_run(store, &((struct web_contacts_page *) context)->scan);
}

static void web_contacts_render(struct web_ctx *ctx,
				struct web_contacts_page *page)
{
	struct buffer *out = ctx->out;
	const struct web_card_scan *scan = &page->scan;
	const char *q = page->query != NULL ? page->query : "";

	buffer_reset(out);
	web_page_begin(ctx, "Contacts", WEB_NAV_CONTACTS);
	html_printf(
		out,
		"<section class=\"card contacts\" aria-labelledby=\"contacts-title\">\n"
		"<div class=\"calhead\"><h1 id=\"contacts-title\">Contacts</h1>\n"
		"<a class=\"button primary\" href=\"/contacts/new\">New contact</a></div>\n");
	if (web_form_get(&ctx->query, "deleted") != NULL)
		html_printf(
			out,
			"<p class=\"notice\" role=\"status\">The contact was deleted.</p>\n");
	html_printf(
		out,
		"<form method=\"get\" action=\"/contacts\" role=\"search\" class=\"searchbar\">\n"
		"<label for=\"q\" class=\"sr-only\">Search contacts</label>\n"
		"<input id=\"q\" name=\"q\" type=\"search\" placeholder=\"Search by name or email\""
		" value=\"%s\" maxlength=\"%d\">\n"
		"<button type=\"submit\">Search</button>\n</form>\n",
		q, WEB_CONTACTS_QUERY_MAX);
	if (page->bad_query) {
		html_printf(
			out,
			"<p class=\"error\" role=\"alert\">That search is too long"
			" (at most %d characters, on one line).</p>\n",
			WEB_CONTACTS_QUERY_MAX);
	} else if (scan->failed) {
		html_printf(
			out, "<p class=\"error\" role=\"alert\">%s</p>\n",
			scan->timed_out ?
				"The search ran out of time: search for a longer name." :
				"Your contacts cannot be read right now. Please try again.");
	} else if (page->count == 0 && !scan->cut) {
		if (page->query != NULL)
			html_printf(
				out,
				"<p class=\"empty\" role=\"status\">No contact has “%s” in"
				" a name or an email address.</p>\n",
				page->query);
		else if (scan->after_id != 0)
			html_printf(
				out,
				"<p class=\"empty\" role=\"status\">No more contacts.</p>\n");
		else
			html_printf(
				out,
				"<p class=\"empty\" role=\"status\">No contacts yet. Add one,"
				" or sync them from a contacts app (CardDAV).</p>\n");
	} else {
		html_printf(out, "<ul class=\"contactlist\">\n");
		for (unsigned int i = 0; i < page->count; i++) {
			const struct web_contact_row *row = &page->rows[i];

			html_printf(
				out,
				"<li><a href=\"/contacts/%L\"><span class=\"name\">%s</span>"
				"<span class=\"email\">%s</span><span class=\"tel\">%s</span></a></li>\n",
				row->id, row->name, row->email,
				*row->tel != '\0' ? row->tel : row->org);
		}
		html_printf(out, "</ul>\n");
	}
	if (scan->cut && !scan->failed)
		html_printf(
			out,
			"<p class=\"hint\" role=\"status\">%u contacts searched so far.</p>\n",
			scan->scanned);
	if (scan->after_id != 0 || scan->next_id != 0) {
		html_printf(out,
			    "<nav class=\"pager\" aria-label=\"Pages\">\n");
		if (scan->after_id != 0)
			html_printf(
				out,
				"<a href=\"/contacts%S%q\">First page</a>\n",
				page->query != NULL ? "?q=" : "", q);
		else
			html_printf(out, "<span></span>\n");
		if (scan->next_id != 0)
			html_printf(
				out,
				"<a href=\"/contacts?after=%L%S%q\" rel=\"next\">%s</a>\n",
				scan->next_id,
				page->query != NULL ? "&amp;q=" : "", q,
				scan->more ? "Next page" : "Search further");
		html_printf(out, "</nav>\n");
	}
	html_printf(out, "</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

static void web_contacts_done(struct web_ctx *ctx, void *context)
{
	struct web_contacts_page *page = context;
	struct pool *pool = page->scan.pool;

	web_contacts_render(ctx, page);
	pool_destroy(&pool);
}

void web_contacts_page(struct web_ctx *ctx)
{
	struct web_contacts_page *page =
		p_new(ctx->pool, struct web_contacts_page, 1);
	struct store_dav_collection col;
	const char *after = web_form_get(&ctx->query, "after");
	uint64_t after_id = 0;

	if (web_contacts_book(ctx, &col) < 0)
		return;
	page->query = web_contacts_query(ctx, &page->bad_query);
	if (after != NULL && web_parse_id(after, INT64_MAX, &after_id) < 0) {
		web_send_message(ctx, 400, "Bad request",
				 "That page does not exist.");
		return;
	}
	if (page->bad_query) {
		web_contacts_render(ctx, page);
		return;
	}
	web_card_scan_init(ctx, &page->scan, col.id, page->query,
			   WEB_CONTACTS_PAGE, WEB_CONTACTS_SCAN_MAX);
	page->scan.after_id = (int64_t) after_id;
	page->scan.match = web_contacts_row;
	page->scan.context = page;
	web_job_read(ctx, web_contacts_run, web_contacts_done, page);
}

/* --- one contact --- */

static const char *web_card_type_label(const struct web_card_type *types,
				       const char *type)
{
	for (const struct web_card_type *t = types; t->value != NULL; t++) {
		if (*type != '\0' && strcmp(t->value, type) == 0)
			return t->label;
	}
	return NULL;
}

/* tel: URI of a number as people write it (RFC 3966: visual separators
   go), or NULL if nothing dialable is left */
static const char *web_tel_uri(struct pool *pool, const char *number)
{
	struct buffer b;

	buffer_init_pool(&b, pool, 0);
	buffer_append_str(&b, "tel:");
	for (const char *p = number; *p != '\0'; p++) {
		if ((*p >= '0' && *p <= '9') || (*p == '+' && b.used == 4) ||
		    *p == '*' || *p == '#')
			buffer_append_c(&b, *p);
	}
	return b.used > 4 ? b.data : NULL;
}

/* Lines the form does not show, bookkeeping aside: what other apps keep. */
static unsigned int web_card_unshown(const struct web_card *wc)
{
	static const char *const bookkeeping[] = {
		"VERSION", "UID", "PRODID", "REV", "FN", "N", "ORG", "NOTE"};
	unsigned int count = 0;

	for (unsigned int i = 0; i < wc->vc->prop_count; i++) {
		const char *name = wc->vc->props[i].name;
		bool known = false;

		for (size_t k = 0;
		     k < sizeof(bookkeeping) / sizeof(bookkeeping[0]); k++)
			known = known || strcmp(name, bookkeeping[k]) == 0;
		for (unsigned int k = 0; k < wc->shown.email_count; k++)
			known = known || wc->email_lines[k] == (int) i;
		for (unsigned int k = 0; k < wc->shown.tel_count; k++)
			known = known || wc->tel_lines[k] == (int) i;
		if (!known)
			count++;
	}
	return count;
}

void web_contact_page(struct web_ctx *ctx)
{
	struct store_dav_collection col;
	struct store_card card;
	struct web_card wc;
	const struct web_card_fields *f = &wc.shown;
	struct buffer *out = ctx->out;
	const char *name;
	unsigned int unshown;

	if (web_contact_get(ctx, &col, &card, &wc) <= 0)
		return;
	name = web_card_display_name(ctx->pool, f);
	buffer_reset(out);
	web_page_begin(ctx, name, WEB_NAV_CONTACTS);
	html_printf(
		out,
		"<section class=\"card contact\" aria-labelledby=\"contact-title\">\n"
		"<h1 id=\"contact-title\">%s</h1>\n",
		name);
	if (web_form_get(&ctx->query, "saved") != NULL)
		html_printf(
			out,
			"<p class=\"notice\" role=\"status\">The contact was saved.</p>\n");
	html_printf(out, "<dl class=\"details\">\n");
	if (*f->org != '\0')
		html_printf(out, "<dt>Organization</dt><dd>%s</dd>\n", f->org);
	for (unsigned int i = 0; i < f->email_count; i++) {
		const char *label = web_card_type_label(web_card_email_types,
							f->emails[i].type);

		if (*f->emails[i].value == '\0')
			continue;
		html_printf(
			out,
			"<dt>Email%S%s%S</dt><dd><a href=\"/mail/compose?to=%q\""
			" title=\"Write to %s\">%s</a></dd>\n",
			label != NULL ? " (" : "", label,
			label != NULL ? ")" : "", f->emails[i].value,
			f->emails[i].value, f->emails[i].value);
	}
	for (unsigned int i = 0; i < f->tel_count; i++) {
		const char *label = web_card_type_label(web_card_tel_types,
							f->tels[i].type);
		const char *uri = web_tel_uri(ctx->pool, f->tels[i].value);

		if (*f->tels[i].value == '\0')
			continue;
		html_printf(out, "<dt>Phone%S%s%S</dt><dd>",
			    label != NULL ? " (" : "", label,
			    label != NULL ? ")" : "");
		if (uri != NULL)
			html_printf(out, "<a href=\"%s\">%s</a></dd>\n", uri,
				    f->tels[i].value);
		else
			html_printf(out, "%s</dd>\n", f->tels[i].value);
	}
	if (*f->note != '\0')
		html_printf(out, "<dt>Note</dt><dd class=\"prose\">%s</dd>\n",
			    f->note);
	html_printf(out, "</dl>\n");
	unshown = web_card_unshown(&wc);
	if (unshown > 0)
		html_printf(
			out,
			"<p class=\"hint\">%u more detail%S from other apps (a photo,"
			" addresses, birthdays…) %S kept as %S.</p>\n",
			unshown, unshown == 1 ? "" : "s",
			unshown == 1 ? "is" : "are",
			unshown == 1 ? "it is" : "they are");
	html_printf(out,
		    "<div class=\"toolbar\">\n"
		    "<a class=\"button\" href=\"/contacts/%L/edit\">Edit</a>\n"
		    "<form method=\"post\" action=\"/contacts/%L/delete\">\n",
		    (int64_t) card.id, (int64_t) card.id);
	web_page_csrf_field(ctx);
	html_printf(
		out,
		"<button type=\"submit\" class=\"danger\">Delete</button>\n</form>\n"
		"<a href=\"/contacts\">All contacts</a>\n</div>\n</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, 200);
}

/* --- the form --- */

/* aria attributes of a field: its hint (an id, or NULL), and the
   message under it when it has a mistake */
static const char *web_contact_invalid(struct web_ctx *ctx,
				       const struct web_card_errors *errors,
				       const char *field, const char *hint)
{
	if (errors == NULL || web_card_error(errors, field) == NULL)
		return hint == NULL ?
			       "" :
			       p_printf(ctx->pool, " aria-describedby=\"%s\"",
					hint);
	return p_printf(
		ctx->pool,
		" aria-invalid=\"true\" aria-describedby=\"err-%s%s%s\"", field,
		hint != NULL ? " " : "", hint != NULL ? hint : "");
}

static void web_contact_error(struct web_ctx *ctx,
			      const struct web_card_errors *errors,
			      const char *field)
{
	const char *text =
		errors != NULL ? web_card_error(errors, field) : NULL;

	if (text != NULL)
		html_printf(ctx->out,
			    "<p class=\"field-error\" id=\"err-%s\">%s</p>\n",
			    field, text);
}

static void web_contact_input(struct web_ctx *ctx,
			      const struct web_card_errors *errors,
			      const char *field, const char *label,
			      const char *value, unsigned int max,
			      const char *hint)
{
	html_printf(ctx->out,
		    "<label for=\"%s\">%s</label>\n"
		    "<input id=\"%s\" name=\"%s\" value=\"%s\" maxlength=\"%u\""
		    " autocomplete=\"off\"%S>\n",
		    field, label, field, field, value, max,
		    web_contact_invalid(ctx, errors, field, hint));
	web_contact_error(ctx, errors, field);
}

/* The rows of email addresses or phone numbers: those the card has (or
   the form sent), and one more to fill in. */
static void web_contact_rows(struct web_ctx *ctx,
			     const struct web_card_errors *errors,
			     const char *kind, const char *legend,
			     const char *what, const char *inputmode,
			     unsigned int max,
			     const struct web_card_type *types,
			     const struct web_card_value *values,
			     unsigned int count, unsigned int old_count)
{
	struct buffer *out = ctx->out;
	unsigned int rows = old_count;

	for (unsigned int i = 0; i < count; i++) {
		if (*values[i].value != '\0' || *values[i].type != '\0' ||
		    web_card_error(errors, p_printf(ctx->pool, "%s%u", kind,
						    i)) != NULL)
			rows = i + 1 > rows ? i + 1 : rows;
	}
	if (rows < WEB_CARD_VALUES_MAX)
		rows++;
	html_printf(out, "<fieldset class=\"rows\">\n<legend>%s</legend>\n",
		    legend);
	for (unsigned int i = 0; i < rows; i++) {
		const struct web_card_value *v = i < count ? &values[i] : NULL;
		const char *field = p_printf(ctx->pool, "%s%u", kind, i);
		const char *type_field =
			p_printf(ctx->pool, "%s_type%u", kind, i);

		html_printf(
			out,
			"<div class=\"row\">\n"
			"<label for=\"%s\" class=\"sr-only\">%s %u</label>\n"
			"<input id=\"%s\" name=\"%s\" type=\"text\" inputmode=\"%s\""
			" value=\"%s\" maxlength=\"%u\" autocomplete=\"off\" spellcheck=\"false\"%S>\n"
			"<label for=\"%s\" class=\"sr-only\">Type of %s %u</label>\n"
			"<select id=\"%s\" name=\"%s\"%S>\n",
			field, what, i + 1, field, field, inputmode,
			v != NULL ? v->value : "", max,
			web_contact_invalid(ctx, errors, field, NULL),
			type_field, what, i + 1, type_field, type_field,
			web_contact_invalid(ctx, errors, type_field, NULL));
		for (const struct web_card_type *t = types; t->value != NULL;
		     t++)
			html_printf(out, "<option value=\"%s\"%S>%s</option>\n",
				    t->value,
				    strcmp(t->value,
					   v != NULL ? v->type : "") == 0 ?
					    " selected" :
					    "",
				    t->label);
		html_printf(out, "</select>\n</div>\n");
		web_contact_error(ctx, errors, field);
		web_contact_error(ctx, errors, type_field);
	}
	html_printf(out, "</fieldset>\n");
}

/*
 * The form: id 0 for a new contact, else the contact's id and the modseq
 * its fields were read at (sent back, so that a change made elsewhere
 * meanwhile is noticed). old: the card as stored, for how many rows it
 * has. notice: a line above the form, or NULL.
 */
static void web_contact_form(struct web_ctx *ctx, int status, int64_t id,
			     uint64_t modseq, const struct web_card *old,
			     const struct web_card_fields *f,
			     const struct web_card_errors *errors,
			     const char *notice)
{
	struct buffer *out = ctx->out;
	const char *title = id == 0 ? "New contact" : "Edit contact";

	buffer_reset(out);
	web_page_begin(ctx, title, WEB_NAV_CONTACTS);
	html_printf(
		out,
		"<section class=\"card contact-form\" aria-labelledby=\"form-title\">\n"
		"<h1 id=\"form-title\">%s</h1>\n",
		title);
	if (notice != NULL)
		html_printf(out, "<p class=\"notice\" role=\"status\">%s</p>\n",
			    notice);
	if (errors != NULL && errors->count > 0) {
		html_printf(
			out,
			"<div class=\"errors\" role=\"alert\">\n<p class=\"error\">%s</p>\n<ul>\n",
			errors->count == 1 ?
				"The contact was not saved. Please correct this:" :
				"The contact was not saved. Please correct these:");
		for (unsigned int i = 0; i < errors->count; i++)
			html_printf(out, "<li><a href=\"#%s\">%s</a></li>\n",
				    errors->list[i].field,
				    errors->list[i].text);
		html_printf(out, "</ul>\n</div>\n");
	}
	if (id == 0)
		html_printf(
			out,
			"<form method=\"post\" action=\"/contacts/new\" class=\"stack\">\n");
	else
		html_printf(
			out,
			"<form method=\"post\" action=\"/contacts/%L/edit\" class=\"stack\">\n"
			"<input type=\"hidden\" name=\"modseq\" value=\"%L\">\n",
			id, (int64_t) modseq);
	web_page_csrf_field(ctx);
	web_contact_input(ctx, errors, "fn", "Name", f->fn, WEB_CARD_NAME_MAX,
			  "fn-hint");
	html_printf(
		out,
		"<p class=\"hint\" id=\"fn-hint\">As it shows in lists; left empty,"
		" it is the first and last name.</p>\n<div class=\"grid2\">\n<div class=\"stack\">\n");
	web_contact_input(ctx, errors, "given", "First name", f->given,
			  WEB_CARD_NAME_MAX, NULL);
	html_printf(out, "</div>\n<div class=\"stack\">\n");
	web_contact_input(ctx, errors, "family", "Last name", f->family,
			  WEB_CARD_NAME_MAX, NULL);
	html_printf(out, "</div>\n</div>\n");
	web_contact_input(ctx, errors, "org", "Organization", f->org,
			  WEB_CARD_NAME_MAX, NULL);
	/* type=text: a browser's own check of type=email would stop the form
	   at its first mistake, and may write a domain in punycode */
	web_contact_rows(ctx, errors, "email", "Email addresses",
			 "Email address", "email", WEB_CARD_EMAIL_MAX,
			 web_card_email_types, f->emails, f->email_count,
			 old != NULL ? old->shown.email_count : 0);
	web_contact_rows(ctx, errors, "tel", "Phone numbers", "Phone number",
			 "tel", WEB_CARD_TEL_MAX, web_card_tel_types, f->tels,
			 f->tel_count, old != NULL ? old->shown.tel_count : 0);
	html_printf(
		out,
		"<label for=\"note\">Note</label>\n"
		"<textarea id=\"note\" name=\"note\" rows=\"4\" maxlength=\"%d\"%S>%s</textarea>\n",
		WEB_CARD_NOTE_MAX,
		web_contact_invalid(ctx, errors, "note", NULL), f->note);
	web_contact_error(ctx, errors, "note");
	html_printf(
		out,
		"<div class=\"answer\">\n<button type=\"submit\" class=\"primary\">Save</button>\n");
	if (id == 0)
		html_printf(
			out,
			"<a class=\"button\" href=\"/contacts\">Cancel</a>\n");
	else
		html_printf(
			out,
			"<a class=\"button\" href=\"/contacts/%L\">Cancel</a>\n",
			id);
	html_printf(out, "</div>\n</form>\n</section>\n");
	web_page_end(ctx);
	web_send_html(ctx, status);
}

void web_contact_new_page(struct web_ctx *ctx)
{
	struct web_card_fields f;
	struct web_card_errors errors;
	struct web_form empty;

	memset(&empty, 0, sizeof(empty));
	(void) web_card_form_read(ctx->pool, &empty, NULL, &f, &errors);
	web_contact_form(ctx, 200, 0, 0, NULL, &f, NULL, NULL);
}

void web_contact_edit_page(struct web_ctx *ctx)
{
	struct store_dav_collection col;
	struct store_card card;
	struct web_card wc;

	if (web_contact_get(ctx, &col, &card, &wc) <= 0)
		return;
	web_contact_form(ctx, 200, card.id, card.modseq, &wc, &wc.shown, NULL,
			 NULL);
}

static bool web_contact_csrf(struct web_ctx *ctx)
{
	if (web_csrf_ok(ctx))
		return true;
	web_send_message(
		ctx, 403, "Forbidden",
		"This form has expired. Please go back, reload the page and try again.");
	return false;
}

static void web_contact_failed(struct web_ctx *ctx, struct store *store,
			       const char *what)
{
	log_error("web", "contact %s failed user=%s: %s", what,
		  log_value(ctx->user.address), store_last_error_detail(store));
	web_send_message(ctx, 503, "Try again later",
			 "The contact could not be saved. Please try again.");
}

/* A random UID (RFC 4122 version 4 form), which is also the href. */
static const char *web_contact_uid(struct pool *pool)
{
	unsigned char b[16];

	secret_random(b, sizeof(b));
	b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
	return p_printf(pool,
			"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			"%02x%02x%02x%02x%02x%02x",
			b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
			b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* Save text as card (a new one: id 0), in the transaction the caller
   began. The UID and name are the card's own. 0, or -1 (error set). */
static int web_contact_store(struct store *store, struct pool *pool,
			     struct store_card *card, const char *text)
{
	struct vcard *vc;
	const char *error;

	if (vcard_parse(pool, text, strlen(text), &vc, &error) < 0 ||
	    vc->uid == NULL) {
		/* web-card.c wrote a card lib-vcard cannot read: ours */
		log_error("web", "contact written unreadable: %s",
			  vc == NULL ? error : "no UID");
		return -1;
	}
	card->uid = vc->uid;
	card->fn = vc->fn;
	card->vcard = text;
	return store_card_save(store, card);
}

void web_contact_new_post(struct web_ctx *ctx)
{
	struct store *store = ctx->srv->store;
	struct store_dav_collection col;
	struct web_card_fields f;
	struct web_card_errors errors;
	struct store_card card;
	const char *uid, *text;

	if (!web_contact_csrf(ctx))
		return;
	if (web_card_form_read(ctx->pool, &ctx->form, NULL, &f, &errors) < 0) {
		web_contact_form(ctx, 400, 0, 0, NULL, &f, &errors, NULL);
		return;
	}
	if (web_contacts_book(ctx, &col) < 0)
		return;
	uid = web_contact_uid(ctx->pool);
	if (web_card_write(ctx->pool, NULL, &f, uid, time(NULL), &text) < 0) {
		web_send_message(ctx, 400, "Bad request",
				 "That contact is too big.");
		return;
	}
	memset(&card, 0, sizeof(card));
	card.collection_id = col.id;
	card.href = p_printf(ctx->pool, "%s.vcf", uid);
	if (store_begin(store) < 0 ||
	    web_contact_store(store, ctx->pool, &card, text) < 0 ||
	    store_commit(store) < 0) {
		store_rollback(store);
		web_contact_failed(ctx, store, "create");
		return;
	}
	log_info("web", "contact created user=%s id=%lld",
		 log_value(ctx->user.address), (long long) card.id);
	web_send_redirect(ctx, 303,
			  p_printf(ctx->pool, "/contacts/%lld?saved=1",
				   (long long) card.id));
}

void web_contact_edit_post(struct web_ctx *ctx)
{
	struct store *store = ctx->srv->store;
	struct store_dav_collection col;
	struct store_card card, now;
	struct web_card wc;
	struct web_card_fields f;
	struct web_card_errors errors;
	const char *modseq_s = web_form_get(&ctx->form, "modseq");
	const char *text;
	uint64_t modseq = 0;
	int ret;

	if (!web_contact_csrf(ctx))
		return;
	if (web_contact_get(ctx, &col, &card, &wc) <= 0)
		return;
	if (modseq_s == NULL || str_to_u64(modseq_s, UINT64_MAX, &modseq) < 0) {
		web_send_message(ctx, 400, "Bad request",
				 "The form could not be read.");
		return;
	}
	if (web_card_form_read(ctx->pool, &ctx->form, &wc.shown, &f, &errors) <
	    0) {
		web_contact_form(ctx, 400, card.id, modseq, &wc, &f, &errors,
				 NULL);
		return;
	}
	if (modseq != card.modseq)
		goto changed;
	ret = web_card_write(ctx->pool, &wc, &f, NULL, time(NULL), &text);
	if (ret < 0) {
		web_send_message(ctx, 400, "Bad request",
				 "That contact is too big.");
		return;
	}
	if (ret > 0) {
		/* If-Match, as a CardDAV client's PUT: the card as read */
		if (store_begin(store) < 0 ||
		    (ret = store_card_lookup_id(store, col.id, card.id,
						ctx->pool, &now)) < 0) {
			store_rollback(store);
			web_contact_failed(ctx, store, "edit");
			return;
		}
		if (ret == 0 || now.modseq != card.modseq) {
			store_rollback(store);
			if (ret == 0) {
				web_send_not_found(ctx);
				return;
			}
			goto changed;
		}
		if (web_contact_store(store, ctx->pool, &card, text) < 0 ||
		    store_commit(store) < 0) {
			store_rollback(store);
			web_contact_failed(ctx, store, "edit");
			return;
		}
		log_info("web", "contact changed user=%s id=%lld",
			 log_value(ctx->user.address), (long long) card.id);
	}
	web_send_redirect(ctx, 303,
			  p_printf(ctx->pool, "/contacts/%lld?saved=1",
				   (long long) card.id));
	return;
changed:
	/* read again: the form shows the card as it is now */
	if (web_contact_get(ctx, &col, &card, &wc) <= 0)
		return;
	web_contact_form(
		ctx, 409, card.id, card.modseq, &wc, &wc.shown, NULL,
		"This contact was changed elsewhere (in a contacts app?) while you"
		" edited it. Here it is as it is now: please make your change again.");
}

void web_contact_delete_post(struct web_ctx *ctx)
{
	struct store_dav_collection col;
	struct store_card card;
	int ret;

	if (!web_contact_csrf(ctx))
		return;
	if (web_contacts_book(ctx, &col) < 0)
		return;
	ret = store_card_lookup_id(ctx->srv->store, col.id,
				   ctx->route.contact_id, ctx->pool, &card);
	if (ret > 0)
		ret = store_dav_resource_delete(ctx->srv->store, &col,
						card.href,
						WEB_CONTACTS_TOMBSTONES);
	if (ret == 0) {
		web_send_not_found(ctx);
		return;
	}
	if (ret < 0) {
		web_contact_failed(ctx, ctx->srv->store, "delete");
		return;
	}
	log_info("web", "contact deleted user=%s id=%lld",
		 log_value(ctx->user.address), (long long) card.id);
	web_send_redirect(ctx, 303, "/contacts?deleted=1");
}

/* --- completion --- */

struct web_suggestion {
	const char *name, *email;
	bool user;   /* a local user, not a contact */
	bool prefix; /* the text begins the name, a word of it, or the address */
};

struct web_complete_job {
	struct web_card_scan scan;
	const char *query;
	const char
		*self; /* the viewer's own address: not suggested as a user */
	struct web_suggestion list[WEB_COMPLETE_MAX * 2];
	unsigned int count;
};

/* Does text begin with q, or has it a word that does (case aside)? */
static bool web_complete_prefix(const char *text, const char *q)
{
	for (const char *p = text; *p != '\0'; p++) {
		if ((p == text || p[-1] == ' ' || p[-1] == '.' ||
		     p[-1] == '-') &&
		    str_begins_icase(p, q))
			return true;
	}
	return false;
}

static void web_complete_add(struct web_complete_job *job, struct pool *pool,
			     const char *name, const char *email, bool user)
{
	struct web_suggestion *s;

	if (job->count == sizeof(job->list) / sizeof(job->list[0]) ||
	    *email == '\0')
		return;
	for (unsigned int i = 0; i < job->count; i++) {
		if (str_iequal(job->list[i].email, email))
			return;
	}
	s = &job->list[job->count++];
	s->name = p_strdup(pool, name);
	s->email = p_strdup(pool, email);
	s->user = user;
	s->prefix = web_complete_prefix(name, job->query) ||
		    str_begins_icase(email, job->query);
}

static void web_complete_card(struct web_card_scan *scan,
			      const struct store_card *card,
			      const struct web_card_fields *f)
{
	struct web_complete_job *job = scan->context;
	const char *name = web_card_display_name(scan->scratch, f);
	bool name_matches = vcard_text_match(name, job->query, true,
					     VCARD_MATCH_CONTAINS) ||
			    vcard_text_match(f->given, job->query, true,
					     VCARD_MATCH_CONTAINS) ||
			    vcard_text_match(f->family, job->query, true,
					     VCARD_MATCH_CONTAINS);

	(void) card;
	/* a name that is only the address is no name */
	if (f->email_count > 0 && strcmp(name, f->emails[0].value) == 0)
		name = "";
	for (unsigned int i = 0; i < f->email_count; i++) {
		const char *email = f->emails[i].value;

		if (name_matches || vcard_text_match(email, job->query, true,
						     VCARD_MATCH_CONTAINS))
			web_complete_add(job, scan->pool, name, email, false);
	}
}

static void web_complete_user(void *context, const struct store_user *user)
{
	struct web_complete_job *job = context;

	if (str_iequal(user->address, job->self))
		return;
	web_complete_add(job, job->scan.pool,
			 user->display_name != NULL ? user->display_name : "",
			 user->address, true);
}

/* Beginnings first, then the contacts before the users, then by name. */
static int web_suggestion_cmp(const void *a, const void *b)
{
	const struct web_suggestion *x = a, *y = b;
	int cmp;

	if (x->prefix != y->prefix)
		return x->prefix ? -1 : 1;
	if (x->user != y->user)
		return x->user ? 1 : -1;
	cmp = str_icmp(*x->name != '\0' ? x->name : x->email,
		       *y->name != '\0' ? y->name : y->email);
	return cmp != 0 ? cmp : str_icmp(x->email, y->email);
}

static void web_complete_run(struct store *store, void *context)
{
	struct web_complete_job *job = context;

	web_card_scan_run(store, &job->scan);
	if (job->scan.failed)
		return;
	if (store_user_search(store, job->query, WEB_COMPLETE_MAX,
			      job->scan.pool, web_complete_user, job) < 0) {
		log_error("web", "completion: %s",
			  store_last_error_detail(store));
		job->scan.failed = true;
		return;
	}
	qsort(job->list, job->count, sizeof(job->list[0]), web_suggestion_cmp);
	if (job->count > WEB_COMPLETE_MAX)
		job->count = WEB_COMPLETE_MAX;
}

/* A JSON string (RFC 8259 7); <, > and & escaped too, so that the answer
   is harmless whatever a browser takes it for. */
static void web_json_string(struct buffer *out, const char *text)
{
	buffer_append_c(out, '"');
	for (const unsigned char *p = (const unsigned char *) text; *p != '\0';
	     p++) {
		if (*p == '"' || *p == '\\') {
			buffer_append_c(out, '\\');
			buffer_append_c(out, (char) *p);
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
			buffer_printf(out, "\\u%04x", *p);
		} else {
			buffer_append_c(out, (char) *p);
		}
	}
	buffer_append_c(out, '"');
}

static void web_complete_send(struct web_ctx *ctx,
			      const struct web_complete_job *job)
{
	struct web_request *req = ctx->req;
	struct buffer *out = ctx->out;

	buffer_reset(out);
	buffer_append_str(out, "{\"results\":[");
	for (unsigned int i = 0; job != NULL && i < job->count; i++) {
		buffer_append_str(out, i > 0 ? ",{\"name\":" : "{\"name\":");
		web_json_string(out, job->list[i].name);
		buffer_append_str(out, ",\"email\":");
		web_json_string(out, job->list[i].email);
		buffer_printf(out, ",\"kind\":\"%s\"}",
			      job->list[i].user ? "user" : "contact");
	}
	buffer_append_str(out, "]}\n");
	req->status = job != NULL && job->scan.failed ? 503 : 200;
	req->content_type = "application/json; charset=utf-8";
	web_security_headers(req, NULL);
	web_response_header(req, "Cache-Control", "no-store");
	web_response_send(req);
}

static void web_complete_done(struct web_ctx *ctx, void *context)
{
	struct web_complete_job *job = context;
	struct pool *pool = job->scan.pool;

	web_complete_send(ctx, job);
	pool_destroy(&pool);
}

void web_contacts_complete(struct web_ctx *ctx)
{
	struct web_complete_job *job;
	struct store_dav_collection col;
	bool bad;
	const char *q = web_contacts_query(ctx, &bad);

	/* nothing to look for: nothing found */
	if (q == NULL) {
		web_complete_send(ctx, NULL);
		return;
	}
	if (store_dav_collection_default(ctx->srv->store, ctx->user.id,
					 STORE_DAV_ADDRESSBOOK, ctx->pool,
					 &col) < 0) {
		log_error("web", "completion: %s",
			  store_last_error_detail(ctx->srv->store));
		job = p_new(ctx->pool, struct web_complete_job, 1);
		job->scan.failed = true;
		web_complete_send(ctx, job);
		return;
	}
	job = p_new(ctx->pool, struct web_complete_job, 1);
	job->query = q;
	job->self = ctx->user.address;
	web_card_scan_init(ctx, &job->scan, col.id, q, WEB_COMPLETE_MAX,
			   WEB_COMPLETE_SCAN_MAX);
	job->scan.match = web_complete_card;
	job->scan.context = job;
	web_job_read(ctx, web_complete_run, web_complete_done, job);
}
