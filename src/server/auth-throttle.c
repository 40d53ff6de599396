/*
 * The throttle's buckets are GCRA (the "virtual scheduling" form of a
 * leaky bucket): one timestamp per key, the theoretical arrival time
 * (tat) of the next failure. With interval T and a burst of B, an attempt
 * is allowed while tat <= now + (B - 1) * T, and a failure moves tat to
 * max(tat, now) + T. So B failures go at once, then one per T, and an
 * entry whose tat has passed remembers nothing.
 */
#include "auth-throttle.h"
#include "alloc.h"
#include "secret.h"
#include "strutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* A bucket that keeps being used up is reported at most this often. */
#define AUTH_THROTTLE_REPORT_MSECS (10 * 60 * 1000)

struct auth_throttle_entry {
	uint64_t key;           /* 0: free */
	uint64_t tat;           /* msecs; <= now: no failures remembered */
	uint64_t trusted_until; /* account_ip only: known until; 0: not */
	uint64_t reported;      /* when emptied was last reported */
};

struct auth_throttle_table {
	struct auth_throttle_entry *slots;
	unsigned int sets;
	struct auth_throttle_limit limit;
};

struct auth_throttle {
	unsigned char mac_key[SECRET_MAC_KEY_LEN];
	/* indexed by enum auth_throttle_kind; [AUTH_THROTTLE_NONE] unused */
	struct auth_throttle_table tables[4];
	uint64_t trust_msecs;
};

/* The three keys of one attempt. */
struct auth_throttle_keys {
	bool have_ip;
	uint64_t ip, account_ip, account;
};

static void auth_throttle_table_init(struct auth_throttle_table *table,
				     unsigned int slots,
				     const struct auth_throttle_limit *limit)
{
	table->sets = (slots + AUTH_THROTTLE_WAYS - 1) / AUTH_THROTTLE_WAYS;
	if (table->sets == 0)
		table->sets = 1;
	table->slots = xcalloc((size_t)table->sets * AUTH_THROTTLE_WAYS,
			      sizeof(*table->slots));
	if (limit != NULL)
		table->limit = *limit;
}

struct auth_throttle *auth_throttle_create(const struct auth_throttle_settings *set)
{
	struct auth_throttle *t = xcalloc(1, sizeof(*t));

	secret_random(t->mac_key, sizeof(t->mac_key));
	auth_throttle_table_init(&t->tables[AUTH_THROTTLE_IP],
				 set->ip_slots != 0 ? set->ip_slots :
				 AUTH_THROTTLE_IP_SLOTS, &set->ip);
	auth_throttle_table_init(&t->tables[AUTH_THROTTLE_ACCOUNT_IP],
				 set->account_ip_slots != 0 ? set->account_ip_slots :
				 AUTH_THROTTLE_ACCOUNT_IP_SLOTS, &set->account_ip);
	auth_throttle_table_init(&t->tables[AUTH_THROTTLE_ACCOUNT],
				 set->account_slots != 0 ? set->account_slots :
				 AUTH_THROTTLE_ACCOUNT_SLOTS, &set->account);
	t->trust_msecs = (uint64_t)set->trust_secs * 1000;
	return t;
}

void auth_throttle_destroy(struct auth_throttle **_t)
{
	struct auth_throttle *t = *_t;

	if (t == NULL)
		return;
	*_t = NULL;
	for (unsigned int i = AUTH_THROTTLE_IP; i <= AUTH_THROTTLE_ACCOUNT; i++)
		free(t->tables[i].slots);
	secret_wipe(t->mac_key, sizeof(t->mac_key));
	free(t);
}

bool auth_throttle_origin(const char *ip, unsigned char origin_r[AUTH_ORIGIN_LEN])
{
	struct in_addr a4;
	struct in6_addr a6;

	memset(origin_r, 0, AUTH_ORIGIN_LEN);
	if (ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, &a4) == 1) {
		/* the IPv4-mapped form, so both spellings meet */
		origin_r[10] = 0xff;
		origin_r[11] = 0xff;
		memcpy(origin_r + 12, &a4, 4);
		return true;
	}
	if (inet_pton(AF_INET6, ip, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6)) {
			memcpy(origin_r, &a6, AUTH_ORIGIN_LEN);
		} else {
			/* a /64 is what one subscriber gets; the all-ones
			   tail keeps it apart from any IPv4-mapped key */
			memcpy(origin_r, &a6, 8);
			memset(origin_r + 8, 0xff, 8);
		}
		return true;
	}
	return false;
}

static uint64_t auth_throttle_hash(const struct auth_throttle *t, const void *data,
				   size_t len)
{
	unsigned char mac[SECRET_MAC_LEN];
	uint64_t key;

	secret_mac(t->mac_key, data, len, mac);
	memcpy(&key, mac, sizeof(key));
	return key != 0 ? key : 1; /* 0 marks a free slot */
}

static void auth_throttle_keys(const struct auth_throttle *t, const char *account,
			       const char *ip, struct auth_throttle_keys *keys_r)
{
	/* tag, origin, account digest */
	unsigned char buf[1 + AUTH_ORIGIN_LEN + SECRET_MAC_LEN];
	unsigned char account_mac[SECRET_MAC_LEN];
	unsigned char origin[AUTH_ORIGIN_LEN];
	char *lc = xstrdup(account);

	/* addresses are case-insensitive in the store */
	str_lcase(lc);
	secret_mac(t->mac_key, lc, strlen(lc), account_mac);
	free(lc);
	keys_r->have_ip = auth_throttle_origin(ip, origin);

	buf[0] = 'a';
	memcpy(buf + 1, account_mac, SECRET_MAC_LEN);
	keys_r->account = auth_throttle_hash(t, buf, 1 + SECRET_MAC_LEN);
	buf[0] = 'i';
	memcpy(buf + 1, origin, AUTH_ORIGIN_LEN);
	keys_r->ip = auth_throttle_hash(t, buf, 1 + AUTH_ORIGIN_LEN);
	buf[0] = 'p';
	memcpy(buf + 1 + AUTH_ORIGIN_LEN, account_mac, SECRET_MAC_LEN);
	keys_r->account_ip = auth_throttle_hash(t, buf, sizeof(buf));
}

/* When the entry stops meaning anything. */
static uint64_t auth_throttle_entry_end(const struct auth_throttle_entry *e)
{
	return e->tat > e->trusted_until ? e->tat : e->trusted_until;
}

static struct auth_throttle_entry *
auth_throttle_find(struct auth_throttle_table *table, uint64_t key)
{
	struct auth_throttle_entry *set =
		&table->slots[(key % table->sets) * AUTH_THROTTLE_WAYS];

	for (unsigned int i = 0; i < AUTH_THROTTLE_WAYS; i++) {
		if (set[i].key == key)
			return &set[i];
	}
	return NULL;
}

/* Find key's entry or make one, giving up the entry of its set that ends
   soonest: a free or stale one if there is any. */
static struct auth_throttle_entry *
auth_throttle_get(struct auth_throttle_table *table, uint64_t key)
{
	struct auth_throttle_entry *set =
		&table->slots[(key % table->sets) * AUTH_THROTTLE_WAYS];
	struct auth_throttle_entry *victim = NULL;
	uint64_t victim_end = 0;

	for (unsigned int i = 0; i < AUTH_THROTTLE_WAYS; i++) {
		uint64_t end;

		if (set[i].key == key)
			return &set[i];
		end = set[i].key == 0 ? 0 : auth_throttle_entry_end(&set[i]);
		if (victim == NULL || end < victim_end) {
			victim = &set[i];
			victim_end = end;
		}
	}
	victim->key = key;
	victim->tat = 0;
	victim->trusted_until = 0;
	victim->reported = 0;
	return victim;
}

/* tau: how far tat may run ahead of now while attempts are allowed */
static uint64_t auth_throttle_tau(const struct auth_throttle_limit *limit)
{
	return (uint64_t)(limit->failures - 1) * limit->interval_msecs;
}

/* 0: allowed, else msecs until it is */
static uint64_t auth_throttle_wait(struct auth_throttle_table *table,
				   uint64_t key, uint64_t now)
{
	const struct auth_throttle_entry *e = auth_throttle_find(table, key);
	uint64_t limit;

	if (e == NULL)
		return 0;
	limit = now + auth_throttle_tau(&table->limit);
	return e->tat > limit ? e->tat - limit : 0;
}

/* Count a failure (only after auth_throttle_wait() said 0, so tat never
   runs more than one interval past the burst); true when this one has
   used the bucket up and that has not been reported lately. */
static bool auth_throttle_charge(struct auth_throttle_table *table,
				 uint64_t key, uint64_t now)
{
	struct auth_throttle_entry *e = auth_throttle_get(table, key);

	e->tat = (e->tat > now ? e->tat : now) + table->limit.interval_msecs;
	if (e->tat <= now + auth_throttle_tau(&table->limit))
		return false;
	/* A flood empties the bucket again at every interval (and at every
	   check given back): one log line per key per while is enough. */
	if (e->reported != 0 && now - e->reported < AUTH_THROTTLE_REPORT_MSECS)
		return false;
	e->reported = now;
	return true;
}

static void auth_throttle_refund(struct auth_throttle_table *table, uint64_t key)
{
	struct auth_throttle_entry *e = auth_throttle_find(table, key);

	/* gone (given up to another key) is as good as given back */
	if (e == NULL)
		return;
	e->tat = e->tat > table->limit.interval_msecs ?
		e->tat - table->limit.interval_msecs : 0;
}

static uint64_t auth_throttle_ticket_key(const struct auth_throttle_ticket *ticket,
					 enum auth_throttle_kind kind)
{
	switch (kind) {
	case AUTH_THROTTLE_IP:
		return ticket->ip;
	case AUTH_THROTTLE_ACCOUNT_IP:
		return ticket->account_ip;
	case AUTH_THROTTLE_ACCOUNT:
		return ticket->account;
	case AUTH_THROTTLE_NONE:
		break;
	}
	return 0;
}

enum auth_throttle_kind auth_throttle_take(struct auth_throttle *t,
					   const char *account, const char *ip,
					   uint64_t now,
					   struct auth_throttle_ticket *ticket_r,
					   uint64_t *retry_msecs_r,
					   enum auth_throttle_kind *emptied_r)
{
	/* in this order, so that the widest lockout is the one logged */
	static const enum auth_throttle_kind kinds[] = {
		AUTH_THROTTLE_ACCOUNT, AUTH_THROTTLE_ACCOUNT_IP, AUTH_THROTTLE_IP,
	};
	struct auth_throttle_keys keys;
	enum auth_throttle_kind refused = AUTH_THROTTLE_NONE;
	unsigned int applies = 0;
	uint64_t key, wait, longest = 0;
	const struct auth_throttle_entry *pair;

	auth_throttle_keys(t, account, ip, &keys);
	memset(ticket_r, 0, sizeof(*ticket_r));
	ticket_r->ip = keys.ip;
	ticket_r->account_ip = keys.account_ip;
	ticket_r->account = keys.account;
	ticket_r->have_ip = keys.have_ip;
	/* Without an address nothing applies: the account's bucket alone
	   would let anyone lock such clients out, since none of them can
	   ever be a known place. */
	if (keys.have_ip) {
		pair = auth_throttle_find(&t->tables[AUTH_THROTTLE_ACCOUNT_IP],
					  keys.account_ip);
		ticket_r->known = pair != NULL && pair->trusted_until > now;
		applies |= 1U << AUTH_THROTTLE_IP | 1U << AUTH_THROTTLE_ACCOUNT_IP;
		/* A known pair is not held back by the account's own
		   bucket, nor does it feed it: its mistakes are its own
		   business. */
		if (!ticket_r->known)
			applies |= 1U << AUTH_THROTTLE_ACCOUNT;
	}
	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((applies & (1U << kinds[i])) == 0 ||
		    t->tables[kinds[i]].limit.failures == 0)
			applies &= ~(1U << kinds[i]);
	}

	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((applies & (1U << kinds[i])) == 0)
			continue;
		key = auth_throttle_ticket_key(ticket_r, kinds[i]);
		wait = auth_throttle_wait(&t->tables[kinds[i]], key, now);
		if (wait > longest) {
			longest = wait;
			refused = kinds[i];
		}
	}
	*retry_msecs_r = longest;
	*emptied_r = AUTH_THROTTLE_NONE;
	if (refused != AUTH_THROTTLE_NONE)
		return refused;

	for (unsigned int i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((applies & (1U << kinds[i])) == 0)
			continue;
		key = auth_throttle_ticket_key(ticket_r, kinds[i]);
		if (auth_throttle_charge(&t->tables[kinds[i]], key, now))
			*emptied_r = kinds[i];
	}
	ticket_r->taken = applies;
	ticket_r->open = true;
	return AUTH_THROTTLE_NONE;
}

void auth_throttle_settle(struct auth_throttle *t, struct auth_throttle_ticket *ticket,
			  enum auth_throttle_outcome outcome, uint64_t now)
{
	if (!ticket->open)
		return;
	ticket->open = false;
	if (outcome != AUTH_THROTTLE_FAILED) {
		for (unsigned int kind = AUTH_THROTTLE_IP; kind <= AUTH_THROTTLE_ACCOUNT;
		     kind++) {
			if ((ticket->taken & (1U << kind)) == 0)
				continue;
			auth_throttle_refund(&t->tables[kind],
					     auth_throttle_ticket_key(ticket, kind));
		}
	}
	ticket->taken = 0;
	if (outcome == AUTH_THROTTLE_SUCCEEDED && ticket->have_ip) {
		struct auth_throttle_entry *e =
			auth_throttle_get(&t->tables[AUTH_THROTTLE_ACCOUNT_IP],
					  ticket->account_ip);

		e->tat = 0;
		e->trusted_until = now + t->trust_msecs;
	}
}

unsigned int auth_throttle_count(const struct auth_throttle *t,
				 enum auth_throttle_kind kind)
{
	const struct auth_throttle_table *table;
	unsigned int count = 0;

	if (kind == AUTH_THROTTLE_NONE)
		return 0;
	table = &t->tables[kind];
	for (size_t i = 0; i < (size_t)table->sets * AUTH_THROTTLE_WAYS; i++) {
		if (table->slots[i].key != 0)
			count++;
	}
	return count;
}

const char *auth_throttle_kind_name(enum auth_throttle_kind kind)
{
	switch (kind) {
	case AUTH_THROTTLE_NONE:
		return "none";
	case AUTH_THROTTLE_IP:
		return "ip";
	case AUTH_THROTTLE_ACCOUNT_IP:
		return "user+ip";
	case AUTH_THROTTLE_ACCOUNT:
		return "user";
	}
	return "?";
}
