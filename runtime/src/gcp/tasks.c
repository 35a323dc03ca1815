/*
 * tasks.c - the Cloud Tasks client's HTTP side: where requests go (Cloud Tasks v2 or
 * the emulator named by CLOUD_TASKS_EMULATOR_HOST), the Authorization header, and how
 * answers map to GCP_TASKS_ codes (409 on a named task = ALREADY_EXISTS, 404 = NOT_FOUND).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "gcp/auth.h"
#include "gcp/http.h"
#include "gcp/tasks.h"
#include "tasks_internal.h"

#define CLOUD_TASKS_DEFAULT_ENDPOINT "https://cloudtasks.googleapis.com/v2"
#define AUTH_HEADER_MAX              4200

static char *g_endpoint; /* gcp_tasks_set_endpoint */

void gcp_tasks_set_endpoint(const char *base_url)
{
    free(g_endpoint);
    g_endpoint = gcp_strdup_or_null(base_url);
}

/* "http://<emulator host>" when emulating, else the API base; written into buf. */
static int base_url(char *buf, size_t len, int *emulator)
{
    const char *emu = gcp_env("CLOUD_TASKS_EMULATOR_HOST");
    *emulator = emu != NULL;
    const char *api = g_endpoint ? g_endpoint : gcp_env("GCP_TASKS_ENDPOINT");
    long n = emu ? ff_concat(buf, len, strstr(emu, "://") ? "" : "http://", emu, NULL)
                 : ff_concat(buf, len, api ? api : CLOUD_TASKS_DEFAULT_ENDPOINT, NULL);
    return n < 0 ? -1 : 0;
}

static const char *resolve_project(const char *given, ff_error *err)
{
    if (given)
        return given;
    const char *p = gcp_project_id(err);
    if (p == NULL && err)
        err->code = GCP_TASKS_ERR_AUTH;
    return p;
}

/* Short description of an error answer: Google's error message, or the text body. */
static void describe(const gcp_http_response *res, char *status, size_t slen, char *msg, size_t mlen)
{
    if (gcp_http_google_error(res->body, res->body_len, status, slen, msg, mlen))
        return;
    ff_strlcpy(status, slen, "");
    snprintf(msg, mlen, "%.120s", res->body ? res->body : "");
}

/* Maps an HTTP answer to a GCP_TASKS_ code. `what` names the call for messages. */
static int map_status(const gcp_http_response *res, int emulator, const char *what, ff_error *err)
{
    if (res->status >= 200 && res->status < 300)
        return GCP_TASKS_OK;
    char status[64], msg[200];
    describe(res, status, sizeof(status), msg, sizeof(msg));
    if (res->status == 409 && (emulator || strcmp(status, "ALREADY_EXISTS") == 0))
        return ff_error_set(err, GCP_TASKS_ALREADY_EXISTS, "%s: task already exists", what);
    int code = GCP_TASKS_ERR_API;
    if (res->status == 404)
        code = GCP_TASKS_ERR_NOT_FOUND;
    else if (res->status == 401 || res->status == 403)
        code = GCP_TASKS_ERR_AUTH;
    return ff_error_set(err, code, "%s: HTTP %ld %s%s%s", what, res->status, status, status[0] ? ": " : "",
                        msg);
}

/* One call: adds the Authorization header (none for the emulator), sends body. */
static int call(const char *method, const char *url, const char *text, size_t text_len, int retry,
                long timeout_ms, int emulator, const char *what, gcp_http_response *res, ff_error *err)
{
    char auth[AUTH_HEADER_MAX];
    ff_error aerr = {0};
    memset(res, 0, sizeof(*res));
    if (gcp_auth_header(GCP_SERVICE_TASKS, auth, sizeof(auth), &aerr) != 0)
        return ff_error_set(err, GCP_TASKS_ERR_AUTH, "%s: no credentials: %s", what, aerr.message);
    /* Authorization first: a call without a body sends no Content-Type */
    gcp_http_header hdr[] = {{"Authorization", auth}, {"Content-Type", "application/json"}};
    gcp_http_request req = {
        .method = method,
        .url = url,
        .headers = auth[0] ? hdr : hdr + 1,
        .n_headers = (size_t)(auth[0] != 0) + (text != NULL),
        .body = text,
        .body_len = text_len,
        .timeout_ms = timeout_ms > 0 ? timeout_ms : 10000,
        .retry = retry,
    };
    ff_error herr = {0};
    int rc = gcp_http_do(&req, res, &herr);
    if (rc != GCP_HTTP_OK)
        return ff_error_set(err, GCP_TASKS_ERR_TRANSPORT, "%s: %s", what, herr.message);
    return map_status(res, emulator, what, err);
}

/* The created task's name: Cloud Tasks answers the Task, the emulator {"task": Task}. */
static char *created_name(const gcp_http_response *res)
{
    json_t *root = json_loadb(res->body ? res->body : "", res->body_len, 0, NULL);
    json_t *task = json_object_get(root, "task");
    const char *name = json_string_value(json_object_get(task ? task : root, "name"));
    char *copy = NULL;
    if (name)
        copy = strdup(name[0] == '/' ? name + 1 : name); /* the emulator adds a leading '/' */
    json_decref(root);
    return copy;
}

int gcp_tasks_create(const gcp_tasks_task *t, char **name_out, ff_error *err)
{
    if (name_out)
        *name_out = NULL;
    int rc = gcp_tasks_check_task(t, err);
    if (rc != 0)
        return rc;
    const char *project = resolve_project(t->project, err);
    if (project == NULL)
        return GCP_TASKS_ERR_AUTH;
    int emulator = 0;
    char base[512], *url = NULL;
    if (base_url(base, sizeof(base), &emulator) != 0 ||
        (url = ff_concat_alloc(base, "/projects/", project, "/locations/", t->location, "/queues/", t->queue,
                               "/tasks", NULL)) == NULL)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: endpoint URL too long");
    size_t body_len = 0;
    char *body = gcp_tasks_create_text(t, project, &body_len, err);
    if (body == NULL) {
        free(url);
        return err ? err->code : GCP_TASKS_ERR_ARG;
    }
    char what[160];
    snprintf(what, sizeof(what), "Cloud Tasks createTask on queue %.100s", t->queue);
    gcp_http_response res;
    /* only a named task can be retried safely: a duplicate comes back as ALREADY_EXISTS */
    int retry = t->task_id ? GCP_HTTP_RETRY_SAFE : GCP_HTTP_NO_RETRY;
    rc = call("POST", url, body, body_len, retry, t->timeout_ms, emulator, what, &res, err);
    if (rc == GCP_TASKS_OK && name_out && (*name_out = created_name(&res)) == NULL)
        rc = ff_error_set(err, GCP_TASKS_ERR_API, "%s: the answer names no task", what);
    gcp_http_response_free(&res);
    free(body);
    free(url);
    return rc;
}

int gcp_tasks_exists(const char *project_id, const char *location, const char *queue, const char *task_id,
                     long timeout_ms, ff_error *err)
{
    if (!gcp_tasks_valid_id(location, 63, "-") || !gcp_tasks_valid_id(queue, 100, "-") ||
        !gcp_tasks_valid_id(task_id, 500, "-_") ||
        (project_id && !gcp_tasks_valid_id(project_id, 100, "-.:")))
        return ff_error_set(err, GCP_TASKS_ERR_ARG,
                            "Cloud Tasks: invalid project, location, queue or task ID");
    int emulator = 0;
    char base[512], *url = NULL;
    if (base_url(base, sizeof(base), &emulator) != 0)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: endpoint URL too long");
    if (emulator)
        return ff_error_set(err, GCP_TASKS_ERR_UNSUPPORTED,
                            "Cloud Tasks emulator: tasks cannot be looked up");
    const char *project = resolve_project(project_id, err);
    if (project == NULL)
        return GCP_TASKS_ERR_AUTH;
    if ((url = ff_concat_alloc(base, "/projects/", project, "/locations/", location, "/queues/", queue,
                               "/tasks/", task_id, "?responseView=BASIC", NULL)) == NULL)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: out of memory");
    char what[160];
    snprintf(what, sizeof(what), "Cloud Tasks getTask on queue %.100s", queue);
    gcp_http_response res;
    int rc = call("GET", url, NULL, 0, GCP_HTTP_RETRY_SAFE, timeout_ms, 0, what, &res, err);
    gcp_http_response_free(&res);
    free(url);
    return rc;
}

int gcp_tasks_queue_ensure(const gcp_tasks_queue *q, ff_error *err)
{
    int rc = gcp_tasks_check_queue(q, err);
    if (rc != 0)
        return rc;
    const char *project = resolve_project(q->project, err);
    if (project == NULL)
        return GCP_TASKS_ERR_AUTH;
    int emulator = 0;
    char base[512], mask[256], *url = NULL;
    if (base_url(base, sizeof(base), &emulator) != 0)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: endpoint URL too long");
    json_t *json = gcp_tasks_queue_body(q, project, emulator, mask, sizeof(mask));
    size_t body_len = 0;
    char *body = json ? ff_json_text(json, &body_len) : NULL;
    json_decref(json);
    url = ff_concat_alloc(base, "/projects/", project, "/locations/", q->location, "/queues/", q->queue,
                          mask[0] ? "?updateMask=" : "", mask, NULL);
    if (url == NULL || body == NULL) {
        free(url);
        free(body);
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: out of memory");
    }
    char what[160];
    snprintf(what, sizeof(what), "Cloud Tasks queue %.100s", q->queue);
    gcp_http_response res;
    /* Cloud Tasks: patch creates or updates; the emulator creates (replacing) on POST */
    rc = call(emulator ? "POST" : "PATCH", url, body, body_len, GCP_HTTP_RETRY_SAFE, 0, emulator, what, &res,
              err);
    gcp_http_response_free(&res);
    free(body);
    free(url);
    return rc;
}
