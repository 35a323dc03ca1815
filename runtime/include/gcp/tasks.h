/*
 * gcp/tasks.h - Cloud Tasks REST v2 client: create HTTP tasks, look one up, and ensure a
 * queue's configuration.
 *
 * With CLOUD_TASKS_EMULATOR_HOST set, speaks the dialect of the Firebase CLI's Cloud
 * Tasks emulator (plain HTTP, the routes the Admin SDK uses in emulator mode). Otherwise
 * calls https://cloudtasks.googleapis.com/v2 with an access token from gcp/auth.h.
 */
#ifndef GCP_TASKS_H
#define GCP_TASKS_H

#include <jansson.h>
#include <stddef.h>
#include "ff.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes (also set as ff_error codes). */
enum {
    GCP_TASKS_OK = 0,
    GCP_TASKS_ALREADY_EXISTS = 1,  /* a task with this name exists or existed recently: the enqueue is done */
    GCP_TASKS_ERR_ARG = 2,         /* invalid argument (IDs, URL, deadline) */
    GCP_TASKS_ERR_AUTH = 3,        /* no credentials, or the API answered 401/403 */
    GCP_TASKS_ERR_NOT_FOUND = 4,   /* the queue (gcp_tasks_exists: or the task) does not exist */
    GCP_TASKS_ERR_TRANSPORT = 5,   /* could not reach the API */
    GCP_TASKS_ERR_API = 6,         /* any other error answer */
    GCP_TASKS_ERR_UNSUPPORTED = 7, /* the emulator cannot do this (gcp_tasks_exists) */
};

typedef struct gcp_tasks_header {
    const char *name;
    const char *value;
} gcp_tasks_header;

/* A task that POSTs a JSON body to url. Borrowed strings; nothing is kept after the call. */
typedef struct gcp_tasks_task {
    const char *project;             /* NULL = gcp_project_id() */
    const char *location;            /* e.g. "europe-west1" */
    const char *queue;               /* [A-Za-z0-9-]{1,100} */
    const char *task_id;             /* optional [A-Za-z0-9_-]{1,500}: makes the enqueue idempotent */
    const char *url;                 /* http:// or https:// target */
    json_t *body;                    /* JSON body, sent compact (base64 on the wire); borrowed */
    const gcp_tasks_header *headers; /* extra headers for the target; may be NULL */
    size_t n_headers;
    const char *oidc_service_account_email; /* NULL = no OIDC token */
    const char *oidc_audience;              /* NULL = url */
    unsigned dispatch_deadline_s;           /* 0 = queue default; else 15..1800 */
    long timeout_ms;                        /* for the API call; 0 = 10000 */
} gcp_tasks_task;

/*
 * Creates the task. Returns GCP_TASKS_OK and, when name_out is not NULL, the task's full
 * resource name (malloc'd, caller frees); GCP_TASKS_ALREADY_EXISTS when task_id is set
 * and that task already exists (or was created recently), which callers may treat as
 * success; or an error code with err set. A call with task_id is retried on transient
 * failures (a retry that finds the first attempt's task reports ALREADY_EXISTS); one
 * without is not, so it is never enqueued twice.
 */
int gcp_tasks_create(const gcp_tasks_task *task, char **name_out, ff_error *err);

/*
 * Whether the named task is still in its queue (Cloud Tasks tasks.get): GCP_TASKS_OK when
 * it is (waiting or being dispatched), GCP_TASKS_ERR_NOT_FOUND when it is gone (delivered,
 * out of attempts, deleted) or its queue is; GCP_TASKS_ERR_UNSUPPORTED in emulator mode,
 * without a call (the Firebase CLI emulator has no route to look a task up); another code
 * with err set when it cannot tell. project NULL = gcp_project_id(). Retried on transient
 * failures; timeout_ms per attempt, 0 = 10000.
 */
int gcp_tasks_exists(const char *project, const char *location, const char *queue, const char *task_id,
                     long timeout_ms, ff_error *err);

/* A queue's settings; zero fields keep the service's default. */
typedef struct gcp_tasks_queue {
    const char *project; /* NULL = gcp_project_id() */
    const char *location;
    const char *queue;
    int max_attempts;                 /* attempts in all, first included; 1 = no retries; -1 = unlimited */
    int max_concurrent_dispatches;    /* 0 = default */
    double max_dispatches_per_second; /* 0 = default */
    unsigned dispatch_deadline_s;     /* emulator only (Cloud Tasks sets deadlines per task) */
    const char *default_url;          /* emulator only: target of tasks created with an empty URL */
} gcp_tasks_queue;

/*
 * Creates the queue or updates its settings (Cloud Tasks: queues.patch with an update
 * mask, which creates a missing queue; emulator: its queue-creation route). Note the
 * emulator replaces a queue on every call, dropping its pending tasks: call it once at
 * start-up. Returns GCP_TASKS_OK or an error code with err set.
 */
int gcp_tasks_queue_ensure(const gcp_tasks_queue *q, ff_error *err);

/*
 * Base URL of the Cloud Tasks API outside emulator mode (default
 * "https://cloudtasks.googleapis.com/v2"; GCP_TASKS_ENDPOINT overrides it too). NULL
 * restores the default. For tests; not thread-safe against concurrent calls.
 */
void gcp_tasks_set_endpoint(const char *base_url);

#ifdef __cplusplus
}
#endif
#endif
