/*
 * test_slowloris.c - clients that trickle their request must not hold the server:
 * while connections send their headers or their body one byte at a time, and idle
 * connections pile up, normal requests still complete quickly; the trickled requests
 * are answered normally once complete; and a request whose headers never end is cut
 * by the server (it does not keep the connection forever).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

enum {
    N_HEADERS = 8,     /* connections trickling their headers */
    N_BODIES = 8,      /* connections trickling their body */
    N_IDLE = 64,       /* connections that send nothing */
    TICK_MS = 100,     /* one byte per connection per tick */
    TRICKLE_MS = 3000, /* how long the trickling goes on */
    NORMAL_MAX_MS = 1000,
    ENDLESS_CUT_MS = 15000, /* the HTTP layer allows 10 s for a request's headers */
};

#define NOSUCH_BODY "{\"sessionId\":\"nosuch\",\"stepId\":\"step-1\"}"

typedef struct trickler {
    int fd;
    size_t sent;
} trickler;

static int connect_or_fail(int port)
{
    int fd = th_raw_connect(port);
    cr_assert_geq(fd, 0, "cannot connect to port %d", port);
    return fd;
}

/* A normal request in the middle of it all: answered 404 (no such session), quickly. */
static void normal_request(const hw_server *s, int64_t *worst_ms)
{
    th_response res = {0};
    hw_post(s, "/startTransformPipeline?projectId=" HW_PROJECT, NOSUCH_BODY, &res);
    hw_expect_error(&res, 404, "SESSION_NOT_FOUND", "normal request during the trickle");
    if (res.elapsed_ms > *worst_ms)
        *worst_ms = res.elapsed_ms;
    th_response_free(&res);
}

/* Nonzero once the server closed fd (EOF or reset) within wait_ms. */
static int closed_by_server(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[256];
    return poll(&p, 1, wait_ms) > 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0;
}

Test(slowloris, trickling_clients_hold_no_worker, .fini = hw_fini)
{
    hw w;
    hw_init(&w);
    hw_seed(&w);
    hw_server s = hw_start(&w, NULL);
    size_t jobs_before = hw_count_jobs(&w);
    char *request = NULL;
    int n = asprintf(&request,
                     "POST /startTransformPipeline?projectId=" HW_PROJECT " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     strlen(NOSUCH_BODY), NOSUCH_BODY);
    cr_assert_gt(n, 0);
    size_t len = (size_t)n, head_len = len - strlen(NOSUCH_BODY);

    trickler t[N_HEADERS + N_BODIES];
    for (int i = 0; i < N_HEADERS + N_BODIES; i++) {
        t[i].fd = connect_or_fail(s.port);
        t[i].sent = i < N_HEADERS ? 0 : head_len; /* body tricklers start after the headers */
        if (t[i].sent > 0)
            cr_assert_eq(th_raw_send(t[i].fd, request, t[i].sent), 0);
    }
    int idle[N_IDLE];
    for (int i = 0; i < N_IDLE; i++)
        idle[i] = connect_or_fail(s.port);
    int endless = connect_or_fail(s.port);
    cr_assert_eq(th_raw_send_str(endless, "POST /startTransformPipeline HTTP/1.1\r\nX-Endless: "), 0);

    int64_t start = spawn_now_ms(), worst = 0;
    int normals = 0;
    for (int tick = 0; spawn_now_ms() - start < TRICKLE_MS; tick++) {
        for (int i = 0; i < N_HEADERS + N_BODIES; i++)
            if (t[i].sent < len - 1) /* keep the last byte back: the request stays unfinished */
                cr_expect_eq(th_raw_send(t[i].fd, request + t[i].sent++, 1), 0, "trickler %d was cut", i);
        th_raw_send(endless, "e", 1);
        if (tick % 3 == 0) {
            normal_request(&s, &worst);
            normals++;
        }
        spawn_sleep_ms(TICK_MS);
    }
    cr_expect_lt(worst, NORMAL_MAX_MS, "a normal request took %lld ms during the trickle", (long long)worst);
    cr_expect_geq(normals, 5, "only %d normal requests were made", normals);

    /* Finished at last, each trickled request gets its normal answer. */
    for (int i = 0; i < N_HEADERS + N_BODIES; i++) {
        cr_expect_eq(th_raw_send(t[i].fd, request + t[i].sent, len - t[i].sent), 0);
        th_response res = {0};
        th_raw_read_responses(t[i].fd, &res, 1, 5000);
        hw_expect_error(&res, 404, "SESSION_NOT_FOUND", i < N_HEADERS ? "trickled headers" : "trickled body");
        th_response_free(&res);
        close(t[i].fd);
    }
    for (int i = 0; i < N_IDLE; i++)
        close(idle[i]);

    /* Headers that never end: the server cuts the connection. */
    int cut = 0;
    while (!cut && spawn_now_ms() - start < ENDLESS_CUT_MS) {
        th_raw_send(endless, "e", 1);
        cut = closed_by_server(endless, 200);
    }
    cr_expect(cut, "a request whose headers never end was still open after %d ms", ENDLESS_CUT_MS);
    close(endless);
    free(request);

    hw_expect_alive(&s);
    cr_expect_eq(hw_count_jobs(&w), jobs_before, "a job was written");
    hw_done();
}
