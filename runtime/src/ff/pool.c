/*
 * pool.c - worker threads that run handlers off the event loop, with one wake-up per
 * batch of jobs rather than one per job.
 *
 * The loop submits the jobs of one iteration to a private list and flushes them at the
 * iteration's end into the shared FIFO. A flush wakes a worker only when no worker will
 * take the head soon: none is between jobs, and the most recent to start a job did so
 * more than FF_POOL_BOUND_MS ago (it may be blocked). Otherwise the busy worker takes
 * the jobs in a row when its current one returns: quick handlers cost no wake-up and no
 * sleep under load. A handler that blocks is covered by the bound: once the head has
 * waited FF_POOL_BOUND_MS with no worker between jobs, the next flush (the loop calls it
 * on a timer while jobs wait) wakes another, or starts a thread up to max_threads.
 *
 * A worker that wakes is the most recently idle (LIFO: its stack and caches are warm),
 * sleeping on a condition variable of its own, signalled after the lock is released (so
 * it never wakes only to block on the lock). Spinning before sleeping was measured and
 * left out: it costs more CPU per request than it saves on a busy 2-core machine.
 * Admission control (how many jobs may exist) is the server's business.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "pool.h"

#define BOUND_NS ((uint64_t)FF_POOL_BOUND_MS * 1000000u)

typedef struct job {
    ff_pool_fn fn;
    void *arg;
    uint64_t queued_at; /* when a flush handed it to the workers, ns */
    struct job *next;
} job;

typedef struct job_list {
    job *head, *tail;
    unsigned len;
} job_list;

typedef struct worker {
    ff_pool *pool;
    pthread_t tid;
    pthread_cond_t wake;
    int woken; /* set by the waker, under the lock */
    struct worker *next_idle;
    struct worker *prev, *next; /* in pool->busy while it runs a job */
    uint64_t started_at;        /* no later than its current job started (flushed_at), ns */
} worker;

struct ff_pool {
    job_list submitted;   /* the submitter's batch, not yet flushed: its thread only */
    pthread_mutex_t lock; /* guards everything below */
    job_list queue;
    unsigned ready; /* workers awake between jobs (woken, starting, just done): they take the head next */
    worker busy;    /* anchor: workers running a job, in the order they started it */
    worker *idle;   /* sleeping workers, the last to sleep first */
    /* The latest flush, ns: a job taken now was queued by it or before, so a worker's
     * start is stamped with it, which can only make the worker look busy for longer
     * than it is (and wake another sooner), never shorter. */
    uint64_t flushed_at;
    worker **workers;
    unsigned max_threads, threads;
    int stopping;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void list_push(job_list *l, job *j)
{
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->len++;
}

static job *list_pop(job_list *l)
{
    job *j = l->head;
    if (j == NULL)
        return NULL;
    l->head = j->next;
    if (l->head == NULL)
        l->tail = NULL;
    l->len--;
    return j;
}

/* Sleeps until a flush wakes w or the pool stops. Called and returns with the lock held. */
static void sleep_idle(ff_pool *pool, worker *w)
{
    pool->ready--;
    w->woken = 0;
    w->next_idle = pool->idle;
    pool->idle = w;
    while (!w->woken && !pool->stopping)
        pthread_cond_wait(&w->wake, &pool->lock);
    if (!w->woken)
        pool->ready++; /* stopping: still on the idle stack, which nothing pops any more */
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    ff_pool *pool = w->pool;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        job *j = list_pop(&pool->queue);
        if (j == NULL) {
            if (pool->stopping)
                break;
            sleep_idle(pool, w);
            continue;
        }
        pool->ready--;
        w->started_at = pool->flushed_at; /* no clock call per job: see flushed_at */
        w->prev = pool->busy.prev;
        w->next = &pool->busy;
        w->prev->next = w->next->prev = w;
        pthread_mutex_unlock(&pool->lock);
        j->fn(j->arg);
        free(j);
        pthread_mutex_lock(&pool->lock);
        w->prev->next = w->next;
        w->next->prev = w->prev;
        pool->ready++;
    }
    pool->ready--;
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
    pool->busy.prev = pool->busy.next = &pool->busy;
    pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

/* Starts one more thread, which takes the head as soon as it runs. Lock held. */
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
        pool->ready++;
    } else {
        pthread_cond_destroy(&w->wake);
        free(w);
    }
    pthread_attr_destroy(&attr);
}

/*
 * 1 when the queue needs one more worker: none is between jobs, and the most recent to
 * start a job did so a bound ago or more (all busy ones may be blocked), or the head has
 * waited a bound. Lock held.
 */
static int needs_worker(const ff_pool *pool, uint64_t now)
{
    if (pool->queue.head == NULL || pool->ready > 0)
        return 0;
    if (now - pool->queue.head->queued_at >= BOUND_NS)
        return 1;
    const worker *newest = pool->busy.prev;
    return newest == &pool->busy || now - newest->started_at >= BOUND_NS;
}

/* Wakes the most recently idle worker (returned, to signal once the lock is released),
 * else starts a thread when the bound allows. Lock held. */
static worker *wake_one(ff_pool *pool)
{
    worker *w = pool->idle;
    if (w == NULL) {
        if (pool->threads < pool->max_threads)
            grow(pool);
        return NULL;
    }
    pool->idle = w->next_idle;
    w->woken = 1;
    pool->ready++;
    return w;
}

int ff_pool_submit(ff_pool *pool, ff_pool_fn fn, void *arg)
{
    job *j = malloc(sizeof(*j));
    if (j == NULL)
        return -1;
    *j = (job){fn, arg, 0, NULL};
    list_push(&pool->submitted, j);
    return 0;
}

unsigned ff_pool_flush(ff_pool *pool)
{
    uint64_t now = now_ns();
    job_list *batch = &pool->submitted;
    for (job *j = batch->head; j != NULL; j = j->next)
        j->queued_at = now;
    pthread_mutex_lock(&pool->lock);
    pool->flushed_at = now;
    if (batch->head != NULL) {
        if (pool->queue.tail)
            pool->queue.tail->next = batch->head;
        else
            pool->queue.head = batch->head;
        pool->queue.tail = batch->tail;
        pool->queue.len += batch->len;
        *batch = (job_list){0};
    }
    worker *w = needs_worker(pool, now) ? wake_one(pool) : NULL;
    /* each ready worker takes one job without waiting for anything: the others may wait */
    unsigned left = pool->queue.len > pool->ready ? pool->queue.len - pool->ready : 0;
    pthread_mutex_unlock(&pool->lock);
    if (w != NULL)
        pthread_cond_signal(&w->wake); /* w stays alive: only ff_pool_free ends workers */
    return left;
}

void ff_pool_free(ff_pool *pool)
{
    if (pool == NULL)
        return;
    const struct timespec bound = {0, (long)BOUND_NS};
    while (ff_pool_flush(pool) > 0 && ff_pool_threads(pool) > 0) /* none: none could start */
        nanosleep(&bound, NULL);
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
    for (job *j; (j = list_pop(&pool->queue)) != NULL;)
        free(j); /* only when no thread could be started to run them */
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
