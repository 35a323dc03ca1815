/*
 * tasks_fake.c - the Cloud Tasks REST suites' fixture (see tasks_fake.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gcp/auth.h"
#include "gcp/tasks.h"
#include "tasks_fake.h"

fake_google *tf_api;
static char g_key_path[256];

void tf_setup(void)
{
    unsetenv("CLOUD_TASKS_EMULATOR_HOST");
    unsetenv("FIRESTORE_EMULATOR_HOST");
    setenv("GOOGLE_CLOUD_PROJECT", "demo-test", 1);
    setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
    gcp_auth_reset();
    tf_api = fake_google_start();
    cr_assert_not_null(tf_api);
    snprintf(g_key_path, sizeof(g_key_path), "/tmp/ff-tasks-key-%d.json", (int)getpid());
    cr_assert_eq(fake_google_write_sa_key(tf_api, g_key_path, TF_SA_EMAIL, "demo-test"), 0);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", g_key_path, 1);
    char endpoint[128];
    snprintf(endpoint, sizeof(endpoint), "%s/v2", fake_google_url(tf_api));
    gcp_tasks_set_endpoint(endpoint);
}

void tf_teardown(void)
{
    fake_google_stop(tf_api);
    tf_api = NULL;
    unlink(g_key_path);
    gcp_tasks_set_endpoint(NULL);
    gcp_auth_reset();
}
