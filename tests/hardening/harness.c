/*
 * harness.c - one test's world for the hardening and faults suites (see harness.h):
 * servers, seeding, reading documents, "nothing was written" snapshots, HTTP helpers.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define READY_TIMEOUT_MS 20000 /* generous: sanitizer builds start slowly */
#define STOP_TIMEOUT_MS  8000
#define POLL_MS          25

static hw_server g_servers[8]; /* servers this test started (one test per process) */
static size_t g_n_servers;
static fs_db *g_db; /* the test's handle, closed at the end */

/* ---- servers ------------------------------------------------------------------------- */

static const char *bin(void)
{
    const char *b = getenv("FF_TEST_FUNCTIONS_BIN");
    return b != NULL && *b != '\0' ? b : "build/bin/functions-test";
}

void hw_init(hw *w)
{
    memset(w, 0, sizeof(*w));
    unsigned char r[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    cr_assert(fd >= 0 && read(fd, r, sizeof(r)) == (ssize_t)sizeof(r), "cannot read /dev/urandom");
    close(fd);
    int n = snprintf(w->gcp, sizeof(w->gcp), "demo-h-");
    for (size_t i = 0; i < sizeof(r); i++)
        n += snprintf(w->gcp + n, sizeof(w->gcp) - (size_t)n, "%02x", r[i]);
    ff_error err = {0};
    fs_options opts = {.project_id = w->gcp};
    w->db = g_db = fs_db_open(&opts, &err);
    cr_assert_not_null(w->db, "fs_db_open: %s", err.message);
}

hw_server hw_start(hw *w, const char *const env[])
{
    hw_server s = {.port = spawn_free_port()};
    cr_assert_gt(s.port, 0, "no free port");
    snprintf(s.base, sizeof(s.base), "http://127.0.0.1:%d", s.port);
    char port[16], project[96];
    snprintf(port, sizeof(port), "%d", s.port);
    snprintf(project, sizeof(project), "GOOGLE_CLOUD_PROJECT=%s", w->gcp);
    const char *defaults[] = {project,
                              "TRANSFORM_STUB_DURATION_MS=0",
                              "FF_SHUTDOWN_GRACE=3",
                              "AUTH_REQUIRED=0",
                              "FIREBASE_AUTH_EMULATOR_HOST",
                              "TRANSFORM_JOB_URL",
                              NULL};
    const char *merged[48];
    spawn_env_merge(defaults, env, merged, sizeof(merged) / sizeof(merged[0]));
    const char *args[] = {"--host", "127.0.0.1", "--port", port, NULL};
    s.proc = spawn_start(bin(), args, merged);
    cr_assert_not_null(s.proc, "cannot start %s", bin());
    if (spawn_wait_stdout(s.proc, "serving on port", READY_TIMEOUT_MS) != 0) {
        char *err = spawn_read_stderr(s.proc, NULL);
        cr_log_error("server stderr: %s", err ? err : "(none)");
        free(err);
        cr_assert_fail("server (project %s) did not become ready on port %d", w->gcp, s.port);
    }
    cr_assert_lt(g_n_servers, sizeof(g_servers) / sizeof(g_servers[0]), "too many servers");
    g_servers[g_n_servers++] = s;
    return s;
}

void hw_kill(hw_server *s)
{
    spawn_stop(s->proc, SIGKILL, STOP_TIMEOUT_MS);
    for (size_t i = 0; i < g_n_servers; i++)
        if (g_servers[i].proc == s->proc)
            g_servers[i] = g_servers[--g_n_servers];
}

void hw_expect_alive(const hw_server *s)
{
    cr_expect_eq(spawn_wait(s->proc, 0), SPAWN_RUNNING, "server pid %d is gone", (int)spawn_pid(s->proc));
}

void hw_done(void)
{
    for (size_t i = 0; i < g_n_servers; i++)
        spawn_kill(g_servers[i].proc, SIGTERM); /* all at once: a clean exit lets LSan report */
    for (size_t i = 0; i < g_n_servers; i++) {
        spawn_proc *p = g_servers[i].proc;
        int rc = spawn_stop(p, SIGTERM, STOP_TIMEOUT_MS);
        char *err = spawn_read_stderr(p, NULL);
        cr_expect_eq(rc, 0, "server pid %d exited with %d after SIGTERM; stderr: %.2000s", (int)spawn_pid(p),
                     rc, err ? err : "");
        const char *hit = err ? strstr(err, "Sanitizer") : NULL;
        if (hit == NULL && err != NULL)
            hit = strstr(err, "runtime error:");
        cr_expect_null(hit, "server pid %d reported: %.2000s", (int)spawn_pid(p), hit);
        free(err);
    }
    g_n_servers = 0;
    fs_db_close(g_db);
    g_db = NULL;
}

void hw_fini(void)
{
    g_n_servers = 0;
    spawn_free_all();
    fs_db_close(g_db);
    g_db = NULL;
}

/* ---- documents --------------------------------------------------------------------------- */

void hw_put(hw *w, const char *path, json_t *doc)
{
    ff_error err = {0};
    int rc = fs_doc_set(w->db, path, doc, NULL, NULL, &err);
    json_decref(doc);
    cr_assert_eq(rc, 0, "seeding %s: %s", path, err.message);
}

static json_t *transform(const char *node)
{
    return json_pack("{s:[{s:s, s:s, s:{}}], s:[], s:n}", "nodes", "id", node, "type", "ai.imageGeneration",
                     "config", "variableMappings", "outputFormat");
}

static json_t *answers_json(json_int_t now)
{
    return json_pack("[{s:s, s:s, s:i, s:I}]", "stepId", "q1", "stepType", "input.scale", "value", 4,
                     "answeredAt", now);
}

static json_t *media_json(json_int_t now)
{
    return json_pack("[{s:s, s:s, s:s, s:I}]", "stepId", "c1", "assetId", "a1", "url",
                     "https://example.com/a1.jpg", "createdAt", now);
}

void hw_seed(hw *w)
{
    json_int_t now = (json_int_t)ff_now_ms();
    json_t *session =
        json_pack("{s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:o, s:o, s:n, s:n, s:n, s:n, s:I, "
                  "s:I, s:n}",
                  "id", HW_SESSION, "projectId", HW_PROJECT, "workspaceId", HW_WORKSPACE, "eventId",
                  "experienceId", HW_EXPERIENCE, "mode", "guest", "configSource", "published", "status",
                  "active", "answers", answers_json(now), "capturedMedia", media_json(now), "resultMedia",
                  "jobId", "jobStatus", "createdBy", "createdAt", now, "updatedAt", now, "completedAt");
    json_t *experience =
        json_pack("{s:s, s:s, s:s, s:s, s:n, s:I, s:I, s:n, s:{s:[], s:o}, s:{s:[], s:o}, "
                  "s:i, s:i, s:I, s:s}",
                  "id", HW_EXPERIENCE, "name", "Hardening", "status", "active", "profile", "freeform",
                  "media", "createdAt", now, "updatedAt", now, "deletedAt", "draft", "steps", "transform",
                  transform("n-draft"), "published", "steps", "transform", transform("n-published"),
                  "draftVersion", 3, "publishedVersion", 2, "publishedAt", now, "publishedBy", "admin");
    cr_assert(session && experience, "fixture json_pack failed");
    hw_put(w, HW_SESSION_PATH, session);
    hw_put(w, "workspaces/" HW_WORKSPACE "/experiences/" HW_EXPERIENCE, experience);
}

void hw_seed_job(hw *w)
{
    json_int_t now = (json_int_t)ff_now_ms();
    json_t *job =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:n, s:n, s:{s:{s:o, s:o}, s:o, s:{s:n, s:b, "
                  "s:n}, s:{s:i, s:n}}, s:I, s:I, s:n, s:n}",
                  "id", HW_JOB, "projectId", HW_PROJECT, "sessionId", HW_SESSION, "experienceId",
                  HW_EXPERIENCE, "stepId", "step-1", "status", "pending", "progress", "output", "error",
                  "snapshot", "sessionInputs", "answers", answers_json(now), "capturedMedia", media_json(now),
                  "transformConfig", transform("n-published"), "eventContext", "overlay", "applyOverlay", 0,
                  "experienceRef", "versions", "experienceVersion", 2, "eventVersion", "createdAt", now,
                  "updatedAt", now, "startedAt", "completedAt");
    cr_assert_not_null(job, "fixture json_pack failed");
    hw_put(w, HW_JOB_PATH, job);
}

fs_doc *hw_get(hw *w, const char *path)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    int rc = fs_doc_get(w->db, path, NULL, &doc, &err);
    cr_assert(rc == 0 || rc == FS_NOT_FOUND, "reading %s: %s", path, err.message);
    return doc;
}

const char *hw_job_path(const char *job_id)
{
    static char path[256];
    snprintf(path, sizeof(path), "projects/%s/jobs/%s", HW_PROJECT, job_id);
    return path;
}

const char *hw_str(const fs_doc *doc, const char *field)
{
    const char *v = doc ? json_string_value(json_object_get(doc->fields, field)) : NULL;
    return v ? v : "";
}

const char *hw_error_code(const fs_doc *job)
{
    const char *v =
        job ? json_string_value(json_object_get(json_object_get(job->fields, "error"), "code")) : NULL;
    return v ? v : "";
}

fs_doc *hw_wait_job(hw *w, const char *job_id, const char *status, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    char last[32] = "";
    for (;;) {
        fs_doc *doc = hw_get(w, hw_job_path(job_id));
        snprintf(last, sizeof(last), "%s", doc ? hw_str(doc, "status") : "(missing)");
        if (doc != NULL && strcmp(last, status) == 0)
            return doc;
        fs_doc_free(doc);
        if (spawn_now_ms() >= end)
            break;
        spawn_sleep_ms(POLL_MS);
    }
    cr_expect_fail("job %s: status %s after %d ms, expected %s", job_id, last, timeout_ms, status);
    return NULL;
}

int hw_wait_session(hw *w, const char *status, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    char last[32] = "";
    for (;;) {
        fs_doc *doc = hw_get(w, HW_SESSION_PATH);
        snprintf(last, sizeof(last), "%s", hw_str(doc, "jobStatus"));
        fs_doc_free(doc);
        if (strcmp(last, status) == 0)
            return 0;
        if (spawn_now_ms() >= end)
            break;
        spawn_sleep_ms(POLL_MS);
    }
    cr_expect_fail("session jobStatus \"%s\" after %d ms, expected %s", last, timeout_ms, status);
    return -1;
}

static size_t count_group(hw *w, const char *collection)
{
    const fs_query_def q = {.collection = collection, .all_descendants = 1};
    fs_doc_list list = {0};
    ff_error err = {0};
    int rc = fs_query(w->db, &q, &list, &err);
    cr_assert_eq(rc, 0, "query %s: %s", collection, err.message);
    size_t n = list.n;
    fs_doc_list_free(&list);
    return n;
}

size_t hw_count_jobs(hw *w)
{
    return count_group(w, "jobs");
}

static void update_time(hw *w, const char *path, char out[FS_TIME_SIZE])
{
    fs_doc *doc = hw_get(w, path);
    snprintf(out, FS_TIME_SIZE, "%s", doc ? doc->update_time : "(missing)");
    fs_doc_free(doc);
}

hw_state hw_capture(hw *w)
{
    hw_state s = {.n_jobs = hw_count_jobs(w), .n_sessions = count_group(w, "sessions")};
    update_time(w, HW_SESSION_PATH, s.session_time);
    update_time(w, HW_JOB_PATH, s.job_time);
    return s;
}

void hw_expect_unchanged(hw *w, const hw_state *before, const char *what)
{
    hw_state now = hw_capture(w);
    cr_expect_eq(now.n_jobs, before->n_jobs, "%s: %zu job documents, expected %zu", what, now.n_jobs,
                 before->n_jobs);
    cr_expect_eq(now.n_sessions, before->n_sessions, "%s: %zu session documents, expected %zu", what,
                 now.n_sessions, before->n_sessions);
    cr_expect_str_eq(now.session_time, before->session_time, "%s: the session was written", what);
    cr_expect_str_eq(now.job_time, before->job_time, "%s: job " HW_JOB " was written", what);
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

void hw_post(const hw_server *s, const char *path, const char *body, th_response *res)
{
    char url[512];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    const char *headers[] = {"Content-Type: application/json", NULL};
    th_request req = {
        .method = "POST", .url = url, .headers = headers, .body = body, .body_len = strlen(body)};
    th_http(&req, res);
}

json_t *hw_body(const th_response *res)
{
    return json_loadb(res->body, res->body_len, JSON_DECODE_ANY, NULL);
}

int hw_start_job(const hw_server *s, char *job_id)
{
    th_response res = {0};
    hw_post(s, HW_START_PATH, HW_START_BODY, &res);
    json_t *body = hw_body(&res);
    const char *id = json_string_value(json_object_get(body, "jobId"));
    cr_expect_eq(res.status, 200, "start request: %ld %.300s", res.status, res.body);
    cr_expect_not_null(id, "start request: no jobId in %.300s", res.body);
    int rc = res.status == 200 && id != NULL ? 0 : -1;
    snprintf(job_id, 64, "%s", id ? id : "");
    json_decref(body);
    th_response_free(&res);
    return rc;
}

void hw_expect_error(const th_response *res, long status, const char *code, const char *what)
{
    cr_expect_eq(res->status, status, "%s: status %ld, expected %ld; body %.300s", what, res->status, status,
                 res->body);
    json_t *body = hw_body(res);
    json_t *error = json_object_get(body, "error");
    const char *got = json_string_value(json_object_get(error, "code"));
    cr_expect(json_is_false(json_object_get(body, "success")), "%s: no \"success\": false in %.300s", what,
              res->body);
    cr_expect_str_eq(got ? got : "(none)", code, "%s: error code", what);
    cr_expect(json_is_string(json_object_get(error, "message")), "%s: no error message in %.300s", what,
              res->body);
    json_decref(body);
}

void hw_expect_success(const th_response *res, long status, const char *what)
{
    cr_expect_eq(res->status, status, "%s: status %ld, expected %ld; body %.300s", what, res->status, status,
                 res->body);
    json_t *body = hw_body(res);
    cr_expect(json_is_true(json_object_get(body, "success")), "%s: no \"success\": true in %.300s", what,
              res->body);
    json_decref(body);
}
