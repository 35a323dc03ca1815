/*
 * pool.c - worker threads that run handlers off the event loop, with one wake-up per
 * hand-off at most.
 *
 * A job goes straight to the most recently idle worker (LIFO: its stack and caches are
 * warm). Each worker sleeps on a condition variable of its own, signalled after the
 * pool's lock is released, so it never wakes only to block on that lock (the one shared
 * condition variable signalled under the lock made every hand-off a futex convoy). A
 * worker that finishes a job takes the next queued one before sleeping. Jobs that find
 * no idle worker wait in a FIFO and start a new thread, up to max_threads, so a handler
 * that blocks for minutes never holds up another job. Spinning before sleeping was
 * measured and left out: it halves the context switches but costs more CPU per request
 * than they do on a busy 2-core machine. Admission control (how many jobs may exist) is
 * the server's business; the pool only runs what it is given.
 */
#include <pthread.h>
#include <stdlib.h>

#include "pool.h"

typedef struct job {
    ff_pool_fn fn;
    void *arg;
    struct job *next;
} job;

typedef struct worker {
    ff_pool *pool;
    pthread_t tid;
    pthread_cond_t wake;
    struct worker *next_idle;
    job *assigned; /* handed over by ff_pool_submit (under the lock) */
} worker;

struct ff_pool {
    pthread_mutex_t lock;
    job *head, *tail; /* jobs that found no idle worker */
    unsigned queued;
    unsigned starting; /* threads created that have not taken the lock yet */
    worker *idle;      /* stack: the last worker to become idle first */
    worker **workers;
    unsigned max_threads, threads;
    int stopping;
};

/* The worker's next job: the one handed to it, else the oldest queued. Lock held. */
static job *take(ff_pool *pool, worker *w)
{
    job *j = w->assigned;
    w->assigned = NULL;
    if (j != NULL || pool->head == NULL)
        return j;
    j = pool->head;
    pool->head = j->next;
    if (pool->head == NULL)
        pool->tail = NULL;
    pool->queued--;
    return j;
}

/*
 * Makes w idle until a job is handed to it (returned) or the pool stops (NULL when
 * nothing is left to run). Called and returns with the lock held.
 */
static job *wait_for_job(ff_pool *pool, worker *w)
{
    w->next_idle = pool->idle;
    pool->idle = w;
    while (w->assigned == NULL && !pool->stopping)
        pthread_cond_wait(&w->wake, &pool->lock);
    return take(pool, w);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    ff_pool *pool = w->pool;
    pthread_mutex_lock(&pool->lock);
    pool->starting--;
    for (;;) {
        job *j = take(pool, w);
        if (j == NULL && (pool->stopping || (j = wait_for_job(pool, w)) == NULL))
            break; /* stopping, and nothing left to run */
        pthread_mutex_unlock(&pool->lock);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

ff_pool *ff_pool_new(unsigned max_threads)
{
    ff_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    pool->max_threads = max_threads ? max_threads : 1;
    pool->workers = calloc(pool->max_threads, sizeof(worker *));
    if (pool->workers == NULL) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

/* Starts one more thread; called with the lock held. */
static void grow(ff_pool *pool)
{
    worker *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return;
    w->pool = pool;
    pthread_cond_init(&w->wake, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 2u << 20); /* handlers are shallow; keep virtual memory small */
    if (pthread_create(&w->tid, &attr, worker_main, w) == 0) {
        pool->workers[pool->threads++] = w;
        pool->starting++;
    } else {
        pthread_cond_destroy(&w->wake);
        free(w);
    }
    pthread_attr_destroy(&attr);
}

int ff_pool_submit(ff_pool *pool, ff_pool_fn fn, void *arg)
{
    job *j = malloc(sizeof(*j));
    if (j == NULL)
        return -1;
    *j = (job){fn, arg, NULL};
    pthread_mutex_lock(&pool->lock);
    worker *w = pool->idle;
    if (w != NULL) {
        pool->idle = w->next_idle;
        w->assigned = j;
    } else {
        if (pool->tail)
            pool->tail->next = j;
        else
            pool->head = j;
        pool->tail = j;
        pool->queued++;
        /* threads still starting will take queued jobs: start only what they cannot cover */
        if (pool->queued > pool->starting && pool->threads < pool->max_threads)
            grow(pool);
    }
    pthread_mutex_unlock(&pool->lock);
    if (w != NULL)
        pthread_cond_signal(&w->wake); /* w stays alive: only ff_pool_free ends workers */
    return 0;
}

void ff_pool_free(ff_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    for (unsigned i = 0; i < pool->threads; i++)
        pthread_cond_signal(&pool->workers[i]->wake);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->threads; i++) {
        pthread_join(pool->workers[i]->tid, NULL);
        pthread_cond_destroy(&pool->workers[i]->wake);
        free(pool->workers[i]);
    }
    pthread_mutex_destroy(&pool->lock);
    free(pool->workers);
    free(pool);
}

unsigned ff_pool_threads(ff_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    unsigned n = pool->threads;
    pthread_mutex_unlock(&pool->lock);
    return n;
}
