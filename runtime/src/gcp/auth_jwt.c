/*
 * auth_jwt.c - splits a compact JWT (header.payload.signature), decodes its base64url
 * JSON parts, and checks an RS256 signature with OpenSSL. No claim is judged here.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_idtoken.h"
#include "auth_internal.h"
#include "gcp/auth.h"

#define JWT_MAX_LEN (16 * 1024)

/* Decodes one base64url part into a JSON object; NULL when it is not one. */
static json_t *decode_json_part(const char *part, size_t len)
{
    size_t n = 0;
    unsigned char *raw = gcp_b64url_decode(part, len, &n);
    if (raw == NULL)
        return NULL;
    json_t *obj = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int gcp_jwt_parse(const char *token, gcp_jwt *out, ff_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t len = token ? strnlen(token, JWT_MAX_LEN + 1) : 0;
    if (len == 0 || len > JWT_MAX_LEN)
        return ff_error_set(err, GCP_IDTOKEN_ERR_MALFORMED, "token is empty or longer than %d bytes",
                            JWT_MAX_LEN);
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_MALFORMED, "token does not have three parts");
    out->header = decode_json_part(token, (size_t)(dot1 - token));
    out->payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (out->header == NULL || out->payload == NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_MALFORMED, "token %s is not base64url JSON",
                            out->header ? "payload" : "header");
    size_t sig_b64_len = len - (size_t)(dot2 + 1 - token);
    out->sig = gcp_b64url_decode(dot2 + 1, sig_b64_len, &out->sig_len);
    out->signing_len = (size_t)(dot2 - token);
    out->signing_input = strndup(token, out->signing_len);
    if (out->sig == NULL || out->signing_input == NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_MALFORMED, "token signature is not base64url");
    return 0;
}

void gcp_jwt_free(gcp_jwt *jwt)
{
    if (jwt == NULL)
        return;
    json_decref(jwt->header);
    json_decref(jwt->payload);
    free(jwt->signing_input);
    free(jwt->sig);
    memset(jwt, 0, sizeof(*jwt));
}

int gcp_jwt_verify_rs256(const gcp_jwt *jwt, EVP_PKEY *key)
{
    if (key == NULL || jwt->sig_len == 0 || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
        return 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        return 0;
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(ctx, jwt->sig, jwt->sig_len, (const unsigned char *)jwt->signing_input,
                              jwt->signing_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}
