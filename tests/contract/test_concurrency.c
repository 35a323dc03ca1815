/*
 * test_concurrency.c - handlers run on a bounded worker pool: N one-second handlers
 * finish in about one second together, and a function's concurrency limit queues up
 * to its bound and then answers 429.
 */
#include <string.h>

#include "contract.h"

TestSuite(concurrency, .fini = ct_fini, .timeout = 60);

#define N_SLEEPERS 20

CT_TEST(concurrency, sleeping_handlers_overlap)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/sleep?ms=1000", url, sizeof(url))};
    th_async *calls[N_SLEEPERS];
    int64_t start = spawn_now_ms();
    for (int i = 0; i < N_SLEEPERS; i++)
        calls[i] = th_async_start(&req);
    for (int i = 0; i < N_SLEEPERS; i++) {
        th_response res;
        th_async_join(calls[i], &res);
        cr_expect_eq(res.status, 200, "request %d -> %ld (error %d)", i, res.status, res.error);
        th_response_free(&res);
    }
    int64_t wall = spawn_now_ms() - start;
    cr_expect_geq(wall, 1000, "the handlers did not sleep: %lld ms", (long long)wall);
    cr_expect_lt(wall, 2500, "%d concurrent 1 s handlers took %lld ms: not concurrent", N_SLEEPERS,
                 (long long)wall);
}

CT_TEST(concurrency, limit_queues_then_429)
{
    const char *args[] = {"--target", "limited", NULL};
    ct_server s = ct_start(args, NULL);
    char url[128];
    th_request slow = {.url = ct_url(&s, "/?ms=1500", url, sizeof(url))};
    th_async *running = th_async_start(&slow);
    spawn_sleep_ms(300); /* admitted and running */
    th_async *queued = th_async_start(&slow);
    spawn_sleep_ms(300); /* waiting in the queue of 1 */

    th_response res;
    ct_get(&s, "/?ms=0", &res);
    cr_expect_eq(res.status, 429, "third request with 1 running + 1 queued -> %ld", res.status);
    cr_expect_lt(res.elapsed_ms, 1000, "429 was not immediate: %lld ms", (long long)res.elapsed_ms);
    th_response_free(&res);

    th_async_join(running, &res);
    cr_expect_eq(res.status, 200, "running request -> %ld", res.status);
    th_response_free(&res);
    th_async_join(queued, &res);
    cr_expect_eq(res.status, 200, "queued request -> %ld", res.status);
    cr_expect_geq(res.elapsed_ms, 2400, "queued request did not wait for the slot: %lld ms",
                  (long long)res.elapsed_ms);
    th_response_free(&res);

    ct_get(&s, "/?ms=0", &res); /* the slot is free again */
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
}

CT_TEST(concurrency, limit_is_per_function)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request slow = {.url = ct_url(&s, "/limited?ms=1200", url, sizeof(url))};
    th_async *a = th_async_start(&slow);
    spawn_sleep_ms(200);
    th_async *b = th_async_start(&slow);
    spawn_sleep_ms(200);
    th_response res;
    ct_get(&s, "/echo", &res); /* another function is not limited by /limited's slots */
    cr_expect_eq(res.status, 200);
    cr_expect_lt(res.elapsed_ms, 1000);
    th_response_free(&res);
    th_async_join(a, &res);
    th_response_free(&res);
    th_async_join(b, &res);
    th_response_free(&res);
}
