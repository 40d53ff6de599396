#include "auth.h"
#include "conf.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "secret.h"
#include "store.h"
#include "strutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define AUTH_CACHE_BUCKETS 4096
#define AUTH_CACHE_MAX 20000
#define AUTH_CACHE_TTL_SECS 3600
/* Password checks waiting for the Argon2id worker. A flood of guesses
   beyond this gets "try again later" at once instead of delaying every
   real login behind it for minutes. */
#define AUTH_QUEUE_MAX 128

struct auth_cache_entry {
	struct auth_cache_entry *next;
	char *address;              /* lowercase */
	unsigned char pw_mac[SECRET_MAC_LEN];
	unsigned char hash_mac[SECRET_MAC_LEN]; /* binds to the stored hash */
	int64_t user_id;
	char *canonical;
	time_t expires;
};

struct auth_request {
	struct auth *auth;
	struct auth_request *next;  /* in the worker queue or done list */
	char *address;
	char *password;
	auth_callback *cb;
	void *context;
	struct timer *delay;

	/* filled by the worker */
	struct auth_result result;
	char *canonical;
	char *stored_hash;
	bool cancelled;
};

struct auth {
	struct ioloop *ioloop;
	struct store *loop_store;
	const struct conf *conf;
	char *data_dir;
	unsigned char mac_key[SECRET_MAC_KEY_LEN];

	struct auth_cache_entry *cache[AUTH_CACHE_BUCKETS];
	unsigned int cache_count;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct auth_request *queue_head, *queue_tail;
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
	char *lc = strdup(address);

	if (lc == NULL)
		fatal_oom();
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
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		fatal_oom();
	e->address = lc;
	e->canonical = strdup(canonical);
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
	timer_remove(&req->delay);
	if (req->password != NULL) {
		secret_wipe(req->password, strlen(req->password));
		free(req->password);
	}
	free(req->address);
	free(req->canonical);
	free(req->stored_hash);
	free(req);
}

static void auth_request_finish(void *context)
{
	struct auth_request *req = context;

	timer_remove(&req->delay);
	if (!req->cancelled) {
		req->result.address = req->canonical;
		req->cb(req->context, &req->result);
	}
	auth_request_free(req);
}

/* On the loop: a result is back from the worker (or from the cache). */
static void auth_request_done(struct auth *auth, struct auth_request *req)
{
	if (req->result.success && req->stored_hash != NULL && !req->cancelled)
		auth_cache_put(auth, req->address, req->password, req->stored_hash,
			       req->result.user_id, req->canonical);
	if (!req->result.success && !req->result.temp_failure &&
	    auth->conf->auth_failure_delay_msecs > 0) {
		/* Slow down guessing; the delay is on this connection only. */
		req->delay = timer_add(auth->ioloop, auth->conf->auth_failure_delay_msecs,
				       false, auth_request_finish, req);
		return;
	}
	auth_request_finish(req);
}

static void auth_notify(void *context)
{
	struct auth *auth = context;
	struct auth_request *list, *req;

	pthread_mutex_lock(&auth->lock);
	list = auth->done;
	auth->done = NULL;
	pthread_mutex_unlock(&auth->lock);
	/* the list is newest first; answer in arrival order */
	{
		struct auth_request *rev = NULL;

		while (list != NULL) {
			req = list;
			list = list->next;
			req->next = rev;
			rev = req;
		}
		list = rev;
	}
	while (list != NULL) {
		req = list;
		list = list->next;
		auth_request_done(auth, req);
	}
}

static void *auth_worker(void *arg)
{
	struct auth *auth = arg;
	struct store *store = NULL;
	const char *error;

	if (store_open(auth->data_dir, &store, &error) < 0)
		log_error("auth", "cannot open the store: %s", error);
	for (;;) {
		struct auth_request *req;
		struct store_user user;
		struct pool *pool;
		bool cancelled;
		int ret;

		pthread_mutex_lock(&auth->lock);
		while (auth->queue_head == NULL && !auth->stopping)
			pthread_cond_wait(&auth->cond, &auth->lock);
		if (auth->stopping) {
			pthread_mutex_unlock(&auth->lock);
			break;
		}
		req = auth->queue_head;
		auth->queue_head = req->next;
		if (auth->queue_head == NULL)
			auth->queue_tail = NULL;
		auth->queue_length--;
		pthread_mutex_unlock(&auth->lock);

		pool = pool_create(1024);
		pthread_mutex_lock(&auth->lock);
		cancelled = req->cancelled;
		pthread_mutex_unlock(&auth->lock);
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
			req->canonical = strdup(user.address);
			req->stored_hash = strdup(user.password_hash);
		} else if (ret < 0) {
			req->result.temp_failure = true;
		}
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

struct auth *auth_create(struct ioloop *ioloop, struct store *loop_store,
			 const char *data_dir, const struct conf *conf)
{
	struct auth *auth = calloc(1, sizeof(*auth));

	if (auth == NULL)
		fatal_oom();
	auth->ioloop = ioloop;
	auth->loop_store = loop_store;
	auth->conf = conf;
	auth->data_dir = strdup(data_dir);
	secret_random(auth->mac_key, sizeof(auth->mac_key));
	pthread_mutex_init(&auth->lock, NULL);
	pthread_cond_init(&auth->cond, NULL);
	auth->notify = ioloop_notify_create(ioloop, auth_notify, auth);
	if (pthread_create(&auth->thread, NULL, auth_worker, auth) != 0)
		fatal("cannot start the auth worker thread");
	return auth;
}

void auth_destroy(struct auth **_auth)
{
	struct auth *auth = *_auth;

	if (auth == NULL)
		return;
	*_auth = NULL;
	pthread_mutex_lock(&auth->lock);
	auth->stopping = true;
	pthread_cond_signal(&auth->cond);
	pthread_mutex_unlock(&auth->lock);
	pthread_join(auth->thread, NULL);
	while (auth->queue_head != NULL) {
		struct auth_request *req = auth->queue_head;

		auth->queue_head = req->next;
		auth_request_free(req);
	}
	while (auth->done != NULL) {
		struct auth_request *req = auth->done;

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
	ioloop_notify_destroy(&auth->notify);
	pthread_mutex_destroy(&auth->lock);
	pthread_cond_destroy(&auth->cond);
	secret_wipe(auth->mac_key, sizeof(auth->mac_key));
	free(auth->data_dir);
	free(auth);
}

struct auth_request *auth_verify(struct auth *auth, const char *address,
				 const char *password, auth_callback *cb,
				 void *context)
{
	struct auth_request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		fatal_oom();
	req->auth = auth;
	req->address = strdup(address);
	req->password = strdup(password);
	req->cb = cb;
	req->context = context;
	if (req->address == NULL || req->password == NULL)
		fatal_oom();

	/* The cache check needs only the stored hash: a quick indexed read
	   on the loop's own store handle. The answer still goes through the
	   loop, never from inside the caller's stack. */
	if (auth->loop_store != NULL) {
		struct pool *pool = pool_create(512);
		struct store_user user;

		if (store_user_lookup(auth->loop_store, address, pool, &user) > 0 &&
		    auth_cache_check(auth, &user, address, password) == 1) {
			req->result.success = true;
			req->result.user_id = user.id;
			req->canonical = strdup(user.address);
			req->delay = timer_add(auth->ioloop, 0, false,
					       auth_request_finish, req);
			pool_destroy(&pool);
			return req;
		}
		pool_destroy(&pool);
	}
	pthread_mutex_lock(&auth->lock);
	if (auth->queue_length >= AUTH_QUEUE_MAX) {
		pthread_mutex_unlock(&auth->lock);
		log_warning("auth", "password checks queue full (%u waiting): "
			    "answering try-again-later", AUTH_QUEUE_MAX);
		req->result.temp_failure = true;
		req->delay = timer_add(auth->ioloop, 0, false,
				       auth_request_finish, req);
		return req;
	}
	if (auth->queue_tail != NULL)
		auth->queue_tail->next = req;
	else
		auth->queue_head = req;
	auth->queue_tail = req;
	auth->queue_length++;
	pthread_cond_signal(&auth->cond);
	pthread_mutex_unlock(&auth->lock);
	return req;
}

void auth_request_cancel(struct auth_request **_req)
{
	struct auth_request *req = *_req;

	if (req == NULL)
		return;
	*_req = NULL;
	/* The worker or the timer still holds it; it is freed there. The
	   worker reads the flag, so it is set under the lock. */
	pthread_mutex_lock(&req->auth->lock);
	req->cancelled = true;
	pthread_mutex_unlock(&req->auth->lock);
	if (req->delay != NULL) {
		timer_remove(&req->delay);
		auth_request_free(req);
	}
}
