/*
 * The LOGIN-DELAY table: user id -> time of the last POP3 login.
 */
#include "pop3-login-delay.h"
#include "alloc.h"

#include <stdlib.h>

#define LOGIN_DELAY_BUCKETS 1024
/* Beyond this many users inside their delay at once, new logins are let
   through unrecorded rather than growing without bound. */
#define LOGIN_DELAY_MAX_ENTRIES 100000

struct login_entry {
	struct login_entry *next;
	int64_t user_id;
	time_t last;
};

static struct login_entry *login_buckets[LOGIN_DELAY_BUCKETS];
static unsigned int login_entries;

/* Drop the entries of a bucket whose delay has passed. */
static void login_delay_expire(struct login_entry **ep, time_t now,
			       unsigned int delay_secs)
{
	while (*ep != NULL) {
		struct login_entry *e = *ep;

		if (now - e->last >= (time_t)delay_secs) {
			*ep = e->next;
			free(e);
			login_entries--;
		} else {
			ep = &e->next;
		}
	}
}

unsigned int pop3_login_delay_check(int64_t user_id, time_t now,
				    unsigned int delay_secs)
{
	struct login_entry **bucket, *e;

	if (delay_secs == 0)
		return 0;
	bucket = &login_buckets[(uint64_t)user_id % LOGIN_DELAY_BUCKETS];
	login_delay_expire(bucket, now, delay_secs);
	for (e = *bucket; e != NULL; e = e->next) {
		if (e->user_id == user_id)
			return (unsigned int)(delay_secs - (unsigned int)(now - e->last));
	}
	if (login_entries >= LOGIN_DELAY_MAX_ENTRIES)
		return 0;
	e = xcalloc(1, sizeof(*e));
	e->user_id = user_id;
	e->last = now;
	e->next = *bucket;
	*bucket = e;
	login_entries++;
	return 0;
}

void pop3_login_delay_deinit(void)
{
	for (unsigned int i = 0; i < LOGIN_DELAY_BUCKETS; i++) {
		while (login_buckets[i] != NULL) {
			struct login_entry *e = login_buckets[i];

			login_buckets[i] = e->next;
			free(e);
		}
	}
	login_entries = 0;
}
