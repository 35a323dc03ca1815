/*
 * transformPipelineJob.c - runs one job delivered by Cloud Tasks as
 * {"data": {"jobId", "sessionId", "projectId"}}.
 *
 * start:    the job must exist, belong to the payload's project and session, and be
 *           pending; pending -> running is a conditional write, so a duplicate delivery
 *           finds it running and does nothing (200).
 * process:  the stub advances progress in steps over TRANSFORM_STUB_DURATION_MS.
 * end:      completed with output, or failed with a sanitized error. The job's own
 *           deadline (TRANSFORM_JOB_TIMEOUT_MS) fails it with TIMEOUT, and a shutdown
 *           (SIGTERM) fails it too, so no job is left running. Each step mirrors the
 *           session's jobStatus.
 * Answers 2xx whenever the task must not be retried; there are no retries anyway.
 * The caller (Cloud Tasks' OIDC token) is checked before this runs: index.c registers the
 * function behind caller_require_service.
 */
#include <stdio.h>
#include <string.h>

#include "lib/config.h"
#include "lib/job.h"
#include "lib/respond.h"
#include "lib/schemas/transform_pipeline.h"
#include "tasks/transformPipelineJob.h"

typedef struct run_ctx {
    ff_request *req;
    tp_job_payload p;
    job_ref job;
    int64_t started_mono;
    int64_t deadline_mono; /* the job's own timeout */
    const char *step;      /* current stub step, for error.step */
} run_ctx;

static const struct {
    const char *step, *message;
    int percentage;
} stub_steps[] = {
    {"initializing", "Initializing pipeline...", 10},
    {"processing", "Processing inputs...", 30},
    {"generating", "Generating output...", 60},
    {"finalizing", "Finalizing output...", 90},
};
#define N_STUB_STEPS (sizeof(stub_steps) / sizeof(stub_steps[0]))

static void log_job(run_ctx *c, ff_severity sev, const char *event, const char *fmt, const char *detail)
{
    if (!ff_log_enabled(sev))
        return;
    ff_log(c->req, sev,
           json_pack("{s:s, s:s, s:s, s:s}", "event", event, "jobId", c->p.job_id, "sessionId",
                     c->p.session_id, "projectId", c->p.project_id),
           fmt, detail ? detail : "");
}

/* Loads the job and checks it is ours and pending. 0 = start it; else answered. */
static int check_job(run_ctx *c, ff_response *res)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    int rc = job_fetch(c->job.db, c->p.project_id, c->p.job_id, &doc, &err);
    if (rc == FS_NOT_FOUND) {
        log_job(c, FF_WARNING, "skipped", "job not found; nothing to do%s", NULL);
        respond_ok(res, json_pack("{s:s}", "message", "Job not found; skipped"));
        return -1;
    }
    if (rc != 0) {
        respond_internal(c->req, res, err.message);
        return -1;
    }
    const json_t *f = doc->fields;
    const char *project = json_string_value(json_object_get(f, "projectId"));
    const char *session = json_string_value(json_object_get(f, "sessionId"));
    const char *status = json_string_value(json_object_get(f, "status"));
    if (!project || !session || strcmp(project, c->p.project_id) != 0 ||
        strcmp(session, c->p.session_id) != 0) {
        log_job(c, FF_ERROR, "rejected", "task payload does not match the job's project or session%s", NULL);
        respond_error(res, 400, "INVALID_REQUEST", "Task payload does not match the job");
        fs_doc_free(doc);
        return -1;
    }
    if (status == NULL || strcmp(status, "pending") != 0) {
        log_job(c, FF_INFO, "skipped", "job is %s, not pending: duplicate or late delivery, skipped",
                status ? status : "(no status)");
        respond_ok(res, json_pack("{s:s}", "message", "Job is not pending; skipped"));
        fs_doc_free(doc);
        return -1;
    }
    ff_strlcpy(c->job.update_time, sizeof(c->job.update_time), doc->update_time);
    fs_doc_free(doc);
    return 0;
}

/* Sleeps until `until` (monotonic ms) unless cancelled or the job's deadline comes first. */
static int wait_until(run_ctx *c, int64_t until)
{
    int64_t stop = until < c->deadline_mono ? until : c->deadline_mono;
    int64_t left = stop - ff_now_mono_ms();
    if (left > 0 && ff_req_sleep_ms(c->req, left) != 0)
        return -1;
    return ff_now_mono_ms() >= c->deadline_mono ? -1 : 0;
}

/* Runs the stub; 0 on success, -1 when interrupted (timeout, shutdown), or a write error. */
static int run_stub(run_ctx *c, ff_error *err)
{
    int64_t duration = pipeline_config_get()->stub_duration_ms;
    for (size_t i = 0; i < N_STUB_STEPS; i++) {
        c->step = stub_steps[i].step;
        int rc = job_set_progress(&c->job, stub_steps[i].step, stub_steps[i].percentage,
                                  stub_steps[i].message, ff_now_ms(), err);
        if (rc != 0)
            return rc;
        ff_log(c->req, FF_INFO,
               json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "event", "progress", "jobId", c->p.job_id,
                         "sessionId", c->p.session_id, "projectId", c->p.project_id, "step",
                         stub_steps[i].step, "percentage", stub_steps[i].percentage),
               "job progress");
        if (wait_until(c, c->started_mono + duration * (int64_t)(i + 1) / (int64_t)N_STUB_STEPS) != 0)
            return -1;
    }
    return 0;
}

static json_t *stub_output(const char *job_id, int64_t processing_ms)
{
    char asset[64], url[160];
    snprintf(asset, sizeof(asset), "stub-asset-%s", job_id);
    snprintf(url, sizeof(url), "https://storage.googleapis.com/stub-bucket/outputs/%s.png", job_id);
    return json_pack("{s:s, s:s, s:s, s:{s:i, s:i}, s:i, s:n, s:I}", "assetId", asset, "url", url, "format",
                     "image", "dimensions", "width", 1024, "height", 1024, "sizeBytes", 512000,
                     "thumbnailUrl", "processingTimeMs", (json_int_t)processing_ms);
}

/* Records a failure; the code is chosen by why the run stopped. */
static void fail(run_ctx *c, int rc, const ff_error *cause)
{
    const char *code = "PROCESSING_FAILED";
    if (rc == -1 && ff_now_mono_ms() >= c->deadline_mono)
        code = "TIMEOUT";
    const char *why =
        rc == -1 ? (strcmp(code, "TIMEOUT") == 0 ? "job timed out" : "invocation cancelled (shutdown)")
                 : cause->message;
    ff_error err = {0};
    int wrc = job_fail(&c->job, code, c->step, ff_now_ms(), &err);
    if (wrc == JOB_CONFLICT)
        log_job(c, FF_WARNING, "failed", "job changed under us; not marking it failed (%s)", why);
    else if (wrc != 0)
        log_job(c, FF_ERROR, "failed", "could not record the failure; the sweeper will: %s", err.message);
    else
        log_job(c, FF_ERROR, "failed", "job failed: %s", why);
}

void transform_pipeline_job(ff_request *req, ff_response *res)
{
    fs_set_deadline(ff_req_deadline_ms(req)); /* no Firestore call outlives the request */
    run_ctx c = {.req = req, .step = "pipeline"};
    ff_error err = {0};
    if (strcmp(ff_req_method(req), "POST") != 0) {
        respond_error(res, 405, "INVALID_REQUEST", "Method not allowed: use POST");
        return;
    }
    json_t *body = tp_is_json_request(req) ? ff_req_json(req, &err) : NULL;
    if (body == NULL || tp_job_payload_parse(body, &c.p, &err) != 0) {
        ff_log(req, FF_WARNING, NULL, "invalid task payload: %s", body ? err.message : "not JSON");
        respond_error(res, 400, "INVALID_REQUEST", "Invalid task payload");
        return;
    }
    if ((c.job.db = fs_db_default(&err)) == NULL) {
        respond_internal(req, res, err.message);
        return;
    }
    c.job.project_id = c.p.project_id;
    c.job.session_id = c.p.session_id;
    c.job.job_id = c.p.job_id;
    if (check_job(&c, res) != 0)
        return;
    c.started_mono = ff_now_mono_ms();
    c.deadline_mono = c.started_mono + pipeline_config_get()->job_timeout_ms;
    int rc = job_mark_started(&c.job, ff_now_ms(), &err);
    if (rc == JOB_CONFLICT) {
        log_job(&c, FF_INFO, "skipped", "job was taken by another delivery%s", NULL);
        respond_ok(res, json_pack("{s:s}", "message", "Job is not pending; skipped"));
        return;
    }
    if (rc != 0) {
        respond_internal(req, res, err.message);
        return;
    }
    log_job(&c, FF_INFO, "started", "job started%s", NULL);
    rc = run_stub(&c, &err);
    if (rc == 0) {
        json_t *output = stub_output(c.p.job_id, ff_now_mono_ms() - c.started_mono);
        rc = job_complete(&c.job, output, ff_now_ms(), &err);
        json_decref(output);
    }
    if (rc == 0) {
        log_job(&c, FF_INFO, "completed", "job completed%s", NULL);
        respond_ok(res, json_pack("{s:s}", "message", "Job completed"));
        return;
    }
    if (rc == JOB_CONFLICT) {
        log_job(&c, FF_WARNING, "stopped", "job changed under us (cancelled or swept); stopping%s", NULL);
    } else {
        fail(&c, rc, &err);
    }
    /* The outcome is recorded on the job; a non-2xx would only make Cloud Tasks log a failure. */
    respond_ok(res, json_pack("{s:s}", "message", "Job did not complete"));
}
