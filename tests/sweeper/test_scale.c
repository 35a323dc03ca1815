/*
 * test_scale.c - no number of active jobs hides a stale one. 1,050 fresh running jobs
 * and 320 pending jobs past the cutoff whose tasks are still queued (a backlog: Cloud
 * Tasks, faked, answers tasks.get with 200) surround 3 stale running jobs and 3 pending
 * jobs whose tasks are gone (404), scattered in time among the queued ones, the last
 * beyond the first query page. One sweep must page through the backlog, fail exactly
 * the six and leave the other 1,370 alone; a second sweep fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

TestSuite(scale, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

enum { N_FRESH = 1050, N_QUEUED = 320, N_STALE = 3 }; /* a query page is 300 */

E2E_TEST(scale, stale_jobs_among_more_than_a_thousand_active_ones_are_all_found)
{
    char project[64];
    e2e_new_project(project);
    sw_tasks f;
    sw_tasks_start(&f, project);
    const char *env[] = {"TRANSFORM_JOB_TIMEOUT_MS=20000",
                         "STALE_JOB_MARGIN_MS=0",
                         "CLOUD_TASKS_EMULATOR_HOST",
                         f.endpoint_env,
                         f.creds_env,
                         NULL};
    e2e t;
    e2e_init_project(&t, project, env);

    const int64_t now = ff_now_ms(), hour = 3600 * 1000;
    const size_t n = N_FRESH + N_QUEUED + 2 * N_STALE;
    sw_job *jobs = calloc(n, sizeof(*jobs));
    size_t k = 0;
    for (int i = 0; i < N_FRESH; i++, k++) {
        snprintf(jobs[k].id, sizeof(jobs[k].id), "run-%04d", i);
        jobs[k].status = "running";
        jobs[k].since_ms = now - i % 10 * 1000; /* running for at most 9 s of 20 */
    }
    for (int i = 0; i < N_QUEUED; i++, k++) {
        snprintf(jobs[k].id, sizeof(jobs[k].id), "wait-%04d", i);
        jobs[k].status = "pending";
        jobs[k].since_ms = now - hour + i * 1000;
        sw_task_answer(&f, project, jobs[k].id, 200);
    }
    for (int i = 0; i < N_STALE; i++, k++) { /* gone from the queue: no route, so 404 */
        snprintf(jobs[k].id, sizeof(jobs[k].id), "lost-%d", i);
        jobs[k].status = "pending";
        jobs[k].since_ms =
            now - hour + (100 + 100 * i) * 1000 + 500; /* between queued ones, the last on page 2 */
    }
    for (int i = 0; i < N_STALE; i++, k++) {
        snprintf(jobs[k].id, sizeof(jobs[k].id), "stale-run-%d", i);
        jobs[k].status = "running";
        jobs[k].since_ms = now - hour + i * 600 * 1000;
    }
    sw_seed(&t, jobs, n);

    json_t *r = sw_sweep(&t, 200);
    cr_expect_eq(sw_count(r, "failed"), 2 * N_STALE, "failed");
    cr_expect_eq(sw_count(r, "queued"), N_QUEUED, "left queued");
    cr_expect_eq(sw_count(r, "scanned"), N_QUEUED + 2 * N_STALE, "only jobs past the cutoff are read");
    json_decref(r);
    for (int i = 0; i < N_STALE; i++) {
        char id[48];
        snprintf(id, sizeof(id), "lost-%d", i);
        sw_expect_status(&t, id, "failed");
        snprintf(id, sizeof(id), "stale-run-%d", i);
        sw_expect_status(&t, id, "failed");
    }
    /* Everything else is as seeded: exactly six failed among all the jobs. */
    fs_doc_list all = e2e_list_jobs(&t);
    cr_assert_eq(all.n, n);
    size_t failed = 0;
    for (size_t i = 0; i < all.n; i++)
        failed += strcmp(e2e_str(all.docs[i], "status"), "failed") == 0;
    fs_doc_list_free(&all);
    cr_expect_eq(failed, 2 * N_STALE, "%zu jobs failed", failed);
    /* Each pending job past the cutoff was looked up once; no running one was. */
    cr_expect_eq(fake_google_count(f.api, sw_task_path(project, "wait-0319")), 1);
    cr_expect_eq(fake_google_count(f.api, sw_task_path(project, "lost-2")), 1);
    cr_expect_eq(fake_google_count(f.api, sw_task_path(project, "stale-run-0")), 0);

    r = sw_sweep(&t, 200);
    cr_expect_eq(sw_count(r, "failed"), 0, "second sweep");
    cr_expect_eq(sw_count(r, "queued"), N_QUEUED);
    json_decref(r);
    free(jobs);
    sw_tasks_stop(&f);
}
