/*
 * test_http_drive.c - the transfer loop of the HTTP client (gcp_http_handle_perform):
 * libcurl is driven with curl_multi_socket_action and the readiness our own poll() saw,
 * so the loop must wait on the right sockets for the right directions, hand libcurl
 * every wake-up and its timeouts, and leave the pooled handle ready for the next call.
 * The peer is a keep-alive HTTP/1.1 server of this file that answers as each test asks:
 * in pieces, chunked, never, or by closing a kept-alive connection between two calls.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../support/spawn.h"
#include "fs_helpers.h"

TestSuite(http_drive, .timeout = 60);

enum ka_mode {
    KA_PLAIN,   /* {"n":<request number>}, the connection kept open */
    KA_LATE,    /* the same after a pause */
    KA_PIECES,  /* the same answer a few bytes at a time, with pauses between */
    KA_CHUNKED, /* a chunked answer in pieces cut inside the chunk framing */
    KA_CLOSE,   /* answer as KA_PLAIN (keep-alive), then close the connection */
    KA_RESET,   /* answer as KA_PLAIN, then reset the connection */
    KA_SILENT,  /* read the request, never answer */
    KA_LARGE,   /* {"len":<request body length>,"sum":<byte sum>} then LARGE_BODY bytes of body */
};

#define LARGE_BODY (5 << 20)

typedef struct ka_server {
    int lfd;
    char host[32];
    pthread_t thread;
    _Atomic int mode, stop;
    atomic_int accepted, requests, closed; /* closed: connections the server ended itself */
} ka_server;

/* Waits until fd is readable or the server stops: 1 readable, 0 stopping. */
static int readable(ka_server *s, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (!s->stop)
        if (poll(&p, 1, 50) > 0)
            return 1;
    return 0;
}

/* Reads one request (head and Content-Length body) into buf; its body length and byte
 * sum, or -1 when the peer closed or the server stops. */
static long read_request(ka_server *s, int fd, char *buf, size_t cap, unsigned long *sum)
{
    size_t len = 0;
    char *end = NULL;
    while (end == NULL) {
        if (len + 1 >= cap || !readable(s, fd))
            return -1;
        ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);
        if (r <= 0)
            return -1;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    long body = cl != NULL && cl < end ? atol(cl + 17) : 0, got = (long)(len - (size_t)(end + 4 - buf));
    *sum = 0;
    for (char *p = end + 4; p < buf + len; p++)
        *sum += (unsigned char)*p;
    while (got < body) {
        if (!readable(s, fd))
            return -1;
        ssize_t r = recv(fd, buf, cap, 0);
        if (r <= 0)
            return -1;
        for (ssize_t i = 0; i < r; i++)
            *sum += (unsigned char)buf[i];
        got += r;
    }
    return body;
}

/* Sends the pieces of text cut at the given offsets, pausing before each. */
static int send_pieces(int fd, const char *text, const size_t *cuts, size_t n_cuts)
{
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : strlen(text);
        if (i > 0)
            usleep(20 * 1000);
        if (th_raw_send(fd, text + at, to - at) != 0)
            return -1;
        at = to;
    }
    return 0;
}

static int answer_large(int fd, long len, unsigned long sum)
{
    char head[256];
    snprintf(head, sizeof(head), "{\"len\":%ld,\"sum\":%lu}", len, sum);
    size_t n = strlen(head);
    char *all = malloc(n + LARGE_BODY);
    if (all == NULL)
        return -1;
    memcpy(all, head, n);
    memset(all + n, ' ', LARGE_BODY);
    char line[128];
    int w = snprintf(line, sizeof(line),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     n + LARGE_BODY);
    int rc = th_raw_send(fd, line, (size_t)w) == 0 && th_raw_send(fd, all, n + LARGE_BODY) == 0 ? 0 : -1;
    free(all);
    return rc;
}

/* Answers one request as the current mode says: 0 to keep the connection, 1 to end it on
 * purpose (KA_CLOSE, KA_RESET), -1 when it failed or ended otherwise. */
static int answer(ka_server *s, int fd, int n, long len, unsigned long sum)
{
    int mode = s->mode;
    char body[64], text[512];
    snprintf(body, sizeof(body), "{\"n\":%d}", n);
    if (mode == KA_SILENT) {
        readable(s, fd); /* until the client gives up and closes */
        return -1;
    }
    if (mode == KA_LARGE)
        return answer_large(fd, len, sum);
    if (mode == KA_CHUNKED) {
        snprintf(text, sizeof(text),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\n{\"n\r\n%zx\r\n%s\r\n0\r\n\r\n",
                 strlen(body) - 3, body + 3);
        size_t head = (size_t)(strstr(text, "\r\n\r\n") + 4 - text);
        const size_t cuts[] = {10, head + 1, head + 6, head + 9, strlen(text) - 3};
        return send_pieces(fd, text, cuts, sizeof(cuts) / sizeof(cuts[0]));
    }
    snprintf(text, sizeof(text),
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    if (mode == KA_PIECES) {
        size_t head = (size_t)(strstr(text, "\r\n\r\n") + 4 - text);
        const size_t cuts[] = {5, head - 2, head, head + 3};
        return send_pieces(fd, text, cuts, sizeof(cuts) / sizeof(cuts[0]));
    }
    if (mode == KA_LATE)
        usleep(50 * 1000);
    if (th_raw_send(fd, text, strlen(text)) != 0)
        return -1;
    if (mode == KA_RESET) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* close() sends a reset */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    return mode == KA_CLOSE || mode == KA_RESET ? 1 : 0;
}

static void *serve(void *arg)
{
    ka_server *s = arg;
    char buf[1 << 16];
    while (readable(s, s->lfd)) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        s->accepted++;
        unsigned long sum;
        long len;
        int rc = -1;
        while ((len = read_request(s, fd, buf, sizeof(buf), &sum)) >= 0 &&
               (rc = answer(s, fd, ++s->requests, len, sum)) == 0)
            ;
        close(fd);
        if (rc == 1)
            s->closed++;
    }
    return NULL;
}

/* A socket listening on 127.0.0.1, a free port (*port), with this accept queue (asserts). */
static int listen_loopback(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, backlog) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A server on 127.0.0.1 (free port) answering as mode says. */
static ka_server *ka_start(int mode)
{
    ka_server *s = calloc(1, sizeof(*s));
    cr_assert_not_null(s);
    s->mode = mode;
    int port;
    s->lfd = listen_loopback(8, &port);
    snprintf(s->host, sizeof(s->host), "127.0.0.1:%d", port);
    cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
    return s;
}

static void ka_stop(ka_server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->lfd);
    free(s);
}

static int call_retry(const char *method, const char *url, int retry, const char *body, size_t body_len,
                      long timeout_ms, long connect_timeout_ms, gcp_http_response *res, ff_error *err)
{
    gcp_http_request req = {.method = method,
                            .url = url,
                            .body = body,
                            .body_len = body_len,
                            .timeout_ms = timeout_ms,
                            .connect_timeout_ms = connect_timeout_ms,
                            .retry = retry,
                            .max_attempts = 1};
    return gcp_http_do(&req, res, err);
}

/* One attempt of a call to url (NO_RETRY: libcurl sending it twice fails the call); its result. */
static int call_url(const char *method, const char *url, const char *body, size_t body_len, long timeout_ms,
                    long connect_timeout_ms, gcp_http_response *res, ff_error *err)
{
    return call_retry(method, url, GCP_HTTP_NO_RETRY, body, body_len, timeout_ms, connect_timeout_ms, res,
                      err);
}

/* A call to s that must answer 200 with {"n":n}, in one attempt. */
static void expect_nth(ka_server *s, const char *method, int n)
{
    char url[128], want[32];
    snprintf(url, sizeof(url), "http://%s/v1/x", s->host);
    snprintf(want, sizeof(want), "{\"n\":%d}", n);
    gcp_http_response res;
    ff_error err = {0};
    int post = strcmp(method, "POST") == 0;
    cr_assert_eq(call_url(method, url, post ? "{}" : NULL, post ? 2 : 0, 10000, 0, &res, &err), GCP_HTTP_OK,
                 "call %d: %s", n, err.message);
    cr_expect_eq(res.status, 200, "call %d: status %ld", n, res.status);
    cr_expect_str_eq(res.body, want, "call %d", n);
    cr_expect_eq(res.attempts, 1, "call %d", n);
    gcp_http_response_free(&res);
}

/* A call that must fail as a transport error whose message names `why`. */
static void expect_failure(const char *url, long timeout_ms, long connect_timeout_ms, const char *why)
{
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(call_url("GET", url, NULL, 0, timeout_ms, connect_timeout_ms, &res, &err),
                 GCP_HTTP_ERR_TRANSPORT, "status %ld", res.status);
    cr_expect(strstr(err.message, why) != NULL, "not \"%s\": %s", why, err.message);
    cr_expect_eq(res.status, 0);
    gcp_http_response_free(&res);
}

/* After an answer the server ends the connection (KA_CLOSE, KA_RESET): waits for that,
 * and serves plainly from then on. */
static void wait_closed(ka_server *s)
{
    while (s->closed == 0)
        usleep(1000);
    usleep(20 * 1000); /* margin for the FIN or reset to reach our socket */
    s->mode = KA_PLAIN;
}

Test(http_drive, calls_reuse_one_kept_alive_connection)
{
    ka_server *s = ka_start(KA_PLAIN);
    for (int n = 1; n <= 4; n++)
        expect_nth(s, n % 2 ? "GET" : "POST", n);
    cr_expect_eq(s->accepted, 1, "%d connections for 4 calls", (int)s->accepted);
    ka_stop(s);
}

/* Every piece is a wake-up of the loop; the answer is whole and the connection reused. */
Test(http_drive, answer_in_pieces_is_read_whole)
{
    ka_server *s = ka_start(KA_PIECES);
    expect_nth(s, "GET", 1);
    expect_nth(s, "POST", 2);
    s->mode = KA_CHUNKED;
    expect_nth(s, "GET", 3);
    expect_nth(s, "POST", 4);
    cr_expect_eq(s->accepted, 1, "%d connections", (int)s->accepted);
    ka_stop(s);
}

/* The server ends a kept-alive connection between two calls: the next call finds it dead
 * before sending and sends on a new connection, no error. Sent on the dead one first,
 * libcurl would send it again by itself: two attempts, which a NO_RETRY call reports as
 * a transport error (test_http_faults.c). */
Test(http_drive, kept_alive_connection_closed_by_the_server_is_replaced)
{
    ka_server *s = ka_start(KA_CLOSE);
    expect_nth(s, "GET", 1);
    wait_closed(s);
    expect_nth(s, "POST", 2);
    cr_expect_eq(s->accepted, 2, "%d connections", (int)s->accepted);
    expect_nth(s, "GET", 3);
    cr_expect_eq(s->accepted, 2, "the new connection was not kept");
    ka_stop(s);
}

/* Reset instead: libcurl 7.88's check takes the connection for alive (its MSG_PEEK recv
 * fails with ECONNRESET, and it looks for 0 only), the send fails (EPIPE) and libcurl
 * sends the request again on a new connection. A call that may be repeated gets its
 * answer; the next call uses the new connection. */
Test(http_drive, kept_alive_connection_reset_by_the_server_is_replaced)
{
    ka_server *s = ka_start(KA_RESET);
    expect_nth(s, "GET", 1);
    wait_closed(s);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/v1/x", s->host);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(call_retry("GET", url, GCP_HTTP_RETRY_SAFE, NULL, 0, 10000, 0, &res, &err), GCP_HTTP_OK,
                 "%s", err.message);
    cr_expect_eq(res.status, 200);
    cr_expect_str_eq(res.body, "{\"n\":2}");
    gcp_http_response_free(&res);
    expect_nth(s, "GET", 3);
    cr_expect_eq(s->accepted, 2, "%d connections", (int)s->accepted);
    ka_stop(s);
}

/* Refused: the loop sees the connect fail at once (not the 20 s timeout), same error. */
Test(http_drive, refused_connection_fails_with_couldnt_connect)
{
    char url[128];
    snprintf(url, sizeof(url), "http://%s/v1/x", fst_closed_host());
    expect_failure(url, 20000, 20000, "Couldn't connect to server");
}

/* The socket never becomes readable: libcurl's timer ends the call; the handle then
 * serves the next call (on a new connection: the timed-out one is closed). */
Test(http_drive, silent_server_times_out_and_the_handle_serves_again)
{
    ka_server *s = ka_start(KA_SILENT);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/v1/x", s->host);
    expect_failure(url, 300, 0, "Timeout was reached");
    s->mode = KA_PLAIN;
    expect_nth(s, "GET", 2);
    cr_expect_eq(s->accepted, 2, "%d connections", (int)s->accepted);
    ka_stop(s);
}

/* The socket never becomes writable: a full accept queue drops the SYN, the connect
 * timeout ends the call. */
Test(http_drive, connect_that_never_completes_times_out)
{
    int port, lfd = listen_loopback(0, &port), filler = th_raw_connect(port);
    cr_assert(filler >= 0, "the filler fills the queue of 1");
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/x", port);
    expect_failure(url, 20000, 300, "Timeout was reached");
    close(filler);
    close(lfd);
}

/* 3 MiB up (the socket watched for writing while the body goes out) and 5 MiB down (more
 * than libcurl reads in one go: it asks to be called again at once). */
Test(http_drive, large_bodies_both_ways)
{
    ka_server *s = ka_start(KA_LARGE);
    size_t n = 3 << 20;
    char *up = malloc(n);
    cr_assert_not_null(up);
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (unsigned char)(up[i] = (char)('a' + i % 26));
    char url[128], want[64];
    snprintf(url, sizeof(url), "http://%s/v1/x", s->host);
    snprintf(want, sizeof(want), "{\"len\":%zu,\"sum\":%lu}", n, sum);
    for (int i = 0; i < 2; i++) {
        gcp_http_response res;
        ff_error err = {0};
        cr_assert_eq(call_url("POST", url, up, n, 20000, 0, &res, &err), GCP_HTTP_OK, "%s", err.message);
        cr_expect_eq(res.status, 200);
        cr_expect_eq(res.body_len, strlen(want) + LARGE_BODY);
        cr_expect(strncmp(res.body, want, strlen(want)) == 0, "%.80s", res.body);
        gcp_http_response_free(&res);
    }
    cr_expect_eq(s->accepted, 1, "%d connections", (int)s->accepted);
    free(up);
    ka_stop(s);
}

/* "localhost" (libcurl resolves it itself, to ::1 and 127.0.0.1): where IPv6 works an
 * attempt on ::1, refused, beside the one on 127.0.0.1. */
Test(http_drive, localhost_is_reached)
{
    ka_server *s = ka_start(KA_PLAIN);
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%s/v1/x", strchr(s->host, ':') + 1);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(call_url("GET", url, NULL, 0, 10000, 0, &res, &err), GCP_HTTP_OK, "%s", err.message);
    cr_expect_eq(res.status, 200);
    cr_expect_str_eq(res.body, "{\"n\":1}");
    gcp_http_response_free(&res);
    ka_stop(s);
}

/* A name that does not resolve (RFC 6761 .invalid): the resolver's thread answers through
 * a socket of its own the loop watches; the call fails as before. */
Test(http_drive, unresolvable_name_fails_with_couldnt_resolve)
{
    expect_failure("http://gcp-http-drive.invalid/v1/x", 30000, 30000, "Couldn't resolve host name");
}

/*
 * What the loop is for: once poll() has seen the answer arrive, libcurl reads it without
 * polling the socket again. Counted by this poll(), which stands in for libc's in this
 * binary (libcurl's calls too) and counts on the test's thread only: after the wait (a
 * poll with a timeout that found something), no poll with timeout 0 may follow. The
 * answer comes late so that the call waits for it.
 */
static __thread struct {
    int on, waited, checks_after_wait;
} t_polls;

static int (*real_poll)(struct pollfd *, nfds_t, int);

static void find_real_poll(void)
{
    real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_real_poll);
    int r = real_poll(fds, n, timeout_ms);
    if (t_polls.on && timeout_ms == 0 && t_polls.waited)
        t_polls.checks_after_wait++;
    if (t_polls.on && timeout_ms != 0 && r > 0)
        t_polls.waited = 1;
    return r;
}

Test(http_drive, answer_is_read_without_polling_again)
{
    ka_server *s = ka_start(KA_LATE);
    expect_nth(s, "GET", 1); /* the connection the next calls reuse */
    for (int n = 2; n <= 3; n++) {
        t_polls.on = 1;
        t_polls.waited = t_polls.checks_after_wait = 0;
        expect_nth(s, "GET", n);
        t_polls.on = 0;
        cr_expect_eq(t_polls.checks_after_wait, 0, "call %d: %d poll(0) after the wait", n,
                     t_polls.checks_after_wait);
    }
    cr_expect_eq(s->accepted, 1);
    ka_stop(s);
}
