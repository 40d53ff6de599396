#ifndef INFOSTORE_DELIVER_QUEUE_H
#define INFOSTORE_DELIVER_QUEUE_H

/*
 * Durable delivery off the event loop, with group commit: requests that
 * arrive while a batch is being written wait and then go together in the
 * next batch, sharing its directory fsync and its index commit. With four
 * LMTP clients this turns four commits into one.
 */

struct conf;
struct deliver_request;
struct deliver_queue;
struct ioloop;
struct store;

typedef void deliver_done_cb(void *context, struct deliver_request *request);

struct deliver_queue *deliver_queue_create(struct ioloop *ioloop,
					   const struct store *like,
					   const struct conf *conf);
/* Finishes the requests in flight (their callbacks run), then stops. */
void deliver_queue_destroy(struct deliver_queue **queue);

/* request (and everything it points to) must stay valid until cb runs on
   the loop; its status[] and uids[] are filled in by then. */
void deliver_queue_submit(struct deliver_queue *queue,
			  struct deliver_request *request,
			  deliver_done_cb *cb, void *context);

/*
 * Run fn(context, store) on the delivery thread, with that thread's store
 * handle, after every request submitted before it; then done(context) on
 * the loop. For durable work that must not stall the loop and is not one
 * local delivery: the submission service delivers its local recipients
 * (deliver_batch()) and queues the rest (outbound_queue_message()) in one
 * call, in that order. fn runs alone, not inside a group commit; with the
 * store unavailable it runs with store NULL. context must stay valid until
 * done runs (also when the queue is destroyed: it finishes first).
 */
typedef void deliver_call_fn(void *context, struct store *store);
typedef void deliver_call_done_cb(void *context);
void deliver_queue_call(struct deliver_queue *queue, deliver_call_fn *fn,
			deliver_call_done_cb *done, void *context);

#endif
