/*
 * cleanupStaleJobs.c - fails jobs left pending or running longer than the job timeout
 * plus a margin (a crashed instance, a lost task, Firestore gone mid-job) with TIMEOUT,
 * and mirrors the failure onto their sessions.
 *
 * Safe beside live jobs: each failure is written only if the job is still exactly as
 * read (updateTime precondition), so a job that wrote progress meanwhile is left alone;
 * and a session is touched only while it still points at that job.
 */
#include <stdio.h>
#include <string.h>

#include "lib/config.h"
#include "lib/job.h"
#include "lib/respond.h"
#include "lib/session.h"
#include "scheduled/cleanupStaleJobs.h"

enum { SWEEP_LIMIT = 500 };

/* When the job last started something: startedAt when running, else createdAt. */
static int64_t job_clock(const json_t *job)
{
    const json_t *started = json_object_get(job, "startedAt");
    if (json_is_integer(started))
        return json_integer_value(started);
    return json_integer_value(json_object_get(job, "createdAt"));
}

/* Nonzero when the session still points at this job (so its jobStatus is the job's). */
static int session_follows(fs_db *db, const char *project, const char *session_id, const char *job_id)
{
    fs_doc *s = NULL;
    char path[4096]; /* two IDs of up to 1500 bytes, Firestore's limit */
    const char *mask[] = {"jobId", NULL};
    ff_error err;
    if (session_path(path, sizeof(path), project, session_id) != 0 ||
        fs_doc_get(db, path, mask, &s, &err) != 0)
        return 0;
    const char *current = json_string_value(json_object_get(s->fields, "jobId"));
    int follows = current != NULL && strcmp(current, job_id) == 0;
    fs_doc_free(s);
    return follows;
}

/* Fails one stale job. Returns 1 if it was failed, 0 if left alone, -1 on error. */
static int sweep_one(ff_request *req, fs_db *db, const fs_doc *doc)
{
    const json_t *f = doc->fields;
    const char *project = json_string_value(json_object_get(f, "projectId"));
    const char *session = json_string_value(json_object_get(f, "sessionId"));
    if (project == NULL || session == NULL)
        return 0;
    job_ref job = {.db = db, .project_id = project, .job_id = doc->id};
    if (session_follows(db, project, session, doc->id))
        job.session_id = session;
    snprintf(job.update_time, sizeof(job.update_time), "%s", doc->update_time);
    const char *step = json_string_value(json_object_get(json_object_get(f, "progress"), "currentStep"));
    ff_error err = {0};
    int rc = job_fail(&job, "TIMEOUT", step ? step : "pipeline", ff_now_ms(), &err);
    json_t *fields = json_pack("{s:s, s:s, s:s, s:s}", "event", "failed", "jobId", doc->id, "sessionId",
                               session, "projectId", project);
    if (rc == JOB_CONFLICT) {
        ff_log(req, FF_INFO, fields, "stale job moved on meanwhile; left alone");
        return 0;
    }
    if (rc != 0) {
        ff_log(req, FF_ERROR, fields, "could not fail stale job: %s", err.message);
        return -1;
    }
    ff_log(req, FF_WARNING, fields, "stale job failed with TIMEOUT");
    return 1;
}

void cleanup_stale_jobs(ff_request *req, ff_response *res)
{
    fs_thread_deadline(ff_req_deadline_ms(req)); /* no Firestore call outlives the request */
    ff_error err = {0};
    fs_db *db = fs_db_default(&err);
    if (db == NULL) {
        respond_internal(req, res, err.message);
        return;
    }
    const pipeline_config *cfg = pipeline_config_get();
    int64_t cutoff = ff_now_ms() - cfg->job_timeout_ms - cfg->stale_margin_ms;
    json_t *active = json_pack("[s, s]", "pending", "running");
    const fs_filter filter = {"status", FS_OP_IN, active};
    /* Only what the sweep reads: jobs carry whole snapshots. */
    const char *const fields[] = {"projectId", "sessionId", "createdAt", "startedAt", "progress.currentStep",
                                  NULL};
    const fs_query_def q = {.select = fields,
                            .collection = "jobs",
                            .all_descendants = 1,
                            .filters = &filter,
                            .n_filters = 1,
                            .limit = SWEEP_LIMIT};
    fs_doc_list list = {0};
    int rc = fs_query(db, &q, &list, &err);
    json_decref(active);
    if (rc != 0) {
        respond_internal(req, res, err.message);
        return;
    }
    int failed = 0, errors = 0;
    for (size_t i = 0; i < list.n; i++) {
        if (job_clock(list.docs[i]->fields) > cutoff)
            continue;
        int r = sweep_one(req, db, list.docs[i]);
        failed += r == 1;
        errors += r < 0;
    }
    size_t scanned = list.n;
    fs_doc_list_free(&list);
    ff_log(req, FF_INFO,
           json_pack("{s:I, s:i, s:i}", "scanned", (json_int_t)scanned, "failed", failed, "errors", errors),
           "sweep done");
    if (errors > 0) {
        respond_internal(req, res, "some stale jobs could not be failed");
        return;
    }
    respond_ok(res, json_pack("{s:i, s:I}", "failed", failed, "scanned", (json_int_t)scanned));
}
