#ifndef INFOSTORE_IMAP_FETCH_H
#define INFOSTORE_IMAP_FETCH_H

/*
 * FETCH (RFC 9051 6.4.5, RFC 7162 CHANGEDSINCE/MODSEQ/VANISHED): parsing
 * the data items and writing the responses in chunks. Envelope and body
 * structure come from what delivery cached; body sections are cut from
 * the stored bytes with the part map, bare LFs going out as CRLF.
 * BINARY (RFC 3516, part of IMAP4rev2) undoes a part's transfer encoding.
 *
 * A FETCH of 100,000 messages does not hold the loop: imap_fetch_run()
 * stops when the output is full or after a batch, forgets its store
 * iterator, and is called again to go on from the next UID.
 */

#include <stdbool.h>
#include <stdint.h>

#include "imap-section.h"
#include "imap-seqset.h"

struct imap_arg;
struct imap_command;
struct pool;

enum imap_fetch_item {
	IMAP_FETCH_FLAGS = 0x01,
	IMAP_FETCH_UID = 0x02,
	IMAP_FETCH_INTERNALDATE = 0x04,
	IMAP_FETCH_RFC822_SIZE = 0x08,
	IMAP_FETCH_ENVELOPE = 0x10,
	IMAP_FETCH_BODY = 0x20,
	IMAP_FETCH_BODYSTRUCTURE = 0x40,
	IMAP_FETCH_MODSEQ = 0x80,
};

enum imap_fetch_body_kind {
	IMAP_FETCH_BODY_RAW,      /* BODY[], RFC822*: the bytes as stored */
	IMAP_FETCH_BODY_BINARY,   /* BINARY[]: transfer encoding undone */
	IMAP_FETCH_BODY_BINARY_SIZE, /* BINARY.SIZE[]: its size */
};

struct imap_fetch_body {
	const char *name;         /* in the reply: "BODY[1.MIME]", "RFC822" */
	enum imap_fetch_body_kind kind;
	struct imap_section sect;
	bool peek;
	bool partial;
	uint64_t start, len;
};

struct imap_fetch {
	unsigned int items;
	struct imap_fetch_body *bodies;
	unsigned int body_count;
	bool set_seen;            /* a body item without PEEK */
	uint64_t changedsince;    /* 0: none */
	bool vanished;            /* UID FETCH ... (CHANGEDSINCE n VANISHED) */

	struct imap_seqset uids;  /* what to fetch, as UID ranges */
	/* progress */
	unsigned int range;
	uint32_t next_uid;
	bool started;
	bool expunged;            /* a requested message is gone */
	uint32_t *seen_set;       /* UIDs that got \Seen from this FETCH */
	unsigned int seen_count;
	bool seen_failed;         /* setting \Seen failed: seen_error */
	int seen_error;
	bool vanished_sent;
	bool unknown_cte;         /* a BINARY part we cannot decode (RFC 3516) */
	struct pool *msg_pool;    /* per message, cleared after each */
};

/*
 * Parse "set items [modifiers]" (cmd->args). 0, or -1 with a static
 * *error_r (BAD).
 */
int imap_fetch_parse(struct imap_command *cmd, struct imap_fetch *fetch,
		     const char **error_r);
/* Write responses. true: all written (the caller sends the tagged reply;
   *failed_r if a store error cut it short); false: call again (output
   full, or the loop's turn). Memory lives in the command's pool. */
bool imap_fetch_run(struct imap_command *cmd, struct imap_fetch *fetch,
		    bool *failed_r);

#endif
