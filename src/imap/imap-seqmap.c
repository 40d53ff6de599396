#include "imap-seqmap.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

void imap_seqmap_free(struct imap_seqmap *map)
{
	free(map->runs);
	memset(map, 0, sizeof(*map));
}

static struct imap_seqmap_run *seqmap_new_run(struct imap_seqmap *map)
{
	map->runs = mem_grow(map->runs, sizeof(*map->runs), map->run_count,
			     &map->run_alloc, 4);
	return &map->runs[map->run_count++];
}

void imap_seqmap_append(struct imap_seqmap *map, uint32_t uid)
{
	struct imap_seqmap_run *last = map->run_count > 0 ?
		&map->runs[map->run_count - 1] : NULL;

	if (last != NULL && last->uid + last->len == uid) {
		last->len++;
	} else {
		struct imap_seqmap_run *run = seqmap_new_run(map);

		run->uid = uid;
		run->index = map->count;
		run->len = 1;
	}
	map->count++;
}

/* The run holding index. */
static unsigned int seqmap_run_of_index(const struct imap_seqmap *map,
					unsigned int index, unsigned int hint)
{
	unsigned int lo = 0, hi = map->run_count;

	if (hint < map->run_count) {
		const struct imap_seqmap_run *r = &map->runs[hint];

		if (index >= r->index && index < r->index + r->len)
			return hint;
		if (hint + 1 < map->run_count && index >= r->index + r->len &&
		    index < map->runs[hint + 1].index + map->runs[hint + 1].len)
			return hint + 1;
	}
	while (lo + 1 < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (map->runs[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint32_t imap_seqmap_uid(struct imap_seqmap *map, unsigned int index)
{
	unsigned int r = seqmap_run_of_index(map, index, map->hint);

	map->hint = r;
	return map->runs[r].uid + (index - map->runs[r].index);
}

/* The first run whose last UID is >= uid (run_count if none). */
static unsigned int seqmap_run_of_uid(const struct imap_seqmap *map, uint32_t uid)
{
	unsigned int lo = 0, hi = map->run_count;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct imap_seqmap_run *r = &map->runs[mid];

		if ((uint64_t)r->uid + r->len - 1 < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

unsigned int imap_seqmap_lower_bound(const struct imap_seqmap *map, uint32_t uid)
{
	unsigned int r = seqmap_run_of_uid(map, uid);
	const struct imap_seqmap_run *run;

	if (r == map->run_count)
		return map->count;
	run = &map->runs[r];
	return uid <= run->uid ? run->index : run->index + (uid - run->uid);
}

uint32_t imap_seqmap_seq(const struct imap_seqmap *map, uint32_t uid)
{
	unsigned int r = seqmap_run_of_uid(map, uid);
	const struct imap_seqmap_run *run;

	if (r == map->run_count)
		return 0;
	run = &map->runs[r];
	if (uid < run->uid)
		return 0;
	return run->index + (uid - run->uid) + 1;
}

uint32_t imap_seqmap_last(const struct imap_seqmap *map)
{
	const struct imap_seqmap_run *last;

	if (map->run_count == 0)
		return 0;
	last = &map->runs[map->run_count - 1];
	return last->uid + last->len - 1;
}

void imap_seqmap_remove(struct imap_seqmap *map, const uint32_t *uids,
			unsigned int count)
{
	struct imap_seqmap old = *map;
	unsigned int u = 0;

	if (count == 0 || map->count == 0)
		return;
	memset(map, 0, sizeof(*map));
	/* rebuild run by run, splitting runs around removed UIDs */
	for (unsigned int r = 0; r < old.run_count; r++) {
		uint32_t uid = old.runs[r].uid;
		uint32_t end = old.runs[r].uid + old.runs[r].len; /* exclusive */

		while (uid < end) {
			uint32_t stop = end;

			while (u < count && uids[u] < uid)
				u++;
			if (u < count && uids[u] < end)
				stop = uids[u];
			if (stop > uid) {
				/* keep [uid, stop) */
				struct imap_seqmap_run *last = map->run_count > 0 ?
					&map->runs[map->run_count - 1] : NULL;

				if (last != NULL && last->uid + last->len == uid) {
					last->len += stop - uid;
				} else {
					struct imap_seqmap_run *run = seqmap_new_run(map);

					run->uid = uid;
					run->index = map->count;
					run->len = stop - uid;
				}
				map->count += stop - uid;
			}
			uid = stop < end ? stop + 1 : end;
		}
	}
	free(old.runs);
}
