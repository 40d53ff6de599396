#ifndef INFOSTORE_IMAP_SEARCH_ARGS_H
#define INFOSTORE_IMAP_SEARCH_ARGS_H

/*
 * SEARCH keys (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 7162 3.1.5 MODSEQ,
 * RFC 5182 "$") parsed from command arguments into a tree that src/imap
 * evaluates against the store.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "imap-seqset.h"

struct imap_arg;
struct pool;

/* Same bits as the store's message flags. */
enum imap_flag {
	IMAP_FLAG_SEEN = 0x01,
	IMAP_FLAG_ANSWERED = 0x02,
	IMAP_FLAG_FLAGGED = 0x04,
	IMAP_FLAG_DELETED = 0x08,
	IMAP_FLAG_DRAFT = 0x10,
};

enum imap_search_type {
	IMAP_SEARCH_ALL,
	IMAP_SEARCH_AND,          /* all children */
	IMAP_SEARCH_OR,           /* either of two children */
	IMAP_SEARCH_SEQSET,
	IMAP_SEARCH_UIDSET,
	IMAP_SEARCH_SAVED,        /* "$": the saved result */
	IMAP_SEARCH_FLAG,         /* flag has the bit */
	IMAP_SEARCH_KEYWORD,
	IMAP_SEARCH_RECENT,
	IMAP_SEARCH_BEFORE,       /* INTERNALDATE day < day */
	IMAP_SEARCH_ON,
	IMAP_SEARCH_SINCE,        /* INTERNALDATE day >= day */
	IMAP_SEARCH_SENTBEFORE,   /* Date: header, likewise */
	IMAP_SEARCH_SENTON,
	IMAP_SEARCH_SENTSINCE,
	IMAP_SEARCH_LARGER,       /* RFC822.SIZE > num */
	IMAP_SEARCH_SMALLER,
	IMAP_SEARCH_HEADER,       /* field contains value (FROM, SUBJECT...) */
	IMAP_SEARCH_BODY,         /* body text contains value */
	IMAP_SEARCH_TEXT,         /* header or body contains value */
	IMAP_SEARCH_MODSEQ,       /* MODSEQ >= num */
};

struct imap_search_key {
	enum imap_search_type type;
	bool not;
	struct imap_search_key *children;  /* AND, OR */
	struct imap_search_key *next;      /* sibling */
	uint32_t flag;
	const char *field;                 /* HEADER field name */
	const char *value;                 /* KEYWORD, HEADER, BODY, TEXT */
	time_t day;
	uint64_t num;
	struct imap_seqset set;
	/* filled by the evaluator: UIDs (ascending) matching a HEADER, BODY
	   or TEXT key, found through the store's text index */
	uint32_t *matches;
	unsigned int match_count;
};

struct imap_search_context {
	uint32_t seq_star;   /* messages in the view ("*" in a sequence set) */
	uint32_t uid_star;   /* highest UID in the view */
	bool seq_star_valid; /* false for an empty mailbox: "*" is an error */
};

/*
 * Parse args (up to EOL) as search keys ANDed together. The root is an
 * AND. 0, or -1 with a static *error_r (a BAD reply).
 */
int imap_search_args_parse(struct pool *pool, const struct imap_arg *args,
			   const struct imap_search_context *ctx,
			   struct imap_search_key **root_r, const char **error_r);

/* Does the tree use keys that need the message text (BODY/TEXT)? */
bool imap_search_uses(const struct imap_search_key *key, enum imap_search_type type);

#endif
