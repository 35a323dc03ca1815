/*
 * test_private_callers.c - transformPipelineJob and cleanupStaleJobs authenticate their
 * caller in process, outside emulator mode (K_SERVICE set, as on Cloud Run). Tokens are
 * RS256, signed by the test's own key, published by fake_google through the key-URL
 * override (GCP_IDTOKEN_GOOGLE_CERTS_URL):
 *   - no token, a malformed, expired, unsigned or forged-signature token -> 401
 *     UNAUTHENTICATED, the job left pending;
 *   - a valid token of another service account or for another audience (the scheduler's
 *     token on the task endpoint, and the reverse) -> 403 PERMISSION_DENIED, nothing done;
 *   - the configured account and audience -> 200, the job runs / the sweep runs; also the
 *     token as Cloud Run forwards it (signature removed);
 *   - without TASKS_/SCHEDULER_ settings outside emulator mode the server refuses to start;
 *   - in emulator mode the private functions work without a token (and say so in a
 *     WARNING at start-up);
 *   - a key endpoint that never answers: concurrent requests share one fetch (counted at
 *     the endpoint) and get 503, and the failure is remembered for the next one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../support/fake_google.h"
#include "e2e.h"
#include "gcp/auth.h"

TestSuite(private_callers, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

#define TASKS_SA      "transform-tasks@demo.iam.gserviceaccount.com"
#define SCHEDULER_SA  "transform-scheduler@demo.iam.gserviceaccount.com"
#define TASKS_AUD     "https://transformpipelinejob-x-ew.a.run.app"
#define SCHEDULER_AUD "https://cleanupstalejobs-x-ew.a.run.app"

typedef struct world {
    e2e t;
    fake_google *fg;
    char certs_env[192];
    char target_env[64];
} world;

/* A server as on Cloud Run (K_SERVICE set, one function per service) that trusts the fake's keys. */
static void world_init(world *w, const char *target)
{
    w->fg = fake_google_start();
    cr_assert_not_null(w->fg);
    cr_assert_eq(fake_google_add_signing_key(w->fg, "k1", 1), 0);
    snprintf(w->certs_env, sizeof(w->certs_env), "GCP_IDTOKEN_GOOGLE_CERTS_URL=%s%s", fake_google_url(w->fg),
             FAKE_GOOGLE_JWKS_PATH);
    snprintf(w->target_env, sizeof(w->target_env), "FUNCTION_TARGET=%s", target);
    const char *env[] = {"K_SERVICE=transformPipelineJob",
                         w->target_env,
                         "TASKS_SERVICE_ACCOUNT=" TASKS_SA,
                         "TASKS_AUDIENCE=" TASKS_AUD,
                         "SCHEDULER_SERVICE_ACCOUNT=" SCHEDULER_SA,
                         "SCHEDULER_AUDIENCE=" SCHEDULER_AUD,
                         w->certs_env,
                         NULL};
    e2e_init(&w->t, env);
}

static void world_end(world *w)
{
    fake_google_stop(w->fg);
}

/* "Authorization: Bearer <RS256 token>" for email and aud, exp relative to now. free(). */
static char *bearer(world *w, const char *alg, const char *email, const char *aud, long exp_offset_s)
{
    long now = (long)time(NULL);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i}", "iss", "https://accounts.google.com", "aud",
                          aud, "sub", "10987", "email", email, "email_verified", 1, "iat", now - 10, "exp",
                          now + exp_offset_s);
    char *tok = fake_google_mint(w->fg, alg, "k1", "k1", c);
    json_decref(c);
    cr_assert_not_null(tok);
    char *line = NULL;
    cr_assert_geq(asprintf(&line, "Authorization: Bearer %s", tok), 0);
    free(tok);
    return line;
}

/* POST path with a JSON body and one Authorization line (may be NULL). */
static void post(world *w, const char *path, const char *authorization, const char *body, th_response *res)
{
    const char *headers[] = {"Content-Type: application/json", authorization, NULL};
    e2e_http(&w->t.srv, "POST", path, headers, body, res);
}

/* Seeds a pending job j-auth for s1 and returns its task body (free()). */
static char *seed_pending(world *w)
{
    e2e_seed(&w->t);
    e2e_seed_job(&w->t, e2e_job_fixture(&w->t, "j-auth", "pending"));
    return e2e_task_body("j-auth", "s1", "p1");
}

static void expect_task_refused(world *w, const char *authorization, const char *body, long status,
                                const char *code)
{
    th_response res;
    post(w, "/transformPipelineJob", authorization, body, &res);
    e2e_expect_error(&res, status, code);
    th_response_free(&res);
    fs_doc *job = e2e_get_job(&w->t, "j-auth");
    cr_expect_str_eq(e2e_str(job, "status"), "pending", "a refused call touched the job");
    fs_doc_free(job);
}

E2E_TEST(private_callers, task_endpoint_needs_the_tasks_token)
{
    world w;
    world_init(&w, "transformPipelineJob");
    char *body = seed_pending(&w);
    char *expired = bearer(&w, "RS256", TASKS_SA, TASKS_AUD, -60);
    char *unsigned_tok = bearer(&w, "none", TASKS_SA, TASKS_AUD, 3600);
    char *good = bearer(&w, "RS256", TASKS_SA, TASKS_AUD, 3600);
    char *forged = strdup(good);
    forged[strlen(forged) - 3] = forged[strlen(forged) - 3] == 'A' ? 'B' : 'A';
    const char *const unauthenticated[] = {
        NULL, "Authorization: Bearer", "Authorization: Bearer a.b.c", expired, unsigned_tok, forged};
    for (size_t i = 0; i < sizeof(unauthenticated) / sizeof(unauthenticated[0]); i++)
        expect_task_refused(&w, unauthenticated[i], body, 401, "UNAUTHENTICATED");

    char *other_account = bearer(&w, "RS256", "intruder@demo.iam.gserviceaccount.com", TASKS_AUD, 3600);
    char *other_audience = bearer(&w, "RS256", TASKS_SA, SCHEDULER_AUD, 3600);
    char *scheduler = bearer(&w, "RS256", SCHEDULER_SA, SCHEDULER_AUD, 3600);
    const char *const forbidden[] = {other_account, other_audience, scheduler};
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
        expect_task_refused(&w, forbidden[i], body, 403, "PERMISSION_DENIED");

    th_response res;
    post(&w, "/transformPipelineJob", good, body, &res);
    cr_expect_eq(res.status, 200, "the tasks account was refused: %ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc_free(e2e_wait_job(&w.t, "j-auth", "completed", 10000));
    cr_expect_geq(fake_google_count(w.fg, FAKE_GOOGLE_JWKS_PATH), 1, "keys fetched from the override");
    free(body);
    free(expired);
    free(unsigned_tok);
    free(good);
    free(forged);
    free(other_account);
    free(other_audience);
    free(scheduler);
    world_end(&w);
}

E2E_TEST(private_callers, token_forwarded_by_cloud_run_is_checked_on_its_claims)
{
    world w;
    world_init(&w, "transformPipelineJob");
    char *body = seed_pending(&w);
    /* Cloud Run verified the signature and replaced it: the claims still decide. */
    char *intruder = bearer(&w, "RS256", "intruder@demo.iam.gserviceaccount.com", TASKS_AUD, 3600);
    char *good = bearer(&w, "RS256", TASKS_SA, TASKS_AUD, 3600);
    strcpy(strrchr(intruder, '.') + 1, GCP_IDTOKEN_SIGNATURE_REMOVED);
    strcpy(strrchr(good, '.') + 1, GCP_IDTOKEN_SIGNATURE_REMOVED);
    expect_task_refused(&w, intruder, body, 403, "PERMISSION_DENIED");
    th_response res;
    post(&w, "/transformPipelineJob", good, body, &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc_free(e2e_wait_job(&w.t, "j-auth", "completed", 10000));
    free(body);
    free(intruder);
    free(good);
    world_end(&w);
}

E2E_TEST(private_callers, sweeper_endpoint_needs_the_scheduler_token)
{
    world w;
    world_init(&w, "cleanupStaleJobs");
    e2e_seed(&w.t);
    json_t *stale = e2e_job_fixture(&w.t, "j-stale", "pending");
    json_object_set_new(stale, "createdAt", json_integer(1700000000000));
    json_object_set_new(stale, "updatedAt", json_integer(1700000000000));
    e2e_seed_job(&w.t, stale);
    char *tasks = bearer(&w, "RS256", TASKS_SA, TASKS_AUD, 3600);
    char *wrong_audience = bearer(&w, "RS256", SCHEDULER_SA, TASKS_AUD, 3600);
    char *scheduler = bearer(&w, "RS256", SCHEDULER_SA, SCHEDULER_AUD, 3600);
    static const long statuses[] = {401, 403, 403};
    static const char *const codes[] = {"UNAUTHENTICATED", "PERMISSION_DENIED", "PERMISSION_DENIED"};
    const char *const lines[] = {NULL, tasks, wrong_audience};
    for (size_t i = 0; i < 3; i++) {
        th_response res;
        post(&w, "/cleanupStaleJobs", lines[i], NULL, &res);
        e2e_expect_error(&res, statuses[i], codes[i]);
        th_response_free(&res);
        fs_doc *job = e2e_get_job(&w.t, "j-stale");
        cr_expect_str_eq(e2e_str(job, "status"), "pending", "a refused sweep ran");
        fs_doc_free(job);
    }
    th_response res;
    post(&w, "/cleanupStaleJobs", scheduler, NULL, &res);
    cr_expect_eq(res.status, 200, "the scheduler was refused: %ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc *job = e2e_get_job(&w.t, "j-stale");
    cr_expect_str_eq(e2e_str(job, "status"), "failed");
    fs_doc_free(job);
    free(tasks);
    free(wrong_audience);
    free(scheduler);
    world_end(&w);
}

/* Starts a server that must refuse to start: its exit status and stderr (free()). */
static char *refused_start(const char *const env[], int *status)
{
    char project[64];
    e2e_new_project(project);
    e2e_server s = e2e_server_spawn(project, env);
    *status = spawn_wait(s.proc, 20000);
    return spawn_read_stderr(s.proc, NULL);
}

E2E_TEST(private_callers, production_without_caller_settings_does_not_start)
{
    static const char *const missing[][4] = {
        {"FUNCTION_TARGET=transformPipelineJob", "TASKS_SERVICE_ACCOUNT",
         "SCHEDULER_SERVICE_ACCOUNT=" SCHEDULER_SA, "SCHEDULER_AUDIENCE=" SCHEDULER_AUD},
        {"FUNCTION_TARGET=cleanupStaleJobs", "TASKS_SERVICE_ACCOUNT=" TASKS_SA,
         "SCHEDULER_SERVICE_ACCOUNT=" SCHEDULER_SA, "SCHEDULER_AUDIENCE"},
    };
    static const char *const named[] = {"TASKS_SERVICE_ACCOUNT", "SCHEDULER_AUDIENCE"};
    for (size_t i = 0; i < 2; i++) {
        const char *env[] = {"K_SERVICE=x", missing[i][0], missing[i][1],
                             missing[i][2], missing[i][3], "TASKS_AUDIENCE=" TASKS_AUD,
                             NULL};
        int status = 0;
        char *err = refused_start(env, &status);
        cr_expect_eq(status, 2, "case %zu: exit %d", i, status);
        cr_expect(err && strstr(err, named[i]), "case %zu: stderr does not name %s: %s", i, named[i], err);
        free(err);
    }
}

/* Nonzero when a WARNING entry's message starts with prefix. */
static int warned(const e2e_server *s, const char *prefix)
{
    json_t *entries = e2e_log_entries(s), *e;
    size_t i;
    int found = 0;
    json_array_foreach(entries, i, e)
    {
        const char *sev = json_string_value(json_object_get(e, "severity"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        found |= sev && msg && strcmp(sev, "WARNING") == 0 && strncmp(msg, prefix, strlen(prefix)) == 0;
    }
    json_decref(entries);
    return found;
}

E2E_TEST(private_callers, emulator_mode_needs_no_token_and_warns)
{
    e2e t;
    const char *env[] = {"FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:1", NULL};
    e2e_init(&t, env);
    cr_expect(warned(&t.srv, "emulator mode (FIRESTORE_EMULATOR_HOST set, K_SERVICE unset)"));
    cr_expect(warned(&t.srv, "AUTH_REQUIRED is off"));
    cr_expect(warned(&t.srv, "emulator mode: unsigned Firebase Auth emulator tokens"));
    e2e_seed(&t);
    e2e_seed_job(&t, e2e_job_fixture(&t, "j-emu", "pending"));
    char *body = e2e_task_body("j-emu", "s1", "p1");
    th_response res;
    e2e_post_task(&t, body, &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    free(body);
    e2e_http(&t.srv, "POST", "/cleanupStaleJobs", NULL, NULL, &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
}

E2E_TEST(private_callers, relaxations_outside_emulator_mode_are_refused_or_warned)
{
    world w;
    world_init(&w, "transformPipelineJob");
    /* world_init's server: a loopback key URL, allowed with a warning. */
    cr_expect(warned(&w.t.srv, "ID-token keys are fetched from an overridden URL"));
    cr_expect(!warned(&w.t.srv, "emulator mode"));

    /* On Cloud Run the Auth emulator switch is ignored (and says so): unsigned tokens get 401. */
    const char *env[] = {"K_SERVICE=x",
                         "FUNCTION_TARGET=startTransformPipeline",
                         "TRANSFORM_JOB_URL=" TASKS_AUD,
                         "TASKS_SERVICE_ACCOUNT=" TASKS_SA,
                         "TASKS_AUDIENCE=" TASKS_AUD,
                         "SCHEDULER_SERVICE_ACCOUNT=" SCHEDULER_SA,
                         "SCHEDULER_AUDIENCE=" SCHEDULER_AUD,
                         "FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:1",
                         "AUTH_REQUIRED=1",
                         NULL};
    e2e t;
    e2e_init(&t, env);
    cr_expect(warned(&t.srv, "FIREBASE_AUTH_EMULATOR_HOST is ignored"));
    e2e_seed(&t);
    json_t *admin = json_pack("{s:b}", "admin", 1);
    char *line = e2e_bearer(t.srv.gcp_project, "admin-1", admin, 3600);
    json_decref(admin);
    t.auth = line;
    e2e_expect_start_refused(&t, 401, "UNAUTHENTICATED");

    /* A key URL that is neither https nor loopback: no start at all. */
    const char *bad_url[] = {"GCP_IDTOKEN_GOOGLE_CERTS_URL=http://keys.example.com/certs", NULL};
    int status = 0;
    char *err = refused_start(bad_url, &status);
    cr_expect_eq(status, 2, "exit %d", status);
    cr_expect(err && strstr(err, "GCP_IDTOKEN_GOOGLE_CERTS_URL"), "%s", err);
    free(err);
    free(line);
    world_end(&w);
}

E2E_TEST(private_callers, key_endpoint_blackout_costs_one_fetch)
{
    world w;
    world_init(&w, "transformPipelineJob");
    char *body = seed_pending(&w);
    char *good = bearer(&w, "RS256", TASKS_SA, TASKS_AUD, 3600);
    fake_google_set_keys_blackout(w.fg, 1);
    const char *headers[] = {"Content-Type: application/json", good, NULL};
    e2e_post_concurrently(&w.t.srv, "/transformPipelineJob", headers, body, strlen(body), 4, 503,
                          "SERVICE_UNAVAILABLE");
    /* One fetch (its two attempts) for every request waiting on it. */
    cr_expect_eq(fake_google_keys_requests(w.fg), 2, "key requests: %d", fake_google_keys_requests(w.fg));
    /* The failure is remembered: the next request is answered without another fetch. */
    expect_task_refused(&w, good, body, 503, "SERVICE_UNAVAILABLE");
    cr_expect_eq(fake_google_keys_requests(w.fg), 2);
    fake_google_set_keys_blackout(w.fg, 0);
    free(body);
    free(good);
    world_end(&w);
}
