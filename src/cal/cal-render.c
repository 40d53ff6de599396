/*
 * What IMAP and POP3 clients get for a meeting request or cancellation
 * ([calendar] imap_pop3_format, or the user's calendar_format):
 *
 *   icalendar  the message as it came (not built here);
 *   url        the organizer's message with our summary beside it: the
 *              meeting's title, time, place, people and the link into the
 *              web access, as text and HTML; no iCalendar;
 *   both       the same, and the iCalendar object as a text/calendar part
 *              (method=REQUEST or CANCEL) named invite.ics, for the
 *              clients that offer Accept and Decline themselves.
 *
 * The organizer's words stay theirs: every part they sent (text, HTML,
 * inline images, attachments) is carried byte for byte, with their
 * header fields; only their own calendar parts give way to ours. The
 * shape, for both (url has no 1.3):
 *
 *   multipart/mixed
 *     1    multipart/alternative        our summary
 *     1.1    text/plain
 *     1.2    text/html
 *     1.3    text/calendar; method=REQUEST; name="invite.ics"
 *     2    the organizer's content, as it came (less its calendar parts)
 *
 * Why this shape. Thunderbird, Apple Mail and mutt show every inline part
 * of a multipart/mixed one after the other, choosing one alternative of
 * each multipart/alternative: the reader sees our short summary with the
 * link, then the organizer's message. Outlook shows the first body of a
 * multipart/mixed as the message and lists later text parts as
 * attachments (ATT00001.htm), so the first place goes to what must be
 * seen: the summary and the link. Outlook also looks for iMIP only in the
 * first part of a multipart/mixed and its descendants ([MS-OXCMAIL],
 * Outlook's RFC 6047 notes): the calendar is the last alternative of that
 * first part, which is where Outlook, Google and Thunderbird put theirs
 * too, so iMIP clients show their Accept and Decline. It is named by the
 * Content-Type's name parameter, without a Content-Disposition, because
 * a disposition inside multipart/alternative makes some readers take it
 * for an attachment rather than an alternative.
 *
 * The message is rendered once, at delivery; its bytes never change after
 * (RFC 9051 2.3.1.1: a message's content is immutable). Exchange's
 * CalendarItemRetrievalOption did the same with InternetUrl, but took the
 * protocol from a registry value of its own and stamped http: links that
 * an SSL-only OWA never answered; here the link base comes from the
 * validated [web] settings, so every link opens.
 *
 * Size: the organizer's content once (less its calendar parts), our
 * summary (bounded: CAL_RENDER_MAX_VALUE bytes a value, at most
 * CAL_RENDER_MAX_ATTENDEES people, the description only when the
 * organizer sent no text of their own) and the iCalendar object
 * (IMIP_MAX_SIZE): never twice the organizer's message.
 */
#include "cal-private.h"
#include "buffer.h"
#include "imip.h"
#include "mime.h"
#include "mime-build.h"
#include "mime-entity.h"
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

/* "Tuesday, 15 December 2026, 10:00 – 11:00 (label)": wall-clock times,
   the end's date only when it is another day */
static const char *cal_span(struct pool *pool, const struct imip_time *s,
			    const struct imip_time *e, const char *label)
{
	const char *local = imip_time_format_local(pool, s);

	if (e->set && e->utc > s->utc) {
		if (cal_same_day(s, e))
			local = p_printf(pool, "%s \xe2\x80\x93 %02d:%02d",
					 local, e->hour, e->minute);
		else
			local = p_printf(pool, "%s \xe2\x80\x93 %s", local,
					 imip_time_format_local(pool, e));
	}
	return p_printf(pool, "%s (%s)", local, label);
}

/* The organizer's times said in zone, the reader's: false if they cannot
   be (no zone, a zone libical does not know, times past its years). */
static bool cal_when_in_zone(struct pool *pool, const struct imip_event *event,
			     const char *zone, const char **local_r)
{
	const struct imip_time *s = &event->start, *e = &event->end;
	struct imip_time zs, ze;

	if (zone == NULL || imip_time_in_zone(pool, s->utc, zone, &zs) < 0)
		return false;
	if (!e->set)
		memset(&ze, 0, sizeof(ze));
	else if (imip_time_in_zone(pool, e->utc, zone, &ze) < 0)
		return false;
	*local_r = cal_span(pool, &zs, &ze, zone);
	return true;
}

void cal_render_when(struct pool *pool, const struct imip_event *event,
		     const char *zone, const char **local_r,
		     const char **other_r)
{
	const struct imip_time *s = &event->start, *e = &event->end;
	const char *local, *mine;

	*other_r = NULL;
	if (!s->set) {
		*local_r = "(no time given)";
		return;
	}
	if (s->all_day) {
		/* a date is the same date everywhere */
		local = imip_time_format_local(pool, s);
		if (e->set && e->utc > s->utc + 86400)
			local = p_printf(pool, "%s \xe2\x80\x93 %s", local, cal_day_before(pool, e));
		*local_r = p_printf(pool, "%s (all day)", local);
		return;
	}
	local = cal_span(pool, s, e, cal_zone_name(pool, s));
	/* A floating time is the same wall-clock time in every zone (RFC
	   5545 3.3.5): nothing to convert. Otherwise the reader's zone
	   first, and the organizer's words for it after, when they differ. */
	if (!s->floating && cal_when_in_zone(pool, event, zone, &mine)) {
		*local_r = mine;
		if (!(s->tzid != NULL && s->tz_known &&
		      strcmp(s->tzid, zone) == 0) &&
		    !(s->tzid == NULL && strcmp(zone, "UTC") == 0))
			*other_r = local;
		return;
	}
	*local_r = local;
	if (s->tzid == NULL || !s->tz_known)
		return;
	/* the same in UTC, for readers in another zone */
	{
		const char *start = imip_time_format_utc(pool, s->utc, false);
		const char *end = imip_time_format_utc(pool, e->utc, false);
		size_t date_len = strlen(start) - strlen(", 00:00");

		if (e->utc > s->utc && strncmp(start, end, date_len) == 0)
			*other_r = p_printf(pool, "%s \xe2\x80\x93 %s UTC",
					    start, end + date_len + 2);
		else if (e->utc > s->utc)
			*other_r = p_printf(pool, "%s \xe2\x80\x93 %s UTC",
					    start, end);
		else
			*other_r = p_printf(pool, "%s UTC", start);
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

/* text cut to at most max bytes, at a character boundary, with an
   ellipsis when something was cut */
static const char *cal_cut(struct pool *pool, const char *text, size_t max)
{
	size_t len = strlen(text);

	if (len <= max)
		return text;
	len = max;
	while (len > 0 && ((unsigned char) text[len] & 0xc0) == 0x80)
		len--;
	return p_printf(pool, "%.*s\xe2\x80\xa6", (int) len, text);
}

/* "Name <address>", each cut so that both fit in a row */
static const char *cal_person(struct pool *pool, const char *name, const char *address)
{
	address = cal_cut(pool, address, CAL_RENDER_MAX_VALUE / 3);
	if (name != NULL && *name != '\0' && !str_iequal(name, address))
		return p_printf(pool, "%s <%s>",
				cal_cut(pool, name, CAL_RENDER_MAX_VALUE / 3),
				address);
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
	value = cal_cut(text->pool, value, CAL_RENDER_MAX_VALUE);
	buffer_printf(text, "%-10s %s\n", label, value);
	buffer_append_str(html,
			  "<tr><th align=\"left\" valign=\"top\" nowrap>");
	cal_html_escape(html, label);
	buffer_append_str(html, "</th><td>");
	cal_html_escape(html, value);
	buffer_append_str(html, "</td></tr>\n");
}

void cal_render_bodies(struct pool *pool, const struct imip_calendar *cal,
		       const struct cal_summary *opts, const char **text_r,
		       const char **html_r)
{
	const struct imip_event *ev = cal->master != NULL ? cal->master : &cal->events[0];
	struct buffer text, html;
	const char *local, *other, *summary;
	unsigned int changed = cal->event_count - (cal->master != NULL ? 1 : 0);

	buffer_init_pool(&text, pool, 0);
	buffer_init_pool(&html, pool, 0);
	summary = ev->summary != NULL && *ev->summary != '\0' ?
			  cal_cut(pool, ev->summary, CAL_RENDER_MAX_VALUE) :
			  "(no title)";
	buffer_printf(&text, "%s: %s\n\n", opts->intro, summary);
	buffer_append_str(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			  "<title>");
	cal_html_escape(&html, summary);
	buffer_append_str(&html, "</title></head>\n<body>\n<p>");
	cal_html_escape(&html, opts->intro);
	buffer_append_str(&html, ":</p>\n<h2>");
	cal_html_escape(&html, summary);
	buffer_append_str(&html, "</h2>\n<table>\n");

	if (ev->organizer != NULL)
		cal_row(&text, &html, "Organizer:",
			cal_person(pool, ev->organizer_name, ev->organizer));
	cal_render_when(pool, ev, opts->zone, &local, &other);
	cal_row(&text, &html, "When:", local);
	if (other != NULL)
		cal_row(&text, &html, "", other);
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

	if (opts->link != NULL && opts->cancelled) {
		buffer_printf(&text,
			      "\nOpen this meeting in your calendar:\n%s\n",
			      opts->link);
		buffer_append_str(&html, "<p><a href=\"");
		cal_html_escape(&html, opts->link);
		buffer_append_str(
			&html,
			"\">Open this meeting in your calendar</a><br>\n");
		cal_html_escape(&html, opts->link);
		buffer_append_str(&html, "</p>\n");
	} else if (opts->link != NULL) {
		buffer_printf(
			&text,
			"\nOpen this meeting and answer it (Accept, Tentative, "
			"Decline):\n%s\n",
			opts->link);
		buffer_append_str(&html, "<p><a href=\"");
		cal_html_escape(&html, opts->link);
		buffer_append_str(&html, "\">Open this meeting and answer it</a> "
				  "(Accept, Tentative, Decline)<br>\n");
		cal_html_escape(&html, opts->link);
		buffer_append_str(&html, "</p>\n");
	}
	if (opts->description && ev->description != NULL &&
	    *ev->description != '\0') {
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

static bool cal_leaf_is_calendar(const struct mime_leaf *leaf)
{
	size_t len = leaf->filename != NULL ? strlen(leaf->filename) : 0;

	return (strcmp(leaf->type, "text") == 0 && strcmp(leaf->subtype, "calendar") == 0) ||
		(strcmp(leaf->type, "application") == 0 && strcmp(leaf->subtype, "ics") == 0) ||
		(len >= 4 && str_iequal(leaf->filename + len - 4, ".ics"));
}

struct cal_organizer_parts {
	bool words; /* a text or HTML body of theirs stays */
};

/* The organizer's calendar parts give way to ours (or to none, in url);
   everything else they sent stays. */
static bool cal_drop_cb(void *context, const struct mime_leaf *leaf)
{
	struct cal_organizer_parts *parts = context;

	if (cal_leaf_is_calendar(leaf))
		return true;
	if (strcmp(leaf->type, "text") == 0 && !leaf->attachment &&
	    (strcmp(leaf->subtype, "plain") == 0 ||
	     strcmp(leaf->subtype, "html") == 0))
		parts->words = true;
	return false;
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

/* The first line of our summary. */
static const char *cal_render_intro(const struct cal_render *render)
{
	if (render->cal->method == IMIP_METHOD_CANCEL)
		return render->cal->master != NULL ? "Meeting cancelled" :
						     "Occurrence cancelled";
	return render->update ? "Updated meeting request" : "Meeting request";
}

void cal_render_request(struct pool *pool, const unsigned char *orig, size_t size,
			const struct cal_render *render,
			const unsigned char **data_r, size_t *size_r)
{
	const char **cal_params = p_new(pool, const char *, 5);
	struct mime_build_header *kept, *headers;
	struct mime_build_part bodies[3], mixed[2], root;
	struct cal_organizer_parts theirs = {.words = false};
	struct cal_summary summary = {
		.intro = cal_render_intro(render),
		.link = render->link,
		.zone = render->zone,
		.cancelled = render->cal->method == IMIP_METHOD_CANCEL,
	};
	const unsigned char *content;
	size_t content_size;
	const char *text, *html;
	unsigned int nkept, nbodies = 2;
	bool have_content;

	have_content =
		mime_entity_extract(pool, orig, size, cal_drop_cb, &theirs,
				    &content, &content_size) > 0;
	/* their description is usually their text: said once */
	summary.description = !theirs.words;
	cal_render_bodies(pool, render->cal, &summary, &text, &html);
	cal_text_part(&bodies[0], "plain", NULL, text);
	cal_text_part(&bodies[1], "html", NULL, html);
	if (render->format == CONF_CALENDAR_FORMAT_BOTH) {
		/* RFC 6047 2.4: text/calendar with the method parameter */
		cal_params[0] = "method";
		cal_params[1] = imip_method_name(render->cal->method);
		cal_params[2] = "name";
		cal_params[3] = "invite.ics";
		cal_params[4] = NULL;
		cal_text_part(&bodies[2], "calendar", cal_params, render->ics);
		nbodies = 3;
	}
	memset(&root, 0, sizeof(root));
	root.type = "multipart";
	root.subtype = "alternative";
	root.parts = bodies;
	root.part_count = nbodies;

	if (have_content) {
		mixed[0] = root;
		memset(&mixed[1], 0, sizeof(mixed[1]));
		mixed[1].raw = content;
		mixed[1].raw_size = content_size;
		memset(&root, 0, sizeof(root));
		root.type = "multipart";
		root.subtype = "mixed";
		root.parts = mixed;
		root.part_count = 2;
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
