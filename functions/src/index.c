/*
 * index.c - the registry of exported functions, like the TypeScript version's index.ts:
 * each function's name, signature type and runtime options (CORS, timeout, concurrency,
 * body limit sized to what it accepts). The private functions are registered behind their
 * caller check, so nothing of them runs for a caller other than the configured invoker.
 */
#include "http/startTransformPipeline.h"
#include "index.h"
#include "lib/caller.h"
#include "lib/config.h"
#include "scheduled/cleanupStaleJobs.h"
#include "tasks/transformPipelineJob.h"

/*
 * Body limits: the largest valid start body or task payload is three or four 128-character
 * IDs in a small JSON object (well under 1 KiB); 4 KiB leaves room for whitespace and
 * ignored fields. The scheduler posts an empty body.
 */
enum { START_MAX_BODY = 4096, TASK_MAX_BODY = 4096, SWEEP_MAX_BODY = 1024 };

/* transformPipelineJob for Cloud Tasks' OIDC token only (TASKS_SERVICE_ACCOUNT, TASKS_AUDIENCE). */
static void job_from_tasks(ff_request *req, ff_response *res)
{
    const pipeline_config *c = pipeline_config_get();
    if (caller_require_service(req, res, c->service_account, c->tasks_audience) == 0)
        transform_pipeline_job(req, res);
}

/* cleanupStaleJobs for Cloud Scheduler's OIDC token only (SCHEDULER_SERVICE_ACCOUNT, _AUDIENCE). */
static void sweep_from_scheduler(ff_request *req, ff_response *res)
{
    const pipeline_config *c = pipeline_config_get();
    if (caller_require_service(req, res, c->scheduler_account, c->scheduler_audience) == 0)
        cleanup_stale_jobs(req, res);
}

static const ff_function_def functions[] = {
    /* Public, called by the browser: CORS on. */
    {.name = "startTransformPipeline",
     .signature = FF_SIGNATURE_HTTP,
     .http = start_transform_pipeline,
     .cors = 1,
     .timeout_s = 60,
     .max_body = START_MAX_BODY,
     .init = pipeline_config_check_start},
    /* Private, called by Cloud Tasks: 10-minute dispatch deadline, 10 concurrent dispatches. */
    {.name = "transformPipelineJob",
     .signature = FF_SIGNATURE_HTTP,
     .http = job_from_tasks,
     .timeout_s = 600,
     .max_concurrency = 10,
     .max_queue = 100,
     .max_body = TASK_MAX_BODY,
     .init = pipeline_config_check_job},
    /* Private, called by Cloud Scheduler. */
    {.name = "cleanupStaleJobs",
     .signature = FF_SIGNATURE_HTTP,
     .http = sweep_from_scheduler,
     .timeout_s = 300,
     .max_concurrency = 1,
     .max_queue = 4,
     .max_body = SWEEP_MAX_BODY,
     .init = pipeline_config_check_sweeper},
};

int functions_register(ff_app *app, ff_error *err)
{
    for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
        if (ff_register(app, &functions[i], err) != 0)
            return -1;
    return 0;
}
