#include "imap-match.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

/*
 * The set of name positions the pattern prefix can reach, advanced one
 * pattern character at a time: O(pattern * name) at worst and no
 * backtracking, so "%*%*%*x" cannot take exponential time.
 */
bool imap_match(const char *pattern, const char *name, char sep)
{
	size_t n = strlen(name);
	unsigned char stack_set[2][520];
	unsigned char *cur, *next;
	bool result = false, any;

	if (n + 1 <= sizeof(stack_set[0])) {
		cur = stack_set[0];
		next = stack_set[1];
	} else {
		cur = xcalloc(2, n + 1);
		next = cur + n + 1;
	}
	memset(cur, 0, n + 1);
	cur[0] = 1;
	for (const char *p = pattern; *p != '\0'; p++) {
		char pc = *p;

		memset(next, 0, n + 1);
		any = false;
		if (pc == '*' || pc == '%') {
			/* "%*" and "*%" are "*", "%%" is "%" */
			while (p[1] == '*' || p[1] == '%') {
				if (p[1] == '*')
					pc = '*';
				p++;
			}
			for (size_t i = 0; i <= n; i++) {
				if (!cur[i])
					continue;
				for (size_t j = i; j <= n; j++) {
					next[j] = 1;
					any = true;
					if (j < n && pc == '%' && name[j] == sep)
						break;
				}
				if (pc == '*')
					break;
			}
		} else {
			for (size_t i = 0; i < n; i++) {
				if (cur[i] && name[i] == pc) {
					next[i + 1] = 1;
					any = true;
				}
			}
		}
		{
			unsigned char *tmp = cur;

			cur = next;
			next = tmp;
		}
		if (!any)
			goto out;
	}
	result = cur[n] != 0;
out:
	if (cur != stack_set[0] && cur != stack_set[1])
		free(cur < next ? cur : next);
	return result;
}
