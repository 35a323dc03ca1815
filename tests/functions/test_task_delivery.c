/*
 * test_task_delivery.c - transformPipelineJob called directly with task payloads
 * {"data": {"jobId", "sessionId", "projectId"}}, as Cloud Tasks would (again):
 *   - the same payload again, after the job completed or while it runs -> 2xx and
 *     nothing changes (status, startedAt, updateTime; one "job started" only);
 *   - the same payload delivered 8 times at once -> all 2xx, the job runs once;
 *   - a payload naming another session or project than the job's -> 4xx, job untouched;
 *     naming a project where the job does not exist -> 2xx, nothing created;
 *   - a payload for a missing job -> 2xx, nothing created;
 *   - malformed payloads -> 400 with the error body.
 */
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

TestSuite(task_delivery, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

static void post_payload(e2e *t, const char *job, const char *session, const char *project, th_response *res)
{
    char *body = e2e_task_body(job, session, project);
    e2e_post_task(t, body, res);
    free(body);
}

E2E_TEST(task_delivery, duplicate_after_completion_changes_nothing)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    fs_doc *done = e2e_wait_job(&t, id, "completed", 15000);
    fs_doc *s_before = e2e_wait_session(&t, "completed", 2000);
    for (int i = 0; i < 2; i++) {
        th_response res;
        post_payload(&t, id, "s1", "p1", &res);
        cr_expect(res.status >= 200 && res.status < 300, "duplicate delivery: %ld %s", res.status, res.body);
        th_response_free(&res);
    }
    fs_doc *after = e2e_get_job(&t, id);
    cr_expect_str_eq(after->update_time, done->update_time, "the completed job was written again");
    cr_expect(json_equal(after->fields, done->fields), "the completed job changed");
    fs_doc *s_after = e2e_get_session(&t);
    cr_expect_str_eq(s_after->update_time, s_before->update_time, "the session was written again");
    cr_expect_eq(e2e_log_count(&t.srv, "job started", id), 1);
    fs_doc_free(done);
    fs_doc_free(after);
    fs_doc_free(s_before);
    fs_doc_free(s_after);
}

E2E_TEST(task_delivery, duplicate_while_running_is_skipped)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=1500", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    fs_doc *running = e2e_wait_job(&t, id, "running", 10000);
    json_t *started = json_incref(json_object_get(running->fields, "startedAt"));
    th_response res;
    post_payload(&t, id, "s1", "p1", &res);
    cr_expect(res.status >= 200 && res.status < 300, "duplicate delivery: %ld %s", res.status, res.body);
    /* skipped, not run (nor waited for): its own answer says so */
    cr_expect(res.body != NULL && strstr(res.body, "Job is not pending; skipped") != NULL,
              "the duplicate was processed, not skipped: %s", res.body);
    th_response_free(&res);
    fs_doc *done = e2e_wait_job(&t, id, "completed", 10000);
    cr_expect(json_equal(json_object_get(done->fields, "startedAt"), started), "startedAt changed");
    /* the "job completed" line is written just after its commit, which the test may see first */
    spawn_wait_stdout(t.srv.proc, "\"message\":\"job completed\"", 5000);
    cr_expect_eq(e2e_log_count(&t.srv, "job started", id), 1);
    cr_expect_eq(e2e_log_count(&t.srv, "job completed", id), 1);
    json_decref(started);
    fs_doc_free(running);
    fs_doc_free(done);
}

E2E_TEST(task_delivery, simultaneous_deliveries_run_the_job_once)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    e2e_seed_job(&t, e2e_job_fixture(&t, "job-1", "pending"));
    char *body = e2e_task_body("job-1", "s1", "p1");
    char url[128];
    snprintf(url, sizeof(url), "%s/transformPipelineJob", t.srv.base);
    const char *headers[] = {"Content-Type: application/json", NULL};
    th_request req = {
        .method = "POST", .url = url, .headers = headers, .body = body, .body_len = strlen(body)};
    th_async *a[8];
    for (int i = 0; i < 8; i++)
        a[i] = th_async_start(&req);
    for (int i = 0; i < 8; i++) {
        th_response res;
        th_async_join(a[i], &res);
        cr_expect(res.status >= 200 && res.status < 300, "delivery %d: %ld %s", i, res.status, res.body);
        th_response_free(&res);
    }
    free(body);
    fs_doc *done = e2e_wait_job(&t, "job-1", "completed", 5000);
    e2e_expect_valid_job(done->fields);
    fs_doc_free(done);
    cr_expect_eq(e2e_log_count(&t.srv, "job started", "job-1"), 1, "the job started more than once");
    cr_expect_eq(e2e_log_count(&t.srv, "job completed", "job-1"), 1, "the job completed more than once");
}

/* Jobs seeded directly (no task queued), so only our own deliveries touch them. */
E2E_TEST(task_delivery, payload_of_another_session_or_project_is_refused)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    e2e_seed_job(&t, e2e_job_fixture(&t, "job-1", "pending"));
    fs_doc *before = e2e_get_job(&t, "job-1");
    th_response res;

    post_payload(&t, "job-1", "s-other", "p1", &res); /* another session */
    cr_expect(res.status >= 400 && res.status < 500, "other session: %ld %s", res.status, res.body);
    e2e_expect_error(&res, res.status, "INVALID_REQUEST");
    th_response_free(&res);

    /* A job document under p2 whose own projectId says p1. */
    json_t *misplaced = e2e_job_fixture(&t, "job-2", "pending");
    t.project = "p2";
    e2e_seed_job(&t, misplaced);
    post_payload(&t, "job-2", "s1", "p2", &res);
    cr_expect(res.status >= 400 && res.status < 500, "other project: %ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc *j2 = e2e_get_job(&t, "job-2");
    cr_expect_str_eq(e2e_str(j2, "status"), "pending", "the misplaced job was processed");
    fs_doc_free(j2);

    /* job-1 named under a project where it does not exist: nothing to do, nothing created. */
    t.project = "p3";
    post_payload(&t, "job-1", "s1", "p3", &res);
    cr_expect(res.status >= 200 && res.status < 300, "job of another project: %ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_eq(e2e_count_jobs(&t), 0, "a job appeared under p3");
    t.project = "p1";

    fs_doc *after = e2e_get_job(&t, "job-1");
    cr_expect_str_eq(after->update_time, before->update_time, "job-1 was written");
    fs_doc_free(after);
    cr_expect_eq(e2e_count_jobs(&t), 1);

    /* The right payload runs it: the refusals were about the payloads, not the job. */
    post_payload(&t, "job-1", "s1", "p1", &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    fs_doc *done = e2e_wait_job(&t, "job-1", "completed", 5000);
    e2e_expect_valid_job(done->fields);
    fs_doc_free(done);
    fs_doc_free(before);
}

E2E_TEST(task_delivery, missing_job_is_skipped)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    e2e_state before = e2e_capture(&t);
    th_response res;
    post_payload(&t, "no-such-job", "s1", "p1", &res);
    cr_expect(res.status >= 200 && res.status < 300, "missing job: %ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_null(e2e_get_job(&t, "no-such-job"), "the missing job was created");
    e2e_expect_unchanged(&t, &before);
}

E2E_TEST(task_delivery, malformed_payloads_are_400)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    e2e_seed_job(&t, e2e_job_fixture(&t, "job-1", "pending"));
    static const char *const bodies[] = {
        "",
        "not json",
        "[]",
        "null",
        "{}",
        "{\"data\":null}",
        "{\"data\":[]}",
        "{\"data\":\"job-1\"}",
        "{\"data\":{}}",
        "{\"jobId\":\"job-1\",\"sessionId\":\"s1\",\"projectId\":\"p1\"}",
        "{\"data\":{\"sessionId\":\"s1\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"sessionId\":\"s1\"}}",
        "{\"data\":{\"jobId\":\"\",\"sessionId\":\"s1\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"sessionId\":\"\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"sessionId\":\"s1\",\"projectId\":\"\"}}",
        "{\"data\":{\"jobId\":1,\"sessionId\":\"s1\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"sessionId\":[\"s1\"],\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"p1/jobs/job-1\",\"sessionId\":\"s1\",\"projectId\":\"p1\"}}",
        "{\"data\":{\"jobId\":\"job-1\",\"sessionId\":\"s1\",\"projectId\":\"p1/x\"}}",
    };
    fs_doc *before = e2e_get_job(&t, "job-1");
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        th_response res;
        e2e_post_task(&t, bodies[i], &res);
        cr_expect_eq(res.status, 400, "payload %s: %ld %s", bodies[i], res.status, res.body);
        e2e_expect_error(&res, 400, "INVALID_REQUEST");
        th_response_free(&res);
    }
    fs_doc *after = e2e_get_job(&t, "job-1");
    cr_expect_str_eq(after->update_time, before->update_time, "job-1 was written");
    cr_expect_eq(e2e_count_jobs(&t), 1);
    fs_doc_free(before);
    fs_doc_free(after);
}
