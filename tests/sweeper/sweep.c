/*
 * sweep.c - the sweeper suite's helpers (sweep.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"

json_t *sw_sweep(e2e *t, long status)
{
    th_response res;
    e2e_http(&t->srv, "POST", "/cleanupStaleJobs", NULL, NULL, &res);
    cr_assert_eq(res.status, status, "sweep: %ld %s", res.status, res.body);
    json_t *b = e2e_body(&res);
    th_response_free(&res);
    return b;
}

long sw_count(const json_t *body, const char *name)
{
    const json_t *v = json_object_get(body, name);
    cr_assert(json_is_integer(v), "no integer %s in the sweep's answer", name);
    return (long)json_integer_value(v);
}

void sw_seed(e2e *t, const sw_job *jobs, size_t n)
{
    fs_batch *b = fs_batch_new(t->db);
    cr_assert_not_null(b);
    for (size_t i = 0; i < n; i++) {
        json_t *job = e2e_job_fixture(t, jobs[i].id, jobs[i].status);
        json_object_set_new(job, "createdAt", json_integer(jobs[i].since_ms - 1000));
        json_object_set_new(job, "updatedAt", json_integer(jobs[i].since_ms));
        if (strcmp(jobs[i].status, "pending") == 0)
            json_object_set_new(job, "createdAt", json_integer(jobs[i].since_ms));
        else
            json_object_set_new(job, "startedAt", json_integer(jobs[i].since_ms));
        ff_error err = {0};
        cr_assert_eq(fs_batch_set(b, e2e_job_path(t, jobs[i].id), job, NULL, &err), 0, "%s", err.message);
        json_decref(job);
        if (fs_batch_count(b) == 500 || i + 1 == n) {
            cr_assert_eq(fs_commit(t->db, b, NULL, &err), 0, "seeding jobs: %s", err.message);
            fs_batch_free(b);
            b = fs_batch_new(t->db);
        }
    }
    fs_batch_free(b);
}

void sw_expect_status(e2e *t, const char *job_id, const char *status)
{
    fs_doc *j = e2e_get_job(t, job_id);
    cr_assert_not_null(j, "job %s is gone", job_id);
    cr_expect_str_eq(e2e_str(j, "status"), status, "job %s", job_id);
    if (strcmp(status, "failed") == 0) {
        const json_t *code = json_object_get(json_object_get(j->fields, "error"), "code");
        cr_expect_str_eq(json_string_value(code) ?: "", "TIMEOUT", "job %s", job_id);
        e2e_expect_valid_job(j->fields);
    }
    fs_doc_free(j);
}

void sw_tasks_start(sw_tasks *f, const char *gcp_project)
{
    memset(f, 0, sizeof(*f));
    f->api = fake_google_start();
    cr_assert_not_null(f->api, "fake Cloud Tasks API did not start");
    snprintf(f->key_path, sizeof(f->key_path), "/tmp/ff-sweep-key-%d.json", (int)getpid());
    cr_assert_eq(
        fake_google_write_sa_key(f->api, f->key_path, "runtime@demo.iam.gserviceaccount.com", gcp_project),
        0);
    snprintf(f->endpoint_env, sizeof(f->endpoint_env), "GCP_TASKS_ENDPOINT=%s/v2", fake_google_url(f->api));
    snprintf(f->creds_env, sizeof(f->creds_env), "GOOGLE_APPLICATION_CREDENTIALS=%s", f->key_path);
}

void sw_tasks_stop(sw_tasks *f)
{
    fake_google_stop(f->api);
    f->api = NULL;
    unlink(f->key_path);
}

const char *sw_task_path(const char *gcp_project, const char *job_id)
{
    static char path[256];
    snprintf(path, sizeof(path),
             "/v2/projects/%s/locations/europe-west1/queues/transformPipelineJob/tasks/%s", gcp_project,
             job_id);
    return path;
}

void sw_task_answer(sw_tasks *f, const char *gcp_project, const char *job_id, int status)
{
    const char *path = sw_task_path(gcp_project, job_id);
    char body[400];
    if (status == 200)
        snprintf(body, sizeof(body), "{\"name\": \"%s\", \"view\": \"BASIC\"}", path + 4);
    else
        snprintf(body, sizeof(body), "{\"error\": {\"code\": %d, \"message\": \"fake\", \"status\": \"%s\"}}",
                 status, status == 404 ? "NOT_FOUND" : "PERMISSION_DENIED");
    fake_google_route(f->api, "GET", path, status, body);
}
