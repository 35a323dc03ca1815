/*
 * index.c - the registry of exported functions, like functions/src/index.ts: each
 * function's name, signature type and runtime options (CORS, timeout, concurrency).
 */
#include "http/startTransformPipeline.h"
#include "index.h"
#include "lib/config.h"
#include "scheduled/cleanupStaleJobs.h"
#include "tasks/transformPipelineJob.h"

static const ff_function_def functions[] = {
    /* Public, called by the browser: CORS on. */
    {.name = "startTransformPipeline",
     .signature = FF_SIGNATURE_HTTP,
     .http = start_transform_pipeline,
     .cors = 1,
     .timeout_s = 60,
     .init = pipeline_config_check_start},
    /* Private, called by Cloud Tasks: 10-minute dispatch deadline, 10 concurrent dispatches. */
    {.name = "transformPipelineJob",
     .signature = FF_SIGNATURE_HTTP,
     .http = transform_pipeline_job,
     .timeout_s = 600,
     .max_concurrency = 10,
     .max_queue = 100},
    /* Private, called by Cloud Scheduler. */
    {.name = "cleanupStaleJobs",
     .signature = FF_SIGNATURE_HTTP,
     .http = cleanup_stale_jobs,
     .timeout_s = 300,
     .max_concurrency = 1,
     .max_queue = 4},
};

int functions_register(ff_app *app, ff_error *err)
{
    for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
        if (ff_register(app, &functions[i], err) != 0)
            return -1;
    return 0;
}
