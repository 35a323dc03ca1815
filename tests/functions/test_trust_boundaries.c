/*
 * test_trust_boundaries.c - startTransformPipeline trusts no client-written field and
 * bounds what an anonymous caller costs:
 *   - a session whose workspaceId / experienceId is not ID-shaped (path-like, reserved,
 *     too long, empty) -> 422 INVALID_SESSION, nothing written, and the document that
 *     the path-like value would reach (one the rules deny to every client) never copied;
 *   - a session whose own "id" / "projectId" fields disagree with its path: the job gets
 *     the requested IDs, runs, and frees the session;
 *   - stepId limits: 1..128 printable ASCII, 400 beyond;
 *   - 50 concurrent maximum-size unauthenticated bodies with AUTH_REQUIRED=1: all 401,
 *     peak RSS (VmHWM) under 64 MiB, and the server still serves a valid request;
 *   - the sweeper: a stale job whose sessionId field is path-like is failed without any
 *     session write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "index.h"

TestSuite(trust_boundaries, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/* startTransformPipeline's max_body as registered in functions/src/index.c. */
static size_t start_max_body(void)
{
    ff_app *app = ff_app_new();
    ff_error err = {0};
    cr_assert_eq(functions_register(app, &err), 0, "%s", err.message);
    size_t n = ff_app_find(app, "startTransformPipeline")->max_body;
    ff_app_free(app);
    cr_assert(n > 0 && n <= 64 * 1024, "startTransformPipeline max_body %zu: not a few KiB", n);
    return n;
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    cr_assert_not_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

E2E_TEST(trust_boundaries, session_with_invalid_ids_is_422_and_reads_nothing_beyond)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    /* The document the reported attack reached: another workspace's private draft. */
    json_t *secret = e2e_experience_fixture(&t);
    json_object_set_new(json_object_get(json_object_get(secret, "published"), "transform"), "secret",
                        json_string("another tenant's draft"));
    e2e_put(&t, "workspaces/X/private/y/experiences/e", secret);
    char *long_id = repeat('w', 129);
    static const char *const bad[] = {"X/private/y", "w1/experiences/e1", "..", ".", "__w1__", "w 1", "",
                                      "w1\n",        "w\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 2; i++) {
        json_t *s = e2e_session_fixture(&t);
        if (i < sizeof(bad) / sizeof(bad[0])) {
            json_object_set_new(s, "workspaceId", json_string(bad[i]));
            if (i == 0)
                json_object_set_new(s, "experienceId", json_string("e"));
        } else if (i == sizeof(bad) / sizeof(bad[0])) {
            json_object_set_new(s, "workspaceId", json_string(long_id));
        } else {
            json_object_set_new(s, "experienceId", json_string("e1/../e1"));
        }
        e2e_seed_session(&t, s);
        e2e_expect_start_refused(&t, 422, "INVALID_SESSION");
    }
    cr_expect_eq(e2e_count_jobs(&t), 0);
    /* The same session with valid IDs works: the 422s were about the IDs. */
    e2e_seed_session(&t, NULL);
    e2e_start_job(&t);
    free(long_id);
}

E2E_TEST(trust_boundaries, job_takes_the_requested_ids_not_the_sessions_own_fields)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "id", json_string("s-someone-else"));
    json_object_set_new(s, "projectId", json_string("p-someone-else"));
    e2e_seed_session(&t, s);
    const char *id = e2e_start_job(&t);
    fs_doc *job = e2e_wait_job(&t, id, "completed", 15000);
    cr_expect_str_eq(e2e_str(job, "sessionId"), "s1");
    cr_expect_str_eq(e2e_str(job, "projectId"), "p1");
    fs_doc_free(job);
    /* The session is freed (no 409 forever) and can take the next job. */
    fs_doc_free(e2e_wait_session(&t, "completed", 5000));
    e2e_start_job(&t);
    t.session = "s-someone-else";
    cr_expect_null(e2e_get_session(&t), "a session was created under the session's own id field");
}

static void post_step(e2e *t, const char *step_json, th_response *res)
{
    char *body = NULL;
    cr_assert_geq(asprintf(&body, "{\"sessionId\":\"%s\",\"stepId\":%s}", t->session, step_json), 0);
    e2e_post_start(t, NULL, body, res);
    free(body);
}

E2E_TEST(trust_boundaries, step_id_limits)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    char *s128 = repeat('x', 128), *s129 = repeat('x', 129), *s2m = repeat('x', 2000000);
    char q129[140];
    snprintf(q129, sizeof(q129), "\"%s\"", s129);
    const char *const bad[] = {q129, "\"tab\\there\"", "\"nl\\n\"", "\"caf\\u00e9\"", "\"del\\u007f\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        e2e_state before = e2e_capture(&t);
        th_response res;
        post_step(&t, bad[i], &res);
        e2e_expect_error(&res, 400, "INVALID_REQUEST");
        cr_expect(strstr(res.body, "stepId") != NULL, "%s", res.body);
        th_response_free(&res);
        e2e_expect_unchanged(&t, &before);
    }
    /* The reported 2 MB stepId: refused as a request, not a 500 from the commit. */
    char *huge = NULL;
    cr_assert_geq(asprintf(&huge, "\"%s\"", s2m), 0);
    th_response res;
    post_step(&t, huge, &res);
    cr_expect(res.status == 400 || res.status == 413, "2 MB stepId: %ld %.200s", res.status, res.body);
    th_response_free(&res);
    /* 128 printable characters, spaces and punctuation included, are a valid stepId. */
    memcpy(s128, "Step 1: \\\"a\\\"/b?", 16); /* JSON escapes: 126 characters once decoded */
    char q128[160];
    snprintf(q128, sizeof(q128), "\"%s\"", s128);
    post_step(&t, q128, &res);
    cr_expect_eq(res.status, 200, "128-character stepId: %ld %s", res.status, res.body);
    th_response_free(&res);
    free(s128);
    free(s129);
    free(s2m);
    free(huge);
}

/* A JSON array of small items, exactly len bytes: the shape that multiplied memory. */
static char *array_body(size_t len)
{
    char *b = malloc(len + 1);
    cr_assert_not_null(b);
    b[0] = '[';
    for (size_t i = 1; i < len - 1; i++)
        b[i] = i % 2 ? '1' : ',';
    if (b[len - 2] == ',')
        b[len - 2] = '1';
    b[len - 1] = ']';
    b[len] = '\0';
    return b;
}

/* A field of /proc/<pid>/status in KiB (VmHWM, VmRSS). */
static long status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    long v = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
            v = strtol(line + strlen(field) + 1, NULL, 10);
    fclose(f);
    cr_assert_geq(v, 0, "no %s in %s", field, path);
    return v;
}

E2E_TEST(trust_boundaries, fifty_max_size_anonymous_bodies_stay_in_bounded_memory)
{
    e2e t;
    /*
     * One function per process, as deployed: its own body limit is then the server's (in
     * the all-functions mode the largest limit served applies, 10 MiB with the test
     * functions). The task URL only has to exist: the job's task is never delivered.
     */
    const char *env[] = {"AUTH_REQUIRED=1", "FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:1",
                         "FUNCTION_TARGET=startTransformPipeline", "TRANSFORM_JOB_URL=http://127.0.0.1:9/job",
                         NULL};
    e2e_init(&t, env);
    e2e_seed(&t);
    pid_t pid = spawn_pid(t.srv.proc);
    long baseline_kib = status_kib(pid, "VmRSS");
    size_t max_body = start_max_body();
    char *body = array_body(max_body);
    const char *headers[] = {"Content-Type: application/json", NULL};
    e2e_post_concurrently(&t.srv, "/startTransformPipeline?projectId=p1", headers, body, max_body, 50, 401,
                          "UNAUTHENTICATED");
    /* Past the limit: refused from Content-Length alone (the runtime's plain 413), unread. */
    size_t over = 1024 * 1024;
    char *big = array_body(over);
    e2e_post_concurrently(&t.srv, "/startTransformPipeline?projectId=p1", headers, big, over, 50, 413, NULL);
    free(big);
    long peak_kib = status_kib(pid, "VmHWM");
#ifdef __SANITIZE_ADDRESS__
    /* ASan's shadow memory and quarantine: bound the growth, not the total. */
    long bounded_kib = peak_kib - baseline_kib;
#else
    long bounded_kib = peak_kib;
    (void)baseline_kib;
#endif
    cr_expect_lt(bounded_kib, 64 * 1024, "peak RSS %ld KiB (baseline %ld KiB)", peak_kib, baseline_kib);
    cr_expect_eq(e2e_count_jobs(&t), 0);
    /* Still serving: a signed-in creator gets the job. */
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "createdBy", json_string("user-1"));
    e2e_seed_session(&t, s);
    char *line = e2e_bearer(t.srv.gcp_project, "user-1", NULL, 3600);
    t.auth = line;
    e2e_start_job(&t);
    free(line);
    free(body);
}

E2E_TEST(trust_boundaries, sweeper_never_follows_a_path_like_session_id)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "jobId", json_string("j-bad"));
    json_object_set_new(s, "jobStatus", json_string("pending"));
    e2e_seed_session(&t, s);
    json_t *job = e2e_job_fixture(&t, "j-bad", "pending");
    json_object_set_new(job, "sessionId", json_string("s1/../s1"));
    json_object_set_new(job, "createdAt", json_integer(1700000000000));
    json_object_set_new(job, "updatedAt", json_integer(1700000000000));
    e2e_seed_job(&t, job);
    e2e_state before = e2e_capture(&t);
    th_response res;
    e2e_http(&t.srv, "POST", "/cleanupStaleJobs", NULL, NULL, &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc *swept = e2e_get_job(&t, "j-bad");
    cr_expect_str_eq(e2e_str(swept, "status"), "failed", "the stale job itself is still failed");
    fs_doc_free(swept);
    fs_doc *session = e2e_get_session(&t);
    cr_expect_str_eq(session->update_time, before.session_update_time, "the session was written");
    fs_doc_free(session);
}
