/*
 * test_hostile.c - drives the hostile-input table (hostile.h, rows in hostile_cases.c):
 * one Criterion parameterized test per row, each with a fresh world and server.
 *
 * Per row: send the request (curl, or a raw socket for bytes curl will not send), check
 * the answer against the row, check nothing was written (no job anywhere in the
 * project's database, session s1 and job j1 with the same updateTime), then check the
 * server still serves: the process is alive, a valid task completes job j1 and a valid
 * start request creates a job. A row that expects no answer keeps its connection open
 * during those follow-ups (the half-sent request must not hold a worker) and then
 * expects the server to close it.
 */
#include <criterion/parameterized.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "hostile.h"

#define ANSWER_TIMEOUT_MS 15000
#define SILENCE_MS        1000  /* how long a row expecting no answer is listened to first */
#define CLOSE_TIMEOUT_MS  15000 /* the HTTP layer's I/O timeout is 10 s */
#define FOLLOW_UP_MS      5000

static const char *valid_body(const hx_case *c)
{
    return c->fn == HX_START ? HW_START_BODY : HW_TASK_BODY;
}

static void send_curl(const hw_server *s, const hx_case *c, const hx_req *r, th_response *res)
{
    char *path = hx_path(c, r->query ? r->query : c->query ? c->query : "projectId=" HW_PROJECT);
    char *url = NULL, ctype[160];
    cr_assert(path != NULL && asprintf(&url, "%s%s", s->base, path) > 0, "out of memory");
    const char *headers[] = {"Content-Type: application/json", NULL};
    if (c->ctype != NULL) {
        snprintf(ctype, sizeof(ctype), "Content-Type:%s%s", *c->ctype ? " " : "", c->ctype);
        headers[0] = ctype; /* "Content-Type:" alone: curl sends none */
    }
    const char *body = r->body ? r->body : c->body ? c->body : valid_body(c);
    th_request req = {.method = c->method ? c->method : "POST",
                      .url = url,
                      .headers = headers,
                      .body = body,
                      .body_len = r->body ? r->body_len : strlen(body),
                      .timeout_ms = ANSWER_TIMEOUT_MS};
    th_http(&req, res);
    free(url);
    free(path);
}

/* Sends the raw request and reads at most one answer. Returns the connection. */
static int send_raw(const hw_server *s, const hx_case *c, const hx_req *r, th_response *res)
{
    int fd = th_raw_connect(s->port);
    cr_assert_geq(fd, 0, "%s: cannot connect", c->name);
    th_raw_send(fd, r->raw, r->raw_len); /* may fail when the server closes early: an answer too */
    th_raw_read_responses(fd, res, 1, c->status == HX_CLOSED ? SILENCE_MS : ANSWER_TIMEOUT_MS);
    return fd;
}

static void expect_answer(const hx_case *c, const th_response *res)
{
    if (c->status == HX_CLOSED) {
        cr_expect_eq(res->status, 0, "%s: answered %ld to an unfinished request: %.200s", c->name,
                     res->status, res->body);
    } else if (c->status == HX_4XX_OR_CLOSE) {
        cr_expect(res->status == 0 || (res->status >= 400 && res->status < 500),
                  "%s: status %ld, expected a 4xx or a closed connection", c->name, res->status);
    } else if (c->code != NULL) {
        hw_expect_error(res, c->status, c->code, c->name);
    } else if (c->status < 300) {
        hw_expect_success(res, c->status, c->name);
    } else {
        cr_expect_eq(res->status, c->status, "%s: status %ld, expected %ld: %.200s", c->name, res->status,
                     c->status, res->body);
    }
}

/* The server answers normal requests to both functions, quickly. */
static void expect_still_serving(hw *w, const hw_server *s, const char *name)
{
    hw_expect_alive(s);
    char what[200];
    snprintf(what, sizeof(what), "%s: follow-up task", name);
    th_response res = {0};
    hw_post(s, "/transformPipelineJob", HW_TASK_BODY, &res);
    hw_expect_success(&res, 200, what);
    cr_expect_lt(res.elapsed_ms, FOLLOW_UP_MS, "%s took %lld ms", what, (long long)res.elapsed_ms);
    th_response_free(&res);
    fs_doc *job = hw_get(w, HW_JOB_PATH);
    cr_expect_str_eq(hw_str(job, "status"), "completed", "%s: job " HW_JOB " not completed", what);
    fs_doc_free(job);
    char id[64];
    int64_t t0 = spawn_now_ms();
    cr_expect_eq(hw_start_job(s, id), 0, "%s: follow-up start request failed", name);
    cr_expect_lt(spawn_now_ms() - t0, FOLLOW_UP_MS, "%s: follow-up start request was slow", name);
    hw_expect_alive(s);
}

/* The server closes the connection (EOF or reset) and sends nothing more. */
static void expect_closed(int fd, const char *name)
{
    int64_t end = spawn_now_ms() + CLOSE_TIMEOUT_MS;
    char buf[512];
    for (;;) {
        int left = (int)(end - spawn_now_ms());
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0) {
            cr_expect_fail("%s: connection still open after %d ms", name, CLOSE_TIMEOUT_MS);
            return;
        }
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            return;
        cr_expect_fail("%s: unexpected bytes on the connection: %.*s", name, (int)n, buf);
        return;
    }
}

/* Rows are passed by index: a test may run in a fresh process, where pointers of the
 * parent (strings, builders) mean nothing, so the parameter must be plain data. */
ParameterizedTestParameters(hostile, table)
{
    size_t *rows = cr_malloc(hx_n_cases * sizeof(*rows));
    cr_assert_not_null(rows);
    for (size_t i = 0; i < hx_n_cases; i++)
        rows[i] = i;
    return cr_make_param_array(size_t, rows, hx_n_cases);
}

ParameterizedTest(size_t *row, hostile, table, .fini = hw_fini)
{
    const hx_case *c = &hx_cases[*row];
    cr_log_info("row: %s", c->name);
    hw w;
    hw_init(&w);
    hw_seed(&w);
    hw_seed_job(&w);
    hw_server s = hw_start(&w, NULL);
    hw_state before = hw_capture(&w);
    hx_req r = {0};
    if (c->build != NULL)
        c->build(c, &r);
    th_response res = {0};
    int fd = -1;
    if (r.raw != NULL)
        fd = send_raw(&s, c, &r, &res);
    else
        send_curl(&s, c, &r, &res);
    expect_answer(c, &res);
    hw_expect_unchanged(&w, &before, c->name);
    expect_still_serving(&w, &s, c->name);
    if (c->status == HX_CLOSED || (c->status == HX_4XX_OR_CLOSE && res.status == 0))
        expect_closed(fd, c->name);
    if (fd >= 0)
        close(fd);
    th_response_free(&res);
    free(r.query);
    free(r.body);
    free(r.raw);
    hw_done();
}
