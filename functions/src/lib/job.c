/*
 * job.c - job documents and their lifecycle writes (see job.h).
 *
 * Every lifecycle write is one commit: the job update guarded by the updateTime of our
 * previous write (so a job someone else moved on is never overwritten), plus the
 * session's jobStatus. A session that no longer exists does not stop the job's own
 * transition: the commit is retried without it.
 */
#include <stdio.h>
#include <string.h>

#include "gcp/http.h"
#include "lib/ids.h"
#include "lib/job.h"
#include "lib/object.h"
#include "lib/session.h"

int job_path(char *out, size_t len, const char *project_id, const char *job_id)
{
    if (!ids_valid(project_id) || !ids_valid(job_id))
        return -1;
    return ff_concat(out, len, "projects/", project_id, "/jobs/", job_id, NULL) < 0 ? -1 : 0;
}

/* The session's array `key`, shared (a new reference), or a new empty array. */
static json_t *array_or_empty(const json_t *session, const char *key)
{
    json_t *v = json_object_get(session, key);
    return json_is_array(v) ? json_incref(v) : json_array();
}

static json_t *snapshot_new(const json_t *session, const json_t *transform, int64_t experience_version)
{
    static const char *const inputs_keys[] = {"answers", "capturedMedia"};
    static const char *const event_keys[] = {"overlay", "applyOverlay", "experienceRef"};
    static const char *const versions_keys[] = {"experienceVersion", "eventVersion"};
    static const char *const keys[] = {"sessionInputs", "transformConfig", "eventContext", "versions"};
    return OBJECT_OF(
        keys,
        OBJECT_OF(inputs_keys, array_or_empty(session, "answers"), array_or_empty(session, "capturedMedia")),
        json_incref((json_t *)transform), OBJECT_OF(event_keys, json_null(), json_false(), json_null()),
        OBJECT_OF(versions_keys, json_integer(experience_version), json_null()));
}

json_t *job_new_document(const char *job_id, const char *project_id, const char *session_id,
                         const json_t *session, const char *step_id, const json_t *transform,
                         int64_t experience_version, int64_t now)
{
    static const char *const keys[] = {"id",        "projectId", "sessionId", "experienceId", "stepId",
                                       "status",    "progress",  "output",    "error",        "snapshot",
                                       "createdAt", "updatedAt", "startedAt", "completedAt"};
    json_t *experience_id = json_object_get(session, "experienceId");
    if (job_id == NULL || project_id == NULL || session_id == NULL || step_id == NULL || transform == NULL ||
        experience_id == NULL)
        return NULL;
    return OBJECT_OF(keys, json_string(job_id), json_string(project_id), json_string(session_id),
                     json_incref(experience_id), json_string(step_id), json_string("pending"), json_null(),
                     json_null(), json_null(), snapshot_new(session, transform, experience_version),
                     json_integer(now), json_integer(now), json_null(), json_null());
}

static const struct {
    const char *code, *message;
} error_messages[] = {
    {"INVALID_INPUT", "The job's input is invalid."},
    {"PROCESSING_FAILED", "An error occurred while processing your request."},
    {"AI_MODEL_ERROR", "The AI model could not process your request."},
    {"STORAGE_ERROR", "The result could not be stored."},
    {"TIMEOUT", "The job took too long and was stopped."},
    {"CANCELLED", "The job was cancelled."},
    {"UNKNOWN", "An unexpected error occurred."},
};

const char *job_error_message(const char *code)
{
    for (size_t i = 0; i < sizeof(error_messages) / sizeof(error_messages[0]); i++)
        if (strcmp(error_messages[i].code, code) == 0)
            return error_messages[i].message;
    return job_error_message("UNKNOWN");
}

json_t *job_error_object(const char *code, const char *step, int64_t now)
{
    const char *known = strcmp(job_error_message(code), job_error_message("UNKNOWN")) == 0 ? "UNKNOWN" : code;
    return json_pack("{s:s, s:s, s:s?, s:b, s:I}", "code", known, "message", job_error_message(code), "step",
                     step, "isRetryable", 0, "timestamp", (json_int_t)now);
}

int job_fetch(fs_db *db, const char *project_id, const char *job_id, fs_doc **out, ff_error *err)
{
    char path[512];
    *out = NULL;
    if (job_path(path, sizeof(path), project_id, job_id) != 0)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "job path: invalid ID");
    return fs_doc_get(db, path, NULL, out, err);
}

/*
 * A commit cut off in transit may have landed all the same: the client's retry then
 * fails its updateTime precondition against our own write. Called only after such a
 * retry (a first-attempt refusal is a real conflict: another delivery may have written
 * the very same fields in the same millisecond); the job holding exactly the fields we
 * wrote (updatedAt included) then means the write is ours: adopt its updateTime.
 */
static int landed(job_ref *job, const char *path, const json_t *fields)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    if (fs_doc_get(job->db, path, NULL, &doc, &err) != 0)
        return 0;
    int same = 1;
    for (void *it = json_object_iter((json_t *)fields); it != NULL && same;
         it = json_object_iter_next((json_t *)fields, it))
        same = json_equal(json_object_get(doc->fields, json_object_iter_key(it)), json_object_iter_value(it));
    if (same)
        ff_strlcpy(job->update_time, sizeof(job->update_time), doc->update_time);
    fs_doc_free(doc);
    return same;
}

/*
 * Commits `fields` (only the keys present) onto the job, guarded by job->update_time,
 * with the session's jobStatus set to session_status (NULL: leave the session alone).
 */
static int commit_job(job_ref *job, json_t *fields, const char *session_status, int64_t now, ff_error *err)
{
    char path[512];
    if (job_path(path, sizeof(path), job->project_id, job->job_id) != 0) {
        json_decref(fields);
        return ff_error_set(err, FS_INVALID_ARGUMENT, "job path: invalid ID");
    }
    json_object_set_new(fields, "updatedAt", json_integer(now));
    const fs_precondition pre = {FS_PRE_UPDATE_TIME, job->update_time};
    int rc, retried = 0;
    for (int with_session = session_status != NULL && job->session_id != NULL;; with_session = 0) {
        fs_batch *b = fs_batch_new(job->db);
        rc = fs_batch_update(b, path, fields, NULL, &pre, err);
        if (rc == 0 && with_session)
            rc = session_batch_set_job(b, job->project_id, job->session_id, NULL, session_status, now, NULL,
                                       err);
        char commit_time[FS_TIME_SIZE] = "";
        unsigned long sent = gcp_http_requests_sent();
        if (rc == 0)
            rc = fs_commit(job->db, b, commit_time, err);
        retried = gcp_http_requests_sent() - sent > 1; /* an earlier attempt may have landed */
        fs_batch_free(b);
        if (rc == 0)
            ff_strlcpy(job->update_time, sizeof(job->update_time), commit_time);
        /* NOT_FOUND here means the session is gone (the job itself existed at our last write). */
        if (!(rc == FS_NOT_FOUND && with_session))
            break;
        ff_log(NULL, FF_WARNING, json_pack("{s:s, s:s}", "jobId", job->job_id, "sessionId", job->session_id),
               "session no longer exists; updating the job alone");
    }
    if (rc == FS_FAILED_PRECONDITION && retried && landed(job, path, fields))
        rc = 0;
    json_decref(fields);
    if (rc == FS_FAILED_PRECONDITION)
        return ff_error_set(err, JOB_CONFLICT, "job %s changed since our last write", job->job_id);
    return rc;
}

int job_mark_started(job_ref *job, int64_t now, ff_error *err)
{
    return commit_job(job, json_pack("{s:s, s:I}", "status", "running", "startedAt", (json_int_t)now),
                      "running", now, err);
}

int job_set_progress(job_ref *job, const char *step, int percentage, const char *message, int64_t now,
                     ff_error *err)
{
    json_t *progress =
        json_pack("{s:s, s:i, s:s?}", "currentStep", step, "percentage", percentage, "message", message);
    return commit_job(job, json_pack("{s:o}", "progress", progress), NULL, now, err);
}

int job_complete(job_ref *job, const json_t *output, int64_t now, ff_error *err)
{
    json_t *fields = json_pack("{s:s, s:O, s:{s:s, s:i, s:s}, s:I}", "status", "completed", "output", output,
                               "progress", "currentStep", "completed", "percentage", 100, "message",
                               "Transform complete", "completedAt", (json_int_t)now);
    return commit_job(job, fields, "completed", now, err);
}

int job_fail(job_ref *job, const char *code, const char *step, int64_t now, ff_error *err)
{
    json_t *fields = json_pack("{s:s, s:o, s:I}", "status", "failed", "error",
                               job_error_object(code, step, now), "completedAt", (json_int_t)now);
    return commit_job(job, fields, "failed", now, err);
}
