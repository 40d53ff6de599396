#include "web-route.h"
#include "web-parse.h"

#include <string.h>

/* Pattern segments: literal text, or '#' a mailbox id, '@' a UID,
   '$' a link token, '.' a MIME section, '*' a contact's id. */
static const struct web_route {
	enum web_route_id id;
	unsigned int methods;
	const char *pattern[5];
} web_routes[] = {
	{ WEB_ROUTE_ROOT, WEB_ROUTE_GET, { NULL } },
	{ WEB_ROUTE_LOGIN, WEB_ROUTE_GET | WEB_ROUTE_POST, { "login" } },
	{ WEB_ROUTE_LOGOUT, WEB_ROUTE_POST, { "logout" } },
	{ WEB_ROUTE_ITEM, WEB_ROUTE_GET | WEB_ROUTE_POST, { "item", "$" } },
	{ WEB_ROUTE_ITEM_EDIT, WEB_ROUTE_GET | WEB_ROUTE_POST, { "item", "$", "edit" } },
	{ WEB_ROUTE_ITEM_CANCEL, WEB_ROUTE_POST, { "item", "$", "cancel" } },
	{ WEB_ROUTE_FOLDERS, WEB_ROUTE_GET, { "mail" } },
	{ WEB_ROUTE_COMPOSE, WEB_ROUTE_GET | WEB_ROUTE_POST, { "mail", "compose" } },
	{ WEB_ROUTE_SEARCH, WEB_ROUTE_GET, { "mail", "search" } },
	{ WEB_ROUTE_OUTBOX, WEB_ROUTE_GET, { "mail", "outbox" } },
	{ WEB_ROUTE_FOLDER_MANAGE, WEB_ROUTE_GET | WEB_ROUTE_POST, { "mail", "folders" } },
	{ WEB_ROUTE_FOLDER_RENAME, WEB_ROUTE_POST, { "mail", "#", "rename" } },
	{ WEB_ROUTE_FOLDER_DELETE, WEB_ROUTE_POST, { "mail", "#", "delete" } },
	{ WEB_ROUTE_FOLDER_EMPTY, WEB_ROUTE_POST, { "mail", "#", "empty" } },
	{ WEB_ROUTE_MAILBOX, WEB_ROUTE_GET, { "mail", "#" } },
	{ WEB_ROUTE_MESSAGE, WEB_ROUTE_GET, { "mail", "#", "@" } },
	{ WEB_ROUTE_MESSAGE_BODY, WEB_ROUTE_GET, { "mail", "#", "@", "body" } },
	{ WEB_ROUTE_MESSAGE_PART, WEB_ROUTE_GET, { "mail", "#", "@", "part", "." } },
	{ WEB_ROUTE_MESSAGE_RAW, WEB_ROUTE_GET, { "mail", "#", "@", "raw" } },
	{ WEB_ROUTE_MESSAGE_UNREAD, WEB_ROUTE_POST, { "mail", "#", "@", "unread" } },
	{ WEB_ROUTE_MESSAGE_READ, WEB_ROUTE_POST, { "mail", "#", "@", "read" } },
	{ WEB_ROUTE_MESSAGE_FLAG, WEB_ROUTE_POST, { "mail", "#", "@", "flag" } },
	{ WEB_ROUTE_MESSAGE_DELETE, WEB_ROUTE_POST, { "mail", "#", "@", "delete" } },
	{ WEB_ROUTE_MESSAGE_MOVE, WEB_ROUTE_POST, { "mail", "#", "@", "move" } },
	{ WEB_ROUTE_AGENDA, WEB_ROUTE_GET, { "calendar" } },
	{ WEB_ROUTE_DAY, WEB_ROUTE_GET, { "calendar", "day" } },
	{ WEB_ROUTE_WEEK, WEB_ROUTE_GET, { "calendar", "week" } },
	{ WEB_ROUTE_MONTH, WEB_ROUTE_GET, { "calendar", "month" } },
	{ WEB_ROUTE_NEW_MEETING, WEB_ROUTE_GET | WEB_ROUTE_POST, { "calendar", "new" } },
	{ WEB_ROUTE_CONTACTS, WEB_ROUTE_GET, { "contacts" } },
	{ WEB_ROUTE_CONTACT_NEW, WEB_ROUTE_GET | WEB_ROUTE_POST, { "contacts", "new" } },
	{ WEB_ROUTE_CONTACT_COMPLETE, WEB_ROUTE_GET, { "contacts", "complete" } },
	{ WEB_ROUTE_CONTACT, WEB_ROUTE_GET, { "contacts", "*" } },
	{ WEB_ROUTE_CONTACT_EDIT, WEB_ROUTE_GET | WEB_ROUTE_POST, { "contacts", "*", "edit" } },
	{ WEB_ROUTE_CONTACT_DELETE, WEB_ROUTE_POST, { "contacts", "*", "delete" } },
	{ WEB_ROUTE_SETTINGS, WEB_ROUTE_GET, { "settings" } },
	{ WEB_ROUTE_SETTINGS_NAME, WEB_ROUTE_POST, { "settings", "name" } },
	{ WEB_ROUTE_SETTINGS_TIMEZONE, WEB_ROUTE_POST, { "settings", "timezone" } },
	{ WEB_ROUTE_SETTINGS_CALENDAR, WEB_ROUTE_POST, { "settings", "calendar" } },
	{ WEB_ROUTE_SETTINGS_PASSWORD, WEB_ROUTE_POST, { "settings", "password" } },
	{ WEB_ROUTE_SETTINGS_END_SESSION, WEB_ROUTE_POST, { "settings", "sessions", "end" } },
	{ WEB_ROUTE_SETTINGS_END_ALL, WEB_ROUTE_POST, { "settings", "sessions", "end-all" } },
	{ WEB_ROUTE_APPLE_PROFILE, WEB_ROUTE_GET, { "settings", "apple-profile" } },
	{ WEB_ROUTE_THEME, WEB_ROUTE_POST, { "theme" } },
	{ WEB_ROUTE_STATIC_CSS, WEB_ROUTE_GET, { "static", "style.css" } },
	{ WEB_ROUTE_STATIC_JS, WEB_ROUTE_GET, { "static", "app.js" } },
	{ WEB_ROUTE_FAVICON, WEB_ROUTE_GET, { "favicon.svg" } },
};

static int web_route_try(const struct web_route *route,
			 const struct web_target *target,
			 struct web_route_match *m)
{
	unsigned int n = 0;
	uint64_t num;

	while (n < 5 && route->pattern[n] != NULL)
		n++;
	if (n != target->segment_count)
		return -1;
	memset(m, 0, sizeof(*m));
	for (unsigned int i = 0; i < n; i++) {
		const char *pat = route->pattern[i], *seg = target->segments[i];

		if (strcmp(pat, "#") == 0) {
			if (web_parse_id(seg, INT64_MAX, &num) < 0)
				return -1;
			m->mailbox_id = num;
		} else if (strcmp(pat, "@") == 0) {
			if (web_parse_id(seg, UINT32_MAX, &num) < 0)
				return -1;
			m->uid = (uint32_t)num;
		} else if (strcmp(pat, "*") == 0) {
			if (web_parse_id(seg, INT64_MAX, &num) < 0)
				return -1;
			m->contact_id = (int64_t)num;
		} else if (strcmp(pat, "$") == 0) {
			if (!web_token_valid(seg))
				return -1;
			m->token = seg;
		} else if (strcmp(pat, ".") == 0) {
			if (!web_section_valid(seg))
				return -1;
			m->section = seg;
		} else if (strcmp(pat, seg) != 0) {
			return -1;
		}
	}
	m->id = route->id;
	m->methods = route->methods;
	return 0;
}

int web_route_find(const struct web_target *target,
		   struct web_route_match *match_r)
{
	for (size_t i = 0; i < sizeof(web_routes) / sizeof(web_routes[0]); i++) {
		if (web_route_try(&web_routes[i], target, match_r) == 0)
			return 0;
	}
	memset(match_r, 0, sizeof(*match_r));
	return -1;
}
