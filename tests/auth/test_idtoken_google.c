/*
 * test_idtoken_google.c - verification of Google-signed OIDC ID tokens against the
 * fake's JWKS: good token, each claim check, signatures, key IDs and refetches, the
 * Cache-Control lifetime of the key cache, and single-flight fetching across threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

#define AUDIENCE "https://europe-west1-demo-test.cloudfunctions.net/transformPipelineJob"
#define INVOKER  "tasks-invoker@demo-test.iam.gserviceaccount.com"

static void setup(void)
{
    auth_setup();
    auth_use_fake_keys("google-1");
}

TestSuite(idtoken_google, .init = setup, .fini = auth_teardown, .timeout = 60);

/* Claims of a token Cloud Tasks would attach; a new reference. */
static json_t *claims(void)
{
    long now = (long)time(NULL);
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:s}", "iss", "https://accounts.google.com", "aud",
                     AUDIENCE, "sub", "112233445566", "email", INVOKER, "email_verified", 1, "iat", now - 10,
                     "exp", now + 3600, "azp", "112233445566");
}

/* Mints an RS256 token with c (stolen), header kid and signing key given. */
static char *mint(json_t *c, const char *kid, const char *sign_kid)
{
    char *t = fake_google_mint(g_fake, "RS256", kid, sign_kid, c);
    json_decref(c);
    cr_assert_not_null(t);
    return t;
}

static int verify(const char *token, ff_error *err)
{
    gcp_idtoken_result res;
    ff_error_clear(err);
    int rc = gcp_idtoken_verify_google(token, AUDIENCE, INVOKER, &res, err);
    gcp_idtoken_result_free(&res);
    return rc;
}

static void expect_rejected(json_t *c, int code)
{
    char *t = mint(c, "google-1", "google-1");
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), code, "got %d: %s", err.code, err.message);
    free(t);
}

Test(idtoken_google, good_token)
{
    char *t = mint(claims(), "google-1", "google-1");
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_assert_eq(gcp_idtoken_verify_google(t, AUDIENCE, INVOKER, &res, &err), 0, "%s", err.message);
    cr_expect_str_eq(res.uid, "112233445566");
    cr_expect_str_eq(res.email, INVOKER);
    cr_expect(res.email_verified);
    cr_expect_str_eq(json_string_value(json_object_get(res.claims, "azp")), "112233445566");
    gcp_idtoken_result_free(&res);
    free(t);
}

Test(idtoken_google, short_issuer_form_is_accepted)
{
    json_t *c = claims();
    json_object_set_new(c, "iss", json_string("accounts.google.com"));
    char *t = mint(c, "google-1", "google-1");
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), 0, "%s", err.message);
    free(t);
}

Test(idtoken_google, wrong_audience)
{
    json_t *c = claims();
    json_object_set_new(c, "aud", json_string("https://elsewhere.example"));
    expect_rejected(c, GCP_IDTOKEN_ERR_AUDIENCE);
}

Test(idtoken_google, wrong_issuer)
{
    json_t *c = claims();
    json_object_set_new(c, "iss", json_string("https://evil.example"));
    expect_rejected(c, GCP_IDTOKEN_ERR_ISSUER);
}

Test(idtoken_google, expired)
{
    json_t *c = claims();
    json_object_set_new(c, "exp", json_integer((long)time(NULL) - 5));
    expect_rejected(c, GCP_IDTOKEN_ERR_EXPIRED);
}

Test(idtoken_google, issued_in_the_future)
{
    json_t *c = claims();
    json_object_set_new(c, "iat", json_integer((long)time(NULL) + 600));
    expect_rejected(c, GCP_IDTOKEN_ERR_EXPIRED);
}

Test(idtoken_google, other_service_account)
{
    json_t *c = claims();
    json_object_set_new(c, "email", json_string("intruder@other.iam.gserviceaccount.com"));
    expect_rejected(c, GCP_IDTOKEN_ERR_IDENTITY);
}

Test(idtoken_google, unverified_email)
{
    json_t *c = claims();
    json_object_set_new(c, "email_verified", json_false());
    expect_rejected(c, GCP_IDTOKEN_ERR_IDENTITY);
}

Test(idtoken_google, bad_signature)
{
    /* signed by an unpublished key while naming the published one */
    cr_assert_eq(fake_google_add_signing_key(g_fake, "attacker", 0), 0);
    char *t = mint(claims(), "google-1", "attacker");
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_SIGNATURE, "%s", err.message);
    free(t);
}

Test(idtoken_google, tampered_payload)
{
    char *t = mint(claims(), "google-1", "google-1");
    char *dot = strchr(t, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    ff_error err = {0};
    int rc = verify(t, &err);
    cr_expect(rc == GCP_IDTOKEN_ERR_SIGNATURE || rc == GCP_IDTOKEN_ERR_MALFORMED, "got %d", rc);
    free(t);
}

Test(idtoken_google, unknown_kid_refetches_once_then_fails)
{
    char *good = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    cr_assert_eq(verify(good, &err), 0, "%s", err.message);
    cr_assert_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 1);
    cr_assert_eq(fake_google_add_signing_key(g_fake, "never-published", 0), 0);
    char *t = mint(claims(), "never-published", "never-published");
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_KID, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 2, "one refetch");
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_KID);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 2, "no refetch storm");
    cr_expect_eq(verify(good, &err), 0, "%s", err.message);
    free(good);
    free(t);
}

Test(idtoken_google, rotated_key_is_found_by_refetch)
{
    char *old = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    cr_assert_eq(verify(old, &err), 0, "%s", err.message);
    cr_assert_eq(fake_google_add_signing_key(g_fake, "google-2", 1), 0);
    char *t = mint(claims(), "google-2", "google-2");
    cr_expect_eq(verify(t, &err), 0, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 2);
    free(old);
    free(t);
}

Test(idtoken_google, alg_none_is_rejected)
{
    setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099",
           1); /* emulator mode is for Firebase tokens only */
    json_t *c = claims();
    char *t = fake_google_mint(g_fake, "none", NULL, NULL, c);
    json_decref(c);
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_ALG, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, NULL), 0, "no key fetch for an unsigned token");
    free(t);
}

Test(idtoken_google, hs256_is_rejected)
{
    json_t *c = claims();
    char *t = fg_sign_jwt("HS256", "google-1", "shared-secret-shared-secret-1234", c);
    json_decref(c);
    cr_assert_not_null(t);
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_ALG, "%s", err.message);
    free(t);
}

Test(idtoken_google, malformed_tokens)
{
    const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "!!!.e30.", "e30.!!!.", "W10.e30.", NULL};
    ff_error err = {0};
    for (const char **b = bad; *b; b++)
        cr_expect_eq(verify(*b, &err), GCP_IDTOKEN_ERR_MALFORMED, "\"%s\" gave %d: %s", *b, err.code,
                     err.message);
    gcp_idtoken_result res;
    cr_expect_eq(gcp_idtoken_verify_google(NULL, AUDIENCE, NULL, &res, &err), GCP_IDTOKEN_ERR_ARG);
}

Test(idtoken_google, keys_cached_for_their_max_age)
{
    fake_google_set_keys_cache_control(g_fake, "public, max-age=1, must-revalidate, no-transform");
    char *t = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    cr_assert_eq(verify(t, &err), 0, "%s", err.message);
    cr_assert_eq(verify(t, &err), 0, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 1, "cached");
    usleep(1200 * 1000);
    cr_assert_eq(verify(t, &err), 0, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 2, "refetched after max-age");
    free(t);
}

Test(idtoken_google, no_cache_refetches_every_time)
{
    fake_google_set_keys_cache_control(g_fake, "no-cache");
    char *t = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(verify(t, &err), 0, "%s", err.message);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 3);
    free(t);
}

Test(idtoken_google, keys_unreachable)
{
    char url[96];
    snprintf(url, sizeof(url), "http://%s/certs", auth_closed_host());
    gcp_idtoken_set_key_urls(url, NULL);
    char *t = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), GCP_IDTOKEN_ERR_KEYS, "%s", err.message);
    cr_expect_not_null(strstr(err.message, url), "%s", err.message);
    free(t);
}

Test(idtoken_google, key_url_from_the_environment)
{
    gcp_idtoken_set_key_urls(NULL, NULL);
    char jwks[128];
    snprintf(jwks, sizeof(jwks), "%s%s", fake_google_url(g_fake), FAKE_GOOGLE_JWKS_PATH);
    setenv("GCP_IDTOKEN_GOOGLE_CERTS_URL", jwks, 1);
    char *t = mint(claims(), "google-1", "google-1");
    ff_error err = {0};
    cr_expect_eq(verify(t, &err), 0, "%s", err.message);
    free(t);
}

typedef struct verifier {
    const char *token;
    int rc;
} verifier;

static void *verify_main(void *arg)
{
    verifier *v = arg;
    ff_error err = {0};
    v->rc = verify(v->token, &err);
    return NULL;
}

Test(idtoken_google, cold_cache_fetches_once_for_many_threads)
{
    char *t = mint(claims(), "google-1", "google-1");
    verifier v[12];
    pthread_t th[12];
    for (int i = 0; i < 12; i++) {
        v[i] = (verifier){.token = t, .rc = -1};
        cr_assert_eq(pthread_create(&th[i], NULL, verify_main, &v[i]), 0);
    }
    for (int i = 0; i < 12; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(v[i].rc, 0);
    }
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_JWKS_PATH), 1);
    free(t);
}
