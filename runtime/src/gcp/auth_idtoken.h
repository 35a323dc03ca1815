/*
 * auth_idtoken.h - internals of ID-token verification shared by auth_jwt.c,
 * auth_keys.c and auth_verify.c: a parsed compact JWT, RS256 signature checks, and
 * the caches of Google's and Firebase's public keys.
 */
#ifndef GCP_AUTH_IDTOKEN_H
#define GCP_AUTH_IDTOKEN_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ff.h"

/* A compact JWT split and decoded; every member is owned by the struct. */
typedef struct gcp_jwt {
    json_t *header;
    json_t *payload;
    char *signing_input; /* "<header>.<payload>" as it appeared in the token */
    size_t signing_len;
    unsigned char *sig;
    size_t sig_len;
} gcp_jwt;

/* Splits and decodes token. Returns 0, or GCP_IDTOKEN_ERR_MALFORMED with err set;
 * free with gcp_jwt_free in both cases. */
int gcp_jwt_parse(const char *token, gcp_jwt *out, ff_error *err);
void gcp_jwt_free(gcp_jwt *jwt);
/* Nonzero when the signature is a valid RSASSA-PKCS1-v1_5 SHA-256 signature by key. */
int gcp_jwt_verify_rs256(const gcp_jwt *jwt, EVP_PKEY *key);

/* Which published key set a token is checked against. */
typedef enum gcp_key_source {
    GCP_KEYS_GOOGLE = 0,   /* JWKS: {"keys": [{"kid", "kty": "RSA", "n", "e"}]} */
    GCP_KEYS_FIREBASE = 1, /* x509: {"<kid>": "-----BEGIN CERTIFICATE-----..."} */
} gcp_key_source;

/*
 * The public key with this kid: from the cache while its max-age lasts, else fetched.
 * An unknown kid triggers one refetch (at most one per 30 s once a refetch did not
 * help). Returns 0 and *out (a new reference: caller calls EVP_PKEY_free),
 * GCP_IDTOKEN_ERR_KID, or GCP_IDTOKEN_ERR_KEYS when the keys cannot be fetched.
 */
int gcp_keys_find(gcp_key_source src, const char *kid, EVP_PKEY **out, ff_error *err);
void gcp_keys_set_url(gcp_key_source src, const char *url);
void gcp_keys_reset(void);
void gcp_keys_set_fetch_policy(long timeout_ms, int attempts, long failure_ttl_ms);
/* Nonzero when keys may be fetched from url: https, or http to a loopback host. */
int gcp_keys_url_allowed(const char *url);
/* Copies the URL src's keys come from into out; returns 1 when it is not Google's default. */
int gcp_keys_url_copy(gcp_key_source src, char *out, size_t len);

/* Parses max-age out of a Cache-Control value; -1 when absent, 0 for no-cache/no-store. */
long gcp_cache_control_max_age(const char *cache_control);

#endif
