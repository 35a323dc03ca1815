/*
 * session.h - session documents (projects/{projectId}/sessions/{sessionId}): fetch,
 * active-job check, and the writes that mirror a job's status onto its session.
 */
#ifndef PIPELINE_SESSION_H
#define PIPELINE_SESSION_H

#include "gcp/firestore.h"

/* Writes "projects/{p}/sessions/{s}" into out. Returns 0, or -1 if an ID is not ID-shaped
 * (lib/ids.h) or it does not fit. */
int session_path(char *out, size_t len, const char *project_id, const char *session_id);

/*
 * Reads the session and checks it against the session schema. Returns 0 with *out a new
 * document (caller frees with fs_doc_free), FS_NOT_FOUND, or another fs_status / -1 for
 * an invalid document, with err set.
 */
int session_fetch(fs_db *db, const char *project_id, const char *session_id, fs_doc **out, ff_error *err);

/* Nonzero when the session's jobStatus is pending or running. */
int session_has_active_job(const json_t *session);

/*
 * Adds to b an update of the session's {jobId (when job_id is not NULL), jobStatus,
 * updatedAt}, touching no other field, guarded by pre (NULL = must exist).
 */
int session_batch_set_job(fs_batch *b, const char *project_id, const char *session_id, const char *job_id,
                          const char *job_status, int64_t now, const fs_precondition *pre, ff_error *err);

#endif
