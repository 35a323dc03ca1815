/*
 * test_shutdown.c - SIGTERM/SIGINT: stop accepting at once, let in-flight invocations
 * finish within the grace period with their cancellation flag set, then exit 0; when
 * the grace period (--shutdown-grace / FF_SHUTDOWN_GRACE) runs out, exit 0 anyway,
 * freeing nothing a still-running worker reads.
 */
#include <signal.h>
#include <string.h>

#include "contract.h"

TestSuite(shutdown, .fini = ct_fini, .timeout = 60);

/* Polls until nothing accepts connections on port: elapsed ms, or -1 after timeout_ms. */
static int64_t wait_port_closed(int port, int timeout_ms)
{
    int64_t start = spawn_now_ms();
    while (spawn_port_open(port)) {
        if (spawn_now_ms() - start >= timeout_ms)
            return -1;
        spawn_sleep_ms(10);
    }
    return spawn_now_ms() - start;
}

CT_TEST(shutdown, idle_server_exits_zero_on_sigterm)
{
    ct_server s = ct_start(NULL, NULL);
    int64_t start = spawn_now_ms();
    cr_expect_eq(ct_stop(&s), 0);
    cr_expect_lt(spawn_now_ms() - start, 2000, "idle shutdown is slow");
    cr_expect_eq(spawn_wait_stdout(s.proc, "shutdown complete", 0), 0);
}

CT_TEST(shutdown, idle_keep_alive_connection_does_not_hold_shutdown)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/echo", url, sizeof(url))};
    th_client *c = th_client_new();
    th_response res;
    th_client_do(c, &req, &res); /* leaves an idle keep-alive connection open */
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
    int64_t start = spawn_now_ms();
    cr_expect_eq(ct_stop(&s), 0);
    cr_expect_lt(spawn_now_ms() - start, 2000, "an idle keep-alive connection delayed shutdown");
    th_client_free(c);
}

CT_TEST(shutdown, sigint_works_like_sigterm)
{
    ct_server s = ct_start(NULL, NULL);
    cr_expect_eq(spawn_stop(s.proc, SIGINT, 5000), 0);
}

CT_TEST(shutdown, in_flight_request_completes_and_exit_is_zero)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/sleep?ms=1500", url, sizeof(url))};
    th_async *call = th_async_start(&req);
    spawn_sleep_ms(300); /* the handler is running */
    spawn_kill(s.proc, SIGTERM);

    int64_t closed = wait_port_closed(s.port, 1000);
    cr_expect_geq(closed, 0, "still accepting connections 1 s after SIGTERM");
    cr_expect_eq(spawn_wait(s.proc, 0), SPAWN_RUNNING, "exited with a request in flight");

    th_response res;
    th_async_join(call, &res);
    cr_expect_eq(res.status, 200, "in-flight request -> %ld (error %d)", res.status, res.error);
    cr_expect(strstr(res.body, "\"cancelled\":true") != NULL, "cancellation flag not set: %s", res.body);
    cr_expect_geq(res.elapsed_ms, 1400, "the handler was cut short");
    th_response_free(&res);

    cr_expect_eq(spawn_wait(s.proc, 10000), 0, "exit status after draining");
    json_t *e = ct_log_wait(&s, "shutdown requested", 0);
    cr_expect_not_null(e);
    json_decref(e);
}

CT_TEST(shutdown, new_connections_refused_after_sigterm)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/sleep?ms=1500", url, sizeof(url))};
    th_async *call = th_async_start(&req);
    spawn_sleep_ms(300);
    spawn_kill(s.proc, SIGTERM);
    cr_assert_geq(wait_port_closed(s.port, 1000), 0);
    th_response res;
    ct_get(&s, "/echo", &res);
    cr_expect_eq(res.status, 0, "a new request was served during shutdown: %ld", res.status);
    th_response_free(&res);
    th_async_join(call, &res);
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
    cr_expect_eq(spawn_wait(s.proc, 10000), 0);
}

/* Starts a server with grace 1 s (via args/env), a 5 s handler, SIGTERM: exit 0 in ~1 s. */
static void expect_grace_expiry(const char *const args[], const char *const env[])
{
    ct_server s = ct_start(args, env);
    char url[128];
    th_request req = {.url = ct_url(&s, "/sleep?ms=5000", url, sizeof(url))};
    th_async *call = th_async_start(&req);
    spawn_sleep_ms(300);
    int64_t start = spawn_now_ms();
    spawn_kill(s.proc, SIGTERM);
    int st = spawn_wait(s.proc, 10000);
    int64_t took = spawn_now_ms() - start;
    cr_expect_eq(st, 0, "exit status %d after the grace period", st);
    cr_expect_geq(took, 900, "exited before the grace period: %lld ms", (long long)took);
    cr_expect_lt(took, 3000, "grace 1 s but exited after %lld ms", (long long)took);
    th_response res;
    th_async_join(call, &res); /* the client sees the connection go away */
    cr_expect_neq(res.status, 200);
    th_response_free(&res);
    json_t *e = ct_log_wait(&s, "grace period over", 0);
    cr_expect_not_null(e, "grace expiry not logged");
    json_decref(e);
}

CT_TEST(shutdown, grace_period_expiry_from_flag)
{
    const char *args[] = {"--shutdown-grace", "1", NULL};
    expect_grace_expiry(args, NULL);
}

CT_TEST(shutdown, grace_period_expiry_from_env)
{
    const char *env[] = {"FF_SHUTDOWN_GRACE=1", NULL};
    expect_grace_expiry(NULL, env);
}

/*
 * The grace period ends while a handler still reads its function definition: the exit
 * must not free the definitions (or the app) under it. Under ASan (make test-asan) a
 * use after free is reported on stderr, which CT_TEST's check refuses.
 */
CT_TEST(shutdown, grace_expiry_frees_nothing_a_worker_still_reads)
{
    const char *args[] = {"--shutdown-grace", "1", NULL};
    ct_server s = ct_start(args, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/linger?ms=4000", url, sizeof(url))};
    th_async *call = th_async_start(&req);
    json_t *started = ct_log_wait(&s, "lingering", 5000);
    cr_assert_not_null(started, "the lingering handler did not start");
    json_decref(started);
    spawn_kill(s.proc, SIGTERM);
    int st = spawn_wait(s.proc, 10000);
    cr_expect_eq(st, 0, "exit status %d while a worker still ran", st);
    th_response res;
    th_async_join(call, &res);
    th_response_free(&res);
    json_t *e = ct_log_wait(&s, "grace period over", 0);
    cr_expect_not_null(e, "grace expiry not logged");
    json_decref(e);
}
