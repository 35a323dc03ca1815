/*
 * test_tasks_emulator.c - the Cloud Tasks client against the real Firebase CLI Cloud
 * Tasks emulator (CLOUD_TASKS_EMULATOR_HOST, started by scripts/run-tests.sh): queue
 * creation with settings, delivery of a task's body and headers to a local server,
 * ALREADY_EXISTS for a repeated named task, and the retry setting as delivered.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/fake_google.h"
#include "gcp/auth.h"
#include "gcp/http.h"
#include "gcp/tasks.h"

#define LOCATION "europe-west1"

static fake_google *g_target; /* receives the deliveries */
static char g_queue[64];
static char g_url[128];

static void setup(void)
{
    if (getenv("CLOUD_TASKS_EMULATOR_HOST") == NULL)
        cr_skip_test("CLOUD_TASKS_EMULATOR_HOST is not set (run through scripts/run-tests.sh)");
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    setenv("GOOGLE_CLOUD_PROJECT", "demo-test", 1);
    gcp_auth_reset();
    g_target = fake_google_start();
    cr_assert_not_null(g_target);
    fake_google_route(g_target, "POST", "/deliver", 200, "{}");
    snprintf(g_url, sizeof(g_url), "%s/deliver", fake_google_url(g_target));
    /* one queue per test: tests run in parallel processes against one emulator */
    static int seq;
    snprintf(g_queue, sizeof(g_queue), "t%d-%d", (int)getpid(), ++seq);
}

static void teardown(void)
{
    fake_google_stop(g_target);
    g_target = NULL;
    gcp_auth_reset();
}

TestSuite(tasks_emulator, .init = setup, .fini = teardown, .timeout = 60);

static void ensure_queue(int max_attempts)
{
    gcp_tasks_queue q = {.location = LOCATION,
                         .queue = g_queue,
                         .max_attempts = max_attempts,
                         .max_concurrent_dispatches = 10,
                         .dispatch_deadline_s = 600};
    ff_error err = {0};
    cr_assert_eq(gcp_tasks_queue_ensure(&q, &err), GCP_TASKS_OK, "%s", err.message);
}

static json_t *job_body(void)
{
    return json_pack("{s:{s:s, s:s, s:s}}", "data", "jobId", "job-1", "sessionId", "session-1", "projectId",
                     "project-1");
}

static int create(const char *task_id, json_t *body, char **name, ff_error *err)
{
    static const gcp_tasks_header extra[] = {{"X-Test-Header", "present"}};
    ff_error aerr = {0};
    const char *sa = gcp_auth_service_account_email(&aerr);
    cr_assert_not_null(sa, "%s", aerr.message);
    gcp_tasks_task t = {.location = LOCATION,
                        .queue = g_queue,
                        .task_id = task_id,
                        .url = g_url,
                        .body = body,
                        .headers = extra,
                        .n_headers = 1,
                        .oidc_service_account_email = sa,
                        .dispatch_deadline_s = 600};
    ff_error_clear(err);
    return gcp_tasks_create(&t, name, err);
}

static void expect_header(const fake_google_request *r, const char *name, const char *want)
{
    char *v = fake_google_header(r, name);
    cr_expect_not_null(v, "delivery lacks %s", name);
    if (v && want)
        cr_expect_str_eq(v, want, "%s", name);
    free(v);
}

Test(tasks_emulator, task_is_delivered_with_body_and_headers)
{
    ensure_queue(1);
    json_t *body = job_body();
    char *name = NULL;
    ff_error err = {0};
    cr_assert_eq(create("job-1", body, &name, &err), GCP_TASKS_OK, "%s", err.message);
    char want_name[256];
    snprintf(want_name, sizeof(want_name), "projects/demo-test/locations/%s/queues/%s/tasks/job-1", LOCATION,
             g_queue);
    cr_expect_str_eq(name, want_name);
    free(name);

    cr_assert_eq(fake_google_wait(g_target, "/deliver", 1, 15000), 1, "task not delivered");
    fake_google_request r;
    cr_assert_eq(fake_google_get(g_target, "/deliver", 0, &r), 0);
    cr_expect_str_eq(r.method, "POST");
    json_t *got = json_loadb(r.body, r.body_len, 0, NULL);
    cr_expect(json_equal(got, body), "delivered body: %s", r.body);
    expect_header(&r, "Content-Type", "application/json");
    expect_header(&r, "X-Test-Header", "present");
    expect_header(&r, "X-CloudTasks-TaskName", "job-1");
    expect_header(&r, "X-CloudTasks-TaskRetryCount", "0");
    expect_header(&r, "X-CloudTasks-TaskExecutionCount", "0");
    expect_header(&r, "X-CloudTasks-TaskETA", NULL);
    /* the emulator names the queue by its internal key, not the short queue ID */
    char qkey[128];
    snprintf(qkey, sizeof(qkey), "queue:demo-test-%s-%s", LOCATION, g_queue);
    expect_header(&r, "X-CloudTasks-QueueName", qkey);
    fake_google_request_free(&r);
    json_decref(got);
    json_decref(body);
}

Test(tasks_emulator, named_task_enqueued_twice_already_exists)
{
    ensure_queue(1);
    json_t *body = job_body();
    ff_error err = {0};
    cr_assert_eq(create("dup-1", body, NULL, &err), GCP_TASKS_OK, "%s", err.message);
    cr_expect_eq(create("dup-1", body, NULL, &err), GCP_TASKS_ALREADY_EXISTS, "%s", err.message);
    cr_expect_eq(err.code, GCP_TASKS_ALREADY_EXISTS);
    cr_expect_eq(fake_google_wait(g_target, "/deliver", 1, 15000), 1);
    usleep(1500 * 1000);
    cr_expect_eq(fake_google_count(g_target, "/deliver"), 1, "delivered once");
    json_decref(body);
}

Test(tasks_emulator, unnamed_task_gets_a_name)
{
    ensure_queue(1);
    json_t *body = job_body();
    char *name = NULL;
    ff_error err = {0};
    cr_assert_eq(create(NULL, body, &name, &err), GCP_TASKS_OK, "%s", err.message);
    cr_assert_not_null(name);
    cr_expect_eq(strncmp(name, "projects/demo-test/", 19), 0, "%s", name);
    cr_expect_eq(fake_google_wait(g_target, "/deliver", 1, 15000), 1);
    free(name);
    json_decref(body);
}

/* The emulator's statistics for our queue; a new reference. */
static json_t *queue_stats(void)
{
    char url[256], key[128];
    snprintf(url, sizeof(url), "http://%s/queueStats", getenv("CLOUD_TASKS_EMULATOR_HOST"));
    snprintf(key, sizeof(key), "queue:demo-test-%s-%s", LOCATION, g_queue);
    gcp_http_request req = {.method = "GET", .url = url};
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK, "%s", err.message);
    json_t *root = json_loadb(res.body, res.body_len, 0, NULL);
    json_t *stats = json_incref(json_object_get(root, key));
    json_decref(root);
    gcp_http_response_free(&res);
    return stats;
}

Test(tasks_emulator, queue_created_with_its_settings)
{
    ensure_queue(1);
    json_t *stats = queue_stats();
    cr_assert_not_null(stats, "queue missing from /queueStats");
    cr_expect_eq(json_integer_value(json_object_get(stats, "maxConcurrent")), 10);
    json_decref(stats);
}

Test(tasks_emulator, one_attempt_means_no_retry)
{
    ensure_queue(1);
    fake_google_route(g_target, "POST", "/deliver", 500, "{}");
    json_t *body = job_body();
    ff_error err = {0};
    cr_assert_eq(create("fail-once", body, NULL, &err), GCP_TASKS_OK, "%s", err.message);
    cr_assert_eq(fake_google_wait(g_target, "/deliver", 1, 15000), 1);
    usleep(3000 * 1000); /* the emulator's backoff starts at 0.1 s: a retry would be here */
    cr_expect_eq(fake_google_count(g_target, "/deliver"), 1, "the failed task was retried");
    json_decref(body);
}

Test(tasks_emulator, three_attempts_deliver_three_times)
{
    ensure_queue(3);
    fake_google_route(g_target, "POST", "/deliver", 500, "{}");
    json_t *body = job_body();
    ff_error err = {0};
    cr_assert_eq(create("fail-thrice", body, NULL, &err), GCP_TASKS_OK, "%s", err.message);
    cr_expect_eq(fake_google_wait(g_target, "/deliver", 3, 20000), 3);
    usleep(3000 * 1000);
    cr_expect_eq(fake_google_count(g_target, "/deliver"), 3);
    fake_google_request r;
    cr_assert_eq(fake_google_get(g_target, "/deliver", 2, &r), 0);
    expect_header(&r, "X-CloudTasks-TaskRetryCount", "2");
    fake_google_request_free(&r);
    json_decref(body);
}

Test(tasks_emulator, missing_queue_is_not_found)
{
    json_t *body = job_body();
    ff_error err = {0};
    cr_expect_eq(create("orphan", body, NULL, &err), GCP_TASKS_ERR_NOT_FOUND, "%s", err.message);
    json_decref(body);
}
