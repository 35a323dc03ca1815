/*
 * pool.h - a bounded pool of worker threads that run handlers off the event loop.
 * Threads are started lazily, up to max_threads; so an idle process holds one thread
 * and little memory. Jobs are submitted in batches: ff_pool_submit queues, and
 * ff_pool_flush hands the batch to the workers, waking one only when none is about to
 * take the jobs, so one worker runs quick jobs in a row (see pool.c). A job waits for
 * a busy worker at most FF_POOL_BOUND_MS (plus the caller's timer granularity): past
 * that, the next ff_pool_flush wakes or starts another thread; FF_POOL_QUEUE_BOUND_MS
 * when as many workers run jobs as the process has CPUs and none may be blocked.
 * Submit and flush are called from one thread (the event loop's).
 * Each job runs on a fiber: when it waits in ff_poll its thread runs other jobs, and it
 * may continue on another thread (pool_wait.c).
 */
#ifndef FF_POOL_H
#define FF_POOL_H

/* How long a queued job may wait behind a busy worker before another is woken. */
#define FF_POOL_BOUND_MS 1
/* The same, when as many workers run jobs as the process has CPUs: another would add no
 * CPU, only hand invocations between threads; it is woken only in case the running
 * ones block in calls shorter than FF_POOL_BOUND_MS. */
#define FF_POOL_QUEUE_BOUND_MS 20
/* How often the caller flushes while jobs are in flight, so that jobs suspended in
 * ff_poll get a worker to watch them when every worker is held up (see pool_wait.c). */
#define FF_POOL_WATCH_MS 5

typedef struct ff_pool ff_pool;
typedef void (*ff_pool_fn)(void *arg);

/* Creates a pool; NULL when out of memory. Free with ff_pool_free. */
ff_pool *ff_pool_new(unsigned max_threads);
/* How many CPUs the pool counts on (at least 1); ff_pool_new reads the process's
 * affinity and cgroup CPU quota. For tests, before the first flush. */
void ff_pool_set_cpus(ff_pool *pool, unsigned cpus);
/* Queues fn(arg) for the next ff_pool_flush. Never blocks. Returns 0, or -1 when out of memory. */
int ff_pool_submit(ff_pool *pool, ff_pool_fn fn, void *arg);
/*
 * Hands the submitted jobs to the workers and wakes (or starts) one when no worker will
 * take them soon, or when the oldest has waited FF_POOL_BOUND_MS. Returns how many jobs
 * may wait behind a busy worker (queued beyond the workers awake between jobs): while
 * it is not 0, call it again within FF_POOL_BOUND_MS.
 */
unsigned ff_pool_flush(ff_pool *pool);
/* Jobs flushed and not yet returned: while not 0, flush within FF_POOL_WATCH_MS. */
unsigned ff_pool_in_flight(ff_pool *pool);
/* Runs every job still queued (flushing as the bound requires), then joins every thread
 * and frees the pool. Jobs are dropped only if no thread at all could be started. */
void ff_pool_free(ff_pool *pool);
unsigned ff_pool_threads(ff_pool *pool);

#endif
