/*
 * Password checks: the throttle on the loop, then the keyed cache on the
 * loop, then Argon2id on the workers, fed fairly by client address.
 */
#include "auth.h"
#include "alloc.h"
#include "auth-throttle.h"
#include "conf.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AUTH_CACHE_BUCKETS 4096
#define AUTH_CACHE_MAX 20000
#define AUTH_CACHE_TTL_SECS 3600
/* Password checks waiting for a worker, from all addresses together. A
   flood beyond this gets "try again later" at once instead of delaying
   every real login behind it for minutes. */
#define AUTH_QUEUE_MAX 128
/* ...and from one address (auth_throttle_origin(): an IPv6 /64 is one):
   a burst from behind a NAT fits, a flood from one address waits in its
   own line. The workers take addresses in turn, so a check from a quiet
   address waits for at most one check per busy address, not for the
   whole queue. */
#define AUTH_QUEUE_PER_ORIGIN 16
/* Argon2id (crypto_pwhash_MEMLIMIT_INTERACTIVE) needs this much per check
   in flight. */
#define AUTH_WORKER_MEMORY (64ULL * 1024 * 1024)
#define AUTH_WORKERS_MAX 4
/* A successful login makes its (account, address) pair known this long:
   known pairs are not held back by the account's own lockout. */
#define AUTH_TRUST_SECS (30 * 86400)
/* At most one "queue full" warning per this long. */
#define AUTH_QUEUE_WARN_SECS 60

struct auth_cache_entry {
	struct auth_cache_entry *next;
	char *address;              /* lowercase */
	unsigned char pw_mac[SECRET_MAC_LEN];
	unsigned char hash_mac[SECRET_MAC_LEN]; /* binds to the stored hash */
	int64_t user_id;
	char *canonical;
	time_t expires;
};

enum auth_request_state {
	AUTH_REQUEST_QUEUED,   /* in its origin's queue */
	AUTH_REQUEST_WORKER,   /* a worker has it, or it is in the done list */
	AUTH_REQUEST_LOOP,     /* on the loop, waiting for its timer */
};

struct auth_origin;

struct auth_request {
	struct auth *auth;
	struct auth_request *next;  /* in an origin queue or the done list */
	struct auth_origin *origin; /* while queued */
	enum auth_request_state state;
	char *address;
	char *password;
	char *peer_ip;              /* NULL: not known */
	auth_callback *cb;
	void *context;
	enum metrics_protocol protocol;
	struct timer *delay;
	struct auth_throttle_ticket ticket; /* settled when the answer is known */

	/* filled by the worker */
	struct auth_result result;
	char *canonical;
	char *stored_hash;
	bool checked;               /* the password was compared */
	bool cancelled;
};

/* The checks queued from one address, while there are any. */
struct auth_origin {
	struct auth_origin *next;   /* in the round-robin list */
	unsigned char key[AUTH_ORIGIN_LEN];
	struct auth_request *head, *tail;
	unsigned int count;
};

struct auth {
	struct ioloop *ioloop;
	struct store *loop_store;
	const struct conf *conf;
	unsigned char mac_key[SECRET_MAC_KEY_LEN];

	struct auth_cache_entry *cache[AUTH_CACHE_BUCKETS];
	unsigned int cache_count;
	struct auth_throttle *throttle;   /* the loop's only */
	time_t queue_warned;
	unsigned int queue_refused;

	pthread_t threads[AUTH_WORKERS_MAX];
	unsigned int thread_count;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock: origins with queued checks, served in turn */
	struct auth_origin *origins_head, *origins_tail;
	unsigned int queue_length;
	struct auth_request *done;
	bool stopping;
	struct ioloop_notify *notify;
};

static unsigned int auth_bucket(const char *address)
{
	unsigned int h = 5381;

	for (const char *p = address; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	return h % AUTH_CACHE_BUCKETS;
}

static char *auth_lc(const char *address)
{
	char *lc = xstrdup(address);

	str_lcase(lc);
	return lc;
}

static void auth_cache_entry_free(struct auth_cache_entry *e)
{
	free(e->address);
	free(e->canonical);
	secret_wipe(e, sizeof(*e));
	free(e);
}

static struct auth_cache_entry **auth_cache_find(struct auth *auth, const char *lc)
{
	struct auth_cache_entry **ep = &auth->cache[auth_bucket(lc)];

	for (; *ep != NULL; ep = &(*ep)->next) {
		if (strcmp((*ep)->address, lc) == 0)
			return ep;
	}
	return ep;
}

static void auth_cache_put(struct auth *auth, const char *address,
			   const char *password, const char *stored_hash,
			   int64_t user_id, const char *canonical)
{
	char *lc = auth_lc(address);
	struct auth_cache_entry **ep = auth_cache_find(auth, lc), *e;

	if (*ep != NULL) {
		e = *ep;
		*ep = e->next;
		auth_cache_entry_free(e);
		auth->cache_count--;
	}
	if (auth->cache_count >= AUTH_CACHE_MAX) {
		free(lc);
		return;
	}
	e = xcalloc(1, sizeof(*e));
	e->address = lc;
	e->canonical = xstrdup(canonical);
	e->user_id = user_id;
	e->expires = time(NULL) + AUTH_CACHE_TTL_SECS;
	secret_mac(auth->mac_key, password, strlen(password), e->pw_mac);
	secret_mac(auth->mac_key, stored_hash, strlen(stored_hash), e->hash_mac);
	e->next = auth->cache[auth_bucket(lc)];
	auth->cache[auth_bucket(lc)] = e;
	auth->cache_count++;
}

/* 1: the cache vouches for this password, 0: ask Argon2id */
static int auth_cache_check(struct auth *auth, const struct store_user *user,
			    const char *address, const char *password)
{
	char *lc = auth_lc(address);
	struct auth_cache_entry **ep = auth_cache_find(auth, lc), *e = *ep;
	unsigned char pw_mac[SECRET_MAC_LEN], hash_mac[SECRET_MAC_LEN];
	int ret = 0;

	free(lc);
	if (e == NULL)
		return 0;
	if (e->expires < time(NULL) || e->user_id != user->id) {
		*ep = e->next;
		auth_cache_entry_free(e);
		auth->cache_count--;
		return 0;
	}
	secret_mac(auth->mac_key, password, strlen(password), pw_mac);
	secret_mac(auth->mac_key, user->password_hash,
		   strlen(user->password_hash), hash_mac);
	if (secret_equal(pw_mac, e->pw_mac, SECRET_MAC_LEN) &&
	    secret_equal(hash_mac, e->hash_mac, SECRET_MAC_LEN))
		ret = 1;
	secret_wipe(pw_mac, sizeof(pw_mac));
	return ret;
}

static void auth_request_free(struct auth_request *req)
{
	/* never checked, whatever the path that got here */
	auth_throttle_settle(req->auth->throttle, &req->ticket,
			     AUTH_THROTTLE_UNCHECKED,
			     ioloop_now_msecs(req->auth->ioloop));
	timer_remove(&req->delay);
	if (req->password != NULL) {
		secret_wipe(req->password, strlen(req->password));
		free(req->password);
	}
	free(req->address);
	free(req->peer_ip);
	free(req->canonical);
	free(req->stored_hash);
	free(req);
}

/* A password as stored, as a number that stands for it without telling
   it (keyed with this process's random key). */
static uint64_t auth_password_mark(struct auth *auth, const char *stored_hash)
{
	unsigned char mac[SECRET_MAC_LEN];
	uint64_t mark;

	secret_mac(auth->mac_key, stored_hash, strlen(stored_hash), mac);
	memcpy(&mark, mac, sizeof(mark));
	return mark;
}

static void auth_request_finish(void *context)
{
	struct auth_request *req = context;

	timer_remove(&req->delay);
	if (req->result.success && req->stored_hash != NULL)
		req->result.password_mark = auth_password_mark(req->auth, req->stored_hash);
	if (!req->cancelled) {
		metrics_login(req->protocol, req->result.success ? METRICS_LOGIN_OK :
			      req->result.throttled ? METRICS_LOGIN_THROTTLED :
			      req->result.temp_failure ? METRICS_LOGIN_ERROR :
			      METRICS_LOGIN_FAILED);
		req->result.address = req->canonical;
		req->cb(req->context, &req->result);
	}
	auth_request_free(req);
}

/* On the loop: answer after msecs (0: on the next loop iteration, never
   from inside the caller's stack). */
static void auth_request_answer(struct auth_request *req, unsigned int msecs)
{
	req->state = AUTH_REQUEST_LOOP;
	req->delay = timer_add(req->auth->ioloop, msecs, false,
			       auth_request_finish, req);
}

/* Refused unchecked. The answer waits as a failure would: a client that
   loops on a refused login gets no faster answers than one that guesses. */
static void auth_request_refuse(struct auth_request *req, uint64_t retry_msecs)
{
	req->result.temp_failure = true;
	req->result.throttled = true;
	req->result.retry_after_secs = (unsigned int)((retry_msecs + 999) / 1000);
	if (req->result.retry_after_secs == 0)
		req->result.retry_after_secs = 1;
	auth_request_answer(req, req->auth->conf->auth_failure_delay_msecs);
}

/* On the loop: a result is back from the worker. */
static void auth_request_done(struct auth *auth, struct auth_request *req)
{
	uint64_t now = ioloop_now_msecs(auth->ioloop);

	if (req->result.success) {
		auth_throttle_settle(auth->throttle, &req->ticket,
				     AUTH_THROTTLE_SUCCEEDED, now);
		if (req->stored_hash != NULL && !req->cancelled)
			auth_cache_put(auth, req->address, req->password,
				       req->stored_hash, req->result.user_id,
				       req->canonical);
	} else {
		/* a wrong password stays counted even when the client has
		   gone: closing the connection is no way around the count */
		auth_throttle_settle(auth->throttle, &req->ticket,
				     req->checked ? AUTH_THROTTLE_FAILED :
				     AUTH_THROTTLE_UNCHECKED, now);
	}
	if (!req->result.success && !req->result.temp_failure) {
		/* Slow down guessing; the delay is on this connection only. */
		auth_request_answer(req, auth->conf->auth_failure_delay_msecs);
		return;
	}
	auth_request_finish(req);
}

static void auth_notify(void *context)
{
	struct auth *auth = context;
	struct auth_request *list, *req, *rev = NULL;

	pthread_mutex_lock(&auth->lock);
	list = auth->done;
	auth->done = NULL;
	pthread_mutex_unlock(&auth->lock);
	/* the list is newest first; answer in arrival order */
	while (list != NULL) {
		req = list;
		list = list->next;
		req->next = rev;
		rev = req;
	}
	while (rev != NULL) {
		req = rev;
		rev = rev->next;
		auth_request_done(auth, req);
	}
}

/* Under lock: the next check, taking the busy addresses in turn. */
static struct auth_request *auth_queue_pop(struct auth *auth)
{
	struct auth_origin *origin = auth->origins_head;
	struct auth_request *req;

	if (origin == NULL)
		return NULL;
	req = origin->head;
	origin->head = req->next;
	if (origin->head == NULL)
		origin->tail = NULL;
	origin->count--;
	auth->queue_length--;
	auth->origins_head = origin->next;
	if (auth->origins_head == NULL)
		auth->origins_tail = NULL;
	if (origin->count > 0) {
		/* to the back of the line */
		origin->next = NULL;
		if (auth->origins_tail != NULL)
			auth->origins_tail->next = origin;
		else
			auth->origins_head = origin;
		auth->origins_tail = origin;
	} else {
		free(origin);
	}
	req->next = NULL;
	req->origin = NULL;
	req->state = AUTH_REQUEST_WORKER;
	return req;
}

/* Under lock: take req out of its origin's queue (it is cancelled, or
   gives way to another address). */
static void auth_queue_unlink(struct auth *auth, struct auth_request *req)
{
	struct auth_origin *origin = req->origin;
	struct auth_request **rp, *prev = NULL;

	for (rp = &origin->head; *rp != req; rp = &(*rp)->next)
		prev = *rp;
	*rp = req->next;
	if (origin->tail == req)
		origin->tail = prev;
	origin->count--;
	auth->queue_length--;
	req->next = NULL;
	req->origin = NULL;
	if (origin->count > 0)
		return;
	{
		struct auth_origin **op, *oprev = NULL;

		for (op = &auth->origins_head; *op != origin; op = &(*op)->next)
			oprev = *op;
		*op = origin->next;
		if (auth->origins_tail == origin)
			auth->origins_tail = oprev;
		free(origin);
	}
}

/*
 * Under lock: queue req behind the other checks from its address. Fair
 * shares: an address has at most AUTH_QUEUE_PER_ORIGIN checks waiting, and
 * when the whole queue is full a newcomer from an address with fewer
 * checks waiting takes the place of the newest check of the address with
 * the most. Returns true when queued; *evicted_r is a request that gave
 * way (to be refused on the loop) or NULL.
 */
static bool auth_queue_push(struct auth *auth, struct auth_request *req,
			    const unsigned char key[AUTH_ORIGIN_LEN],
			    struct auth_request **evicted_r)
{
	struct auth_origin *origin = NULL, *o, *biggest = NULL;

	*evicted_r = NULL;
	for (o = auth->origins_head; o != NULL; o = o->next) {
		if (memcmp(o->key, key, AUTH_ORIGIN_LEN) == 0)
			origin = o;
		if (biggest == NULL || o->count > biggest->count)
			biggest = o;
	}
	if (origin != NULL && origin->count >= AUTH_QUEUE_PER_ORIGIN)
		return false;
	if (auth->queue_length >= AUTH_QUEUE_MAX) {
		unsigned int mine = origin != NULL ? origin->count : 0;

		if (biggest == NULL || biggest->count <= mine + 1)
			return false;
		/* biggest is not origin, and keeps at least one */
		*evicted_r = biggest->tail;
		auth_queue_unlink(auth, biggest->tail);
	}
	if (origin == NULL) {
		origin = xcalloc(1, sizeof(*origin));
		memcpy(origin->key, key, AUTH_ORIGIN_LEN);
		if (auth->origins_tail != NULL)
			auth->origins_tail->next = origin;
		else
			auth->origins_head = origin;
		auth->origins_tail = origin;
	}
	req->origin = origin;
	req->state = AUTH_REQUEST_QUEUED;
	if (origin->tail != NULL)
		origin->tail->next = req;
	else
		origin->head = req;
	origin->tail = req;
	origin->count++;
	auth->queue_length++;
	return true;
}

static void *auth_worker(void *arg)
{
	struct auth *auth = arg;
	struct store *store = NULL;
	const char *error;

	/* each worker has its own store handle: SQLite connections are not
	   shared between threads here */
	if (store_open_another(auth->loop_store, &store, &error) < 0)
		log_error("auth", "cannot open the store: %s", error);
	for (;;) {
		struct auth_request *req;
		struct store_user user;
		struct pool *pool;
		bool cancelled;
		int ret;

		pthread_mutex_lock(&auth->lock);
		while (auth->origins_head == NULL && !auth->stopping)
			pthread_cond_wait(&auth->cond, &auth->lock);
		if (auth->stopping) {
			pthread_mutex_unlock(&auth->lock);
			break;
		}
		req = auth_queue_pop(auth);
		cancelled = req->cancelled;
		pthread_mutex_unlock(&auth->lock);

		pool = pool_create(1024);
		if (cancelled)
			ret = 0;
		else if (store == NULL)
			ret = -1;
		else
			ret = store_user_verify(store, req->address, req->password,
						pool, &user);
		if (ret > 0) {
			req->result.success = true;
			req->result.user_id = user.id;
			req->canonical = xstrdup(user.address);
			req->stored_hash = xstrdup(user.password_hash);
		} else if (ret < 0) {
			req->result.temp_failure = true;
		}
		req->checked = !cancelled && ret >= 0;
		pool_destroy(&pool);

		pthread_mutex_lock(&auth->lock);
		req->next = auth->done;
		auth->done = req;
		pthread_mutex_unlock(&auth->lock);
		ioloop_notify_fire(auth->notify);
	}
	store_close(&store);
	return NULL;
}

/*
 * How many checks may hash at once. Half the cores: hashing is what a
 * guesser makes us do, and the loop, the IMAP writer, delivery and the
 * TLS handshakes need the other half. Memory: each check holds 64 MiB, and
 * together they take at most an eighth of the machine (a 512 MiB machine
 * gets one, 1 GiB two). At least one, at most AUTH_WORKERS_MAX: beyond four
 * the throttle, not more hashing, is what keeps up with a flood.
 */
static unsigned int auth_worker_count(long *cores_r, unsigned long long *memory_r)
{
	cpu_set_t set;
	long cores = 0, pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	unsigned long long memory = 0, n;

	/* the CPUs this process may run on (taskset, cpusets), not all */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cores = CPU_COUNT(&set);
	if (cores <= 0)
		cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (cores <= 0)
		cores = 1;
	if (pages > 0 && page > 0)
		memory = (unsigned long long)pages * (unsigned long long)page;
	n = (unsigned long long)cores / 2;
	if (memory > 0 && memory / (8 * AUTH_WORKER_MEMORY) < n)
		n = memory / (8 * AUTH_WORKER_MEMORY);
	if (n < 1)
		n = 1;
	if (n > AUTH_WORKERS_MAX)
		n = AUTH_WORKERS_MAX;
	*cores_r = cores;
	*memory_r = memory;
	return (unsigned int)n;
}

struct auth *auth_create(struct ioloop *ioloop, struct store *loop_store,
			 const struct conf *conf)
{
	struct auth *auth = xcalloc(1, sizeof(*auth));
	struct auth_throttle_settings set;
	unsigned long long memory;
	long cores;

	auth->ioloop = ioloop;
	auth->loop_store = loop_store;
	auth->conf = conf;
	secret_random(auth->mac_key, sizeof(auth->mac_key));

	memset(&set, 0, sizeof(set));
	set.ip.failures = conf->auth_ip_failures;
	set.ip.interval_msecs = conf->auth_ip_interval_secs * 1000;
	set.account_ip.failures = conf->auth_user_ip_failures;
	set.account_ip.interval_msecs = conf->auth_user_ip_interval_secs * 1000;
	set.account.failures = conf->auth_user_failures;
	set.account.interval_msecs = conf->auth_user_interval_secs * 1000;
	set.trust_secs = AUTH_TRUST_SECS;
	auth->throttle = auth_throttle_create(&set);

	pthread_mutex_init(&auth->lock, NULL);
	pthread_cond_init(&auth->cond, NULL);
	auth->notify = ioloop_notify_create(ioloop, auth_notify, auth);
	auth->thread_count = auth_worker_count(&cores, &memory);
	for (unsigned int i = 0; i < auth->thread_count; i++) {
		if (pthread_create(&auth->threads[i], NULL, auth_worker, auth) != 0)
			fatal("cannot start an auth worker thread");
	}
	log_info("auth", "password workers=%u cores=%ld memory=%lluMiB",
		 auth->thread_count, cores, memory / (1024 * 1024));
	return auth;
}

void auth_destroy(struct auth **_auth)
{
	struct auth *auth = *_auth;
	struct auth_request *req;

	if (auth == NULL)
		return;
	*_auth = NULL;
	pthread_mutex_lock(&auth->lock);
	auth->stopping = true;
	pthread_cond_broadcast(&auth->cond);
	pthread_mutex_unlock(&auth->lock);
	for (unsigned int i = 0; i < auth->thread_count; i++)
		pthread_join(auth->threads[i], NULL);
	while ((req = auth_queue_pop(auth)) != NULL)
		auth_request_free(req);
	while (auth->done != NULL) {
		req = auth->done;
		auth->done = req->next;
		auth_request_free(req);
	}
	for (unsigned int i = 0; i < AUTH_CACHE_BUCKETS; i++) {
		while (auth->cache[i] != NULL) {
			struct auth_cache_entry *e = auth->cache[i];

			auth->cache[i] = e->next;
			auth_cache_entry_free(e);
		}
	}
	auth_throttle_destroy(&auth->throttle);
	ioloop_notify_destroy(&auth->notify);
	pthread_mutex_destroy(&auth->lock);
	pthread_cond_destroy(&auth->cond);
	secret_wipe(auth->mac_key, sizeof(auth->mac_key));
	free(auth);
}

static void auth_queue_warn(struct auth *auth)
{
	time_t now = time(NULL);

	auth->queue_refused++;
	if (now - auth->queue_warned < AUTH_QUEUE_WARN_SECS)
		return;
	log_warning("auth", "password checks refused: queue full or one address "
		    "over its share waiting=%u refused=%u", auth->queue_length,
		    auth->queue_refused);
	auth->queue_warned = now;
	auth->queue_refused = 0;
}

struct auth_request *auth_verify_from(struct auth *auth,
				      enum metrics_protocol protocol,
				      const char *peer_ip,
				      const char *address, const char *password,
				      auth_callback *cb, void *context)
{
	struct auth_request *req = xcalloc(1, sizeof(*req)), *evicted;
	unsigned char origin[AUTH_ORIGIN_LEN];
	uint64_t now = ioloop_now_msecs(auth->ioloop), retry;
	enum auth_throttle_kind kind, emptied;
	bool queued;

	req->auth = auth;
	req->address = xstrdup(address);
	req->password = xstrdup(password);
	req->peer_ip = peer_ip != NULL ? xstrdup(peer_ip) : NULL;
	req->cb = cb;
	req->context = context;
	req->protocol = protocol;

	/* The throttle comes first, before the cache too: a cache that
	   answered while the address is locked out would be a fast oracle. */
	kind = auth_throttle_take(auth->throttle, address, peer_ip, now,
				  &req->ticket, &retry, &emptied);
	if (kind != AUTH_THROTTLE_NONE) {
		auth_request_refuse(req, retry);
		return req;
	}
	if (emptied != AUTH_THROTTLE_NONE)
		log_warning("auth", "login limit reached, refusing further attempts "
			    "for a while limit=%s user=%s ip=%s",
			    auth_throttle_kind_name(emptied), log_value(address),
			    peer_ip != NULL ? peer_ip : "unknown");

	/* The cache check needs only the stored hash: a quick indexed read
	   on the loop's own store handle. */
	if (auth->loop_store != NULL) {
		struct pool *pool = pool_create(512);
		struct store_user user;

		if (store_user_lookup(auth->loop_store, address, pool, &user) > 0 &&
		    auth_cache_check(auth, &user, address, password) == 1) {
			req->result.success = true;
			req->result.user_id = user.id;
			req->result.password_mark =
				auth_password_mark(auth, user.password_hash);
			req->canonical = xstrdup(user.address);
			pool_destroy(&pool);
			auth_throttle_settle(auth->throttle, &req->ticket,
					     AUTH_THROTTLE_SUCCEEDED, now);
			auth_request_answer(req, 0);
			return req;
		}
		pool_destroy(&pool);
	}

	auth_throttle_origin(peer_ip, origin);
	pthread_mutex_lock(&auth->lock);
	queued = auth_queue_push(auth, req, origin, &evicted);
	if (queued)
		pthread_cond_signal(&auth->cond);
	pthread_mutex_unlock(&auth->lock);
	if (evicted != NULL) {
		auth_queue_warn(auth);
		auth_throttle_settle(auth->throttle, &evicted->ticket,
				     AUTH_THROTTLE_UNCHECKED, now);
		auth_request_refuse(evicted, 1000);
	}
	if (!queued) {
		auth_queue_warn(auth);
		auth_throttle_settle(auth->throttle, &req->ticket,
				     AUTH_THROTTLE_UNCHECKED, now);
		auth_request_refuse(req, 1000);
	}
	return req;
}

struct auth_request *auth_verify(struct auth *auth, enum metrics_protocol protocol,
				 const char *address,
				 const char *password, auth_callback *cb,
				 void *context)
{
	return auth_verify_from(auth, protocol, NULL, address, password, cb, context);
}

void auth_request_cancel(struct auth_request **_req)
{
	struct auth_request *req = *_req;
	struct auth *auth;

	if (req == NULL)
		return;
	*_req = NULL;
	auth = req->auth;
	/* A queued check is dropped before it costs a hash. One a worker
	   holds is freed when it comes back (the worker reads the flag, so
	   it is set under the lock); one waiting for its timer, now. */
	pthread_mutex_lock(&auth->lock);
	req->cancelled = true;
	if (req->state == AUTH_REQUEST_QUEUED) {
		auth_queue_unlink(auth, req);
		pthread_mutex_unlock(&auth->lock);
		auth_request_free(req);
		return;
	}
	pthread_mutex_unlock(&auth->lock);
	if (req->state == AUTH_REQUEST_LOOP)
		auth_request_free(req);
}

void auth_session_init(struct auth_session *session,
		       const struct auth_result *result)
{
	session->user_id = result->user_id;
	session->password_mark = result->password_mark;
	/* the first command looks: the password may have changed between
	   the check and now */
	session->change_counter = 0;
}

bool auth_session_outdated(struct auth *auth, struct store *store,
			   struct auth_session *session)
{
	uint64_t counter = store_change_counter(store);
	struct pool *pool;
	struct store_user user;
	bool outdated;
	int ret;

	if (counter == session->change_counter)
		return false;
	pool = pool_create(512);
	ret = store_user_lookup_id(store, session->user_id, pool, &user);
	if (ret < 0) {
		pool_destroy(&pool);
		return false;
	}
	outdated = ret == 0 || auth_password_mark(auth, user.password_hash) !=
		session->password_mark;
	pool_destroy(&pool);
	session->change_counter = counter;
	return outdated;
}
