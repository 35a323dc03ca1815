/*
 * test_body_limit.c - request bodies over the limit (default 10 MiB, --body-limit,
 * FF_BODY_LIMIT, and each function's max_body under that ceiling) are refused with 413
 * without invoking the handler, with a Content-Length or chunked, and without buffering
 * them: memory stays bounded under concurrent oversized requests. A client still
 * uploading when the server answers reads its 413 (lingering close: the server drains,
 * within a time and byte budget, instead of resetting the connection).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "contract.h"

TestSuite(body_limit, .fini = ct_fini, .timeout = 60);

static const char *const limit_1k[] = {"--target", "echo", "--body-limit", "1024", NULL};

static long post_size(const ct_server *s, size_t len, int chunked)
{
    char *body = malloc(len + 1), url[128];
    memset(body, 'x', len);
    th_request req = {
        .url = ct_url(s, "/", url, sizeof(url)), .body = body, .body_len = len, .chunked = chunked};
    th_response res;
    th_http(&req, &res);
    long status = res.status;
    if (status == 200) { /* the handler saw the whole body */
        json_t *j = ct_body_json(&res);
        cr_expect_eq(json_string_length(json_object_get(j, "body")), len);
        json_decref(j);
    }
    th_response_free(&res);
    free(body);
    return status;
}

CT_TEST(body_limit, flag_limit_with_content_length)
{
    ct_server s = ct_start(limit_1k, NULL);
    cr_expect_eq(post_size(&s, 1024, 0), 200, "a body of exactly the limit is accepted");
    cr_expect_eq(post_size(&s, 1025, 0), 413, "one byte over the limit");
    cr_expect_eq(post_size(&s, 100000, 0), 413);
    cr_expect_eq(ct_log_count(&s, "echo"), 1, "the handler ran for a refused body");
}

CT_TEST(body_limit, flag_limit_with_chunked_body)
{
    ct_server s = ct_start(limit_1k, NULL);
    cr_expect_eq(post_size(&s, 900, 1), 200, "chunked body under the limit");
    cr_expect_eq(post_size(&s, 5000, 1), 413, "chunked body over the limit");
    cr_expect_eq(ct_log_count(&s, "echo"), 1, "the handler ran for a refused body");
}

/* Chunks sent by hand, slowly: the 413 must come although no Content-Length announced it. */
CT_TEST(body_limit, raw_chunked_body_over_limit)
{
    ct_server s = ct_start(limit_1k, NULL);
    int fd = th_raw_connect(s.port);
    cr_assert_geq(fd, 0);
    th_raw_send_str(fd, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    char chunk[600];
    memset(chunk, 'y', sizeof(chunk));
    for (int i = 0; i < 4; i++) {
        char size[16];
        snprintf(size, sizeof(size), "%zx\r\n", sizeof(chunk));
        if (th_raw_send_str(fd, size) != 0 || th_raw_send(fd, chunk, sizeof(chunk)) != 0 ||
            th_raw_send_str(fd, "\r\n") != 0)
            break; /* the server may close once it has answered */
        spawn_sleep_ms(50);
    }
    th_raw_send_str(fd, "0\r\n\r\n");
    th_response res;
    int got = th_raw_read_responses(fd, &res, 1, 5000);
    close(fd);
    cr_assert_eq(got, 1, "no response to an oversized chunked body");
    cr_expect_eq(res.status, 413);
    th_response_free(&res);
    cr_expect_eq(ct_log_count(&s, "echo"), 0);
}

CT_TEST(body_limit, env_limit)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FF_BODY_LIMIT=2048", NULL};
    ct_server s = ct_start(args, env);
    cr_expect_eq(post_size(&s, 2048, 0), 200);
    cr_expect_eq(post_size(&s, 2049, 0), 413);
}

CT_TEST(body_limit, flag_overrides_env_limit)
{
    const char *env[] = {"FF_BODY_LIMIT=100", NULL};
    ct_server s = ct_start(limit_1k, env);
    cr_expect_eq(post_size(&s, 1000, 0), 200);
}

CT_TEST(body_limit, default_limit_is_10_mib)
{
    const char *args[] = {"--target", "echo", NULL};
    const char *env[] = {"FF_BODY_LIMIT", NULL}; /* unset: the default applies */
    ct_server s = ct_start(args, env);
    cr_expect_eq(post_size(&s, 11u << 20, 0), 413, "11 MiB accepted with the default limit");
    cr_expect_eq(post_size(&s, 1u << 20, 0), 200, "1 MiB refused with the default limit");
}

/* ---- per-function limit (ff_function_def.max_body) ---------------------------------- */

#define SMALL_LIMIT (64 * 1024) /* the "small" test function's max_body */

static long post_small(const ct_server *s, const char *path, size_t len, int chunked)
{
    char *body = malloc(len + 1), url[128];
    memset(body, 's', len);
    th_request req = {
        .url = ct_url(s, path, url, sizeof(url)), .body = body, .body_len = len, .chunked = chunked};
    th_response res;
    th_http(&req, &res);
    long status = res.status;
    if (status == 200) {
        json_t *j = ct_body_json(&res);
        cr_expect_eq(json_integer_value(json_object_get(j, "bytes")), (json_int_t)len);
        json_decref(j);
    }
    th_response_free(&res);
    free(body);
    return status;
}

CT_TEST(body_limit, function_limit_with_a_target)
{
    const char *args[] = {"--target", "small", NULL};
    ct_server s = ct_start(args, NULL);
    cr_expect_eq(post_small(&s, "/", SMALL_LIMIT, 0), 200, "a body of exactly max_body");
    cr_expect_eq(post_small(&s, "/", SMALL_LIMIT + 1, 0), 413);
    cr_expect_eq(post_small(&s, "/", SMALL_LIMIT / 2, 1), 200, "chunked under max_body");
    cr_expect_eq(post_small(&s, "/", 4 * SMALL_LIMIT, 1), 413, "chunked over max_body");
}

CT_TEST(body_limit, function_limit_in_all_functions_mode)
{
    ct_server s = ct_start(NULL, NULL);
    cr_expect_eq(post_small(&s, "/small", SMALL_LIMIT + 1, 0), 413);
    cr_expect_eq(post_small(&s, "/small", SMALL_LIMIT, 0), 200);
    char url[128], *body = malloc(SMALL_LIMIT * 2);
    memset(body, 'e', SMALL_LIMIT * 2);
    th_request req = {
        .url = ct_url(&s, "/echo", url, sizeof(url)), .body = body, .body_len = SMALL_LIMIT * 2};
    th_response res;
    th_http(&req, &res);
    cr_expect_eq(res.status, 200, "another function is held to the small limit");
    th_response_free(&res);
    free(body);
}

CT_TEST(body_limit, server_limit_stays_the_ceiling)
{
    const char *args[] = {"--target", "small", "--body-limit", "1000", NULL};
    ct_server s = ct_start(args, NULL);
    cr_expect_eq(post_small(&s, "/", 1000, 0), 200);
    cr_expect_eq(post_small(&s, "/", 1001, 0), 413, "max_body above --body-limit raised the ceiling");
}

/* Peak resident set of pid in KiB (VmHWM), or -1. */
static long peak_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib;
}

/*
 * 50 concurrent requests at the limit and far over it (announced or chunked): the
 * oversized ones are refused without being buffered, so the server's peak memory stays
 * small, and it keeps serving.
 */
CT_TEST(body_limit, concurrent_large_bodies_keep_memory_bounded)
{
    const char *args[] = {"--target", "small", NULL};
    ct_server s = ct_start(args, NULL);
    enum { N = 50, BIG = 8 << 20 };
    char *body = malloc(BIG), url[128];
    memset(body, 'b', BIG);
    th_request reqs[N];
    th_async *a[N];
    for (int i = 0; i < N; i++) {
        size_t len = i % 3 == 0 ? SMALL_LIMIT : BIG;
        reqs[i] = (th_request){.url = ct_url(&s, "/", url, sizeof(url)),
                               .body = body,
                               .body_len = len,
                               .chunked = i % 3 == 2,
                               .timeout_ms = 30000};
        a[i] = th_async_start(&reqs[i]);
    }
    int ok = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        th_response res;
        th_async_join(a[i], &res);
        if (i % 3 == 0)
            ok += res.status == 200;
        else if (res.status == 413)
            refused++;
        else
            cr_log_error("request %d (%s) -> %ld, error %d", i, i % 3 == 2 ? "chunked" : "length", res.status,
                         res.error);
        th_response_free(&res);
    }
    free(body);
    cr_expect_eq(ok, (N + 2) / 3, "requests at the limit were not all served");
    cr_expect_eq(refused, N - (N + 2) / 3, "oversized requests were not all refused");
    long kib = peak_rss_kib(spawn_pid(s.proc));
    cr_log_info("server peak RSS after %d concurrent large requests: %ld KiB", N, kib);
    cr_expect(kib > 0 && kib < 64 * 1024, "peak RSS %ld KiB, expected under 64 MiB", kib);
    cr_expect_eq(post_small(&s, "/", 10, 0), 200, "the server stopped serving");
}

/* ---- lingering close ------------------------------------------------------------------ */

#define LINGER_MS    2000                /* FF_LINGER_MS (runtime/src/ff/linger.h) */
#define LINGER_BYTES (16u * 1024 * 1024) /* FF_LINGER_BYTES */

/* Connects and announces a body of 100 MiB, far over limit_1k's 1 KiB. Asserts. */
static int start_oversized_upload(const ct_server *s)
{
    int fd = th_raw_connect(s->port);
    cr_assert_geq(fd, 0);
    cr_assert_eq(th_raw_send_str(fd, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 104857600\r\n\r\n"), 0);
    return fd;
}

/* Sends `total` bytes of body in 16 KiB pieces; returns the bytes sent before a send failed. */
static size_t send_body(int fd, size_t total, int pause_ms)
{
    static char piece[16384];
    memset(piece, 'z', sizeof(piece));
    size_t sent = 0;
    while (sent < total) {
        if (th_raw_send(fd, piece, sizeof(piece)) != 0)
            break;
        sent += sizeof(piece);
        if (pause_ms > 0)
            spawn_sleep_ms(pause_ms);
    }
    return sent;
}

/* Reads until end of stream or error; returns 0 on end of stream, else errno. */
static int read_to_end(int fd, int timeout_ms)
{
    char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        if (poll(&p, 1, timeout_ms) != 1)
            return ETIMEDOUT;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return errno;
    }
}

/*
 * The 413 arrives while the client is still sending its body, and the client goes on
 * sending for a while before it reads (as an HTTP/1.1 client that does not watch for
 * early answers does): the server drains instead of resetting, so nothing the client
 * sends fails, the 413 is there to read, and the connection ends with a FIN.
 */
CT_TEST(body_limit, client_still_uploading_reads_its_413)
{
    ct_server s = ct_start(limit_1k, NULL);
    int fd = start_oversized_upload(&s);
    send_body(fd, 64 * 1024, 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    cr_assert_eq(poll(&p, 1, 5000), 1, "no answer to an oversized upload");
    size_t want = 512 * 1024;
    cr_expect_eq(send_body(fd, want, 5), want, "the upload was cut by a reset after the answer");
    shutdown(fd, SHUT_WR);
    th_response res;
    cr_assert_eq(th_raw_read_responses(fd, &res, 1, 5000), 1, "the 413 was lost");
    cr_expect_eq(res.status, 413);
    th_response_free(&res);
    cr_expect_eq(read_to_end(fd, 5000), 0, "the connection did not end with a FIN");
    close(fd);
    cr_expect_eq(ct_log_count(&s, "echo"), 0);
}

/* A client that never stops sending is cut off after the byte budget. */
CT_TEST(body_limit, lingering_stops_after_its_byte_budget)
{
    ct_server s = ct_start(limit_1k, NULL);
    int fd = start_oversized_upload(&s);
    size_t sent = send_body(fd, 4 * LINGER_BYTES, 0);
    close(fd);
    cr_expect_lt(sent, 4 * LINGER_BYTES, "the server drained %zu bytes without end", sent);
    cr_expect_gt(sent, LINGER_BYTES / 2, "cut off after %zu bytes, before the budget", sent);
}

/* A client that stays connected without sending is cut off after the time budget. */
CT_TEST(body_limit, lingering_stops_after_its_time_budget)
{
    ct_server s = ct_start(limit_1k, NULL);
    int fd = start_oversized_upload(&s);
    th_response res;
    cr_assert_eq(th_raw_read_responses(fd, &res, 1, 5000), 1);
    cr_expect_eq(res.status, 413);
    th_response_free(&res);
    cr_expect_eq(send_body(fd, 16384, 0), 16384, "the server stopped draining at once");
    spawn_sleep_ms(LINGER_MS + 1500);
    /* The first send after the server's close is answered with a reset, the next fails. */
    size_t sent = send_body(fd, 16384, 0);
    spawn_sleep_ms(100);
    sent += send_body(fd, 16384, 0);
    close(fd);
    cr_expect_lt(sent, 2 * 16384, "the connection was still drained after %d ms", LINGER_MS + 1500);
}
