/*
 * e2e.c - the process and HTTP side of the end-to-end helpers (see e2e.h): servers and
 * their checks, requests and error bodies, tokens, logs. Documents: e2e_docs.c.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"

#define READY_TIMEOUT_MS 20000 /* generous: sanitizer builds start slowly */
#define STOP_TIMEOUT_MS  8000

static e2e_server g_servers[16]; /* servers this test started (one test per process) */
static size_t g_n_servers;
static fs_db *g_dbs[4]; /* database handles this test opened */
static size_t g_n_dbs;

/* ---- servers ------------------------------------------------------------------------ */

static const char *bin(void)
{
    const char *b = getenv("FF_TEST_FUNCTIONS_BIN");
    return b != NULL && *b != '\0' ? b : "build/bin/functions-test";
}

void e2e_new_project(char out[64])
{
    unsigned char r[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0 && read(fd, r, sizeof(r)) == (ssize_t)sizeof(r), "cannot read /dev/urandom");
    close(fd);
    int n = snprintf(out, 64, "demo-e2e-");
    for (size_t i = 0; i < sizeof(r); i++)
        n += snprintf(out + n, 64 - (size_t)n, "%02x", r[i]);
}

e2e_server e2e_server_spawn(const char *gcp_project, const char *const env[])
{
    e2e_server s = {.port = spawn_free_port()};
    cr_assert_gt(s.port, 0, "no free port");
    snprintf(s.gcp_project, sizeof(s.gcp_project), "%s", gcp_project);
    snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d", s.port);
    char port[16], project[96];
    snprintf(port, sizeof(port), "%d", s.port);
    snprintf(project, sizeof(project), "GOOGLE_CLOUD_PROJECT=%s", gcp_project);
    const char *defaults[] = {project,           "TRANSFORM_STUB_DURATION_MS=0", "FF_SHUTDOWN_GRACE=3",
                              "AUTH_REQUIRED=0", "FIREBASE_AUTH_EMULATOR_HOST",  NULL};
    const char *merged[48];
    spawn_env_merge(defaults, env, merged, sizeof(merged) / sizeof(merged[0]));
    const char *args[] = {"--host", "127.0.0.1", "--port", port, NULL};
    s.start_ms = spawn_now_ms();
    s.proc = spawn_start(bin(), args, merged);
    cr_assert_not_null(s.proc, "cannot start %s", bin());
    return s;
}

static void dump_stderr(const e2e_server *s)
{
    char *err = spawn_read_stderr(s->proc, NULL);
    cr_log_error("server stderr: %s", err ? err : "(none)");
    free(err);
}

void e2e_server_wait_ready(e2e_server *s)
{
    if (spawn_wait_stdout(s->proc, "serving on port", READY_TIMEOUT_MS) != 0) {
        dump_stderr(s);
        cr_assert_fail("server (project %s) did not become ready on port %d", s->gcp_project, s->port);
    }
    e2e_timing("server start -> ready (queue created)", spawn_now_ms() - s->start_ms);
    if (g_n_servers < sizeof(g_servers) / sizeof(g_servers[0]))
        g_servers[g_n_servers++] = *s;
}

void e2e_check_servers(void)
{
    for (size_t i = 0; i < g_n_servers; i++) {
        const e2e_server *s = &g_servers[i];
        int rc = spawn_stop(s->proc, SIGTERM, STOP_TIMEOUT_MS);
        cr_expect_eq(rc, 0, "server pid %d (project %s) exited with %d after SIGTERM",
                     (int)spawn_pid(s->proc), s->gcp_project, rc);
        char *err = spawn_read_stderr(s->proc, NULL);
        if (rc != 0)
            cr_log_error("stderr of pid %d: %.3000s", (int)spawn_pid(s->proc), err ? err : "");
        const char *hit = err ? strstr(err, "Sanitizer") : NULL;
        if (hit == NULL && err != NULL)
            hit = strstr(err, "runtime error:");
        cr_expect_null(hit, "server pid %d reported: %.2000s", (int)spawn_pid(s->proc), hit);
        free(err);
    }
    g_n_servers = 0;
}

static void close_dbs(void)
{
    for (size_t i = 0; i < g_n_dbs; i++)
        fs_db_close(g_dbs[i]);
    g_n_dbs = 0;
}

void e2e_end(void)
{
    e2e_check_servers();
    close_dbs();
}

void e2e_fini(void)
{
    g_n_servers = 0;
    close_dbs();
    spawn_free_all();
}

void e2e_init(e2e *t, const char *const env[])
{
    char project[64];
    e2e_new_project(project);
    e2e_init_project(t, project, env);
}

void e2e_init_project(e2e *t, const char *project, const char *const env[])
{
    memset(t, 0, sizeof(*t));
    t->srv = e2e_server_spawn(project, env);
    e2e_server_wait_ready(&t->srv);
    ff_error err = {0};
    fs_options opts = {.project_id = t->srv.gcp_project};
    t->db = fs_db_open(&opts, &err);
    cr_assert_not_null(t->db, "fs_db_open: %s", err.message);
    if (g_n_dbs < sizeof(g_dbs) / sizeof(g_dbs[0]))
        g_dbs[g_n_dbs++] = t->db;
    t->project = "p1";
    t->session = "s1";
    t->workspace = "w1";
    t->experience = "e1";
}

/* ---- HTTP ----------------------------------------------------------------------------- */

void e2e_http(const e2e_server *s, const char *method, const char *path, const char *const headers[],
              const char *body, th_response *res)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    th_request req = {.method = method,
                      .url = url,
                      .headers = headers,
                      .body = body,
                      .body_len = body ? strlen(body) : 0,
                      .timeout_ms = 30000};
    th_http(&req, res);
    cr_assert_eq(res->error, 0, "%s %s: transport error %d", method ? method : "GET", path, res->error);
}

void e2e_post_start(e2e *t, const char *query, const char *body, th_response *res)
{
    char path[1024];
    if (query == NULL)
        snprintf(path, sizeof(path), "/startTransformPipeline?projectId=%s", t->project);
    else
        snprintf(path, sizeof(path), "/startTransformPipeline%s%s", *query ? "?" : "", query);
    const char *headers[] = {"Content-Type: application/json", t->auth, NULL};
    e2e_http(&t->srv, "POST", path, headers, body, res);
}

void e2e_request_job(e2e *t, th_response *res)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"sessionId\":\"%s\",\"stepId\":\"step-1\"}", t->session);
    e2e_post_start(t, NULL, body, res);
}

const char *e2e_start_job(e2e *t)
{
    th_response res;
    e2e_request_job(t, &res);
    cr_assert_eq(res.status, 200, "start: %ld %s", res.status, res.body);
    json_t *b = e2e_body(&res);
    cr_expect(json_is_true(json_object_get(b, "success")), "success is not true: %s", res.body);
    cr_expect(json_is_string(json_object_get(b, "message")), "no message: %s", res.body);
    const char *id = json_string_value(json_object_get(b, "jobId"));
    cr_assert(id != NULL && *id, "no jobId: %s", res.body);
    snprintf(t->job_id, sizeof(t->job_id), "%s", id);
    json_decref(b);
    th_response_free(&res);
    return t->job_id;
}

void e2e_post_task(e2e *t, const char *body, th_response *res)
{
    const char *headers[] = {"Content-Type: application/json", NULL};
    e2e_http(&t->srv, "POST", "/transformPipelineJob", headers, body, res);
}

char *e2e_task_body(const char *job_id, const char *session_id, const char *project_id)
{
    json_t *j = json_pack("{s:{s:s, s:s, s:s}}", "data", "jobId", job_id, "sessionId", session_id,
                          "projectId", project_id);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

void e2e_expect_start_refused(e2e *t, long status, const char *code)
{
    e2e_state before = e2e_capture(t);
    th_response res;
    e2e_request_job(t, &res);
    e2e_expect_error(&res, status, code);
    th_response_free(&res);
    e2e_expect_unchanged(t, &before);
}

void e2e_post_concurrently(const e2e_server *s, const char *path, const char *const headers[],
                           const char *body, size_t len, int n, long status, const char *code)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    th_request req = {
        .method = "POST", .url = url, .headers = headers, .body = body, .body_len = len, .timeout_ms = 30000};
    th_async **a = calloc((size_t)n, sizeof(*a));
    cr_assert_not_null(a);
    for (int i = 0; i < n; i++)
        a[i] = th_async_start(&req);
    for (int i = 0; i < n; i++) {
        th_response res;
        th_async_join(a[i], &res);
        if (code != NULL)
            e2e_expect_error(&res, status, code);
        else
            cr_expect_eq(res.status, status, "expected %ld, got %ld %.300s", status, res.status, res.body);
        th_response_free(&res);
    }
    free(a);
}

json_t *e2e_body(const th_response *res)
{
    json_error_t jerr;
    json_t *j = json_loadb(res->body, res->body_len, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(j, "response body is not JSON (%s): %.300s", jerr.text, res->body);
    return j;
}

void e2e_expect_error(const th_response *res, long status, const char *code)
{
    cr_expect_eq(res->status, status, "expected %ld %s, got %ld %.300s", status, code, res->status,
                 res->body);
    json_t *b = e2e_body(res);
    json_t *e = json_object_get(b, "error");
    cr_expect_eq(json_object_size(b), 2, "error body keys: %s", res->body);
    cr_expect(json_is_false(json_object_get(b, "success")), "success is not false: %s", res->body);
    cr_expect_eq(json_object_size(e), 2, "error object keys: %s", res->body);
    cr_expect_str_eq(json_string_value(json_object_get(e, "code")) ?: "(none)", code, "%s", res->body);
    const char *msg = json_string_value(json_object_get(e, "message"));
    cr_expect(msg != NULL && *msg && strlen(msg) < 200, "bad message: %s", res->body);
    if (msg != NULL) {
        static const char *const leaks[] = {"projects/", "firestore", "databases/",   "http://",
                                            "curl",      ".c:",       "precondition", "demo-e2e-"};
        for (size_t i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++)
            cr_expect_null(strcasestr(msg, leaks[i]), "message carries internal detail (%s): %s", leaks[i],
                           msg);
    }
    json_decref(b);
}
/* ---- auth ----------------------------------------------------------------------------- */

static char *b64url(const char *in)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(in), o = 0;
    char *out = malloc(len / 3 * 4 + 5);
    cr_assert_not_null(out);
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)in[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = abc[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
    return out;
}

char *e2e_token(const char *gcp_project, const char *uid, const json_t *claims, long exp_offset_s)
{
    long now = (long)time(NULL);
    char iss[128];
    snprintf(iss, sizeof(iss), "https://securetoken.google.com/%s", gcp_project);
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss", iss, "aud", gcp_project, "sub", uid,
                          "user_id", uid, "iat", (json_int_t)(now - 10), "exp",
                          (json_int_t)(now + exp_offset_s), "auth_time", (json_int_t)(now - 10));
    if (claims != NULL)
        json_object_update(p, (json_t *)claims);
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    char *h = b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}"), *b = b64url(payload);
    size_t n = strlen(h) + strlen(b) + 3;
    char *tok = malloc(n);
    cr_assert_not_null(tok);
    snprintf(tok, n, "%s.%s.", h, b);
    free(h);
    free(b);
    free(payload);
    return tok;
}

char *e2e_bearer(const char *gcp_project, const char *uid, const json_t *claims, long exp_offset_s)
{
    char *tok = e2e_token(gcp_project, uid, claims, exp_offset_s), *line = NULL;
    cr_assert_geq(asprintf(&line, "Authorization: Bearer %s", tok), 0);
    free(tok);
    return line;
}

/* ---- logs ----------------------------------------------------------------------------- */

json_t *e2e_log_entries(const e2e_server *s)
{
    json_t *out = json_array();
    char *text = spawn_read_stdout(s->proc, NULL);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next == NULL)
            break; /* a partial last line */
        *next++ = '\0';
        json_t *j = json_loads(line, 0, NULL);
        if (json_is_object(j))
            json_array_append(out, j);
        json_decref(j);
    }
    free(text);
    return out;
}

size_t e2e_log_count(const e2e_server *s, const char *message, const char *job_id)
{
    json_t *entries = e2e_log_entries(s), *e;
    size_t i, n = 0;
    json_array_foreach(entries, i, e)
    {
        const char *m = json_string_value(json_object_get(e, "message"));
        const char *j = json_string_value(json_object_get(e, "jobId"));
        n += m && j && strncmp(m, message, strlen(message)) == 0 && strcmp(j, job_id) == 0;
    }
    json_decref(entries);
    return n;
}

void e2e_timing(const char *what, int64_t ms)
{
    const char *on = getenv("FF_E2E_TIMINGS");
    if (on != NULL && strcmp(on, "1") == 0)
        fprintf(stderr, "[e2e timing] %s: %lld ms\n", what, (long long)ms);
}
