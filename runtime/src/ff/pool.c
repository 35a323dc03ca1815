/*
 * pool.c - worker threads that run handlers off the event loop, with one wake-up per
 * batch of jobs rather than one per job, and each job on a fiber of its own.
 *
 * The loop submits the jobs of one iteration to a private list and flushes them at the
 * iteration's end into the shared FIFO. A flush wakes a worker only when no worker will
 * take the head soon: none is between jobs, and the most recent to start a job did so
 * more than FF_POOL_BOUND_MS ago (it may be blocked). Otherwise the busy worker takes
 * the jobs in a row when its current one returns: quick handlers cost no wake-up and no
 * sleep under load. A handler that blocks is covered by the bound: once the head has
 * waited FF_POOL_BOUND_MS with no worker between jobs, the next flush (the loop calls it
 * on a timer while jobs wait) wakes another, or starts a thread up to max_threads.
 * Unless as many workers run jobs as the process has CPUs, none of them for longer than
 * the bound (so none seems blocked): then another would only move invocations between
 * threads, which costs (measured: a tenth more CPU per start request with four workers
 * than with one on one CPU), and the head waits FF_POOL_QUEUE_BOUND_MS first.
 *
 * A job that waits on the network (ff_poll) does not hold its thread: its fiber switches
 * back to the worker, which takes the next job; the wait is watched by a worker with
 * nothing else to do (pool_wait.c), and the job, once its wait ends, goes back into the
 * FIFO. So a few threads serve every invocation in flight, the four waits of a start
 * request cost no thread sleep each, and a thread's caches and heap stay warm. The same
 * bound covers suspended jobs when every worker is held up (the loop flushes every
 * FF_POOL_WATCH_MS while jobs are in flight).
 *
 * A worker that wakes is the most recently idle (LIFO: its stack and caches are warm),
 * sleeping on a condition variable of its own, signalled after the lock is released (so
 * it never wakes only to block on the lock). Spinning before sleeping was measured and
 * left out: it costs more CPU per request than it saves on a busy 2-core machine.
 * Admission control (how many jobs may exist) is the server's business.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "pool_internal.h"

static __thread job *t_job;                    /* the job running on this worker */
static __thread intptr_t t_slots[FF_SLOT_MAX]; /* ff_slot outside a job */

job *pool_current_job(void)
{
    return t_job;
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

static void fiber_main(void *arg)
{
    job *j = arg;
    j->fn(j->arg);
}

/* Runs j until it returns (then frees it: 1) or is suspended in a wait (0). */
static int run_job(ff_pool *pool, job *j)
{
    if (j->fiber == NULL && (j->fiber = ff_fiber_new(fiber_main, j)) == NULL) {
        t_job = j;
        j->fn(j->arg); /* no memory for a stack: on this thread, its waits blocking it */
        t_job = NULL;
        free(j);
        return 1;
    }
    t_job = j;
    int done = ff_fiber_resume(j->fiber);
    t_job = NULL;
    if (!done)
        return 0; /* switched out in ff_poll: the caller registers the wait */
    ff_fiber_free(j->fiber);
    free(j);
    return 1;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    ff_pool *pool = w->pool;
    ff_crash_thread(); /* a fiber's stack overflow is reported on this thread's */
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        job *j = list_pop(&pool->queue);
        if (j == NULL) {
            if (pool->stopping && (pool->n_waiting == 0 || pool->polling))
                break; /* the poller runs what is left */
            if (!pool->polling && pool->n_waiting > 0)
                pool_poll_waits(pool);
            else
                sleep_idle(pool, w);
            continue;
        }
        pool->ready--;
        w->started_at = now_ns(); /* a vDSO call: tens of nanoseconds */
        w->prev = pool->busy.prev;
        w->next = &pool->busy;
        w->prev->next = w->next->prev = w;
        pthread_mutex_unlock(&pool->lock);
        int done = run_job(pool, j);
        pthread_mutex_lock(&pool->lock);
        __atomic_store_n(&pool->in_flight, pool->in_flight - (unsigned)done, __ATOMIC_RELAXED);
        if (!done)
            pool_suspend(pool, j);
        w->prev->next = w->next;
        w->next->prev = w->prev;
        pool->ready++;
    }
    pool->ready--;
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

/*
 * The CPUs this process may use: its affinity mask, lowered by a cgroup v2 CPU quota
 * (cpu.max, as containers set it: Cloud Run's --cpu=1 gives one); at least 1.
 */
static unsigned cpus_available(void)
{
    cpu_set_t set;
    unsigned n = sched_getaffinity(0, sizeof(set), &set) == 0 ? (unsigned)CPU_COUNT(&set) : 1;
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "re");
    if (f != NULL) {
        char quota[32];
        unsigned long period;
        if (fscanf(f, "%31s %lu", quota, &period) == 2 && strcmp(quota, "max") != 0 && period > 0) {
            unsigned long q = strtoul(quota, NULL, 10), c = (q + period - 1) / period;
            if (c >= 1 && c < n)
                n = (unsigned)c;
        }
        fclose(f);
    }
    return n > 0 ? n : 1;
}

void ff_pool_set_cpus(ff_pool *pool, unsigned cpus)
{
    pthread_mutex_lock(&pool->lock);
    pool->cpus = cpus > 0 ? cpus : 1;
    pthread_mutex_unlock(&pool->lock);
}

ff_pool *ff_pool_new(unsigned max_threads)
{
    ff_pool *pool = calloc(1, sizeof(*pool));
    if (pool == NULL)
        return NULL;
    pool->max_threads = max_threads ? max_threads : 1;
    pool->cpus = cpus_available();
    pool->workers = calloc(pool->max_threads, sizeof(worker *));
    if (pool->workers == NULL) {
        free(pool);
        return NULL;
    }
    pool->busy.prev = pool->busy.next = &pool->busy;
    pool_wait_init(pool); /* failing, waits block their thread as before fibers */
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

/* 1 when jobs are suspended in waits and no worker watches them. Lock held. */
static int unwatched(const ff_pool *pool)
{
    return pool->n_waiting > 0 && !pool->polling;
}

/* 1 when w started its job a bound or more before now: it may be blocked. A worker may
 * read the clock after the caller did, so it may have started "after" now. */
static int busy_for_a_bound(const worker *w, uint64_t now)
{
    return now > w->started_at && now - w->started_at >= BOUND_NS;
}

int pool_cpu_free(const ff_pool *pool, uint64_t now)
{
    unsigned running = pool->ready;
    for (const worker *w = pool->busy.prev; w != &pool->busy && running < pool->cpus; w = w->prev)
        running += !busy_for_a_bound(w, now);
    return running < pool->cpus;
}

int pool_needs_worker(const ff_pool *pool, uint64_t now)
{
    if ((pool->queue.head == NULL && !unwatched(pool)) || pool->ready > 0)
        return 0;
    const worker *newest = pool->busy.prev;
    if (newest == &pool->busy || busy_for_a_bound(newest, now))
        return 1;
    if (pool->queue.head == NULL)
        return 0;
    uint64_t waited = now - pool->queue.head->queued_at;
    return waited >= (pool_cpu_free(pool, now) ? BOUND_NS : QUEUE_BOUND_NS);
}

worker *pool_wake_one(ff_pool *pool)
{
    if (pool->polling && !pool->poller_woken) {
        pool_kick(pool); /* the poller: the most recent to run */
        pool->poller_woken = 1;
        pool->ready++;
        return NULL;
    }
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
    *j = (job){.fn = fn, .arg = arg, .pool = pool};
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
    if (batch->head != NULL) {
        if (pool->queue.tail)
            pool->queue.tail->next = batch->head;
        else
            pool->queue.head = batch->head;
        pool->queue.tail = batch->tail;
        pool->queue.len += batch->len;
        __atomic_store_n(&pool->in_flight, pool->in_flight + batch->len, __ATOMIC_RELAXED);
        *batch = (job_list){0};
    }
    worker *w = pool_needs_worker(pool, now) ? pool_wake_one(pool) : NULL;
    /* each ready worker takes one job without waiting for anything: the others may wait */
    unsigned left = pool->queue.len > pool->ready ? pool->queue.len - pool->ready : 0;
    if (left == 0 && pool->ready == 0 && unwatched(pool))
        left = 1; /* the suspended jobs wait for a worker as queued ones do */
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
    if (pool->polling)
        pool_kick(pool);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->threads; i++) {
        pthread_join(pool->workers[i]->tid, NULL);
        pthread_cond_destroy(&pool->workers[i]->wake);
        free(pool->workers[i]);
    }
    for (job *j; (j = list_pop(&pool->queue)) != NULL;)
        free(j); /* only when no thread could be started to run them */
    pthread_mutex_destroy(&pool->lock);
    pool_wait_free(pool);
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

intptr_t *ff_slot(ff_slot_id *id)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static int n_keys;
    static __thread intptr_t scratch; /* past FF_SLOT_MAX */
    int key = __atomic_load_n(&id->key, __ATOMIC_ACQUIRE);
    if (key == 0) {
        pthread_mutex_lock(&lock);
        if ((key = id->key) == 0 && n_keys < FF_SLOT_MAX)
            __atomic_store_n(&id->key, key = ++n_keys, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&lock);
        if (key == 0)
            return &scratch;
    }
    job *j = t_job;
    return j != NULL ? &j->slots[key - 1] : &t_slots[key - 1];
}

unsigned ff_pool_in_flight(ff_pool *pool)
{
    /* without the lock: a hint for the caller's timer, changed under the lock */
    return __atomic_load_n(&pool->in_flight, __ATOMIC_RELAXED);
}

void ff_pin(void)
{
    job *j = t_job;
    if (j != NULL)
        j->pinned++;
}

void ff_unpin(void)
{
    job *j = t_job;
    if (j != NULL && j->pinned > 0)
        j->pinned--;
}
