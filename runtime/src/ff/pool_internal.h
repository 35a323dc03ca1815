/*
 * pool_internal.h - what pool.c (the workers, the queue) and pool_wait.c (invocations
 * suspended in ff_poll, the poller) share: the pool's structure and its locking rules.
 * Everything in struct ff_pool below `lock` is guarded by it.
 */
#ifndef FF_POOL_INTERNAL_H
#define FF_POOL_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "ff.h"
#include "fiber.h"
#include "pool.h"

#define BOUND_NS       ((uint64_t)FF_POOL_BOUND_MS * 1000000u)
#define QUEUE_BOUND_NS ((uint64_t)FF_POOL_QUEUE_BOUND_MS * 1000000u)

/* A job's part in a wait (ff_poll); changed under the pool's lock. */
typedef enum {
    JOB_RUNNING,   /* on a worker, or queued */
    JOB_WAITING,   /* switched out in ff_poll, its wait not yet registered (its worker's) */
    JOB_SUSPENDED, /* registered and armed, in pool->waiting: a wake-up queues it */
    JOB_REFUSED,   /* the wait could not be registered: ff_poll polls on the thread */
} job_state;

typedef struct job {
    ff_pool_fn fn;
    void *arg;
    uint64_t queued_at; /* when a flush handed it to the workers, or a wait ended, ns */
    struct job *next;
    ff_pool *pool;
    ff_fiber *fiber; /* NULL until it first runs */
    job_state state;
    struct pollfd *fds; /* the wait: on the fiber's stack */
    int nfds;
    int64_t due_ns;              /* when the wait times out; -1 never */
    struct job *prev_w, *next_w; /* in pool->waiting while suspended */
    intptr_t slots[FF_SLOT_MAX];
    int pinned; /* ff_pin depth: its waits block its thread */
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
    uint64_t started_at;        /* when it took its current job (or the job's next leg), ns */
} worker;

struct ff_pool {
    job_list submitted;   /* the submitter's batch, not yet flushed: its thread only */
    pthread_mutex_t lock; /* guards everything below */
    job_list queue;
    unsigned ready; /* workers awake between jobs (woken, starting, just done): they take the head next */
    worker busy;    /* anchor: workers running a job, in the order they started it */
    worker *idle;   /* sleeping workers, the last to sleep first */
    worker **workers;
    unsigned max_threads, threads;
    unsigned cpus; /* how many workers may run jobs at once before more only cost */
    int stopping;
    unsigned in_flight; /* jobs flushed and not yet returned; read without the lock too */
    /* Invocations suspended in ff_poll: their sockets are in epfd (one-shot), and the
     * worker that finds nothing to run waits on it for all of them (the poller). */
    int epfd, kick_fd; /* kick_fd: an eventfd in epfd that wakes the poller */
    job waiting;       /* anchor of the suspended jobs */
    unsigned n_waiting;
    int polling, kicked; /* kicked: the eventfd was written since the poller began */
    int poller_woken;    /* a flush counted the poller ready: it takes the head next */
    int64_t poll_due;    /* when the poller's wait ends; -1 never */
    int64_t min_due;     /* no later than the earliest end of a suspended wait; -1 none */
    job **by_fd;         /* the job waiting on each descriptor */
    int by_fd_len;
};

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void list_push(job_list *l, job *j)
{
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->len++;
}

/* pool.c */
/* The job running on the calling thread's worker; NULL elsewhere. */
job *pool_current_job(void);
/* Wakes the most recently idle worker (returned, to signal once the lock is released),
 * else the poller, else starts a thread when the bound allows. Lock held. */
worker *pool_wake_one(ff_pool *pool);
/* 1 when fewer workers run jobs (started one within the bound) or are about to (ready)
 * than the pool has CPUs. Lock held. */
int pool_cpu_free(const ff_pool *pool, uint64_t now);
/*
 * 1 when the queue, or the suspended jobs, need one more worker: none is between jobs,
 * and the most recent to start a job did so a bound ago or more (all busy ones may be
 * blocked), or the head has waited a bound (the queue bound when the CPUs are all
 * running jobs). Lock held.
 */
int pool_needs_worker(const ff_pool *pool, uint64_t now);

/* pool_wait.c */
/* The poller's epoll set and its eventfd; 0, or -1 (waits then block their thread). */
int pool_wait_init(ff_pool *pool);
void pool_wait_free(ff_pool *pool);
/* Waits on every suspended job's sockets (and the kick), and queues those whose wait
 * ended. Called and returns with the lock held. */
void pool_poll_waits(ff_pool *pool);
/* j switched out in ff_poll (JOB_WAITING): registers its wait and arms its descriptors;
 * or, when it cannot, marks it JOB_REFUSED and queues it at the head. Lock held. */
void pool_suspend(ff_pool *pool, job *j);
/* Ends the poller's wait now. Lock held. */
void pool_kick(ff_pool *pool);

#endif
