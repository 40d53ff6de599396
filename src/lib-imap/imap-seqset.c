#include "imap-seqset.h"
#include "buffer.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

/* seq-number = nz-number / "*" */
static int seqset_number(const char **p, uint32_t star, uint32_t *num_r)
{
	uint64_t num = 0;
	const char *s = *p;

	if (*s == '*') {
		*num_r = star;
		*p = s + 1;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		num = num * 10 + (uint64_t)(*s - '0');
		if (num > UINT32_MAX)
			return -1;
		s++;
	}
	*num_r = (uint32_t)num;
	*p = s;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *ra = a, *rb = b;

	return ra->lo < rb->lo ? -1 : ra->lo > rb->lo ? 1 : 0;
}

/* Sort and merge overlapping or adjacent ranges in place. */
static unsigned int seqset_normalize(struct imap_seq_range *ranges, unsigned int count)
{
	unsigned int out = 0;

	if (count == 0)
		return 0;
	qsort(ranges, count, sizeof(*ranges), range_cmp);
	for (unsigned int i = 1; i < count; i++) {
		struct imap_seq_range *last = &ranges[out];

		if (ranges[i].lo <= last->hi ||
		    (last->hi != UINT32_MAX && ranges[i].lo == last->hi + 1)) {
			if (ranges[i].hi > last->hi)
				last->hi = ranges[i].hi;
		} else {
			ranges[++out] = ranges[i];
		}
	}
	return out + 1;
}

bool imap_seqset_is_valid(const char *str)
{
	if (*str == '\0')
		return false;
	for (const char *p = str; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || *p == ':' || *p == ',' || *p == '*'))
			return false;
	}
	return true;
}

int imap_seqset_parse(struct pool *pool, const char *str, uint32_t star,
		      struct imap_seqset *set_r, const char **error_r)
{
	unsigned int count = 1, n = 0;
	struct imap_seq_range *ranges;
	const char *p = str;

	memset(set_r, 0, sizeof(*set_r));
	for (const char *c = str; *c != '\0'; c++) {
		if (*c == ',')
			count++;
	}
	ranges = p_new(pool, struct imap_seq_range, count);
	for (;;) {
		uint32_t a, b;

		if (seqset_number(&p, star, &a) < 0) {
			*error_r = "Invalid sequence set";
			return -1;
		}
		b = a;
		if (*p == ':') {
			p++;
			if (seqset_number(&p, star, &b) < 0) {
				*error_r = "Invalid sequence set";
				return -1;
			}
		}
		/* RFC 9051 9: "2:4" and "4:2" are the same */
		ranges[n].lo = a < b ? a : b;
		ranges[n].hi = a < b ? b : a;
		n++;
		if (*p == '\0')
			break;
		if (*p != ',') {
			*error_r = "Invalid sequence set";
			return -1;
		}
		p++;
	}
	set_r->ranges = ranges;
	set_r->count = seqset_normalize(ranges, n);
	return 0;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t num)
{
	unsigned int lo = 0, hi = set->count;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (num < set->ranges[mid].lo)
			hi = mid;
		else if (num > set->ranges[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

uint32_t imap_seqset_max(const struct imap_seqset *set)
{
	return set->count == 0 ? 0 : set->ranges[set->count - 1].hi;
}

uint64_t imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < set->count; i++)
		total += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return total;
}

void imap_seqset_from_array(struct pool *pool, const uint32_t *nums,
			    unsigned int count, struct imap_seqset *set_r)
{
	unsigned int n = 0;

	set_r->ranges = p_new(pool, struct imap_seq_range, count > 0 ? count : 1);
	for (unsigned int i = 0; i < count; i++) {
		if (n > 0 && (nums[i] == set_r->ranges[n - 1].hi ||
			      nums[i] == set_r->ranges[n - 1].hi + 1)) {
			set_r->ranges[n - 1].hi = nums[i];
			continue;
		}
		set_r->ranges[n].lo = set_r->ranges[n].hi = nums[i];
		n++;
	}
	set_r->count = n;
}

static void seqset_write_range(struct buffer *buf, uint32_t lo, uint32_t hi, bool first)
{
	if (!first)
		buffer_append_c(buf, ',');
	if (lo == hi)
		buffer_printf(buf, "%u", lo);
	else
		buffer_printf(buf, "%u:%u", lo, hi);
}

void imap_seqset_write(struct buffer *buf, const struct imap_seqset *set)
{
	for (unsigned int i = 0; i < set->count; i++)
		seqset_write_range(buf, set->ranges[i].lo, set->ranges[i].hi, i == 0);
}

void imap_seqset_write_array(struct buffer *buf, const uint32_t *nums,
			     unsigned int count)
{
	uint32_t lo = 0, hi = 0;
	bool first = true;

	for (unsigned int i = 0; i < count; i++) {
		if (i > 0 && (nums[i] == hi || nums[i] == hi + 1)) {
			hi = nums[i];
			continue;
		}
		if (i > 0) {
			seqset_write_range(buf, lo, hi, first);
			first = false;
		}
		lo = hi = nums[i];
	}
	if (count > 0)
		seqset_write_range(buf, lo, hi, first);
}
