#ifndef INFOSTORE_MBOX_SPLIT_H
#define INFOSTORE_MBOX_SPLIT_H

/*
 * An mbox cut into messages, without I/O: bytes go in as they are read
 * (in chunks of any size), messages come out through callbacks, bounded
 * memory whatever the input (one line of at most MBOX_LINE_MAX bytes is
 * looked at; longer lines pass through in pieces).
 *
 * What it does (mboxrd, which reads mboxo too):
 * - a message starts at a line beginning "From " at the start of the file
 *   or after an empty line; that empty line is the separator's and is not
 *   part of the message before it, nor is one empty line at the very end;
 * - in the body, a line ">From ", ">>From "... loses one '>' (mboxrd
 *   quoting; in mboxo only ">From " was quoted, and an original ">From "
 *   cannot be told apart, so it is unquoted too);
 * - the headers mail programs keep their state in are read and left out
 *   of the message, as Dovecot's mbox hides them from clients: Status (R
 *   seen), X-Status (A answered, F flagged, T draft, D deleted),
 *   X-Keywords, and X-UID, X-IMAP, X-IMAPbase, Content-Length.
 * Lines end in LF or CRLF; the bytes are otherwise passed on untouched.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MBOX_LINE_MAX 4096
/* Bytes of X-Keywords kept (space-separated atoms). */
#define MBOX_KEYWORDS_MAX 1024

struct mbox_message_state {
	uint32_t flags;          /* enum maildir_flag (maildir-parse.h) */
	const char *keywords;    /* space-separated valid atoms, "" if none */
	time_t from_time;        /* the "From " line's date (UTC), 0 if none */
};

struct mbox_split_callbacks {
	/* A message starts. */
	void (*begin)(void *context);
	/* Bytes of the current message, in order. */
	void (*data)(void *context, const unsigned char *data, size_t len);
	/* The current message is complete. state's strings live until the
	   next call. */
	void (*end)(void *context, const struct mbox_message_state *state);
};

struct mbox_split;

struct mbox_split *mbox_split_create(const struct mbox_split_callbacks *callbacks,
				     void *context);
void mbox_split_destroy(struct mbox_split **split);
/* Feed the next bytes of the file. */
void mbox_split_feed(struct mbox_split *split, const unsigned char *data,
		     size_t len);
/* End of the file: ends the last message. */
void mbox_split_finish(struct mbox_split *split);
/* Bytes before the first "From " line (not an mbox if the file had any). */
uint64_t mbox_split_garbage(const struct mbox_split *split);

/* The date of a "From " line (the text after "From "): the asctime() at
   its end, "Www Mmm dd hh:mm:ss yyyy" (seconds and a zone name before the
   year optional). 0, or -1 if there is none. */
int mbox_from_line_time(const char *line, size_t len, time_t *time_r);

#endif
