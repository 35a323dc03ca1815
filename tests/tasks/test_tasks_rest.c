/*
 * test_tasks_rest.c - the Cloud Tasks v2 REST dialect (no emulator variable), against
 * fake_google standing in for cloudtasks.googleapis.com and its token endpoint: the
 * createTask request (name, base64 body, headers, OIDC token, deadline, bearer token),
 * queue patching with an update mask, and how error answers map to return codes.
 */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gcp/auth.h"
#include "gcp/tasks.h"
#include "tasks_fake.h"

#define SA_EMAIL   TF_SA_EMAIL
#define INVOKER    "tasks-invoker@demo-test.iam.gserviceaccount.com"
#define TASKS_PATH "/v2/projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks"
#define QUEUE_PATH "/v2/projects/demo-test/locations/europe-west1/queues/transformPipelineJob"
#define TARGET     "https://europe-west1-demo-test.cloudfunctions.net/transformPipelineJob"

TestSuite(tasks_rest, .init = tf_setup, .fini = tf_teardown, .timeout = 60);

static int create(const char *task_id, char **name, ff_error *err)
{
    json_t *body =
        json_pack("{s:{s:s, s:s, s:s}}", "data", "jobId", "j1", "sessionId", "s1", "projectId", "p1");
    gcp_tasks_task t = {.location = "europe-west1",
                        .queue = "transformPipelineJob",
                        .task_id = task_id,
                        .url = TARGET,
                        .body = body,
                        .oidc_service_account_email = INVOKER,
                        .dispatch_deadline_s = 600};
    ff_error_clear(err);
    int rc = gcp_tasks_create(&t, name, err);
    json_decref(body);
    return rc;
}

/* The JSON body of the index-th request to path; a new reference. */
static json_t *sent_json(const char *path, int index, fake_google_request *r)
{
    cr_assert_eq(fake_google_get(tf_api, path, index, r), 0, "no request %d to %s", index, path);
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    cr_assert_not_null(j, "request body is not JSON: %s", r->body);
    return j;
}

static const char *jstr(json_t *root, const char *path1, const char *path2, const char *path3)
{
    json_t *v = json_object_get(root, path1);
    v = path2 ? json_object_get(v, path2) : v;
    v = path3 ? json_object_get(v, path3) : v;
    return json_string_value(v);
}

Test(tasks_rest, create_task_request_shape)
{
    fake_google_route(
        tf_api, "POST", TASKS_PATH, 200,
        "{\"name\": \"projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks/job-9\"}");
    char *name = NULL;
    ff_error err = {0};
    cr_assert_eq(create("job-9", &name, &err), GCP_TASKS_OK, "%s", err.message);
    cr_expect_str_eq(name,
                     "projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks/job-9");
    free(name);

    fake_google_request r;
    json_t *j = sent_json(TASKS_PATH, 0, &r);
    char *auth = fake_google_header(&r, "Authorization");
    cr_expect_str_eq(auth, "Bearer fake-token-1");
    free(auth);
    cr_expect_str_eq(jstr(j, "task", "name", NULL),
                     "projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks/job-9");
    cr_expect_str_eq(jstr(j, "task", "dispatchDeadline", NULL), "600s");
    json_t *http = json_object_get(json_object_get(j, "task"), "httpRequest");
    cr_expect_str_eq(jstr(http, "url", NULL, NULL), TARGET);
    cr_expect_str_eq(jstr(http, "httpMethod", NULL, NULL), "POST");
    cr_expect_str_eq(jstr(http, "headers", "Content-Type", NULL), "application/json");
    cr_expect_str_eq(jstr(http, "oidcToken", "serviceAccountEmail", NULL), INVOKER);
    cr_expect_str_eq(jstr(http, "oidcToken", "audience", NULL), TARGET);
    const char *b64 = jstr(http, "body", NULL, NULL);
    cr_assert_not_null(b64);
    unsigned char decoded[512];
    int n = EVP_DecodeBlock(decoded, (const unsigned char *)b64, (int)strlen(b64));
    cr_assert(n > 0);
    while (n > 0 && decoded[n - 1] == '\0') /* EVP_DecodeBlock counts padding bytes */
        n--;
    json_t *payload = json_loadb((const char *)decoded, (size_t)n, 0, NULL);
    cr_expect_str_eq(jstr(payload, "data", "jobId", NULL), "j1");
    json_decref(payload);
    json_decref(j);
    fake_google_request_free(&r);
}

Test(tasks_rest, create_task_headers_later_names_win_and_optional_parts_absent)
{
    fake_google_route(
        tf_api, "POST", TASKS_PATH, 200,
        "{\"name\": \"projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks/1\"}");
    json_t *body = json_pack("{s:s}", "k", "caf\u00e9 \"q\"");
    gcp_tasks_header hdrs[] = {{"X-A", "1"}, {"Content-Type", "text/plain"}, {"X-A", "2"}, {"X-B", "\u00e9"}};
    gcp_tasks_task t = {.location = "europe-west1",
                        .queue = "transformPipelineJob",
                        .url = TARGET,
                        .body = body,
                        .headers = hdrs,
                        .n_headers = 4};
    ff_error err = {0};
    cr_assert_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_OK, "%s", err.message);
    json_decref(body);
    fake_google_request r;
    json_t *j = sent_json(TASKS_PATH, 0, &r);
    json_t *task = json_object_get(j, "task"), *http = json_object_get(task, "httpRequest");
    json_t *h = json_object_get(http, "headers");
    json_t *strict = json_loadb(r.body, r.body_len, JSON_REJECT_DUPLICATES, NULL);
    cr_expect_not_null(strict, "no name twice in an object: %s", r.body);
    json_decref(strict);
    cr_expect_eq(json_object_size(h), 3, "one entry per name");
    cr_expect_str_eq(jstr(h, "Content-Type", NULL, NULL), "text/plain", "the caller's replaces the default");
    cr_expect_str_eq(jstr(h, "X-A", NULL, NULL), "2", "the later of two");
    cr_expect_str_eq(jstr(h, "X-B", NULL, NULL), "\u00e9");
    cr_expect_null(json_object_get(task, "name"), "unnamed task");
    cr_expect_null(json_object_get(task, "dispatchDeadline"));
    cr_expect_null(json_object_get(http, "oidcToken"));
    json_decref(j);
    fake_google_request_free(&r);
}

Test(tasks_rest, already_exists_is_reported_distinctly)
{
    fake_google_route(tf_api, "POST", TASKS_PATH, 409,
                      "{\"error\": {\"code\": 409, \"message\": \"Requested entity already exists\", "
                      "\"status\": \"ALREADY_EXISTS\"}}");
    ff_error err = {0};
    cr_expect_eq(create("job-9", NULL, &err), GCP_TASKS_ALREADY_EXISTS, "%s", err.message);
    cr_expect_eq(err.code, GCP_TASKS_ALREADY_EXISTS);
}

Test(tasks_rest, error_answers_map_to_codes)
{
    struct {
        int status;
        const char *google_status;
        int want;
    } cases[] = {
        {404, "NOT_FOUND", GCP_TASKS_ERR_NOT_FOUND},
        {403, "PERMISSION_DENIED", GCP_TASKS_ERR_AUTH},
        {400, "INVALID_ARGUMENT", GCP_TASKS_ERR_API},
        {409, "ABORTED", GCP_TASKS_ERR_API},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"error\": {\"code\": %d, \"message\": \"m\", \"status\": \"%s\"}}",
                 cases[i].status, cases[i].google_status);
        fake_google_route(tf_api, "POST", TASKS_PATH, cases[i].status, body);
        ff_error err = {0};
        cr_expect_eq(create(NULL, NULL, &err), cases[i].want, "HTTP %d %s gave %d: %s", cases[i].status,
                     cases[i].google_status, err.code, err.message);
        cr_expect_not_null(strstr(err.message, cases[i].google_status), "%s", err.message);
    }
}

Test(tasks_rest, unnamed_task_is_never_retried)
{
    fake_google_route(tf_api, "POST", TASKS_PATH, 503,
                      "{\"error\": {\"code\": 503, \"message\": \"busy\", \"status\": \"UNAVAILABLE\"}}");
    ff_error err = {0};
    cr_expect_eq(create(NULL, NULL, &err), GCP_TASKS_ERR_API);
    cr_expect_eq(fake_google_count(tf_api, TASKS_PATH), 1);
}

Test(tasks_rest, named_task_is_retried_on_unavailable)
{
    fake_google_route(tf_api, "POST", TASKS_PATH, 503,
                      "{\"error\": {\"code\": 503, \"message\": \"busy\", \"status\": \"UNAVAILABLE\"}}");
    ff_error err = {0};
    cr_expect_eq(create("job-r", NULL, &err), GCP_TASKS_ERR_API);
    cr_expect_gt(fake_google_count(tf_api, TASKS_PATH), 1);
}

Test(tasks_rest, no_credentials_is_an_auth_error)
{
    setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json", 1);
    gcp_auth_reset();
    ff_error err = {0};
    cr_expect_eq(create("job-1", NULL, &err), GCP_TASKS_ERR_AUTH);
    cr_expect_not_null(strstr(err.message, "/nonexistent/key.json"), "%s", err.message);
    cr_expect_eq(fake_google_count(tf_api, TASKS_PATH), 0);
}

Test(tasks_rest, queue_patch_with_update_mask)
{
    fake_google_route(tf_api, "PATCH", QUEUE_PATH, 200, "{}");
    gcp_tasks_queue q = {.location = "europe-west1",
                         .queue = "transformPipelineJob",
                         .max_attempts = 1,
                         .max_concurrent_dispatches = 10,
                         .dispatch_deadline_s = 600};
    ff_error err = {0};
    cr_assert_eq(gcp_tasks_queue_ensure(&q, &err), GCP_TASKS_OK, "%s", err.message);
    fake_google_request r;
    json_t *j = sent_json(QUEUE_PATH, 0, &r);
    cr_expect_str_eq(r.method, "PATCH");
    cr_expect_str_eq(r.path,
                     QUEUE_PATH "?updateMask=rateLimits.maxConcurrentDispatches,retryConfig.maxAttempts");
    cr_expect_str_eq(jstr(j, "name", NULL, NULL),
                     "projects/demo-test/locations/europe-west1/queues/transformPipelineJob");
    cr_expect_eq(
        json_integer_value(json_object_get(json_object_get(j, "rateLimits"), "maxConcurrentDispatches")), 10);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(j, "retryConfig"), "maxAttempts")), 1);
    json_decref(j);
    fake_google_request_free(&r);
}

Test(tasks_rest, invalid_arguments)
{
    json_t *body = json_object();
    gcp_tasks_task ok = {.location = "europe-west1", .queue = "q", .url = TARGET, .body = body};
    gcp_tasks_task t;
    ff_error err = {0};
    t = ok;
    t.queue = "bad/queue";
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    t = ok;
    t.task_id = "has space";
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    t = ok;
    t.url = "ftp://x";
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    t = ok;
    t.dispatch_deadline_s = 5;
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    t = ok;
    t.body = NULL;
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    gcp_tasks_header bad = {"X-Evil", "a\r\nInjected: 1"};
    t = ok;
    t.headers = &bad;
    t.n_headers = 1;
    cr_expect_eq(gcp_tasks_create(&t, NULL, &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(fake_google_count(tf_api, NULL), 0);
    json_decref(body);
}
