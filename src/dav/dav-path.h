#ifndef INFOSTORE_DAV_PATH_H
#define INFOSTORE_DAV_PATH_H

/*
 * The DAV namespace (DESIGN.md "Calendars and contacts"), matched without
 * I/O (fuzzed):
 *
 *   /dav/                                 the root (a collection)
 *   /dav/principals/                      the principal collection
 *   /dav/principals/ADDRESS/              a user's principal
 *   /dav/calendars/ADDRESS/               calendar home
 *   /dav/calendars/ADDRESS/inbox/         schedule inbox (RFC 6638 2.2)
 *   /dav/calendars/ADDRESS/outbox/        schedule outbox (RFC 6638 2.1)
 *   /dav/calendars/ADDRESS/NAME/          a calendar
 *   /dav/calendars/ADDRESS/NAME/RES       a calendar object resource
 *   /dav/addressbooks/ADDRESS/            address-book home
 *   /dav/addressbooks/ADDRESS/NAME/       an address book
 *   /dav/addressbooks/ADDRESS/NAME/RES    a vCard
 *
 * Segments are percent-decoded (so "%40" is "@"); a collection may be
 * named with or without its trailing slash. A query string is ignored.
 */

#include <stdbool.h>

struct pool;

enum dav_path_kind {
	DAV_PATH_NONE = 0,
	DAV_PATH_ROOT,
	DAV_PATH_PRINCIPALS,
	DAV_PATH_PRINCIPAL,
	DAV_PATH_CAL_HOME,
	DAV_PATH_SCHED_INBOX,
	DAV_PATH_SCHED_OUTBOX,
	DAV_PATH_CALENDAR,
	DAV_PATH_CAL_OBJECT,
	DAV_PATH_CARD_HOME,
	DAV_PATH_ADDRESSBOOK,
	DAV_PATH_CARD,
};

struct dav_path {
	enum dav_path_kind kind;
	const char *address;     /* the user the path belongs to */
	const char *collection;  /* NAME */
	const char *resource;    /* RES */
	bool trailing_slash;
};

#define DAV_PATH_MAX 2048

/* Parse a request target or an href (absolute URL or path). 0, or -1 when
   it is not a path in /dav/ we know (kind DAV_PATH_NONE). */
int dav_path_parse(struct pool *pool, const char *target, struct dav_path *path_r);

/* Is this a collection? */
bool dav_path_is_collection(enum dav_path_kind kind);

/* Percent-encode a segment for an href (unreserved characters and '@'
   kept). */
const char *dav_path_escape(struct pool *pool, const char *segment);

/* The canonical href of a path: "/dav/calendars/a@b/calendar/x.ics". */
const char *dav_path_href(struct pool *pool, enum dav_path_kind kind,
			  const char *address, const char *collection,
			  const char *resource);

#endif
