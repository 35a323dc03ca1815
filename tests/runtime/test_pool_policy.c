/*
 * test_pool_policy.c - when a flush adds a worker (pool_needs_worker), on pool states
 * laid out by hand at a fixed clock: a worker that may be blocked (its job started a
 * bound ago) always gets company; a queue that waited a bound gets another worker while
 * a CPU is free, and only after the queue bound when every CPU runs a job; a worker
 * between jobs (ready) takes the head itself; a CPU is free while fewer workers run or
 * are about to than the pool counts; a worker whose start is later than the flush's
 * clock reading is running. Then, on real threads, a pool counting on
 * one CPU still adds workers for jobs that block.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include "../../runtime/src/ff/pool_internal.h"
#include "pool_drive.h"

#define MS  1000000ull
#define NOW (1000 * MS)

/* A pool with `cpus`, n busy workers that started their jobs ago_ms[i] before NOW, and
 * a queued head job queued waited_ms before NOW (none when waited_ms < 0). */
typedef struct {
    ff_pool *pool;
    worker busy[4];
    job head;
} layout;

static void lay_out(layout *l, unsigned cpus, const int *ago_ms, int n, int waited_ms)
{
    l->pool = ff_pool_new(8);
    cr_assert_not_null(l->pool);
    ff_pool *p = l->pool;
    p->cpus = cpus;
    for (int i = 0; i < n; i++) {
        worker *w = &l->busy[i];
        *w = (worker){.pool = p, .started_at = (uint64_t)((int64_t)NOW - ago_ms[i] * (int64_t)MS / 10)};
        w->prev = p->busy.prev;
        w->next = &p->busy;
        w->prev->next = w->next->prev = w;
    }
    if (waited_ms >= 0) {
        l->head = (job){.queued_at = NOW - (uint64_t)waited_ms * MS};
        list_push(&p->queue, &l->head);
    }
}

static void take_down(layout *l)
{
    ff_pool *p = l->pool;
    p->busy.prev = p->busy.next = &p->busy;
    p->queue = (job_list){0};
    ff_pool_free(p);
}

/* ago in tenths of a millisecond (so 5 is half a bound; negative: after NOW); waited in
 * milliseconds */
static int needs(unsigned cpus, const int *ago, int n, int waited_ms)
{
    layout l;
    lay_out(&l, cpus, ago, n, waited_ms);
    int r = pool_needs_worker(l.pool, NOW);
    take_down(&l);
    return r;
}

Test(pool_policy, a_worker_that_may_be_blocked_gets_company)
{
    const int long_ago[] = {5 * 10 * FF_POOL_BOUND_MS};
    cr_expect_eq(needs(1, long_ago, 1, 0), 1, "a job queued behind a worker busy for 5 bounds");
    cr_expect_eq(needs(8, long_ago, 1, 0), 1);
}

Test(pool_policy, a_waiting_queue_gets_a_worker_while_a_cpu_is_free)
{
    const int running[] = {5}; /* started half a bound ago: running, not blocked */
    cr_expect_eq(needs(2, running, 1, 2 * FF_POOL_BOUND_MS), 1, "one of two CPUs runs a job");
    cr_expect_eq(needs(2, running, 1, 0), 0, "the head has not waited a bound yet");
}

Test(pool_policy, every_cpu_running_a_job_makes_the_queue_wait_its_own_bound)
{
    const int one[] = {5}, two[] = {5, 5};
    int mid = (FF_POOL_BOUND_MS + FF_POOL_QUEUE_BOUND_MS) / 2 + 1;
    cr_expect_eq(needs(1, one, 1, mid), 0, "one CPU, running a job: %d ms is not the queue bound", mid);
    cr_expect_eq(needs(2, two, 2, mid), 0, "two CPUs, two running jobs");
    cr_expect_eq(needs(1, one, 1, FF_POOL_QUEUE_BOUND_MS), 1, "the queue bound passed");
}

/* The flush reads the clock before it takes the lock; a worker may stamp its start after
 * that, under the lock. It is running, not blocked for "a very long time". */
Test(pool_policy, a_worker_that_started_after_the_flush_read_the_clock_is_running)
{
    const int just_now[] = {-1};
    cr_expect_eq(needs(1, just_now, 1, 0), 0, "a worker started 0.1 ms after now looked blocked");
    layout l;
    lay_out(&l, 1, just_now, 1, -1);
    cr_expect_eq(pool_cpu_free(l.pool, NOW), 0, "a worker started 0.1 ms after now holds no CPU");
    take_down(&l);
}

Test(pool_policy, a_blocked_worker_frees_its_cpu)
{
    const int mixed[] = {5 * 10 * FF_POOL_BOUND_MS, 5}; /* the older one may be blocked */
    cr_expect_eq(needs(2, mixed, 2, 2 * FF_POOL_BOUND_MS), 1);
}

Test(pool_policy, a_worker_between_jobs_takes_the_head)
{
    const int long_ago[] = {5 * 10 * FF_POOL_BOUND_MS};
    layout l;
    lay_out(&l, 1, long_ago, 1, FF_POOL_QUEUE_BOUND_MS);
    l.pool->ready = 1;
    cr_expect_eq(pool_needs_worker(l.pool, NOW), 0);
    l.pool->ready = 0;
    take_down(&l);
}

/* pool_cpu_free also decides whether the poller wakes a second worker for its jobs. */
Test(pool_policy, a_cpu_is_free_until_as_many_run_as_there_are_cpus)
{
    const int one[] = {5}, two[] = {5, 5}, blocked_and_one[] = {5 * 10 * FF_POOL_BOUND_MS, 5};
    layout l;
    lay_out(&l, 2, one, 1, -1);
    cr_expect_eq(pool_cpu_free(l.pool, NOW), 1, "one of two CPUs runs a job");
    l.pool->ready = 1;
    cr_expect_eq(pool_cpu_free(l.pool, NOW), 0, "a worker between jobs takes the other");
    l.pool->ready = 0;
    take_down(&l);
    lay_out(&l, 2, two, 2, -1);
    cr_expect_eq(pool_cpu_free(l.pool, NOW), 0);
    take_down(&l);
    lay_out(&l, 2, blocked_and_one, 2, -1);
    cr_expect_eq(pool_cpu_free(l.pool, NOW), 1, "a worker that may be blocked holds no CPU");
    take_down(&l);
}

Test(pool_policy, nothing_queued_nothing_needed)
{
    cr_expect_eq(needs(1, NULL, 0, -1), 0);
}

/* A job that blocks its thread (no ff_poll) for 20 ms. */
static void block_20ms(void *arg)
{
    sleep_ms(20);
    atomic_fetch_add((atomic_int *)arg, 1);
}

Test(pool_policy, one_cpu_still_adds_workers_for_blocked_jobs)
{
    enum { N = 8 };
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(N);
    ff_pool_set_cpus(pool, 1);
    for (int i = 0; i < N; i++)
        ff_pool_submit(pool, block_20ms, &done);
    drive(pool, &done, N, 10000);
    unsigned threads = ff_pool_threads(pool);
    ff_pool_free(pool);
    cr_expect_eq(atomic_load(&done), N);
    cr_expect_geq(threads, 2, "eight blocking jobs ran on one thread");
}
