/*
 * tasks_wire.c - what the Cloud Tasks client sends: argument checks and the JSON
 * bodies of createTask and of the queue calls, for Cloud Tasks v2 and for the Firebase
 * CLI emulator (which reads the same task shape but its own queue body).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "tasks_internal.h"

/* The emulator counts retries where Cloud Tasks counts attempts; "unlimited" becomes this. */
#define EMULATOR_UNLIMITED_RETRIES 100

int gcp_tasks_valid_id(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (const char *p = s; *p; p++) {
        char c = *p;
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && strchr(extra, c) == NULL)
            return 0;
    }
    return 1;
}

/* Project IDs may carry a legacy "domain:" prefix. */
static int valid_project(const char *p)
{
    return p == NULL || gcp_tasks_valid_id(p, 100, "-.:");
}

static int valid_header(const gcp_tasks_header *h)
{
    return h->name && h->value && gcp_tasks_valid_id(h->name, 256, "-_") && strpbrk(h->value, "\r\n") == NULL;
}

int gcp_tasks_check_task(const gcp_tasks_task *t, ff_error *err)
{
    if (t == NULL || !valid_project(t->project) || !gcp_tasks_valid_id(t->location, 63, "-") ||
        !gcp_tasks_valid_id(t->queue, 100, "-"))
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: invalid project, location or queue ID");
    if (t->task_id && !gcp_tasks_valid_id(t->task_id, 500, "-_"))
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: task ID must be 1-500 of [A-Za-z0-9_-]");
    if (t->url == NULL || (strncmp(t->url, "http://", 7) != 0 && strncmp(t->url, "https://", 8) != 0))
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: target URL must be http(s)");
    if (t->body == NULL)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: task body is missing");
    if (t->dispatch_deadline_s != 0 && (t->dispatch_deadline_s < 15 || t->dispatch_deadline_s > 1800))
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: dispatch deadline must be 15..1800 s");
    for (size_t i = 0; i < t->n_headers; i++)
        if (!valid_header(&t->headers[i]))
            return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: invalid header #%zu", i);
    return 0;
}

int gcp_tasks_check_queue(const gcp_tasks_queue *q, ff_error *err)
{
    if (q == NULL || !valid_project(q->project) || !gcp_tasks_valid_id(q->location, 63, "-") ||
        !gcp_tasks_valid_id(q->queue, 100, "-"))
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: invalid project, location or queue ID");
    if (q->max_attempts < -1 || q->max_concurrent_dispatches < 0 || q->max_concurrent_dispatches > 5000 ||
        q->max_dispatches_per_second < 0)
        return ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: queue settings out of range");
    return 0;
}

/* {"Content-Type": "application/json", ...extra}: later names replace earlier ones. */
static json_t *headers_json(const gcp_tasks_task *t)
{
    json_t *h = json_object();
    json_object_set_new(h, "Content-Type", json_string("application/json"));
    for (size_t i = 0; i < t->n_headers; i++)
        json_object_set_new(h, t->headers[i].name, json_string(t->headers[i].value));
    return h;
}

static json_t *http_request_json(const gcp_tasks_task *t, ff_error *err)
{
    size_t len = 0;
    char *body = ff_json_text(t->body, &len);
    char *b64 = body ? gcp_b64_encode((const unsigned char *)body, len) : NULL;
    free(body);
    if (b64 == NULL) {
        ff_error_set(err, GCP_TASKS_ERR_ARG, "Cloud Tasks: cannot encode the task body");
        return NULL;
    }
    json_t *req = json_object();
    json_object_set_new(req, "url", json_string(t->url));
    json_object_set_new(req, "httpMethod", json_string("POST"));
    json_object_set_new(req, "headers", headers_json(t));
    json_object_set_new(req, "body", json_string(b64));
    free(b64);
    if (t->oidc_service_account_email) {
        json_object_set_new(req, "oidcToken",
                            json_pack("{s:s, s:s}", "serviceAccountEmail", t->oidc_service_account_email,
                                      "audience", t->oidc_audience ? t->oidc_audience : t->url));
    }
    return req;
}

json_t *gcp_tasks_create_body(const gcp_tasks_task *t, const char *project, ff_error *err)
{
    json_t *req = http_request_json(t, err);
    if (req == NULL)
        return NULL;
    json_t *task = json_object();
    json_object_set_new(task, "httpRequest", req);
    if (t->task_id) {
        char name[1024];
        snprintf(name, sizeof(name), "projects/%s/locations/%s/queues/%s/tasks/%s", project, t->location,
                 t->queue, t->task_id);
        json_object_set_new(task, "name", json_string(name));
    }
    if (t->dispatch_deadline_s) {
        char d[16];
        snprintf(d, sizeof(d), "%us", t->dispatch_deadline_s);
        json_object_set_new(task, "dispatchDeadline", json_string(d));
    }
    return json_pack("{s:o}", "task", task);
}

/* Appends ",field" (or "field") to mask. */
static void mask_add(char *mask, size_t len, const char *field)
{
    size_t used = strlen(mask);
    snprintf(mask + used, len - used, "%s%s", used ? "," : "", field);
}

static json_t *cloud_queue_body(const gcp_tasks_queue *q, const char *project, char *mask, size_t mask_len)
{
    char name[512];
    snprintf(name, sizeof(name), "projects/%s/locations/%s/queues/%s", project, q->location, q->queue);
    json_t *body = json_pack("{s:s}", "name", name);
    json_t *rate = json_object(), *retry = json_object();
    mask[0] = '\0';
    if (q->max_concurrent_dispatches) {
        json_object_set_new(rate, "maxConcurrentDispatches", json_integer(q->max_concurrent_dispatches));
        mask_add(mask, mask_len, "rateLimits.maxConcurrentDispatches");
    }
    if (q->max_dispatches_per_second > 0) {
        json_object_set_new(rate, "maxDispatchesPerSecond", json_real(q->max_dispatches_per_second));
        mask_add(mask, mask_len, "rateLimits.maxDispatchesPerSecond");
    }
    if (q->max_attempts) {
        json_object_set_new(retry, "maxAttempts", json_integer(q->max_attempts));
        mask_add(mask, mask_len, "retryConfig.maxAttempts");
    }
    json_object_set_new(body, "rateLimits", rate);
    json_object_set_new(body, "retryConfig", retry);
    return body;
}

/*
 * The emulator's queue body. Its retry loop runs a task again while the attempt number
 * is <= maxAttempts, so its maxAttempts is the number of retries: subtract the first
 * attempt to get Cloud Tasks' meaning (max_attempts 1 = exactly one delivery).
 */
static json_t *emulator_queue_body(const gcp_tasks_queue *q)
{
    json_t *body = json_object(), *rate = json_object(), *retry = json_object();
    if (q->max_attempts)
        json_object_set_new(
            retry, "maxAttempts",
            json_integer(q->max_attempts < 0 ? EMULATOR_UNLIMITED_RETRIES : q->max_attempts - 1));
    if (q->max_concurrent_dispatches)
        json_object_set_new(rate, "maxConcurrentDispatches", json_integer(q->max_concurrent_dispatches));
    if (q->max_dispatches_per_second > 0)
        json_object_set_new(rate, "maxDispatchesPerSecond", json_real(q->max_dispatches_per_second));
    json_object_set_new(body, "retryConfig", retry);
    json_object_set_new(body, "rateLimits", rate);
    if (q->dispatch_deadline_s)
        json_object_set_new(body, "timeoutSeconds", json_integer(q->dispatch_deadline_s));
    if (q->default_url)
        json_object_set_new(body, "defaultUri", json_string(q->default_url));
    return body;
}

json_t *gcp_tasks_queue_body(const gcp_tasks_queue *q, const char *project, int emulator, char *mask,
                             size_t mask_len)
{
    mask[0] = '\0';
    return emulator ? emulator_queue_body(q) : cloud_queue_body(q, project, mask, mask_len);
}
