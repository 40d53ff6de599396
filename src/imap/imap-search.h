#ifndef INFOSTORE_IMAP_SEARCH_H
#define INFOSTORE_IMAP_SEARCH_H

/*
 * Evaluating SEARCH keys (parsed by lib-imap's imap-search-args) over the
 * selected mailbox. Text keys (BODY, TEXT, HEADER, FROM...) are answered
 * first from the text the store keeps for search, so "SEARCH BODY word" never
 * reads a message; the other keys are checked message by message, a batch
 * per turn of the loop.
 */

#include <stdbool.h>
#include <stdint.h>

#include "imap-view.h"

struct imap_command;
struct imap_search_key;

struct imap_search {
	struct imap_search_key *root;
	int needs;                /* 0: view only, 1: index state, 2: store rows */
	bool uses_modseq;
	bool prepared;
	unsigned int pos;         /* next view index */
	struct imap_uid_array result; /* matching UIDs, ascending */
	/* with uses_modseq: the MODSEQ of each match (RFC 7162 3.1.5) */
	uint64_t *modseqs;
	unsigned int modseq_alloc;
};

/* Start a search over the client's view. */
void imap_search_init(struct imap_search *search, struct imap_search_key *root);
/* true: done (*failed_r on a store error); false: call again. */
bool imap_search_run(struct imap_command *cmd, struct imap_search *search,
		     bool *failed_r);

#endif
