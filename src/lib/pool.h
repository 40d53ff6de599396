#ifndef INFOSTORE_POOL_H
#define INFOSTORE_POOL_H

/*
 * Memory pools (arenas).
 *
 * A pool hands out memory that lives until the pool is cleared or
 * destroyed; nothing allocated from a pool is freed on its own. Every
 * connection has a pool, and every command a pool that is cleared when the
 * command ends, so a command cannot leak whatever path it takes.
 *
 * A pool can also own foreign objects (a GMime message, a libical component,
 * a sqlite statement) through cleanup callbacks, which run in reverse order of
 * registration when the pool is cleared or destroyed.
 *
 * Out of memory is fatal: none of these functions returns NULL.
 */

#include <stdarg.h>
#include "alloc.h"
#include <stddef.h>

struct pool;

typedef void pool_cleanup_fn(void *context);

/* Create a pool whose first block holds at least initial_size bytes. */
struct pool *pool_create(size_t initial_size);
/* Run the cleanups and free everything; sets *pool to NULL. NULL is fine. */
void pool_destroy(struct pool **pool);
/* Run the cleanups and forget every allocation, keeping the first block. */
void pool_clear(struct pool *pool);

/* Zero-filled allocation, aligned for any type. */
void *p_malloc(struct pool *pool, size_t size);
/* Grow an allocation made from this pool; the old contents are kept. */
void *p_realloc(struct pool *pool, void *mem, size_t old_size, size_t new_size);
/* Room for one more element: when count has reached *alloc the array is
   copied into one twice as big (first_alloc elements the first time) and
   *alloc updated; otherwise array is returned as it is. The old array stays
   in the pool until it is cleared. */
void *p_grow(struct pool *pool, void *array, size_t elem_size,
	     unsigned int count, unsigned int *alloc, unsigned int first_alloc);
/* The same for an array from xmalloc(), which the caller frees: when count
   has reached *alloc the array is xrealloc()ed to twice as many elements
   (first_alloc the first time) and *alloc updated; otherwise array is
   returned as it is. */
void *mem_grow(void *array, size_t elem_size, unsigned int count,
	       unsigned int *alloc, unsigned int first_alloc);
char *p_strdup(struct pool *pool, const char *str);
/* Copy len bytes and add a NUL. */
char *p_strndup(struct pool *pool, const void *str, size_t len);
char *p_printf(struct pool *pool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *p_vprintf(struct pool *pool, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));

/* Call fn(context) when the pool is cleared or destroyed. */
void pool_add_cleanup(struct pool *pool, pool_cleanup_fn *fn, void *context);

/* Bytes handed out since creation or the last clear (for limits and tests). */
size_t pool_used(const struct pool *pool);

#define p_new(pool, type, count) \
	((type *)p_malloc(pool, sizeof(type) * (count)))

#endif
