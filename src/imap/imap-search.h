#ifndef INFOSTORE_IMAP_SEARCH_H
#define INFOSTORE_IMAP_SEARCH_H

/*
 * Evaluating SEARCH keys (parsed by lib-imap's imap-search-args) over the
 * selected mailbox. Text keys (BODY, TEXT, HEADER, FROM...) are answered
 * first from the text the store keeps for search, so "SEARCH BODY word" never
 * reads a message; the other keys are checked message by message, a batch
 * per turn of the loop.
 *
 * The text keys are scans of every message's text: they run on a reader
 * thread (imap-writer.h) while the command waits, all of them within
 * [limits] imap_search_timeout, and a command has at most 1,000 keys.
 */

#include <stdbool.h>
#include <stdint.h>

#include "imap-view.h"
#include "store.h"

struct imap_command;
struct imap_search_key;

struct imap_search {
	struct imap_search_key *root;
	int needs;                /* 0: view only, 1: index state, 2: store rows */
	bool uses_modseq;
	bool prepared;            /* the text keys are sent or answered */
	bool failed;              /* ...and failed: */
	bool timed_out;           /* past imap_search_timeout, or */
	enum store_error error;   /* the store's error (NONE: the loop's) */
	struct imap_search_key **text_keys; /* in the order sent */
	unsigned int pos;         /* next view index */
	struct imap_uid_array result; /* matching UIDs, ascending */
	/* with uses_modseq: the MODSEQ of each match (RFC 7162 3.1.5) */
	uint64_t *modseqs;
	unsigned int modseq_alloc;
};

struct imap_arg;
/*
 * The search part of SEARCH, SORT and THREAD: check the charset argument
 * (NULL: none given; else it must be UTF-8 or US-ASCII, or NO
 * [BADCHARSET]) and parse the keys in args (or BAD), against the client's
 * view; more than 1,000 keys get NO [LIMIT]. true with *root_r; false
 * when the reply has been sent.
 */
bool imap_search_parse_keys(struct imap_command *cmd,
			    const struct imap_arg *charset_arg,
			    const struct imap_arg *args,
			    struct imap_search_key **root_r);

/*
 * The search part of SEARCH, SORT and THREAD failed (imap_search_run()
 * set *failed_r): the tagged NO, NO [LIMIT] when it ran out of time.
 * what names the command.
 */
void imap_search_reply_failed(struct imap_command *cmd,
			      const struct imap_search *search, const char *what);

/* Start a search over the client's view. */
void imap_search_init(struct imap_search *search, struct imap_search_key *root);
/* true: done (*failed_r on a store error or past the time budget: reply
   with imap_search_reply_failed()); false: call again (after the loop's
   next turn, or once the text keys are answered). */
bool imap_search_run(struct imap_command *cmd, struct imap_search *search,
		     bool *failed_r);

struct store_message;
typedef void imap_search_row_cb(void *context, unsigned int idx,
				const struct store_message *msg);
/*
 * For SORT and THREAD: read the store rows (with fields, STORE_FIELD_*)
 * of the messages uids[*pos .. count), ascending UIDs, at most a batch
 * per call. cb(context, idx, msg) runs for each one still there, idx its
 * place in uids; msg's strings last until cb returns. true: all read
 * (*failed_r on a store error); false: call again, the loop's next turn
 * is asked for.
 */
bool imap_search_read_rows(struct imap_command *cmd, const uint32_t *uids,
			   unsigned int count, unsigned int *pos,
			   unsigned int fields, imap_search_row_cb *cb,
			   void *context, bool *failed_r);

#endif
