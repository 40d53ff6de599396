#ifndef INFOSTORE_MAILDIR_PARSE_H
#define INFOSTORE_MAILDIR_PARSE_H

/*
 * Dovecot's Maildir++ metadata, parsed without I/O: the dovecot-uidlist
 * header and entries, dovecot-keywords lines, the flags in a message's
 * file name, folder directory names and the subscriptions file.
 *
 * The files are the operator's, but a file name comes from whoever
 * delivered the message and a line may be damaged: every function takes a
 * length, reads no further, and answers -1 for what it cannot make sense
 * of rather than guessing. Formats are Dovecot's
 * (src/lib-storage/index/maildir/maildir-uidlist.c,
 * maildir-filename.c, src/lib-storage/list/subscription-file.c).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buffer;

/* Longest line we read from the control files (Dovecot's own limit for a
   uidlist line is of this order; a longer one is damage). */
#define MAILDIR_LINE_MAX 8192
/* Keywords a file name can carry: 'a'..'z'. */
#define MAILDIR_KEYWORDS_MAX 26

/* The system flags, as Maildir file names and mbox Status headers carry
   them. */
enum maildir_flag {
	MAILDIR_FLAG_SEEN = 0x01,      /* S */
	MAILDIR_FLAG_ANSWERED = 0x02,  /* R (replied) */
	MAILDIR_FLAG_FLAGGED = 0x04,   /* F */
	MAILDIR_FLAG_DELETED = 0x08,   /* T (trashed) */
	MAILDIR_FLAG_DRAFT = 0x10,     /* D */
};

struct maildir_uidlist_header {
	unsigned int version;   /* 1 or 3 (2 is read as 1 with flags) */
	uint32_t uidvalidity;
	uint32_t next_uid;
};

/* The first line, without its line break: "3 V<uidvalidity> N<nextuid>
   G<guid> ..." (fields in any order, unknown ones ignored; a GUID that
   is not 32 hex digits makes the header invalid, as for Dovecot) or
   "1 <uidvalidity> <nextuid>". UIDVALIDITY and the next UID must be
   there and non-zero. 0, or -1 with *error_r a static string. */
int maildir_uidlist_parse_header(const char *line, size_t len,
				 struct maildir_uidlist_header *hdr_r,
				 const char **error_r);

/* An entry line: version 3 "<uid> [<key><value> ...] :<basename>",
   version 1 "<uid> <basename>", version 2 "<uid> <flags> <basename>".
   *base_r points into line; the basename has no '/' and no ':' part.
   0, or -1 for a damaged line. */
int maildir_uidlist_parse_entry(unsigned int version, const char *line,
				size_t len, uint32_t *uid_r,
				const char **base_r, size_t *base_len_r);

/* A dovecot-keywords line "<index> <name>". Index 0..25; the name is an
   IMAP atom (maildir_keyword_valid()). 0, or -1. */
int maildir_keywords_parse_line(const char *line, size_t len,
				unsigned int *index_r, const char **name_r,
				size_t *name_len_r);
/* Can this be an IMAP keyword (RFC 9051 atom, not a system flag)? */
bool maildir_keyword_valid(const char *name, size_t len);

struct maildir_filename_info {
	size_t base_len;       /* bytes before ":2," (the whole name if none) */
	uint32_t flags;        /* enum maildir_flag */
	uint32_t keywords;     /* bit n: keyword index n ('a' + n) */
};
/* What a file name in cur/ or new/ says: "<base>:2,<flags>". Flags
   other than DFRST and a..z (P passed, unknown letters) are ignored, as
   Dovecot does. Never fails. */
void maildir_filename_parse(const char *fname, size_t len,
			    struct maildir_filename_info *info_r);

/* The order in which Dovecot gives UIDs to files not yet in the uidlist
   (maildir_filename_sort_cmp()): by the leading seconds, then the
   microseconds after ".M", then the base name. NUL-terminated names. */
int maildir_filename_sort_cmp(const char *a, const char *b);

/* A Maildir++ folder directory name (".Parent.Child", with the leading
   dot) to our mailbox name ("Parent/Child", UTF-8): '.' separates
   levels, each level is modified UTF-7 (RFC 3501 5.1.3). Appends to dest.
   0, or -1 if it is not a folder name (no leading dot, an empty level,
   bad UTF-7, a '/' or a control character). */
int maildir_folder_name_decode(const char *dirname, size_t len,
			       struct buffer *dest);

/* The subscriptions file: version 2 starts with "V\t2\n\n" (then levels
   are separated by TAB and escaped with \001), an older one has one name
   a line with '.' between levels. Returns the version (1 or 2) and the
   header's length to skip. */
unsigned int maildir_subscriptions_version(const char *data, size_t len,
					   size_t *skip_r);
/* One line of it (no line break) to our mailbox name, appended to dest.
   0, or -1 (as maildir_folder_name_decode()). */
int maildir_subscription_decode(unsigned int version, const char *line,
				size_t len, struct buffer *dest);

#endif
