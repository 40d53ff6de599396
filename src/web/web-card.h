#ifndef INFOSTORE_WEB_CARD_H
#define INFOSTORE_WEB_CARD_H

/*
 * The contact form of the web access and the vCard behind it, without
 * I/O (unit-tested, fuzzed): what the form shows of a card, the form read
 * back with a message for each mistake, and the card written again.
 *
 * A card may come from any CardDAV client, with photos, X- properties,
 * groups and parameters the form knows nothing of. Writing it again
 * changes only what was edited: every line the form does not show, and
 * every line it shows that comes back unchanged, is copied byte for byte
 * (lib-vcard gives each line's span); an edited line keeps its group and
 * its other parameters. New cards are vCard 3.0, which every CardDAV
 * client reads (the address book offers 3.0 first).
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct pool;
struct vcard;
struct web_form;

/* What the form edits, at most (a card may have more: the rest is kept
   as it is, unseen). Lengths are in characters. */
#define WEB_CARD_VALUES_MAX 8	/* email addresses, and phone numbers */
#define WEB_CARD_NAME_MAX   200 /* name, first name, last name, organization */
#define WEB_CARD_EMAIL_MAX  254 /* RFC 5321 4.5.3.1.3 (the path, less <>) */
#define WEB_CARD_TEL_MAX    64
#define WEB_CARD_NOTE_MAX   4000
#define WEB_CARD_ERRORS_MAX (6 + 2 * WEB_CARD_VALUES_MAX)

struct web_card_value {
	const char *value;
	const char *type; /* one of web_card_email_types / _tel_types */
};

/* The form's fields, as shown and as sent: single-line values trimmed,
   the note with LF line breaks. Never NULL ("" for none). */
struct web_card_fields {
	const char *fn, *given, *family, *org, *note;
	struct web_card_value emails[WEB_CARD_VALUES_MAX];
	unsigned int email_count;
	struct web_card_value tels[WEB_CARD_VALUES_MAX];
	unsigned int tel_count;
};

/* The choices of the type lists: value and label; "" is "Other". */
struct web_card_type {
	const char *value, *label;
};
extern const struct web_card_type web_card_email_types[];
extern const struct web_card_type web_card_tel_types[];

/* A card as read: what the form shows, and which lines that is (indexes
   into vc->props, -1 for none). */
struct web_card {
	const char *text; /* as stored */
	const struct vcard *vc;
	struct web_card_fields shown;
	int fn_line, n_line, org_line, note_line;
	int email_lines[WEB_CARD_VALUES_MAX];
	int tel_lines[WEB_CARD_VALUES_MAX];
};

/* Read a stored card (NUL-terminated text). 0, or -1 with *error_r when
   it is not a vCard lib-vcard reads. Everything lives in pool. */
int web_card_read(struct pool *pool, const char *text, struct web_card *card_r,
		  const char **error_r);

/* The name to show: FN, else first and last name, else the first email
   address, else "(no name)". */
const char *web_card_display_name(struct pool *pool,
				  const struct web_card_fields *f);

/* Does needle (ASCII case-insensitively) appear in a name or an email
   address of the card? */
bool web_card_matches(const struct web_card_fields *f, const char *needle);

struct web_card_errors {
	struct {
		const char *field; /* the form field's id: "fn", "email2" */
		const char *text;
	} list[WEB_CARD_ERRORS_MAX];
	unsigned int count;
};
/* The error about field, or NULL. */
const char *web_card_error(const struct web_card_errors *errors,
			   const char *field);

/*
 * Read the form: fn, given, family, org, note, and emailN, email_typeN,
 * telN, tel_typeN for N below WEB_CARD_VALUES_MAX (each row sent keeps
 * its place, empty or not). *fields_r gets what was sent, cleaned, also
 * when there are mistakes (to show the form again); every mistake goes
 * into errors, at once: no name and no email address, an email address
 * that is not one, a phone number without digits, a value too long, a
 * type not offered. A value left as the card had it (was: what the form
 * showed; NULL for a new card) is not a mistake: a contacts app may have
 * written what the form would refuse. 0 when there is none.
 */
int web_card_form_read(struct pool *pool, const struct web_form *form,
		       const struct web_card_fields *was,
		       struct web_card_fields *fields_r,
		       struct web_card_errors *errors);

/*
 * The card with fields written in. old NULL: a new vCard 3.0 with this
 * uid and a REV of now. Otherwise old's lines, with only what differs
 * from old->shown changed, removed (emptied fields) or added (at the
 * end), and REV set to now if the card has one. An empty name is made
 * from the first and last name, or the first email address.
 * 1 with *text_r, 0 when nothing changed, -1 when the card would be too
 * big for the address book (VCARD_MAX_SIZE).
 */
int web_card_write(struct pool *pool, const struct web_card *old,
		   const struct web_card_fields *fields, const char *uid,
		   time_t now, const char **text_r);

#endif
