#ifndef INFOSTORE_BUFFER_H
#define INFOSTORE_BUFFER_H

/*
 * Growable byte buffers that carry their length and an optional hard limit.
 *
 * The data is always followed by a NUL byte (not counted in used), so a
 * buffer of text can be passed where a C string is expected. Appending past
 * the limit appends nothing, marks the buffer as overflowed and returns -1;
 * later appends keep failing until buffer_reset(). Memory comes from the heap
 * (buffer_free() releases it) or, with buffer_init_pool(), from a pool.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct pool;

struct buffer {
	char *data;
	size_t used;
	size_t alloc;
	size_t limit; /* 0: no limit */
	struct pool *pool; /* NULL: heap */
	bool overflow;
};

void buffer_init(struct buffer *buf, size_t limit);
void buffer_init_pool(struct buffer *buf, struct pool *pool, size_t limit);
void buffer_free(struct buffer *buf);
/* Forget the contents and the overflow mark; the memory is kept. */
void buffer_reset(struct buffer *buf);

/* 0 on success, -1 if the limit would be passed (nothing appended). */
int buffer_append(struct buffer *buf, const void *data, size_t len);
int buffer_append_str(struct buffer *buf, const char *str);
int buffer_append_c(struct buffer *buf, char c);
int buffer_printf(struct buffer *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buffer_vprintf(struct buffer *buf, const char *fmt, va_list args)
	__attribute__((format(printf, 2, 0)));
/* Drop the first n bytes. */
void buffer_consume(struct buffer *buf, size_t n);
/* Shorten to len bytes (len <= used). */
void buffer_truncate(struct buffer *buf, size_t len);
/* Hand the data to the caller (heap buffers only; free() it) and reset. */
char *buffer_steal(struct buffer *buf, size_t *len_r);

#endif
