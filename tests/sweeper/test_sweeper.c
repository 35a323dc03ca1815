/*
 * test_sweeper.c - POST /cleanupStaleJobs (the scheduled sweeper) with a job timeout
 * of 20 s and no margin, in emulator mode (the Cloud Tasks emulator cannot look tasks
 * up, so a pending job is judged by age alone; test_pending.c has the real rule), over
 * seeded jobs:
 *   - running for an hour, session pointing at it -> failed TIMEOUT, session failed;
 *   - pending for an hour (never started) -> failed TIMEOUT, session failed;
 *   - running 25 s (just past timeout + margin) -> failed;
 *   - running 10 s, or just started -> untouched (document and session);
 *   - stale, but its session points at a different job -> failed, session untouched;
 *   - stale, its session gone -> failed, no session created;
 *   - old but completed -> untouched;
 *   - a live job the server is running -> untouched, and it completes normally.
 * A second sweep finds nothing to do.
 */
#include <string.h>

#include "sweep.h"

TestSuite(sweeper, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

typedef struct seeded {
    const char *job, *session; /* session NULL: none seeded */
    const char *status;
    int64_t age_ms; /* startedAt (running) / createdAt (pending, completed) this long ago */
    const char *session_points_at;
    int stale; /* expected to be failed by the sweep */
    char job_time[FS_TIME_SIZE], session_time[FS_TIME_SIZE];
} seeded;

static void seed_one(e2e *t, seeded *s, int64_t now)
{
    t->session = s->session ? s->session : "s-gone";
    json_t *job = e2e_job_fixture(t, s->job, s->status);
    json_object_set_new(job, "createdAt", json_integer(now - s->age_ms - 1000));
    json_object_set_new(job, "updatedAt", json_integer(now - s->age_ms));
    if (strcmp(s->status, "pending") != 0)
        json_object_set_new(job, "startedAt", json_integer(now - s->age_ms));
    if (strcmp(s->status, "running") == 0)
        json_object_set_new(job, "progress",
                            json_pack("{s:s, s:i, s:s}", "currentStep", "generating", "percentage", 60,
                                      "message", "Generating output..."));
    if (strcmp(s->status, "completed") == 0)
        json_object_set_new(job, "completedAt", json_integer(now - s->age_ms + 2000));
    e2e_seed_job(t, job);
    if (s->session) {
        json_t *doc = e2e_session_fixture(t);
        json_object_set_new(doc, "jobId", json_string(s->session_points_at ? s->session_points_at : s->job));
        json_object_set_new(doc, "jobStatus", json_string(s->session_points_at ? "running" : s->status));
        e2e_seed_session(t, doc);
    }
}

static void remember_times(e2e *t, seeded *s)
{
    fs_doc *j = e2e_get_job(t, s->job);
    cr_assert_not_null(j, "%s not seeded", s->job);
    snprintf(s->job_time, sizeof(s->job_time), "%s", j->update_time);
    fs_doc_free(j);
    if (s->session) {
        t->session = s->session;
        fs_doc *d = e2e_get_session(t);
        snprintf(s->session_time, sizeof(s->session_time), "%s", d->update_time);
        fs_doc_free(d);
    }
}

static void expect_swept(e2e *t, const seeded *s)
{
    fs_doc *j = e2e_get_job(t, s->job);
    const json_t *error = json_object_get(j->fields, "error");
    cr_expect_str_eq(e2e_str(j, "status"), "failed", "%s is %s", s->job, e2e_str(j, "status"));
    cr_expect_str_eq(json_string_value(json_object_get(error, "code")) ?: "", "TIMEOUT", "%s", s->job);
    cr_expect(json_is_false(json_object_get(error, "isRetryable")));
    cr_expect(json_is_integer(json_object_get(j->fields, "completedAt")), "%s: completedAt", s->job);
    e2e_expect_valid_job(j->fields);
    fs_doc_free(j);
    if (s->session == NULL) {
        t->session = "s-gone";
        cr_expect_null(e2e_get_session(t), "the sweep created a session for %s", s->job);
        return;
    }
    t->session = s->session;
    fs_doc *d = e2e_get_session(t);
    if (s->session_points_at) {
        cr_expect_str_eq(d->update_time, s->session_time, "session %s (of another job) was written",
                         s->session);
    } else {
        cr_expect_str_eq(e2e_str(d, "jobStatus"), "failed", "session %s shows %s", s->session,
                         e2e_str(d, "jobStatus"));
        e2e_expect_valid_session(d->fields);
    }
    fs_doc_free(d);
}

static void expect_untouched(e2e *t, const seeded *s)
{
    fs_doc *j = e2e_get_job(t, s->job);
    cr_expect_str_eq(j->update_time, s->job_time, "%s (%s) was written", s->job, s->status);
    fs_doc_free(j);
    if (s->session) {
        t->session = s->session;
        fs_doc *d = e2e_get_session(t);
        cr_expect_str_eq(d->update_time, s->session_time, "session %s was written", s->session);
        fs_doc_free(d);
    }
}

E2E_TEST(sweeper, fails_stale_jobs_only)
{
    const char *env[] = {"TRANSFORM_JOB_TIMEOUT_MS=20000", "STALE_JOB_MARGIN_MS=0",
                         "TRANSFORM_STUB_DURATION_MS=2500", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed_experience(&t, NULL);
    int64_t hour = 3600 * 1000;
    seeded jobs[] = {
        {"j-old-running", "s-a", "running", hour, NULL, 1, "", ""},
        {"j-old-pending", "s-d", "pending", hour, NULL, 1, "", ""},
        {"j-past-cutoff", "s-g", "running", 25000, NULL, 1, "", ""},
        {"j-other-session", "s-c", "running", hour, "some-newer-job", 1, "", ""},
        {"j-no-session", NULL, "running", hour, NULL, 1, "", ""},
        {"j-recent", "s-h", "running", 10000, NULL, 0, "", ""},
        {"j-fresh", "s-b", "running", 0, NULL, 0, "", ""},
        {"j-old-completed", "s-e", "completed", hour, NULL, 0, "", ""},
    };
    const size_t n = sizeof(jobs) / sizeof(jobs[0]);
    int64_t now = ff_now_ms();
    for (size_t i = 0; i < n; i++)
        seed_one(&t, &jobs[i], now);
    for (size_t i = 0; i < n; i++)
        remember_times(&t, &jobs[i]);

    /* A job the server is running right now. */
    t.session = "s-live";
    e2e_seed_session(&t, NULL);
    char live[64];
    snprintf(live, sizeof(live), "%s", e2e_start_job(&t));
    fs_doc_free(e2e_wait_job(&t, live, "running", 10000));

    json_t *r = sw_sweep(&t, 200);
    cr_expect(json_is_true(json_object_get(r, "success")));
    cr_expect_eq(json_integer_value(json_object_get(r, "failed")), 5, "failed %lld, expected 5",
                 (long long)json_integer_value(json_object_get(r, "failed")));
    json_decref(r);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].stale)
            expect_swept(&t, &jobs[i]);
        else
            expect_untouched(&t, &jobs[i]);
    }
    cr_expect_geq(e2e_log_count(&t.srv, "stale job failed", "j-old-running"), 1, "no log line for the sweep");

    fs_doc *done = e2e_wait_job(&t, live, "completed", 10000);
    fs_doc_free(done);
    t.session = "s-live";
    fs_doc_free(e2e_wait_session(&t, "completed", 2000));

    /* Nothing stale is left: a second sweep fails nothing. */
    r = sw_sweep(&t, 200);
    cr_expect_eq(json_integer_value(json_object_get(r, "failed")), 0, "second sweep failed %lld",
                 (long long)json_integer_value(json_object_get(r, "failed")));
    json_decref(r);
}

/*
 * Where a job lives decides whose it is: a stale job whose projectId field is not an ID
 * is still failed (its project comes from its path), and a "jobs" collection under any
 * other parent, which the collection-group query also finds, is left alone. Neither
 * turns the sweep into a 500.
 */
E2E_TEST(sweeper, the_path_says_whose_job_it_is)
{
    const char *env[] = {"TRANSFORM_JOB_TIMEOUT_MS=20000", "STALE_JOB_MARGIN_MS=0", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed_experience(&t, NULL);
    int64_t old = ff_now_ms() - 3600 * 1000;
    json_t *job = e2e_job_fixture(&t, "j-bad-field", "pending");
    json_object_set_new(job, "projectId", json_string("p1/../other"));
    json_object_set_new(job, "createdAt", json_integer(old));
    json_object_set_new(job, "updatedAt", json_integer(old));
    e2e_seed_job(&t, job);
    json_t *foreign = e2e_job_fixture(&t, "j-foreign", "pending");
    json_object_set_new(foreign, "createdAt", json_integer(old));
    json_object_set_new(foreign, "updatedAt", json_integer(old));
    e2e_put(&t, "workspaces/w1/jobs/j-foreign", foreign);

    json_t *r = sw_sweep(&t, 200);
    cr_expect_eq(sw_count(r, "failed"), 1);
    json_decref(r);
    sw_expect_status(&t, "j-bad-field", "failed");
    fs_doc *d = NULL;
    ff_error err = {0};
    cr_assert_eq(fs_doc_get(t.db, "workspaces/w1/jobs/j-foreign", NULL, &d, &err), 0, "%s", err.message);
    cr_expect_str_eq(e2e_str(d, "status"), "pending", "a job outside projects/{p}/jobs was swept");
    fs_doc_free(d);
}
