/*
 * fuzz_token.c - libFuzzer harness for ID-token parsing and verification, offline.
 *
 * Input: one mode byte, then the rest:
 *   '0' (mode 0) gcp_idtoken_verify_google on the rest as a token (audience
 *       https://fuzz.example/aud, with and without an expected e-mail), then
 *       gcp_idtoken_verify_invoker as on Cloud Run (K_SERVICE set), where a token whose
 *       signature is SIGNATURE_REMOVED_BY_GOOGLE is judged on its claims;
 *   '1' gcp_idtoken_verify_firebase for project demo-fuzz;
 *   '2' the same with FIREBASE_AUTH_EMULATOR_HOST set, so unsigned (alg "none") tokens
 *       reach the claim checks, and the project taken from GOOGLE_CLOUD_PROJECT;
 *   '3' the internals on the rest: a key document parsed as Google's JWKS and as the
 *       Firebase x509 map (each key checked against a valid token), base64url decoding,
 *       gcp_jwt_parse and Cache-Control max-age parsing;
 *   '4' the rest as "header JSON\npayload JSON[\nsignature bytes]": the harness
 *       base64url-encodes the parts into a token and runs modes 0 and 2 on it, so the
 *       fuzzer mutates the claims themselves rather than their base64 text.
 * (Other first bytes map onto these modes by (byte - '0') % 5.)
 * The key caches hold the public key of the seeds' throwaway signer (token_keys.h) and
 * are pinned so an unknown kid gives up instead of fetching; the key URLs point at
 * 127.0.0.1:1 as a safety net. Properties (a violation traps): a verified token has a
 * uid of 1..128 characters and custom claims without standard claims, a refusal sets
 * err->code to the return code and leaves the result empty, and a parsed JWT's parts
 * are JSON objects with the signing input as it appeared in the token.
 */
#include <stdlib.h>
#include <string.h>

#include "../runtime/src/gcp/auth_internal.h"
#include "gcp/auth.h"
#include "harness_util.h"
#include "keys_access.h"
#include "token_keys.h"

#define AUDIENCE "https://fuzz.example/aud"

static gcp_jwt g_jwt; /* k_fuzz_token, parsed */
static char g_emulator_on[] = "FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:1";
static char g_emulator_off[] = "FIREBASE_AUTH_EMULATOR_HOST=";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_quiet_logs();
    setenv("GOOGLE_CLOUD_PROJECT", "demo-fuzz", 1);
    /* emulator mode (mode '2') also needs the Firestore emulator and no K_SERVICE */
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1);
    unsetenv("K_SERVICE");
    gcp_idtoken_set_key_urls("http://127.0.0.1:1/jwks", "http://127.0.0.1:1/x509");
    ff_error err = {0};
    if (fz_keys_install(GCP_KEYS_GOOGLE, k_fuzz_jwks) != 0 ||
        fz_keys_install(GCP_KEYS_FIREBASE, k_fuzz_x509) != 0 ||
        gcp_jwt_parse(k_fuzz_token, &g_jwt, &err) != 0)
        fz_fail(__FILE__, __LINE__, "harness keys or token do not parse");
    return 0;
}

static void check_result(int rc, const gcp_idtoken_result *out, const ff_error *err)
{
    static const char *const standard[] = {"iss", "aud", "sub", "iat", "exp", "auth_time", "email", NULL};
    if (rc != 0) {
        FZ_ASSERT(rc >= GCP_IDTOKEN_ERR_ARG && rc <= GCP_IDTOKEN_ERR_IDENTITY, "unknown error code");
        FZ_ASSERT(err->code == rc, "err->code differs from the return code");
        FZ_ASSERT(out->uid == NULL && out->email == NULL && out->claims == NULL && out->custom_claims == NULL,
                  "refusal left a result");
        return;
    }
    FZ_ASSERT(out->uid != NULL && out->uid[0] != '\0' && strlen(out->uid) <= 128, "bad uid");
    FZ_ASSERT(json_is_object(out->claims) && json_is_object(out->custom_claims), "claims not objects");
    for (const char *const *c = standard; *c; c++)
        FZ_ASSERT(json_object_get(out->custom_claims, *c) == NULL, "standard claim among custom claims");
    FZ_ASSERT(out->email == NULL ||
                  strcmp(out->email, json_string_value(json_object_get(out->claims, "email"))) == 0,
              "email differs from the claim");
}

static void verify(int mode, const char *token)
{
    gcp_idtoken_result out;
    ff_error err = {0};
    int rc;
    fz_keys_pin();
    if (mode == 0) {
        rc = gcp_idtoken_verify_google(token, AUDIENCE, NULL, &out, &err);
        check_result(rc, &out, &err);
        gcp_idtoken_result_free(&out);
        err = (ff_error){0};
        rc =
            gcp_idtoken_verify_google(token, AUDIENCE, "tasks@demo-fuzz.iam.gserviceaccount.com", &out, &err);
        check_result(rc, &out, &err);
        gcp_idtoken_result_free(&out);
        err = (ff_error){0};
        setenv("K_SERVICE", "fuzz", 1);
        rc = gcp_idtoken_verify_invoker(token, AUDIENCE, "tasks@demo-fuzz.iam.gserviceaccount.com", &out,
                                        &err);
        unsetenv("K_SERVICE"); /* emulator mode (mode 2) needs it unset */
    } else {
        putenv(mode == 2 ? g_emulator_on : g_emulator_off);
        rc = gcp_idtoken_verify_firebase(token, mode == 2 ? NULL : "demo-fuzz", &out, &err);
    }
    check_result(rc, &out, &err);
    gcp_idtoken_result_free(&out);
}

static void check_jwt(const char *token)
{
    gcp_jwt jwt;
    ff_error err = {0};
    if (gcp_jwt_parse(token, &jwt, &err) == 0) {
        FZ_ASSERT(json_is_object(jwt.header) && json_is_object(jwt.payload), "JWT parts are not objects");
        FZ_ASSERT(jwt.signing_len < strlen(token) && token[jwt.signing_len] == '.' &&
                      memcmp(jwt.signing_input, token, jwt.signing_len) == 0,
                  "signing input is not the token's prefix");
        FZ_ASSERT(jwt.sig != NULL, "no signature buffer");
    } else {
        FZ_ASSERT(err.code == GCP_IDTOKEN_ERR_MALFORMED, "parse failure is not MALFORMED");
    }
    gcp_jwt_free(&jwt);
}

static void internals(const char *rest, size_t len)
{
    int verified = 0;
    FZ_ASSERT(fz_keys_parse(GCP_KEYS_GOOGLE, rest, len, &g_jwt, &verified) != -2, "listed kid not found");
    FZ_ASSERT(fz_keys_parse(GCP_KEYS_FIREBASE, rest, len, &g_jwt, &verified) != -2, "listed kid not found");
    size_t n = 0;
    unsigned char *raw = gcp_b64url_decode(rest, len, &n);
    if (raw != NULL) {
        FZ_ASSERT(n <= len / 4 * 3 + 2 && raw[n] == '\0', "base64url output too long or not terminated");
        char *std = gcp_b64_encode(raw, n);
        FZ_ASSERT(std != NULL && strlen(std) == (n + 2) / 3 * 4, "base64 encoding has the wrong length");
        free(std);
    }
    free(raw);
    char *s = strndup(rest, len);
    if (s != NULL) {
        FZ_ASSERT(gcp_cache_control_max_age(s) >= -1, "max-age below -1");
        check_jwt(s);
    }
    free(s);
}

/* base64url without padding of data[0..len), appended at out (which has room). */
static char *b64url_append(char *out, const char *data, size_t len)
{
    char *std = gcp_b64_encode((const unsigned char *)data, len);
    for (const char *p = std; p && *p && *p != '='; p++)
        *out++ = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    free(std);
    *out = '\0';
    return out;
}

/* Mode 4: "header\npayload[\nsignature]" encoded into a compact JWT. */
static void structured(const char *rest, size_t len)
{
    const char *nl1 = memchr(rest, '\n', len);
    if (nl1 == NULL)
        return;
    const char *p = nl1 + 1, *end = rest + len;
    const char *nl2 = memchr(p, '\n', (size_t)(end - p));
    const char *pend = nl2 ? nl2 : end;
    char *token = malloc(2 * len + 8), *o = token;
    if (token == NULL)
        return;
    o = b64url_append(o, rest, (size_t)(nl1 - rest));
    *o++ = '.';
    o = b64url_append(o, p, (size_t)(pend - p));
    *o++ = '.';
    if (nl2 != NULL)
        o = b64url_append(o, nl2 + 1, (size_t)(end - nl2 - 1));
    *o = '\0';
    check_jwt(token);
    verify(0, token);
    verify(2, token);
    free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int mode = (uint8_t)(data[0] - '0') % 5;
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    if (mode == 3) {
        internals(rest, len);
        return 0;
    }
    if (mode == 4) {
        structured(rest, len);
        return 0;
    }
    char *token = strndup(rest, len);
    if (token == NULL)
        return 0;
    check_jwt(token);
    verify(mode, token);
    free(token);
    return 0;
}
