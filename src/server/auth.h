#ifndef INFOSTORE_AUTH_H
#define INFOSTORE_AUTH_H

/*
 * Password verification off the event loop. Argon2id takes tens of
 * milliseconds and 64 MiB on purpose; that must not stall the other 9,999
 * connections, so it runs on worker threads (half the cores, at most 4,
 * and at most an eighth of the memory; auth.c says why).
 *
 * Successful logins are remembered for a while as a keyed hash of the
 * password (BLAKE2b with a per-process random key, never the password):
 * a client that logs in every minute costs one Argon2id per TTL, as with
 * Dovecot's auth cache. A password change in the store invalidates the
 * cached entry, because the entry is bound to the stored hash.
 *
 * Failed attempts are answered only after [limits] auth_failure_delay.
 *
 * Before any of that, the throttle (auth-throttle.h) may refuse the
 * attempt unchecked: too many failures from the client's address, for the
 * account from that address, or for the account from addresses it has not
 * logged in from ([limits] auth_*_failures and auth_*_interval). Checks
 * waiting for a worker are queued per client address and taken in turn,
 * with a cap per address, so one address cannot fill the queue.
 */

#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"

struct auth;
struct auth_request;
struct ioloop;
struct conf;

struct auth_result {
	bool success;
	bool temp_failure;     /* try again later: the store is unavailable,
				  or throttled is set */
	bool throttled;        /* refused unchecked: too many failed logins, or
				  too many checks waiting from this address */
	unsigned int retry_after_secs; /* with throttled: at least 1 */
	int64_t user_id;
	const char *address;   /* canonical address from the store; valid
				  during the callback only */
	uint64_t password_mark; /* with success: stands for the stored
				   password the login was checked against
				   (for struct auth_session) */
};

typedef void auth_callback(void *context, const struct auth_result *result);

struct store;
/* loop_store: the loop's store handle, for the cache check (may be NULL) */
struct auth *auth_create(struct ioloop *ioloop, struct store *loop_store,
			 const struct conf *conf);
void auth_destroy(struct auth **auth);

/*
 * Verify address/password for a client at peer_ip (its address as text,
 * as connection_peer_ip() gives it) and call cb on the loop, never from
 * inside this call. The request can be cancelled (connection closed) with
 * auth_request_cancel(); cb is then not called. Returns the request
 * handle. address and password are copied. The answer is counted in the
 * metrics' logins of protocol.
 */
struct auth_request *auth_verify_from(struct auth *auth,
				      enum metrics_protocol protocol,
				      const char *peer_ip,
				      const char *address, const char *password,
				      auth_callback *cb, void *context);
/* The same for a client whose address is not known: the throttle cannot
   tell it from anyone, so it does not apply (the failure delay does), and
   all such clients share one address's share of the queue. Use
   auth_verify_from() wherever the address is known. */
struct auth_request *auth_verify(struct auth *auth, enum metrics_protocol protocol,
				 const char *address,
				 const char *password, auth_callback *cb,
				 void *context);
void auth_request_cancel(struct auth_request **request);

/*
 * A logged-in IMAP or POP3 session ends when its user's password changes
 * (`infostore user passwd`, another process): it keeps the mark of the
 * password it logged in with, and before each command
 * auth_session_outdated() compares it with the password stored now. The
 * store is read only when something was committed since the last look
 * (store_change_counter()), so a quiet store costs nothing per command.
 */
struct auth_session {
	int64_t user_id;
	uint64_t password_mark;
	uint64_t change_counter;  /* of the last look; 0: never looked */
};
/* After a successful login (result->success). */
void auth_session_init(struct auth_session *session,
		       const struct auth_result *result);
/* true: the user's password changed (or the user is gone) since the
   login, and the session must end. A store error keeps the session. */
bool auth_session_outdated(struct auth *auth, struct store *store,
			   struct auth_session *session);

#endif
