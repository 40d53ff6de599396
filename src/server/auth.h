#ifndef INFOSTORE_AUTH_H
#define INFOSTORE_AUTH_H

/*
 * Password verification off the event loop. Argon2id takes tens of
 * milliseconds and 64 MiB on purpose; that must not stall the other 9,999
 * connections, so it runs on a worker thread.
 *
 * Successful logins are remembered for a while as a keyed hash of the
 * password (BLAKE2b with a per-process random key, never the password):
 * a client that logs in every minute costs one Argon2id per TTL, as with
 * Dovecot's auth cache. A password change in the store invalidates the
 * cached entry, because the entry is bound to the stored hash.
 *
 * Failed attempts are answered only after [limits] auth_failure_delay.
 */

#include <stdbool.h>
#include <stdint.h>

struct auth;
struct auth_request;
struct ioloop;
struct conf;

struct auth_result {
	bool success;
	bool temp_failure;     /* store unavailable: try again later */
	int64_t user_id;
	const char *address;   /* canonical address from the store; valid
				  during the callback only */
};

typedef void auth_callback(void *context, const struct auth_result *result);

struct store;
/* loop_store: the loop's store handle, for the cache check (may be NULL) */
struct auth *auth_create(struct ioloop *ioloop, struct store *loop_store,
			 const char *data_dir, const struct conf *conf);
void auth_destroy(struct auth **auth);

/*
 * Verify address/password and call cb on the loop. The request can be
 * cancelled (connection closed) with auth_request_cancel(); cb is then not
 * called. Returns the request handle.
 */
struct auth_request *auth_verify(struct auth *auth, const char *address,
				 const char *password, auth_callback *cb,
				 void *context);
void auth_request_cancel(struct auth_request **request);

#endif
