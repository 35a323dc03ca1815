/*
 * sweep.h - helpers of the sweeper suite: calling cleanupStaleJobs, seeding many jobs in
 * few commits, and a fake Cloud Tasks API (fake_google) the server looks tasks up in.
 */
#ifndef SWEEP_H
#define SWEEP_H

#include "../functions/e2e.h"
#include "../support/fake_google.h"

/* POST /cleanupStaleJobs; asserts the status. The response body (new reference). */
json_t *sw_sweep(e2e *t, long status);
/* The integer member name of a sweep's response. */
long sw_count(const json_t *body, const char *name);

/* A job to seed: status "pending" is aged by createdAt, "running" by startedAt. */
typedef struct sw_job {
    char id[48];
    const char *status;
    int64_t since_ms; /* createdAt (pending) / startedAt (running) */
} sw_job;

/* Seeds the jobs under projects/{t->project}/jobs in commits of up to 500 writes. */
void sw_seed(e2e *t, const sw_job *jobs, size_t n);
/* Expects the job's status (and, when failed, error code TIMEOUT). */
void sw_expect_status(e2e *t, const char *job_id, const char *status);

/* The fake Cloud Tasks API and the server environment that points the server at it. */
typedef struct sw_tasks {
    fake_google *api;
    char key_path[128];
    char endpoint_env[128]; /* GCP_TASKS_ENDPOINT=... */
    char creds_env[160];    /* GOOGLE_APPLICATION_CREDENTIALS=... */
} sw_tasks;

/* Starts the fake with a service-account key for gcp_project; asserts. */
void sw_tasks_start(sw_tasks *f, const char *gcp_project);
void sw_tasks_stop(sw_tasks *f);
/* The path of the task named job_id in gcp_project's transformPipelineJob queue (static). */
const char *sw_task_path(const char *gcp_project, const char *job_id);
/* Makes the fake answer the task's lookup with status (200: still queued). */
void sw_task_answer(sw_tasks *f, const char *gcp_project, const char *job_id, int status);

#endif
