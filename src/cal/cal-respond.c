/*
 * Acting on the calendar from the web access: answering a meeting request
 * (an iTIP REPLY to the organizer, RFC 5546 3.2.3) and creating a meeting
 * (a REQUEST to every attendee, 3.2.2), both sent as iMIP (RFC 6047).
 */
#include "cal-private.h"
#include "imip.h"
#include "imip-item.h"
#include "imip-itip.h"
#include "log.h"
#include "mime.h"
#include "mime-build.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"

#include <string.h>
#include <time.h>

const char *cal_mailbox_header(struct pool *pool, const char *name,
			       const char *address)
{
	if (name == NULL || *name == '\0' || str_iequal(name, address))
		return address;
	return mime_mailbox_header(pool, cal_header_text(pool, name, 200),
				   address);
}

/*
 * An iMIP message: the headers given plus Date and Message-ID, and a
 * multipart/alternative of text/plain and text/calendar;method=METHOD
 * (RFC 6047 2.4), CRLF line ends.
 */
void cal_imip_message(struct pool *pool, const struct conf *conf,
			     struct mime_build_header *headers, unsigned int count,
			     const char *text, const char *ics, const char *method,
			     const unsigned char **data_r, size_t *size_r)
{
	const char *params[] = { "method", method, NULL };
	struct mime_build_part parts[2], root;

	headers[count].name = "Date";
	headers[count++].value = mime_date_now(pool);
	headers[count].name = "Message-ID";
	headers[count++].value = mime_new_message_id(pool, conf->hostname);
	cal_text_part(&parts[0], "plain", NULL, text);
	cal_text_part(&parts[1], "calendar", params, ics);
	memset(&root, 0, sizeof(root));
	root.type = "multipart";
	root.subtype = "alternative";
	root.parts = parts;
	root.part_count = 2;
	mime_build_message(pool, headers, count, &root, true, data_r, size_r);
}

static const char *cal_answer_word(enum cal_partstat answer)
{
	switch (answer) {
	case CAL_PARTSTAT_ACCEPTED:
		return "Accepted";
	case CAL_PARTSTAT_TENTATIVE:
		return "Tentative";
	case CAL_PARTSTAT_DECLINED:
		return "Declined";
	default:
		return NULL;
	}
}

/* The REPLY message to the organizer of item. */
int cal_reply_message(struct pool *pool, const struct conf *conf,
		      const struct store_cal_item *item,
		      const struct store_user *user, enum cal_partstat answer,
		      time_t rid, const char *comment,
		      const unsigned char **data_r, size_t *size_r,
		      const char **error_r)
{
	struct imip_time rid_time = { .set = rid != 0, .utc = rid };
	struct imip_reply_params params = {
		.attendee = user->address,
		.partstat = cal_partstat_name(answer),
		.rid = rid != 0 ? &rid_time : NULL,
		.comment = comment,
		.now = time(NULL),
	};
	struct imip_calendar *cal;
	const struct imip_attendee *me;
	const struct imip_event *ev;
	struct mime_build_header headers[6];
	const char *ics, *error, *summary, *name, *who, *text, *local, *utc;

	if (imip_reply_build(pool, item->ical, &params, &ics, &error) < 0 ||
	    imip_parse(pool, ics, strlen(ics), &cal, &error) < 0) {
		log_error("cal", "cannot build REPLY uid=%s: %s", log_value(item->uid), error);
		*error_r = strcmp(error, "no such occurrence") == 0 ?
			"There is no such occurrence of this meeting." :
			"This meeting cannot be answered.";
		return -1;
	}
	ev = &cal->events[0];
	me = &ev->attendees[0];
	summary = ev->summary != NULL && *ev->summary != '\0' ? ev->summary : "(no title)";
	name = user->display_name != NULL ? user->display_name : me->name;
	who = name != NULL ? p_printf(pool, "%s <%s>", name, me->address) :
			     me->address;
	cal_render_when(pool, ev, NULL, &local, &utc);
	text = p_printf(pool, "%s has %s your meeting.\n\n%-10s %s\n%-10s %s\n%s%s%s%s%s",
			who, answer == CAL_PARTSTAT_ACCEPTED ? "accepted" :
			answer == CAL_PARTSTAT_TENTATIVE ? "tentatively accepted" : "declined",
			"Meeting:", summary, "When:", local,
			utc != NULL ? "           " : "", utc != NULL ? utc : "",
			utc != NULL ? "\n" : "",
			comment != NULL && *comment != '\0' ? "\nComment:\n" : "",
			comment != NULL && *comment != '\0' ? comment : "");
	headers[0].name = "From";
	headers[0].value = cal_mailbox_header(pool, name, user->address);
	headers[1].name = "To";
	headers[1].value = cal_mailbox_header(pool, ev->organizer_name, ev->organizer);
	headers[2].name = "Subject";
	headers[2].value = mime_encode_text(pool, cal_header_text(
		pool, p_printf(pool, "%s: %s", cal_answer_word(answer), summary), 900));
	/* replies are sent by software on the user's behalf (RFC 3834) */
	headers[3].name = "Auto-Submitted";
	headers[3].value = "auto-replied";
	cal_imip_message(pool, conf, headers, 4, text, ics, "REPLY", data_r, size_r);
	return 0;
}

int cal_respond_occurrence(struct store *store, const struct conf *conf,
			   const struct store_user *user, int64_t item_id,
			   time_t recurrence_id, enum cal_partstat answer,
			   const char *comment, const char **error_r)
{
	struct pool *pool = pool_create(8192);
	struct imip_time rid = { .set = recurrence_id != 0, .utc = recurrence_id };
	struct store_cal_item item;
	const unsigned char *data;
	const char *ical, *error, *organizer;
	size_t size;
	bool cancelled;
	int ret;

	ret = store_cal_item_lookup_id(store, item_id, pool, &item);
	if (ret <= 0 || item.user_id != user->id) {
		*error_r = ret < 0 ? "The calendar is busy. Please try again." :
			"There is no such meeting.";
		pool_destroy(&pool);
		return -1;
	}
	if (cal_answer_word(answer) == NULL) {
		*error_r = "Please choose Accept, Tentative or Decline.";
		pool_destroy(&pool);
		return -1;
	}
	if (cal_is_organizer(&item, user->address) || item.organizer == NULL) {
		*error_r = "You organize this meeting; there is nobody to answer.";
		pool_destroy(&pool);
		return -1;
	}
	cancelled = item.status != NULL && strcmp(item.status, "CANCELLED") == 0;
	if (cancelled && answer != CAL_PARTSTAT_DECLINED) {
		*error_r = "This meeting has been cancelled";
		pool_destroy(&pool);
		return -1;
	}
	if (imip_item_set_partstat(pool, item.ical, user->address, cal_partstat_name(answer),
				   &rid, &ical, &error) < 0) {
		*error_r = strcmp(error, "not an attendee") == 0 ?
			"You are not on the list of attendees of this meeting." :
			"There is no such occurrence of this meeting.";
		pool_destroy(&pool);
		return -1;
	}
	organizer = item.organizer;
	/* A cancelled meeting is declined here only: the organizer has
	   nothing to learn from it. Otherwise the REPLY goes first, so that a
	   failure to send changes nothing. */
	if (!cancelled) {
		if (cal_reply_message(pool, conf, &item, user, answer,
				      recurrence_id, comment, &data, &size,
				      error_r) < 0 ||
		    cal_send(store, conf, user->address, &organizer, 1, data,
			     size, error_r) < 0) {
			pool_destroy(&pool);
			return -1;
		}
	}
	if (cal_item_fill(pool, &item, ical, user->address, &error) < 0 ||
	    store_cal_item_save(store, &item, pool) < 0) {
		log_error("cal", "cannot save answer user=%s uid=%s: %s", log_value(user->address),
			  log_value(item.uid), store_last_error_detail(store));
		*error_r = "Your answer was sent but could not be saved. Please try again.";
		pool_destroy(&pool);
		return -1;
	}
	log_info("cal", "imip answered user=%s uid=%s partstat=%s%s%s%s", log_value(user->address),
		 log_value(item.uid), cal_partstat_name(answer),
		 recurrence_id != 0 ? " occurrence=" : "",
		 recurrence_id != 0 ? imip_time_format_iso(pool, recurrence_id, false) : "",
		 cancelled ? " (cancelled meeting: no reply sent)" : "");
	pool_destroy(&pool);
	return 0;
}

int cal_respond(struct store *store, const struct conf *conf,
		const struct store_user *user, int64_t item_id,
		enum cal_partstat answer, const char *comment,
		const char **error_r)
{
	return cal_respond_occurrence(store, conf, user, item_id, 0, answer, comment,
				      error_r);
}

/* --- new meetings --- */

int cal_meeting_check(const struct store_user *user,
			     const struct cal_new_meeting *meeting, const char **error_r)
{
	if (meeting->summary == NULL || *meeting->summary == '\0') {
		*error_r = "Please give the meeting a title.";
		return -1;
	}
	if (strlen(meeting->summary) > 255) {
		*error_r = "The title is too long (at most 255 characters).";
		return -1;
	}
	if (meeting->end < meeting->start) {
		*error_r = "The meeting ends before it starts.";
		return -1;
	}
	if (meeting->start <= 0 || meeting->end - meeting->start > 31 * 86400) {
		*error_r = "Please choose a start and an end at most 31 days apart.";
		return -1;
	}
	if (meeting->repeat != CAL_REPEAT_NONE) {
		if (meeting->repeat > CAL_REPEAT_MONTHLY ||
		    (meeting->repeat_count == 0 && meeting->repeat_until == 0)) {
			*error_r = "Please say when the repetition ends.";
			return -1;
		}
		if (meeting->repeat_count > CAL_REPEAT_COUNT_MAX) {
			*error_r = "Too many repetitions (at most 500).";
			return -1;
		}
		if (meeting->repeat_count == 0 && meeting->repeat_until < meeting->start) {
			*error_r = "The repetition ends before the meeting starts.";
			return -1;
		}
	}
	if (meeting->attendee_count == 0) {
		*error_r = "Please invite at least one attendee.";
		return -1;
	}
	if (meeting->attendee_count > CAL_MAX_NEW_ATTENDEES) {
		*error_r = "Too many attendees (at most 100).";
		return -1;
	}
	for (unsigned int i = 0; i < meeting->attendee_count; i++) {
		const char *a = meeting->attendees[i];

		if (a == NULL || !str_is_address(a) || strchr(a, ',') != NULL ||
		    strchr(a, '<') != NULL || strchr(a, '"') != NULL || strlen(a) > 254) {
			*error_r = "An attendee's address is not valid.";
			return -1;
		}
		if (str_iequal(a, user->address)) {
			*error_r = "You organize the meeting; do not invite yourself.";
			return -1;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (str_iequal(a, meeting->attendees[j])) {
				*error_r = "An attendee is listed twice.";
				return -1;
			}
		}
	}
	return 0;
}

int cal_meeting_build(struct store *store, struct pool *pool,
		      const struct store_user *user,
		      const struct cal_new_meeting *meeting, const char *uid,
		      int sequence, const char *const *partstats,
		      const char **request_r, const char **item_r,
		      const char **error_r)
{
	struct imip_request_attendee *atts;
	struct imip_request_params params;

	atts = p_new(pool, struct imip_request_attendee, meeting->attendee_count + 1);
	for (unsigned int i = 0; i < meeting->attendee_count; i++) {
		struct store_user att;

		atts[i].address = meeting->attendees[i];
		atts[i].partstat = partstats != NULL ? partstats[i] : NULL;
		/* a user here is named as they name themselves (a failed
		   lookup only costs the name) */
		if (store_user_lookup(store, atts[i].address, pool, &att) > 0)
			atts[i].name = att.display_name;
	}
	memset(&params, 0, sizeof(params));
	params.uid = uid;
	params.sequence = sequence;
	params.now = time(NULL);
	params.summary = meeting->summary;
	params.location = meeting->location;
	params.description = meeting->description;
	params.start = meeting->start;
	params.end = meeting->end;
	params.all_day = meeting->all_day;
	params.tzid = meeting->tzid;
	params.organizer = user->address;
	params.organizer_name = user->display_name;
	params.attendees = atts;
	params.attendee_count = meeting->attendee_count;
	/* the two enums list the same rules in the same order */
	params.repeat = (enum imip_repeat)meeting->repeat;
	params.repeat_count = meeting->repeat_count;
	params.repeat_until = meeting->repeat_count == 0 ? meeting->repeat_until : 0;
	return imip_request_build(pool, &params, request_r, item_r, error_r);
}

int cal_create_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user,
		       const struct cal_new_meeting *meeting,
		       int64_t *item_id_r, const char **error_r)
{
	struct pool *pool;
	struct imip_calendar *cal;
	struct store_cal_item item;
	struct mime_build_header headers[5];
	const unsigned char *data;
	const char *request, *item_ical, *error, *text, *html, *to = "";
	char token[64];
	size_t size;

	*item_id_r = 0;
	if (cal_meeting_check(user, meeting, error_r) < 0)
		return -1;
	pool = pool_create(8192);
	for (unsigned int i = 0; i < meeting->attendee_count; i++)
		to = p_printf(pool, "%s%s%s", to, i == 0 ? "" : ",\r\n ", meeting->attendees[i]);
	secret_token(token, sizeof(token), 16);
	if (cal_meeting_build(store, pool, user, meeting,
			      p_printf(pool, "%s@%s", token, conf->hostname), 0,
			      NULL, &request, &item_ical, &error) < 0 ||
	    imip_parse(pool, request, strlen(request), &cal, &error) < 0) {
		log_error("cal", "cannot build REQUEST user=%s: %s", log_value(user->address), error);
		*error_r = "The meeting could not be created.";
		pool_destroy(&pool);
		return -1;
	}

	/* the organizer's item first: replies find it */
	memset(&item, 0, sizeof(item));
	item.user_id = user->id;
	item.source = "web";
	if (cal_item_fill(pool, &item, item_ical, user->address, &error) < 0 ||
	    store_cal_item_save(store, &item, pool) < 0) {
		log_error("cal", "cannot save new meeting user=%s: %s", log_value(user->address),
			  store_last_error_detail(store));
		*error_r = "The meeting could not be saved. Please try again.";
		pool_destroy(&pool);
		return -1;
	}
	*item_id_r = item.id;
	log_info("cal", "imip meeting created user=%s uid=%s attendees=%u",
		 log_value(user->address), log_value(item.uid), meeting->attendee_count);

	/* No link in what is sent: external attendees cannot log in to our web
	   access, and local ones get their own link when the hook renders the
	   request for them. */
	cal_render_bodies(pool, cal,
			  &(struct cal_summary){.intro = "Invitation",
						.description = true},
			  &text, &html);
	headers[0].name = "From";
	headers[0].value =
		cal_mailbox_header(pool, user->display_name, user->address);
	headers[1].name = "To";
	headers[1].value = to;
	headers[2].name = "Subject";
	headers[2].value = mime_encode_text(pool, cal_header_text(
		pool, p_printf(pool, "Invitation: %s", meeting->summary), 900));
	cal_imip_message(pool, conf, headers, 3, text, request, "REQUEST", &data, &size);
	if (cal_send(store, conf, user->address, meeting->attendees, meeting->attendee_count,
		     data, size, error_r) < 0) {
		*error_r = "The meeting was saved, but not every invitation could be sent.";
		pool_destroy(&pool);
		return -1;
	}
	pool_destroy(&pool);
	return 0;
}
