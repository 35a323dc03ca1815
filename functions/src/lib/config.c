/*
 * config.c - reads the pipeline's configuration from the environment (see config.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gcp/auth.h"
#include "gcp/tasks.h"
#include "lib/config.h"
#include "lib/warmup.h"

static pipeline_config g_cfg;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void copy_env(char *dst, size_t len, const char *name, const char *dflt)
{
    const char *v = getenv(name);
    ff_strlcpy(dst, len, v && *v ? v : dflt);
}

static int64_t env_ms(const char *name, int64_t dflt)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end;
    long long n = strtoll(v, &end, 10);
    return (*end == '\0' && n >= 0) ? (int64_t)n : dflt;
}

static void load(void)
{
    pipeline_config *c = &g_cfg;
    memset(c, 0, sizeof(*c));
    copy_env(c->task_url, sizeof(c->task_url), "TRANSFORM_JOB_URL", "");
    copy_env(c->queue, sizeof(c->queue), "TRANSFORM_QUEUE", "transformPipelineJob");
    copy_env(c->location, sizeof(c->location), "TRANSFORM_QUEUE_LOCATION", "europe-west1");
    copy_env(c->service_account, sizeof(c->service_account), "TASKS_SERVICE_ACCOUNT", "");
    copy_env(c->tasks_audience, sizeof(c->tasks_audience), "TASKS_AUDIENCE", "");
    if (c->tasks_audience[0] == '\0') /* Cloud Tasks' default audience: the target URL */
        memcpy(c->tasks_audience, c->task_url, sizeof(c->tasks_audience));
    copy_env(c->scheduler_account, sizeof(c->scheduler_account), "SCHEDULER_SERVICE_ACCOUNT", "");
    copy_env(c->scheduler_audience, sizeof(c->scheduler_audience), "SCHEDULER_AUDIENCE", "");
    c->stub_duration_ms = env_ms("TRANSFORM_STUB_DURATION_MS", 2000);
    c->job_timeout_ms = env_ms("TRANSFORM_JOB_TIMEOUT_MS", 585000);
    c->stale_margin_ms = env_ms("STALE_JOB_MARGIN_MS", 60000);
    const char *fs = getenv("FIRESTORE_EMULATOR_HOST");
    const char *k_service = getenv("K_SERVICE");
    c->emulated = fs != NULL && *fs != '\0';
    c->emulator_mode = c->emulated && (k_service == NULL || *k_service == '\0');
    const char *auth = getenv("AUTH_REQUIRED");
    c->auth_required =
        auth && *auth ? strcmp(auth, "0") != 0 && strcmp(auth, "false") != 0 : !c->emulator_mode;
}

const pipeline_config *pipeline_config_get(void)
{
    pthread_once(&g_once, load);
    return &g_cfg;
}

void pipeline_config_reload(void)
{
    pthread_once(&g_once, load);
    load();
}

int pipeline_config_task_url(char *out, size_t len, ff_error *err)
{
    const pipeline_config *c = pipeline_config_get();
    if (c->task_url[0] != '\0') {
        ff_strlcpy(out, len, c->task_url);
        return 0;
    }
    if (!c->emulated || !ff_all_functions_mode())
        return ff_error_set(err, -1, "TRANSFORM_JOB_URL is not set (the URL of transformPipelineJob)");
    const char *project = gcp_project_id(err);
    if (project == NULL)
        return -1;
    snprintf(out, len, "http://127.0.0.1:%d/%s/%s/transformPipelineJob", ff_listen_port(), project,
             c->location);
    return 0;
}

/*
 * Against the Cloud Tasks emulator, creates the queue with the production settings, as
 * the Firebase emulator does for task-queue functions when it loads them. (In production
 * scripts/deploy owns the queue.) Only at start-up: the emulator drops a queue's pending
 * tasks when it is created again.
 */
static int ensure_emulated_queue(const char *url, ff_error *err)
{
    const char *host = getenv("CLOUD_TASKS_EMULATOR_HOST");
    if (host == NULL || *host == '\0')
        return 0;
    const pipeline_config *c = pipeline_config_get();
    const gcp_tasks_queue q = {.location = c->location,
                               .queue = c->queue,
                               .max_attempts = 1,
                               .max_concurrent_dispatches = 10,
                               .dispatch_deadline_s = 600,
                               .default_url = url};
    return gcp_tasks_queue_ensure(&q, err) == GCP_TASKS_OK ? 0 : -1;
}

/* The start-up trust check, run once for all functions of the process. */
static int g_trust_rc;
static ff_error g_trust_err;

static void check_trust_once(void)
{
    const pipeline_config *c = pipeline_config_get();
    g_trust_rc = gcp_idtoken_config_check(&g_trust_err);
    if (c->emulator_mode)
        ff_log(NULL, FF_WARNING, NULL,
               "emulator mode (FIRESTORE_EMULATOR_HOST set, K_SERVICE unset): transformPipelineJob and "
               "cleanupStaleJobs accept calls without a token");
    if (!c->auth_required)
        ff_log(NULL, FF_WARNING, NULL,
               "AUTH_REQUIRED is off: startTransformPipeline accepts calls without a Firebase ID token");
}

/*
 * Refuses a key-URL override that is neither https nor loopback, and logs (once) every
 * way this process trusts more than production does.
 */
static int check_trust(ff_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, check_trust_once);
    if (g_trust_rc != 0 && err != NULL)
        *err = g_trust_err;
    return g_trust_rc;
}

int pipeline_config_check_start(void *userdata, ff_error *err)
{
    (void)userdata;
    char url[512];
    if (check_trust(err) != 0 || pipeline_config_task_url(url, sizeof(url), err) != 0)
        return -1;
    const pipeline_config *c = pipeline_config_get();
    if (!c->emulator_mode && c->service_account[0] == '\0')
        return ff_error_set(err, -1,
                            "TASKS_SERVICE_ACCOUNT is not set (the identity Cloud Tasks uses to call "
                            "transformPipelineJob)");
    if (gcp_project_id(err) == NULL || ensure_emulated_queue(url, err) != 0)
        return -1;
    pipeline_warmup(1);
    return 0;
}

/* A private function's start-up check: outside emulator mode, its one caller must be named. */
static int check_private(const char *account, const char *audience, const char *names, ff_error *err)
{
    if (check_trust(err) != 0)
        return -1;
    if (pipeline_config_get()->emulator_mode || (account[0] != '\0' && audience[0] != '\0'))
        return 0;
    return ff_error_set(err, -1,
                        "%s must be set outside emulator mode: the function accepts only its caller's "
                        "OIDC token",
                        names);
}

int pipeline_config_check_job(void *userdata, ff_error *err)
{
    (void)userdata;
    const pipeline_config *c = pipeline_config_get();
    if (check_private(c->service_account, c->tasks_audience,
                      "TASKS_SERVICE_ACCOUNT and TASKS_AUDIENCE (or TRANSFORM_JOB_URL)", err) != 0)
        return -1;
    pipeline_warmup(0);
    return 0;
}

int pipeline_config_check_sweeper(void *userdata, ff_error *err)
{
    (void)userdata;
    const pipeline_config *c = pipeline_config_get();
    if (check_private(c->scheduler_account, c->scheduler_audience,
                      "SCHEDULER_SERVICE_ACCOUNT and SCHEDULER_AUDIENCE", err) != 0)
        return -1;
    pipeline_warmup(1); /* the sweep looks pending jobs' tasks up */
    return 0;
}
