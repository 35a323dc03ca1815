/*
 * config.h - the pipeline's configuration, read once from the environment.
 *
 *   TRANSFORM_JOB_URL            target URL of transformPipelineJob for the task; in emulator mode
 *                                derived from the local all-functions server when unset
 *   TRANSFORM_QUEUE              queue name (transformPipelineJob)
 *   TRANSFORM_QUEUE_LOCATION     queue region (europe-west1)
 *   TASKS_SERVICE_ACCOUNT        e-mail of the service account in the task's OIDC token; the
 *                                only identity transformPipelineJob accepts
 *   TASKS_AUDIENCE               audience transformPipelineJob expects (TRANSFORM_JOB_URL)
 *   SCHEDULER_SERVICE_ACCOUNT    the only identity cleanupStaleJobs accepts (Cloud Scheduler's)
 *   SCHEDULER_AUDIENCE           audience cleanupStaleJobs expects (its service URL)
 *   TRANSFORM_STUB_DURATION_MS   how long the stub processing takes (2000)
 *   TRANSFORM_JOB_TIMEOUT_MS     a job running longer fails with TIMEOUT (585000: the
 *                                600 s dispatch deadline less time to record the failure)
 *   STALE_JOB_MARGIN_MS          the sweeper fails jobs older than timeout + margin (60000)
 *   AUTH_REQUIRED                1/0: callers of startTransformPipeline need a Firebase ID
 *                                token (default 1, or 0 in emulator mode)
 * Emulator mode: FIRESTORE_EMULATOR_HOST set and K_SERVICE unset (never on Cloud Run). Only
 * there may the private functions be called without a token.
 */
#ifndef PIPELINE_CONFIG_H
#define PIPELINE_CONFIG_H

#include <stdint.h>

#include "ff.h"

typedef struct pipeline_config {
    char task_url[512]; /* "" when unset (resolved by pipeline_config_task_url) */
    char queue[128];
    char location[64];
    char service_account[256]; /* "" = no OIDC token */
    char tasks_audience[512];  /* "" = task_url */
    char scheduler_account[256];
    char scheduler_audience[512];
    int64_t stub_duration_ms;
    int64_t job_timeout_ms;
    int64_t stale_margin_ms;
    int auth_required;
    int emulated;      /* FIRESTORE_EMULATOR_HOST is set */
    int emulator_mode; /* emulated and K_SERVICE unset: private functions need no token */
} pipeline_config;

/* The process-wide configuration, loaded on first use. Never NULL; owned by the module. */
const pipeline_config *pipeline_config_get(void);
/* Reloads from the environment (tests). Not thread-safe against concurrent readers. */
void pipeline_config_reload(void);
/*
 * Writes the URL the task must POST to into out: TRANSFORM_JOB_URL, or in emulator mode
 * the local server's /{project}/{location}/transformPipelineJob. Returns 0, or -1 with
 * err set when production configuration is missing.
 */
int pipeline_config_task_url(char *out, size_t len, ff_error *err);
/* Start-up checks (ff_function_def init hooks, run before the port listens): each refuses
 * to start without the production configuration its function needs, logs every
 * relaxation as a WARNING, then warms its outbound paths up (lib/warmup.h). */
int pipeline_config_check_start(void *userdata, ff_error *err);
int pipeline_config_check_job(void *userdata, ff_error *err);
int pipeline_config_check_sweeper(void *userdata, ff_error *err);

#endif
