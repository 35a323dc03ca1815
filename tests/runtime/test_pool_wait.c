/*
 * test_pool_wait.c - jobs that wait (ff_poll) give their thread to other jobs: twenty
 * waits on one thread all end, in the order their sockets become ready; a wait times out
 * as poll's does; outside a job ff_poll is poll; a job's ff_slot values are its own and
 * follow it; a job that blocks without yielding holds up the woken waits only until the
 * bound (the flush starts a thread that watches them); freeing the pool lets suspended
 * jobs finish; two jobs may wait on one descriptor (the second blocks its thread); a
 * regular file is ready at once, as poll says.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "pool_drive.h"

/* One waiter: polls its pipe for input, then records what it saw and in which order. */
typedef struct {
    int fds[2];
    int timeout_ms;
    int result;
    short revents;
    int order; /* position among the finished, from 1 */
    atomic_int *finished;
} waiter;

static void wait_job(void *arg)
{
    waiter *w = arg;
    struct pollfd p = {.fd = w->fds[0], .events = POLLIN};
    w->result = ff_poll(&p, 1, w->timeout_ms);
    w->revents = p.revents;
    w->order = atomic_fetch_add(w->finished, 1) + 1;
}

static void waiter_init(waiter *w, int timeout_ms, atomic_int *finished)
{
    cr_assert_eq(pipe(w->fds), 0);
    w->timeout_ms = timeout_ms;
    w->finished = finished;
}

static void waiter_close(waiter *w)
{
    close(w->fds[0]);
    close(w->fds[1]);
}

Test(pool_wait, many_waits_share_one_thread)
{
    enum { N = 20 };
    atomic_int finished = 0;
    waiter w[N] = {0};
    ff_pool *pool = ff_pool_new(1);
    for (int i = 0; i < N; i++) {
        waiter_init(&w[i], 10000, &finished);
        ff_pool_submit(pool, wait_job, &w[i]);
    }
    ff_pool_flush(pool);
    sleep_ms(50); /* all suspended in their waits by now */
    cr_expect_eq(atomic_load(&finished), 0);
    for (int i = N - 1; i >= 0; i--) {
        cr_assert_eq(write(w[i].fds[1], "x", 1), 1);
        int64_t end = ff_now_mono_ms() + 5000;
        while (w[i].order == 0 && ff_now_mono_ms() < end)
            sleep_ms(1);
    }
    cr_expect_eq(ff_pool_threads(pool), 1, "one thread ran all twenty waits");
    ff_pool_free(pool);
    for (int i = 0; i < N; i++) {
        cr_expect_eq(w[i].result, 1, "waiter %d: ff_poll returned %d", i, w[i].result);
        cr_expect_eq(w[i].revents, POLLIN);
        cr_expect_eq(w[i].order, N - i, "waiter %d finished as its pipe became ready", i);
        waiter_close(&w[i]);
    }
}

Test(pool_wait, a_wait_times_out_like_poll)
{
    atomic_int finished = 0;
    waiter w = {0};
    waiter_init(&w, 50, &finished);
    ff_pool *pool = ff_pool_new(1);
    int64_t start = ff_now_mono_ms();
    ff_pool_submit(pool, wait_job, &w);
    drive(pool, &finished, 1, 5000);
    int64_t took = ff_now_mono_ms() - start;
    ff_pool_free(pool);
    cr_expect_eq(w.result, 0, "a timeout returns 0");
    cr_expect_eq(w.revents, 0);
    cr_expect_geq(took, 50, "the wait ended before its timeout");
    waiter_close(&w);
}

Test(pool_wait, outside_a_job_it_is_poll)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    cr_expect_eq(ff_poll(&p, 1, 10), 0);
    cr_assert_eq(write(fds[1], "x", 1), 1);
    cr_expect_eq(ff_poll(&p, 1, 1000), 1);
    cr_expect_eq(p.revents, POLLIN);
    close(fds[0]);
    close(fds[1]);
}

/* Sets its ff_slot value, waits, and checks the slot is still its own afterwards. */
static ff_slot_id g_test_slot = FF_SLOT_ID_INIT;

typedef struct {
    waiter w;
    intptr_t at_start, after_wait;
    pthread_t before, after;
} local_job_arg;

static void local_job(void *arg)
{
    local_job_arg *a = arg;
    a->at_start = *ff_slot(&g_test_slot);
    *ff_slot(&g_test_slot) = (intptr_t)a;
    a->before = pthread_self();
    wait_job(&a->w);
    a->after = pthread_self();
    a->after_wait = *ff_slot(&g_test_slot);
}

Test(pool_wait, a_jobs_local_slots_are_its_own)
{
    *ff_slot(&g_test_slot) = -1; /* the test thread's own slot */
    atomic_int finished = 0;
    local_job_arg a[2] = {0};
    ff_pool *pool = ff_pool_new(1);
    for (int i = 0; i < 2; i++) {
        waiter_init(&a[i].w, 10000, &finished);
        ff_pool_submit(pool, local_job, &a[i]);
    }
    ff_pool_flush(pool);
    sleep_ms(50);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(write(a[i].w.fds[1], "x", 1), 1);
    drive(pool, &finished, 2, 5000);
    ff_pool_free(pool);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(a[i].at_start, 0, "job %d: slots start at 0", i);
        cr_expect_eq(a[i].after_wait, (intptr_t)&a[i], "job %d: its slot changed while it waited", i);
        waiter_close(&a[i].w);
    }
    cr_expect(pthread_equal(a[0].before, a[1].before), "both ran on the pool's one thread");
    cr_expect_eq(*ff_slot(&g_test_slot), -1, "the jobs did not touch the thread's slot");
}

Test(pool_wait, slots_run_out_into_a_scratch_word)
{
    ff_slot_id ids[FF_SLOT_MAX + 1];
    for (int i = 0; i <= FF_SLOT_MAX; i++) {
        ids[i] = (ff_slot_id)FF_SLOT_ID_INIT;
        *ff_slot(&ids[i]) = i + 1;
    }
    for (int i = 0; i < FF_SLOT_MAX; i++)
        cr_expect_eq(*ff_slot(&ids[i]), i + 1, "slot %d kept its value", i);
    cr_expect_eq(ids[FF_SLOT_MAX].key, 0, "no key past FF_SLOT_MAX");
    cr_expect_eq(*ff_slot(&ids[FF_SLOT_MAX]), FF_SLOT_MAX + 1, "the scratch word");
}

typedef struct {
    atomic_int started, done;
    int ms;
} blocker;

static void block_job(void *arg)
{
    blocker *b = arg;
    atomic_store(&b->started, 1);
    sleep_ms(b->ms); /* does not yield: holds its thread */
    atomic_store(&b->done, 1);
}

Test(pool_wait, a_blocking_job_holds_up_woken_waits_only_until_the_bound)
{
    atomic_int finished = 0;
    waiter w = {0};
    waiter_init(&w, 10000, &finished);
    blocker b = {.ms = 2000};
    ff_pool *pool = ff_pool_new(4);
    ff_pool_submit(pool, wait_job, &w);
    ff_pool_flush(pool);
    sleep_ms(50); /* the waiter is suspended, its thread idle */
    ff_pool_submit(pool, block_job, &b);
    ff_pool_flush(pool);
    while (!atomic_load(&b.started))
        sleep_ms(1);
    cr_assert_eq(write(w.fds[1], "x", 1), 1);
    drive(pool, &finished, 1, 5000);
    cr_expect_eq(atomic_load(&finished), 1);
    cr_expect_eq(atomic_load(&b.done), 0, "the waiter waited for the blocking job to end");
    cr_expect_geq(ff_pool_threads(pool), 2, "another thread watched the waits");
    ff_pool_free(pool);
    cr_expect_eq(w.result, 1);
    waiter_close(&w);
}

Test(pool_wait, freeing_the_pool_lets_suspended_jobs_finish)
{
    atomic_int finished = 0;
    waiter w = {0};
    waiter_init(&w, 100, &finished);
    ff_pool *pool = ff_pool_new(2);
    ff_pool_submit(pool, wait_job, &w);
    ff_pool_flush(pool);
    sleep_ms(20);
    ff_pool_free(pool); /* the wait times out, the job returns, then the pool is gone */
    cr_expect_eq(atomic_load(&finished), 1);
    cr_expect_eq(w.result, 0);
    waiter_close(&w);
}

Test(pool_wait, two_jobs_may_wait_on_one_descriptor)
{
    atomic_int finished = 0;
    waiter w[2] = {0};
    waiter_init(&w[0], 10000, &finished);
    w[1] = w[0]; /* the same pipe: the second wait falls back to poll() on its thread */
    ff_pool *pool = ff_pool_new(2);
    for (int i = 0; i < 2; i++) {
        ff_pool_submit(pool, wait_job, &w[i]);
        drive(pool, &finished, 1, 20);
    }
    sleep_ms(20);
    cr_assert_eq(write(w[0].fds[1], "x", 1), 1); /* nobody reads it: both see it */
    drive(pool, &finished, 2, 5000);
    ff_pool_free(pool);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(w[i].result, 1, "waiter %d", i);
        cr_expect_eq(w[i].revents, POLLIN, "waiter %d", i);
    }
    waiter_close(&w[0]);
}

Test(pool_wait, a_regular_file_is_ready_at_once_as_with_poll)
{
    atomic_int finished = 0;
    waiter w = {0};
    waiter_init(&w, 10000, &finished);
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    close(w.fds[0]);
    w.fds[0] = dup(fileno(f)); /* epoll refuses regular files; poll says they are ready */
    ff_pool *pool = ff_pool_new(1);
    ff_pool_submit(pool, wait_job, &w);
    drive(pool, &finished, 1, 5000);
    ff_pool_free(pool);
    cr_expect_eq(w.result, 1);
    cr_expect_eq(w.revents, POLLIN);
    waiter_close(&w);
    fclose(f);
}
