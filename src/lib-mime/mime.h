#ifndef INFOSTORE_MIME_H
#define INFOSTORE_MIME_H

/*
 * MIME, through GMime: what infostore computes once at delivery (IMAP
 * ENVELOPE and BODYSTRUCTURE, sizes, the part map, searchable text) and
 * what the web access and the calendar need to read a message.
 *
 * <gmime/gmime.h> is included in src/lib-mime alone; callers see plain C
 * strings allocated from their pool.
 *
 * Hostile input never crashes these functions and never makes them fail:
 * a message GMime cannot make sense of is summarised as one text/plain part.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct pool;

/* Once per process, before any other call. */
void mime_init(void);
void mime_deinit(void);

/* Limits on what is kept for search: a huge attachment is not indexed. */
#define MIME_TEXT_MAX (1024 * 1024)
#define MIME_MAX_DEPTH 32
#define MIME_MAX_PARTS 1000

/*
 * The structure of a message as IMAP's ENVELOPE and BODYSTRUCTURE describe
 * it (RFC 9051 7.5.2), as data: src/lib-imap renders it on the wire
 * (imap-bodystructure.h), the web access reads it. Header values are as
 * written, unfolded (encoded-words kept); NULL where the header is absent.
 */
enum mime_address_kind {
	MIME_ADDRESS_MAILBOX,
	MIME_ADDRESS_GROUP_START,  /* name is the group's; members follow */
	MIME_ADDRESS_GROUP_END,
};

struct mime_address {
	enum mime_address_kind kind;
	const char *name;    /* display name as written, or NULL */
	const char *route;   /* source route ("@a,@b"), or NULL */
	const char *local;   /* local part, or NULL */
	const char *domain;  /* or NULL (no '@') */
};

struct mime_address_list {
	const struct mime_address *addrs;
	unsigned int count;  /* 0: no header, or nothing GMime could parse */
};

struct mime_envelope {
	const char *date, *subject;
	/* sender and reply_to are from's when their headers are absent, as
	   ENVELOPE defines them */
	struct mime_address_list from, sender, reply_to, to, cc, bcc;
	const char *in_reply_to, *message_id;
};

struct mime_param {
	const char *name, *value;
};

struct mime_params {
	const struct mime_param *params;
	unsigned int count;  /* 0: none (NIL) */
};

struct mime_body {
	const char *type, *subtype;  /* as written (never NULL) */
	struct mime_params params;   /* text parts without any: charset=us-ascii */
	bool multipart;              /* children, else a leaf */
	/* a leaf */
	const char *id, *description, *encoding;  /* encoding never NULL */
	uint64_t size;               /* octets, bare LF counted as CRLF */
	uint64_t lines;              /* text/ and message/rfc822 leaves */
	bool has_lines;
	const struct mime_envelope *envelope;  /* message/rfc822: the message */
	const struct mime_body *message;
	const char *md5;
	/* a multipart (at least one child) */
	const struct mime_body *const *children;
	unsigned int child_count;
	/* extension data of both */
	const char *disposition;     /* or NULL */
	struct mime_params disposition_params;
	const char *language, *location;
};

struct mime_summary {
	uint64_t size;          /* bytes as given */
	uint64_t vsize;         /* with every bare LF counted as CRLF */
	uint32_t header_size;   /* bytes of the header block incl. blank line */
	bool crlf;              /* no bare LF anywhere */
	const struct mime_envelope *envelope;
	const struct mime_body *body;
	const char *message_id; /* Message-ID without <>, or NULL */
	const char *sent_date;  /* Date: as written (unfolded), or NULL */
	time_t sent_time;       /* parsed Date:, 0 if none or unparsable */
	const char *subject;    /* decoded UTF-8, or NULL */
	const char *from;       /* first From address (addr-spec), or NULL */
	const char *headers;    /* "Name: decoded value\n"... for SEARCH TEXT */
	const char *text;       /* decoded UTF-8 text of the text parts */
	const char *parts;      /* part map, see mime_parts_parse() */
};

/* Summarise a message. All strings in *sum_r come from pool. */
void mime_summarize(struct pool *pool, const unsigned char *data, size_t size,
		    struct mime_summary *sum_r);

/*
 * The part map: one line per MIME entity in pre-order,
 *   "DEPTH KIND HEADER_START BODY_START BODY_END\n"
 * KIND is 'm' multipart, 'r' message/rfc822 (its message follows at
 * DEPTH+1 as kind 'e'), 'e' an embedded or top-level message, 'l' a leaf.
 * Offsets are into the stored bytes. The top-level message is depth 0
 * kind 'e'. IMAP section numbers are derived from this by lib-imap.
 */
struct mime_part_pos {
	unsigned int depth;
	char kind;
	uint64_t header_start;
	uint64_t body_start;
	uint64_t body_end;
};
/* Parse a part map into an array from pool. 0 or -1 (malformed). */
int mime_parts_parse(struct pool *pool, const char *map,
		     struct mime_part_pos **parts_r, unsigned int *count_r);

/* One leaf of a message, for the web access and the calendar. */
struct mime_leaf {
	const char *section;     /* "1", "2.1", ... ("1" for a single part) */
	const char *type;        /* lowercase, e.g. "text" */
	const char *subtype;     /* lowercase, e.g. "calendar" */
	const char *charset;     /* or NULL */
	const char *method;      /* Content-Type method= (iMIP), or NULL */
	const char *filename;    /* or NULL */
	const char *content_id;  /* without <>, or NULL */
	/* Content-Language (RFC 3282) as given, the part's own or the
	   nearest enclosing one's within its message; or NULL */
	const char *language;
	bool attachment;         /* Content-Disposition: attachment */
	/* transfer-decoded content; for text/ parts also converted to UTF-8 */
	const unsigned char *data;
	size_t size;
};
typedef void mime_leaf_cb(void *context, const struct mime_leaf *leaf);
/* Call cb for every leaf (depth-first, at most MIME_MAX_PARTS), including
   the leaves inside attached messages. */
void mime_foreach_leaf(struct pool *pool, const unsigned char *data,
		       size_t size, mime_leaf_cb *cb, void *context);

/* A header of the top-level message, decoded to UTF-8 (first occurrence),
   or NULL. */
const char *mime_get_header(struct pool *pool, const unsigned char *data,
			    size_t size, const char *name);

/* Decode RFC 2047 encoded-words in a header value to UTF-8. */
const char *mime_decode_header(struct pool *pool, const char *value);
/* Encode a UTF-8 phrase for a header (RFC 2047 where needed). */
const char *mime_encode_phrase(struct pool *pool, const char *utf8);
/* Encode an unstructured UTF-8 header value (Subject). */
const char *mime_encode_text(struct pool *pool, const char *utf8);
/* The addr-specs of an address header value ("a@b, c@d" from
   "A <a@b>, c@d"), comma-separated, or NULL. */
const char *mime_address_list_addrs(struct pool *pool, const char *value);
/* A mailbox for a From: or To: header: "Name <address>" with the name
   quoted where RFC 5322 3.4 needs it and RFC 2047-encoded when it is not
   ASCII; the bare address when name is NULL or empty. name is UTF-8 text
   without line breaks (the caller checks). */
const char *mime_mailbox_header(struct pool *pool, const char *name,
				const char *address);
/* "Alice Example <alice@example.test>" to its display name or address */
const char *mime_address_display(struct pool *pool, const char *value);

/* What mime_transfer_decode() did. */
enum mime_transfer {
	MIME_TRANSFER_DECODED,    /* base64, quoted-printable, uuencode undone */
	MIME_TRANSFER_LINES,      /* 7bit, 8bit or none: the data as it is */
	MIME_TRANSFER_BINARY,     /* binary: the data as it is */
};
/* Undo a Content-Transfer-Encoding (RFC 2045 6); encoding NULL or empty is
   7bit. *out_r is data itself or new memory from pool. -1: an encoding
   we do not know (IMAP's UNKNOWN-CTE); otherwise an enum mime_transfer. */
int mime_transfer_decode(struct pool *pool, const char *encoding,
			 const unsigned char *data, size_t size,
			 const unsigned char **out_r, size_t *size_r);

/* Current time as an RFC 5322 date ("Tue, 24 Nov 2026 09:10:00 +0000") */
const char *mime_date_now(struct pool *pool);
/* A new Message-ID value "<random@host>" */
const char *mime_new_message_id(struct pool *pool, const char *host);

#endif
