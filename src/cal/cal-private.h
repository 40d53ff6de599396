#ifndef INFOSTORE_CAL_PRIVATE_H
#define INFOSTORE_CAL_PRIVATE_H

/* Shared by the files of src/cal only. */

#include "cal.h"
#include "conf.h"

#include <stdbool.h>
#include <stddef.h>

struct deliver_hook_result;
struct deliver_request;
struct imip_calendar;
struct imip_event;
struct imip_time;

/* Link tokens: 24 random bytes (192 bits), as the store makes them. */
#define CAL_TOKEN_BYTES 24
/* Attendees of a meeting created in the web access. */
#define CAL_MAX_NEW_ATTENDEES 100
/* Attendees listed by name in a rendered request, and the bytes of one
   value (a title, a name, a place) shown. */
#define CAL_RENDER_MAX_ATTENDEES 50
#define CAL_RENDER_MAX_VALUE 1000

/*
 * Fill the derived columns of item (uid, sequence, span, summary,
 * location, organizer, status, the owner's partstat) from its ical text,
 * which becomes item->ical. The status is what the owner sees: CANCELLED,
 * TENTATIVE while they have not answered (or answered tentatively), else
 * the meeting's own. 0, or -1 with *error_r.
 */
int cal_item_fill(struct pool *pool, struct store_cal_item *item,
		  const char *ical, const char *owner, const char **error_r);

/* Is address (ASCII case-insensitive) the organizer of the item? */
bool cal_is_organizer(const struct store_cal_item *item, const char *address);

/* The format IMAP/POP3 clients of this user get. */
enum conf_calendar_format cal_user_format(const struct conf *conf,
					  const struct store_user *user);

/* A header-safe one-line version of text (no control characters), cut at
   max bytes. */
const char *cal_header_text(struct pool *pool, const char *text, size_t max);

/* The length of a message's header block (with the blank line after it),
   so that header lookups need not parse the body: GMime reads a whole
   message, attachments and all. */
size_t cal_header_block_size(const unsigned char *data, size_t size);

/* --- meetings made in the web access (cal-respond.c) --- */

/* Is meeting one we make (title, times, attendees, recurrence)? 0, or -1
   with a user-facing *error_r. */
int cal_meeting_check(const struct store_user *user,
		      const struct cal_new_meeting *meeting, const char **error_r);
/* The REQUEST and the organizer's item text for meeting, with this UID
   and SEQUENCE; partstats (or NULL) gives each attendee's answer to keep.
   The organizer's CN is user's display name, and an attendee who is a
   user here gets theirs (read from store). 0, or -1 with *error_r for
   the log. */
int cal_meeting_build(struct store *store, struct pool *pool,
		      const struct store_user *user,
		      const struct cal_new_meeting *meeting, const char *uid,
		      int sequence, const char *const *partstats,
		      const char **request_r, const char **item_r,
		      const char **error_r);

/* "Name <address>" for a From: or To: header (the name cleaned by
   cal_header_text() and encoded as RFC 5322 and RFC 2047 need); the bare
   address when name is NULL, empty or the address itself. */
const char *cal_mailbox_header(struct pool *pool, const char *name,
			       const char *address);

/* --- rendering (cal-render.c) --- */

struct cal_render {
	enum conf_calendar_format format;  /* url or both */
	const char *link;                  /* the item's link */
	bool update;                       /* an update of a known meeting */
	const struct imip_calendar *cal;   /* the REQUEST or CANCEL */
	const char *ics;                   /* its iCalendar text, UTF-8 */
	const char *zone;                  /* the recipient's IANA zone, or NULL */
};

/*
 * The meeting request (or cancellation) as IMAP/POP3 clients get it, see
 * cal-render.c: the original's From, To, Cc, Date, Subject, Message-ID
 * (and trace and threading headers), a multipart/mixed of our summary
 * (text/plain and text/html with the link, and for `both` the
 * text/calendar part invite.ics as their last alternative) and the
 * organizer's content byte for byte less its calendar parts. Same line
 * endings as the original.
 */
void cal_render_request(struct pool *pool, const unsigned char *orig, size_t size,
			const struct cal_render *render,
			const unsigned char **data_r, size_t *size_r);

/* A text/SUBTYPE leaf with text (UTF-8). A calendar part (params, e.g.
   method=REQUEST) goes in base64 when it is not ASCII, as Outlook sends
   it; 7bit otherwise, which keeps it readable. */
struct mime_build_part;
void cal_text_part(struct mime_build_part *part, const char *subtype,
		   const char *const *params, const char *text);

/* What the readable description of a meeting says. */
struct cal_summary {
	const char *intro;   /* the first line: "Meeting request", ... */
	const char *link;    /* the item's link, or NULL */
	const char *zone;    /* the reader's IANA zone, or NULL */
	bool cancelled;      /* the link opens, it does not answer */
	bool description;    /* with the meeting's DESCRIPTION */
};
/* The readable description of a meeting: plain text and HTML (escaped),
   each value cut at CAL_RENDER_MAX_VALUE bytes. */
void cal_render_bodies(struct pool *pool, const struct imip_calendar *cal,
		       const struct cal_summary *summary, const char **text_r,
		       const char **html_r);

/* "Tuesday, 15 December 2026, 10:00 – 11:00 (Europe/Berlin)" and a second
   line or NULL. Without zone (the reader's IANA zone, or NULL), the
   organizer's times and the same in UTC (NULL when the organizer's time
   is UTC already). With a zone libical knows, the times in that zone, and
   the organizer's own times when their zone is another. All-day and
   floating times are the same everywhere: as the organizer wrote them. */
void cal_render_when(struct pool *pool, const struct imip_event *event,
		     const char *zone, const char **local_r,
		     const char **other_r);

/* --- sending (cal-send.c) --- */

/*
 * Send an iMIP message from a local user: local recipients get it through
 * deliver_batch() (so the calendar hook processes it for them), the others
 * through the outbound queue. data has CRLF line ends. 0, or -1 with a
 * user-facing *error_r when any part could not be done.
 */
int cal_send(struct store *store, const struct conf *conf, const char *sender,
	     const char *const *recipients, unsigned int count,
	     const unsigned char *data, size_t size, const char **error_r);

/* An iMIP message (cal-respond.c): the headers given (room for two more
   in the array) plus Date and Message-ID, and a multipart/alternative of
   text/plain and text/calendar;method=METHOD (RFC 6047 2.4), CRLF. */
struct mime_build_header;
void cal_imip_message(struct pool *pool, const struct conf *conf,
		      struct mime_build_header *headers, unsigned int count,
		      const char *text, const char *ics, const char *method,
		      const unsigned char **data_r, size_t *size_r);
/* The REPLY message of user (an attendee) to the organizer of item (rid
   0: the series), From the user's display name, else the attendee's CN.
   0, or -1 with a user-facing *error_r. */
int cal_reply_message(struct pool *pool, const struct conf *conf,
		      const struct store_cal_item *item,
		      const struct store_user *user, enum cal_partstat answer,
		      time_t rid, const char *comment,
		      const unsigned char **data_r, size_t *size_r,
		      const char **error_r);

/* The delivery hook (cal-deliver.c). */
void cal_deliver_hook(void *hook_context, struct pool *pool, struct store *store,
		      const struct conf *conf, const struct store_user *user,
		      const struct deliver_request *request,
		      struct deliver_hook_result *result);

#endif
