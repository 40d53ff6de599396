#ifndef INFOSTORE_WEB_JOB_H
#define INFOSTORE_WEB_JOB_H

/*
 * Work a page must not do on the event loop, done while its request
 * waits (suspended, as a login waits for the password check):
 *
 *   web_job_write()  on the delivery thread (deliver_queue_call()), for
 *                    durable work: sending, saving a draft, emptying Trash;
 *   web_job_read()   on a reader thread of the IMAP writer
 *                    (imap_write_job_submit_read()), for long reads: the
 *                    text scans of a search.
 *
 * run gets that thread's own store handle (NULL if the delivery thread has
 * none) and may read ctx's strings, the form and the uploads, which stay
 * as they are while the request waits; it allocates only from its own
 * pools, never from ctx->pool. done runs on the loop afterwards, frees
 * what run allocated and answers the request, always: if the browser
 * has gone meanwhile, the answer just frees the request.
 */

struct store;
struct web_ctx;

typedef void web_job_run(struct store *store, void *context);
typedef void web_job_done(struct web_ctx *ctx, void *context);

void web_job_write(struct web_ctx *ctx, web_job_run *run, web_job_done *done,
		   void *context);
void web_job_read(struct web_ctx *ctx, web_job_run *run, web_job_done *done,
		  void *context);

#endif
