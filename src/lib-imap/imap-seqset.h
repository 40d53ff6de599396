#ifndef INFOSTORE_IMAP_SEQSET_H
#define INFOSTORE_IMAP_SEQSET_H

/*
 * Sequence sets (RFC 9051 9: sequence-set): "1:5,7,9:*". Used both for
 * message sequence numbers and for UIDs; "*" stands for the largest number
 * in use, which the caller passes in.
 *
 * A parsed set is a sorted array of disjoint, non-adjacent inclusive
 * ranges.
 */

#include <stdbool.h>
#include <stdint.h>

struct buffer;
struct pool;

struct imap_seq_range {
	uint32_t lo, hi;
};

struct imap_seqset {
	struct imap_seq_range *ranges;
	unsigned int count;
};

/* Parse str; "*" is star. 0, or -1 with a static *error_r. Ranges come
   from pool. A set that is only "$" is the caller's (SEARCHRES). */
int imap_seqset_parse(struct pool *pool, const char *str, uint32_t star,
		      struct imap_seqset *set_r, const char **error_r);
/* Is str syntactically a sequence set (digits, ':', ',' and '*')? */
bool imap_seqset_is_valid(const char *str);

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t num);
/* The highest number in the set, 0 for an empty set. */
uint32_t imap_seqset_max(const struct imap_seqset *set);
/* Numbers in the set. */
uint64_t imap_seqset_count(const struct imap_seqset *set);

/* Build a set from a sorted array of numbers (duplicates allowed). */
void imap_seqset_from_array(struct pool *pool, const uint32_t *nums,
			    unsigned int count, struct imap_seqset *set_r);
/* Append "1:5,7" (nothing for an empty set). */
void imap_seqset_write(struct buffer *buf, const struct imap_seqset *set);
/* The same for a sorted array of numbers. */
void imap_seqset_write_array(struct buffer *buf, const uint32_t *nums,
			     unsigned int count);

#endif
