/*
 * test_race.c - "two concurrent requests for one session must never both create a
 * job": 50 requests in flight at once (th_async) for one idle session -> exactly one
 * 200, every other one 409 JOB_IN_PROGRESS (none 500), exactly one job document, and
 * the session points at that job. Then the same across two sessions at once: each
 * gets exactly one job.
 */
#include <string.h>

#include "e2e.h"

TestSuite(race, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/*
 * The winner's job must still be active when the last racer reads the session: a job
 * that completed meanwhile would rightly let a late racer start a second one (on a
 * loaded machine a request can wait seconds for a worker). So the stub runs long.
 */
static const char *const race_env[] = {"TRANSFORM_STUB_DURATION_MS=120000", NULL};

#define N_RACERS 50

typedef struct racer {
    th_request req;
    th_async *a;
    th_response res;
    char body[128];
} racer;

static const char *const headers[] = {"Content-Type: application/json", NULL};

/* Fires n requests at once: racer i asks for session sessions[i % n_sessions]. */
static void fire(e2e *t, racer *r, size_t n, const char *const sessions[], size_t n_sessions, char *url)
{
    snprintf(url, 256, "%s/startTransformPipeline?projectId=%s", t->srv.base, t->project);
    for (size_t i = 0; i < n; i++) {
        snprintf(r[i].body, sizeof(r[i].body), "{\"sessionId\":\"%s\",\"stepId\":\"step-%zu\"}",
                 sessions[i % n_sessions], i);
        r[i].req = (th_request){.method = "POST",
                                .url = url,
                                .headers = headers,
                                .body = r[i].body,
                                .body_len = strlen(r[i].body),
                                .timeout_ms = 30000};
    }
    for (size_t i = 0; i < n; i++) {
        r[i].a = th_async_start(&r[i].req);
        cr_assert_not_null(r[i].a, "cannot start request %zu", i);
    }
    for (size_t i = 0; i < n; i++)
        th_async_join(r[i].a, &r[i].res);
}

/* Counts the outcomes for one session; the winner's job ID goes to winner (64 bytes). */
static void tally(racer *r, size_t n, size_t stride, size_t first, char *winner, int *ok, int *conflict)
{
    *ok = *conflict = 0;
    winner[0] = '\0';
    for (size_t i = first; i < n; i += stride) {
        if (r[i].res.status == 200) {
            json_t *b = e2e_body(&r[i].res);
            snprintf(winner, 64, "%s", json_string_value(json_object_get(b, "jobId")) ?: "");
            json_decref(b);
            (*ok)++;
        } else if (r[i].res.status == 409) {
            e2e_expect_error(&r[i].res, 409, "JOB_IN_PROGRESS");
            (*conflict)++;
        } else {
            cr_expect_fail("request %zu: %ld %.300s (error %d)", i, r[i].res.status, r[i].res.body,
                           r[i].res.error);
        }
    }
}

E2E_TEST(race, fifty_concurrent_requests_make_one_job)
{
    e2e t;
    e2e_init(&t, race_env);
    e2e_seed(&t);
    static racer r[N_RACERS];
    char url[256], winner[64];
    const char *sessions[] = {"s1"};
    int64_t t0 = spawn_now_ms();
    fire(&t, r, N_RACERS, sessions, 1, url);
    e2e_timing("50 concurrent start requests, all answered", spawn_now_ms() - t0);
    int ok, conflict;
    tally(r, N_RACERS, 1, 0, winner, &ok, &conflict);
    cr_expect_eq(ok, 1, "%d requests created a job", ok);
    cr_expect_eq(conflict, N_RACERS - 1, "%d conflicts", conflict);
    fs_doc_list jobs = e2e_list_jobs(&t);
    cr_expect_eq(jobs.n, 1, "%zu job documents", jobs.n);
    if (jobs.n == 1)
        cr_expect_str_eq(jobs.docs[0]->id, winner, "the job is not the winner's");
    fs_doc_list_free(&jobs);
    fs_doc *s = e2e_get_session(&t);
    cr_expect_str_eq(e2e_str(s, "jobId"), winner);
    fs_doc_free(s);
    for (size_t i = 0; i < N_RACERS; i++)
        th_response_free(&r[i].res);
    /* The winner's job is delivered and runs (its long stub outlives the test). */
    if (winner[0])
        fs_doc_free(e2e_wait_job(&t, winner, "running", 15000));
}

E2E_TEST(race, two_sessions_racing_get_one_job_each)
{
    e2e t;
    e2e_init(&t, race_env);
    e2e_seed_experience(&t, NULL);
    const char *sessions[] = {"s-left", "s-right"};
    for (size_t i = 0; i < 2; i++) {
        t.session = sessions[i];
        e2e_seed_session(&t, NULL);
    }
    static racer r[40];
    char url[256], winner[2][64];
    fire(&t, r, 40, sessions, 2, url);
    for (size_t k = 0; k < 2; k++) {
        int ok, conflict;
        tally(r, 40, 2, k, winner[k], &ok, &conflict);
        cr_expect_eq(ok, 1, "session %s: %d jobs created", sessions[k], ok);
        cr_expect_eq(conflict, 19, "session %s: %d conflicts", sessions[k], conflict);
        t.session = sessions[k];
        fs_doc *s = e2e_get_session(&t);
        cr_expect_str_eq(e2e_str(s, "jobId"), winner[k]);
        fs_doc_free(s);
    }
    cr_expect_eq(e2e_count_jobs(&t), 2);
    for (size_t i = 0; i < 40; i++)
        th_response_free(&r[i].res);
}
