/*
 * session.c - session reads and job-status mirroring (see session.h).
 */
#include <stdio.h>
#include <string.h>

#include "lib/document.h"
#include "lib/ids.h"
#include "lib/session.h"
#include "session_schema.h"

int session_path(char *out, size_t len, const char *project_id, const char *session_id)
{
    if (!ids_valid(project_id) || !ids_valid(session_id))
        return -1;
    return ff_concat(out, len, "projects/", project_id, "/sessions/", session_id, NULL) < 0 ? -1 : 0;
}

int session_fetch(fs_db *db, const char *project_id, const char *session_id, fs_doc **out, ff_error *err)
{
    char path[512];
    *out = NULL;
    if (session_path(path, sizeof(path), project_id, session_id) != 0)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "session path: invalid ID");
    return document_fetch(db, path, &session_schema_doc, "session", out, err);
}

int session_has_active_job(const json_t *session)
{
    const char *s = json_string_value(json_object_get(session, "jobStatus"));
    return s != NULL && (strcmp(s, "pending") == 0 || strcmp(s, "running") == 0);
}

int session_batch_set_job(fs_batch *b, const char *project_id, const char *session_id, const char *job_id,
                          const char *job_status, int64_t now, const fs_precondition *pre, ff_error *err)
{
    char path[512];
    if (session_path(path, sizeof(path), project_id, session_id) != 0)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "session path: invalid ID");
    json_t *fields = json_pack("{s:s, s:I}", "jobStatus", job_status, "updatedAt", (json_int_t)now);
    const char *with_job[] = {"jobId", "jobStatus", "updatedAt", NULL};
    const char *status_only[] = {"jobStatus", "updatedAt", NULL};
    if (job_id != NULL)
        json_object_set_new(fields, "jobId", json_string(job_id));
    const fs_precondition exists = {FS_PRE_EXISTS, NULL};
    int rc = fs_batch_update(b, path, fields, job_id ? with_job : status_only, pre ? pre : &exists, err);
    json_decref(fields);
    return rc;
}
