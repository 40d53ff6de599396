#include "fault.h"
#include "alloc.h"
#include "log.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_POINTS 8

struct fault_point {
	char name[16];
	unsigned long at;    /* fail the at-th call (1-based) */
	unsigned long calls;
};

static struct fault_point fault_points[FAULT_POINTS];
static unsigned int fault_count;
static int fault_state; /* 0 unread, 1 off, 2 on */

static void fault_init(void)
{
	const char *env = getenv("INFOSTORE_FAULT");
	char *copy, *save = NULL;

	fault_state = 1;
	if (env == NULL || *env == '\0')
		return;
	copy = xstrdup(env);
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL && fault_count < FAULT_POINTS;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		struct fault_point *fp = &fault_points[fault_count];

		if (colon == NULL || (size_t)(colon - tok) >= sizeof(fp->name))
			continue;
		memcpy(fp->name, tok, (size_t)(colon - tok));
		fp->name[colon - tok] = '\0';
		fp->at = strtoul(colon + 1, NULL, 10);
		fault_count++;
	}
	free(copy);
	if (fault_count > 0) {
		fault_state = 2;
		log_warning("fault", "fault injection is on: %s", env);
	}
}

bool fault_hit(const char *point)
{
	if (fault_state == 0)
		fault_init();
	if (fault_state == 1)
		return false;
	for (unsigned int i = 0; i < fault_count; i++) {
		if (strcmp(fault_points[i].name, point) == 0 &&
		    ++fault_points[i].calls == fault_points[i].at) {
			log_warning("fault", "injected failure point=%s call=%lu",
				    point, fault_points[i].calls);
			return true;
		}
	}
	return false;
}

void fault_pause(const char *point)
{
	const char *env = getenv("INFOSTORE_PAUSE");

	if (env != NULL && strcmp(env, point) == 0) {
		log_warning("fault", "pausing point=%s", point);
		raise(SIGSTOP);
	}
}
