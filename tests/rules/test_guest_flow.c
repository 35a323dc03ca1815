/*
 * test_guest_flow.c - the guest flow as the web app does it, over the emulators' REST
 * APIs with the guest's own token, under firestore.rules: the guest signs in anonymously
 * (Auth emulator), creates its session itself (Firestore, as the guest), starts the
 * pipeline (the functions with AUTH_REQUIRED=1 trusting the Auth emulator) and reads its
 * session until the job completes. Another anonymous user can neither read the session
 * nor start a job on it; no token gets 401. And the harness: `functions invoke --auth`
 * gets the named test user's, an admin's or an anonymous user's token and sends it.
 * Runs in the runner's GCP project (the Auth emulator issues tokens for it) with a
 * platform project of its own.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>

#include "../support/spawn.h"
#include "rules_helpers.h"

static void fini(void)
{
    spawn_free_all();
}

TestSuite(guest_flow, .fini = fini, .timeout = 60);

typedef struct guest {
    char uid[129];
    char *token; /* owned */
} guest;

/* POST body (JSON) to url with an optional bearer; asserts a response; body parsed. */
static json_t *post_json(const char *url, const char *bearer, const char *body, long *status)
{
    char auth[4096] = "";
    if (bearer)
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
    const char *headers[] = {"Content-Type: application/json", auth[0] ? auth : NULL, NULL};
    th_request req = {.method = "POST",
                      .url = url,
                      .headers = headers,
                      .body = body,
                      .body_len = strlen(body),
                      .timeout_ms = 20000};
    th_response res;
    th_http(&req, &res);
    cr_assert_neq(res.status, 0, "POST %s: no response", url);
    *status = res.status;
    json_t *j = json_loads(res.body, 0, NULL);
    cr_assert_not_null(j, "POST %s: %ld %s", url, res.status, res.body);
    th_response_free(&res);
    return j;
}

/* An anonymous sign-in on the Auth emulator, as the JS SDK's signInAnonymously does. */
static guest sign_in_anonymously(void)
{
    const char *host = getenv("FF_TEST_AUTH_EMULATOR_HOST");
    cr_assert(host && *host, "FF_TEST_AUTH_EMULATOR_HOST is not set: run through scripts/run-tests.sh");
    char url[256];
    snprintf(url, sizeof(url), "http://%s/identitytoolkit.googleapis.com/v1/accounts:signUp?key=demo-key",
             host);
    long status;
    json_t *j = post_json(url, NULL, "{\"returnSecureToken\":true}", &status);
    cr_assert_eq(status, 200, "anonymous sign-up: %ld", status);
    guest g = {.token = strdup(json_string_value(json_object_get(j, "idToken")))};
    snprintf(g.uid, sizeof(g.uid), "%s", json_string_value(json_object_get(j, "localId")));
    cr_assert(g.token != NULL && g.uid[0] != '\0');
    json_decref(j);
    return g;
}

/* build/bin/functions: the product binary (its CLI seeds, it serves). */
static const char *functions_bin(void)
{
    static char path[1024];
    const char *build = getenv("FF_TEST_BUILD");
    snprintf(path, sizeof(path), "%s/bin/functions", build ? build : "build");
    return path;
}

/*
 * The functions server as the local stack runs it: authentication on, emulator tokens
 * trusted. Its task queue is named after the test's platform project: tests share the
 * GCP project, and the Tasks emulator replaces a queue created again, tasks and all.
 */
static int start_functions(const char *project)
{
    const char *bin = functions_bin();
    int port = spawn_free_port();
    char port_s[16], auth_env[128], queue_env[128];
    snprintf(port_s, sizeof(port_s), "%d", port);
    snprintf(auth_env, sizeof(auth_env), "FIREBASE_AUTH_EMULATOR_HOST=%s",
             getenv("FF_TEST_AUTH_EMULATOR_HOST"));
    const char *args[] = {"--host", "127.0.0.1", "--port", port_s, NULL};
    snprintf(queue_env, sizeof(queue_env), "TRANSFORM_QUEUE=q-%s", project);
    const char *env[] = {"AUTH_REQUIRED=1", auth_env, queue_env, "TRANSFORM_STUB_DURATION_MS=200",
                         "K_SERVICE",       NULL};
    spawn_proc *p = spawn_start(bin, args, env);
    cr_assert_not_null(p);
    cr_assert_eq(spawn_wait_port(p, port, 20000), 0, "functions did not start");
    return port;
}

static json_t *start_pipeline(int port, const char *project, const char *session, const char *bearer,
                              long *status)
{
    char url[512], body[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/startTransformPipeline?projectId=%s", port, project);
    snprintf(body, sizeof(body), "{\"sessionId\":\"%s\",\"stepId\":\"transform\"}", session);
    return post_json(url, bearer, body, status);
}

/* The session's jobStatus as the guest reads it (through the rules), or "" when null. */
static void read_job_status(const char *path, const char *token, char *out, size_t len)
{
    rh_resp r = rh_call_as(token, "GET", path, NULL, NULL);
    rh_assert_ok(&r, "the guest reads its session");
    json_t *v = json_object_get(json_object_get(r.json, "fields"), "jobStatus");
    const char *s = json_string_value(json_object_get(v, "stringValue"));
    snprintf(out, len, "%s", s ? s : "");
    rh_resp_free(&r);
}

/* The runner's GCP project, a fresh platform project ID into project (64 bytes), the
 * demo experience seeded, the functions started: their port. */
static int setup_world(char project[64])
{
    rh_use_project(getenv("GOOGLE_CLOUD_PROJECT"));
    unsigned char rnd[6];
    cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
    snprintf(project, 64, "guest-%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "%s seed scripts/fixtures/demo.json >/dev/null", functions_bin());
    cr_assert_eq(system(cmd), 0, "seeding the demo experience");
    return start_functions(project);
}

Test(guest_flow, a_guest_signs_in_creates_its_session_and_runs_the_pipeline)
{
    char project[64], path[160];
    int port = setup_world(project);
    snprintf(path, sizeof(path), "projects/%s/sessions/s1", project);

    guest g = sign_in_anonymously();
    json_t *fields = rh_new_session_fields(project, "s1", g.uid, "demo-workspace", "demo-experience");
    char *body = rh_body(fields);
    char coll[128];
    snprintf(coll, sizeof(coll), "projects/%s/sessions", project);
    rh_resp r = rh_call_as(g.token, "POST", coll, "?documentId=s1", body);
    rh_assert_ok(&r, "the guest creates its own session");
    rh_resp_free(&r);

    long status;
    json_t *res = start_pipeline(port, project, "s1", NULL, &status);
    cr_assert_eq(status, 401, "no token: %ld", status);
    json_decref(res);
    guest other = sign_in_anonymously();
    res = start_pipeline(port, project, "s1", other.token, &status);
    cr_assert_eq(status, 403, "another guest's token: %ld", status);
    json_decref(res);
    r = rh_call_as(other.token, "GET", path, NULL, NULL);
    rh_assert_denied(&r, "another guest reads the session");
    rh_resp_free(&r);

    res = start_pipeline(port, project, "s1", g.token, &status);
    cr_assert_eq(status, 200, "the guest starts the pipeline: %ld", status);
    cr_assert_not_null(json_string_value(json_object_get(res, "jobId")));
    json_decref(res);

    char job_status[32] = "";
    /* A generous bound (sanitizer builds on a busy machine), not a timing check. */
    for (int64_t end = spawn_now_ms() + 40000;
         strcmp(job_status, "completed") != 0 && spawn_now_ms() < end;) {
        read_job_status(path, g.token, job_status, sizeof(job_status));
        spawn_sleep_ms(50);
    }
    cr_assert_str_eq(job_status, "completed", "the guest sees its job complete (last seen: \"%s\")",
                     job_status);
    free(body);
    json_decref(fields);
    free(g.token);
    free(other.token);
}

/* `functions invoke ... --auth SPEC` on session s1 of project; its exit status. */
static int invoke_as(int port, const char *project, const char *spec, const char *auth_host)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "FIREBASE_AUTH_EMULATOR_HOST=%s %s invoke startTransformPipeline --url http://127.0.0.1:%d "
             "--query projectId=%s --body '{\"sessionId\":\"s1\",\"stepId\":\"transform\"}' --auth '%s' "
             ">/dev/null 2>&1",
             auth_host, functions_bin(), port, project, spec);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc), "%s", cmd);
    return WEXITSTATUS(rc);
}

/* Seeds session s1 of project for created_by with owner credentials; its path into path. */
static void seed_session(const char *project, const char *created_by, char path[160])
{
    snprintf(path, 160, "projects/%s/sessions/s1", project);
    json_t *fields = rh_new_session_fields(project, "s1", created_by, "demo-workspace", "demo-experience");
    char *body = rh_body(fields);
    rh_resp r = rh_call_as("owner", "PATCH", path, NULL, body);
    rh_assert_ok(&r, "seeding a session");
    rh_resp_free(&r);
    free(body);
    json_decref(fields);
}

Test(guest_flow, the_harness_signs_in_with_auth)
{
    char project[64], path[160];
    int port = setup_world(project);
    seed_session(project, "test-user", path);
    const char *auth = getenv("FF_TEST_AUTH_EMULATOR_HOST");

    cr_expect_eq(invoke_as(port, project, "bogus", auth), 2, "a bad --auth spec is a usage error");
    cr_expect_eq(invoke_as(port, project, "user:", auth), 2, "user: needs a uid");
    cr_expect_eq(invoke_as(port, project, "anonymous", ""), 2, "--auth without the Auth emulator");
    cr_expect_eq(invoke_as(port, project, "anonymous", "127.0.0.1:1"), 2,
                 "an Auth emulator that is not there");
    cr_expect_eq(invoke_as(port, project, "anonymous", auth), 1, "an anonymous user gets 403 (exit 1)");
    cr_expect_eq(invoke_as(port, project, "user:stranger", auth), 1, "another named user gets 403");
    rh_assert_field(path, "jobId", NULL);
    cr_expect_eq(invoke_as(port, project, "user:test-user", auth), 0, "the session's creator starts the job");
    json_t *doc = rh_owner_get(path);
    const char *job = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "fields"), "jobId"), "stringValue"));
    cr_expect(job != NULL && job[0] != '\0', "the session has its job");
    json_decref(doc);
    cr_expect_eq(invoke_as(port, project, "admin:boss", auth), 1,
                 "an admin too, but a job is in progress: 409");
}

Test(guest_flow, an_admin_starts_a_job_on_anyones_session)
{
    char project[64], path[160];
    int port = setup_world(project);
    seed_session(project, "someone", path);
    cr_expect_eq(invoke_as(port, project, "admin:boss", getenv("FF_TEST_AUTH_EMULATOR_HOST")), 0,
                 "an admin token (custom claim admin: true) from --auth admin:UID");
}
