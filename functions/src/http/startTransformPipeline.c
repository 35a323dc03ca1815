/*
 * startTransformPipeline.c - POST ?projectId=P {"sessionId", "stepId"} -> a new job.
 *
 * method, projectId (405/400) -> authenticate (401, or 503 without signing keys; before
 * the body is even parsed) -> body (400) -> fetch session (404) -> authorize (403; draft
 * sessions are admins' only) -> the session's workspaceId/experienceId (422
 * INVALID_SESSION: a client-written field never becomes a path unchecked) -> active job?
 * (409) -> fetch experience, pick config (404 without transform) -> one atomic commit:
 * create the job and set the session's {jobId, jobStatus: pending}, guarded by the session's
 * updateTime as read, so of concurrent requests exactly one wins (the others re-read
 * and get 409) -> enqueue the task named after the job -> 200.
 * If the enqueue fails the job and session are marked failed, so the guest can retry.
 */
#include <stdio.h>
#include <string.h>

#include "gcp/http.h"
#include "gcp/tasks.h"
#include "http/startTransformPipeline.h"
#include "lib/caller.h"
#include "lib/config.h"
#include "lib/experience.h"
#include "lib/ids.h"
#include "lib/job.h"
#include "lib/object.h"
#include "lib/respond.h"
#include "lib/schemas/transform_pipeline.h"
#include "lib/session.h"

enum { MAX_COMMIT_ATTEMPTS = 5 };

/* Answers 400 with the validation message (client-safe: it names the field). Returns -1. */
static int respond_invalid(ff_response *res, const ff_error *err)
{
    char msg[320];
    snprintf(msg, sizeof(msg), "Invalid request: %s", err->message);
    respond_error(res, 400, "INVALID_REQUEST", msg);
    return -1;
}

/* One request's state while it is being handled. */
typedef struct start_ctx {
    ff_request *req;
    ff_response *res;
    fs_db *db;
    const char *project_id;
    tp_start_request body;
    caller who;
    char job_id[FS_ID_SIZE];
    char job_update_time[FS_TIME_SIZE]; /* of the created job: guards a later failure write */
    unsigned long requests_at_start;    /* gcp_http_requests_sent() when the request began */
} start_ctx;

/* The request line: method and projectId. Cheap, and says nothing about any session. */
static int validate_target(start_ctx *c)
{
    ff_error err = {0};
    if (strcmp(ff_req_method(c->req), "POST") != 0) {
        respond_error(c->res, 405, "INVALID_REQUEST", "Method not allowed: use POST");
        return -1;
    }
    c->project_id = ff_req_query(c->req, "projectId");
    if (c->project_id == NULL || *c->project_id == '\0' || ff_req_query_count(c->req, "projectId") != 1) {
        respond_error(c->res, 400, "INVALID_REQUEST",
                      "Invalid request: projectId query parameter is required once");
        return -1;
    }
    return tp_check_id("projectId", c->project_id, &err) == 0 ? 0 : respond_invalid(c->res, &err);
}

/* The body, parsed only once the caller is authenticated (bounded memory before that). */
static int validate_body(start_ctx *c)
{
    ff_error err = {0};
    json_t *body = tp_is_json_request(c->req) ? ff_req_json(c->req, &err) : NULL;
    if (body == NULL) {
        respond_error(c->res, 400, "INVALID_REQUEST", "Invalid request: body must be JSON");
        return -1;
    }
    return tp_start_request_parse(body, &c->body, &err) == 0 ? 0 : respond_invalid(c->res, &err);
}

/* Lifecycle log line; roundTrips counts the Firestore and Cloud Tasks requests so far. */
static void log_event(start_ctx *c, const char *event, const char *message)
{
    if (!ff_log_enabled(FF_INFO))
        return;
    ff_log(c->req, FF_INFO,
           json_pack("{s:s, s:s, s:s, s:s, s:I}", "event", event, "jobId", c->job_id, "sessionId",
                     c->body.session_id, "projectId", c->project_id, "roundTrips",
                     (json_int_t)(gcp_http_requests_sent() - c->requests_at_start)),
           "%s", message);
}

/*
 * Reads the session and answers 404/403/409 when it cannot take a job. 0 = go on with
 * *session a new document the caller frees; otherwise *session is NULL.
 */
static int load_session(start_ctx *c, fs_doc **session)
{
    ff_error err = {0};
    int rc = session_fetch(c->db, c->project_id, c->body.session_id, session, &err);
    if (rc == FS_NOT_FOUND) {
        respond_error(c->res, 404, "SESSION_NOT_FOUND", "Session not found");
        return -1;
    }
    if (rc != 0) {
        respond_internal(c->req, c->res, err.message);
        return -1;
    }
    const json_t *s = (*session)->fields;
    caller_verdict verdict = caller_may_use_session(&c->who, s);
    if (verdict != CALLER_MAY) {
        ff_log_warn(c->req, "session refused to the caller: %s",
                    verdict == CALLER_DRAFT_NOT_ADMIN ? "draft config, caller not an admin"
                                                      : "not its creator");
        respond_error(c->res, 403, "PERMISSION_DENIED", "You may not start a job for this session");
        goto refuse;
    }
    /* Client-written fields that become paths: checked like request IDs, nothing read yet. */
    if (!ids_valid(json_string_value(json_object_get(s, "workspaceId"))) ||
        !ids_valid(json_string_value(json_object_get(s, "experienceId")))) {
        ff_log(c->req, FF_WARNING,
               json_pack("{s:s, s:s}", "sessionId", c->body.session_id, "projectId", c->project_id),
               "session refused: workspaceId or experienceId is not a valid ID");
        respond_error(c->res, 422, "INVALID_SESSION",
                      "The session refers to an invalid workspace or experience");
        goto refuse;
    }
    if (session_has_active_job((*session)->fields)) {
        respond_error(c->res, 409, "JOB_IN_PROGRESS", "A job is already in progress for this session");
        goto refuse;
    }
    return 0;
refuse:
    fs_doc_free(*session);
    *session = NULL;
    return -1;
}

/* The job and the session update in one commit guarded by the session as read. */
static int commit_job(start_ctx *c, const fs_doc *session, const json_t *job, ff_error *err)
{
    char path[512];
    if (job_path(path, sizeof(path), c->project_id, c->job_id) != 0)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "job path: invalid ID");
    const fs_precondition as_read = {FS_PRE_UPDATE_TIME, session->update_time};
    fs_batch *b = fs_batch_new(c->db);
    int64_t now = json_integer_value(json_object_get(job, "createdAt"));
    int rc = fs_batch_create(b, path, job, err);
    if (rc == 0)
        rc = session_batch_set_job(b, c->project_id, c->body.session_id, c->job_id, "pending", now, &as_read,
                                   err);
    if (rc == 0)
        rc = fs_commit(c->db, b, c->job_update_time, err);
    fs_batch_free(b);
    return rc;
}

/*
 * A commit cut off in transit may have landed all the same: the client's retry then
 * fails against it (ALREADY_EXISTS, FAILED_PRECONDITION) and the request fails. If our
 * job exists it must not stay pending with the session pointing at it (the guest would
 * get 409 until the sweeper runs): mark it failed, as after a failed enqueue. Returns 1
 * when the job had landed.
 */
static int abandon_landed_job(start_ctx *c)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    if (job_fetch(c->db, c->project_id, c->job_id, &doc, &err) != 0)
        return 0;
    job_ref ref = {
        .db = c->db, .project_id = c->project_id, .job_id = c->job_id, .session_id = c->body.session_id};
    ff_strlcpy(ref.update_time, sizeof(ref.update_time), doc->update_time);
    fs_doc_free(doc);
    json_t *ids = json_pack("{s:s, s:s, s:s}", "jobId", c->job_id, "sessionId", c->body.session_id,
                            "projectId", c->project_id);
    if (job_fail(&ref, "UNKNOWN", "create", ff_now_ms(), &err) != 0)
        ff_log(c->req, FF_ERROR, ids,
               "job commit failed but landed; could not mark it failed: %s (the sweeper will)", err.message);
    else
        ff_log(c->req, FF_ERROR, ids, "job commit failed but landed: job marked failed");
    return 1;
}

/* How one attempt at creating the job ended. */
typedef enum { CREATE_DONE, CREATE_ANSWERED, CREATE_RETRY, CREATE_FAILED } create_outcome;

/*
 * One attempt: read the session and the experience, build the job, commit it with the
 * session update. CREATE_RETRY when the session changed since it was read.
 */
static create_outcome create_once(start_ctx *c, ff_error *err)
{
    fs_doc *session = NULL, *experience = NULL;
    if (load_session(c, &session) != 0)
        return CREATE_ANSWERED;
    const json_t *s = session->fields;
    int64_t version = 1;
    const json_t *transform = NULL;
    int rc = experience_fetch(c->db, json_string_value(json_object_get(s, "workspaceId")),
                              json_string_value(json_object_get(s, "experienceId")), &experience, err);
    if (rc == 0)
        transform = experience_pick_transform(
            experience->fields, json_string_value(json_object_get(s, "configSource")), &version);
    create_outcome out = CREATE_FAILED;
    if (rc == FS_NOT_FOUND || (rc == 0 && transform == NULL)) {
        respond_error(c->res, 404, "TRANSFORM_NOT_FOUND",
                      "No transform configuration found for this experience");
        out = CREATE_ANSWERED;
    } else if (rc == 0 && fs_new_id(c->job_id, err) == 0) {
        json_t *job = job_new_document(c->job_id, c->project_id, c->body.session_id, s, c->body.step_id,
                                       transform, version, ff_now_ms());
        rc = commit_job(c, session, job, err);
        json_decref(job);
        if (rc == 0)
            out = CREATE_DONE;
        else if (abandon_landed_job(c))
            out = CREATE_FAILED; /* it landed after all, now failed: do not create another */
        else if (rc == FS_FAILED_PRECONDITION)
            out = CREATE_RETRY;
    }
    fs_doc_free(session);
    fs_doc_free(experience);
    return out;
}

/* Creates the job. 0 = created; otherwise the response is written. */
static int create_job(start_ctx *c)
{
    ff_error err = {0};
    for (int attempt = 1;; attempt++) {
        create_outcome out = create_once(c, &err);
        if (out == CREATE_DONE)
            return 0;
        if (out == CREATE_ANSWERED)
            return -1;
        /* CREATE_RETRY: another request changed the session since we read it: look again. */
        if (out == CREATE_FAILED || attempt >= MAX_COMMIT_ATTEMPTS) {
            respond_internal(c->req, c->res, err.message[0] ? err.message : "job creation failed");
            return -1;
        }
    }
}

static int enqueue(start_ctx *c, ff_error *err)
{
    const pipeline_config *cfg = pipeline_config_get();
    char url[512];
    if (pipeline_config_task_url(url, sizeof(url), err) != 0)
        return -1;
    static const char *const data_keys[] = {"jobId", "sessionId", "projectId"}, *const keys[] = {"data"};
    json_t *body = OBJECT_OF(keys, OBJECT_OF(data_keys, json_string(c->job_id),
                                             json_string(c->body.session_id), json_string(c->project_id)));
    gcp_tasks_task task = {
        .location = cfg->location,
        .queue = cfg->queue,
        .task_id = c->job_id, /* a repeated enqueue cannot run the job twice */
        .url = url,
        .body = body,
        .oidc_service_account_email = cfg->service_account[0] ? cfg->service_account : NULL,
        .dispatch_deadline_s = 600,
    };
    unsigned long sent = gcp_http_requests_sent();
    int rc = gcp_tasks_create(&task, NULL, err);
    json_decref(body);
    /*
     * The job is new, so its task can exist already only if an earlier attempt of this
     * very call created it. An ALREADY_EXISTS on the first attempt is a refusal in
     * disguise (the Cloud Tasks emulator answers 409 when its queue is full): treating it
     * as done would leave the job pending forever.
     */
    if (rc == GCP_TASKS_ALREADY_EXISTS && gcp_http_requests_sent() - sent <= 1) {
        ff_error_set(err, -1, "task refused: ALREADY_EXISTS on the first attempt for a new job (%s)",
                     err->message);
        return -1;
    }
    return rc == GCP_TASKS_OK || rc == GCP_TASKS_ALREADY_EXISTS ? 0 : -1;
}

/* The task could not be enqueued: fail the job so the session is free again. */
static void fail_unqueued(start_ctx *c, const ff_error *cause)
{
    ff_log(c->req, FF_ERROR,
           json_pack("{s:s, s:s, s:s}", "jobId", c->job_id, "sessionId", c->body.session_id, "projectId",
                     c->project_id),
           "enqueue failed: %s", cause->message);
    ff_error err = {0};
    job_ref ref = {
        .db = c->db, .project_id = c->project_id, .job_id = c->job_id, .session_id = c->body.session_id};
    ff_strlcpy(ref.update_time, sizeof(ref.update_time), c->job_update_time);
    int rc = job_fail(&ref, "UNKNOWN", "enqueue", ff_now_ms(), &err);
    if (rc != 0)
        ff_log(c->req, FF_ERROR, json_pack("{s:s}", "jobId", c->job_id),
               "could not mark the unqueued job failed: %s (the sweeper will)", err.message);
    else
        log_event(c, "failed", "job failed: task could not be enqueued");
}

void start_transform_pipeline(ff_request *req, ff_response *res)
{
    fs_set_deadline(ff_req_deadline_ms(req)); /* no Firestore call outlives the request */
    start_ctx c = {.req = req, .res = res, .requests_at_start = gcp_http_requests_sent()};
    ff_error err = {0};
    if (validate_target(&c) != 0)
        return;
    int who = caller_identify(req, &c.who);
    if (who != 0) {
        caller_respond_unauthenticated(res, who);
        return;
    }
    if (validate_body(&c) != 0)
        return;
    if ((c.db = fs_db_default(&err)) == NULL) {
        respond_internal(req, res, err.message);
        return;
    }
    if (create_job(&c) != 0)
        return;
    if (enqueue(&c, &err) != 0) {
        fail_unqueued(&c, &err);
        respond_internal(req, res, "task enqueue failed");
        return;
    }
    log_event(&c, "created", "job created");
    static const char *const keys[] = {"jobId", "message"};
    respond_ok(res, OBJECT_OF(keys, json_string(c.job_id), json_string("Transform pipeline job created")));
}
