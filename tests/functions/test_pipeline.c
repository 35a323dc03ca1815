/*
 * test_pipeline.c - the happy path end to end: POST /startTransformPipeline -> 200 with
 * the job ID (under 3 s) -> the Cloud Tasks emulator delivers the task to
 * transformPipelineJob -> the job ends completed with progress 100 and a valid output;
 * the session's jobStatus follows pending -> running -> completed in order and in step
 * with the job; progress only grows; every lifecycle event is logged with its IDs; the
 * documents validate against the shared schemas; a session whose job ended takes a new one.
 */
#include <string.h>

#include "e2e.h"

TestSuite(pipeline, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

#define LIFECYCLE_TIMEOUT_MS 15000 /* task delivery (~1 s) + stub + writes, with room for ASan */

static int rank(const char *status)
{
    static const char *const order[] = {"pending", "running", "completed"};
    for (int i = 0; i < 3; i++)
        if (strcmp(status, order[i]) == 0)
            return i;
    return -1;
}

E2E_TEST(pipeline, job_completes_with_valid_documents)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=200", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    int64_t t0 = spawn_now_ms();
    const char *id = e2e_start_job(&t);
    int64_t answered = spawn_now_ms() - t0;
    cr_expect_lt(answered, 3000, "job ID took %lld ms", (long long)answered);
    e2e_timing("start request (POST -> 200)", answered);

    fs_doc *job = e2e_wait_job(&t, id, "completed", LIFECYCLE_TIMEOUT_MS);
    e2e_timing("lifecycle (200 -> completed seen), stub 200 ms", spawn_now_ms() - t0 - answered);
    const json_t *f = job->fields;
    e2e_expect_valid_job(f);
    cr_expect_str_eq(job->id, id);
    cr_expect_str_eq(e2e_str(job, "id"), id);
    cr_expect_str_eq(e2e_str(job, "projectId"), "p1");
    cr_expect_str_eq(e2e_str(job, "sessionId"), "s1");
    cr_expect_str_eq(e2e_str(job, "experienceId"), "e1");
    cr_expect_str_eq(e2e_str(job, "stepId"), "step-1");
    cr_expect(json_is_null(json_object_get(f, "error")), "error is not null");

    const json_t *progress = json_object_get(f, "progress");
    cr_expect_eq(json_integer_value(json_object_get(progress, "percentage")), 100, "progress is not 100");
    cr_expect(json_is_integer(json_object_get(progress, "percentage")), "percentage is not an integer");

    const json_t *out = json_object_get(f, "output");
    cr_assert(json_is_object(out), "no output");
    cr_expect_str_eq(json_string_value(json_object_get(out, "format")) ?: "", "image");
    cr_expect(strstr(json_string_value(json_object_get(out, "assetId")) ?: "", id) != NULL, "assetId");
    cr_expect(strncmp(json_string_value(json_object_get(out, "url")) ?: "", "https://", 8) == 0, "url");
    cr_expect_gt(json_integer_value(json_object_get(json_object_get(out, "dimensions"), "width")), 0);
    cr_expect_gt(json_integer_value(json_object_get(out, "sizeBytes")), 0);
    json_int_t processing = json_integer_value(json_object_get(out, "processingTimeMs"));
    cr_expect(processing >= 200 && processing < 10000, "processingTimeMs %lld for a 200 ms stub",
              (long long)processing);

    json_int_t created = json_integer_value(json_object_get(f, "createdAt"));
    json_int_t started = json_integer_value(json_object_get(f, "startedAt"));
    json_int_t completed = json_integer_value(json_object_get(f, "completedAt"));
    json_int_t updated = json_integer_value(json_object_get(f, "updatedAt"));
    cr_expect(created > 1600000000000LL, "createdAt %lld is not epoch ms", (long long)created);
    cr_expect(created <= started && started <= completed && completed <= updated,
              "timestamps out of order: created %lld started %lld completed %lld updated %lld",
              (long long)created, (long long)started, (long long)completed, (long long)updated);
    /* (- 5 ms: startedAt is read just after the stub's clock starts, in whole ms) */
    cr_expect_geq(completed - started, 195, "completed %lld ms after start, stub is 200 ms",
                  (long long)(completed - started));
    e2e_timing("task delivery (createdAt -> startedAt)", started - created);
    e2e_timing("run (startedAt -> completedAt) minus the 200 ms stub", completed - started - 200);

    fs_doc *s = e2e_wait_session(&t, "completed", 2000);
    e2e_expect_valid_session(s->fields);
    cr_expect_str_eq(e2e_str(s, "jobId"), id);
    cr_expect_geq(json_integer_value(json_object_get(s->fields, "updatedAt")), completed);
    fs_doc_free(s);
    fs_doc_free(job);
    cr_expect_eq(e2e_count_jobs(&t), 1);

    /* Every lifecycle event is a structured log line carrying the job's IDs. (The line of
     * the last one is written just after its commit, which the test may have seen first.) */
    spawn_wait_stdout(t.srv.proc, "\"message\":\"job completed\"", 5000);
    cr_expect_eq(e2e_log_count(&t.srv, "job created", id), 1);
    cr_expect_eq(e2e_log_count(&t.srv, "job started", id), 1);
    cr_expect_eq(e2e_log_count(&t.srv, "job progress", id), 4);
    cr_expect_eq(e2e_log_count(&t.srv, "job completed", id), 1);
    json_t *entries = e2e_log_entries(&t.srv), *e;
    size_t i;
    json_array_foreach(entries, i, e)
    {
        const char *j = json_string_value(json_object_get(e, "jobId"));
        if (j == NULL || strcmp(j, id) != 0)
            continue;
        cr_expect_str_eq(json_string_value(json_object_get(e, "sessionId")) ?: "", "s1",
                         "log line without sessionId");
        cr_expect_str_eq(json_string_value(json_object_get(e, "projectId")) ?: "", "p1",
                         "log line without projectId");
    }
    json_decref(entries);
}

/* Samples session and job while a 2 s stub runs. */
E2E_TEST(pipeline, session_follows_pending_running_completed)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=2000", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);
    const char *id = e2e_start_job(&t);
    char seen[8][16];
    int n_seen = 0, last_pct = -1, n_pct = 0, pct_backwards = 0;
    int64_t first_job[3] = {0}, first_session[3] = {0};
    int64_t end = spawn_now_ms() + LIFECYCLE_TIMEOUT_MS;
    for (;;) {
        fs_doc *s = e2e_get_session(&t);
        fs_doc *j = e2e_get_job(&t, id);
        cr_assert(s && j, "session or job vanished");
        int64_t now = spawn_now_ms();
        const char *st = e2e_str(s, "jobStatus");
        int r = rank(st), jr = rank(e2e_str(j, "status"));
        cr_expect_str_eq(e2e_str(s, "jobId"), id);
        if (r >= 0 && first_session[r] == 0)
            first_session[r] = now;
        if (jr >= 0 && first_job[jr] == 0)
            first_job[jr] = now;
        if ((n_seen == 0 || strcmp(seen[n_seen - 1], st) != 0) && n_seen < 8)
            snprintf(seen[n_seen++], sizeof(seen[0]), "%s", st);
        const json_t *pct = json_object_get(json_object_get(j->fields, "progress"), "percentage");
        if (json_is_number(pct)) {
            int p = (int)json_number_value(pct);
            pct_backwards |= p < last_pct;
            n_pct += p != last_pct;
            last_pct = p;
        }
        int done = strcmp(st, "completed") == 0;
        fs_doc_free(s);
        fs_doc_free(j);
        if (done || now >= end)
            break;
        spawn_sleep_ms(25);
    }
    cr_assert_str_eq(seen[n_seen - 1], "completed", "session never showed completed");
    int saw_running = 0;
    for (int k = 0; k < n_seen; k++) {
        cr_expect_geq(rank(seen[k]), 0, "session jobStatus \"%s\" observed", seen[k]);
        if (k > 0)
            cr_expect_gt(rank(seen[k]), rank(seen[k - 1]), "jobStatus went %s -> %s", seen[k - 1], seen[k]);
        saw_running |= strcmp(seen[k], "running") == 0;
    }
    cr_expect(saw_running, "running was never observed on the session during a 2 s stub");
    cr_expect_not(pct_backwards, "progress went backwards");
    cr_expect_geq(n_pct, 3, "only %d distinct progress values observed", n_pct);
    cr_expect_eq(last_pct, 100);
    /* The session mirrors each job status within 2 s of the job (spec: "within 2 s"). */
    for (int k = 1; k < 3; k++) {
        cr_expect(first_job[k] && first_session[k], "status %d not seen on both documents", k);
        cr_expect_lt(first_session[k] - first_job[k], 2000, "session lagged the job by %lld ms",
                     (long long)(first_session[k] - first_job[k]));
    }
}

/* A job that ended (completed) does not block the session: the next request makes a new job. */
E2E_TEST(pipeline, session_with_finished_job_takes_a_new_one)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    char first[64];
    snprintf(first, sizeof(first), "%s", e2e_start_job(&t));
    fs_doc_free(e2e_wait_job(&t, first, "completed", LIFECYCLE_TIMEOUT_MS));
    fs_doc_free(e2e_wait_session(&t, "completed", 2000));
    const char *second = e2e_start_job(&t);
    cr_expect_str_neq(first, second);
    fs_doc_free(e2e_wait_job(&t, second, "completed", LIFECYCLE_TIMEOUT_MS));
    fs_doc *s = e2e_wait_session(&t, "completed", 2000);
    cr_expect_str_eq(e2e_str(s, "jobId"), second);
    fs_doc_free(s);
    cr_expect_eq(e2e_count_jobs(&t), 2);
    fs_doc *old = e2e_get_job(&t, first);
    cr_expect_str_eq(e2e_str(old, "status"), "completed", "the first job changed");
    fs_doc_free(old);
}
