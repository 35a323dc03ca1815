/*
 * test_timeouts.c - time limits: a handler that overruns its timeout (slow: 1 s) gets
 * the client a 504 at the deadline, its cancellation flag is set, and its late response
 * is dropped and logged. Also cancellation when the client goes away.
 */
#include <string.h>

#include "contract.h"

TestSuite(timeouts, .fini = ct_fini, .timeout = 60);

/* GETs path and expects a 504 at about the 1 s deadline. */
static void expect_504_at_deadline(const ct_server *s, const char *path)
{
    th_response res;
    ct_get(s, path, &res);
    cr_expect_eq(res.status, 504, "GET %s -> %ld", path, res.status);
    cr_expect_geq(res.elapsed_ms, 900, "504 before the deadline: %lld ms", (long long)res.elapsed_ms);
    cr_expect_lt(res.elapsed_ms, 2000, "504 long after the 1 s deadline: %lld ms", (long long)res.elapsed_ms);
    th_response_free(&res);
}

static void expect_logged(const ct_server *s, const char *needle, int timeout_ms)
{
    json_t *e = ct_log_wait(s, needle, timeout_ms);
    cr_expect_not_null(e, "no log line containing '%s' within %d ms", needle, timeout_ms);
    json_decref(e);
}

CT_TEST(timeouts, overrun_gets_504_and_late_response_is_dropped)
{
    const char *args[] = {"--target", "slow", NULL};
    ct_server s = ct_start(args, NULL);
    expect_504_at_deadline(&s, "/?ms=2500"); /* the handler ends 1.5 s after the deadline */
    json_t *e = ct_log_wait(&s, "GET /?ms=2500 504", 1000);
    cr_expect_not_null(e, "the 504 is not access-logged");
    json_decref(e);
    expect_logged(&s, "late response dropped", 3000);
    /* The handler ran to its end: its flag was set, but it ignored it. */
    expect_logged(&s, "sleep observed cancellation", 1000);
}

/*
 * RUNTIME BUG (see the report): a handler polling its flag sees the deadline pass at
 * about the moment the loop's timer fires; when the worker's "done" message is handled
 * first, the client gets the handler's 200 instead of the 504 and nothing is logged as
 * dropped. It is a race, seen most on a server's first request, so the test makes one
 * request on each of N_RACES fresh servers at once.
 */
#define N_RACES 8

CT_TEST(timeouts, cancellable_handler_observes_the_deadline)
{
    ct_server s[N_RACES];
    char url[N_RACES][128];
    th_request req[N_RACES];
    th_async *calls[N_RACES];
    for (int i = 0; i < N_RACES; i++) {
        s[i] = ct_start(NULL, NULL);
        req[i] = (th_request){.url = ct_url(&s[i], "/slow?ms=3000&cancellable=1", url[i], sizeof(url[i]))};
    }
    for (int i = 0; i < N_RACES; i++)
        calls[i] = th_async_start(&req[i]);
    for (int i = 0; i < N_RACES; i++) {
        th_response res;
        th_async_join(calls[i], &res);
        cr_expect_eq(res.status, 504, "server %d: %ld %s", i, res.status, res.body);
        cr_expect(res.elapsed_ms >= 900 && res.elapsed_ms < 2000, "server %d answered after %lld ms", i,
                  (long long)res.elapsed_ms);
        th_response_free(&res);
    }
    for (int i = 0; i < N_RACES; i++) {
        /* The handler woke on the flag, long before its 3 s sleep would end. */
        expect_logged(&s[i], "sleep observed cancellation", 1500);
        expect_logged(&s[i], "late response dropped", 1500);
    }
}

CT_TEST(timeouts, handler_within_timeout_is_answered)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/slow?ms=200", &res);
    cr_expect_eq(res.status, 200);
    cr_expect(strstr(res.body, "\"cancelled\":false") != NULL, "%s", res.body);
    th_response_free(&res);
    cr_expect_eq(ct_log_count(&s, "sleep observed cancellation"), 0);
}

/*
 * RUNTIME BUG (see the report): ff.h promises the cancellation flag is set when the
 * client goes away, but h2o does not read the socket while a request is being
 * processed, so the disconnect is noticed only when the response is written - the
 * handler runs to its end and the access log claims a 200.
 */
CT_TEST(timeouts, client_disconnect_sets_cancellation)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/sleep?ms=4000&cancellable=1", url, sizeof(url)), .timeout_ms = 300};
    th_response res;
    th_http(&req, &res); /* gives up after 300 ms and closes the connection */
    cr_expect_eq(res.status, 0);
    th_response_free(&res);
    expect_logged(&s, "sleep observed cancellation", 2000);
}
