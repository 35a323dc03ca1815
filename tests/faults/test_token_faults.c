/*
 * test_token_faults.c - the OAuth token source failing, in process, through the
 * credentials module (gcp/auth.h) and the Cloud Tasks client that needs its tokens:
 *   - a service-account key file (GOOGLE_APPLICATION_CREDENTIALS) whose token_uri is
 *     fake_google's token endpoint, which refuses exchanges on command (the assertion's
 *     audience must be that very URL, so this endpoint cannot sit behind the proxy);
 *   - the metadata server (GCE_METADATA_HOST) reached through the proxy, which makes it
 *     unreachable, cuts its answers or never answers.
 * A failing source gives a clear error naming it (never a token or an assertion),
 * nothing crashes, a still-valid token keeps being used, and everything recovers when
 * the source returns.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/fake_google.h"
#include "faults.h"
#include "gcp/auth.h"
#include "gcp/tasks.h"

#define EMAIL      "svc@demo-h.iam.gserviceaccount.com"
#define PROJECT    "demo-h-token"
#define TASKS_PATH "/v2/projects/" PROJECT "/locations/europe-west1/queues/q1/tasks"
#define FAIL_MS    5000
#define DROP_MS    12000 /* the metadata client: 2 attempts of at most 5 s */

typedef struct rig {
    fake_google *fg;
    proxy *p;         /* metadata rig only */
    char source[128]; /* what errors must name: the token endpoint URL or the metadata host */
    char key_path[64];
} rig;

static void rig_env(void)
{
    setenv("GOOGLE_CLOUD_PROJECT", PROJECT, 1);
    unsetenv("CLOUD_TASKS_EMULATOR_HOST");
    unsetenv("FIRESTORE_EMULATOR_HOST");
    gcp_auth_reset();
}

/* Key-file credentials exchanged at fake_google's token endpoint. */
static void rig_key_file(rig *r)
{
    memset(r, 0, sizeof(*r));
    r->fg = fake_google_start();
    cr_assert_not_null(r->fg);
    snprintf(r->source, sizeof(r->source), "%s" FAKE_GOOGLE_TOKEN_PATH, fake_google_url(r->fg));
    snprintf(r->key_path, sizeof(r->key_path), "/tmp/ff-faults-key-XXXXXX");
    int fd = mkstemp(r->key_path);
    cr_assert_geq(fd, 0, "cannot create the key file");
    close(fd);
    cr_assert_eq(fake_google_write_sa_key(r->fg, r->key_path, EMAIL, PROJECT), 0);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", r->key_path, 1);
    rig_env();
}

/* Metadata-server credentials, the server behind the proxy. */
static void rig_metadata(rig *r)
{
    memset(r, 0, sizeof(*r));
    r->fg = fake_google_start();
    cr_assert_not_null(r->fg);
    r->p = fx_proxy_to(fake_google_host(r->fg));
    snprintf(r->source, sizeof(r->source), "%s", proxy_addr(r->p));
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    setenv("GCE_METADATA_HOST", proxy_addr(r->p), 1);
    rig_env();
}

static void rig_stop(rig *r)
{
    if (r->key_path[0])
        unlink(r->key_path);
    fx_done();
    fake_google_stop(r->fg);
}

/* Expects a failure naming the source and carrying no secret, within limit_ms. */
static void expect_token_error(rig *r, int code, const char *detail, int limit_ms, const char *what)
{
    char tok[4096];
    ff_error err = {0};
    int64_t t0 = spawn_now_ms();
    int rc = gcp_auth_access_token(tok, sizeof(tok), &err);
    int64_t took = spawn_now_ms() - t0;
    cr_expect_eq(rc, code, "%s: rc %d (%s)", what, rc, err.message);
    cr_expect_lt(took, limit_ms, "%s: took %lld ms", what, (long long)took);
    cr_expect_not_null(strstr(err.message, r->source), "%s: the error does not name %s: %s", what, r->source,
                       err.message);
    if (detail != NULL)
        cr_expect_not_null(strstr(err.message, detail), "%s: no \"%s\" in: %s", what, detail, err.message);
    cr_expect_null(strstr(err.message, "eyJ"), "%s: the error carries a JWT: %s", what, err.message);
    cr_expect_null(strstr(err.message, "fake-token"), "%s: the error carries a token: %s", what, err.message);
}

static void expect_token(char *tok, size_t len, const char *what)
{
    ff_error err = {0};
    int rc = gcp_auth_access_token(tok, len, &err);
    cr_expect_eq(rc, 0, "%s: rc %d (%s)", what, rc, err.message);
    cr_expect_gt(strlen(tok), 0, "%s: empty token", what);
}

TestSuite(token_faults, .fini = fx_fini);

Test(token_faults, key_file_endpoint_refusing_then_back)
{
    rig r;
    rig_key_file(&r);
    fake_google_set_token_status(r.fg, 500);
    expect_token_error(&r, GCP_AUTH_ERR_EXCHANGE, "HTTP 500", FAIL_MS, "endpoint answering 500");
    fake_google_set_token_status(r.fg, 503); /* retried as transient, then reported */
    expect_token_error(&r, GCP_AUTH_ERR_EXCHANGE, "HTTP 503", FAIL_MS, "endpoint answering 503");
    fake_google_set_token_status(r.fg, 200);
    char tok[4096], again[4096];
    expect_token(tok, sizeof(tok), "endpoint back");
    fake_google_set_token_status(r.fg, 500);
    expect_token(again, sizeof(again), "cached token while the endpoint refuses");
    cr_expect_str_eq(again, tok, "the cached token was not used");
    cr_expect_eq(fake_google_tokens_issued(r.fg), 1);
    rig_stop(&r);
}

/* A refresh that fails while the current token is still valid keeps the current token. */
Test(token_faults, failed_refresh_keeps_the_valid_token)
{
    rig r;
    rig_key_file(&r);
    fake_google_set_expires_in(r.fg, 301); /* due for refresh after 1 s (5 min margin) */
    char first[4096], during[4096], after[4096];
    expect_token(first, sizeof(first), "first token");
    spawn_sleep_ms(1200);
    fake_google_set_token_status(r.fg, 500);
    expect_token(during, sizeof(during), "refresh refused");
    cr_expect_str_eq(during, first, "the still-valid token was not kept");
    fake_google_set_token_status(r.fg, 200);
    expect_token(after, sizeof(after), "refresh accepted");
    cr_expect_str_neq(after, first, "the token was not refreshed");
    cr_expect_eq(fake_google_tokens_issued(r.fg), 2);
    rig_stop(&r);
}

Test(token_faults, metadata_unreachable_cut_or_silent_then_back)
{
    rig r;
    rig_metadata(&r);
    cr_assert_eq(proxy_refuse(r.p), 0);
    expect_token_error(&r, GCP_AUTH_ERR_METADATA, "unreachable", FAIL_MS, "metadata refused");
    cr_assert_eq(proxy_cut(r.p, 20, NULL, 0), 0);
    expect_token_error(&r, GCP_AUTH_ERR_METADATA, NULL, FAIL_MS, "metadata answer cut");
    cr_expect_geq(proxy_cuts(r.p), 1);
    cr_assert_eq(proxy_drop(r.p), 0);
    expect_token_error(&r, GCP_AUTH_ERR_METADATA, NULL, DROP_MS, "metadata never answering");
    cr_assert_eq(proxy_pass(r.p), 0);
    char tok[4096];
    expect_token(tok, sizeof(tok), "metadata back");
    rig_stop(&r);
}

/* Cloud Tasks (production API at fake_google) cannot authenticate, then can. */
Test(token_faults, tasks_client_without_then_with_token)
{
    rig r;
    rig_metadata(&r);
    char api[96];
    snprintf(api, sizeof(api), "%s/v2", fake_google_url(r.fg));
    gcp_tasks_set_endpoint(api);
    fake_google_route(r.fg, "POST", TASKS_PATH, 200,
                      "{\"name\":\"projects/" PROJECT "/locations/europe-west1/queues/q1/tasks/t1\"}");
    json_t *body = json_pack("{s:{s:s}}", "data", "jobId", "j1");
    gcp_tasks_task task = {.location = "europe-west1",
                           .queue = "q1",
                           .task_id = "t1",
                           .url = "https://example.com/transformPipelineJob",
                           .body = body};
    ff_error err = {0};
    cr_assert_eq(proxy_refuse(r.p), 0);
    int rc = gcp_tasks_create(&task, NULL, &err);
    cr_expect_eq(rc, GCP_TASKS_ERR_AUTH, "rc %d (%s)", rc, err.message);
    cr_expect_not_null(strstr(err.message, r.source), "the error does not name %s: %s", r.source,
                       err.message);
    cr_expect_eq(fake_google_count(r.fg, TASKS_PATH), 0, "a task was sent without a token");

    cr_assert_eq(proxy_pass(r.p), 0);
    rc = gcp_tasks_create(&task, NULL, &err);
    cr_expect_eq(rc, GCP_TASKS_OK, "rc %d (%s)", rc, err.message);
    fake_google_request sent = {0};
    cr_assert_eq(fake_google_get(r.fg, TASKS_PATH, 0, &sent), 0, "no task was sent");
    char *auth = fake_google_header(&sent, "authorization");
    cr_expect(auth != NULL && strncmp(auth, "Bearer ", 7) == 0 && auth[7] != '\0', "Authorization: %s",
              auth ? auth : "(none)");
    free(auth);
    fake_google_request_free(&sent);
    json_decref(body);
    gcp_tasks_set_endpoint(NULL);
    rig_stop(&r);
}
