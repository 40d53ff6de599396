#ifndef INFOSTORE_OUTBOUND_RETRY_H
#define INFOSTORE_OUTBOUND_RETRY_H

/*
 * When to try a queued message again. Exponential backoff: 1 minute after
 * the first failure, then 2, 4, 8, ... capped at an hour (RFC 5321
 * 4.5.4.1 asks for at least 30 minutes between tries to one host, and for
 * giving up after 4-5 days; we start faster because a meeting reply is
 * worth more fresh, and the first failures are often a relay restarting).
 * The last try is made exactly when max_age runs out, so that a message
 * is never bounced without a try at the deadline.
 */

#include <stdbool.h>
#include <time.h>

#define OUTBOUND_RETRY_FIRST_SECS 60
#define OUTBOUND_RETRY_MAX_SECS 3600

/* The delay after the attempts-th failed attempt (attempts >= 1). */
unsigned int outbound_retry_delay(unsigned int attempts);

/*
 * After a temporary failure at now of a message queued at created that has
 * now failed attempts times: true and *next_r set if it should be tried
 * again; false if max_age_secs has run out (bounce it).
 */
bool outbound_retry_next(time_t created, time_t now, unsigned int attempts,
			 unsigned int max_age_secs, time_t *next_r);

#endif
