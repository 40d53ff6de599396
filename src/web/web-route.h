#ifndef INFOSTORE_WEB_ROUTE_H
#define INFOSTORE_WEB_ROUTE_H

/*
 * The URL map of the web access, matched without I/O (fuzzed):
 *
 *   /                               -> /mail or the login form
 *   /login  /logout                 login form and its POST; logout (POST)
 *   /item/TOKEN                     a meeting request's link (GET, POST)
 *   /item/TOKEN/edit                the organizer's meeting form (GET, POST)
 *   /item/TOKEN/cancel              Cancel meeting (POST, the organizer's)
 *   /mail                           the folder list
 *   /mail/MBOX                      a folder's messages (?before=UID, ?after=UID)
 *   /mail/MBOX/UID                  one message
 *   /mail/MBOX/UID/body             its HTML body, sanitised (for the iframe)
 *   /mail/MBOX/UID/part/SECTION     an attachment (download) or inline image
 *   /mail/MBOX/UID/unread           mark unread again (POST)
 *   /mail/MBOX/UID/read             mark read (POST)
 *   /mail/MBOX/UID/flag             flag or unflag (POST flag=1|0)
 *   /mail/MBOX/UID/delete           to Trash; in Trash, expunge (POST)
 *   /mail/MBOX/UID/move             to another folder (POST to=MBOX)
 *   /mail/compose                   the compose form (GET ?mode=reply|all|
 *                                   forward|draft&mb=MBOX&uid=UID) and its
 *                                   POST (multipart/form-data: Send, Save)
 *   /mail/search                    search (?q=...&in=MBOX)
 *   /mail/outbox                    what waits for the relay, what bounced
 *   /mail/folders                   manage folders (GET; POST creates)
 *   /mail/MBOX/rename /delete /empty  folder actions (POST)
 *   /calendar                       the agenda (?from=DATE)
 *   /calendar/day /week /month      the views (?date=DATE)
 *   /calendar/new                   the new-meeting form (GET, POST)
 *   /contacts                       the address book (?q=SEARCH, ?after=ID)
 *   /contacts/new                   the form for a new contact (GET, POST)
 *   /contacts/complete              address completion, JSON (?q=TEXT)
 *   /contacts/ID                    one contact (ID: its store id, looked
 *                                   up in the viewer's own address book)
 *   /contacts/ID/edit               its form (GET, POST)
 *   /contacts/ID/delete             delete it (POST)
 *   /settings                       the user's settings, sessions and account setup
 *   /settings/name /timezone /calendar /password
 *                                   save one of them (POST)
 *   /settings/sessions/end          end one session (POST handle=N)
 *   /settings/sessions/end-all      log out everywhere (POST)
 *   /settings/apple-profile         the Apple configuration profile (download)
 *   /theme                          the footer's theme choice (POST)
 *   /static/style.css /static/app.js /favicon.svg
 */

#include <stdint.h>

struct web_target;

enum web_route_id {
	WEB_ROUTE_NONE = 0,
	WEB_ROUTE_ROOT,
	WEB_ROUTE_LOGIN,
	WEB_ROUTE_LOGOUT,
	WEB_ROUTE_ITEM,
	WEB_ROUTE_ITEM_EDIT,
	WEB_ROUTE_ITEM_CANCEL,
	WEB_ROUTE_FOLDERS,
	WEB_ROUTE_MAILBOX,
	WEB_ROUTE_MESSAGE,
	WEB_ROUTE_MESSAGE_BODY,
	WEB_ROUTE_MESSAGE_PART,
	WEB_ROUTE_MESSAGE_RAW,
	WEB_ROUTE_MESSAGE_UNREAD,
	WEB_ROUTE_MESSAGE_READ,
	WEB_ROUTE_MESSAGE_FLAG,
	WEB_ROUTE_MESSAGE_DELETE,
	WEB_ROUTE_MESSAGE_MOVE,
	WEB_ROUTE_COMPOSE,
	WEB_ROUTE_SEARCH,
	WEB_ROUTE_OUTBOX,
	WEB_ROUTE_FOLDER_MANAGE,
	WEB_ROUTE_FOLDER_RENAME,
	WEB_ROUTE_FOLDER_DELETE,
	WEB_ROUTE_FOLDER_EMPTY,
	WEB_ROUTE_AGENDA,
	WEB_ROUTE_DAY,
	WEB_ROUTE_WEEK,
	WEB_ROUTE_MONTH,
	WEB_ROUTE_NEW_MEETING,
	WEB_ROUTE_CONTACTS,
	WEB_ROUTE_CONTACT_NEW,
	WEB_ROUTE_CONTACT_COMPLETE,
	WEB_ROUTE_CONTACT,
	WEB_ROUTE_CONTACT_EDIT,
	WEB_ROUTE_CONTACT_DELETE,
	WEB_ROUTE_APPLE_PROFILE,
	WEB_ROUTE_THEME,
	WEB_ROUTE_SETTINGS,
	WEB_ROUTE_SETTINGS_NAME,
	WEB_ROUTE_SETTINGS_TIMEZONE,
	WEB_ROUTE_SETTINGS_CALENDAR,
	WEB_ROUTE_SETTINGS_PASSWORD,
	WEB_ROUTE_SETTINGS_END_SESSION,
	WEB_ROUTE_SETTINGS_END_ALL,
	WEB_ROUTE_STATIC_CSS,
	WEB_ROUTE_STATIC_JS,
	WEB_ROUTE_FAVICON,
};

/* Which methods a route takes (besides HEAD with GET). */
#define WEB_ROUTE_GET 0x1
#define WEB_ROUTE_POST 0x2

struct web_route_match {
	enum web_route_id id;
	unsigned int methods;
	uint64_t mailbox_id;     /* MBOX */
	uint32_t uid;            /* UID */
	const char *token;       /* TOKEN */
	const char *section;     /* SECTION */
	int64_t contact_id;      /* ID of /contacts/ID */
};

/* Match a parsed target. 0 with *match_r set, or -1 (no such page). */
int web_route_find(const struct web_target *target,
		   struct web_route_match *match_r);

#endif
