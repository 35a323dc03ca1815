/*
 * test_tasks_get.c - gcp_tasks_exists (Cloud Tasks v2 tasks.get) against fake_google
 * standing in for cloudtasks.googleapis.com: the request (GET on the task's resource
 * name, BASIC view, bearer token, no body), 200 = queued, 404 = gone, other answers
 * mapped to errors, bad IDs refused before any call, and emulator mode answering
 * UNSUPPORTED without a call (the Firebase CLI emulator cannot look tasks up).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gcp/auth.h"
#include "gcp/tasks.h"
#include "tasks_fake.h"

#define SA_EMAIL  TF_SA_EMAIL
#define TASK_PATH "/v2/projects/demo-test/locations/europe-west1/queues/transformPipelineJob/tasks/job-1"

TestSuite(tasks_get, .init = tf_setup, .fini = tf_teardown, .timeout = 60);

static int exists(const char *task_id, ff_error *err)
{
    ff_error_clear(err);
    return gcp_tasks_exists(NULL, "europe-west1", "transformPipelineJob", task_id, 0, err);
}

Test(tasks_get, a_queued_task_exists)
{
    fake_google_route(tf_api, "GET", TASK_PATH, 200,
                      "{\"name\": \"projects/demo-test/locations/europe-west1/queues/transformPipelineJob/"
                      "tasks/job-1\", \"view\": \"BASIC\"}");
    ff_error err;
    cr_assert_eq(exists("job-1", &err), GCP_TASKS_OK, "%s", err.message);
    fake_google_request r;
    cr_assert_eq(fake_google_get(tf_api, TASK_PATH, 0, &r), 0, "no GET on the task's name");
    cr_expect_str_eq(r.method, "GET");
    cr_expect(strstr(r.path, "responseView=BASIC") != NULL, "BASIC view (no payload): %s", r.path);
    cr_expect_eq(r.body_len, 0, "no body on a GET");
    char *auth = fake_google_header(&r, "Authorization");
    cr_expect(auth && strncmp(auth, "Bearer ", 7) == 0, "bearer token: %s", auth ? auth : "(none)");
    free(auth);
    fake_google_request_free(&r);
}

Test(tasks_get, a_gone_task_is_not_found)
{
    fake_google_route(tf_api, "GET", TASK_PATH, 404,
                      "{\"error\": {\"code\": 404, \"message\": \"Requested entity was not found.\", "
                      "\"status\": \"NOT_FOUND\"}}");
    ff_error err;
    cr_expect_eq(exists("job-1", &err), GCP_TASKS_ERR_NOT_FOUND, "%s", err.message);
    cr_expect_eq(err.code, GCP_TASKS_ERR_NOT_FOUND);
}

Test(tasks_get, refusals_are_errors_not_answers)
{
    fake_google_route(
        tf_api, "GET", TASK_PATH, 403,
        "{\"error\": {\"code\": 403, \"message\": \"denied\", \"status\": \"PERMISSION_DENIED\"}}");
    ff_error err;
    cr_expect_eq(exists("job-1", &err), GCP_TASKS_ERR_AUTH);
    cr_expect(strstr(err.message, "403") != NULL, "%s", err.message);
    fake_google_route(tf_api, "GET", TASK_PATH, 400,
                      "{\"error\": {\"code\": 400, \"message\": \"bad\", \"status\": \"INVALID_ARGUMENT\"}}");
    cr_expect_eq(exists("job-1", &err), GCP_TASKS_ERR_API);
}

Test(tasks_get, bad_ids_are_refused_before_any_call)
{
    ff_error err;
    cr_expect_eq(exists("job/1", &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(exists("", &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(exists(NULL, &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(gcp_tasks_exists(NULL, "europe west1", "q", "job-1", 0, &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(gcp_tasks_exists("bad project", "europe-west1", "q", "job-1", 0, &err), GCP_TASKS_ERR_ARG);
    cr_expect_eq(fake_google_count(tf_api, NULL), 0, "nothing sent");
}

Test(tasks_get, the_emulator_cannot_look_tasks_up)
{
    setenv("CLOUD_TASKS_EMULATOR_HOST", fake_google_host(tf_api), 1);
    ff_error err;
    cr_expect_eq(exists("job-1", &err), GCP_TASKS_ERR_UNSUPPORTED);
    cr_expect_eq(err.code, GCP_TASKS_ERR_UNSUPPORTED);
    cr_expect_eq(fake_google_count(tf_api, NULL), 0, "no call in emulator mode");
    unsetenv("CLOUD_TASKS_EMULATOR_HOST");
}
