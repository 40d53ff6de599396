/*
 * Implicit scheduling for CalDAV (RFC 6638 3.2): what a calendar client
 * PUTs or DELETEs is a change of the user's calendar, and the server, not
 * the client, tells the other people concerned. Messages go the way every
 * other iMIP message of ours goes (cal_send(): local attendees through
 * delivery, so their calendars process it exactly as mail from outside;
 * everyone else through the outbound queue), so a meeting made in
 * Thunderbird reaches a local attendee's INBOX, calendar and link as one
 * made in the web access does.
 *
 * Order: the user's own item is saved first (a REPLY that arrives at once
 * finds it), then the messages go, then the item gets each attendee's
 * SCHEDULE-STATUS (RFC 6638 7.3) in a second save.
 */
#include "cal-private.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "imip-sched.h"
#include "log.h"
#include "mime.h"
#include "mime-build.h"
#include "pool.h"
#include "store.h"
#include "strutil.h"

#include <string.h>
#include <time.h>

/* Attendees one PUT may schedule at most. */
#define CAL_SCHED_MAX_ATTENDEES 200

static bool cal_same_address(const char *a, const char *b)
{
	return a != NULL && b != NULL && str_iequal(a, b);
}

/* Send one iTIP text to recipients. 0, or -1 (logged). */
static int cal_sched_send(struct pool *pool, struct store *store,
			  const struct conf *conf, const struct store_user *user,
			  const char *const *recipients, unsigned int count,
			  const char *ics, const char *method, const char *summary)
{
	struct mime_build_header headers[6];
	const char *to = "", *subject, *error, *text;
	const unsigned char *data;
	size_t size;

	for (unsigned int i = 0; i < count; i++)
		to = p_printf(pool, "%s%s%s", to, i == 0 ? "" : ",\r\n ", recipients[i]);
	if (strcmp(method, "CANCEL") == 0) {
		subject = p_printf(pool, "Cancelled: %s", summary);
		text = p_printf(pool, "This meeting has been cancelled:\n\n%s\n", summary);
	} else {
		subject = p_printf(pool, "Invitation: %s", summary);
		text = p_printf(pool, "You are invited to a meeting:\n\n%s\n", summary);
	}
	headers[0].name = "From";
	headers[0].value =
		cal_mailbox_header(pool, user->display_name, user->address);
	headers[1].name = "To";
	headers[1].value = to;
	headers[2].name = "Subject";
	headers[2].value = mime_encode_text(pool, cal_header_text(pool, subject, 900));
	cal_imip_message(pool, conf, headers, 3, text, ics, method, &data, &size);
	if (cal_send(store, conf, user->address, recipients, count, data, size, &error) < 0)
		return -1;
	return 0;
}

static const char *cal_summary(const struct imip_calendar *cal)
{
	const struct imip_event *ev = cal->master != NULL ? cal->master : &cal->events[0];

	return ev->summary != NULL && *ev->summary != '\0' ? ev->summary : "(no title)";
}

/* Is address among the server-scheduled attendees of r? */
static bool cal_sched_has(const struct imip_sched_recipients *r, const char *address)
{
	for (unsigned int i = 0; i < r->attendee_count; i++) {
		if (cal_same_address(r->attendees[i].address, address))
			return true;
	}
	return false;
}

/*
 * The organizer changed (or made) a meeting: REQUEST to the attendees
 * when something they care about changed, CANCEL to those taken off.
 * *ical_r is the text to store (SEQUENCE raised where needed, with
 * SCHEDULE-STATUS).
 */
static int cal_sched_organizer(struct pool *pool, struct store *store,
			       const struct conf *conf, const struct store_user *user,
			       const char *old_ical, const char *ical,
			       const char **ical_r)
{
	struct imip_sched_recipients now, before;
	struct imip_calendar *cal, *old_cal = NULL;
	const char **local, **remote, **addrs, **statuses;
	unsigned int nlocal = 0, nremote = 0, naddr = 0;
	const char *error, *request, *summary;
	bool significant = true;
	time_t t = time(NULL);

	*ical_r = ical;
	if (imip_sched_recipients(pool, ical, &now, &error) < 0 ||
	    imip_parse(pool, ical, strlen(ical), &cal, &error) < 0) {
		log_warning("cal", "schedule: cannot read user=%s: %s",
			    log_value(user->address), error);
		return 0;
	}
	memset(&before, 0, sizeof(before));
	if (old_ical != NULL &&
	    (imip_sched_recipients(pool, old_ical, &before, &error) < 0 ||
	     imip_parse(pool, old_ical, strlen(old_ical), &old_cal, &error) < 0))
		old_cal = NULL;
	if (old_cal != NULL) {
		significant = imip_sched_significant_change(old_cal, cal);
		/* RFC 5546 2.1.4: an update the attendees see has a higher
		   SEQUENCE; raise it when the client did not */
		if (significant && cal->master != NULL && old_cal->master != NULL &&
		    cal->master->sequence <= old_cal->master->sequence) {
			if (imip_sched_sequence(pool, ical, old_cal->master->sequence + 1,
						&ical, &error) < 0 ||
			    imip_parse(pool, ical, strlen(ical), &cal, &error) < 0)
				return -1;
		}
	}
	summary = cal_summary(cal);
	if (now.attendee_count > CAL_SCHED_MAX_ATTENDEES)
		return -1;

	/* taken off the meeting: a CANCEL of what they were invited to */
	for (unsigned int i = 0; old_cal != NULL && i < before.attendee_count; i++) {
		const char *a = before.attendees[i].address;
		const char *cancel;

		if (!before.attendees[i].server || cal_same_address(a, user->address) ||
		    cal_sched_has(&now, a))
			continue;
		if (imip_sched_itip(pool, old_ical, IMIP_METHOD_CANCEL, a, t, &cancel,
				    &error) < 0)
			continue;
		if (cal_sched_send(pool, store, conf, user, &a, 1, cancel, "CANCEL",
				   summary) == 0)
			log_info("cal", "schedule cancel sent user=%s uid=%s to=%s",
				 log_value(user->address), log_value(cal->uid), log_value(a));
	}
	if (!significant) {
		*ical_r = ical;
		return 0;
	}
	local = p_new(pool, const char *, now.attendee_count + 1);
	remote = p_new(pool, const char *, now.attendee_count + 1);
	addrs = p_new(pool, const char *, now.attendee_count + 1);
	statuses = p_new(pool, const char *, now.attendee_count + 1);
	for (unsigned int i = 0; i < now.attendee_count; i++) {
		const char *a = now.attendees[i].address;
		struct store_user u;
		int r;

		if (!now.attendees[i].server || cal_same_address(a, user->address) ||
		    !str_is_address(a))
			continue;
		r = store_user_lookup(store, a, pool, &u);
		if (r < 0)
			return -1;
		if (r > 0)
			local[nlocal++] = a;
		else
			remote[nremote++] = a;
	}
	if (nlocal + nremote == 0) {
		*ical_r = ical;
		return 0;
	}
	if (imip_sched_itip(pool, ical, IMIP_METHOD_REQUEST, NULL, t, &request, &error) < 0) {
		log_warning("cal", "schedule: cannot build REQUEST user=%s uid=%s: %s",
			    log_value(user->address), log_value(cal->uid), error);
		return 0;
	}
	/* RFC 6638 7.3: 1.2 delivered (local), 1.1 sent (queued for the
	   relay), 5.1 could not be delivered */
	if (nlocal > 0) {
		int r = cal_sched_send(pool, store, conf, user, local, nlocal, request,
				       "REQUEST", summary);

		for (unsigned int i = 0; i < nlocal; i++) {
			addrs[naddr] = local[i];
			statuses[naddr++] = r == 0 ? "1.2" : "5.1";
		}
	}
	if (nremote > 0) {
		int r = cal_sched_send(pool, store, conf, user, remote, nremote, request,
				       "REQUEST", summary);

		for (unsigned int i = 0; i < nremote; i++) {
			addrs[naddr] = remote[i];
			statuses[naddr++] = r == 0 ? "1.1" : "5.1";
		}
	}
	log_info("cal", "schedule request sent user=%s uid=%s local=%u remote=%u",
		 log_value(user->address), log_value(cal->uid), nlocal, nremote);
	if (imip_sched_set_status(pool, ical, addrs, statuses, naddr, ical_r, &error) < 0)
		*ical_r = ical;
	return 1;
}

/* The attendee changed their copy: a REPLY for each answer they changed. */
static void cal_sched_attendee(struct pool *pool, struct store *store,
			       const struct conf *conf, const struct store_user *user,
			       const struct store_cal_item *old, const char *ical)
{
	struct imip_calendar *cal, *old_cal;
	struct imip_sched_answer *answers, *old_answers;
	unsigned int count, old_count;
	const char *error;

	if (old == NULL ||
	    imip_parse(pool, ical, strlen(ical), &cal, &error) < 0 ||
	    imip_parse(pool, old->ical, strlen(old->ical), &old_cal, &error) < 0 ||
	    imip_sched_partstats(pool, cal, user->address, &answers, &count) <= 0 ||
	    imip_sched_partstats(pool, old_cal, user->address, &old_answers, &old_count) < 0)
		return;
	for (unsigned int i = 0; i < count; i++) {
		const struct imip_sched_answer *was =
			imip_sched_answer_find(old_answers, old_count, answers[i].rid);
		struct store_cal_item tmp;
		enum cal_partstat answer;
		const unsigned char *data;
		size_t size;
		time_t rid = answers[i].rid != NULL && answers[i].rid->set ?
			answers[i].rid->utc : 0;
		const char *organizer;

		if (answers[i].partstat == NULL ||
		    (was != NULL && was->partstat != NULL &&
		     strcmp(was->partstat, answers[i].partstat) == 0))
			continue;
		if (cal_partstat_parse(answers[i].partstat, &answer) < 0 ||
		    answer == CAL_PARTSTAT_NEEDS_ACTION || answer == CAL_PARTSTAT_DELEGATED)
			continue;
		memset(&tmp, 0, sizeof(tmp));
		tmp.ical = ical;
		tmp.uid = cal->uid;
		organizer = cal->master != NULL ? cal->master->organizer :
			cal->events[0].organizer;
		if (organizer == NULL)
			return;
		if (cal_reply_message(pool, conf, &tmp, user, answer, rid, NULL,
				      &data, &size, &error) < 0)
			continue;
		if (cal_send(store, conf, user->address, &organizer, 1, data, size,
			     &error) == 0)
			log_info("cal", "schedule reply sent user=%s uid=%s partstat=%s",
				 log_value(user->address), log_value(cal->uid),
				 answers[i].partstat);
	}
}

int cal_dav_put(struct store *store, const struct conf *conf,
		const struct store_user *user, const struct cal_dav_put *put,
		struct pool *pool, struct cal_dav_result *result_r)
{
	(void)conf;
	struct imip_calendar *cal;
	struct imip_sched_recipients rcpt;
	struct store_cal_item item, other;
	const char *error, *ical, *stored;
	bool organizer;
	int ret;

	memset(result_r, 0, sizeof(*result_r));
	if (put->size > IMIP_MAX_SIZE) {
		result_r->error = CAL_DAV_TOO_LARGE;
		return -1;
	}
	ical = p_strndup(pool, put->data, put->size);
	if (strlen(ical) != put->size ||
	    imip_parse(pool, ical, put->size, &cal, &error) < 0) {
		/* a task or journal entry: valid, but not what we keep */
		result_r->error = strlen(ical) == put->size &&
			strstr(ical, "BEGIN:VEVENT") == NULL &&
			(strstr(ical, "BEGIN:VTODO") != NULL ||
			 strstr(ical, "BEGIN:VJOURNAL") != NULL) ?
			CAL_DAV_UNSUPPORTED : CAL_DAV_INVALID;
		result_r->detail = strlen(ical) != put->size ? "NUL in the data" : error;
		return -1;
	}
	/* RFC 4791 4.1: a stored object carries no METHOD */
	if (cal->method != IMIP_METHOD_NONE) {
		result_r->error = CAL_DAV_INVALID;
		result_r->detail = "METHOD is not allowed in a calendar object resource";
		return -1;
	}
	if (put->old != NULL && strcmp(put->old->uid, cal->uid) != 0) {
		result_r->error = CAL_DAV_UID_CONFLICT;
		result_r->detail = "the UID of a resource cannot change";
		return -1;
	}
	if (put->old == NULL) {
		/* RFC 4791 5.3.2.1 and RFC 6638 3.2.4.1: one UID, one resource,
		   in every calendar of the user */
		ret = store_cal_item_lookup(store, user->id, cal->uid, pool, &other);
		if (ret < 0) {
			result_r->error = CAL_DAV_TEMP;
			return -1;
		}
		if (ret > 0) {
			result_r->error = CAL_DAV_UID_CONFLICT;
			result_r->conflict_collection = other.collection_id;
			result_r->conflict_href = other.href;
			return -1;
		}
	}
	/* stored as sent, unless scheduling must change it: SCHEDULE-STATUS
	   is the server's to set (RFC 6638 7.3) */
	stored = ical;
	if (strstr(ical, "SCHEDULE-") != NULL &&
	    imip_sched_clean(pool, ical, strlen(ical), &stored, &error) < 0) {
		result_r->error = CAL_DAV_INVALID;
		result_r->detail = error;
		return -1;
	}
	if (imip_sched_recipients(pool, stored, &rcpt, &error) < 0)
		memset(&rcpt, 0, sizeof(rcpt));
	organizer = rcpt.organizer != NULL && cal_same_address(rcpt.organizer, user->address);

	memset(&item, 0, sizeof(item));
	if (put->old != NULL) {
		item = *put->old;
	} else {
		item.user_id = user->id;
		item.collection_id = put->collection_id;
		item.href = put->href;
	}
	item.source = put->old != NULL && put->old->source != NULL ? put->old->source : "dav";
	if (cal_item_fill(pool, &item, stored, user->address, &error) < 0) {
		result_r->error = CAL_DAV_INVALID;
		result_r->detail = error;
		return -1;
	}
	item.keep_schedule_tag = false;
	if (store_cal_item_save(store, &item, pool) < 0) {
		result_r->error = store_last_error(store) == STORE_ERROR_EXISTS ?
			CAL_DAV_UID_CONFLICT : CAL_DAV_TEMP;
		return -1;
	}
	result_r->item = p_new(pool, struct store_cal_item, 1);
	*result_r->item = item;
	result_r->organizer = organizer && rcpt.attendee_count > 0;
	result_r->item_id = item.id;
	result_r->modseq = item.modseq;
	result_r->schedule_tag = item.schedule_tag;
	result_r->stored_as_sent = strcmp(stored, ical) == 0;
	log_info("cal", "dav put user=%s uid=%s href=%s %s", log_value(user->address),
		 log_value(item.uid), log_value(item.href),
		 put->old != NULL ? "updated" : "created");
	return 0;
}

int cal_dav_schedule(struct store *store, const struct conf *conf,
		     const struct store_user *user, const struct cal_dav_put *put,
		     struct pool *pool, struct cal_dav_result *result)
{
	struct store_cal_item *item = result->item;
	const char *final, *error;
	int ret;

	if (item == NULL)
		return 0;
	if (!result->organizer) {
		if (put->old != NULL)
			cal_sched_attendee(pool, store, conf, user, put->old, item->ical);
		return 0;
	}
	ret = cal_sched_organizer(pool, store, conf, user,
				  put->old != NULL ? put->old->ical : NULL,
				  item->ical, &final);
	if (ret < 0 || strcmp(final, item->ical) == 0)
		return 0;
	if (cal_item_fill(pool, item, final, user->address, &error) < 0)
		return 0;
	item->keep_schedule_tag = true;
	if (store_cal_item_save(store, item, pool) < 0)
		return -1;
	result->modseq = item->modseq;
	result->schedule_tag = item->schedule_tag;
	result->stored_as_sent = false;
	return 0;
}

/* CANCEL to every attendee the server schedules for, of ical (which has
   the SEQUENCE to send). 0 (also when there is nobody to tell), or -1
   when it could not be sent. */
static int cal_sched_cancel_all(struct pool *pool, struct store *store,
				const struct conf *conf, const struct store_user *user,
				const char *ical)
{
	struct imip_sched_recipients rcpt;
	struct imip_calendar *cal;
	const char *error, *cancel;
	const char **to;
	unsigned int n = 0;

	if (imip_sched_recipients(pool, ical, &rcpt, &error) < 0 ||
	    imip_parse(pool, ical, strlen(ical), &cal, &error) < 0)
		return -1;
	to = p_new(pool, const char *, rcpt.attendee_count + 1);
	for (unsigned int i = 0; i < rcpt.attendee_count; i++) {
		if (rcpt.attendees[i].server &&
		    !cal_same_address(rcpt.attendees[i].address, user->address) &&
		    str_is_address(rcpt.attendees[i].address))
			to[n++] = rcpt.attendees[i].address;
	}
	if (n == 0)
		return 0;
	if (imip_sched_itip(pool, ical, IMIP_METHOD_CANCEL, NULL, time(NULL),
			    &cancel, &error) < 0 ||
	    cal_sched_send(pool, store, conf, user, to, n, cancel, "CANCEL",
			   cal_summary(cal)) < 0)
		return -1;
	log_info("cal", "schedule cancel sent user=%s uid=%s attendees=%u",
		 log_value(user->address), log_value(cal->uid), n);
	return 0;
}

/* --- the organizer's changes from the web access --- */

/* The item item_id of user, which user organizes and which is not
   cancelled. 0, or -1 with *error_r (and *forbidden_r when it is not
   theirs to change). */
static int cal_meeting_own(struct store *store, const struct store_user *user,
			   int64_t item_id, struct pool *pool,
			   struct store_cal_item *item_r, bool *forbidden_r,
			   const char **error_r)
{
	int ret = store_cal_item_lookup_id(store, item_id, pool, item_r);

	*forbidden_r = false;
	if (ret < 0) {
		*error_r = "The calendar is busy. Please try again.";
		return -1;
	}
	if (ret == 0 || item_r->user_id != user->id) {
		*forbidden_r = true;
		*error_r = "There is no such meeting.";
		return -1;
	}
	if (item_r->organizer != NULL && !cal_is_organizer(item_r, user->address)) {
		*forbidden_r = true;
		*error_r = "Only the organizer can change this meeting.";
		return -1;
	}
	if (item_r->status != NULL && strcmp(item_r->status, "CANCELLED") == 0) {
		*error_r = "This meeting has been cancelled.";
		return -1;
	}
	return 0;
}

/* The answers to keep in the new text: each attendee's, unless the time
   or the recurrence changed (RFC 5546 2.1.4: then they are asked again). */
static const char *const *
cal_meeting_partstats(struct pool *pool, const struct imip_calendar *old,
		      const struct cal_new_meeting *meeting)
{
	const struct imip_event *ev = old->master != NULL ? old->master : &old->events[0];
	const char **partstats = p_new(pool, const char *, meeting->attendee_count + 1);
	enum imip_repeat repeat;
	unsigned int count;
	time_t until;

	if (imip_repeat_parse(ev->rrule, &repeat, &count, &until) <= 0 ||
	    (int)repeat != (int)meeting->repeat || count != meeting->repeat_count ||
	    (count == 0 && until != meeting->repeat_until) ||
	    ev->start.utc != meeting->start || ev->end.utc != meeting->end ||
	    ev->start.all_day != meeting->all_day)
		return partstats;
	for (unsigned int i = 0; i < meeting->attendee_count; i++) {
		const struct imip_attendee *a =
			imip_event_find_attendee(ev, meeting->attendees[i]);

		partstats[i] = a != NULL ? a->partstat : NULL;
	}
	return partstats;
}

int cal_update_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user, int64_t item_id,
		       const struct cal_new_meeting *meeting,
		       bool *forbidden_r, const char **error_r)
{
	struct pool *pool = pool_create(16384);
	struct store_cal_item item, old;
	struct imip_calendar *old_cal;
	struct cal_dav_put put;
	struct cal_dav_result result;
	const char *request, *ical, *error;
	int seq;

	if (cal_meeting_own(store, user, item_id, pool, &item, forbidden_r, error_r) < 0 ||
	    cal_meeting_check(user, meeting, error_r) < 0) {
		pool_destroy(&pool);
		return -1;
	}
	if (imip_parse(pool, item.ical, strlen(item.ical), &old_cal, &error) < 0) {
		log_error("cal", "cannot read meeting user=%s uid=%s: %s",
			  log_value(user->address), log_value(item.uid), error);
		*error_r = "This meeting cannot be changed here.";
		pool_destroy(&pool);
		return -1;
	}
	/* the SEQUENCE it has: scheduling raises it when the attendees see a
	   change, as it does for a CalDAV client's PUT */
	seq = old_cal->master != NULL ? old_cal->master->sequence : old_cal->events[0].sequence;
	if (cal_meeting_build(store, pool, user, meeting, item.uid, seq,
			      cal_meeting_partstats(pool, old_cal, meeting),
			      &request, &ical, &error) < 0) {
		log_error("cal", "cannot build meeting user=%s uid=%s: %s",
			  log_value(user->address), log_value(item.uid), error);
		*error_r = "The meeting could not be changed.";
		pool_destroy(&pool);
		return -1;
	}
	old = item;
	if (cal_item_fill(pool, &item, ical, user->address, &error) < 0 ||
	    (item.keep_schedule_tag = false, store_cal_item_save(store, &item, pool) < 0)) {
		log_error("cal", "cannot save meeting user=%s uid=%s: %s", log_value(user->address),
			  log_value(old.uid), store_last_error_detail(store));
		*error_r = "The meeting could not be saved. Please try again.";
		pool_destroy(&pool);
		return -1;
	}
	log_info("cal", "meeting changed user=%s uid=%s", log_value(user->address),
		 log_value(item.uid));
	/* then exactly what a CalDAV client's change of it does */
	memset(&put, 0, sizeof(put));
	put.old = &old;
	memset(&result, 0, sizeof(result));
	result.item = &item;
	result.organizer = true;
	if (cal_dav_schedule(store, conf, user, &put, pool, &result) < 0) {
		*error_r = "The meeting was changed, but not saved completely. Please check it.";
		pool_destroy(&pool);
		return -1;
	}
	pool_destroy(&pool);
	return 0;
}

int cal_cancel_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user, int64_t item_id,
		       bool *forbidden_r, const char **error_r)
{
	struct pool *pool = pool_create(16384);
	struct store_cal_item item;
	struct imip_calendar *cal;
	const char *ical, *error;
	int seq;

	if (cal_meeting_own(store, user, item_id, pool, &item, forbidden_r, error_r) < 0) {
		pool_destroy(&pool);
		return -1;
	}
	/* RFC 5546 3.2.5: the CANCEL has a higher SEQUENCE, the organizer's
	   copy says CANCELLED */
	if (imip_parse(pool, item.ical, strlen(item.ical), &cal, &error) < 0 ||
	    (seq = cal->master != NULL ? cal->master->sequence : cal->events[0].sequence,
	     imip_item_cancel(pool, item.ical, NULL, seq + 1, &ical, &error) < 0) ||
	    cal_item_fill(pool, &item, ical, user->address, &error) < 0) {
		log_error("cal", "cannot cancel meeting user=%s uid=%s: %s",
			  log_value(user->address), log_value(item.uid), error);
		*error_r = "This meeting cannot be cancelled here.";
		pool_destroy(&pool);
		return -1;
	}
	item.keep_schedule_tag = false;
	if (store_cal_item_save(store, &item, pool) < 0) {
		log_error("cal", "cannot save cancelled meeting user=%s uid=%s: %s",
			  log_value(user->address), log_value(item.uid),
			  store_last_error_detail(store));
		*error_r = "The meeting could not be cancelled. Please try again.";
		pool_destroy(&pool);
		return -1;
	}
	log_info("cal", "meeting cancelled user=%s uid=%s", log_value(user->address),
		 log_value(item.uid));
	if (cal_sched_cancel_all(pool, store, conf, user, item.ical) < 0) {
		*error_r = "The meeting was cancelled, but not every attendee could be told.";
		pool_destroy(&pool);
		return -1;
	}
	pool_destroy(&pool);
	return 0;
}

void cal_dav_delete_notify(struct store *store, const struct conf *conf,
			   const struct store_user *user,
			   const struct store_cal_item *item)
{
	struct pool *pool = pool_create(8192);
	struct imip_sched_recipients rcpt;
	struct imip_calendar *cal;
	const char *error, *ical;

	if (imip_sched_recipients(pool, item->ical, &rcpt, &error) < 0 ||
	    imip_parse(pool, item->ical, strlen(item->ical), &cal, &error) < 0 ||
	    rcpt.organizer == NULL) {
		pool_destroy(&pool);
		return;
	}
	if (cal_same_address(rcpt.organizer, user->address)) {
		/* the organizer deleted the meeting: CANCEL, one SEQUENCE on */
		int seq = cal->master != NULL ? cal->master->sequence : cal->events[0].sequence;

		if (strcmp(item->status != NULL ? item->status : "", "CANCELLED") != 0 &&
		    imip_sched_sequence(pool, item->ical, seq + 1, &ical, &error) == 0)
			(void)cal_sched_cancel_all(pool, store, conf, user, ical);
	} else if (item->partstat != NULL && strcmp(item->partstat, "DECLINED") != 0 &&
		   strcmp(item->status != NULL ? item->status : "", "CANCELLED") != 0) {
		/* RFC 6638 3.2.2.3: an attendee removing the meeting declines */
		const unsigned char *data;
		size_t size;
		const char *organizer = rcpt.organizer;

		if (cal_reply_message(pool, conf, item, user,
				      CAL_PARTSTAT_DECLINED, 0, NULL, &data,
				      &size, &error) == 0 &&
		    cal_send(store, conf, user->address, &organizer, 1, data,
			     size, &error) == 0)
			log_info("cal", "schedule decline sent user=%s uid=%s",
				 log_value(user->address), log_value(item->uid));
	}
	pool_destroy(&pool);
}
