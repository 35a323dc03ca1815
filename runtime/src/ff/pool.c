/*
 * pool.c - worker threads fed from one FIFO under a mutex. Admission control (how many
 * jobs may exist) is the server's business; the pool only runs what it is given.
 */
#include <pthread.h>
#include <stdlib.h>

#include "pool.h"

typedef struct job {
    ff_pool_fn fn;
    void *arg;
    struct job *next;
} job;

struct ff_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job *head, *tail;
    unsigned max_threads, threads, idle;
    int stopping;
    pthread_t *tids;
};

static void *worker(void *arg)
{
    ff_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (pool->head == NULL && !pool->stopping) {
            pool->idle++;
            pthread_cond_wait(&pool->wake, &pool->lock);
            pool->idle--;
        }
        if (pool->head == NULL)
            break; /* stopping and drained */
        job *j = pool->head;
        pool->head = j->next;
        if (pool->head == NULL)
            pool->tail = NULL;
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
    pool->tids = calloc(pool->max_threads, sizeof(pthread_t));
    if (pool->tids == NULL) {
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    return pool;
}

/* Starts one more thread; called with the lock held. */
static void grow(ff_pool *pool)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 2u << 20); /* handlers are shallow; keep virtual memory small */
    if (pthread_create(&pool->tids[pool->threads], &attr, worker, pool) == 0)
        pool->threads++;
    pthread_attr_destroy(&attr);
}

int ff_pool_submit(ff_pool *pool, ff_pool_fn fn, void *arg)
{
    job *j = malloc(sizeof(*j));
    if (j == NULL)
        return -1;
    *j = (job){fn, arg, NULL};
    pthread_mutex_lock(&pool->lock);
    if (pool->tail)
        pool->tail->next = j;
    else
        pool->head = j;
    pool->tail = j;
    /* Count queued jobs against idle threads so a burst starts enough threads. */
    unsigned queued = 0;
    for (job *p = pool->head; p && queued <= pool->idle; p = p->next)
        queued++;
    if (queued > pool->idle && pool->threads < pool->max_threads)
        grow(pool);
    pthread_cond_signal(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

void ff_pool_free(ff_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->threads; i++)
        pthread_join(pool->tids[i], NULL);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->wake);
    free(pool->tids);
    free(pool);
}

unsigned ff_pool_threads(ff_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    unsigned n = pool->threads;
    pthread_mutex_unlock(&pool->lock);
    return n;
}
