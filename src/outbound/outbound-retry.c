#include "outbound-retry.h"

unsigned int outbound_retry_delay(unsigned int attempts)
{
	unsigned int delay = OUTBOUND_RETRY_FIRST_SECS;

	for (unsigned int i = 1; i < attempts && delay < OUTBOUND_RETRY_MAX_SECS; i++)
		delay *= 2;
	return delay < OUTBOUND_RETRY_MAX_SECS ? delay : OUTBOUND_RETRY_MAX_SECS;
}

bool outbound_retry_next(time_t created, time_t now, unsigned int attempts,
			 unsigned int max_age_secs, time_t *next_r)
{
	time_t deadline = created + (time_t)max_age_secs;
	time_t next;

	if (now >= deadline)
		return false;
	next = now + (time_t)outbound_retry_delay(attempts);
	*next_r = next < deadline ? next : deadline;
	return true;
}
