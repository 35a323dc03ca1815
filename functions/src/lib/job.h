/*
 * job.h - job documents (projects/{projectId}/jobs/{jobId}): creation with the snapshot,
 * fetch, and the lifecycle writes (started, progress, completed, failed), each one
 * conditional on the job being as we last wrote it and mirrored onto the session in the
 * same atomic commit.
 */
#ifndef PIPELINE_JOB_H
#define PIPELINE_JOB_H

#include "gcp/firestore.h"

enum {
    JOB_OK = 0,
    /* The job changed under us (another delivery, the sweeper, a cancellation): stop. */
    JOB_CONFLICT = 1001,
};

/* Writes "projects/{p}/jobs/{j}" into out. Returns 0, or -1 if an ID is not ID-shaped
 * (lib/ids.h) or it does not fit. */
int job_path(char *out, size_t len, const char *project_id, const char *job_id);

/*
 * Builds a new pending job document with its immutable snapshot (session inputs, the
 * transform config whole, event context, versions). session_id is the requested one, never
 * the session's own (client-written) "id" field. Returns a new reference the caller owns,
 * or NULL (an argument missing, the session without experienceId, out of memory). The
 * snapshot shares the session's answers and capturedMedia arrays and the transform config
 * (references, not copies): the document is for writing, not for changing in place.
 */
json_t *job_new_document(const char *job_id, const char *project_id, const char *session_id,
                         const json_t *session, const char *step_id, const json_t *transform,
                         int64_t experience_version, int64_t now);

/* The client-safe sentence stored in error.message for a job error code. */
const char *job_error_message(const char *code);
/* {code, message (sanitized), step, isRetryable: false, timestamp}. New reference. */
json_t *job_error_object(const char *code, const char *step, int64_t now);

/*
 * Reads a job. Returns 0 with *out a new document (caller frees with fs_doc_free),
 * FS_NOT_FOUND, or another error with err set.
 */
int job_fetch(fs_db *db, const char *project_id, const char *job_id, fs_doc **out, ff_error *err);

/* A job being processed: where it is and the updateTime of our last write. */
typedef struct job_ref {
    fs_db *db;
    const char *project_id, *job_id; /* borrowed */
    const char *session_id;          /* borrowed; NULL = do not mirror onto the session */
    char update_time[FS_TIME_SIZE];
} job_ref;

/* pending -> running (startedAt), session jobStatus running. JOB_CONFLICT if not ours. */
int job_mark_started(job_ref *job, int64_t now, ff_error *err);
/* Writes progress {currentStep, percentage, message}. */
int job_set_progress(job_ref *job, const char *step, int percentage, const char *message, int64_t now,
                     ff_error *err);
/* running -> completed with output and progress 100; session jobStatus completed. */
int job_complete(job_ref *job, const json_t *output, int64_t now, ff_error *err);
/* -> failed with a sanitized error of `code` at `step`; session jobStatus failed. */
int job_fail(job_ref *job, const char *code, const char *step, int64_t now, ff_error *err);

#endif
