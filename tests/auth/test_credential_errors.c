/*
 * test_credential_errors.c - every way obtaining a token can fail ends in a clear
 * error naming the source (key file, token endpoint, metadata server), never a crash,
 * and never with the token or the assertion in the message.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/src/ff/log.h"
#include "auth_helpers.h"
#include "gcp/auth.h"

TestSuite(credential_errors, .init = auth_setup, .fini = auth_teardown, .timeout = 60);

static int get_token(ff_error *err)
{
    char tok[4096];
    ff_error_clear(err);
    return gcp_auth_access_token(tok, sizeof(tok), err);
}

static void expect_error(int want_code, const char *want_text)
{
    ff_error err = {0};
    cr_expect_eq(get_token(&err), want_code, "got %d: %s", err.code, err.message);
    cr_expect_eq(err.code, want_code);
    cr_expect_not_null(strstr(err.message, want_text), "message \"%s\" lacks \"%s\"", err.message, want_text);
}

/* Rewrites the key file with one member removed or replaced. */
static void edit_key(const char *member, json_t *value)
{
    json_t *key = fake_google_sa_key_json(g_fake, TEST_SA_EMAIL, NULL);
    cr_assert_not_null(key);
    if (value)
        json_object_set_new(key, member, value);
    else
        json_object_del(key, member);
    char *text = json_dumps(key, 0);
    const char *path = auth_write_file("key.json", text);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
    free(text);
    json_decref(key);
}

Test(credential_errors, key_file_missing)
{
    setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/key.json", 1);
    expect_error(GCP_AUTH_ERR_KEYFILE, "/nonexistent/key.json");
}

Test(credential_errors, key_file_not_json)
{
    setenv("GOOGLE_APPLICATION_CREDENTIALS", auth_write_file("key.json", "{ not json"), 1);
    expect_error(GCP_AUTH_ERR_KEYFILE, "key.json");
}

Test(credential_errors, key_file_not_an_object)
{
    setenv("GOOGLE_APPLICATION_CREDENTIALS", auth_write_file("key.json", "[1, 2]"), 1);
    expect_error(GCP_AUTH_ERR_KEYFILE, "not a JSON object");
}

Test(credential_errors, key_file_without_client_email)
{
    edit_key("client_email", NULL);
    expect_error(GCP_AUTH_ERR_KEYFILE, "missing client_email");
}

Test(credential_errors, key_file_without_private_key)
{
    edit_key("private_key", NULL);
    expect_error(GCP_AUTH_ERR_KEYFILE, "missing private_key");
}

Test(credential_errors, key_file_with_garbage_private_key)
{
    edit_key("private_key", json_string("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
    expect_error(GCP_AUTH_ERR_KEYFILE, "not a PEM RSA private key");
}

Test(credential_errors, key_file_with_wrong_field_type)
{
    edit_key("token_uri", json_integer(42));
    expect_error(GCP_AUTH_ERR_KEYFILE, "not a string");
}

Test(credential_errors, key_file_of_another_type)
{
    edit_key("type", json_string("authorized_user"));
    expect_error(GCP_AUTH_ERR_KEYFILE, "authorized_user");
}

Test(credential_errors, exchange_refused_400)
{
    auth_use_key_file(NULL);
    fake_google_set_token_status(g_fake, 400);
    expect_error(GCP_AUTH_ERR_EXCHANGE, "HTTP 400 invalid_grant");
}

Test(credential_errors, exchange_refused_401)
{
    auth_use_key_file(NULL);
    fake_google_set_token_status(g_fake, 401);
    expect_error(GCP_AUTH_ERR_EXCHANGE, "HTTP 401 invalid_client");
}

Test(credential_errors, assertion_signed_by_an_unknown_key_is_refused)
{
    /* a key the fake never issued: its signature cannot verify */
    fake_google *other = fake_google_start();
    cr_assert_not_null(other);
    json_t *key = fake_google_sa_key_json(other, TEST_SA_EMAIL, NULL);
    fake_google_stop(other);
    char token_uri[128];
    snprintf(token_uri, sizeof(token_uri), "%s/token", fake_google_url(g_fake));
    json_object_set_new(key, "token_uri", json_string(token_uri));
    char *text = json_dumps(key, 0);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", auth_write_file("key.json", text), 1);
    free(text);
    json_decref(key);
    json_decref(
        fake_google_sa_key_json(g_fake, "someone-else@x.iam.gserviceaccount.com", NULL)); /* registered */
    expect_error(GCP_AUTH_ERR_EXCHANGE, "signature does not verify");
}

Test(credential_errors, token_endpoint_unreachable)
{
    char uri[64];
    snprintf(uri, sizeof(uri), "http://%s/token", auth_closed_host());
    edit_key("token_uri", json_string(uri));
    expect_error(GCP_AUTH_ERR_EXCHANGE, uri);
}

Test(credential_errors, metadata_server_down)
{
    /* auth_setup points GCE_METADATA_HOST at a closed port */
    expect_error(GCP_AUTH_ERR_METADATA, "metadata server");
}

Test(credential_errors, metadata_server_requires_the_flavor_header)
{
    /* the fake refuses requests without Metadata-Flavor: Google, as the real one does */
    setenv("GCE_METADATA_HOST", fake_google_host(g_fake), 1);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "curl -s -o /dev/null -w '%%{http_code}' http://%s%s",
             fake_google_host(g_fake), FAKE_GOOGLE_MD_TOKEN);
    FILE *p = popen(cmd, "r");
    char code[8] = "";
    cr_assert_not_null(p);
    cr_assert_not_null(fgets(code, sizeof(code), p));
    pclose(p);
    cr_expect_str_eq(code, "403");
    cr_expect_eq(fake_google_metadata_refusals(g_fake), 1);
}

Test(credential_errors, failed_refresh_falls_back_to_the_valid_token_without_logging_it)
{
    auth_use_key_file(NULL);
    fake_google_set_expires_in(g_fake, 200);
    char tok[4096];
    ff_error err = {0};
    cr_assert_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    fake_google_set_token_status(g_fake, 400);
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *log = open_memstream(&logbuf, &loglen);
    ff_log_set_stream(log);
    cr_expect_eq(gcp_auth_access_token(tok, sizeof(tok), &err), 0, "%s", err.message);
    ff_log_set_stream(NULL);
    fclose(log);
    cr_expect_str_eq(tok, "fake-token-1");
    cr_expect_not_null(strstr(logbuf, "refresh failed"));
    cr_expect_null(strstr(logbuf, "fake-token"), "the token leaked into the log");
    free(logbuf);
}

typedef struct attempt {
    int rc;
    ff_error err;
} attempt;

static void *attempt_main(void *arg)
{
    attempt *a = arg;
    a->rc = get_token(&a->err);
    return NULL;
}

Test(credential_errors, waiters_share_a_failed_refresh)
{
    auth_use_key_file(NULL);
    fake_google_set_token_status(g_fake, 400);
    fake_google_set_token_delay_ms(g_fake, 300);
    attempt a[8];
    pthread_t t[8];
    memset(a, 0, sizeof(a));
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, attempt_main, &a[i]), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        cr_expect_eq(a[i].rc, GCP_AUTH_ERR_EXCHANGE);
        cr_expect_not_null(strstr(a[i].err.message, "HTTP 400"), "%s", a[i].err.message);
        cr_expect_null(strstr(a[i].err.message, "eyJ"), "the assertion leaked into the error");
    }
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_TOKEN_PATH), 1, "one exchange for all waiters");
}
