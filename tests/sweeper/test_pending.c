/*
 * test_pending.c - a pending job is judged by what is true, not by its age alone. With
 * a job timeout of 20 s, no margin and a 2 h backstop, against a fake Cloud Tasks API:
 *   - pending 1 h, its task still queued (tasks.get 200) -> left alone, session too;
 *   - pending 1 h, its task gone (404) -> failed TIMEOUT, session failed;
 *   - pending 3 h, task still queued -> failed by the backstop, without a lookup;
 *   - pending 10 s -> untouched, not looked up;
 *   - lookup refused (403) -> left alone, the sweep answers 500 and logs why, and the
 *     other jobs of the sweep are still handled;
 *   - outside emulator mode, the warm-up (token, a Cloud Tasks connection) is done
 *     before the port listens.
 */
#include <stdio.h>
#include <string.h>

#include "sweep.h"

TestSuite(pending, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

typedef struct world {
    e2e t;
    sw_tasks f;
    char project[64];
    int64_t now;
} world;

static void start(world *w)
{
    e2e_new_project(w->project);
    sw_tasks_start(&w->f, w->project);
    const char *env[] = {"TRANSFORM_JOB_TIMEOUT_MS=20000",
                         "STALE_JOB_MARGIN_MS=0",
                         "PENDING_JOB_BACKSTOP_MS=7200000",
                         "CLOUD_TASKS_EMULATOR_HOST",
                         w->f.endpoint_env,
                         w->f.creds_env,
                         NULL};
    e2e_init_project(&w->t, w->project, env);
    e2e_seed_experience(&w->t, NULL);
    w->now = ff_now_ms();
}

/* A pending job created age_ms ago with a session s-<job> pointing at it. */
static void seed_pending(world *w, const char *job_id, int64_t age_ms)
{
    char session[64];
    snprintf(session, sizeof(session), "s-%s", job_id);
    w->t.session = session;
    json_t *job = e2e_job_fixture(&w->t, job_id, "pending");
    json_object_set_new(job, "createdAt", json_integer(w->now - age_ms));
    json_object_set_new(job, "updatedAt", json_integer(w->now - age_ms));
    e2e_seed_job(&w->t, job);
    json_t *doc = e2e_session_fixture(&w->t);
    json_object_set_new(doc, "jobId", json_string(job_id));
    json_object_set_new(doc, "jobStatus", json_string("pending"));
    e2e_seed_session(&w->t, doc);
}

static const char *session_status(world *w, const char *job_id)
{
    static char status[32];
    char session[64];
    snprintf(session, sizeof(session), "s-%s", job_id);
    w->t.session = session;
    fs_doc *d = e2e_get_session(&w->t);
    cr_assert_not_null(d);
    snprintf(status, sizeof(status), "%s", e2e_str(d, "jobStatus"));
    fs_doc_free(d);
    return status;
}

static int lookups(world *w, const char *job_id)
{
    return fake_google_count(w->f.api, sw_task_path(w->project, job_id));
}

E2E_TEST(pending, queued_jobs_wait_and_lost_jobs_fail)
{
    world w;
    start(&w);
    const int64_t hour = 3600 * 1000;
    seed_pending(&w, "j-queued", hour);
    seed_pending(&w, "j-lost", hour);
    seed_pending(&w, "j-ancient", 3 * hour);
    seed_pending(&w, "j-young", 10 * 1000);
    sw_task_answer(&w.f, w.project, "j-queued", 200);
    sw_task_answer(&w.f, w.project, "j-ancient", 200);
    sw_task_answer(&w.f, w.project, "j-young", 200);

    json_t *r = sw_sweep(&w.t, 200);
    cr_expect_eq(sw_count(r, "failed"), 2, "j-lost and j-ancient");
    cr_expect_eq(sw_count(r, "queued"), 1, "j-queued");
    json_decref(r);
    sw_expect_status(&w.t, "j-queued", "pending");
    cr_expect_str_eq(session_status(&w, "j-queued"), "pending");
    sw_expect_status(&w.t, "j-lost", "failed");
    cr_expect_str_eq(session_status(&w, "j-lost"), "failed");
    sw_expect_status(&w.t, "j-ancient", "failed");
    sw_expect_status(&w.t, "j-young", "pending");

    cr_expect_eq(lookups(&w, "j-queued"), 1);
    cr_expect_eq(lookups(&w, "j-lost"), 1);
    cr_expect_eq(lookups(&w, "j-ancient"), 0, "past the backstop: no lookup needed");
    cr_expect_eq(lookups(&w, "j-young"), 0, "not past the cutoff: no lookup");
    fake_google_request req;
    cr_assert_eq(fake_google_get(w.f.api, sw_task_path(w.project, "j-queued"), 0, &req), 0);
    char *auth = fake_google_header(&req, "Authorization");
    cr_expect(auth && strncmp(auth, "Bearer ", 7) == 0, "lookup with an access token: %s",
              auth ? auth : "none");
    free(auth);
    fake_google_request_free(&req);
    cr_expect_geq(e2e_log_count(&w.t.srv, "pending job's task is still queued", "j-queued"), 1);
    sw_tasks_stop(&w.f);
}

E2E_TEST(pending, a_failed_lookup_leaves_the_job_and_fails_the_sweep)
{
    world w;
    start(&w);
    seed_pending(&w, "j-unknown", 3600 * 1000);
    seed_pending(&w, "j-lost", 3600 * 1000 - 1);
    sw_task_answer(&w.f, w.project, "j-unknown", 403);

    json_t *r = sw_sweep(&w.t, 500);
    json_decref(r);
    sw_expect_status(&w.t, "j-unknown", "pending");
    cr_expect_str_eq(session_status(&w, "j-unknown"), "pending");
    sw_expect_status(&w.t, "j-lost", "failed");
    cr_expect_geq(e2e_log_count(&w.t.srv, "could not look up the pending job's task", "j-unknown"), 1);
    sw_tasks_stop(&w.f);
}

/*
 * The warm-up (lib/warmup.c) runs before the port listens, outside emulator mode only.
 * As on Cloud Run, with no request sent yet, the fake has issued the access token and
 * answered the lookup that opens the Cloud Tasks connection; in emulator mode it has not.
 */
E2E_TEST(pending, warm_up_happens_before_the_port_listens)
{
    world local;
    start(&local);
    cr_expect_eq(fake_google_count(local.f.api, sw_task_path(local.project, "warmup-absent")), 0,
                 "emulator mode warmed up");
    sw_tasks_stop(&local.f);

    world w;
    e2e_new_project(w.project);
    sw_tasks_start(&w.f, w.project);
    const char *env[] = {"K_SERVICE=cleanupstalejobs",
                         "FUNCTION_TARGET=cleanupStaleJobs",
                         "SCHEDULER_SERVICE_ACCOUNT=scheduler@demo.iam.gserviceaccount.com",
                         "SCHEDULER_AUDIENCE=https://cleanupstalejobs-1.europe-west1.run.app",
                         "CLOUD_TASKS_EMULATOR_HOST",
                         w.f.endpoint_env,
                         w.f.creds_env,
                         NULL};
    e2e_init_project(&w.t, w.project, env);
    cr_expect_geq(fake_google_tokens_issued(w.f.api), 1, "no access token fetched before listening");
    cr_expect_geq(fake_google_count(w.f.api, sw_task_path(w.project, "warmup-absent")), 1,
                  "no Cloud Tasks connection opened before listening");
    sw_tasks_stop(&w.f);
}
