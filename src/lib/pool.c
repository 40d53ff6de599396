/*
 * A pool is a list of blocks; allocations are bumped from the newest one.
 * Large requests get a block of their own so that one big literal does not
 * waste the rest of a small block.
 */
#include "pool.h"
#include "alloc.h"
#include "fatal.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_ALIGN 16
#define POOL_ALIGN_UP(n) (((n) + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1))

struct pool_block {
	struct pool_block *next;
	size_t size;
	size_t used;
	/* data follows, aligned */
};

struct pool_cleanup {
	struct pool_cleanup *next;
	pool_cleanup_fn *fn;
	void *context;
};

struct pool {
	struct pool_block *first;  /* of initial_size; kept by pool_clear() */
	struct pool_block *blocks; /* the current block first, then older ones */
	struct pool_cleanup *cleanups;
	size_t initial_size;
	size_t used_total;
};

#define BLOCK_HEADER POOL_ALIGN_UP(sizeof(struct pool_block))

static struct pool_block *pool_block_new(size_t size)
{
	struct pool_block *block = xmalloc(BLOCK_HEADER + size);

	block->next = NULL;
	block->size = size;
	block->used = 0;
	return block;
}

struct pool *pool_create(size_t initial_size)
{
	struct pool *pool = xcalloc(1, sizeof(*pool));

	if (initial_size < 256)
		initial_size = 256;
	pool->initial_size = POOL_ALIGN_UP(initial_size);
	pool->first = pool_block_new(pool->initial_size);
	pool->blocks = pool->first;
	return pool;
}

static void pool_run_cleanups(struct pool *pool)
{
	/* Newest first, so an object is cleaned before what it was built on. */
	while (pool->cleanups != NULL) {
		struct pool_cleanup *c = pool->cleanups;

		pool->cleanups = c->next;
		c->fn(c->context);
	}
}

void pool_clear(struct pool *pool)
{
	struct pool_block *block;

	pool_run_cleanups(pool);
	block = pool->blocks;
	while (block != NULL) {
		struct pool_block *next = block->next;

		if (block != pool->first)
			free(block);
		block = next;
	}
	pool->first->used = 0;
	pool->first->next = NULL;
	pool->blocks = pool->first;
	pool->used_total = 0;
}

void pool_destroy(struct pool **_pool)
{
	struct pool *pool = *_pool;

	if (pool == NULL)
		return;
	*_pool = NULL;
	pool_run_cleanups(pool);
	while (pool->blocks != NULL) {
		struct pool_block *next = pool->blocks->next;

		free(pool->blocks);
		pool->blocks = next;
	}
	free(pool);
}

static void *pool_alloc_raw(struct pool *pool, size_t size)
{
	struct pool_block *block = pool->blocks;
	void *mem;

	if (size == 0)
		size = 1;
	if (size > SIZE_MAX / 2)
		fatal_oom();
	size = POOL_ALIGN_UP(size);
	if (block->size - block->used < size) {
		size_t bsize = block->size * 2;

		if (bsize < size)
			bsize = size;
		if (bsize > 1024 * 1024 && size < 1024 * 1024)
			bsize = 1024 * 1024;
		if (size >= bsize / 2) {
			/* A big allocation gets a block of its own, placed
			   after the current one so that the current block
			   keeps serving small requests. */
			struct pool_block *big = pool_block_new(size);

			big->used = size;
			big->next = block->next;
			block->next = big;
			pool->used_total += size;
			return (char *)big + BLOCK_HEADER;
		}
		block = pool_block_new(bsize);
		block->next = pool->blocks;
		pool->blocks = block;
	}
	mem = (char *)block + BLOCK_HEADER + block->used;
	block->used += size;
	pool->used_total += size;
	return mem;
}

void *p_malloc(struct pool *pool, size_t size)
{
	void *mem = pool_alloc_raw(pool, size);

	memset(mem, 0, size == 0 ? 1 : size);
	return mem;
}

void *p_realloc(struct pool *pool, void *mem, size_t old_size, size_t new_size)
{
	void *new_mem;

	if (new_size <= old_size)
		return mem;
	new_mem = p_malloc(pool, new_size);
	if (mem != NULL && old_size > 0)
		memcpy(new_mem, mem, old_size);
	return new_mem;
}

/* Twice alloc elements, or first_alloc when there are none yet. A count or
   a size in bytes that does not fit is out of memory. */
static unsigned int grow_count(size_t elem_size, unsigned int alloc,
			       unsigned int first_alloc)
{
	unsigned int new_alloc;

	assert(first_alloc > 0);
	if (alloc == 0)
		new_alloc = first_alloc;
	else if (alloc > UINT_MAX / 2)
		fatal_oom();
	else
		new_alloc = alloc * 2;
	if (elem_size > 0 && new_alloc > SIZE_MAX / elem_size)
		fatal_oom();
	return new_alloc;
}

void *p_grow(struct pool *pool, void *array, size_t elem_size,
	     unsigned int count, unsigned int *alloc, unsigned int first_alloc)
{
	unsigned int old_alloc = *alloc;

	if (count < old_alloc)
		return array;
	*alloc = grow_count(elem_size, old_alloc, first_alloc);
	return p_realloc(pool, array, elem_size * old_alloc, elem_size * *alloc);
}

void *mem_grow(void *array, size_t elem_size, unsigned int count,
	       unsigned int *alloc, unsigned int first_alloc)
{
	if (count < *alloc)
		return array;
	*alloc = grow_count(elem_size, *alloc, first_alloc);
	array = xrealloc(array, elem_size * *alloc);
	return array;
}

char *p_strdup(struct pool *pool, const char *str)
{
	if (str == NULL)
		return NULL;
	return p_strndup(pool, str, strlen(str));
}

char *p_strndup(struct pool *pool, const void *str, size_t len)
{
	char *mem = pool_alloc_raw(pool, len + 1);

	if (len > 0)
		memcpy(mem, str, len);
	mem[len] = '\0';
	return mem;
}

char *p_vprintf(struct pool *pool, const char *fmt, va_list args)
{
	va_list copy;
	char small[256];
	char *mem;
	int len;

	va_copy(copy, args);
	len = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (len < 0)
		fatal("vsnprintf failed for format %s", fmt);
	mem = pool_alloc_raw(pool, (size_t)len + 1);
	if ((size_t)len < sizeof(small))
		memcpy(mem, small, (size_t)len + 1);
	else
		vsnprintf(mem, (size_t)len + 1, fmt, args);
	return mem;
}

char *p_printf(struct pool *pool, const char *fmt, ...)
{
	va_list args;
	char *ret;

	va_start(args, fmt);
	ret = p_vprintf(pool, fmt, args);
	va_end(args);
	return ret;
}

void pool_add_cleanup(struct pool *pool, pool_cleanup_fn *fn, void *context)
{
	struct pool_cleanup *c = pool_alloc_raw(pool, sizeof(*c));

	c->fn = fn;
	c->context = context;
	c->next = pool->cleanups;
	pool->cleanups = c;
}

size_t pool_used(const struct pool *pool)
{
	return pool->used_total;
}
