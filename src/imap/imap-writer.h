#ifndef INFOSTORE_IMAP_WRITER_H
#define INFOSTORE_IMAP_WRITER_H

/*
 * Writes off the event loop, with group commit. STORE, EXPUNGE, COPY,
 * MOVE and APPEND hand their changes to one writer thread, which has its
 * own store handle: the jobs that are waiting go into one transaction and
 * one fsync, and the commands answer when it is durable. Meanwhile the
 * loop keeps serving everybody else, instead of sleeping in fsync().
 *
 * Long reads go off the loop the same way: the text scans of SEARCH,
 * SORT and THREAD (BODY, TEXT, FROM...) read every message's text and can
 * take seconds. imap_write_job_submit_read() hands such a job to a reader
 * thread (one, or two where there are four cores or more), each with a
 * store handle of its own (SQLite connections are per thread), outside any
 * transaction. Jobs are taken in the order they come.
 *
 * A job owns a pool (imap_write_job_pool()) for everything its run
 * function needs: the command that submitted it may go away (the client
 * disconnects) while the job runs; then imap_write_job_cancel() makes sure
 * done is not called, and the pool goes when the job is finished.
 */

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct ioloop;
struct pool;
struct imap_write_job;

/* On the writer thread, inside the batch's transaction (in a savepoint of
   its own). 0, or -1 when the job failed (its changes are undone). A read
   job runs on a reader thread, in no transaction. */
typedef int imap_write_run(struct store *store, void *context);
/* On the writer thread before the batch's transaction, for work that
   needs no lock (parsing a new message). 0, or -1: the job fails without
   running. */
typedef int imap_write_prepare(struct store *store, void *context);
/* On the loop, after the commit. result 0, or -1 with error. */
typedef void imap_write_done(void *context, int result, enum store_error error);

/* Start the writer and reader threads (their own handles on the store
   `like` is on). The web access's search uses the reader threads too:
   every init is ended by one deinit, and the threads stop at the last. */
struct store;
void imap_writer_init(struct ioloop *ioloop, const struct store *like);
/* At the last user: finishes what was submitted (done callbacks run),
   then stops. */
void imap_writer_deinit(void);

/* A new job whose context (context_size bytes, zeroed) lives in its pool. */
struct imap_write_job *imap_write_job_create(imap_write_run *run,
					     imap_write_done *done,
					     size_t context_size, void **context_r);
struct pool *imap_write_job_pool(struct imap_write_job *job);
/* Give the job a prepare step; before imap_write_job_submit(). */
void imap_write_job_set_prepare(struct imap_write_job *job,
				imap_write_prepare *prepare);
/* Queue it. The job and its pool belong to the writer from now on. */
void imap_write_job_submit(struct imap_write_job *job);
/* Queue a job that only reads for a reader thread; the same rules. */
void imap_write_job_submit_read(struct imap_write_job *job);
/* The submitter is gone: done will not be called. A read job that has
   not started is not run. */
void imap_write_job_cancel(struct imap_write_job **job);
/* Has the job been cancelled? For a long read's run function, which may
   then stop early. Any thread. */
bool imap_write_job_cancelled(struct imap_write_job *job);

#endif
