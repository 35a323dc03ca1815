/*
 * test_outages.c - Cloud Tasks or Firestore out of reach:
 *   - at start-up (CLOUD_TASKS_EMULATOR_HOST on a closed port) the queue cannot be
 *     created: the server refuses to start, exit 2, one clear line on stderr;
 *   - at request time (the server talks to the real emulator through tcp_proxy, switched
 *     off after start-up): 500 INTERNAL_ERROR without detail, the job just created ends
 *     failed with error.code UNKNOWN and a client-safe message, the session shows failed
 *     (so it is not blocked), the detail is in the server log; once the tasks path works
 *     again a new request for the same session is accepted and runs to completion;
 *   - a task refused with 409 on its first attempt (what the Cloud Tasks emulator answers
 *     when its queue is full) is not taken for "already exists": the job is failed, 500;
 *   - Firestore out of reach at request time (through tcp_proxy, switched off):
 *     500 INTERNAL_ERROR with no internal detail, nothing written; back on, it works.
 */
#include <stdlib.h>
#include <string.h>

#include "../support/fake_google.h"
#include "e2e.h"
#include "tcp_proxy.h"

TestSuite(outages, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

E2E_TEST(outages, unreachable_queue_is_a_clear_startup_error)
{
    char project[64], tasks[64];
    e2e_new_project(project);
    snprintf(tasks, sizeof(tasks), "CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:%d", spawn_free_port());
    const char *env[] = {tasks, NULL};
    int64_t t0 = spawn_now_ms();
    e2e_server s = e2e_server_spawn(project, env);
    int rc = spawn_wait(s.proc, 20000);
    e2e_timing("refusal to start with the queue out of reach", spawn_now_ms() - t0);
    cr_expect_eq(rc, 2, "exit status %d, expected 2", rc);
    char *err = spawn_read_stderr(s.proc, NULL);
    cr_expect(err && strstr(err, "startTransformPipeline") && strstr(err, "queue"),
              "stderr does not say which function and what: %s", err ? err : "");
    cr_expect(err && strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err ? err : "");
    cr_expect(err && strstr(err, "Sanitizer") == NULL, "sanitizer report: %s", err ? err : "");
    free(err);
    char *out = spawn_read_stdout(s.proc, NULL);
    cr_expect(out && strstr(out, "serving on port") == NULL, "it claimed to serve: %s", out ? out : "");
    free(out);
    cr_expect_not(spawn_port_open(s.port), "something still listens on %d", s.port);
}

E2E_TEST(outages, failed_enqueue_fails_the_job_and_frees_the_session)
{
    const char *upstream = getenv("CLOUD_TASKS_EMULATOR_HOST");
    cr_assert(upstream && *upstream, "CLOUD_TASKS_EMULATOR_HOST is not set");
    tcp_proxy *proxy = tcp_proxy_start(upstream);
    cr_assert_not_null(proxy, "cannot start the proxy to %s", upstream);
    char tasks[64];
    snprintf(tasks, sizeof(tasks), "CLOUD_TASKS_EMULATOR_HOST=127.0.0.1:%d", tcp_proxy_port(proxy));
    const char *env[] = {tasks, NULL};
    e2e t;
    e2e_init(&t, env); /* the queue is created through the proxy */
    cr_expect_gt(tcp_proxy_accepted(proxy), 0, "start-up did not go through the proxy");
    e2e_seed(&t);

    tcp_proxy_set_enabled(proxy, 0);
    th_response res;
    int64_t t0 = spawn_now_ms();
    e2e_request_job(&t, &res);
    e2e_timing("start request with Cloud Tasks out of reach (-> 500)", spawn_now_ms() - t0);
    e2e_expect_error(&res, 500, "INTERNAL_ERROR");
    cr_expect_null(strcasestr(res.body, "task"), "the 500 talks about tasks: %s", res.body);
    th_response_free(&res);

    fs_doc_list jobs = e2e_list_jobs(&t);
    cr_assert_eq(jobs.n, 1, "%zu jobs after the failed request", jobs.n);
    fs_doc *job = jobs.docs[0];
    e2e_expect_valid_job(job->fields);
    cr_expect_str_eq(e2e_str(job, "status"), "failed");
    const json_t *error = json_object_get(job->fields, "error");
    cr_expect_str_eq(json_string_value(json_object_get(error, "code")) ?: "", "UNKNOWN");
    cr_expect(json_is_false(json_object_get(error, "isRetryable")), "isRetryable is not false");
    const char *msg = json_string_value(json_object_get(error, "message")) ?: "";
    static const char *const internal[] = {"enqueue", "task",      "queue", "http",
                                           "connect", "127.0.0.1", "curl"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        cr_expect_null(strcasestr(msg, internal[i]), "error.message carries \"%s\": %s", internal[i], msg);
    cr_expect(json_is_integer(json_object_get(job->fields, "completedAt")), "completedAt not set");
    cr_expect(json_is_null(json_object_get(job->fields, "startedAt")), "a job that never ran has startedAt");
    fs_doc *s = e2e_get_session(&t);
    cr_expect_str_eq(e2e_str(s, "jobId"), job->id);
    cr_expect_str_eq(e2e_str(s, "jobStatus"), "failed", "the session is left %s", e2e_str(s, "jobStatus"));
    fs_doc_free(s);
    cr_expect_geq(e2e_log_count(&t.srv, "enqueue failed", job->id), 1,
                  "no log line tells why the job failed");
    char failed_id[64];
    snprintf(failed_id, sizeof(failed_id), "%s", job->id);
    fs_doc_list_free(&jobs);

    /* Tasks reachable again: the same session is accepted and its job runs. */
    tcp_proxy_set_enabled(proxy, 1);
    const char *id = e2e_start_job(&t);
    cr_expect_str_neq(id, failed_id);
    fs_doc_free(e2e_wait_job(&t, id, "completed", 15000));
    fs_doc_free(e2e_wait_session(&t, "completed", 2000));
    fs_doc *old = e2e_get_job(&t, failed_id);
    cr_expect_str_eq(e2e_str(old, "status"), "failed", "the failed job changed");
    fs_doc_free(old);
    cr_expect_eq(e2e_count_jobs(&t), 2);
    e2e_check_servers(); /* stop the server before the proxy goes */
    tcp_proxy_free(proxy);
}

E2E_TEST(outages, unreachable_firestore_is_500_without_detail)
{
    const char *upstream = getenv("FIRESTORE_EMULATOR_HOST");
    cr_assert(upstream && *upstream, "FIRESTORE_EMULATOR_HOST is not set");
    tcp_proxy *proxy = tcp_proxy_start(upstream);
    cr_assert_not_null(proxy, "cannot start the proxy to %s", upstream);
    char fs[64];
    snprintf(fs, sizeof(fs), "FIRESTORE_EMULATOR_HOST=127.0.0.1:%d", tcp_proxy_port(proxy));
    const char *env[] = {fs, NULL};
    e2e t;
    e2e_init(&t, env); /* the test's own handle talks to the emulator directly */
    e2e_seed(&t);
    e2e_state before = e2e_capture(&t);

    tcp_proxy_set_enabled(proxy, 0);
    th_response res;
    int64_t t0 = spawn_now_ms();
    e2e_request_job(&t, &res);
    e2e_timing("start request with Firestore out of reach (-> 500)", spawn_now_ms() - t0);
    e2e_expect_error(&res, 500, "INTERNAL_ERROR");
    th_response_free(&res);
    e2e_expect_unchanged(&t, &before);
    cr_expect_gt(tcp_proxy_accepted(proxy), 0, "the server did not try Firestore through the proxy");

    tcp_proxy_set_enabled(proxy, 1);
    const char *id = e2e_start_job(&t);
    fs_doc_free(e2e_wait_job(&t, id, "completed", 15000));
    e2e_check_servers(); /* stop the server before the proxy goes */
    tcp_proxy_free(proxy);
}

E2E_TEST(outages, a_task_refused_as_existing_on_its_first_attempt_fails_the_job)
{
    fake_google *fg = fake_google_start();
    cr_assert_not_null(fg);
    char project[64], tasks[96], queue[256], task_route[300];
    e2e_new_project(project);
    snprintf(queue, sizeof(queue), "/projects/%s/locations/europe-west1/queues/transformPipelineJob",
             project);
    snprintf(task_route, sizeof(task_route), "%s/tasks", queue);
    fake_google_route(fg, "POST", queue, 200, "{}");
    fake_google_route(fg, "POST", task_route, 409, "\"A task with the same name already exists\"");
    snprintf(tasks, sizeof(tasks), "CLOUD_TASKS_EMULATOR_HOST=%s", fake_google_host(fg));
    const char *env[] = {tasks, NULL};
    e2e t;
    e2e_init_project(&t, project, env);
    e2e_seed(&t);
    th_response res;
    e2e_request_job(&t, &res);
    e2e_expect_error(&res, 500, "INTERNAL_ERROR");
    th_response_free(&res);
    cr_expect_eq(fake_google_count(fg, task_route), 1, "the task was not asked for exactly once");
    fs_doc_list jobs = e2e_list_jobs(&t);
    cr_assert_eq(jobs.n, 1, "%zu jobs", jobs.n);
    const json_t *f = jobs.docs[0]->fields;
    cr_expect_str_eq(json_string_value(json_object_get(f, "status")), "failed");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(f, "error"), "code")), "UNKNOWN");
    fs_doc_list_free(&jobs);
    fs_doc *session = e2e_get_session(&t);
    cr_expect_str_eq(e2e_str(session, "jobStatus"), "failed", "the session stays blocked");
    fs_doc_free(session);
    fake_google_stop(fg);
}
