/*
 * The IMAP writer thread (see imap-writer.h): a queue, one thread, one
 * transaction and one fsync per batch of waiting jobs. Beside it the
 * reader threads, one job at a time each; all of them hand finished jobs
 * back to the loop through one list and one notify.
 */
#include "imap-writer.h"
#include "alloc.h"
#include "fatal.h"
#include "ioloop.h"
#include "log.h"
#include "pool.h"
#include "store-imap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Jobs per transaction: enough to absorb a burst, few enough that one
   batch does not hold the store's write lock for long. */
#define IMAP_WRITER_BATCH 64
/* Two scans at once keep one slow search from holding everybody else's,
   where the cores leave room beside the loop and the writer. */
#define IMAP_READERS_MAX 2

struct imap_write_job {
	struct imap_write_job *next;
	struct pool *pool;
	imap_write_prepare *prepare;
	imap_write_run *run;
	imap_write_done *done;
	void *context;
	int result;
	enum store_error error;
	bool cancelled;            /* under the lock */
};

struct imap_writer {
	struct ioloop *ioloop;
	const struct store *like;   /* the loop's handle: what to open */
	pthread_t thread;
	pthread_t readers[IMAP_READERS_MAX];
	unsigned int reader_count;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t read_cond;
	struct imap_write_job *pending_head, *pending_tail;
	struct imap_write_job *reads_head, *reads_tail;
	struct imap_write_job *done_head, *done_tail;
	struct ioloop_notify *notify;
	bool stopping;
	bool started;
	unsigned int users;        /* imap_writer_init() calls not yet ended */
};

static struct imap_writer writer;

static void writer_finish_jobs(void *context)
{
	struct imap_write_job *list;

	(void)context;
	pthread_mutex_lock(&writer.lock);
	list = writer.done_head;
	writer.done_head = writer.done_tail = NULL;
	pthread_mutex_unlock(&writer.lock);
	while (list != NULL) {
		struct imap_write_job *job = list;

		list = job->next;
		/* cancelled is set on the loop only, where this runs */
		if (!job->cancelled)
			job->done(job->context, job->result, job->error);
		pool_destroy(&job->pool);
		free(job);
	}
}

static void writer_run_batch(struct store *store, struct imap_write_job *batch)
{
	bool committed;

	/* outside the transaction: other writers of the store (deliveries,
	   the CLI) need not wait for it */
	for (struct imap_write_job *job = batch; job != NULL; job = job->next) {
		job->result = 0;
		if (job->prepare != NULL && store != NULL &&
		    job->prepare(store, job->context) < 0) {
			job->result = -1;
			job->error = store_last_error(store);
			if (job->error == STORE_ERROR_NONE)
				job->error = STORE_ERROR_INTERNAL;
		}
	}
	if (store == NULL || store_begin(store) < 0) {
		for (struct imap_write_job *job = batch; job != NULL; job = job->next) {
			job->result = -1;
			job->error = STORE_ERROR_TEMP;
		}
		return;
	}
	/* cancelled jobs run too: the client sent the command, only nobody
	   waits for the answer */
	for (struct imap_write_job *job = batch; job != NULL; job = job->next) {
		if (job->result < 0)
			continue;
		if (store_imap_job_begin(store) < 0) {
			job->result = -1;
			job->error = store_last_error(store);
			continue;
		}
		job->result = job->run(store, job->context);
		if (job->result < 0) {
			job->error = store_last_error(store);
			if (job->error == STORE_ERROR_NONE)
				job->error = STORE_ERROR_INTERNAL;
			log_debug("imap", "write job failed: %s", store_last_error_detail(store));
		}
		store_imap_job_end(store, job->result == 0);
	}
	/* blob directories of APPENDed messages, then the index */
	committed = store_blob_sync_dirs(store) == 0;
	if (!committed) {
		store_rollback(store);
	} else if (store_commit(store) < 0) {
		committed = false;
	}
	if (!committed) {
		log_error("imap", "commit of %s failed: %s", "IMAP changes",
			  store_last_error_detail(store));
		for (struct imap_write_job *job = batch; job != NULL; job = job->next) {
			job->result = -1;
			job->error = STORE_ERROR_TEMP;
		}
	}
}

/* Jobs first .. last are finished: to the loop. */
static void writer_hand_back(struct imap_write_job *first, struct imap_write_job *last)
{
	pthread_mutex_lock(&writer.lock);
	if (writer.done_tail != NULL)
		writer.done_tail->next = first;
	else
		writer.done_head = first;
	writer.done_tail = last;
	pthread_mutex_unlock(&writer.lock);
	ioloop_notify_fire(writer.notify);
}

/* A thread's own store handle, or NULL (its jobs then fail). */
static struct store *writer_thread_store(const char *who)
{
	struct store *store = NULL;
	const char *error;

	if (store_open_another(writer.like, &store, &error) < 0) {
		log_error("imap", "%s cannot open the store: %s", who, error);
		return NULL;
	}
	return store;
}

static void *writer_thread(void *arg)
{
	struct store *store = writer_thread_store("writer");

	(void)arg;
	for (;;) {
		struct imap_write_job *batch, *last;
		unsigned int n = 1;

		pthread_mutex_lock(&writer.lock);
		while (writer.pending_head == NULL && !writer.stopping)
			pthread_cond_wait(&writer.cond, &writer.lock);
		if (writer.pending_head == NULL) {
			pthread_mutex_unlock(&writer.lock);
			break;
		}
		batch = last = writer.pending_head;
		while (last->next != NULL && n < IMAP_WRITER_BATCH) {
			last = last->next;
			n++;
		}
		writer.pending_head = last->next;
		if (writer.pending_head == NULL)
			writer.pending_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&writer.lock);

		writer_run_batch(store, batch);
		writer_hand_back(batch, last);
	}
	store_close(&store);
	return NULL;
}

static void *reader_thread(void *arg)
{
	struct store *store = writer_thread_store("reader");

	(void)arg;
	for (;;) {
		struct imap_write_job *job;

		pthread_mutex_lock(&writer.lock);
		while (writer.reads_head == NULL && !writer.stopping)
			pthread_cond_wait(&writer.read_cond, &writer.lock);
		job = writer.reads_head;
		if (job == NULL) {
			pthread_mutex_unlock(&writer.lock);
			break;
		}
		writer.reads_head = job->next;
		if (writer.reads_head == NULL)
			writer.reads_tail = NULL;
		job->next = NULL;
		/* nobody waits for it, and a read changes nothing */
		job->result = job->cancelled || store == NULL ? -1 : 0;
		pthread_mutex_unlock(&writer.lock);

		job->error = store == NULL ? STORE_ERROR_TEMP : STORE_ERROR_NONE;
		if (job->result == 0 && job->run(store, job->context) < 0) {
			job->result = -1;
			job->error = store_last_error(store);
			if (job->error == STORE_ERROR_NONE)
				job->error = STORE_ERROR_INTERNAL;
		}
		writer_hand_back(job, job);
	}
	store_close(&store);
	return NULL;
}

void imap_writer_init(struct ioloop *ioloop, const struct store *like)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int readers = cores >= 4 ? IMAP_READERS_MAX : 1;

	if (writer.started) {
		writer.users++;
		return;
	}
	memset(&writer, 0, sizeof(writer));
	writer.users = 1;
	writer.ioloop = ioloop;
	writer.like = like;
	pthread_mutex_init(&writer.lock, NULL);
	pthread_cond_init(&writer.cond, NULL);
	pthread_cond_init(&writer.read_cond, NULL);
	writer.notify = ioloop_notify_create(ioloop, writer_finish_jobs, NULL);
	if (pthread_create(&writer.thread, NULL, writer_thread, NULL) != 0)
		fatal("cannot start the IMAP writer thread");
	writer.started = true;
	for (unsigned int i = 0; i < readers; i++) {
		if (pthread_create(&writer.readers[i], NULL, reader_thread, NULL) != 0)
			fatal("cannot start an IMAP reader thread");
		writer.reader_count++;
	}
}

void imap_writer_deinit(void)
{
	if (!writer.started || --writer.users > 0)
		return;
	pthread_mutex_lock(&writer.lock);
	writer.stopping = true;
	pthread_cond_signal(&writer.cond);
	pthread_cond_broadcast(&writer.read_cond);
	pthread_mutex_unlock(&writer.lock);
	pthread_join(writer.thread, NULL);
	for (unsigned int i = 0; i < writer.reader_count; i++)
		pthread_join(writer.readers[i], NULL);
	writer_finish_jobs(NULL);
	ioloop_notify_destroy(&writer.notify);
	pthread_mutex_destroy(&writer.lock);
	pthread_cond_destroy(&writer.cond);
	pthread_cond_destroy(&writer.read_cond);
	writer.started = false;
}

struct imap_write_job *imap_write_job_create(imap_write_run *run,
					     imap_write_done *done,
					     size_t context_size, void **context_r)
{
	struct imap_write_job *job = xcalloc(1, sizeof(*job));

	job->pool = pool_create(1024);
	job->run = run;
	job->done = done;
	job->context = p_malloc(job->pool, context_size > 0 ? context_size : 1);
	*context_r = job->context;
	return job;
}

struct pool *imap_write_job_pool(struct imap_write_job *job)
{
	return job->pool;
}

void imap_write_job_set_prepare(struct imap_write_job *job,
				imap_write_prepare *prepare)
{
	job->prepare = prepare;
}

static void writer_queue(struct imap_write_job **head, struct imap_write_job **tail,
			 pthread_cond_t *cond, struct imap_write_job *job)
{
	pthread_mutex_lock(&writer.lock);
	job->next = NULL;
	if (*tail != NULL)
		(*tail)->next = job;
	else
		*head = job;
	*tail = job;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(&writer.lock);
}

void imap_write_job_submit(struct imap_write_job *job)
{
	writer_queue(&writer.pending_head, &writer.pending_tail, &writer.cond, job);
}

void imap_write_job_submit_read(struct imap_write_job *job)
{
	writer_queue(&writer.reads_head, &writer.reads_tail, &writer.read_cond, job);
}

void imap_write_job_cancel(struct imap_write_job **_job)
{
	struct imap_write_job *job = *_job;

	if (job == NULL)
		return;
	*_job = NULL;
	/* under the lock: a reader looks at it (writer_finish_jobs too, on
	   the loop) */
	pthread_mutex_lock(&writer.lock);
	job->cancelled = true;
	pthread_mutex_unlock(&writer.lock);
}

bool imap_write_job_cancelled(struct imap_write_job *job)
{
	bool cancelled;

	pthread_mutex_lock(&writer.lock);
	cancelled = job->cancelled;
	pthread_mutex_unlock(&writer.lock);
	return cancelled;
}
