/*
 * test_pool.c - the worker pool: runs every job, runs them concurrently up to its
 * bound (N jobs meeting at a barrier all get through), starts threads lazily, hands a
 * job to the most recently idle worker (LIFO), and drains queued jobs when freed.
 * Batches: submitted jobs wait for ff_pool_flush; one flush wakes one worker, which runs
 * a batch of quick jobs in a row; a job queued behind a blocked worker gets another
 * worker from a flush once the bound has passed, or from the first flush when the busy
 * workers started their jobs longer than the bound ago. The loop's timer is played by
 * drive(), which flushes every millisecond.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "pool_drive.h"

static void count_job(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

Test(pool, runs_every_job)
{
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(4);
    cr_assert_not_null(pool);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(ff_pool_submit(pool, count_job, &done), 0);
    ff_pool_free(pool); /* lets queued jobs finish */
    cr_expect_eq(atomic_load(&done), 1000);
}

/* A barrier with a timeout: each job waits until all have arrived, or gives up. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t all_here;
    int expected, arrived, met;
    int wait_ms;
    atomic_int entered, left; /* jobs that have started, and returned */
} meeting;

#define MEETING(n, ms)                                                                                       \
    {                                                                                                        \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (n), 0, 0, (ms), 0, 0                           \
    }

static void meet_job(void *arg)
{
    meeting *m = arg;
    atomic_fetch_add(&m->entered, 1);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += m->wait_ms / 1000;
    until.tv_nsec += (long)(m->wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&m->lock);
    if (++m->arrived == m->expected)
        pthread_cond_broadcast(&m->all_here);
    int rc = 0;
    while (m->arrived < m->expected && rc == 0)
        rc = pthread_cond_timedwait(&m->all_here, &m->lock, &until);
    m->met += m->arrived == m->expected;
    pthread_mutex_unlock(&m->lock);
    atomic_fetch_add(&m->left, 1);
}

static int run_meeting(unsigned threads, int jobs)
{
    meeting m = MEETING(jobs, 5000);
    ff_pool *pool = ff_pool_new(threads);
    for (int i = 0; i < jobs; i++)
        ff_pool_submit(pool, meet_job, &m);
    ff_pool_free(pool);
    return m.met;
}

Test(pool, runs_jobs_concurrently)
{
    int64_t start = ff_now_mono_ms();
    cr_expect_eq(run_meeting(32, 32), 32, "32 jobs on 32 threads did not all run at once");
    cr_expect_lt(ff_now_mono_ms() - start, 4000);
}

Test(pool, a_burst_starts_enough_threads)
{
    meeting m = MEETING(16, 5000);
    ff_pool *pool = ff_pool_new(64);
    for (int i = 0; i < 16; i++)
        ff_pool_submit(pool, meet_job, &m);
    drive(pool, &m.entered, 16, 5000); /* every job blocks: each bound adds a worker */
    unsigned threads = ff_pool_threads(pool);
    ff_pool_free(pool);
    cr_expect_eq(m.met, 16);
    cr_expect_geq(threads, 16);
    cr_expect_leq(threads, 64);
}

Test(pool, bounded_by_max_threads)
{
    /* 3 threads cannot hold 4 jobs at once: the meeting fails, but every job still runs. */
    int64_t start = ff_now_mono_ms();
    meeting m = MEETING(4, 300);
    ff_pool *pool = ff_pool_new(3);
    for (int i = 0; i < 4; i++)
        ff_pool_submit(pool, meet_job, &m);
    drive(pool, NULL, 0, 50);
    cr_expect_eq(ff_pool_threads(pool), 3);
    ff_pool_free(pool);
    cr_expect_eq(m.arrived, 4, "every job ran");
    cr_expect_lt(m.met, 4, "more jobs ran at once than the pool has threads");
    cr_expect_geq(ff_now_mono_ms() - start, 280, "the first jobs waited for the fourth");
}

Test(pool, threads_start_lazily)
{
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(16);
    cr_expect_eq(ff_pool_threads(pool), 0, "an unused pool holds no thread");
    for (int i = 0; i < 10; i++) {
        ff_pool_submit(pool, count_job, &done);
        ff_pool_flush(pool);
        while (atomic_load(&done) <= i)
            sleep_ms(1);
        sleep_ms(10); /* the worker is idle again */
    }
    cr_expect_eq(ff_pool_threads(pool), 1, "sequential jobs reuse one idle thread");
    ff_pool_free(pool);
}

/* The thread each job ran on, in the order they ran. */
typedef struct {
    atomic_int done;
    pthread_t threads[100];
} seq_record;

static seq_record g_seq, g_batch;

static void record_thread_job(void *arg)
{
    seq_record *r = arg;
    r->threads[atomic_load(&r->done)] = pthread_self();
    atomic_fetch_add(&r->done, 1);
}

Test(pool, sequential_jobs_go_to_the_last_idle_worker)
{
    ff_pool *pool = ff_pool_new(4);
    meeting m = MEETING(4, 5000);
    for (int i = 0; i < 4; i++)
        ff_pool_submit(pool, meet_job, &m);
    drive(pool, &m.entered, 4, 5000);
    while (atomic_load(&m.left) < 4)
        sleep_ms(1);
    sleep_ms(20); /* four idle workers */
    for (int i = 0; i < 20; i++) {
        ff_pool_submit(pool, record_thread_job, &g_seq);
        ff_pool_flush(pool);
        while (atomic_load(&g_seq.done) <= i)
            sleep_ms(1);
        sleep_ms(5); /* the worker is idle again */
    }
    ff_pool_free(pool);
    for (int i = 1; i < 20; i++)
        cr_expect(pthread_equal(g_seq.threads[i], g_seq.threads[0]),
                  "job %d ran on another thread than job 0", i);
}

Test(pool, zero_means_one_thread)
{
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(0);
    cr_assert_not_null(pool);
    ff_pool_submit(pool, count_job, &done);
    ff_pool_free(pool);
    cr_expect_eq(atomic_load(&done), 1);
}

Test(pool, free_null_and_unused)
{
    ff_pool_free(NULL);
    ff_pool_free(ff_pool_new(8));
}

/* Polls *v until it reaches target or ms have passed, flushing nothing. Returns *v. */
static int wait_for(atomic_int *v, int target, int ms)
{
    int64_t end = ff_now_mono_ms() + ms;
    while (atomic_load(v) < target && ff_now_mono_ms() < end)
        sleep_ms(1);
    return atomic_load(v);
}

Test(pool, submitted_jobs_wait_for_a_flush)
{
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(4);
    ff_pool_submit(pool, count_job, &done);
    sleep_ms(20);
    cr_expect_eq(atomic_load(&done), 0, "a job ran before ff_pool_flush");
    cr_expect_eq(ff_pool_threads(pool), 0, "a thread started before ff_pool_flush");
    ff_pool_flush(pool);
    cr_expect_eq(wait_for(&done, 1, 10000), 1);
    ff_pool_free(pool);
}

Test(pool, one_flush_runs_a_batch_on_one_worker)
{
    ff_pool *pool = ff_pool_new(8);
    for (int i = 0; i < 100; i++)
        ff_pool_submit(pool, record_thread_job, &g_batch);
    cr_expect_eq(ff_pool_flush(pool), 99, "one worker for the batch: the other 99 jobs wait behind it");
    cr_expect_eq(wait_for(&g_batch.done, 100, 10000), 100); /* no more flushes: no other worker */
    cr_expect_eq(ff_pool_threads(pool), 1, "one flush started %u threads", ff_pool_threads(pool));
    for (int i = 1; i < 100; i++)
        cr_expect(pthread_equal(g_batch.threads[i], g_batch.threads[0]), "job %d ran on another thread", i);
    ff_pool_free(pool);
}

/* A job that blocks until the gate opens (or 10 s pass). */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t opened;
    int open;
    atomic_int started, finished;
} gate;

#define GATE                                                                                                 \
    {                                                                                                        \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0                                         \
    }

static void block_job(void *arg)
{
    gate *g = arg;
    atomic_store(&g->started, 1);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&g->lock);
    int rc = 0;
    while (!g->open && rc == 0)
        rc = pthread_cond_timedwait(&g->opened, &g->lock, &until);
    pthread_mutex_unlock(&g->lock);
    atomic_store(&g->finished, 1);
}

static void gate_open(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = 1;
    pthread_cond_broadcast(&g->opened);
    pthread_mutex_unlock(&g->lock);
}

Test(pool, a_blocked_worker_holds_up_its_batch_only_until_the_bound)
{
    gate g = GATE;
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(4);
    ff_pool_submit(pool, block_job, &g);
    for (int i = 0; i < 10; i++)
        ff_pool_submit(pool, count_job, &done);
    ff_pool_flush(pool); /* one worker, which takes the blocking job first */
    drive(pool, &done, 10, 10000);
    cr_expect_eq(atomic_load(&done), 10, "the quick jobs waited for the blocked one");
    cr_expect_eq(atomic_load(&g.finished), 0, "the blocking job returned before the quick ones ran");
    cr_expect_geq(ff_pool_threads(pool), 2);
    gate_open(&g);
    ff_pool_free(pool);
}

Test(pool, a_worker_busy_past_the_bound_does_not_hold_up_a_new_job)
{
    gate g = GATE;
    atomic_int done = 0;
    ff_pool *pool = ff_pool_new(4);
    ff_pool_submit(pool, block_job, &g);
    ff_pool_flush(pool);
    cr_assert_eq(wait_for(&g.started, 1, 10000), 1);
    sleep_ms(10 * FF_POOL_BOUND_MS); /* the busy worker is past the bound: maybe blocked */
    ff_pool_submit(pool, count_job, &done);
    ff_pool_flush(pool); /* the only flush: it must wake a worker at once */
    cr_expect_eq(wait_for(&done, 1, 10000), 1, "the new job waited for the blocked worker");
    cr_expect_eq(atomic_load(&g.finished), 0);
    cr_expect_eq(ff_pool_threads(pool), 2);
    gate_open(&g);
    ff_pool_free(pool);
}
