#ifndef INFOSTORE_POP3_LOGIN_DELAY_H
#define INFOSTORE_POP3_LOGIN_DELAY_H

/*
 * RFC 2449 6.5 LOGIN-DELAY: the least time between two POP3 logins of one
 * user ([pop3] login_delay). A login sooner than that is refused with
 * -ERR [LOGIN-DELAY] (RFC 2449 8.1.2), after the password was checked, so
 * only the user learns about it.
 *
 * The last login times live in memory (one daemon owns the store): a
 * restart forgets them, which only errs on the side of the user.
 */

#include <stdint.h>
#include <time.h>

/* 0 if the user may log in now (and the time is recorded), else the
   seconds still to wait. delay_secs 0 always allows. */
unsigned int pop3_login_delay_check(int64_t user_id, time_t now,
				    unsigned int delay_secs);
void pop3_login_delay_deinit(void);

#endif
