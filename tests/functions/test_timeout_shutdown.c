/*
 * test_timeout_shutdown.c - no job is ever left running:
 *   - a job that runs past its timeout (stub 5 s, TRANSFORM_JOB_TIMEOUT_MS=800) ends
 *     failed with error.code TIMEOUT, isRetryable false, a client-safe message, and the
 *     session shows failed;
 *   - SIGTERM while a job runs (stub 5 s): within the grace period the job is failed
 *     with a sanitized error, the session shows failed, and the process exits 0.
 */
#include <signal.h>
#include <string.h>

#include "e2e.h"

TestSuite(timeout_shutdown, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/* Words that would betray internal detail in a job's error.message. */
static void expect_sanitized(const char *msg)
{
    static const char *const internal[] = {"invocation", "shutdown",  "sigterm",   "signal", "cancelled (",
                                           "deadline",   "projects/", "firestore", "http",   "%"};
    cr_expect(msg != NULL && *msg, "no error.message");
    for (size_t i = 0; msg && i < sizeof(internal) / sizeof(internal[0]); i++)
        cr_expect_null(strcasestr(msg, internal[i]), "error.message carries \"%s\": %s", internal[i], msg);
}

E2E_TEST(timeout_shutdown, job_past_its_timeout_fails_with_TIMEOUT)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=5000", "TRANSFORM_JOB_TIMEOUT_MS=800", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    fs_doc *job = e2e_wait_job(&t, id, "failed", 10000);
    e2e_expect_valid_job(job->fields);
    const json_t *f = job->fields, *error = json_object_get(f, "error");
    cr_expect_str_eq(json_string_value(json_object_get(error, "code")) ?: "", "TIMEOUT");
    cr_expect(json_is_false(json_object_get(error, "isRetryable")), "isRetryable is not false");
    expect_sanitized(json_string_value(json_object_get(error, "message")));
    cr_expect(json_is_null(json_object_get(f, "output")), "a timed-out job has an output");
    json_int_t started = json_integer_value(json_object_get(f, "startedAt"));
    json_int_t completed = json_integer_value(json_object_get(f, "completedAt"));
    cr_expect(completed - started >= 750 && completed - started < 4000,
              "failed %lld ms after start with an 800 ms timeout", (long long)(completed - started));
    e2e_timing("timeout 800 ms: startedAt -> completedAt", completed - started);
    cr_expect_eq(json_integer_value(json_object_get(error, "timestamp")), completed);
    fs_doc *s = e2e_wait_session(&t, "failed", 2000);
    cr_expect_str_eq(e2e_str(s, "jobId"), id);
    e2e_expect_valid_session(s->fields);
    fs_doc_free(s);
    fs_doc_free(job);

    /* Nothing is left running, and it stays failed (a terminal state). */
    spawn_sleep_ms(500);
    fs_doc_list jobs = e2e_list_jobs(&t);
    for (size_t i = 0; i < jobs.n; i++)
        cr_expect_str_eq(e2e_str(jobs.docs[i], "status"), "failed");
    fs_doc_list_free(&jobs);
    cr_expect_geq(e2e_log_count(&t.srv, "job failed", id), 1, "no log line for the failure");
}

E2E_TEST(timeout_shutdown, sigterm_mid_job_fails_it_and_exits_zero)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=5000", "FF_SHUTDOWN_GRACE=5", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    fs_doc_free(e2e_wait_job(&t, id, "running", 10000));
    int64_t t0 = spawn_now_ms();
    cr_assert_eq(spawn_kill(t.srv.proc, SIGTERM), 0);
    int rc = spawn_wait(t.srv.proc, 8000);
    int64_t took = spawn_now_ms() - t0;
    e2e_timing("SIGTERM mid-job -> exit", took);
    cr_expect_eq(rc, 0, "exit status %d after SIGTERM", rc);
    cr_expect_lt(took, 5000, "shutdown took %lld ms, the grace period is 5 s", (long long)took);

    /* Recorded before the process exited: read now, with the server gone. */
    fs_doc *job = e2e_get_job(&t, id);
    cr_assert_not_null(job);
    cr_expect_str_eq(e2e_str(job, "status"), "failed", "job left %s after shutdown", e2e_str(job, "status"));
    e2e_expect_valid_job(job->fields);
    const json_t *error = json_object_get(job->fields, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    static const char *const codes[] = {"PROCESSING_FAILED", "CANCELLED", "UNKNOWN", "TIMEOUT"};
    int known = 0;
    for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
        known |= strcmp(code, codes[i]) == 0;
    cr_expect(known, "error.code %s", code ? code : "(none)");
    expect_sanitized(json_string_value(json_object_get(error, "message")));
    if (code && strcmp(code, "PROCESSING_FAILED") == 0) { /* the sentence the TypeScript version stores */
        json_t *ref = e2e_wire_fixture_plain("wire/job-failed.json");
        const char *want = json_string_value(json_object_get(json_object_get(ref, "error"), "message"));
        cr_expect_str_eq(json_string_value(json_object_get(error, "message")) ?: "", want ?: "?");
        json_decref(ref);
    }
    cr_expect(json_is_false(json_object_get(error, "isRetryable")));
    fs_doc *s = e2e_get_session(&t);
    cr_expect_str_eq(e2e_str(s, "jobStatus"), "failed");
    fs_doc_free(s);
    fs_doc_free(job);
}
