/* The mbox splitter of `infostore import`: the input is split once whole
   and once in chunks whose sizes come from the first byte; both must cut
   the same messages with the same bytes and flags (how read() cut the
   file may not matter), and no message may come out larger than what
   went in. */
#include "mbox-split.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	uint64_t hash;
	size_t bytes;
	unsigned int messages;
	bool open;
};

static void mix(struct run *r, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		r->hash = (r->hash ^ p[i]) * 0x100000001b3ULL;
}

static void cb_begin(void *context)
{
	struct run *r = context;

	assert(!r->open);
	r->open = true;
	mix(r, "<", 1);
}

static void cb_data(void *context, const unsigned char *data, size_t len)
{
	struct run *r = context;

	assert(r->open && len > 0);
	r->bytes += len;
	mix(r, data, len);
}

static void cb_end(void *context, const struct mbox_message_state *state)
{
	struct run *r = context;

	assert(r->open);
	r->open = false;
	r->messages++;
	assert(strlen(state->keywords) <= MBOX_KEYWORDS_MAX);
	mix(r, &state->flags, sizeof(state->flags));
	mix(r, state->keywords, strlen(state->keywords));
	mix(r, &state->from_time, sizeof(state->from_time));
}

static const struct mbox_split_callbacks callbacks = { cb_begin, cb_data, cb_end };

static void split(const uint8_t *data, size_t size, size_t step, struct run *r)
{
	struct mbox_split *sp = mbox_split_create(&callbacks, r);

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < size; i += step)
		mbox_split_feed(sp, data + i, size - i < step ? size - i : step);
	mbox_split_finish(sp);
	assert(!r->open);
	assert(r->bytes + mbox_split_garbage(sp) <= size);
	mbox_split_destroy(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run whole, chunked;
	size_t step;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	data++;
	size--;
	split(data, size, size + 1, &whole);
	split(data, size, step, &chunked);
	assert(whole.hash == chunked.hash);
	assert(whole.messages == chunked.messages);
	return 0;
}
