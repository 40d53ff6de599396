/*
 * iMIP at delivery (RFC 6047, RFC 5546): the deliver hook.
 *
 * For each recipient of a message with a calendar part, decide what the
 * iTIP message means for their calendar:
 *
 *   REQUEST  create the item, or update it when SEQUENCE (then DTSTAMP) is
 *            newer (RFC 5546 2.1.5); render the message for IMAP/POP3
 *   CANCEL   mark the series or the occurrence cancelled (3.2.5); render
 *            the message as a request is
 *   REPLY    set the answering attendee's PARTSTAT on the organizer's item
 *            (3.2.3), if the reply comes from that attendee
 *   COUNTER, REFRESH, DECLINECOUNTER, ADD: delivered as mail, not applied:
 *            RFC 5546 3.2.6-3.2.8 leave them to the organizer (accept a
 *            counter-proposal, re-send the request), which needs a person
 *
 * A REQUEST or CANCEL that a local organizer sent from their own mail
 * client also updates the organizer's calendar (see cal_organizer_copy()).
 *
 * The decision is made twice: in the hook, before the message is written,
 * to know whether to render it and with which link; and again in the
 * commit callback, inside the delivery transaction, on what the store
 * holds then, which is what gets saved and logged. Bad iCalendar never
 * stops delivery: the message is stored as it came and the reason logged.
 */
#include "cal-private.h"
#include "deliver.h"
#include "imip.h"
#include "imip-item.h"
#include "log.h"
#include "mime.h"
#include "mime-build.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"

#include <string.h>

/* Calendar parts looked at in one message. */
#define CAL_MAX_SOURCES 8

struct cal_source {
	const char *text;
	size_t size;
	const char *ct_method;  /* Content-Type method=, or NULL */
	int rank;               /* 0 inline text/calendar, 1 attached, 2 .ics */
};

struct cal_scan {
	struct cal_source src[CAL_MAX_SOURCES];
	unsigned int count;
};

/* One recipient's iMIP message; lives in the delivery batch's pool. */
struct cal_msg {
	struct pool *pool;
	const struct conf *conf;
	struct store_user user;
	const char *msgid;
	const char *source;           /* for the item: "imip:<msgid>" */
	const char *from;             /* From addr-specs, ", "-separated, or NULL */
	const char *envelope_sender;  /* or NULL */
	bool from_this_server;        /* deliver_request.from_this_server */
	struct imip_calendar *cal;
	const char *ics;
	size_t ics_size;
	const char *token;            /* the link in the rendered message, or NULL */
};

struct cal_verdict {
	const char *what;             /* "added", "ignored: older sequence", ... */
	const char *detail;           /* for the log, or NULL */
	bool warning;                 /* log as a warning */
	bool save;
	bool render;
	bool update;
	bool item_exists;
	const char *existing_token;
	struct store_cal_item item;
};

/* --- finding the calendar --- */

/* Cheap test on the raw bytes before GMime parses anything: a calendar
   part must say so in a Content-Type or a file name. */
static bool cal_maybe_calendar(const unsigned char *data, size_t size)
{
	return mem_imem(data, size, "text/calendar", 13) != NULL ||
		mem_imem(data, size, "application/ics", 15) != NULL ||
		mem_imem(data, size, ".ics", 4) != NULL;
}

static void cal_scan_cb(void *context, const struct mime_leaf *leaf)
{
	struct cal_scan *scan = context;
	size_t flen = leaf->filename != NULL ? strlen(leaf->filename) : 0;
	int rank;

	if (strcmp(leaf->type, "text") == 0 && strcmp(leaf->subtype, "calendar") == 0)
		rank = leaf->attachment ? 1 : 0;
	else if ((strcmp(leaf->type, "application") == 0 && strcmp(leaf->subtype, "ics") == 0) ||
		 (flen >= 4 && str_iequal(leaf->filename + flen - 4, ".ics")))
		rank = 2;
	else
		return;
	if (scan->count == CAL_MAX_SOURCES)
		return;
	scan->src[scan->count].text = (const char *)leaf->data;
	scan->src[scan->count].size = leaf->size;
	scan->src[scan->count].ct_method = leaf->method;
	scan->src[scan->count].rank = rank;
	scan->count++;
}

/*
 * Parse the best calendar part: inline text/calendar first (RFC 6047 2.4),
 * then attached ones. METHOD comes from the VCALENDAR, or from the
 * Content-Type when the object has none. 1 found, 0 no calendar part,
 * -1 only bad ones (*error_r).
 */
static int cal_find(struct pool *pool, struct cal_msg *m, const unsigned char *data,
		    size_t size, const char **error_r)
{
	struct cal_scan scan = { .count = 0 };

	mime_foreach_leaf(pool, data, size, cal_scan_cb, &scan);
	if (scan.count == 0)
		return 0;
	*error_r = "unreadable";
	for (int rank = 0; rank <= 2; rank++) {
		for (unsigned int i = 0; i < scan.count; i++) {
			struct cal_source *src = &scan.src[i];
			struct imip_calendar *cal;
			const char *error;

			if (src->rank != rank)
				continue;
			if (imip_parse(pool, src->text, src->size, &cal, &error) < 0) {
				*error_r = error;
				continue;
			}
			if (cal->method == IMIP_METHOD_NONE && src->ct_method != NULL)
				cal->method = imip_method_parse(src->ct_method);
			m->cal = cal;
			m->ics = src->text;
			m->ics_size = src->size;
			return 1;
		}
	}
	return -1;
}

/* --- deciding --- */

static bool cal_from_matches(const struct cal_msg *m, const char *address)
{
	const char *p = m->from;

	if (address == NULL)
		return false;
	if (m->envelope_sender != NULL && str_iequal(m->envelope_sender, address))
		return true;
	/* m->from is "a@b, c@d" */
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len == strlen(address) && mem_iequal(p, address, len))
			return true;
		p = end != NULL ? end + 1 : NULL;
		while (p != NULL && *p == ' ')
			p++;
	}
	return false;
}

static const struct imip_event *cal_first_event(const struct imip_calendar *cal)
{
	return cal->master != NULL ? cal->master : &cal->events[0];
}

/* The stored event the incoming one is about: the same occurrence, else
   the series. */
static const struct imip_event *cal_stored_event(const struct imip_calendar *stored,
						 const struct imip_event *ev)
{
	const struct imip_event *found = NULL;

	if (stored == NULL)
		return NULL;
	if (ev->recurrence_id.set)
		found = imip_calendar_find_event(stored, &ev->recurrence_id);
	return found != NULL ? found : cal_first_event(stored);
}

/* RFC 5546 2.1.5: SEQUENCE first, then DTSTAMP. <0 older, 0 same, >0 newer */
static int cal_compare_version(const struct imip_event *incoming,
			       const struct imip_event *stored)
{
	if (stored == NULL)
		return 1;
	if (incoming->sequence != stored->sequence)
		return incoming->sequence > stored->sequence ? 1 : -1;
	if (incoming->dtstamp != stored->dtstamp)
		return incoming->dtstamp > stored->dtstamp ? 1 : -1;
	return 0;
}

/*
 * Is the message about a meeting we know from its organizer? The stored
 * item says who that is (its ORGANIZER, and the SENT-BY stored with it);
 * what a new message declares about itself proves nothing. (A first
 * invitation has nothing to be checked against: a stranger's invitation
 * is mail like any other, and invitation services send from addresses
 * of their own.)
 */
static bool cal_from_organizer(const struct cal_msg *m,
			       const struct store_cal_item *old,
			       const struct imip_calendar *stored)
{
	const struct imip_event *ev = stored == NULL ? NULL :
		stored->master != NULL ? stored->master : &stored->events[0];

	return cal_from_matches(m, old->organizer) ||
		(ev != NULL && cal_from_matches(m, ev->organizer_sent_by));
}

static bool cal_is_attendee(const struct imip_calendar *cal, const char *address)
{
	for (unsigned int i = 0; i < cal->event_count; i++) {
		if (imip_event_find_attendee(&cal->events[i], address) != NULL)
			return true;
	}
	return false;
}

static void cal_malformed(struct cal_verdict *v, const char *error)
{
	v->what = "malformed";
	v->detail = error;
	v->warning = true;
	v->save = false;
	v->render = false;
}

/* The item (re)built from ical; false with the verdict set on errors. */
static bool cal_fill(struct cal_msg *m, struct pool *pool, struct cal_verdict *v,
		     const char *ical)
{
	const char *error;

	if (cal_item_fill(pool, &v->item, ical, m->user.address, &error) < 0) {
		cal_malformed(v, error);
		return false;
	}
	v->item.user_id = m->user.id;
	v->item.source = m->source;
	return true;
}

/* Verdict: save old changed to ical. false (verdict malformed) if the new
   text cannot be read. */
static bool cal_save(struct cal_msg *m, struct pool *pool, struct cal_verdict *v,
		     const struct store_cal_item *old, const char *ical,
		     const char *what, const char *detail)
{
	v->item = *old;
	if (!cal_fill(m, pool, v, ical))
		return false;
	v->what = what;
	v->detail = detail;
	v->save = true;
	return true;
}

/*
 * Keep answers the organizer may not have seen yet: when SEQUENCE did not
 * change (no significant change, RFC 5546 2.1.4), a NEEDS-ACTION in the new
 * request does not undo an answer the stored item has. For an attendee's
 * item that is their own answer; for the organizer's item, the replies
 * that came in.
 */
static const char *cal_keep_answers(struct pool *pool, const char *ical,
				    const struct imip_calendar *incoming,
				    const struct imip_calendar *stored, const char *only)
{
	const struct imip_event *ev = cal_first_event(incoming);
	const struct imip_event *prev = stored != NULL ? cal_first_event(stored) : NULL;
	const char *error;

	if (prev == NULL || ev->sequence != prev->sequence)
		return ical;
	for (unsigned int i = 0; i < prev->attendee_count; i++) {
		const struct imip_attendee *a = &prev->attendees[i];
		const struct imip_attendee *now = imip_event_find_attendee(ev, a->address);
		const char *kept;

		if (only != NULL && !str_iequal(a->address, only))
			continue;
		if (now == NULL || strcmp(now->partstat, "NEEDS-ACTION") != 0 ||
		    strcmp(a->partstat, "NEEDS-ACTION") == 0)
			continue;
		if (imip_item_set_partstat(pool, ical, a->address, a->partstat, NULL, &kept,
					   &error) == 0)
			ical = kept;
	}
	return ical;
}

static void cal_decide_request(struct cal_msg *m, struct pool *pool,
			       const struct store_cal_item *old,
			       const struct imip_calendar *stored, struct cal_verdict *v)
{
	const struct imip_event *first = cal_first_event(m->cal);
	const struct imip_event *prev;
	const char *ical, *error;
	bool organizer = first->organizer != NULL &&
		str_iequal(first->organizer, m->user.address);
	int cmp;

	for (unsigned int i = 0; i < m->cal->event_count; i++) {
		if (!m->cal->events[i].start.set) {
			cal_malformed(v, "VEVENT without a usable DTSTART");
			return;
		}
	}
	if (organizer) {
		/* A copy for the organizer themself. Their meetings are saved
		   where they make them (web access, CalDAV), so mail naming
		   them organizer only counts when this server made it: a From
		   from outside proves nothing, and an outsider must not be
		   able to plant or change a local organizer's meeting. */
		if (!m->from_this_server) {
			v->what = "ignored: an organizer's copy this server did not make";
			v->detail = p_printf(pool, "from=%s", log_value(m->from));
			v->warning = true;
			return;
		}
	} else if (!cal_is_attendee(m->cal, m->user.address)) {
		v->what = "not an attendee";
		return;
	} else if (old != NULL && !cal_from_organizer(m, old, stored)) {
		/* RFC 5546 3.2.2: only the organizer updates a meeting */
		v->what = "ignored: not sent by the organizer";
		v->detail = p_printf(pool, "from=%s organizer=%s", log_value(m->from),
				     log_value(old->organizer));
		v->warning = true;
		return;
	}
	if (old == NULL) {
		if (imip_item_from_request(pool, m->ics, m->ics_size, NULL, &ical, &error) < 0) {
			cal_malformed(v, error);
			return;
		}
		memset(&v->item, 0, sizeof(v->item));
		if (!cal_fill(m, pool, v, ical))
			return;
		v->what = organizer ? "added (organizer's copy)" : "added";
		v->save = true;
		v->render = !organizer;
		return;
	}
	if (cal_is_organizer(old, m->user.address) != organizer) {
		v->what = "ignored: the organizer differs from the item's";
		return;
	}
	/* only the organizer of the item may change it (RFC 5546 3.2.2) */
	if (old->organizer != NULL && (first->organizer == NULL ||
				       !str_iequal(old->organizer, first->organizer))) {
		v->what = "ignored: not from the meeting's organizer";
		v->detail = p_printf(pool, "item organizer=%s", log_value(old->organizer));
		return;
	}
	prev = cal_stored_event(stored, first);
	cmp = cal_compare_version(first, prev);
	if (cmp < 0) {
		v->what = "ignored: older sequence";
		v->detail = p_printf(pool, "sequence=%d stored=%d", first->sequence,
				     prev->sequence);
		return;
	}
	if (cmp == 0) {
		/* the same request again: nothing changes, but it is still a
		   meeting request for this item */
		v->what = "unchanged: same sequence and DTSTAMP";
		v->render = !organizer;
		return;
	}
	if (imip_item_from_request(pool, m->ics, m->ics_size, old->ical, &ical, &error) < 0) {
		cal_malformed(v, error);
		return;
	}
	ical = cal_keep_answers(pool, ical, m->cal, stored, organizer ? NULL : m->user.address);
	if (!cal_save(m, pool, v, old, ical, "updated",
		      p_printf(pool, "sequence=%d", first->sequence)))
		return;
	v->render = !organizer;
	v->update = true;
}

static void cal_decide_cancel(struct cal_msg *m, struct pool *pool,
			      const struct store_cal_item *old,
			      const struct imip_calendar *stored, struct cal_verdict *v)
{
	const struct imip_event *first = cal_first_event(m->cal);
	const struct imip_event *prev;
	const char *ical, *error, *what = NULL;

	if (old == NULL) {
		v->what = "ignored: cancel for an unknown meeting";
		return;
	}
	/* the organizer's own copy of their CANCEL: only one we made */
	if (cal_is_organizer(old, m->user.address) && !m->from_this_server) {
		v->what = "ignored: an organizer's copy this server did not make";
		v->detail = p_printf(pool, "from=%s", log_value(m->from));
		v->warning = true;
		return;
	}
	/* RFC 5546 3.2.5: only the organizer cancels */
	if (!cal_is_organizer(old, m->user.address) && !cal_from_organizer(m, old, stored)) {
		v->what = "ignored: not sent by the organizer";
		v->detail = p_printf(pool, "from=%s organizer=%s", log_value(m->from),
				     log_value(old->organizer));
		v->warning = true;
		return;
	}
	if (old->organizer != NULL && (first->organizer == NULL ||
				       !str_iequal(old->organizer, first->organizer))) {
		v->what = "ignored: not from the meeting's organizer";
		return;
	}
	prev = cal_stored_event(stored, first);
	if (prev != NULL && first->sequence < prev->sequence) {
		v->what = "ignored: older sequence";
		v->detail = p_printf(pool, "sequence=%d stored=%d", first->sequence,
				     prev->sequence);
		return;
	}
	ical = old->ical;
	for (unsigned int i = 0; i < m->cal->event_count; i++) {
		const struct imip_event *ev = &m->cal->events[i];
		const char *next;

		if (imip_item_cancel(pool, ical, ev->recurrence_id.set ? &ev->recurrence_id : NULL,
				     ev->sequence, &next, &error) < 0) {
			v->detail = p_printf(pool, "occurrence %s: %s",
					     imip_time_format_iso(pool, ev->recurrence_id.utc, false),
					     error);
			continue;
		}
		ical = next;
		what = ev->recurrence_id.set ?
			p_printf(pool, "occurrence=%s", imip_time_format_iso(
				pool, ev->recurrence_id.utc, ev->recurrence_id.all_day)) :
			"series";
	}
	if (what == NULL) {
		v->what = "ignored: nothing to cancel";
		return;
	}
	/* the attendee's copy says so in words too, as a request does; the
	   organizer's own copy is theirs alone */
	if (cal_save(m, pool, v, old, ical, "cancelled", what))
		v->render = !cal_is_organizer(old, m->user.address);
}

static void cal_decide_reply(struct cal_msg *m, struct pool *pool,
			     const struct store_cal_item *old,
			     const struct imip_calendar *stored, struct cal_verdict *v)
{
	const char *ical, *error, *applied = NULL;

	if (old == NULL) {
		v->what = "ignored: reply for an unknown meeting";
		return;
	}
	if (!cal_is_organizer(old, m->user.address)) {
		v->what = "ignored: reply to a meeting the recipient does not organize";
		return;
	}
	v->what = "ignored: no attendee in the reply";
	ical = old->ical;
	for (unsigned int i = 0; i < m->cal->event_count; i++) {
		const struct imip_event *ev = &m->cal->events[i];
		const struct imip_event *prev = cal_stored_event(stored, ev);

		for (unsigned int j = 0; j < ev->attendee_count; j++) {
			const struct imip_attendee *a = &ev->attendees[j];
			const char *next;

			const struct imip_attendee *known = prev != NULL ?
				imip_event_find_attendee(prev, a->address) : NULL;

			/* a reply counts only from the attendee, or from the
			   SENT-BY the organizer's item already has for them:
			   anyone can write a REPLY naming someone else, and
			   a SENT-BY it declares about itself proves nothing */
			if (!cal_from_matches(m, a->address) &&
			    !(known != NULL && cal_from_matches(m, known->sent_by))) {
				v->what = "ignored: reply not sent by the attendee";
				v->detail = p_printf(pool, "attendee=%s", log_value(a->address));
				continue;
			}
			if (!imip_partstat_valid(a->partstat)) {
				cal_malformed(v, "invalid PARTSTAT in reply");
				continue;
			}
			if (prev != NULL && ev->sequence < prev->sequence) {
				v->what = "ignored: reply to an older sequence";
				v->detail = p_printf(pool, "attendee=%s sequence=%d stored=%d",
						     log_value(a->address), ev->sequence,
						     prev->sequence);
				continue;
			}
			if (imip_item_set_partstat(pool, ical, a->address, a->partstat,
						   ev->recurrence_id.set ? &ev->recurrence_id : NULL,
						   &next, &error) < 0) {
				v->what = strcmp(error, "not an attendee") == 0 ?
					"ignored: reply from someone not invited" :
					"ignored: reply for no occurrence of the meeting";
				v->detail = p_printf(pool, "attendee=%s", log_value(a->address));
				continue;
			}
			/* what they said with it, for the organizer's view */
			if (imip_item_set_comment(pool, next, a->address, ev->comment,
						  ev->recurrence_id.set ? &ev->recurrence_id : NULL,
						  &ical, &error) < 0)
				ical = next;
			applied = p_printf(pool, "attendee=%s partstat=%s%s%s", log_value(a->address),
					   a->partstat, ev->recurrence_id.set ? " occurrence=" : "",
					   ev->recurrence_id.set ? imip_time_format_iso(
						   pool, ev->recurrence_id.utc, false) : "");
		}
	}
	if (applied == NULL)
		return;
	v->warning = false;
	cal_save(m, pool, v, old, ical, "reply applied", applied);
	/* RFC 6638 3.2.10: an attendee's answer merged into the organizer's
	   copy does not change its Schedule-Tag, so the organizer's client
	   can still write with If-Schedule-Tag-Match */
	v->item.keep_schedule_tag = true;
}

/* What this message does to the recipient's calendar now. -1 if the store
   failed (nothing decided). */
static int cal_decide(struct cal_msg *m, struct store *store, struct pool *pool,
		      struct cal_verdict *v)
{
	struct store_cal_item old;
	struct imip_calendar *stored = NULL;
	const char *error;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = store_cal_item_lookup(store, m->user.id, m->cal->uid, pool, &old);
	if (ret < 0)
		return -1;
	if (ret > 0) {
		v->item_exists = true;
		v->existing_token = old.token;
		if (imip_parse(pool, old.ical, strlen(old.ical), &stored, &error) < 0)
			stored = NULL;
	}
	switch (m->cal->method) {
	case IMIP_METHOD_REQUEST:
		cal_decide_request(m, pool, ret > 0 ? &old : NULL, stored, v);
		break;
	case IMIP_METHOD_CANCEL:
		cal_decide_cancel(m, pool, ret > 0 ? &old : NULL, stored, v);
		break;
	case IMIP_METHOD_REPLY:
		cal_decide_reply(m, pool, ret > 0 ? &old : NULL, stored, v);
		break;
	default:
		/* COUNTER, REFRESH, DECLINECOUNTER, ADD: RFC 5546 leaves them
		   to the organizer (3.2.6-3.2.8): delivered as mail only */
		v->what = "not processed";
		v->detail = "left to the organizer (RFC 5546)";
		break;
	}
	return 0;
}

static void cal_log(const struct cal_msg *m, const struct cal_verdict *v)
{
	log_msg(v->warning ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, "cal",
		"imip %s method=%s user=%s uid=%s msgid=%s%s%s", v->what,
		m->cal->method_name != NULL ? log_value(m->cal->method_name) :
		imip_method_name(m->cal->method),
		log_value(m->user.address), log_value(m->cal->uid), log_value(m->msgid),
		v->detail != NULL ? " " : "", v->detail != NULL ? v->detail : "");
}

/* --- link tokens made before the item exists --- */

/*
 * A new item's token goes into the message before the item is saved. Two
 * messages of one delivery batch for the same user and UID (a request and
 * its update, or one recipient given twice) must link to the one item
 * the first of them creates, so the tokens made are remembered per batch
 * (per thread: each delivery thread runs its own batches).
 */
struct cal_pending {
	struct cal_pending *next;
	struct pool *pool;
	int64_t user_id;
	const char *uid;
	const char *token;
};
static _Thread_local struct cal_pending *cal_pending_list;

static void cal_pending_forget(void *context)
{
	struct pool *pool = context;
	struct cal_pending **p = &cal_pending_list;

	while (*p != NULL) {
		if ((*p)->pool == pool)
			*p = (*p)->next;
		else
			p = &(*p)->next;
	}
}

static const char *cal_pending_token(struct pool *pool, int64_t user_id, const char *uid)
{
	struct cal_pending *entry;
	bool pool_known = false;
	char token[64];

	for (entry = cal_pending_list; entry != NULL; entry = entry->next) {
		if (entry->pool != pool)
			continue;
		pool_known = true;
		if (entry->user_id == user_id && strcmp(entry->uid, uid) == 0)
			return entry->token;
	}
	secret_token(token, sizeof(token), CAL_TOKEN_BYTES);
	entry = p_new(pool, struct cal_pending, 1);
	entry->pool = pool;
	entry->user_id = user_id;
	entry->uid = p_strdup(pool, uid);
	entry->token = p_strdup(pool, token);
	entry->next = cal_pending_list;
	cal_pending_list = entry;
	if (!pool_known)
		pool_add_cleanup(pool, cal_pending_forget, pool);
	return entry->token;
}

/* --- the organizer's copy --- */

/*
 * A request or cancel sent by a local user from their mail client reaches
 * local attendees through delivery, but never passes the organizer's own
 * calendar. Keep it there too, as Exchange does when the organizer sends:
 * then the attendees' replies have an item to update, and the organizer
 * sees the meeting in the web access. Only when the message comes from
 * the organizer (From or envelope sender) and made by this server, so
 * nobody else can put meetings in their calendar; nothing for the
 * recipient depends on this.
 */
static int cal_organizer_copy(struct cal_msg *m, struct store *store)
{
	const struct imip_event *first = cal_first_event(m->cal);
	struct cal_msg copy;
	struct cal_verdict v;
	int ret;

	if ((m->cal->method != IMIP_METHOD_REQUEST && m->cal->method != IMIP_METHOD_CANCEL) ||
	    first->organizer == NULL || str_iequal(first->organizer, m->user.address) ||
	    !cal_from_matches(m, first->organizer))
		return 0;
	/* A From (or envelope sender) naming a local user proves nothing in
	   mail from outside: only what this server sent for its own user may
	   touch that user's calendar. Their meetings are made in the web
	   access or by CalDAV, which keep the organizer's item themselves. */
	if (!m->from_this_server) {
		if (store_user_lookup(store, first->organizer, m->pool, &copy.user) > 0)
			log_info("cal", "imip ignored for the organizer: an organizer's copy this"
				 " server did not make method=%s user=%s uid=%s msgid=%s",
				 imip_method_name(m->cal->method), log_value(first->organizer),
				 log_value(m->cal->uid), log_value(m->msgid));
		return 0;
	}
	copy = *m;
	copy.token = NULL;
	ret = store_user_lookup(store, first->organizer, m->pool, &copy.user);
	if (ret <= 0)
		return ret;
	if (cal_decide(&copy, store, m->pool, &v) < 0)
		return -1;
	if (!v.save)
		return 0;
	if (store_cal_item_save(store, &v.item, m->pool) < 0)
		return -1;
	cal_log(&copy, &v);
	return 0;
}

/* --- the hook --- */

static int cal_commit(void *context, struct store *store, int64_t mailbox_id, uint32_t uid)
{
	struct cal_msg *m = context;
	struct cal_verdict v;

	(void)mailbox_id;
	(void)uid;
	if (cal_decide(m, store, m->pool, &v) < 0)
		return -1;
	if (m->token != NULL) {
		if (v.item_exists && strcmp(v.existing_token, m->token) != 0) {
			/* another process created the item since the hook ran:
			   the message would link to nothing. Fail this
			   delivery; the retry links to the item that exists. */
			log_warning("cal", "imip calendar item appeared during delivery, retrying"
				    " user=%s uid=%s msgid=%s", log_value(m->user.address),
				    log_value(m->cal->uid), log_value(m->msgid));
			return -1;
		}
		if (!v.item_exists)
			v.item.token = m->token;
	}
	if (v.save && store_cal_item_save(store, &v.item, m->pool) < 0)
		return -1;
	cal_log(m, &v);
	return cal_organizer_copy(m, store);
}

/* Message-ID (without <>) and the From addresses, from one look at the
   header block. */
static void cal_message_headers(struct pool *pool, const unsigned char *data, size_t size,
				const char **msgid_r, const char **from_r)
{
	static const char *const names[] = { "Message-ID", "From", NULL };
	struct mime_build_header *headers;
	unsigned int count = mime_build_copy_headers(pool, data,
						     cal_header_block_size(data, size),
						     names, &headers);

	*msgid_r = *from_r = NULL;
	for (unsigned int i = count; i-- > 0;) {
		if (str_iequal(headers[i].name, "From")) {
			*from_r = mime_address_list_addrs(pool, headers[i].value);
		} else {
			const char *id = headers[i].value;
			size_t len;

			while (*id == ' ' || *id == '\t' || *id == '\r' || *id == '\n' || *id == '<')
				id++;
			len = strlen(id);
			while (len > 0 && (id[len - 1] == '>' || id[len - 1] == ' ' ||
					   id[len - 1] == '\r' || id[len - 1] == '\n'))
				len--;
			*msgid_r = cal_header_text(pool, p_strndup(pool, id, len), 512);
		}
	}
}

void cal_deliver_hook(void *hook_context, struct pool *pool, struct store *store,
		      const struct conf *conf, const struct store_user *user,
		      const struct deliver_request *request,
		      struct deliver_hook_result *result)
{
	const unsigned char *data = request->data;
	size_t size = request->size;
	struct cal_verdict v;
	struct cal_msg *m;
	const char *error;
	int ret;

	(void)hook_context;
	if (!cal_maybe_calendar(data, size))
		return;
	m = p_new(pool, struct cal_msg, 1);
	m->pool = pool;
	m->conf = conf;
	m->user = *user;
	cal_message_headers(pool, data, size, &m->msgid, &m->from);
	ret = cal_find(pool, m, data, size, &error);
	if (ret == 0)
		return;
	if (ret < 0) {
		log_warning("cal", "imip malformed: delivered as plain mail user=%s msgid=%s"
			    " error=%s", log_value(user->address), log_value(m->msgid),
			    log_value(error));
		return;
	}
	if (m->cal->method == IMIP_METHOD_NONE || m->cal->method == IMIP_METHOD_PUBLISH) {
		log_info("cal", "imip no iTIP method: delivered as mail user=%s uid=%s msgid=%s",
			 log_value(user->address), log_value(m->cal->uid), log_value(m->msgid));
		return;
	}
	m->source = m->msgid != NULL ? p_printf(pool, "imip:<%s>", m->msgid) : "imip";
	m->envelope_sender = request->sender != NULL && *request->sender != '\0' ?
		request->sender : NULL;
	m->from_this_server = request->from_this_server;

	if (cal_decide(m, store, pool, &v) == 0 && v.render) {
		enum conf_calendar_format format = cal_user_format(conf, user);

		if (format != CONF_CALENDAR_FORMAT_ICALENDAR &&
		    (conf == NULL || conf->link_base == NULL)) {
			log_info("cal", "imip no web access for links: meeting request delivered"
				 " as iCalendar user=%s uid=%s msgid=%s", log_value(user->address),
				 log_value(m->cal->uid), log_value(m->msgid));
		} else if (format != CONF_CALENDAR_FORMAT_ICALENDAR) {
			struct cal_render render = {
				.format = format,
				.update = v.update,
				.cal = m->cal,
				.ics = p_strndup(pool, m->ics, m->ics_size),
				.zone = user->timezone,
			};

			m->token = v.item_exists ? v.existing_token :
				cal_pending_token(pool, user->id, m->cal->uid);
			render.link = cal_item_link(pool, conf, m->token);
			cal_render_request(pool, data, size, &render, &result->data,
					   &result->size);
		}
	}
	result->commit = cal_commit;
	result->commit_context = m;
}
