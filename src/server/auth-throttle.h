#ifndef INFOSTORE_AUTH_THROTTLE_H
#define INFOSTORE_AUTH_THROTTLE_H

/*
 * Failed-login throttling, decided before a password is hashed.
 *
 * Three kinds of counter, each a bucket "failures at once, then one more
 * every interval" (GCRA, one timestamp per key):
 *
 *   ip          the client address (IPv4 whole, IPv6 by its /64, which is
 *               what one subscriber gets);
 *   account_ip  one account from one client address;
 *   account     one account from every address that has not logged in to
 *               it lately, together.
 *
 * An attempt is refused unseen (no hash, no cache) while any bucket that
 * applies to it is empty. An attempt that is let through is counted as a
 * failure at once, before its password is looked at, and given back when
 * it turns out right (or is never checked): so checks still under way
 * count too, and a flood cannot slip a queueful of guesses in at the
 * moment a bucket refills. Refused attempts count nothing and never
 * extend a lockout; a lockout lasts at most one interval.
 *
 * Why three. The ip bucket stops one address from guessing quickly,
 * whatever the accounts. The account_ip bucket is tighter, so guessing
 * one account from one address is slower still, and it is the only
 * per-account lockout a single address can cause: another address of the
 * real user is not touched by it. A success from an address clears its
 * account_ip bucket and makes the pair "known" for trust_secs. The account
 * bucket, much looser, is what slows a guess spread over many addresses;
 * it applies only to addresses that are not known for the account, so a
 * distributed attack can keep the real user out of new places for a
 * while, never out of the places they have logged in from.
 *
 * Memory is fixed at creation: each kind has a table of slots in sets of
 * AUTH_THROTTLE_WAYS, indexed by a keyed hash (a random key per process,
 * so nobody can aim many keys at one set). A full set gives up the entry
 * that would be forgotten soonest; losing an entry forgets its failures
 * (that one key starts afresh) or its trust, nothing else. A spray of
 * addresses therefore costs the table no memory and costs each key at
 * most its own history.
 *
 * Not thread-safe: the event loop owns it. Time is passed in, in
 * milliseconds of a monotonic clock, so the tests can drive it.
 */

#include <stdbool.h>
#include <stdint.h>

#define AUTH_THROTTLE_WAYS 8
/* The queue key of an address (auth_throttle_origin()). */
#define AUTH_ORIGIN_LEN 16

struct auth_throttle;

struct auth_throttle_limit {
	unsigned int failures;       /* burst; 0: this kind is off */
	unsigned int interval_msecs; /* then one more failure per interval */
};

struct auth_throttle_settings {
	struct auth_throttle_limit ip, account_ip, account;
	unsigned int trust_secs;     /* a success makes the pair known this long */
	/* slots per kind, rounded up to a multiple of AUTH_THROTTLE_WAYS;
	   0: the defaults below */
	unsigned int ip_slots, account_ip_slots, account_slots;
};

/* Defaults: 32 bytes a slot, about 900 KiB in all. */
#define AUTH_THROTTLE_IP_SLOTS 8192
#define AUTH_THROTTLE_ACCOUNT_IP_SLOTS 16384
#define AUTH_THROTTLE_ACCOUNT_SLOTS 4096

enum auth_throttle_kind {
	AUTH_THROTTLE_NONE,
	AUTH_THROTTLE_IP,
	AUTH_THROTTLE_ACCOUNT_IP,
	AUTH_THROTTLE_ACCOUNT,
};

struct auth_throttle *auth_throttle_create(const struct auth_throttle_settings *set);
void auth_throttle_destroy(struct auth_throttle **throttle);

/* What one admitted attempt has taken from the buckets. */
struct auth_throttle_ticket {
	uint64_t ip, account_ip, account;   /* the keys */
	unsigned int taken;                 /* 1 << kind for each bucket */
	bool have_ip;
	bool known;                         /* the pair had logged in lately */
	bool open;                          /* taken, not yet settled */
};

/*
 * May account try a password from ip now? ip is the peer's address as
 * text, or NULL (or "unix") when it is not known: then no bucket applies,
 * because such a client could never be a known place and the account's
 * bucket alone would let anyone lock it out. Returns AUTH_THROTTLE_NONE and counts the
 * attempt as a failure in every bucket that applies, recorded in
 * *ticket_r, which must then be settled; *emptied_r is the kind of a
 * bucket this attempt has just used up, for a log line (reported once per
 * key every ten minutes at most), or AUTH_THROTTLE_NONE. Otherwise
 * returns the kind of the bucket that refuses, with *retry_msecs_r until
 * it would let one attempt through,
 * and takes nothing.
 */
enum auth_throttle_kind auth_throttle_take(struct auth_throttle *throttle,
					   const char *account, const char *ip,
					   uint64_t now_msecs,
					   struct auth_throttle_ticket *ticket_r,
					   uint64_t *retry_msecs_r,
					   enum auth_throttle_kind *emptied_r);

enum auth_throttle_outcome {
	/* the password was wrong or there is no such account: the
	   failure stays counted */
	AUTH_THROTTLE_FAILED,
	/* right: given back to the ip and account buckets; the pair's
	   failures are forgotten and the pair is known for trust_secs */
	AUTH_THROTTLE_SUCCEEDED,
	/* never compared (queue full, client gone, store down): all given
	   back */
	AUTH_THROTTLE_UNCHECKED,
};
/* Settle what take() counted. A ticket is settled once; settling it
   again does nothing. */
void auth_throttle_settle(struct auth_throttle *throttle,
			  struct auth_throttle_ticket *ticket,
			  enum auth_throttle_outcome outcome, uint64_t now_msecs);

/* Entries in use of one kind (for tests): never more than its slots. */
unsigned int auth_throttle_count(const struct auth_throttle *throttle,
				 enum auth_throttle_kind kind);

/*
 * The key that groups an address: IPv4 (also IPv4-mapped IPv6) whole,
 * IPv6 by its /64. Returns true for an IP; NULL or text that is not an IP
 * ("unix") all get one key of their own (all zero) and false. Used by the
 * throttle and by the password queue.
 */
bool auth_throttle_origin(const char *ip, unsigned char origin_r[AUTH_ORIGIN_LEN]);

const char *auth_throttle_kind_name(enum auth_throttle_kind kind);

#endif
