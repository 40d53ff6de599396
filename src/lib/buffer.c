#include "buffer.h"
#include "alloc.h"
#include "fatal.h"
#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buffer_init(struct buffer *buf, size_t limit)
{
	memset(buf, 0, sizeof(*buf));
	buf->limit = limit;
}

void buffer_init_pool(struct buffer *buf, struct pool *pool, size_t limit)
{
	buffer_init(buf, limit);
	buf->pool = pool;
}

void buffer_free(struct buffer *buf)
{
	if (buf->pool == NULL)
		free(buf->data);
	buf->data = NULL;
	buf->used = buf->alloc = 0;
	buf->overflow = false;
}

void buffer_reset(struct buffer *buf)
{
	buf->used = 0;
	buf->overflow = false;
	if (buf->data != NULL)
		buf->data[0] = '\0';
}

static int buffer_reserve(struct buffer *buf, size_t extra)
{
	size_t need, new_alloc;

	if (buf->overflow)
		return -1;
	if (extra > ((size_t)-1) / 2 - buf->used)
		fatal_oom();
	need = buf->used + extra;
	if (buf->limit != 0 && need > buf->limit) {
		buf->overflow = true;
		return -1;
	}
	if (need + 1 <= buf->alloc)
		return 0;
	new_alloc = buf->alloc < 64 ? 64 : buf->alloc;
	while (new_alloc < need + 1)
		new_alloc *= 2;
	if (buf->pool != NULL) {
		buf->data = p_realloc(buf->pool, buf->data, buf->alloc, new_alloc);
	} else {
		char *data = xrealloc(buf->data, new_alloc);

		buf->data = data;
	}
	buf->alloc = new_alloc;
	return 0;
}

int buffer_append(struct buffer *buf, const void *data, size_t len)
{
	if (buffer_reserve(buf, len) < 0)
		return -1;
	if (len > 0)
		memcpy(buf->data + buf->used, data, len);
	buf->used += len;
	buf->data[buf->used] = '\0';
	return 0;
}

int buffer_append_str(struct buffer *buf, const char *str)
{
	return buffer_append(buf, str, strlen(str));
}

int buffer_append_c(struct buffer *buf, char c)
{
	return buffer_append(buf, &c, 1);
}

int buffer_vprintf(struct buffer *buf, const char *fmt, va_list args)
{
	va_list copy;
	int len;

	va_copy(copy, args);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		fatal("vsnprintf failed for format %s", fmt);
	if (buffer_reserve(buf, (size_t)len) < 0)
		return -1;
	vsnprintf(buf->data + buf->used, (size_t)len + 1, fmt, args);
	buf->used += (size_t)len;
	return 0;
}

int buffer_printf(struct buffer *buf, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = buffer_vprintf(buf, fmt, args);
	va_end(args);
	return ret;
}

void buffer_consume(struct buffer *buf, size_t n)
{
	if (n >= buf->used) {
		buffer_reset(buf);
		return;
	}
	memmove(buf->data, buf->data + n, buf->used - n);
	buf->used -= n;
	buf->data[buf->used] = '\0';
}

void buffer_truncate(struct buffer *buf, size_t len)
{
	if (len < buf->used) {
		buf->used = len;
		buf->data[len] = '\0';
	}
}

char *buffer_steal(struct buffer *buf, size_t *len_r)
{
	char *data;

	if (buf->data == NULL)
		buffer_reserve(buf, 0);
	data = buf->data;
	if (len_r != NULL)
		*len_r = buf->used;
	buf->data = NULL;
	buf->used = buf->alloc = 0;
	buf->overflow = false;
	return data;
}
