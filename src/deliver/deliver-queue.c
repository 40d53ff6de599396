#include "deliver-queue.h"
#include "alloc.h"
#include "deliver.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DELIVER_BATCH_MAX 64

struct deliver_job {
	struct deliver_job *next;
	struct deliver_request *request;   /* NULL for a call */
	deliver_done_cb *cb;
	/* deliver_queue_call() */
	deliver_call_fn *call;
	deliver_call_done_cb *call_done;
	void *context;
};

struct deliver_queue {
	struct ioloop *ioloop;
	const struct conf *conf;
	const struct store *like;   /* the loop's handle: what to open */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct deliver_job *pending_head, *pending_tail;
	struct deliver_job *done_head, *done_tail;
	unsigned int in_flight;
	bool stopping;
	struct ioloop_notify *notify;
};

static void deliver_queue_notify(void *context)
{
	struct deliver_queue *queue = context;
	struct deliver_job *list;

	pthread_mutex_lock(&queue->lock);
	list = queue->done_head;
	queue->done_head = queue->done_tail = NULL;
	pthread_mutex_unlock(&queue->lock);
	while (list != NULL) {
		struct deliver_job *job = list;

		list = job->next;
		queue->in_flight--;
		if (job->call != NULL)
			job->call_done(job->context);
		else
			job->cb(job->context, job->request);
		free(job);
	}
}

static void *deliver_queue_thread(void *arg)
{
	struct deliver_queue *queue = arg;
	struct store *store = NULL;
	const char *error;

	for (;;) {
		struct deliver_request *requests[DELIVER_BATCH_MAX];
		struct deliver_job *batch, *last;
		unsigned int n = 0;

		pthread_mutex_lock(&queue->lock);
		while (queue->pending_head == NULL && !queue->stopping)
			pthread_cond_wait(&queue->cond, &queue->lock);
		if (queue->pending_head == NULL && queue->stopping) {
			pthread_mutex_unlock(&queue->lock);
			break;
		}
		/* take the requests that are waiting, up to the batch size
		   and up to the next call, which runs alone */
		batch = last = queue->pending_head;
		if (batch->call == NULL) {
			requests[n++] = batch->request;
			while (last->next != NULL && last->next->call == NULL &&
			       n < DELIVER_BATCH_MAX) {
				last = last->next;
				requests[n++] = last->request;
			}
		}
		queue->pending_head = last->next;
		if (queue->pending_head == NULL)
			queue->pending_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&queue->lock);

		if (store == NULL && store_open_another(queue->like, &store, &error) < 0) {
			log_error("deliver", "cannot open the store: %s", error);
			store = NULL;
		}
		if (batch->call != NULL) {
			batch->call(batch->context, store);
		} else if (store != NULL) {
			metrics_delivery_batch(n);
			deliver_batch(store, queue->conf, requests, n);
		} else {
			for (unsigned int i = 0; i < n; i++) {
				for (unsigned int r = 0; r < requests[i]->rcpt_count; r++)
					requests[i]->status[r] = DELIVER_TEMPFAIL;
			}
		}

		pthread_mutex_lock(&queue->lock);
		if (queue->done_tail != NULL)
			queue->done_tail->next = batch;
		else
			queue->done_head = batch;
		queue->done_tail = last;
		pthread_mutex_unlock(&queue->lock);
		ioloop_notify_fire(queue->notify);
	}
	store_close(&store);
	return NULL;
}

struct deliver_queue *deliver_queue_create(struct ioloop *ioloop,
					   const struct store *like,
					   const struct conf *conf)
{
	struct deliver_queue *queue = xcalloc(1, sizeof(*queue));

	queue->ioloop = ioloop;
	queue->conf = conf;
	queue->like = like;
	pthread_mutex_init(&queue->lock, NULL);
	pthread_cond_init(&queue->cond, NULL);
	queue->notify = ioloop_notify_create(ioloop, deliver_queue_notify, queue);
	if (pthread_create(&queue->thread, NULL, deliver_queue_thread, queue) != 0)
		fatal("cannot start the delivery thread");
	return queue;
}

void deliver_queue_destroy(struct deliver_queue **_queue)
{
	struct deliver_queue *queue = *_queue;

	if (queue == NULL)
		return;
	*_queue = NULL;
	pthread_mutex_lock(&queue->lock);
	queue->stopping = true;
	pthread_cond_signal(&queue->cond);
	pthread_mutex_unlock(&queue->lock);
	pthread_join(queue->thread, NULL);
	/* the thread finished every pending job; answer them */
	deliver_queue_notify(queue);
	ioloop_notify_destroy(&queue->notify);
	pthread_mutex_destroy(&queue->lock);
	pthread_cond_destroy(&queue->cond);
	free(queue);
}

static void deliver_queue_add(struct deliver_queue *queue, struct deliver_job *job)
{
	pthread_mutex_lock(&queue->lock);
	if (queue->pending_tail != NULL)
		queue->pending_tail->next = job;
	else
		queue->pending_head = job;
	queue->pending_tail = job;
	queue->in_flight++;
	pthread_cond_signal(&queue->cond);
	pthread_mutex_unlock(&queue->lock);
}

void deliver_queue_submit(struct deliver_queue *queue,
			  struct deliver_request *request,
			  deliver_done_cb *cb, void *context)
{
	struct deliver_job *job = xcalloc(1, sizeof(*job));

	job->request = request;
	job->cb = cb;
	job->context = context;
	deliver_queue_add(queue, job);
}

void deliver_queue_call(struct deliver_queue *queue, deliver_call_fn *fn,
			deliver_call_done_cb *done, void *context)
{
	struct deliver_job *job = xcalloc(1, sizeof(*job));

	job->call = fn;
	job->call_done = done;
	job->context = context;
	deliver_queue_add(queue, job);
}
