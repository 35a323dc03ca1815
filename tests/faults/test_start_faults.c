/*
 * test_start_faults.c - startTransformPipeline when Firestore or Cloud Tasks misbehave:
 * the request fails with 500 INTERNAL_ERROR and leaves nothing that blocks the session
 * (docs/contract.md: "A request that fails leaves no job blocking the session"), and once
 * the dependency is back a new request succeeds and its job runs to completion.
 */
#include <string.h>

#include "faults.h"

#define FAIL_FAST_MS 10000 /* a refused dependency must not hold the request long */
#define JOB_DONE_MS  15000

TestSuite(start_faults, .fini = fx_fini);

static void post_start(fx_world *f, th_response *res)
{
    hw_post(&f->s, HW_START_PATH, HW_START_BODY, res);
}

/* With the dependency back: a new request is accepted and its job completes. */
static void expect_recovery(fx_world *f, const char *what)
{
    char job_id[64];
    cr_expect_eq(hw_start_job(&f->s, job_id), 0, "%s: the next request failed", what);
    fs_doc *job = job_id[0] ? hw_wait_job(&f->w, job_id, "completed", JOB_DONE_MS) : NULL;
    fs_doc_free(job);
    hw_expect_alive(&f->s);
}

Test(start_faults, firestore_refused)
{
    fx_world f;
    fx_world_start(&f, FX_FIRESTORE, NULL);
    hw_state before = hw_capture(&f.w);
    cr_assert_eq(proxy_refuse(f.fs), 0);
    th_response res = {0};
    post_start(&f, &res);
    hw_expect_error(&res, 500, "INTERNAL_ERROR", "start with Firestore refused");
    cr_expect_lt(res.elapsed_ms, FAIL_FAST_MS, "the request took %lld ms", (long long)res.elapsed_ms);
    th_response_free(&res);
    hw_expect_unchanged(&f.w, &before, "start with Firestore refused");
    cr_assert_eq(proxy_pass(f.fs), 0);
    expect_recovery(&f, "Firestore back");
    fx_done();
}

/*
 * The commit creating the job reaches Firestore and lands, but its response is lost (the
 * connection is reset before a byte of it comes back). The client retries the commit and
 * the request fails; the job it created must not be left pending with the session
 * pointing at it, or the guest is stuck with 409 until the sweeper runs (~11 minutes).
 */
Test(start_faults, commit_response_lost)
{
    fx_world f;
    fx_world_start(&f, FX_FIRESTORE, NULL);
    cr_assert_eq(proxy_cut(f.fs, 0, ":commit", 1), 0);
    th_response res = {0};
    post_start(&f, &res);
    hw_expect_error(&res, 500, "INTERNAL_ERROR", "start with the commit response lost");
    th_response_free(&res);
    cr_expect_eq(proxy_cuts(f.fs), 1, "the commit was not cut");
    fx_expect_session_free(&f.w, "after a lost commit response");
    fx_expect_no_active_job(&f.w, "after a lost commit response");
    expect_recovery(&f, "after a lost commit response");
    fx_done();
}

/* The task cannot be enqueued: the job and the session end failed, the guest may retry. */
Test(start_faults, tasks_refused_at_enqueue)
{
    fx_world f;
    fx_world_start(&f, FX_TASKS, NULL); /* start-up created the queue through the proxy */
    cr_assert_eq(proxy_refuse(f.tasks), 0);
    th_response res = {0};
    post_start(&f, &res);
    hw_expect_error(&res, 500, "INTERNAL_ERROR", "start with Cloud Tasks refused");
    cr_expect_lt(res.elapsed_ms, FAIL_FAST_MS, "the request took %lld ms", (long long)res.elapsed_ms);
    th_response_free(&res);

    fs_doc *session = hw_get(&f.w, HW_SESSION_PATH);
    cr_expect_str_eq(hw_str(session, "jobStatus"), "failed", "session jobStatus");
    fs_doc *job = *hw_str(session, "jobId") ? hw_get(&f.w, hw_job_path(hw_str(session, "jobId"))) : NULL;
    cr_expect_not_null(job, "the session does not point at the failed job");
    cr_expect_str_eq(hw_str(job, "status"), "failed", "job status");
    cr_expect_str_eq(hw_error_code(job), "UNKNOWN", "job error code");
    cr_expect_eq(hw_count_jobs(&f.w), 1, "jobs created");
    fs_doc_free(job);
    fs_doc_free(session);

    cr_assert_eq(proxy_pass(f.tasks), 0);
    expect_recovery(&f, "Cloud Tasks back");
    fx_done();
}

/* A slow Firestore (every chunk delayed) slows the request down but does not fail it. */
Test(start_faults, firestore_slow)
{
    fx_world f;
    fx_world_start(&f, FX_FIRESTORE, NULL);
    cr_assert_eq(proxy_delay(f.fs, 100), 0);
    expect_recovery(&f, "Firestore slow");
    fx_done();
}
