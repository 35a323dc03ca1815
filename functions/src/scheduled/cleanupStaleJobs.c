/*
 * cleanupStaleJobs.c - fails jobs that will never finish with TIMEOUT, and mirrors the
 * failure onto their sessions:
 *   - running longer than the job timeout plus a margin (crashed instance, lost delivery);
 *   - pending past that age whose task is gone from Cloud Tasks (the task is named after
 *     the job, so tasks.get tells a job waiting in a queue backlog from a lost one), or
 *     pending past PENDING_JOB_BACKSTOP_MS whatever its task says.
 * The age cutoff is in the query and the results are read page by page with a cursor,
 * so no number of active jobs hides a stale one (indexes: firestore.indexes.json).
 *
 * Emulator mode: the Firebase CLI's Cloud Tasks emulator cannot look a task up, so there
 * a pending job past the cutoff counts as lost (age alone, as for running jobs).
 *
 * Safe beside live jobs: each failure is written only if the job is still exactly as
 * read (updateTime precondition), so a job that moved on meanwhile is left alone; and a
 * session is touched only while it still points at that job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcp/tasks.h"
#include "lib/ids.h"
#include "lib/config.h"
#include "lib/job.h"
#include "lib/respond.h"
#include "lib/session.h"
#include "scheduled/cleanupStaleJobs.h"

/* Documents per query page: small enough for one response, large enough for few calls. */
enum { SWEEP_PAGE = 300 };
/* A pending job older than this is failed even while its task is queued: a day-long
 * backlog means the queue is stuck, and the guest has long gone. */
#define PENDING_BACKSTOP_DEFAULT_MS (24LL * 3600 * 1000)

typedef struct sweep {
    ff_request *req;
    fs_db *db;
    const pipeline_config *cfg;
    int64_t cutoff;   /* running since / pending since at or before this: stale */
    int64_t backstop; /* pending since at or before this: failed whatever its task says */
    long scanned, failed, queued, errors;
} sweep;

static int64_t pending_backstop_ms(void)
{
    const char *v = getenv("PENDING_JOB_BACKSTOP_MS");
    char *end = NULL;
    long long ms = v ? strtoll(v, &end, 10) : 0;
    return (v && *v && *end == '\0' && ms > 0) ? ms : PENDING_BACKSTOP_DEFAULT_MS;
}

static json_t *job_fields(const fs_doc *doc)
{
    const json_t *f = doc->fields;
    return json_pack("{s:s, s:s?, s:s?}", "jobId", doc->id, "sessionId",
                     json_string_value(json_object_get(f, "sessionId")), "projectId",
                     json_string_value(json_object_get(f, "projectId")));
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

/*
 * The project of a job stored at projects/{p}/jobs/{j}, copied into out (len bytes).
 * The path, not the job's projectId field, says where the job is: a job is found by a
 * collection-group query, which also matches a "jobs" collection under any other parent.
 * Returns -1 for any other path.
 */
static int job_project(const fs_doc *doc, char *out, size_t len)
{
    const char *p = doc->path;
    if (strncmp(p, "projects/", 9) != 0)
        return -1;
    p += 9;
    const char *slash = strchr(p, '/');
    if (slash == NULL || slash == p || (size_t)(slash - p) >= len || strncmp(slash, "/jobs/", 6) != 0 ||
        strchr(slash + 6, '/') != NULL)
        return -1;
    memcpy(out, p, (size_t)(slash - p));
    out[slash - p] = '\0';
    return 0;
}

/* Fails one stale job. Returns 1 if it was failed, 0 if left alone, -1 on error. */
static int fail_one(sweep *s, const fs_doc *doc)
{
    const json_t *f = doc->fields;
    char project[IDS_MAX_LEN + 1];
    const char *session = json_string_value(json_object_get(f, "sessionId"));
    if (job_project(doc, project, sizeof(project)) != 0) {
        ff_log(s->req, FF_WARNING, json_pack("{s:s}", "path", doc->path),
               "not a job of this backend; left alone");
        return 0;
    }
    if (session == NULL)
        return 0;
    job_ref job = {.db = s->db, .project_id = project, .job_id = doc->id};
    if (session_follows(s->db, project, session, doc->id))
        job.session_id = session;
    ff_strlcpy(job.update_time, sizeof(job.update_time), doc->update_time);
    const char *step = json_string_value(json_object_get(json_object_get(f, "progress"), "currentStep"));
    ff_error err = {0};
    int rc = job_fail(&job, "TIMEOUT", step ? step : "pipeline", ff_now_ms(), &err);
    json_t *fields = job_fields(doc);
    json_object_set_new(fields, "event", json_string("failed"));
    if (rc == JOB_CONFLICT) {
        ff_log(s->req, FF_INFO, fields, "stale job moved on meanwhile; left alone");
        return 0;
    }
    if (rc != 0) {
        ff_log(s->req, FF_ERROR, fields, "could not fail stale job: %s", err.message);
        return -1;
    }
    ff_log(s->req, FF_WARNING, fields, "stale job failed with TIMEOUT");
    return 1;
}

/* A pending job past the cutoff: 1 when it is lost (fail it), 0 when its task is still
 * queued (leave it), -1 when Cloud Tasks cannot tell (leave it, count an error). */
static int pending_lost(sweep *s, const fs_doc *doc)
{
    if (json_integer_value(json_object_get(doc->fields, "createdAt")) <= s->backstop)
        return 1;
    ff_error err = {0};
    int rc = gcp_tasks_exists(NULL, s->cfg->location, s->cfg->queue, doc->id, 0, &err);
    if (rc == GCP_TASKS_ERR_NOT_FOUND || rc == GCP_TASKS_ERR_UNSUPPORTED)
        return 1; /* gone; or the emulator, where age alone decides */
    if (rc == GCP_TASKS_OK) {
        ff_log(s->req, FF_INFO, job_fields(doc), "pending job's task is still queued; left alone");
        return 0;
    }
    ff_log(s->req, FF_ERROR, job_fields(doc), "could not look up the pending job's task: %s", err.message);
    return -1;
}

/* The cursor after doc: [its clock value, its reference]. NULL when it cannot be built. */
static json_t *cursor_after(const sweep *s, const fs_doc *doc, const char *clock)
{
    ff_error err = {0};
    json_t *v = json_object_get(doc->fields, clock);
    json_t *ref = v ? fs_reference(s->db, doc->path, &err) : NULL;
    return ref ? json_pack("[O, o]", v, ref) : NULL;
}

/*
 * One page of jobs in `status` whose `clock` is at or before the cutoff, oldest first,
 * after *after (NULL: from the start). Handles each and moves *after to the page's last
 * document. Returns 1 when more may follow, 0 when done, -1 on a query error (err set).
 */
static int sweep_page(sweep *s, const char *status, const char *clock, json_t **after, ff_error *err)
{
    json_t *st = json_string(status), *cutoff = json_integer(s->cutoff);
    const fs_filter filters[] = {{"status", FS_OP_EQ, st}, {clock, FS_OP_LE, cutoff}};
    const fs_order order[] = {{clock, 0}, {"__name__", 0}};
    /* Only what the sweep reads: jobs carry whole snapshots. */
    const char *const fields[] = {"projectId", "sessionId", "createdAt", "startedAt", "progress.currentStep",
                                  NULL};
    const fs_query_def q = {.collection = "jobs",
                            .all_descendants = 1,
                            .filters = filters,
                            .n_filters = 2,
                            .order = order,
                            .n_order = 2,
                            .limit = SWEEP_PAGE,
                            .select = fields,
                            .start_after = *after};
    fs_doc_list list = {0};
    int rc = fs_query(s->db, &q, &list, err);
    json_decref(st);
    json_decref(cutoff);
    if (rc != 0)
        return -1;
    int pending = strcmp(status, "pending") == 0;
    for (size_t i = 0; i < list.n; i++) {
        s->scanned++;
        int lost = pending ? pending_lost(s, list.docs[i]) : 1;
        s->queued += lost == 0;
        int r = lost > 0 ? fail_one(s, list.docs[i]) : lost;
        s->failed += r == 1;
        s->errors += r < 0;
    }
    int more = list.n == SWEEP_PAGE;
    json_decref(*after);
    *after = more ? cursor_after(s, list.docs[list.n - 1], clock) : NULL;
    fs_doc_list_free(&list);
    if (more && *after == NULL) {
        ff_error_set(err, FS_INTERNAL, "cannot build the cursor of the next page");
        return -1;
    }
    return more;
}

/* Every page of one status. Returns 0, or -1 on a query error (err set). */
static int sweep_status(sweep *s, const char *status, const char *clock, ff_error *err)
{
    json_t *after = NULL;
    int rc;
    while ((rc = sweep_page(s, status, clock, &after, err)) == 1)
        ;
    json_decref(after);
    return rc;
}

void cleanup_stale_jobs(ff_request *req, ff_response *res)
{
    fs_set_deadline(ff_req_deadline_ms(req)); /* no Firestore call outlives the request */
    ff_error err = {0};
    sweep s = {.req = req, .cfg = pipeline_config_get(), .db = fs_db_default(&err)};
    if (s.db == NULL) {
        respond_internal(req, res, err.message);
        return;
    }
    int64_t now = ff_now_ms();
    s.cutoff = now - s.cfg->job_timeout_ms - s.cfg->stale_margin_ms;
    s.backstop = now - pending_backstop_ms();
    if (sweep_status(&s, "running", "startedAt", &err) != 0 ||
        sweep_status(&s, "pending", "createdAt", &err) != 0) {
        respond_internal(req, res, err.message);
        return;
    }
    ff_log(req, FF_INFO,
           json_pack("{s:I, s:I, s:I, s:I}", "scanned", (json_int_t)s.scanned, "failed", (json_int_t)s.failed,
                     "queued", (json_int_t)s.queued, "errors", (json_int_t)s.errors),
           "sweep done");
    if (s.errors > 0) {
        respond_internal(req, res, "some stale jobs could not be failed");
        return;
    }
    respond_ok(res, json_pack("{s:I, s:I, s:I}", "failed", (json_int_t)s.failed, "scanned",
                              (json_int_t)s.scanned, "queued", (json_int_t)s.queued));
}
