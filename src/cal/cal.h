#ifndef INFOSTORE_CAL_H
#define INFOSTORE_CAL_H

/*
 * Meeting requests: iMIP processing at delivery (installed as the deliver
 * hook), the calendar items, rendering for IMAP/POP3 clients, the link into
 * the web access, and iTIP replies and invitations.
 *
 * The web access reads items through cal_item_view() and acts through
 * cal_respond() and cal_create_meeting(); it never parses iCalendar itself.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct conf;
struct pool;
struct store;
struct store_cal_item;
struct store_user;

/* Install the delivery hook. */
void cal_init(const struct conf *conf);
void cal_deinit(void);

/*
 * `infostore calendar list ADDRESS`: one line per item, by start, fields
 * separated by tabs:
 *   UID  START  SUMMARY  STATUS  ANSWER  ATTENDEES  SOURCE  LINK
 * START is ISO 8601 UTC ("2026-12-15T09:00:00Z", a date for all-day
 * items); STATUS TENTATIVE, CONFIRMED or CANCELLED; ANSWER the user's
 * PARTSTAT, or "organizer"; ATTENDEES "addr=PARTSTAT,..." on items the user
 * organizes, else "-"; SOURCE "imip:<message-id>" or "web"; LINK the item's
 * link, "-" without web access. 0, or a sysexits code.
 */
int cal_list_print(struct store *store, const struct conf *conf,
		   const char *address, FILE *out);

/* The time zones a meeting can be written in (IANA names, libical's
   built-in set), sorted, in pool. */
void cal_tz_names(struct pool *pool, const char *const **names_r,
		  unsigned int *count_r);
/* Is name one of those (or "UTC")? Times in meeting requests are shown
   in a user's zone only when it is. */
bool cal_tz_known(const char *name);

/* "https://mail.example.test:8443/item/TOKEN", or NULL when there is no
   web access (conf->link_base is NULL). */
const char *cal_item_link(struct pool *pool, const struct conf *conf,
			  const char *token);

enum cal_partstat {
	CAL_PARTSTAT_NEEDS_ACTION,
	CAL_PARTSTAT_ACCEPTED,
	CAL_PARTSTAT_TENTATIVE,
	CAL_PARTSTAT_DECLINED,
	CAL_PARTSTAT_DELEGATED,
};
/* "ACCEPTED" etc. and back; -1 for an unknown name */
const char *cal_partstat_name(enum cal_partstat partstat);
int cal_partstat_parse(const char *name, enum cal_partstat *partstat_r);

/* A simple recurrence: every day, week or month from the start. */
enum cal_repeat {
	CAL_REPEAT_NONE,
	CAL_REPEAT_DAILY,
	CAL_REPEAT_WEEKLY,
	CAL_REPEAT_MONTHLY,
};
/* At most this many occurrences in a rule made here (COUNT). */
#define CAL_REPEAT_COUNT_MAX 500

struct cal_attendee {
	const char *address;      /* without mailto: */
	const char *name;         /* CN, or NULL */
	const char *partstat;     /* "ACCEPTED", ... */
	const char *role;         /* "REQ-PARTICIPANT", ... */
	const char *comment;      /* their REPLY's COMMENT, or NULL */
};

/* An item as the web access shows it. Strings in pool. */
struct cal_item_view {
	const char *uid;
	const char *summary;
	const char *description;
	const char *location;
	const char *organizer;        /* address */
	const char *organizer_name;   /* CN or NULL */
	const char *tzid;             /* organizer's time zone, or NULL (UTC/floating) */
	time_t start, end;            /* UTC */
	bool all_day;
	const char *status;           /* CONFIRMED, TENTATIVE, CANCELLED */
	const char *recurrence;       /* human-readable rule ("Weekly on Monday"), or NULL */
	/* the rule as the meeting form writes it; repeat_other when the
	   series has a rule the form cannot show */
	enum cal_repeat repeat;
	unsigned int repeat_count;
	time_t repeat_until;
	bool repeat_other;
	int sequence;
	const char *my_partstat;      /* the viewer's answer, NULL if organizer */
	bool i_am_organizer;
	struct cal_attendee *attendees;
	unsigned int attendee_count;
	/* "Tuesday, 15 December 2026, 10:00 – 11:00 (Europe/Berlin)": the
	   series' (or first) time as the organizer wrote it */
	const char *when_local;
	/* the same in UTC, NULL when the organizer's time is UTC already */
	const char *when_utc;
	unsigned int exception_count;  /* occurrences that differ */
	const char *token;            /* the item's link token */
};

/* Fill view from a stored item, for the user who owns it. 0 or -1. */
int cal_item_view(struct pool *pool, const struct store_cal_item *item,
		  const char *owner_address, struct cal_item_view *view_r);

/* Start and end of this item's occurrences within [from, to), for the
   agenda (recurrences expanded with libical, at most 1000, in order of
   start; a cancelled occurrence of a series that goes on is left out).
   cb is called per occurrence. 0, or -1 if the item cannot be read (then
   cb got the stored span once). */
typedef void cal_occurrence_cb(void *context, const struct store_cal_item *item,
			       time_t start, time_t end);
int cal_expand(struct pool *pool, const struct store_cal_item *item, time_t from,
	       time_t to, cal_occurrence_cb *cb, void *context);

/*
 * Answer a meeting request: set the user's PARTSTAT on their item and send
 * an iTIP REPLY to the organizer (a local organizer's item is updated and an
 * "Accepted: ..." message lands in their INBOX; an external organizer gets
 * it through the outbound queue). comment may be NULL. A cancelled meeting
 * cannot be accepted or marked tentative. 0, or -1 with a user-facing
 * *error_r.
 */
int cal_respond(struct store *store, const struct conf *conf,
		const struct store_user *user, int64_t item_id,
		enum cal_partstat answer, const char *comment,
		const char **error_r);
/* The same for one occurrence of a series: recurrence_id is the
   occurrence's original start (UTC), 0 for the whole series. */
int cal_respond_occurrence(struct store *store, const struct conf *conf,
			   const struct store_user *user, int64_t item_id,
			   time_t recurrence_id, enum cal_partstat answer,
			   const char *comment, const char **error_r);

struct cal_new_meeting {
	const char *summary;
	const char *location;     /* or NULL */
	const char *description;  /* or NULL */
	time_t start, end;        /* UTC */
	/* all day: start and end are dates (00:00 UTC), end the day after
	   the last day */
	bool all_day;
	const char *tzid;         /* the organizer's zone for display, or NULL */
	const char *const *attendees; /* addresses */
	unsigned int attendee_count;
	/* recurrence, with an end: repeat_count occurrences (1 to
	   CAL_REPEAT_COUNT_MAX), or until the day of repeat_until (an instant
	   on or after start) */
	enum cal_repeat repeat;
	unsigned int repeat_count;
	time_t repeat_until;
};

/*
 * Create a meeting organised by user, store it in their calendar, and send
 * the REQUEST to every attendee: local ones through the same delivery path
 * as mail from outside, others through the outbound queue. 0, or -1 with a
 * user-facing *error_r.
 */
int cal_create_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user,
		       const struct cal_new_meeting *meeting,
		       int64_t *item_id_r, const char **error_r);

/*
 * The organizer changes their meeting (cal-schedule.c): the item is
 * rewritten from meeting, keeping its UID; attendees kept get an updated
 * REQUEST (SEQUENCE one higher when something they see changed), those
 * taken off a CANCEL, those added a REQUEST: the CalDAV scheduling path,
 * as if the organizer's client had PUT the new text. Answers are kept
 * unless the time or the recurrence changed. Refused (-1, *error_r, and
 * *forbidden_r true) when user does not organize the item; nothing is
 * changed or sent then. 0, or -1 with a user-facing *error_r.
 */
int cal_update_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user, int64_t item_id,
		       const struct cal_new_meeting *meeting,
		       bool *forbidden_r, const char **error_r);
/*
 * The organizer cancels their meeting: the item stays, STATUS:CANCELLED
 * with SEQUENCE one higher, and the attendees get a CANCEL (RFC 5546
 * 3.2.5). The same refusals as cal_update_meeting().
 */
int cal_cancel_meeting(struct store *store, const struct conf *conf,
		       const struct store_user *user, int64_t item_id,
		       bool *forbidden_r, const char **error_r);

/* --- CalDAV (cal-schedule.c) --- */

struct cal_dav_put {
	const char *data;                  /* the body as PUT */
	size_t size;
	int64_t collection_id;             /* where a new item goes */
	const char *href;
	const struct store_cal_item *old;  /* the item at href, or NULL */
};

enum cal_dav_error {
	CAL_DAV_OK = 0,
	CAL_DAV_INVALID,       /* not a valid calendar object resource */
	CAL_DAV_UNSUPPORTED,   /* a VTODO or VJOURNAL: calendars hold events */
	CAL_DAV_UID_CONFLICT,  /* the UID is another resource's */
	CAL_DAV_TOO_LARGE,
	CAL_DAV_TEMP,          /* the store failed: try again */
};

struct cal_dav_result {
	enum cal_dav_error error;
	const char *detail;                /* for the log */
	int64_t conflict_collection;       /* UID_CONFLICT: where it is */
	const char *conflict_href;
	struct store_cal_item *item;       /* as saved (pool) */
	bool organizer;                    /* the user organizes it, with attendees */
	int64_t item_id;
	uint64_t modseq;                   /* the new ETag */
	uint64_t schedule_tag;
	/* the stored text is byte for byte the body: then the ETag may be
	   given in the response (RFC 4791 5.3.4) */
	bool stored_as_sent;
};

/*
 * Store what a CalDAV client PUT into the user's calendar (inside the
 * caller's transaction, which checked the preconditions on put->old). 0,
 * or -1 with result_r->error.
 */
int cal_dav_put(struct store *store, const struct conf *conf,
		const struct store_user *user, const struct cal_dav_put *put,
		struct pool *pool, struct cal_dav_result *result_r);
/*
 * Then, once that is committed, schedule (RFC 6638 3.2): an organizer's
 * meeting sends REQUESTs (and CANCELs to attendees taken off) and gets
 * each attendee's SCHEDULE-STATUS (result's modseq and schedule_tag
 * follow); an attendee's changed PARTSTAT sends a REPLY. 0, or -1 when
 * the second save failed.
 */
int cal_dav_schedule(struct store *store, const struct conf *conf,
		     const struct store_user *user, const struct cal_dav_put *put,
		     struct pool *pool, struct cal_dav_result *result);

/* An item is about to be deleted through CalDAV: the organizer's
   attendees get a CANCEL, an attendee's organizer a REPLY declining. */
void cal_dav_delete_notify(struct store *store, const struct conf *conf,
			   const struct store_user *user,
			   const struct store_cal_item *item);

#endif
