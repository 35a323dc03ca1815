/*
 * test_warmup.c - lib/warmup.c, called in-process against the fake Google server (its
 * metadata server, Firestore at FIRESTORE_ENDPOINT and Cloud Tasks at GCP_TASKS_ENDPOINT):
 *   - production mode: the token is fetched, Firestore and Cloud Tasks are each read once,
 *     one document ID is drawn (getrandom's first call), and nothing is written;
 *   - without Cloud Tasks (tasks = 0): Firestore only;
 *   - emulator mode: nothing is sent and no ID drawn;
 *   - no metadata server: the warm-up gives up and returns, the ID still drawn.
 * The suite links with -Wl,--wrap=fs_new_id (mk/first.mk) to count the IDs drawn.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/fake_google.h"
#include "gcp/auth.h"
#include "gcp/firestore.h"
#include "lib/config.h"
#include "lib/warmup.h"

#define FS_PATH "/v1/projects/demo-test/databases/(default)/documents/warmup/absent"

static fake_google *g_fake;
static int g_ids; /* document IDs drawn in this test process */

int __real_fs_new_id(char out[FS_ID_SIZE], ff_error *err);
int __wrap_fs_new_id(char out[FS_ID_SIZE], ff_error *err)
{
    g_ids++;
    return __real_fs_new_id(out, err);
}

/* Each test runs in its own process: the environment set here dies with it. */
static void setup(void)
{
    unsetenv("FIRESTORE_EMULATOR_HOST");
    unsetenv("CLOUD_TASKS_EMULATOR_HOST");
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    g_fake = fake_google_start();
    cr_assert_not_null(g_fake);
    char tasks[96];
    snprintf(tasks, sizeof(tasks), "%s/v2", fake_google_url(g_fake));
    setenv("K_SERVICE", "startTransformPipeline", 1);
    setenv("GOOGLE_CLOUD_PROJECT", "demo-test", 1);
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
    setenv("FIRESTORE_ENDPOINT", fake_google_url(g_fake), 1);
    setenv("GCP_TASKS_ENDPOINT", tasks, 1);
    gcp_auth_reset();
    pipeline_config_reload();
}

static void teardown(void)
{
    fake_google_stop(g_fake);
}

TestSuite(warmup, .init = setup, .fini = teardown);

/* The Cloud Tasks lookup of the warm-up's absent task. */
static const char *task_path(void)
{
    static char path[256];
    const pipeline_config *c = pipeline_config_get();
    snprintf(path, sizeof(path), "/v2/projects/demo-test/locations/%s/queues/%s/tasks/warmup-absent",
             c->location, c->queue);
    return path;
}

/* Every request the fake received was a GET: the warm-up reads, never writes. */
static void expect_reads_only(void)
{
    fake_google_request r = {0};
    for (int i = 0; fake_google_get(g_fake, NULL, i, &r) == 0; i++) {
        cr_expect_str_eq(r.method, "GET", "%s %s: the warm-up must not write", r.method, r.path);
        fake_google_request_free(&r);
    }
}

Test(warmup, production_mode_reads_each_service_once_and_draws_an_id)
{
    fake_google_route(g_fake, "GET", FS_PATH, 404,
                      "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\",\"message\":\"no document\"}}");
    fake_google_route(g_fake, "GET", task_path(), 404,
                      "{\"error\":{\"code\":404,\"status\":\"NOT_FOUND\",\"message\":\"no task\"}}");
    pipeline_warmup(1);
    cr_expect_geq(fake_google_tokens_issued(g_fake), 1, "no access token fetched");
    cr_expect_eq(fake_google_count(g_fake, FS_PATH), 1, "Firestore not read once");
    cr_expect_eq(fake_google_count(g_fake, task_path()), 1, "Cloud Tasks not looked up once");
    cr_expect_eq(g_ids, 1, "document IDs drawn: %d (the generator's first call left to the first job)",
                 g_ids);
    expect_reads_only();
}

Test(warmup, without_tasks_only_firestore_is_read)
{
    pipeline_warmup(0);
    cr_expect_eq(fake_google_count(g_fake, FS_PATH), 1, "Firestore not read once");
    cr_expect_eq(fake_google_count(g_fake, task_path()), 0, "Cloud Tasks looked up");
    cr_expect_eq(g_ids, 1);
    expect_reads_only();
}

Test(warmup, emulator_mode_sends_nothing)
{
    setenv("FIRESTORE_EMULATOR_HOST", fake_google_host(g_fake), 1);
    unsetenv("K_SERVICE");
    pipeline_config_reload();
    cr_assert(pipeline_config_get()->emulator_mode);
    cr_expect_eq(pipeline_warmup(1), 0);
    cr_expect_eq(fake_google_count(g_fake, NULL), 0, "the warm-up sent requests in emulator mode");
    cr_expect_eq(g_ids, 0);
}

/* Port 1 on loopback refuses connections: no token, so no Firestore or Cloud Tasks call. */
Test(warmup, without_a_metadata_server_it_gives_up_and_returns)
{
    setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
    gcp_auth_reset();
    pipeline_warmup(1);
    cr_expect_eq(fake_google_count(g_fake, NULL), 0, "called a service without a token");
    cr_expect_eq(g_ids, 1, "the ID is drawn before anything that can fail");
}
