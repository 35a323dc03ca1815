/*
 * test_idtoken_firebase.c - verification of Firebase Auth ID tokens against the fake's
 * securetoken x509 certificates: uid, e-mail and custom claims; issuer, audience,
 * time and subject checks; unsigned Auth-emulator tokens only in emulator mode.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth_helpers.h"
#include "gcp/auth.h"

#define PROJECT "demo-test"

static void setup(void)
{
    auth_setup();
    cr_assert_eq(fake_google_add_signing_key(g_fake, "securetoken-1", 1), 0);
    char x509[160];
    snprintf(x509, sizeof(x509), "%s%s", fake_google_url(g_fake), FAKE_GOOGLE_X509_PATH);
    gcp_idtoken_set_key_urls(NULL, x509);
}

TestSuite(idtoken_firebase, .init = setup, .fini = auth_teardown, .timeout = 60);

/* Claims of a Firebase ID token for an admin user; a new reference. */
static json_t *claims(void)
{
    long now = (long)time(NULL);
    return json_pack("{s:s, s:s, s:i, s:s, s:s, s:i, s:i, s:s, s:b, s:b, s:{s:s, s:{s:[s]}}}", "iss",
                     "https://securetoken.google.com/" PROJECT, "aud", PROJECT, "auth_time", now - 100,
                     "user_id", "uid-42", "sub", "uid-42", "iat", now - 10, "exp", now + 3600, "email",
                     "ada@example.com", "email_verified", 1, "admin", 1, "firebase", "sign_in_provider",
                     "password", "identities", "email", "ada@example.com");
}

/* fake_google_mint, taking ownership of c. */
static char *mint_steal(const char *alg, const char *kid, const char *sign_kid, json_t *c)
{
    char *t = fake_google_mint(g_fake, alg, kid, sign_kid, c);
    json_decref(c);
    return t;
}

static int verify_claims(json_t *c, const char *alg, gcp_idtoken_result *res, ff_error *err)
{
    char *t = fake_google_mint(g_fake, alg, strcmp(alg, "none") ? "securetoken-1" : NULL, "securetoken-1", c);
    json_decref(c);
    cr_assert_not_null(t);
    ff_error_clear(err);
    int rc = gcp_idtoken_verify_firebase(t, PROJECT, res, err);
    free(t);
    return rc;
}

static void expect_rejected(json_t *c, int code)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(verify_claims(c, "RS256", &res, &err), code, "got %d: %s", err.code, err.message);
    cr_expect_null(res.uid);
    gcp_idtoken_result_free(&res);
}

Test(idtoken_firebase, good_token_with_custom_claims)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_assert_eq(verify_claims(claims(), "RS256", &res, &err), 0, "%s", err.message);
    cr_expect_str_eq(res.uid, "uid-42");
    cr_expect_str_eq(res.email, "ada@example.com");
    cr_expect(res.email_verified);
    cr_expect(json_is_true(json_object_get(res.custom_claims, "admin")));
    cr_expect_eq(json_object_size(res.custom_claims), 1, "only custom claims");
    cr_expect_not_null(json_object_get(res.claims, "firebase"));
    gcp_idtoken_result_free(&res);
    cr_expect_eq(fake_google_count(g_fake, FAKE_GOOGLE_X509_PATH), 1);
}

Test(idtoken_firebase, project_from_the_environment)
{
    setenv("GOOGLE_CLOUD_PROJECT", PROJECT, 1);
    char *t = mint_steal("RS256", "securetoken-1", "securetoken-1", claims());
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(gcp_idtoken_verify_firebase(t, NULL, &res, &err), 0, "%s", err.message);
    gcp_idtoken_result_free(&res);
    free(t);
}

Test(idtoken_firebase, wrong_project_audience)
{
    json_t *c = claims();
    json_object_set_new(c, "aud", json_string("other-project"));
    expect_rejected(c, GCP_IDTOKEN_ERR_AUDIENCE);
}

Test(idtoken_firebase, wrong_issuer)
{
    json_t *c = claims();
    json_object_set_new(c, "iss", json_string("https://securetoken.google.com/other-project"));
    expect_rejected(c, GCP_IDTOKEN_ERR_ISSUER);
}

Test(idtoken_firebase, issuer_prefix_trick)
{
    json_t *c = claims();
    json_object_set_new(c, "iss", json_string("https://securetoken.google.com/" PROJECT "-evil"));
    expect_rejected(c, GCP_IDTOKEN_ERR_ISSUER);
}

Test(idtoken_firebase, expired)
{
    json_t *c = claims();
    json_object_set_new(c, "exp", json_integer((long)time(NULL) - 1));
    expect_rejected(c, GCP_IDTOKEN_ERR_EXPIRED);
}

Test(idtoken_firebase, auth_time_in_the_future)
{
    json_t *c = claims();
    json_object_set_new(c, "auth_time", json_integer((long)time(NULL) + 3600));
    expect_rejected(c, GCP_IDTOKEN_ERR_EXPIRED);
}

Test(idtoken_firebase, missing_auth_time)
{
    json_t *c = claims();
    json_object_del(c, "auth_time");
    expect_rejected(c, GCP_IDTOKEN_ERR_CLAIMS);
}

Test(idtoken_firebase, empty_subject)
{
    json_t *c = claims();
    json_object_set_new(c, "sub", json_string(""));
    expect_rejected(c, GCP_IDTOKEN_ERR_CLAIMS);
}

Test(idtoken_firebase, overlong_subject)
{
    char uid[200];
    memset(uid, 'u', 129);
    uid[129] = '\0';
    json_t *c = claims();
    json_object_set_new(c, "sub", json_string(uid));
    expect_rejected(c, GCP_IDTOKEN_ERR_CLAIMS);
}

Test(idtoken_firebase, unpublished_key_is_unknown)
{
    cr_assert_eq(fake_google_add_signing_key(g_fake, "unpublished", 0), 0);
    char *t = mint_steal("RS256", "unpublished", "unpublished", claims());
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(gcp_idtoken_verify_firebase(t, PROJECT, &res, &err), GCP_IDTOKEN_ERR_KID, "%s", err.message);
    gcp_idtoken_result_free(&res);
    free(t);
}

Test(idtoken_firebase, unsigned_token_rejected_outside_emulator_mode)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(verify_claims(claims(), "none", &res, &err), GCP_IDTOKEN_ERR_ALG, "%s", err.message);
    gcp_idtoken_result_free(&res);
}

Test(idtoken_firebase, unsigned_token_accepted_in_emulator_mode)
{
    setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099", 1);
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1); /* emulator mode needs both */
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_assert_eq(verify_claims(claims(), "none", &res, &err), 0, "%s", err.message);
    cr_expect_str_eq(res.uid, "uid-42");
    cr_expect(json_is_true(json_object_get(res.custom_claims, "admin")));
    gcp_idtoken_result_free(&res);
    cr_expect_eq(fake_google_count(g_fake, NULL), 0, "no key fetch for an emulator token");
}

Test(idtoken_firebase, emulator_mode_still_checks_claims)
{
    setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099", 1);
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1); /* emulator mode needs both */
    json_t *c = claims();
    json_object_set_new(c, "aud", json_string("other-project"));
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(verify_claims(c, "none", &res, &err), GCP_IDTOKEN_ERR_AUDIENCE, "%s", err.message);
    gcp_idtoken_result_free(&res);
}

Test(idtoken_firebase, emulator_token_with_a_signature_part_is_rejected)
{
    setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099", 1);
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1); /* emulator mode needs both */
    char *t = mint_steal("none", NULL, NULL, claims());
    cr_assert_not_null(t);
    size_t n = strlen(t);
    char *forged = malloc(n + 8);
    snprintf(forged, n + 8, "%sAAAA", t);
    gcp_idtoken_result res;
    ff_error err = {0};
    cr_expect_eq(gcp_idtoken_verify_firebase(forged, PROJECT, &res, &err), GCP_IDTOKEN_ERR_ALG, "%s",
                 err.message);
    gcp_idtoken_result_free(&res);
    free(forged);
    free(t);
}
