/* Unit tests: the login throttle's buckets, its keys and its fixed-size
   tables. Time is ours to move. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth-throttle.h"
#include "secret.h"

#include <stdio.h>
#include <string.h>

#define T0 1000000ULL /* any monotonic start */

static struct auth_throttle_settings settings(void)
{
	struct auth_throttle_settings set;

	memset(&set, 0, sizeof(set));
	set.ip.failures = 20;
	set.ip.interval_msecs = 6000;
	set.account_ip.failures = 10;
	set.account_ip.interval_msecs = 60000;
	set.account.failures = 100;
	set.account.interval_msecs = 60000;
	set.trust_secs = 30 * 86400;
	return set;
}

/* One attempt that turns out as outcome when it is let through; returns
   what take() said. */
static enum auth_throttle_kind attempt(struct auth_throttle *t, const char *account,
				      const char *ip, uint64_t now,
				      enum auth_throttle_outcome outcome,
				      uint64_t *retry_r, enum auth_throttle_kind *emptied_r)
{
	struct auth_throttle_ticket ticket;
	enum auth_throttle_kind emptied;
	uint64_t retry;
	enum auth_throttle_kind kind =
		auth_throttle_take(t, account, ip, now, &ticket, &retry, &emptied);

	if (kind == AUTH_THROTTLE_NONE) {
		assert_int_equal(retry, 0);
		assert_true(ticket.open);
		auth_throttle_settle(t, &ticket, outcome, now);
		assert_false(ticket.open);
	} else {
		assert_true(retry > 0);
		assert_false(ticket.open);
		assert_int_equal(emptied, AUTH_THROTTLE_NONE);
	}
	if (retry_r != NULL)
		*retry_r = retry;
	if (emptied_r != NULL)
		*emptied_r = emptied;
	return kind;
}

/* Would an attempt be let through? (It is given back at once.) */
static enum auth_throttle_kind check(struct auth_throttle *t, const char *account,
				    const char *ip, uint64_t now, uint64_t *retry_r)
{
	return attempt(t, account, ip, now, AUTH_THROTTLE_UNCHECKED, retry_r, NULL);
}

/* A wrong password; returns what take() said, *emptied_r what it used up. */
static enum auth_throttle_kind guess_wrong(struct auth_throttle *t,
					  const char *account, const char *ip,
					  uint64_t now,
					  enum auth_throttle_kind *emptied_r)
{
	return attempt(t, account, ip, now, AUTH_THROTTLE_FAILED, NULL, emptied_r);
}

static void succeed(struct auth_throttle *t, const char *account, const char *ip,
		    uint64_t now)
{
	assert_int_equal(attempt(t, account, ip, now, AUTH_THROTTLE_SUCCEEDED,
				 NULL, NULL), AUTH_THROTTLE_NONE);
}

/* failures at once, then one per interval, and the lock says how long */
static void test_burst_then_rate(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	enum auth_throttle_kind emptied;
	uint64_t retry, now = T0;
	char account[64];

	(void)state;
	t = auth_throttle_create(&set);
	/* 20 failures from one address, each on another account: the
	   address bucket, not an account's, is what empties */
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(account, sizeof(account), "user%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, "192.0.2.1", now, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, i == 19 ? AUTH_THROTTLE_IP : AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "new@example.test", "192.0.2.1", now, &retry),
			 AUTH_THROTTLE_IP);
	assert_int_equal(retry, 6000);
	/* refused attempts count nothing and do not stretch the lockout */
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(guess_wrong(t, "new@example.test", "192.0.2.1", now + 10, NULL),
				 AUTH_THROTTLE_IP);
	assert_int_equal(check(t, "new@example.test", "192.0.2.1", now + 5999, &retry),
			 AUTH_THROTTLE_IP);
	assert_int_equal(retry, 1);
	/* one more per interval */
	now += 6000;
	assert_int_equal(guess_wrong(t, "new@example.test", "192.0.2.1", now, &emptied),
			 AUTH_THROTTLE_NONE);
	/* used up again, but that was reported a moment ago */
	assert_int_equal(emptied, AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "new@example.test", "192.0.2.1", now, &retry),
			 AUTH_THROTTLE_IP);
	assert_int_equal(retry, 6000);
	/* another address is not touched */
	assert_int_equal(check(t, "new@example.test", "192.0.2.2", now, NULL),
			 AUTH_THROTTLE_NONE);
	/* a quiet burst's worth of intervals later it is all forgotten;
	   ten minutes after the last report, a new lockout is reported */
	now += 10 * 60000;
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(account, sizeof(account), "user%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, "192.0.2.1", now, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, i == 19 ? AUTH_THROTTLE_IP : AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "x@example.test", "192.0.2.1", now, NULL),
			 AUTH_THROTTLE_IP);
	auth_throttle_destroy(&t);
	assert_null(t);
}

/* Checks under way count: twenty guesses waiting for a hash fill the
   bucket, so a flood cannot queue more than the burst. What is never
   checked, or turns out right, is given back. */
static void test_checks_under_way_count(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle_ticket tickets[20], ticket;
	struct auth_throttle *t;
	enum auth_throttle_kind emptied;
	uint64_t retry;
	char account[64];

	(void)state;
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(account, sizeof(account), "user%u@example.test", i);
		assert_int_equal(auth_throttle_take(t, account, "192.0.2.1", T0,
						    &tickets[i], &retry, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, i == 19 ? AUTH_THROTTLE_IP : AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "x@example.test", "192.0.2.1", T0, &retry),
			 AUTH_THROTTLE_IP);
	assert_int_equal(retry, 6000);
	/* five were right: five more may try */
	for (unsigned int i = 0; i < 5; i++)
		auth_throttle_settle(t, &tickets[i], AUTH_THROTTLE_SUCCEEDED, T0);
	/* settling twice changes nothing */
	auth_throttle_settle(t, &tickets[0], AUTH_THROTTLE_UNCHECKED, T0);
	for (unsigned int i = 0; i < 5; i++) {
		snprintf(account, sizeof(account), "more%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, "192.0.2.1", T0, NULL),
				 AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "x@example.test", "192.0.2.1", T0, NULL),
			 AUTH_THROTTLE_IP);
	/* the rest were never checked (the clients went away) */
	for (unsigned int i = 5; i < 20; i++)
		auth_throttle_settle(t, &tickets[i], AUTH_THROTTLE_UNCHECKED, T0);
	for (unsigned int i = 0; i < 15; i++) {
		snprintf(account, sizeof(account), "last%u@example.test", i);
		assert_int_equal(auth_throttle_take(t, account, "192.0.2.1", T0,
						    &ticket, &retry, &emptied),
				 AUTH_THROTTLE_NONE);
	}
	/* full again: not reported twice */
	assert_int_equal(emptied, AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "x@example.test", "192.0.2.1", T0, NULL),
			 AUTH_THROTTLE_IP);
	auth_throttle_destroy(&t);
}

/* Guessing alice from one address locks alice there, not elsewhere; a
   success from an address clears its own counter. */
static void test_account_per_address(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	enum auth_throttle_kind emptied;
	uint64_t retry;

	(void)state;
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 10; i++) {
		assert_int_equal(guess_wrong(t, "alice@example.test", "192.0.2.1", T0, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, i == 9 ? AUTH_THROTTLE_ACCOUNT_IP :
				 AUTH_THROTTLE_NONE);
	}
	/* addresses are case-insensitive */
	assert_int_equal(check(t, "Alice@Example.TEST", "192.0.2.1", T0, &retry),
			 AUTH_THROTTLE_ACCOUNT_IP);
	assert_int_equal(retry, 60000);
	/* bob from there is fine (10 < 20 on the address), alice elsewhere too */
	assert_int_equal(check(t, "bob@example.test", "192.0.2.1", T0, NULL),
			 AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "alice@example.test", "192.0.2.3", T0, NULL),
			 AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "alice@example.test", "2001:db8::1", T0, NULL),
			 AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "alice@example.test", "192.0.2.1", T0 + 60000, NULL),
			 AUTH_THROTTLE_NONE);

	/* below the limit, a success wipes the pair's failures */
	for (unsigned int i = 0; i < 9; i++)
		guess_wrong(t, "alice@example.test", "192.0.2.3", T0, NULL);
	succeed(t, "alice@example.test", "192.0.2.3", T0);
	for (unsigned int i = 0; i < 9; i++)
		assert_int_equal(guess_wrong(t, "alice@example.test", "192.0.2.3", T0, NULL),
				 AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "alice@example.test", "192.0.2.3", T0, NULL),
			 AUTH_THROTTLE_NONE);
	auth_throttle_destroy(&t);
}

/* Many addresses guessing one account: new addresses are held back, the
   places the user has logged in from are not. */
static void test_account_everywhere(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	enum auth_throttle_kind emptied;
	uint64_t retry, now = T0;
	char ip[32];

	(void)state;
	t = auth_throttle_create(&set);
	succeed(t, "alice@example.test", "198.51.100.7", now);
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i);
		assert_int_equal(guess_wrong(t, "alice@example.test", ip, now, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, i == 99 ? AUTH_THROTTLE_ACCOUNT :
				 AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "alice@example.test", "203.0.113.200", now, &retry),
			 AUTH_THROTTLE_ACCOUNT);
	assert_int_equal(retry, 60000);
	/* a client whose address is not known is not throttled at all:
	   it could never be a known place */
	assert_int_equal(check(t, "alice@example.test", NULL, now, NULL),
			 AUTH_THROTTLE_NONE);
	assert_int_equal(check(t, "alice@example.test", "unix", now, NULL),
			 AUTH_THROTTLE_NONE);
	/* the known place is not held back, and its own mistakes do not
	   feed the account's bucket */
	assert_int_equal(check(t, "alice@example.test", "198.51.100.7", now, NULL),
			 AUTH_THROTTLE_NONE);
	assert_int_equal(guess_wrong(t, "alice@example.test", "198.51.100.7", now, NULL),
			 AUTH_THROTTLE_NONE);
	now += 60000;
	assert_int_equal(check(t, "alice@example.test", "203.0.113.200", now, NULL),
			 AUTH_THROTTLE_NONE);
	/* other accounts are not involved */
	assert_int_equal(check(t, "bob@example.test", "203.0.113.201", T0, NULL),
			 AUTH_THROTTLE_NONE);
	/* trust ends */
	now += 30ULL * 86400 * 1000;
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%u", i);
		assert_int_equal(guess_wrong(t, "alice@example.test", ip, now, NULL),
				 AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "alice@example.test", "198.51.100.7", now, NULL),
			 AUTH_THROTTLE_ACCOUNT);
	auth_throttle_destroy(&t);
}

static void test_limits_off(void **state)
{
	struct auth_throttle_settings set;
	struct auth_throttle *t;
	enum auth_throttle_kind emptied;

	(void)state;
	memset(&set, 0, sizeof(set));
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 10000; i++) {
		assert_int_equal(guess_wrong(t, "alice@example.test", "192.0.2.1", T0, &emptied),
				 AUTH_THROTTLE_NONE);
		assert_int_equal(emptied, AUTH_THROTTLE_NONE);
	}
	auth_throttle_destroy(&t);
}

static void test_origin(void **state)
{
	unsigned char a[AUTH_ORIGIN_LEN], b[AUTH_ORIGIN_LEN], zero[AUTH_ORIGIN_LEN];

	(void)state;
	memset(zero, 0, sizeof(zero));
	assert_true(auth_throttle_origin("192.0.2.1", a));
	assert_true(auth_throttle_origin("::ffff:192.0.2.1", b));
	assert_memory_equal(a, b, AUTH_ORIGIN_LEN);
	assert_true(auth_throttle_origin("192.0.2.2", b));
	assert_memory_not_equal(a, b, AUTH_ORIGIN_LEN);
	/* one /64 is one origin */
	assert_true(auth_throttle_origin("2001:db8::1", a));
	assert_true(auth_throttle_origin("2001:db8::ffff:1:2:3", b));
	assert_memory_equal(a, b, AUTH_ORIGIN_LEN);
	assert_true(auth_throttle_origin("2001:db8:0:1::1", b));
	assert_memory_not_equal(a, b, AUTH_ORIGIN_LEN);
	/* ::1 is not 0.0.0.0, nor "unknown" */
	assert_true(auth_throttle_origin("::1", a));
	assert_true(auth_throttle_origin("0.0.0.0", b));
	assert_memory_not_equal(a, b, AUTH_ORIGIN_LEN);
	assert_memory_not_equal(a, zero, AUTH_ORIGIN_LEN);
	assert_memory_not_equal(b, zero, AUTH_ORIGIN_LEN);
	assert_false(auth_throttle_origin(NULL, a));
	assert_memory_equal(a, zero, AUTH_ORIGIN_LEN);
	assert_false(auth_throttle_origin("unix", a));
	assert_memory_equal(a, zero, AUTH_ORIGIN_LEN);
	assert_false(auth_throttle_origin("192.0.2.1.5", a));
}

/* The /64 shares one address bucket. */
static void test_ipv6_prefix(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	char ip[64], account[64];

	(void)state;
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		snprintf(account, sizeof(account), "u%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, ip, T0, NULL), AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "x@example.test", "2001:db8:1:2:abcd::9", T0, NULL),
			 AUTH_THROTTLE_IP);
	assert_int_equal(check(t, "x@example.test", "2001:db8:1:3::1", T0, NULL),
			 AUTH_THROTTLE_NONE);
	auth_throttle_destroy(&t);
}

/* A spray of addresses and accounts: the tables never hold more than
   their slots, and what matters (a lockout in force, a known place)
   outlives the spray. */
static void test_bounded_memory(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	char ip[32], account[64];

	(void)state;
	set.ip_slots = 64;
	set.account_ip_slots = 64;
	set.account_slots = 60; /* rounded up to a whole set */
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(account, sizeof(account), "u%u@example.test", i);
		guess_wrong(t, account, "192.0.2.1", T0, NULL);
	}
	succeed(t, "bob@example.test", "198.51.100.7", T0);
	for (unsigned int i = 0; i < 200000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", (i >> 16) & 255,
			 (i >> 8) & 255, i & 255);
		snprintf(account, sizeof(account), "spray%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, ip, T0 + 1, NULL), AUTH_THROTTLE_NONE);
		assert_true(auth_throttle_count(t, AUTH_THROTTLE_IP) <= 64);
		assert_true(auth_throttle_count(t, AUTH_THROTTLE_ACCOUNT_IP) <= 64);
		assert_true(auth_throttle_count(t, AUTH_THROTTLE_ACCOUNT) <= 64);
	}
	assert_int_equal(auth_throttle_count(t, AUTH_THROTTLE_IP), 64);
	assert_int_equal(auth_throttle_count(t, AUTH_THROTTLE_ACCOUNT), 64);
	assert_int_equal(auth_throttle_count(t, AUTH_THROTTLE_NONE), 0);
	/* the lockout in force outlived it */
	assert_int_equal(check(t, "carol@example.test", "192.0.2.1", T0 + 1, NULL),
			 AUTH_THROTTLE_IP);
	/* and so did bob's known place: lock bob everywhere, then ask */
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "172.16.0.%u", i);
		assert_int_equal(guess_wrong(t, "bob@example.test", ip, T0 + 2, NULL),
				 AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "bob@example.test", "172.16.1.1", T0 + 2, NULL),
			 AUTH_THROTTLE_ACCOUNT);
	assert_int_equal(check(t, "bob@example.test", "198.51.100.7", T0 + 2, NULL),
			 AUTH_THROTTLE_NONE);
	auth_throttle_destroy(&t);
}

/* Stale entries are reused before anything live is given up. */
static void test_stale_entries_go_first(void **state)
{
	struct auth_throttle_settings set = settings();
	struct auth_throttle *t;
	char ip[32], account[64];

	(void)state;
	set.ip_slots = AUTH_THROTTLE_WAYS; /* one set */
	t = auth_throttle_create(&set);
	for (unsigned int i = 0; i < 20; i++) {
		snprintf(account, sizeof(account), "a%u@example.test", i);
		guess_wrong(t, account, "192.0.2.1", T0, NULL);
	}
	/* seven that are stale a minute later */
	for (unsigned int i = 0; i < AUTH_THROTTLE_WAYS - 1; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%u", i);
		guess_wrong(t, "a@example.test", ip, T0, NULL);
	}
	/* A minute later the seven are stale, while 192.0.2.1 still owes
	   half its burst: new addresses take the stale places, then each
	   other's. */
	for (unsigned int i = 0; i < 100; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%u", i);
		snprintf(account, sizeof(account), "s%u@example.test", i);
		guess_wrong(t, account, ip, T0 + 60000, NULL);
	}
	assert_int_equal(auth_throttle_count(t, AUTH_THROTTLE_IP), AUTH_THROTTLE_WAYS);
	for (unsigned int i = 0; i < 10; i++) {
		snprintf(account, sizeof(account), "b%u@example.test", i);
		assert_int_equal(guess_wrong(t, account, "192.0.2.1", T0 + 60000, NULL),
				 AUTH_THROTTLE_NONE);
	}
	assert_int_equal(check(t, "c@example.test", "192.0.2.1", T0 + 60000, NULL),
			 AUTH_THROTTLE_IP);
	auth_throttle_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_checks_under_way_count),
		cmocka_unit_test(test_account_per_address),
		cmocka_unit_test(test_account_everywhere),
		cmocka_unit_test(test_limits_off),
		cmocka_unit_test(test_origin),
		cmocka_unit_test(test_ipv6_prefix),
		cmocka_unit_test(test_bounded_memory),
		cmocka_unit_test(test_stale_entries_go_first),
	};

	secret_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
