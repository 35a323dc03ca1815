/*
 * test_pool.c - the worker pool: runs every job, runs them concurrently up to its
 * bound (N jobs meeting at a barrier all get through), starts threads lazily, hands a
 * job to the most recently idle worker (LIFO), and drains queued jobs when freed.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "../../runtime/src/ff/pool.h"
#include "ff.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

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
} meeting;

#define MEETING(n, ms)                                                                                       \
    {                                                                                                        \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, (n), 0, 0, (ms)                                 \
    }

static void meet_job(void *arg)
{
    meeting *m = arg;
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
    sleep_ms(50);
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
        while (atomic_load(&done) <= i)
            sleep_ms(1);
        sleep_ms(10); /* the worker is idle again */
    }
    cr_expect_eq(ff_pool_threads(pool), 1, "sequential jobs reuse one idle thread");
    ff_pool_free(pool);
}

typedef struct {
    atomic_int done;
    pthread_t threads[20];
} seq_record;

static seq_record g_seq;

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
    while (m.met < 4)
        sleep_ms(1);
    sleep_ms(20); /* four idle workers */
    for (int i = 0; i < 20; i++) {
        ff_pool_submit(pool, record_thread_job, &g_seq);
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
