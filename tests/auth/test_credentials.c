/*
 * test_credentials.c - access tokens from a service-account key (JWT exchange at the
 * fake token endpoint, which checks the assertion like Google) and from the fake
 * metadata server: caching, refresh, single flight across threads, every failure mode.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

TestSuite(credentials, .init = auth_setup, .fini = auth_teardown, .timeout = 60);

static int header(gcp_service svc, char *out, size_t len, ff_error *err)
{
    ff_error_clear(err);
    return gcp_auth_header(svc, out, len, err);
}

Test(credentials, key_file_exchange_yields_bearer_token)
{
    auth_use_key_file("demo-test");
    char h[4200];
    ff_error err = {0};
    cr_assert_eq(header(GCP_SERVICE_FIRESTORE, h, sizeof(h), &err), 0, "%s", err.message);
    cr_expect_str_eq(h, "Bearer fake-token-1");
    char why[256];
    fake_google_last_rejection(g_fake, why, sizeof(why));
    cr_expect_str_empty(why, "fake refused an assertion: %s", why);

    /* the exchange was a form POST with the JWT-bearer grant */
    fake_google_request r;
    cr_assert_eq(fake_google_get(g_fake, FAKE_GOOGLE_TOKEN_PATH, 0, &r), 0);
    char *type = fake_google_header(&r, "Content-Type");
    cr_expect_str_eq(type, "application/x-www-form-urlencoded");
    cr_expect_str_eq(r.method, "POST");
    cr_expect_not_null(strstr(r.body, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"));
    free(type);
    fake_google_request_free(&r);
}

Test(credentials, tasks_and_firestore_share_one_token)
{
    auth_use_key_file(NULL);
    char a[4200], b[4200];
    ff_error err = {0};
    cr_assert_eq(header(GCP_SERVICE_FIRESTORE, a, sizeof(a), &err), 0, "%s", err.message);
    cr_assert_eq(header(GCP_SERVICE_TASKS, b, sizeof(b), &err), 0, "%s", err.message);
    cr_expect_str_eq(a, b);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 1);
}

Test(credentials, second_call_uses_the_cache)
{
    auth_use_key_file(NULL);
    char tok[4096];
    ff_error err = {0};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    cr_expect_str_eq(tok, "fake-token-1");
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 1);
}

Test(credentials, token_close_to_expiry_is_refreshed)
{
    /* 200 s left is inside the 5-minute refresh margin: every call refreshes */
    auth_use_key_file(NULL);
    fake_google_set_expires_in(g_fake, 200);
    char tok[4096];
    ff_error err = {0};
    cr_assert_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    cr_expect_str_eq(tok, "fake-token-1");
    cr_assert_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    cr_expect_str_eq(tok, "fake-token-2");
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 2);
}

typedef struct worker {
    char token[4096];
    int rc;
    int64_t took_ms;
} worker;

static void *fetch_worker(void *arg)
{
    worker *w = arg;
    ff_error err = {0};
    int64_t t0 = ff_now_mono_ms();
    w->rc = gcp_auth_access_token(w->token, sizeof(w->token), &err);
    w->took_ms = ff_now_mono_ms() - t0;
    return NULL;
}

static void run_workers(worker *w, int n)
{
    pthread_t t[32];
    for (int i = 0; i < n; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, fetch_worker, &w[i]), 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

Test(credentials, concurrent_first_use_exchanges_once)
{
    auth_use_key_file(NULL);
    fake_google_set_token_delay_ms(g_fake, 300); /* all threads arrive while the first waits */
    worker w[16];
    memset(w, 0, sizeof(w));
    run_workers(w, 16);
    for (int i = 0; i < 16; i++) {
        cr_expect_eq(w[i].rc, 0);
        cr_expect_str_eq(w[i].token, "fake-token-1");
    }
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 1);
}

Test(credentials, refresh_by_one_thread_while_others_use_valid_token)
{
    auth_use_key_file(NULL);
    fake_google_set_expires_in(g_fake, 200); /* due for refresh but still valid */
    char tok[4096];
    ff_error err = {0};
    cr_assert_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    fake_google_set_token_delay_ms(g_fake, 1000);
    worker w[8];
    memset(w, 0, sizeof(w));
    run_workers(w, 8);
    int refreshed = 0;
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(w[i].rc, 0);
        if (strcmp(w[i].token, "fake-token-2") == 0)
            refreshed++;
        else
            cr_expect(w[i].took_ms < 900, "a thread waited %lld ms instead of using the valid token",
                      (long long)w[i].took_ms);
    }
    cr_expect_eq(refreshed, 1, "exactly one thread refreshes");
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 2);
}

Test(credentials, emulator_variables_pick_the_header_per_service)
{
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1);
    setenv("CLOUD_TASKS_EMULATOR_HOST", "127.0.0.1:2", 1);
    char h[64];
    ff_error err = {0};
    cr_assert_eq(header(GCP_SERVICE_FIRESTORE, h, sizeof(h), &err), 0);
    cr_expect_str_eq(h, "Bearer owner");
    cr_assert_eq(header(GCP_SERVICE_TASKS, h, sizeof(h), &err), 0);
    cr_expect_str_eq(h, "");
    cr_expect_eq(fake_google_count(g_fake, NULL), 0);
}

Test(credentials, firestore_emulator_does_not_cover_tasks)
{
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1);
    auth_use_key_file(NULL);
    char h[4200];
    ff_error err = {0};
    cr_assert_eq(header(GCP_SERVICE_TASKS, h, sizeof(h), &err), 0, "%s", err.message);
    cr_expect_str_eq(h, "Bearer fake-token-1");
}

Test(credentials, metadata_server_token)
{
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
    char h[4200];
    ff_error err = {0};
    cr_assert_eq(header(GCP_SERVICE_FIRESTORE, h, sizeof(h), &err), 0, "%s", err.message);
    cr_expect_str_eq(h, "Bearer fake-md-token-1");
    cr_expect_eq(fake_google_metadata_refusals(g_fake), 0);
    cr_assert_eq(header(GCP_SERVICE_FIRESTORE, h, sizeof(h), &err), 0, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_MD_TOKEN), 1, "cached");
}

Test(credentials, buffer_too_small_is_an_argument_error)
{
    auth_use_key_file(NULL);
    char small[16];
    ff_error err = {0};
    cr_expect_eq(header(GCP_SERVICE_FIRESTORE, small, sizeof(small), &err), GCP_AUTH_ERR_ARG);
    cr_expect_eq(header(GCP_SERVICE_FIRESTORE, small, 4, &err), GCP_AUTH_ERR_ARG);
    cr_expect_eq(header((gcp_service)99, small, sizeof(small), &err), GCP_AUTH_ERR_ARG);
}
