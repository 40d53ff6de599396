/*
 * What IMAP and POP3 clients get for a meeting request ([calendar]
 * imap_pop3_format, or the user's calendar_format):
 *
 *   icalendar  the message as it came (not built here);
 *   url        a readable text/plain + text/html body with the meeting's
 *              details and the link into the web access;
 *   both       the same plus the request's text/calendar part
 *              (method=REQUEST), as the last alternative, the way Outlook
 *              and Google send it, so iMIP-aware clients still offer
 *              Accept and Decline.
 *
 * The message is rendered once, at delivery; its bytes never change after
 * (RFC 9051 2.3.1.1: a message's content is immutable). Exchange's
 * CalendarItemRetrievalOption did the same with InternetUrl, but took the
 * protocol from a registry value of its own and stamped http: links that
 * an SSL-only OWA never answered; here the link base comes from the
 * validated [web] settings, so every link opens.
 */
#include "cal-private.h"
#include "buffer.h"
#include "imip.h"
#include "mime.h"
#include "mime-build.h"
#include "pool.h"
#include "strutil.h"

#include <string.h>

/* Headers of the original kept in the rendered message. */
static const char *const cal_render_keep_headers[] = {
	"Received", "Authentication-Results", "From", "Sender", "Reply-To", "To",
	"Cc", "Date", "Subject", "Message-ID", "In-Reply-To", "References",
	"Importance", NULL,
};

/* --- when --- */

static bool cal_same_day(const struct imip_time *a, const struct imip_time *b)
{
	return a->year == b->year && a->month == b->month && a->day == b->day;
}

/* "Tuesday, 15 December 2026" of the day before t (all-day ends are
   exclusive, RFC 5545 3.6.1) */
static const char *cal_day_before(struct pool *pool, const struct imip_time *t)
{
	return imip_time_format_utc(pool, t->utc - 86400, true);
}

static const char *cal_zone_name(struct pool *pool, const struct imip_time *t)
{
	if (t->tzid != NULL && t->tz_known)
		return t->tzid;
	if (t->tzid != NULL)
		return p_printf(pool, "%s, unknown zone, taken as UTC", t->tzid);
	if (t->floating)
		return "local time";
	return "UTC";
}

void cal_render_when(struct pool *pool, const struct imip_event *event,
		     const char **local_r, const char **utc_r)
{
	const struct imip_time *s = &event->start, *e = &event->end;
	const char *local;

	*utc_r = NULL;
	if (!s->set) {
		*local_r = "(no time given)";
		return;
	}
	if (s->all_day) {
		local = imip_time_format_local(pool, s);
		if (e->set && e->utc > s->utc + 86400)
			local = p_printf(pool, "%s \xe2\x80\x93 %s", local, cal_day_before(pool, e));
		*local_r = p_printf(pool, "%s (all day)", local);
		return;
	}
	local = imip_time_format_local(pool, s);
	if (e->set && e->utc > s->utc) {
		if (cal_same_day(s, e))
			local = p_printf(pool, "%s \xe2\x80\x93 %02d:%02d", local, e->hour, e->minute);
		else
			local = p_printf(pool, "%s \xe2\x80\x93 %s", local,
					 imip_time_format_local(pool, e));
	}
	*local_r = p_printf(pool, "%s (%s)", local, cal_zone_name(pool, s));
	if (s->tzid == NULL || !s->tz_known)
		return;
	/* the same in UTC, for readers in another zone */
	{
		const char *start = imip_time_format_utc(pool, s->utc, false);
		const char *end = imip_time_format_utc(pool, e->utc, false);
		size_t date_len = strlen(start) - strlen(", 00:00");

		if (e->utc > s->utc && strncmp(start, end, date_len) == 0)
			*utc_r = p_printf(pool, "%s \xe2\x80\x93 %s UTC", start, end + date_len + 2);
		else if (e->utc > s->utc)
			*utc_r = p_printf(pool, "%s \xe2\x80\x93 %s UTC", start, end);
		else
			*utc_r = p_printf(pool, "%s UTC", start);
	}
}

/* --- bodies --- */

static const char *cal_partstat_words(const char *partstat)
{
	if (strcmp(partstat, "ACCEPTED") == 0)
		return "accepted";
	if (strcmp(partstat, "DECLINED") == 0)
		return "declined";
	if (strcmp(partstat, "TENTATIVE") == 0)
		return "tentative";
	if (strcmp(partstat, "DELEGATED") == 0)
		return "delegated";
	return "not answered yet";
}

static const char *cal_person(struct pool *pool, const char *name, const char *address)
{
	if (name != NULL && *name != '\0' && !str_iequal(name, address))
		return p_printf(pool, "%s <%s>", name, address);
	return address;
}

static void cal_html_escape(struct buffer *buf, const char *text)
{
	for (const char *p = text; *p != '\0'; p++) {
		switch (*p) {
		case '<': buffer_append_str(buf, "&lt;"); break;
		case '>': buffer_append_str(buf, "&gt;"); break;
		case '&': buffer_append_str(buf, "&amp;"); break;
		case '"': buffer_append_str(buf, "&quot;"); break;
		case '\'': buffer_append_str(buf, "&#39;"); break;
		case '\n': buffer_append_str(buf, "<br>\n"); break;
		default: buffer_append_c(buf, *p); break;
		}
	}
}

/* One "Label: value" row in both bodies. */
static void cal_row(struct buffer *text, struct buffer *html, const char *label,
		    const char *value)
{
	buffer_printf(text, "%-10s %s\n", label, value);
	buffer_append_str(html, "<tr><th align=\"left\" valign=\"top\">");
	cal_html_escape(html, label);
	buffer_append_str(html, "</th><td>");
	cal_html_escape(html, value);
	buffer_append_str(html, "</td></tr>\n");
}

void cal_render_bodies(struct pool *pool, const struct imip_calendar *cal,
		       const char *intro, const char *link,
		       const char **text_r, const char **html_r)
{
	const struct imip_event *ev = cal->master != NULL ? cal->master : &cal->events[0];
	struct buffer text, html;
	const char *local, *utc, *summary;
	unsigned int changed = cal->event_count - (cal->master != NULL ? 1 : 0);

	buffer_init_pool(&text, pool, 0);
	buffer_init_pool(&html, pool, 0);
	summary = ev->summary != NULL && *ev->summary != '\0' ? ev->summary : "(no title)";
	buffer_printf(&text, "%s: %s\n\n", intro, summary);
	buffer_append_str(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			  "<title>");
	cal_html_escape(&html, summary);
	buffer_append_str(&html, "</title></head>\n<body>\n<p>");
	cal_html_escape(&html, intro);
	buffer_append_str(&html, ":</p>\n<h2>");
	cal_html_escape(&html, summary);
	buffer_append_str(&html, "</h2>\n<table>\n");

	if (ev->organizer != NULL)
		cal_row(&text, &html, "Organizer:",
			cal_person(pool, ev->organizer_name, ev->organizer));
	cal_render_when(pool, ev, &local, &utc);
	cal_row(&text, &html, "When:", local);
	if (utc != NULL)
		cal_row(&text, &html, "", utc);
	if (ev->rrule != NULL)
		cal_row(&text, &html, "Repeats:", ev->recurrence_text != NULL ?
			ev->recurrence_text : p_printf(pool, "by the rule %s", ev->rrule));
	if (changed > 0 && cal->master != NULL)
		cal_row(&text, &html, "Changes:",
			p_printf(pool, "%u occurrence%s differ%s from the series", changed,
				 changed == 1 ? "" : "s", changed == 1 ? "s" : ""));
	if (ev->location != NULL && *ev->location != '\0')
		cal_row(&text, &html, "Where:", ev->location);
	for (unsigned int i = 0; i < ev->attendee_count; i++) {
		const struct imip_attendee *a = &ev->attendees[i];
		const char *who;

		if (i == CAL_RENDER_MAX_ATTENDEES) {
			cal_row(&text, &html, "", p_printf(pool, "and %u more",
							   ev->attendee_count - i));
			break;
		}
		who = p_printf(pool, "%s (%s%s)", cal_person(pool, a->name, a->address),
			       cal_partstat_words(a->partstat),
			       strcmp(a->role, "OPT-PARTICIPANT") == 0 ? ", optional" : "");
		cal_row(&text, &html, i == 0 ? "Attendees:" : "", who);
	}
	buffer_append_str(&html, "</table>\n");

	if (link != NULL) {
		buffer_printf(&text, "\nOpen this meeting and answer it (Accept, Tentative, "
			      "Decline):\n%s\n", link);
		buffer_append_str(&html, "<p><a href=\"");
		cal_html_escape(&html, link);
		buffer_append_str(&html, "\">Open this meeting and answer it</a> "
				  "(Accept, Tentative, Decline)<br>\n");
		cal_html_escape(&html, link);
		buffer_append_str(&html, "</p>\n");
	}
	if (ev->description != NULL && *ev->description != '\0') {
		buffer_printf(&text, "\n%s\n", ev->description);
		buffer_append_str(&html, "<hr>\n<p>");
		cal_html_escape(&html, ev->description);
		buffer_append_str(&html, "</p>\n");
	}
	buffer_append_str(&html, "</body></html>\n");
	*text_r = text.data;
	*html_r = html.data;
}

/* --- the message --- */

struct cal_attachments {
	struct pool *pool;
	struct mime_build_part *parts;
	unsigned int count, alloc;
};

static bool cal_leaf_is_calendar(const struct mime_leaf *leaf)
{
	size_t len = leaf->filename != NULL ? strlen(leaf->filename) : 0;

	return (strcmp(leaf->type, "text") == 0 && strcmp(leaf->subtype, "calendar") == 0) ||
		(strcmp(leaf->type, "application") == 0 && strcmp(leaf->subtype, "ics") == 0) ||
		(len >= 4 && str_iequal(leaf->filename + len - 4, ".ics"));
}

/* The original's attachments other than the calendar (an agenda, slides)
   go along; its own text and HTML bodies are replaced by ours. */
static void cal_attachment_cb(void *context, const struct mime_leaf *leaf)
{
	struct cal_attachments *att = context;
	struct mime_build_part *part;

	if (!leaf->attachment || cal_leaf_is_calendar(leaf))
		return;
	att->parts = p_grow(att->pool, att->parts, sizeof(*att->parts), att->count,
			    &att->alloc, 4);
	part = &att->parts[att->count++];
	memset(part, 0, sizeof(*part));
	part->type = leaf->type;
	part->subtype = leaf->subtype;
	part->data = leaf->data;
	part->size = leaf->size;
	part->filename = leaf->filename != NULL ? leaf->filename : "attachment";
	part->attachment = true;
	part->base64 = strcmp(leaf->type, "text") != 0;
}

static bool cal_has_crlf(const unsigned char *data, size_t size)
{
	const unsigned char *nl = memchr(data, '\n', size);

	return nl == NULL || (nl > data && nl[-1] == '\r');
}

static bool cal_is_ascii(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p >= 0x80)
			return false;
	}
	return true;
}

void cal_text_part(struct mime_build_part *part, const char *subtype,
		   const char *const *params, const char *text)
{
	memset(part, 0, sizeof(*part));
	part->type = "text";
	part->subtype = subtype;
	part->params = params;
	part->data = text;
	part->size = strlen(text);
	part->base64 = strcmp(subtype, "calendar") == 0 && !cal_is_ascii(text);
}

void cal_render_request(struct pool *pool, const unsigned char *orig, size_t size,
			const struct cal_render *render,
			const unsigned char **data_r, size_t *size_r)
{
	static const char *const cal_params[] = { "method", "REQUEST", NULL };
	struct mime_build_header *kept, *headers;
	struct mime_build_part bodies[3], *mixed, root;
	struct cal_attachments att = { .pool = pool };
	const char *text, *html;
	unsigned int nkept, nbodies = 2;

	cal_render_bodies(pool, render->cal, render->update ? "Updated meeting request" :
			  "Meeting request", render->link, &text, &html);
	cal_text_part(&bodies[0], "plain", NULL, text);
	cal_text_part(&bodies[1], "html", NULL, html);
	if (render->format == CONF_CALENDAR_FORMAT_BOTH) {
		/* RFC 6047 2.4: text/calendar with the method parameter */
		cal_text_part(&bodies[2], "calendar", cal_params, render->ics);
		nbodies = 3;
	}
	memset(&root, 0, sizeof(root));
	root.type = "multipart";
	root.subtype = "alternative";
	root.parts = bodies;
	root.part_count = nbodies;

	mime_foreach_leaf(pool, orig, size, cal_attachment_cb, &att);
	if (att.count > 0) {
		mixed = p_new(pool, struct mime_build_part, att.count + 1);
		mixed[0] = root;
		memcpy(mixed + 1, att.parts, sizeof(*mixed) * att.count);
		memset(&root, 0, sizeof(root));
		root.type = "multipart";
		root.subtype = "mixed";
		root.parts = mixed;
		root.part_count = att.count + 1;
	}

	nkept = mime_build_copy_headers(pool, orig, cal_header_block_size(orig, size),
					cal_render_keep_headers, &kept);
	headers = p_new(pool, struct mime_build_header, nkept + 1);
	memcpy(headers, kept, sizeof(*headers) * nkept);
	/* so that people (and tests) can tell what the server did */
	headers[nkept].name = "X-Infostore-Meeting-Request";
	headers[nkept].value = conf_calendar_format_name(render->format);
	mime_build_message(pool, headers, nkept + 1, &root, cal_has_crlf(orig, size),
			   data_r, size_r);
}
