/*
 * Sending iMIP messages from local users: to local recipients through the
 * delivery path (so their calendars process it, exactly as mail from
 * outside), to everyone else through the durable outbound queue.
 */
#include "cal-private.h"
#include "deliver.h"
#include "log.h"
#include "outbound.h"
#include "pool.h"
#include "store.h"

#include <string.h>

int cal_send(struct store *store, const struct conf *conf, const char *sender,
	     const char *const *recipients, unsigned int count,
	     const unsigned char *data, size_t size, const char **error_r)
{
	struct pool *pool = pool_create(1024);
	const char **local = p_new(pool, const char *, count + 1);
	const char **remote = p_new(pool, const char *, count + 1);
	unsigned int nlocal = 0, nremote = 0;
	int ret = 0;

	for (unsigned int i = 0; i < count; i++) {
		struct store_user user;
		int r = store_user_lookup(store, recipients[i], pool, &user);

		if (r < 0) {
			*error_r = "The mail store is busy. Please try again.";
			pool_destroy(&pool);
			return -1;
		}
		if (r > 0)
			local[nlocal++] = recipients[i];
		else
			remote[nremote++] = recipients[i];
	}

	if (nlocal > 0) {
		struct deliver_request req;
		struct deliver_request *reqs[1] = { &req };

		memset(&req, 0, sizeof(req));
		req.sender = sender;
		req.from_this_server = true;
		req.data = data;
		req.size = size;
		req.rcpt_count = nlocal;
		req.recipients = local;
		req.status = p_new(pool, enum deliver_status, nlocal);
		req.uids = p_new(pool, uint32_t, nlocal);
		deliver_batch(store, conf, reqs, 1);
		for (unsigned int i = 0; i < nlocal; i++) {
			if (req.status[i] != DELIVER_OK) {
				log_error("cal", "cannot deliver iMIP message locally from=%s to=%s"
					  " status=%d", log_value(sender), log_value(local[i]),
					  (int)req.status[i]);
				*error_r = "The message could not be delivered. Please try again.";
				ret = -1;
			}
		}
	}
	if (nremote > 0) {
		const char *error;

		if (outbound_queue_message(store, sender, remote, nremote, data, size,
					   &error) < 0) {
			log_error("cal", "cannot queue iMIP message from=%s to=%s: %s",
				  log_value(sender), log_value(remote[0]), error);
			*error_r = "The message could not be queued for sending. Please try again.";
			ret = -1;
		} else {
			log_info("cal", "imip queued for the relay from=%s recipients=%u first=%s",
				 log_value(sender), nremote, log_value(remote[0]));
		}
	}
	pool_destroy(&pool);
	return ret;
}
