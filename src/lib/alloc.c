#include "alloc.h"
#include "fatal.h"

#include <stdlib.h>
#include <string.h>

void *xmalloc(size_t size)
{
	void *mem = malloc(size > 0 ? size : 1);

	if (mem == NULL)
		fatal_oom();
	return mem;
}

void *xcalloc(size_t count, size_t size)
{
	void *mem = calloc(count > 0 ? count : 1, size > 0 ? size : 1);

	if (mem == NULL)
		fatal_oom();
	return mem;
}

void *xrealloc(void *mem, size_t size)
{
	void *out = realloc(mem, size > 0 ? size : 1);

	if (out == NULL)
		fatal_oom();
	return out;
}

char *xstrdup(const char *str)
{
	char *out = strdup(str);

	if (out == NULL)
		fatal_oom();
	return out;
}

char *xstrndup(const char *str, size_t max)
{
	char *out = strndup(str, max);

	if (out == NULL)
		fatal_oom();
	return out;
}
