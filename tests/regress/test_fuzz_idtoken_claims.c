/*
 * test_fuzz_idtoken_claims.c - regression tests for the fuzz_token finding
 * "auth_verify.c num_claim: a real-valued exp/iat/auth_time beyond the range of long long
 * is cast to long long (undefined behaviour; on x86 it becomes LLONG_MIN, so a token
 * issued in the far future is refused as 'lacks exp or iat' instead of 'issued in the
 * future')". The Auth-emulator path (alg "none") reaches the claim checks with any
 * payload. The crash input is fuzz/corpus/fuzz_token/crash-613f9443..., a mode-4 input:
 * '4', the header JSON, '\n', the payload JSON; it is encoded into a token here exactly
 * as the harness does.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gcp/auth.h"

/* fuzz/corpus/fuzz_token/crash-613f944333a8ccc9e5330e3879b9772decb0ccae */
static const unsigned char k_crash[] = {
    0x34, 0x7b, 0x22, 0x61, 0x6c, 0x67, 0x22, 0x3a, 0x22, 0x6e, 0x6f, 0x6e, 0x65, 0x22, 0x2c, 0x22, 0x74,
    0x79, 0x70, 0x22, 0x3a, 0x22, 0x4a, 0x57, 0x54, 0x22, 0x7d, 0x0a, 0x7b, 0x22, 0x69, 0x73, 0x73, 0x22,
    0x3a, 0x22, 0x68, 0x74, 0x74, 0x70, 0x73, 0x3a, 0x2f, 0x2f, 0x73, 0x65, 0x63, 0x75, 0x72, 0x65, 0x74,
    0x6f, 0x6b, 0x65, 0x6e, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x64,
    0x65, 0x6d, 0x6f, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x22, 0x2c, 0x22, 0x61, 0x75, 0x64, 0x22, 0x3a, 0x22,
    0x64, 0x65, 0x6d, 0x6f, 0x2d, 0x66, 0x75, 0x7a, 0x7a, 0x22, 0x2c, 0x22, 0x73, 0x75, 0x62, 0x22, 0x3a,
    0x22, 0x73, 0x74, 0x2d, 0x31, 0x22, 0x2c, 0x22, 0x61, 0x75, 0x74, 0x68, 0x31, 0x74, 0x69, 0x6d, 0x65,
    0x22, 0x3a, 0x31, 0x37, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x2c, 0x22, 0x69, 0x61, 0x74,
    0x22, 0x3a, 0x34, 0x31, 0x30, 0x32, 0x34, 0x34, 0x34, 0x38, 0x30, 0x30, 0x65, 0x31, 0x39, 0x2c, 0x22,
    0x65, 0x78, 0x70, 0x22, 0x3a, 0x34, 0x31, 0x30, 0x32, 0x34, 0x2e, 0x35, 0x2c, 0x22, 0x66, 0x69, 0x72,
    0x65, 0x62, 0x61, 0x73, 0x65, 0x22, 0x3a, 0x7b, 0x22, 0x73, 0x69, 0x67, 0x6e, 0x5f, 0x69, 0x6e, 0x5f,
    0x65, 0x72, 0x22, 0x3a, 0x22, 0x61, 0x6e, 0x6f, 0x6e, 0x79, 0x6d, 0x6f, 0x75, 0x73, 0x22, 0x7d, 0x7d};

/* Appends the unpadded base64url of data[0..len) at out; returns the new end. */
static char *b64url_append(char *out, const unsigned char *data, size_t len)
{
    unsigned char *std = malloc(4 * ((len + 2) / 3) + 1);
    cr_assert_not_null(std);
    EVP_EncodeBlock(std, data, (int)len);
    for (const unsigned char *p = std; *p && *p != '='; p++)
        *out++ = *p == '+' ? '-' : *p == '/' ? '_' : (char)*p;
    free(std);
    *out = '\0';
    return out;
}

/* "mode header\npayload" -> "b64(header).b64(payload)." (the harness's mode 4). */
static char *token_from_input(const unsigned char *in, size_t len)
{
    const unsigned char *rest = in + 1, *end = in + len;
    const unsigned char *nl = memchr(rest, '\n', (size_t)(end - rest));
    cr_assert_not_null(nl);
    char *token = malloc(2 * len + 8), *o = token;
    cr_assert_not_null(token);
    o = b64url_append(o, rest, (size_t)(nl - rest));
    *o++ = '.';
    o = b64url_append(o, nl + 1, (size_t)(end - nl - 1));
    *o++ = '.';
    *o = '\0';
    return token;
}

static int verify_emulated(const char *header, const char *payload, gcp_idtoken_result *res, ff_error *err)
{
    size_t hl = strlen(header), pl = strlen(payload);
    unsigned char *in = malloc(hl + pl + 2);
    cr_assert_not_null(in);
    in[0] = '4';
    memcpy(in + 1, header, hl);
    in[1 + hl] = '\n';
    memcpy(in + 2 + hl, payload, pl);
    char *token = token_from_input(in, hl + pl + 2);
    int rc = gcp_idtoken_verify_firebase(token, "demo-fuzz", res, err);
    free(token);
    free(in);
    return rc;
}

static void emulator_on(void)
{
    setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099", 1);
    setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:1", 1); /* emulator mode needs both */
}

TestSuite(regress_idtoken_claims, .init = emulator_on);

/* The crash input: iat 4.1e28 (a real), exp 41024.5. Defined behaviour: iat saturates,
 * so the token is refused because it expired, not because iat "is missing". */
Test(regress_idtoken_claims, crash_input_real_iat_beyond_long_long)
{
    char *token = token_from_input(k_crash, sizeof(k_crash));
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = gcp_idtoken_verify_firebase(token, "demo-fuzz", &res, &err);
    free(token);
    cr_expect_eq(rc, GCP_IDTOKEN_ERR_EXPIRED, "rc %d: %s", rc, err.message);
    cr_expect_null(res.uid);
}

/* A real iat far in the future is "issued in the future", whatever its magnitude. */
Test(regress_idtoken_claims, huge_real_iat_is_in_the_future)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = verify_emulated("{\"alg\":\"none\"}",
                             "{\"iss\":\"https://securetoken.google.com/demo-fuzz\",\"aud\":\"demo-fuzz\","
                             "\"sub\":\"u\",\"auth_time\":1,\"iat\":1e300,\"exp\":4102444800}",
                             &res, &err);
    cr_expect_eq(rc, GCP_IDTOKEN_ERR_EXPIRED, "rc %d: %s", rc, err.message);
    cr_expect(strstr(err.message, "future") != NULL, "%s", err.message);
}

/* A real auth_time far in the future is refused the same way. */
Test(regress_idtoken_claims, huge_real_auth_time_is_in_the_future)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = verify_emulated("{\"alg\":\"none\"}",
                             "{\"iss\":\"https://securetoken.google.com/demo-fuzz\",\"aud\":\"demo-fuzz\","
                             "\"sub\":\"u\",\"auth_time\":9.3e18,\"iat\":1,\"exp\":4102444800}",
                             &res, &err);
    cr_expect_eq(rc, GCP_IDTOKEN_ERR_EXPIRED, "rc %d: %s", rc, err.message);
}

/* Large negative reals are still "missing or not a number", and in-range reals still work. */
Test(regress_idtoken_claims, in_range_and_negative_reals_unchanged)
{
    gcp_idtoken_result res;
    ff_error err = {0};
    int rc = verify_emulated("{\"alg\":\"none\"}",
                             "{\"iss\":\"https://securetoken.google.com/demo-fuzz\",\"aud\":\"demo-fuzz\","
                             "\"sub\":\"u\",\"auth_time\":1,\"iat\":-1e300,\"exp\":4102444800}",
                             &res, &err);
    cr_expect_eq(rc, GCP_IDTOKEN_ERR_CLAIMS, "rc %d: %s", rc, err.message);
    err = (ff_error){0};
    rc = verify_emulated("{\"alg\":\"none\"}",
                         "{\"iss\":\"https://securetoken.google.com/demo-fuzz\",\"aud\":\"demo-fuzz\","
                         "\"sub\":\"u\",\"auth_time\":1.5,\"iat\":1700000000.25,\"exp\":4102444800.0}",
                         &res, &err);
    cr_expect_eq(rc, 0, "rc %d: %s", rc, err.message);
    cr_expect_str_eq(res.uid, "u");
    gcp_idtoken_result_free(&res);
}
