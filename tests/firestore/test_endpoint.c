/*
 * test_endpoint.c - FIRESTORE_ENDPOINT, the production-mode endpoint override: calls go
 * to it with the production access token (here from a fake metadata server), and an
 * endpoint that is neither https nor loopback is refused when the handle is opened.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/fake_google.h"
#include "fs_helpers.h"
#include "gcp/auth.h"

static fake_google *g_fake;
static char g_emulator[128]; /* the runner's FIRESTORE_EMULATOR_HOST, put back after */

static void setup(void)
{
    const char *emu = getenv("FIRESTORE_EMULATOR_HOST");
    snprintf(g_emulator, sizeof(g_emulator), "%s", emu ? emu : "");
    unsetenv("FIRESTORE_EMULATOR_HOST"); /* set, it makes gcp_auth_header answer "Bearer owner" */
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    gcp_auth_reset();
    g_fake = fake_google_start();
    cr_assert_not_null(g_fake);
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
}

static void teardown(void)
{
    unsetenv("FIRESTORE_ENDPOINT");
    unsetenv("GCE_METADATA_HOST");
    gcp_auth_reset();
    fake_google_stop(g_fake);
    if (g_emulator[0] != '\0')
        setenv("FIRESTORE_EMULATOR_HOST", g_emulator, 1);
}

TestSuite(endpoint, .init = setup, .fini = teardown);

/* A production-mode handle (emulator_host ""), or NULL with err set. */
static fs_db *open_production(ff_error *err)
{
    fs_options o = {.project_id = "demo-test", .emulator_host = ""};
    return fs_db_open(&o, err);
}

Test(endpoint, loopback_endpoint_gets_the_call_with_the_access_token)
{
    static const char path[] = "/v1/projects/demo-test/databases/(default)/documents/c/d";
    fake_google_route(g_fake, "GET", path, 200,
                      "{\"name\":\"projects/demo-test/databases/(default)/documents/c/d\","
                      "\"fields\":{\"a\":{\"stringValue\":\"x\"}},"
                      "\"createTime\":\"2026-01-01T00:00:00Z\",\"updateTime\":\"2026-01-01T00:00:00Z\"}");
    char ep[160];
    snprintf(ep, sizeof(ep), "%s/", fake_google_url(g_fake)); /* a trailing slash is dropped */
    setenv("FIRESTORE_ENDPOINT", ep, 1);
    ff_error err = {0};
    fs_db *db = open_production(&err);
    cr_assert_not_null(db, "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, "c/d", NULL, &doc, &err), 0, "%s", err.message);
    cr_assert_str_eq(json_string_value(json_object_get(doc->fields, "a")), "x");
    fs_doc_free(doc);
    fs_db_close(db);
    cr_assert_eq(fake_google_count(g_fake, path), 1);
    fake_google_request r = {0};
    cr_assert_eq(fake_google_get(g_fake, path, 0, &r), 0);
    char *authz = fake_google_header(&r, "Authorization");
    cr_assert_not_null(authz);
    cr_assert(strncmp(authz, "Bearer fake-md-token-", 21) == 0, "not the metadata server's token: %s", authz);
    free(authz);
    fake_google_request_free(&r);
}

Test(endpoint, https_endpoint_is_accepted)
{
    setenv("FIRESTORE_ENDPOINT", "https://firestore.example.com", 1);
    ff_error err = {0};
    fs_db *db = open_production(&err); /* no network traffic at open */
    cr_assert_not_null(db, "%s", err.message);
    fs_db_close(db);
}

Test(endpoint, plain_http_to_another_host_is_refused)
{
    static const char *const bad[] = {"http://firestore.example.com",
                                      "http://127.0.0.1.example.com:80",
                                      "ftp://127.0.0.1",
                                      "127.0.0.1:8080",
                                      "https://u@firestore.example.com",
                                      "http://10.0.0.1:8080"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("FIRESTORE_ENDPOINT", bad[i], 1);
        ff_error err = {0};
        fs_db *db = open_production(&err);
        cr_assert_null(db, "accepted %s", bad[i]);
        cr_assert_eq(err.code, FS_INVALID_ARGUMENT, "%s: %s", bad[i], err.message);
        cr_assert(strstr(err.message, "FIRESTORE_ENDPOINT") != NULL, "%s", err.message);
    }
    cr_assert_eq(fake_google_count(g_fake, NULL), 0);
}

Test(endpoint, emulator_host_wins_over_the_endpoint)
{
    setenv("FIRESTORE_ENDPOINT", "http://firestore.example.com", 1); /* would be refused */
    fs_options o = {.project_id = "demo-test", .emulator_host = "127.0.0.1:9"};
    ff_error err = {0};
    fs_db *db = fs_db_open(&o, &err);
    cr_assert_not_null(db, "%s", err.message);
    fs_db_close(db);
}
