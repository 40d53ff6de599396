#ifndef INFOSTORE_IMIP_ITEM_H
#define INFOSTORE_IMIP_ITEM_H

/*
 * Calendar items as iCalendar text: one VCALENDAR without METHOD that
 * holds every VEVENT of one UID (the series and its changed or cancelled
 * occurrences) and the VTIMEZONEs they use. The store keeps this text;
 * these functions read it and make changed copies of it. Results are in
 * the pool passed in. 0, or -1 with a reason in *error_r.
 */

#include <stdbool.h>
#include <time.h>

#include "imip.h"

struct pool;

/* What the store keeps in its own columns, derived from the text. */
struct imip_item_info {
	const char *uid;
	int sequence;          /* of the series (or of the first event) */
	time_t dtstart;        /* first occurrence, UTC */
	time_t dtend;          /* end of the last occurrence; 0: no end */
	bool all_day;
	const char *summary;
	const char *location;
	const char *organizer; /* address, or NULL */
	const char *status;    /* the series' STATUS; "CONFIRMED" when absent */
	/* owner's PARTSTAT in the series, NULL if owner is not an attendee */
	const char *partstat;
};
int imip_item_info(struct pool *pool, const char *ical, const char *owner,
		   struct imip_item_info *info_r, const char **error_r);

/*
 * The item text for an iTIP REQUEST (RFC 5546 3.2.2). old_ical is the
 * current item or NULL. A request that holds the series replaces the
 * item; one that holds only occurrences replaces or adds those in
 * old_ical. METHOD goes, libical's X-LIC-ERROR notes go, the VTIMEZONEs
 * used are kept.
 */
int imip_item_from_request(struct pool *pool, const void *request, size_t size,
			   const char *old_ical, const char **ical_r,
			   const char **error_r);

/*
 * Set the PARTSTAT of the attendee address: in every VEVENT that lists
 * them (rid NULL or unset), or in the one occurrence rid, which becomes an
 * exception of its own when it was not one. Fails if the attendee is not
 * there or rid is not an occurrence of the series.
 */
int imip_item_set_partstat(struct pool *pool, const char *ical,
			   const char *address, const char *partstat,
			   const struct imip_time *rid, const char **ical_r,
			   const char **error_r);

/*
 * Keep what the attendee address said in their REPLY (comment NULL or
 * empty: they said nothing this time, any older note goes) in the
 * VEVENTs that list them, or in the occurrence rid.
 */
int imip_item_set_comment(struct pool *pool, const char *ical,
			  const char *address, const char *comment,
			  const struct imip_time *rid, const char **ical_r,
			  const char **error_r);

/* STATUS:CANCELLED for the series (rid NULL or unset) or one occurrence
   (RFC 5546 3.2.5). sequence >= 0 raises the events' SEQUENCE to it. */
int imip_item_cancel(struct pool *pool, const char *ical,
		     const struct imip_time *rid, int sequence,
		     const char **ical_r, const char **error_r);

/*
 * The occurrences of an item that overlap [from, to) (to 0: no end), in
 * order of start, at most max. Changed occurrences are reported where they
 * moved to; cancelled is set for a cancelled occurrence or series.
 * Returns the number reported, or -1.
 */
struct imip_occurrence {
	time_t start;
	time_t end;
	time_t rid;        /* the occurrence's RECURRENCE-ID (its original start) */
	bool cancelled;
	bool all_day;
};
typedef void imip_occurrence_cb(void *context, const struct imip_occurrence *occ);
int imip_item_expand(struct pool *pool, const char *ical, time_t from, time_t to,
		     unsigned int max, imip_occurrence_cb *cb, void *context,
		     const char **error_r);

#endif
