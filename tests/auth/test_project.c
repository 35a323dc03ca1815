/*
 * test_project.c - the project ID's sources in their order (GOOGLE_CLOUD_PROJECT,
 * GCLOUD_PROJECT, FIREBASE_CONFIG as JSON or path, key file, metadata server) and the
 * service-account e-mail (key file, emulator default, metadata server).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

TestSuite(project, .init = auth_setup, .fini = auth_teardown, .timeout = 60);

static void expect_project(const char *want)
{
    gcp_auth_reset();
    ff_error err = {0};
    const char *p = gcp_project_id(&err);
    cr_assert_not_null(p, "%s", err.message);
    cr_expect_str_eq(p, want);
}

Test(project, sources_in_order)
{
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
    fake_google_set_metadata(g_fake, "from-metadata", NULL);
    expect_project("from-metadata");
    auth_use_key_file("from-key-file");
    expect_project("from-key-file");
    setenv("FIREBASE_CONFIG", "{\"projectId\": \"from-firebase-config\", \"storageBucket\": \"b\"}", 1);
    expect_project("from-firebase-config");
    setenv("GCLOUD_PROJECT", "from-gcloud-project", 1);
    expect_project("from-gcloud-project");
    setenv("GOOGLE_CLOUD_PROJECT", "from-google-cloud-project", 1);
    expect_project("from-google-cloud-project");
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_MD_PROJECT), 1);
}

Test(project, firebase_config_as_a_path)
{
    setenv("FIREBASE_CONFIG", auth_write_file("firebase.json", "{\"projectId\": \"from-file\"}"), 1);
    expect_project("from-file");
}

Test(project, firebase_config_without_project_falls_through)
{
    setenv("FIREBASE_CONFIG", "{\"storageBucket\": \"b\"}", 1);
    auth_use_key_file("from-key-file");
    expect_project("from-key-file");
}

Test(project, malformed_firebase_config_is_an_error)
{
    setenv("FIREBASE_CONFIG", "{broken", 1);
    ff_error err = {0};
    cr_expect_null(gcp_project_id(&err));
    cr_expect_eq(err.code, GCP_AUTH_ERR_PROJECT);
    cr_expect_not_null(strstr(err.message, "FIREBASE_CONFIG"), "%s", err.message);
}

Test(project, no_source_is_an_error_naming_the_remedy)
{
    ff_error err = {0};
    cr_expect_null(gcp_project_id(&err));
    cr_expect_eq(err.code, GCP_AUTH_ERR_PROJECT);
    cr_expect_not_null(strstr(err.message, "GOOGLE_CLOUD_PROJECT"), "%s", err.message);
    cr_expect_not_null(strstr(err.message, "metadata server"), "%s", err.message);
}

Test(project, resolved_once_and_kept)
{
    setenv("GOOGLE_CLOUD_PROJECT", "first", 1);
    ff_error err = {0};
    const char *a = gcp_project_id(&err);
    setenv("GOOGLE_CLOUD_PROJECT", "second", 1);
    const char *b = gcp_project_id(&err);
    cr_expect_eq(a, b);
    cr_expect_str_eq(b, "first");
}

Test(project, email_from_key_file)
{
    auth_use_key_file(NULL);
    ff_error err = {0};
    const char *e = gcp_auth_service_account_email(&err);
    cr_assert_not_null(e, "%s", err.message);
    cr_expect_str_eq(e, TEST_SA_EMAIL);
}

Test(project, email_under_emulators_is_the_admin_sdk_default)
{
    setenv("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:1", 1);
    ff_error err = {0};
    const char *e = gcp_auth_service_account_email(&err);
    cr_assert_not_null(e, "%s", err.message);
    cr_expect_str_eq(e, "emulated-service-acct@email.com");
}

Test(project, email_from_metadata)
{
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
    fake_google_set_metadata(g_fake, "p", "runtime@p.iam.gserviceaccount.com");
    ff_error err = {0};
    const char *e = gcp_auth_service_account_email(&err);
    cr_assert_not_null(e, "%s", err.message);
    cr_expect_str_eq(e, "runtime@p.iam.gserviceaccount.com");
    cr_expect_eq(fake_google_metadata_refusals(g_fake), 0);
}

Test(project, email_with_metadata_down_is_an_error)
{
    ff_error err = {0};
    cr_expect_null(gcp_auth_service_account_email(&err));
    cr_expect_eq(err.code, GCP_AUTH_ERR_METADATA);
    cr_expect_not_null(strstr(err.message, "metadata server"), "%s", err.message);
}
