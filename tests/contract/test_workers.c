/*
 * test_workers.c - the worker pool seen from outside, with requests made to arrive in
 * one batch: the server is stopped (SIGSTOP) while they are written, one connection
 * each, so that its loop reads them in one iteration and hands them to one worker. A
 * handler that blocks must not hold up the quick requests queued behind it, and SIGTERM
 * must drain a batch, including a request that the function's own queue admits only
 * once another has finished.
 */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"

TestSuite(workers, .fini = ct_fini, .timeout = 60);

#define MAX_BATCH 16

/* Connects once per path, then writes every request while the server is stopped. */
static void send_batch(ct_server *s, const char *const paths[], int n, int fds[])
{
    cr_assert_leq(n, MAX_BATCH);
    for (int i = 0; i < n; i++) {
        fds[i] = th_raw_connect(s->port);
        cr_assert_geq(fds[i], 0, "connection %d refused", i);
    }
    spawn_sleep_ms(200); /* accepted: the requests, not the connections, make the batch */
    cr_assert_eq(spawn_kill(s->proc, SIGSTOP), 0);
    for (int i = 0; i < n; i++) {
        char head[256];
        snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", paths[i]);
        cr_assert_eq(th_raw_send_str(fds[i], head), 0);
    }
    cr_assert_eq(spawn_kill(s->proc, SIGCONT), 0);
}

/* Reads the one response on fd (up to 15 s). */
static void read_one(int fd, th_response *res)
{
    int got = th_raw_read_responses(fd, res, 1, 15000);
    cr_expect_eq(got, 1, "no response");
}

/* 1 if fd has something to read right now (a response, or EOF). */
static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

CT_TEST(workers, a_blocking_handler_does_not_hold_up_its_batch)
{
    ct_server s = ct_start(NULL, NULL);
    /* a blocking request at both ends: whichever order the loop reads the batch in (h2o
     * runs ready sockets last-in first-out), the worker woken for it takes one first */
    const char *paths[] = {"/sleep?ms=5000", "/echo?q=1", "/echo?q=2", "/echo?q=3",     "/echo?q=4",
                           "/echo?q=5",      "/echo?q=6", "/echo?q=7", "/sleep?ms=5000"};
    int n = (int)(sizeof(paths) / sizeof(paths[0])), fds[MAX_BATCH];
    send_batch(&s, paths, n, fds);
    for (int i = 1; i < n - 1; i++) {
        th_response res;
        read_one(fds[i], &res);
        cr_expect_eq(res.status, 200, "%s -> %ld", paths[i], res.status);
        th_response_free(&res);
    }
    cr_expect(!readable(fds[0]) && !readable(fds[n - 1]),
              "the quick requests were answered only after a blocking one");
    for (int i = 0; i < n; i += n - 1) {
        th_response res;
        read_one(fds[i], &res);
        cr_expect_eq(res.status, 200, "the blocking request -> %ld", res.status);
        th_response_free(&res);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

CT_TEST(workers, sigterm_drains_a_batch)
{
    ct_server s = ct_start(NULL, NULL);
    /* limited: one running, one in its queue, started by the drain once the first ends */
    const char *paths[] = {"/sleep?ms=1000", "/limited?ms=600", "/limited?ms=600", "/echo?q=1",
                           "/sleep?ms=1000", "/echo?q=2",       "/echo?q=3"};
    int n = (int)(sizeof(paths) / sizeof(paths[0])), fds[MAX_BATCH];
    send_batch(&s, paths, n, fds);
    int64_t until = spawn_now_ms() + 10000;
    while (ct_log_count(&s, "echo") < 3 && spawn_now_ms() < until)
        spawn_sleep_ms(10);
    cr_assert_eq(ct_log_count(&s, "echo"), 3, "the batch was not admitted");
    spawn_kill(s.proc, SIGTERM);
    for (int i = 0; i < n; i++) {
        th_response res;
        read_one(fds[i], &res);
        cr_expect_eq(res.status, 200, "%s -> %ld during the drain", paths[i], res.status);
        if (strncmp(paths[i], "/echo", 5) != 0)
            cr_expect(strstr(res.body, "\"cancelled\":true") != NULL, "%s: cancellation flag not set: %s",
                      paths[i], res.body);
        th_response_free(&res);
        close(fds[i]);
    }
    cr_expect_eq(spawn_wait(s.proc, 10000), 0, "exit status after draining");
    json_t *e = ct_log_wait(&s, "grace period over", 0);
    cr_expect_null(e, "the drain ran out of grace");
    json_decref(e);
}
