#ifndef INFOSTORE_ALLOC_H
#define INFOSTORE_ALLOC_H

/*
 * The one out-of-memory policy: the heap allocators never return NULL.
 * Running out of memory ends the process (fatal_oom(): logged, exit
 * EX_SOFTWARE, the supervisor restarts it; nothing acknowledged is lost,
 * since nothing is acknowledged before it is durable). So no caller
 * writes a NULL check, and no half-handled allocation failure is left in
 * a rarely run path. Pools (pool.h) follow the same policy.
 */

#include <stddef.h>

void *xmalloc(size_t size);                  /* at least 1 byte */
void *xcalloc(size_t count, size_t size);    /* zeroed; overflow is fatal */
void *xrealloc(void *mem, size_t size);
char *xstrdup(const char *str);
char *xstrndup(const char *str, size_t max);

#endif
