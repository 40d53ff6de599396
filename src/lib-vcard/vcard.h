#ifndef INFOSTORE_VCARD_H
#define INFOSTORE_VCARD_H

/*
 * Reading vCards for CardDAV: vCard 4.0 (RFC 6350) and 3.0 (RFC 2426),
 * and writing content lines for an editor that changes a few of them.
 * No third-party library; nothing here does I/O.
 *
 * The parser reads a whole buffer, one BEGIN:VCARD ... END:VCARD, into
 * plain structs allocated from the pool passed in; every pointer lives as
 * long as that pool. It only reads: the caller stores the card it was
 * given byte for byte, so nothing is normalised but what the structs say,
 * and each property says where its line was, so that an editor can copy
 * every line it leaves alone as it was written.
 *
 * Hostile input never crashes these functions: what is not a vCard, or
 * is over a limit below, is an error with a reason in *error_r.
 */

#include <stdbool.h>
#include <stddef.h>

struct buffer;
struct pool;

/* Limits on what we accept from outside. */
#define VCARD_MAX_SIZE (1024 * 1024)   /* bytes of one card */
#define VCARD_MAX_PROPS 10000          /* content lines, BEGIN/END aside */
#define VCARD_MAX_PARAMS 100           /* parameters of one property */
/* One content line after unfolding: an inline PHOTO of ~380 KB fits;
   bigger pictures belong behind a URI. */
#define VCARD_MAX_LINE (512 * 1024)
#define VCARD_MAX_NAME 256             /* group, property or parameter name */

struct vcard_param {
	const char *name;     /* upper case */
	/* as written, with the double quotes around values removed (so
	   TYPE="work","voice" and TYPE=work,voice both give "work,voice");
	   RFC 6868 ^-escapes are left as they are. NULL for a parameter
	   written without "=" (vCard 2.1 style "TEL;HOME:"). */
	const char *value;
};

struct vcard_prop {
	const char *group;    /* "item1" of "item1.EMAIL", as written, or NULL */
	const char *name;     /* upper case */
	struct vcard_param *params;  /* every one, unknown ones too, in order */
	unsigned int param_count;
	/* unfolded, but still escaped as written: see vcard_unescape() */
	const char *value;
	/* where the content line is in the data parsed: data[start, end)
	   holds it as written, folds and line break included (so that an
	   editor can keep the lines it does not change byte for byte) */
	size_t start, end;
};

struct vcard {
	const char *version;  /* "3.0" or "4.0" */
	/* the first UID and FN, unescaped; NULL if absent. RFC 6352 5.1
	   wants a UID in every stored card: that policy is the caller's. */
	const char *uid;
	const char *fn;
	/* every content line but BEGIN and END (VERSION included), in order */
	struct vcard_prop *props;
	unsigned int prop_count;
};

/*
 * Parse one vCard. data need not be NUL-terminated. Lines end in CRLF or
 * LF; a line starting with a space or tab continues the one before (RFC
 * 6350 3.2), even inside a UTF-8 character. Blank lines are skipped.
 *
 * Errors (-1 and a reason): over a limit; NUL or bytes that are not UTF-8
 * (checked after unfolding); no BEGIN:VCARD first or END:VCARD last;
 * anything after END:VCARD (a second card); a nested BEGIN (an AGENT
 * vCard written inline in 3.0); a line without ":" or with a name that
 * is not letters, digits, "-" and "_" (optionally "group."); an
 * unterminated quoted parameter; VERSION missing, given twice, or other
 * than 3.0 and 4.0; several UIDs; no FN in a 4.0 card. A 3.0 card without
 * N or FN is accepted (real ones exist).
 */
int vcard_parse(struct pool *pool, const void *data, size_t size,
		struct vcard **card_r, const char **error_r);

/*
 * The text of a value (RFC 6350 3.4): "\n" and "\N" become a line feed,
 * any other character after a backslash stands for itself ("\,", "\;",
 * "\\", and the "\:" some 3.0 writers use). A structured value (N, ADR)
 * loses its structure: split it with vcard_split() instead.
 */
const char *vcard_unescape(struct pool *pool, const char *value);

/*
 * Split a value at each unescaped sep (';' for the fields of N and ADR,
 * ',' for the values of CATEGORIES or NICKNAME) and unescape each part.
 * Returns how many parts (at least 1); *parts_r is from pool.
 */
unsigned int vcard_split(struct pool *pool, const char *value, char sep,
			 const char ***parts_r);

/* vcard_split() without the unescaping: each part as written. */
unsigned int vcard_split_raw(struct pool *pool, const char *value, char sep,
			     const char ***parts_r);

/* The first property called name (ASCII case-insensitively), or NULL. */
const struct vcard_prop *vcard_find(const struct vcard *card, const char *name);
/* The value of prop's first parameter called name, or NULL (also for a
   parameter written without a value). */
const char *vcard_param_value(const struct vcard_prop *prop, const char *name);

/* RFC 6352 10.5.4 (CARDDAV:text-match) match types. */
enum vcard_match_type {
	VCARD_MATCH_EQUALS,
	VCARD_MATCH_CONTAINS,
	VCARD_MATCH_STARTS_WITH,
	VCARD_MATCH_ENDS_WITH,
};

/*
 * Does value (text: unescape it first) match needle? casemap: the
 * i;unicode-casemap collation (RFC 5051), which RFC 6352 8.3 makes the
 * default, done as ASCII case folding with other characters compared
 * octet by octet; false: i;octet. An empty needle is contained in, starts
 * and ends every value, and equals only "". NULL value or needle: false.
 */
bool vcard_text_match(const char *value, const char *needle, bool casemap,
		      enum vcard_match_type match_type);

/* --- writing --- */

/*
 * Append text as a vCard text value (RFC 6350 3.4): "\\", "," and ";"
 * escaped, and each line break (CRLF, CR or LF) written "\\n". A
 * structured value (N, ORG) is its escaped parts joined with ';'.
 */
void vcard_escape(struct buffer *out, const char *text);

/*
 * Append prop as one content line: group and name, the parameters (a
 * value with ';' or ':' in double quotes, commas bare as the separators
 * of several values; a '"', which no value can carry, is left out; a NULL
 * value writes the name alone), ':' and the value as given (escaped
 * already), folded at 75 octets (RFC 6350 3.2) without cutting a UTF-8
 * character, ending in CRLF. start and end are not looked at.
 */
void vcard_write_prop(struct buffer *out, const struct vcard_prop *prop);

#endif
