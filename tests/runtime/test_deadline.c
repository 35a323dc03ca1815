/*
 * test_deadline.c - per-request deadline, remaining time, the cancellation flag, and
 * ff_req_sleep_ms (full sleep, early wake on cancellation or deadline).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "unit.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

Test(deadline, remaining_counts_down)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    r->deadline_ms = ff_now_mono_ms() + 500;
    cr_expect_eq(ff_req_deadline_ms(r), r->deadline_ms);
    int64_t left = ff_req_remaining_ms(r);
    cr_expect(left > 400 && left <= 500, "remaining %lld", (long long)left);
    sleep_ms(100);
    int64_t later = ff_req_remaining_ms(r);
    cr_expect(later < left && later > 300, "remaining %lld after 100 ms", (long long)later);
    cr_expect_not(ff_req_cancelled(r));
    ut_request_free(r);
}

Test(deadline, past_deadline_is_cancelled)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    r->deadline_ms = ff_now_mono_ms() - 5;
    cr_expect_lt(ff_req_remaining_ms(r), 0);
    cr_expect(ff_req_cancelled(r));
    ut_request_free(r);
}

Test(deadline, cancel_sets_the_flag)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    cr_expect_not(ff_req_cancelled(r));
    ff_request_cancel(r);
    cr_expect(ff_req_cancelled(r));
    cr_expect_gt(ff_req_remaining_ms(r), 0, "cancelling does not move the deadline");
    ut_request_free(r);
}

Test(deadline, sleep_runs_its_full_length)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    int64_t start = ff_now_mono_ms();
    cr_expect_eq(ff_req_sleep_ms(r, 120), 0);
    int64_t took = ff_now_mono_ms() - start;
    cr_expect(took >= 120 && took < 1000, "slept %lld ms", (long long)took);
    cr_expect_eq(ff_req_sleep_ms(r, 0), 0);
    ut_request_free(r);
}

Test(deadline, sleep_returns_at_once_when_already_cancelled)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    ff_request_cancel(r);
    int64_t start = ff_now_mono_ms();
    cr_expect_eq(ff_req_sleep_ms(r, 5000), -1);
    cr_expect_lt(ff_now_mono_ms() - start, 100);
    ut_request_free(r);
}

static void *cancel_later(void *arg)
{
    sleep_ms(100);
    ff_request_cancel(arg);
    return NULL;
}

Test(deadline, sleep_wakes_early_on_cancel)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, r);
    int64_t start = ff_now_mono_ms();
    int rc = ff_req_sleep_ms(r, 10000);
    int64_t took = ff_now_mono_ms() - start;
    pthread_join(t, NULL);
    cr_expect_eq(rc, -1);
    cr_expect(took >= 90 && took < 1000, "woke after %lld ms, cancelled at 100 ms", (long long)took);
    ut_request_free(r);
}

Test(deadline, sleep_wakes_at_the_deadline)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    r->deadline_ms = ff_now_mono_ms() + 150;
    int64_t start = ff_now_mono_ms();
    cr_expect_eq(ff_req_sleep_ms(r, 10000), -1);
    int64_t took = ff_now_mono_ms() - start;
    cr_expect(took >= 140 && took < 1000, "woke after %lld ms, deadline at 150 ms", (long long)took);
    ut_request_free(r);
}

Test(deadline, clocks_advance)
{
    int64_t mono = ff_now_mono_ms(), wall = ff_now_ms();
    cr_expect_gt(wall, 1600000000000LL, "wall clock in ms since the epoch");
    sleep_ms(20);
    cr_expect_geq(ff_now_mono_ms() - mono, 20);
    cr_expect_geq(ff_now_ms() - wall, 19);
}
