/*
 * Pages that wait for a thread (see web-job.h). The job lives in the
 * request's pool, which stays until the request is answered, also when
 * the connection closes meanwhile (web_request_gone()).
 */
#include "web-job.h"
#include "web-private.h"
#include "deliver-queue.h"
#include "imap-writer.h"
#include "pool.h"
#include "server.h"

struct web_job {
	struct web_ctx *ctx;
	web_job_run *run;
	web_job_done *done;
	void *context;
};

/* Also when the browser has gone: done frees what the job holds, and its
   answer only frees the request then (web_response_send()). */
static void web_job_finish(struct web_job *job)
{
	job->done(job->ctx, job->context);
}

static struct web_job *web_job_new(struct web_ctx *ctx, web_job_run *run,
				   web_job_done *done, void *context)
{
	struct web_job *job = p_new(ctx->pool, struct web_job, 1);

	job->ctx = ctx;
	job->run = run;
	job->done = done;
	job->context = context;
	web_request_suspend(ctx->req);
	return job;
}

static void web_job_write_run(void *context, struct store *store)
{
	struct web_job *job = context;

	job->run(store, job->context);
}

static void web_job_write_done(void *context)
{
	web_job_finish(context);
}

void web_job_write(struct web_ctx *ctx, web_job_run *run, web_job_done *done,
		   void *context)
{
	struct web_job *job = web_job_new(ctx, run, done, context);

	deliver_queue_call(ctx->srv->deliver_queue, web_job_write_run,
			   web_job_write_done, job);
}

/* The reader's context is a pointer to our job. */
static int web_job_read_run(struct store *store, void *context)
{
	struct web_job *job = *(struct web_job **)context;

	job->run(store, job->context);
	return 0;
}

static void web_job_read_done(void *context, int result, enum store_error error)
{
	(void)result;
	(void)error;
	web_job_finish(*(struct web_job **)context);
}

void web_job_read(struct web_ctx *ctx, web_job_run *run, web_job_done *done,
		  void *context)
{
	struct web_job *job = web_job_new(ctx, run, done, context);
	struct web_job **slot;
	struct imap_write_job *wjob;

	wjob = imap_write_job_create(web_job_read_run, web_job_read_done,
				     sizeof(*slot), (void **)&slot);
	*slot = job;
	imap_write_job_submit_read(wjob);
}
