#ifndef INFOSTORE_IMPORT_H
#define INFOSTORE_IMPORT_H

/*
 * Moving in: `infostore import` brings a user's mail from Dovecot's
 * Maildir++ or from an mbox into the store.
 *
 * Maildir keeps what IMAP clients have cached: each folder's UIDVALIDITY
 * and every message's UID from dovecot-uidlist (files not listed there
 * get the UIDs Dovecot would give them: from its next UID, in Dovecot's
 * file name order), the next UID, flags from the file names, keywords
 * through dovecot-keywords, and the subscriptions. A rerun finds the
 * UIDs already there and imports nothing again; a message whose UID the
 * mailbox has already used for something else (expunged since) is
 * skipped, never given a new UID.
 *
 * An mbox goes into one mailbox with new UIDs; a rerun recognises what it
 * imported before by Message-ID, Date header and exact size together
 * (each occurrence counted, so two identical messages stay two).
 *
 * Bodies are copied byte for byte (an mbox message is unquoted and loses
 * the headers mbox programs keep their state in; see mbox-split.h).
 * Messages are written in batches, each one durable transaction: a run
 * killed halfway leaves whole batches, and a rerun completes the rest.
 * Memory is bounded whatever the size of the input: files are streamed,
 * and one message is at most [limits] max_message_size (bigger ones are
 * skipped and counted).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct conf;
struct store;
struct store_user;

struct import_stats {
	unsigned int folders;    /* mailboxes imported into */
	unsigned int imported;   /* messages added */
	unsigned int present;    /* already there (a rerun) */
	unsigned int uid_used;   /* UID used before for another message */
	unsigned int too_big;    /* over max_message_size */
	unsigned int unreadable; /* vanished or unreadable files, damaged lines */
};

/* Every N messages a progress line goes to the progress stream. */
#define IMPORT_PROGRESS_EVERY 1000

/*
 * Import the Maildir++ at path for user. Problems with one message or
 * folder are reported on progress and counted; the result is a sysexits
 * code: 0, EX_NOINPUT (no Maildir at path), EX_DATAERR (a folder
 * conflicts with an existing mailbox of another UIDVALIDITY: nothing was
 * imported), EX_TEMPFAIL (the store failed; a rerun continues).
 */
int import_maildir(struct store *store, const struct conf *conf,
		   const struct store_user *user, const char *path,
		   FILE *progress, struct import_stats *stats_r);

/* Import the mbox file at path into mailbox (created if missing). Exit
   codes as import_maildir(); EX_DATAERR also when the file is not an
   mbox. */
int import_mbox(struct store *store, const struct conf *conf,
		const struct store_user *user, const char *path,
		const char *mailbox, FILE *progress,
		struct import_stats *stats_r);

#endif
