/*
 * test_job_faults.c - transformPipelineJob when Firestore fails under a running job, or
 * the process running it dies: the job must never stay running. Either it records its
 * own failure (or, when a write landed but its answer was lost, carries on), or - when
 * it cannot reach Firestore any more - cleanupStaleJobs fails it with TIMEOUT once the
 * job timeout plus the margin have passed, and not before.
 */
#include <string.h>

#include "faults.h"

#define PROGRESS_2  "Processing inputs" /* only in the second progress write of the stub */
#define TERMINAL_MS 15000

TestSuite(job_faults, .fini = fx_fini);

/* Starts a job and waits until it runs; the job ID into job_id (64 bytes). */
static int64_t start_running_job(fx_world *f, char *job_id)
{
    cr_assert_eq(hw_start_job(&f->s, job_id), 0, "cannot start a job");
    fs_doc *job = hw_wait_job(&f->w, job_id, "running", TERMINAL_MS);
    cr_assert_not_null(job);
    int64_t started = fx_int(job, "startedAt");
    fs_doc_free(job);
    return started;
}

/* Polls until the job is completed or failed: that document, or NULL (failed expectation). */
static fs_doc *wait_terminal(fx_world *f, const char *job_id)
{
    int64_t end = spawn_now_ms() + TERMINAL_MS;
    fs_doc *job = NULL;
    do {
        fs_doc_free(job);
        spawn_sleep_ms(50);
        job = hw_get(&f->w, hw_job_path(job_id));
        const char *st = hw_str(job, "status");
        if (strcmp(st, "completed") == 0 || strcmp(st, "failed") == 0)
            return job;
    } while (spawn_now_ms() < end);
    cr_expect_fail("job %s still %s after %d ms", job_id, hw_str(job, "status"), TERMINAL_MS);
    fs_doc_free(job);
    return NULL;
}

static void expect_session_status(fx_world *f, const char *status)
{
    fs_doc *s = hw_get(&f->w, HW_SESSION_PATH);
    cr_expect_str_eq(hw_str(s, "jobStatus"), status, "session jobStatus");
    fs_doc_free(s);
}

/* A progress write never reaches Firestore (every attempt is reset): the job ends failed. */
Test(job_faults, progress_write_fails)
{
    fx_world f;
    fx_world_start(&f, FX_FIRESTORE, NULL);
    cr_assert_eq(proxy_cut(f.fs, PROXY_BEFORE_FORWARD, PROGRESS_2, 0), 0);
    char job_id[64];
    cr_assert_eq(hw_start_job(&f.s, job_id), 0);
    fs_doc *job = hw_wait_job(&f.w, job_id, "failed", TERMINAL_MS);
    cr_expect_str_eq(hw_error_code(job), "PROCESSING_FAILED");
    cr_expect_geq(proxy_cuts(f.fs), 1, "the progress write was never attempted");
    expect_session_status(&f, "failed");
    fs_doc_free(job);
    fx_done();
}

/*
 * A progress write lands but its response is lost once: the client's retry then finds the
 * job changed (by that very write). The job must still end - completed, or at least
 * failed - and not stay running until the sweeper.
 */
Test(job_faults, progress_response_lost)
{
    fx_world f;
    fx_world_start(&f, FX_FIRESTORE, NULL);
    cr_assert_eq(proxy_cut(f.fs, 0, PROGRESS_2, 1), 0);
    char job_id[64];
    cr_assert_eq(hw_start_job(&f.s, job_id), 0);
    fs_doc *job = wait_terminal(&f, job_id);
    cr_expect_eq(proxy_cuts(f.fs), 1, "the progress response was not cut");
    cr_log_info("after a lost progress response the job ended %s", job ? hw_str(job, "status") : "(never)");
    if (job != NULL)
        expect_session_status(&f, hw_str(job, "status"));
    fs_doc_free(job);
    fx_done();
}

/* Firestore goes away mid-job for longer than the job can wait: the sweeper fails it later. */
Test(job_faults, firestore_gone_then_sweeper)
{
    fx_world f;
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=2000", "TRANSFORM_JOB_TIMEOUT_MS=2500",
                         "STALE_JOB_MARGIN_MS=500", NULL};
    fx_world_start(&f, FX_FIRESTORE, env);
    char job_id[64];
    int64_t started = start_running_job(&f, job_id);
    cr_assert_eq(proxy_refuse(f.fs), 0);
    cr_expect_eq(fx_wait_log(&f.s, "could not record the failure", TERMINAL_MS), 0,
                 "the job did not give up on Firestore");
    cr_assert_eq(proxy_pass(f.fs), 0);
    fs_doc *job = hw_get(&f.w, hw_job_path(job_id));
    cr_expect_str_eq(hw_str(job, "status"), "running", "Firestore was gone: nothing could change the job");
    fs_doc_free(job);
    if (ff_now_ms() < started + 2500)
        cr_expect_eq(fx_sweep(&f.s), 0, "the sweeper failed a job before timeout + margin");
    while (ff_now_ms() < started + 3000 + 100)
        spawn_sleep_ms(50);
    cr_expect_eq(fx_sweep(&f.s), 1, "the sweeper did not fail the stale job");
    job = hw_get(&f.w, hw_job_path(job_id));
    cr_expect_str_eq(hw_str(job, "status"), "failed");
    cr_expect_str_eq(hw_error_code(job), "TIMEOUT");
    expect_session_status(&f, "failed");
    fs_doc_free(job);
    fx_done();
}

/* The process running the job is SIGKILLed: another instance's sweeper fails the job. */
Test(job_faults, killed_mid_job_then_sweeper)
{
    fx_world f;
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=30000", NULL};
    fx_world_start(&f, 0, env);
    char job_id[64];
    int64_t started = start_running_job(&f, job_id);
    hw_kill(&f.s);
    const char *sweeper_env[] = {"TRANSFORM_JOB_TIMEOUT_MS=1000", "STALE_JOB_MARGIN_MS=1000", NULL};
    hw_server sweeper = hw_start(&f.w, sweeper_env);
    if (ff_now_ms() < started + 1500)
        cr_expect_eq(fx_sweep(&sweeper), 0, "the sweeper failed the job before timeout + margin");
    fs_doc *job = hw_get(&f.w, hw_job_path(job_id));
    cr_expect_str_eq(hw_str(job, "status"), "running", "the killed job should still read running");
    fs_doc_free(job);
    while (ff_now_ms() < started + 2000 + 100)
        spawn_sleep_ms(50);
    cr_expect_eq(fx_sweep(&sweeper), 1, "the sweeper did not fail the stale job");
    job = hw_get(&f.w, hw_job_path(job_id));
    cr_expect_str_eq(hw_str(job, "status"), "failed");
    cr_expect_str_eq(hw_error_code(job), "TIMEOUT");
    cr_expect(json_is_integer(json_object_get(job ? job->fields : NULL, "completedAt")), "no completedAt");
    expect_session_status(&f, "failed");
    fs_doc_free(job);
    fx_done();
}
