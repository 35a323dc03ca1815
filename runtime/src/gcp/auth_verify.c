/*
 * auth_verify.c - verification of callers' ID tokens: Google-signed OIDC tokens (what
 * Cloud Tasks attaches) and Firebase Auth ID tokens. Checks the algorithm first (only
 * RS256; "none" only for the Auth emulator in emulator mode), then the signature against
 * the published key named by kid, then issuer, times, subject, audience and identity.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "auth_idtoken.h"
#include "auth_internal.h"
#include "gcp/auth.h"

#define CLOCK_SKEW_S    60 /* tolerated for iat / auth_time slightly in the future */
#define MAX_UID_LEN     128
#define FIREBASE_ISSUER "https://securetoken.google.com/"

/* Claims every token may carry; anything else is a custom claim. */
static const char *const k_standard_claims[] = {
    "iss",
    "aud",
    "sub",
    "iat",
    "exp",
    "nbf",
    "jti",
    "auth_time",
    "user_id",
    "email",
    "email_verified",
    "phone_number",
    "name",
    "picture",
    "firebase",
    "azp",
    "at_hash",
    "nonce",
    "hd",
    "uid",
    NULL,
};

void gcp_idtoken_result_free(gcp_idtoken_result *res)
{
    if (res == NULL)
        return;
    free(res->uid);
    free(res->email);
    json_decref(res->claims);
    json_decref(res->custom_claims);
    memset(res, 0, sizeof(*res));
}

/* An integer (or integral number) claim; -1 when absent or not a number. A real beyond
 * the range of long long saturates (casting it would be undefined): a time that far in
 * the future stays in the future, one that far in the past stays negative. */
static long long num_claim(json_t *payload, const char *name)
{
    json_t *v = json_object_get(payload, name);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (!json_is_real(v))
        return -1;
    double d = json_real_value(v);
    if (d >= 9223372036854775808.0) /* 2^63 */
        return LLONG_MAX;
    if (d < -9223372036854775808.0)
        return -1;
    return (long long)d;
}

/* Nonzero when aud is the string want, or an array containing it. */
static int audience_matches(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return 1;
    }
    return 0;
}

/* Checks the signature: RS256 by the key named kid, or unsigned when allow_none. */
static int check_signature(const gcp_jwt *jwt, gcp_key_source src, int allow_none, ff_error *err)
{
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    if (alg && strcmp(alg, "none") == 0 && allow_none)
        return jwt->sig_len == 0
                   ? 0
                   : ff_error_set(err, GCP_IDTOKEN_ERR_ALG, "unsigned token carries a signature");
    if (alg == NULL || strcmp(alg, "RS256") != 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_ALG, "token algorithm is \"%s\", expected RS256",
                            alg ? alg : "");
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    if (kid == NULL || kid[0] == '\0')
        return ff_error_set(err, GCP_IDTOKEN_ERR_KID, "token has no key ID (kid)");
    EVP_PKEY *key = NULL;
    int rc = gcp_keys_find(src, kid, &key, err);
    if (rc != 0)
        return rc;
    int ok = gcp_jwt_verify_rs256(jwt, key);
    EVP_PKEY_free(key);
    return ok ? 0 : ff_error_set(err, GCP_IDTOKEN_ERR_SIGNATURE, "token signature does not verify");
}

/* exp in the future; iat (and auth_time when required) present and not in the future. */
static int check_times(json_t *payload, int need_auth_time, ff_error *err)
{
    long long now = ff_now_ms() / 1000;
    long long exp = num_claim(payload, "exp"), iat = num_claim(payload, "iat");
    if (exp < 0 || iat < 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_CLAIMS, "token lacks exp or iat");
    if (exp <= now)
        return ff_error_set(err, GCP_IDTOKEN_ERR_EXPIRED, "token expired %lld s ago", now - exp);
    if (iat > now + CLOCK_SKEW_S)
        return ff_error_set(err, GCP_IDTOKEN_ERR_EXPIRED, "token issued in the future (iat)");
    if (!need_auth_time)
        return 0;
    long long auth_time = num_claim(payload, "auth_time");
    if (auth_time < 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_CLAIMS, "token lacks auth_time");
    if (auth_time > now + CLOCK_SKEW_S)
        return ff_error_set(err, GCP_IDTOKEN_ERR_EXPIRED, "token auth_time is in the future");
    return 0;
}

static int check_subject(json_t *payload, ff_error *err)
{
    const char *sub = json_string_value(json_object_get(payload, "sub"));
    if (sub == NULL || sub[0] == '\0')
        return ff_error_set(err, GCP_IDTOKEN_ERR_CLAIMS, "token has an empty subject (sub)");
    if (strlen(sub) > MAX_UID_LEN)
        return ff_error_set(err, GCP_IDTOKEN_ERR_CLAIMS, "token subject is longer than %d characters",
                            MAX_UID_LEN);
    return 0;
}

/* Fills out from a verified payload. Returns 0 or GCP_IDTOKEN_ERR_CLAIMS (out of memory). */
static int fill_result(json_t *payload, gcp_idtoken_result *out, ff_error *err)
{
    const char *email = json_string_value(json_object_get(payload, "email"));
    out->uid = strdup(json_string_value(json_object_get(payload, "sub")));
    out->email = gcp_strdup_or_null(email);
    out->email_verified = json_is_true(json_object_get(payload, "email_verified"));
    out->claims = json_incref(payload);
    out->custom_claims = json_deep_copy(payload);
    if (out->uid == NULL || (email && out->email == NULL) || out->custom_claims == NULL) {
        gcp_idtoken_result_free(out);
        return ff_error_set(err, GCP_IDTOKEN_ERR_CLAIMS, "out of memory");
    }
    for (const char *const *c = k_standard_claims; *c; c++)
        json_object_del(out->custom_claims, *c);
    return 0;
}

/* Issuer, times and subject first: only a token that is valid in itself gets to the
 * "valid, but not for us" outcomes (audience, identity). */
static int verify_google_claims(json_t *p, const char *audience, const char *expected_email, ff_error *err)
{
    const char *iss = json_string_value(json_object_get(p, "iss"));
    if (iss == NULL ||
        (strcmp(iss, "https://accounts.google.com") != 0 && strcmp(iss, "accounts.google.com") != 0))
        return ff_error_set(err, GCP_IDTOKEN_ERR_ISSUER, "token issuer is not Google");
    int rc = check_times(p, 0, err);
    rc = rc ? rc : check_subject(p, err);
    if (rc != 0)
        return rc;
    if (!audience_matches(json_object_get(p, "aud"), audience))
        return ff_error_set(err, GCP_IDTOKEN_ERR_AUDIENCE, "token audience does not match");
    if (expected_email == NULL)
        return 0;
    const char *email = json_string_value(json_object_get(p, "email"));
    if (email == NULL || strcmp(email, expected_email) != 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_IDENTITY,
                            "token e-mail is not the expected service account");
    if (!json_is_true(json_object_get(p, "email_verified")))
        return ff_error_set(err, GCP_IDTOKEN_ERR_IDENTITY, "token e-mail is not verified");
    return 0;
}

/* Nonzero when Cloud Run replaced the token's signature after verifying it itself. */
static int signature_removed(const char *token)
{
    const char *dot = strrchr(token, '.');
    return dot != NULL && strcmp(dot + 1, GCP_IDTOKEN_SIGNATURE_REMOVED) == 0;
}

/* Only the header of a token whose signature the platform removed: what it said it was. */
static int check_removed_signature(const gcp_jwt *jwt, ff_error *err)
{
    if (gcp_env("K_SERVICE") == NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_SIGNATURE,
                            "token signature removed, and not on Cloud Run (K_SERVICE unset)");
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    const char *kid = json_string_value(json_object_get(jwt->header, "kid"));
    if (alg == NULL || strcmp(alg, "RS256") != 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_ALG, "token algorithm is not RS256");
    if (kid == NULL || kid[0] == '\0')
        return ff_error_set(err, GCP_IDTOKEN_ERR_KID, "token has no key ID (kid)");
    return 0;
}

static int verify_google(const char *token, const char *audience, const char *expected_email, int invoker,
                         gcp_idtoken_result *out, ff_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (token == NULL || out == NULL || audience == NULL || audience[0] == '\0')
        return ff_error_set(err, GCP_IDTOKEN_ERR_ARG, "gcp_idtoken_verify_google: missing token or audience");
    gcp_jwt jwt;
    int rc = gcp_jwt_parse(token, &jwt, err);
    if (rc == 0 && invoker && signature_removed(token))
        rc = check_removed_signature(&jwt, err);
    else
        rc = rc ? rc : check_signature(&jwt, GCP_KEYS_GOOGLE, 0, err);
    rc = rc ? rc : verify_google_claims(jwt.payload, audience, expected_email, err);
    rc = rc ? rc : fill_result(jwt.payload, out, err);
    gcp_jwt_free(&jwt);
    return rc;
}

int gcp_idtoken_verify_google(const char *token, const char *audience, const char *expected_email,
                              gcp_idtoken_result *out, ff_error *err)
{
    return verify_google(token, audience, expected_email, 0, out, err);
}

int gcp_idtoken_verify_invoker(const char *token, const char *audience, const char *expected_email,
                               gcp_idtoken_result *out, ff_error *err)
{
    return verify_google(token, audience, expected_email, 1, out, err);
}

/* Unsigned Auth-emulator tokens: only with both emulators configured and never on Cloud Run. */
static int unsigned_tokens_trusted(void)
{
    return gcp_env("FIREBASE_AUTH_EMULATOR_HOST") != NULL && gcp_env("FIRESTORE_EMULATOR_HOST") != NULL &&
           gcp_env("K_SERVICE") == NULL;
}

static int verify_firebase_claims(json_t *p, const char *project, ff_error *err)
{
    const char *iss = json_string_value(json_object_get(p, "iss"));
    size_t plen = strlen(FIREBASE_ISSUER);
    if (iss == NULL || strncmp(iss, FIREBASE_ISSUER, plen) != 0 || strcmp(iss + plen, project) != 0)
        return ff_error_set(err, GCP_IDTOKEN_ERR_ISSUER, "token issuer is not securetoken for project %s",
                            project);
    if (!audience_matches(json_object_get(p, "aud"), project))
        return ff_error_set(err, GCP_IDTOKEN_ERR_AUDIENCE, "token audience is not project %s", project);
    int rc = check_times(p, 1, err);
    return rc ? rc : check_subject(p, err);
}

int gcp_idtoken_verify_firebase(const char *token, const char *project_id, gcp_idtoken_result *out,
                                ff_error *err)
{
    if (out)
        memset(out, 0, sizeof(*out));
    if (token == NULL || out == NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_ARG, "gcp_idtoken_verify_firebase: missing token");
    const char *project = project_id ? project_id : gcp_project_id(err);
    if (project == NULL || project[0] == '\0')
        return ff_error_set(err, GCP_IDTOKEN_ERR_ARG, "Firebase ID token: no project ID");
    int emulator = unsigned_tokens_trusted();
    gcp_jwt jwt;
    int rc = gcp_jwt_parse(token, &jwt, err);
    rc = rc ? rc : check_signature(&jwt, GCP_KEYS_FIREBASE, emulator, err);
    rc = rc ? rc : verify_firebase_claims(jwt.payload, project, err);
    rc = rc ? rc : fill_result(jwt.payload, out, err);
    gcp_jwt_free(&jwt);
    return rc;
}

void gcp_idtoken_set_key_urls(const char *google_jwks_url, const char *firebase_x509_url)
{
    gcp_keys_set_url(GCP_KEYS_GOOGLE, google_jwks_url);
    gcp_keys_set_url(GCP_KEYS_FIREBASE, firebase_x509_url);
}

int gcp_idtoken_config_check(ff_error *err)
{
    static const char *const names[] = {"GCP_IDTOKEN_GOOGLE_CERTS_URL", "GCP_IDTOKEN_FIREBASE_CERTS_URL"};
    for (int src = GCP_KEYS_GOOGLE; src <= GCP_KEYS_FIREBASE; src++) {
        char url[1024];
        if (!gcp_keys_url_copy((gcp_key_source)src, url, sizeof(url)))
            continue;
        if (!gcp_keys_url_allowed(url))
            return ff_error_set(err, GCP_IDTOKEN_ERR_ARG,
                                "%s must be https or a loopback address, not %.200s", names[src], url);
        ff_log(NULL, FF_WARNING, json_pack("{s:s, s:s}", "setting", names[src], "url", url),
               "ID-token keys are fetched from an overridden URL: tokens signed by its keys are trusted");
    }
    if (unsigned_tokens_trusted())
        ff_log(NULL, FF_WARNING, NULL,
               "emulator mode: unsigned Firebase Auth emulator tokens (alg none) are accepted");
    else if (gcp_env("FIREBASE_AUTH_EMULATOR_HOST") != NULL)
        ff_log(NULL, FF_WARNING, NULL,
               "FIREBASE_AUTH_EMULATOR_HOST is ignored: unsigned tokens need FIRESTORE_EMULATOR_HOST set and "
               "K_SERVICE unset");
    return 0;
}

void gcp_idtoken_set_fetch_policy(long timeout_ms, int attempts, long failure_ttl_ms)
{
    gcp_keys_set_fetch_policy(timeout_ms, attempts, failure_ttl_ms);
}

void gcp_idtoken_reset(void)
{
    gcp_keys_reset();
}
