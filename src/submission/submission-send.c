/*
 * Sending a local user's message: local delivery first, then the outbound
 * queue (see submission-send.h).
 */
#include "submission-send.h"
#include "deliver.h"
#include "outbound.h"
#include "pool.h"
#include "store.h"

#include <string.h>

const char *submission_outcome_name(enum submission_outcome outcome)
{
	switch (outcome) {
	case SUBMISSION_SENT:
		return "sent";
	case SUBMISSION_TEMPFAIL:
		return "tempfail";
	case SUBMISSION_NO_SPACE:
		return "no-space";
	case SUBMISSION_RCPT_GONE:
		return "recipient-gone";
	case SUBMISSION_OVER_QUOTA:
		return "over-quota";
	}
	return "?";
}

/* The one place where a store failure becomes an outcome: the detail goes
   to the log, the user gets a temporary failure. */
static enum submission_outcome submission_store_outcome(struct store *store)
{
	if (store != NULL && store_last_error(store) == STORE_ERROR_LIMIT)
		return SUBMISSION_NO_SPACE;
	return SUBMISSION_TEMPFAIL;
}

enum submission_outcome submission_send_run(struct store *store,
					    const struct conf *conf,
					    struct pool *pool,
					    struct submission_send *send)
{
	send->error = NULL;
	send->status = p_new(pool, enum deliver_status,
			     send->local_count > 0 ? send->local_count : 1);
	send->uids = p_new(pool, uint32_t, send->local_count > 0 ? send->local_count : 1);
	if (store == NULL) {
		send->error = "the store cannot be opened";
		return SUBMISSION_TEMPFAIL;
	}
	if (send->local_count > 0) {
		struct deliver_request req;
		struct deliver_request *reqs[1] = { &req };
		bool temp = false, gone = false, full = false;

		memset(&req, 0, sizeof(req));
		req.sender = send->sender;
		req.data = send->data;
		req.size = send->size;
		req.rcpt_count = send->local_count;
		req.recipients = send->local;
		req.status = send->status;
		req.uids = send->uids;
		(void)deliver_batch(store, conf, reqs, 1);
		for (unsigned int i = 0; i < send->local_count; i++) {
			if (send->status[i] == DELIVER_TEMPFAIL)
				temp = true;
			else if (send->status[i] == DELIVER_OVER_QUOTA)
				full = true;
			else if (send->status[i] != DELIVER_OK)
				gone = true;
		}
		if (temp) {
			send->error = p_strdup(pool, store_last_error_detail(store));
			return submission_store_outcome(store);
		}
		if (gone) {
			send->error = "a local recipient could not take the message";
			return SUBMISSION_RCPT_GONE;
		}
		if (full) {
			/* RCPT refuses a recipient who is already full; this
			   one filled up meanwhile (or with this message) */
			send->error = "a local recipient is over quota";
			return SUBMISSION_OVER_QUOTA;
		}
	}
	if (send->remote_count > 0) {
		const char *error;

		if (outbound_queue_message(store, send->sender, send->remote,
					   send->remote_count, send->data, send->size,
					   &error) < 0) {
			send->error = p_strdup(pool, error);
			return submission_store_outcome(store);
		}
	}
	return SUBMISSION_SENT;
}
