/*
 * pool.h - a bounded pool of worker threads that run handlers off the event loop.
 * Threads are started lazily, only when no idle thread can take a job, up to
 * max_threads; so an idle process holds one thread and little memory. A job goes to
 * the most recently idle thread, woken alone (see pool.c).
 */
#ifndef FF_POOL_H
#define FF_POOL_H

typedef struct ff_pool ff_pool;
typedef void (*ff_pool_fn)(void *arg);

/* Creates a pool; NULL when out of memory. Free with ff_pool_free. */
ff_pool *ff_pool_new(unsigned max_threads);
/* Queues fn(arg). Never blocks. Returns 0, or -1 when out of memory. */
int ff_pool_submit(ff_pool *pool, ff_pool_fn fn, void *arg);
/* Lets queued jobs finish, then joins every thread and frees the pool. */
void ff_pool_free(ff_pool *pool);
unsigned ff_pool_threads(ff_pool *pool);

#endif
