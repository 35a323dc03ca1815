/*
 * fake_google_keys.c - key material for fake_google: RSA key pairs generated at run
 * time (PEM, self-signed certificate, JWK n/e), minting of test JWTs, and the check
 * Google's token endpoint makes on a JWT-bearer assertion. Uses libjwt to decode
 * assertions, independently of the runtime's own verifier.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fake_google.h"

static char *bio_to_string(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s = n > 0 ? strndup(data, (size_t)n) : NULL;
    BIO_free(bio);
    return s;
}

static char *b64url(const unsigned char *in, size_t len)
{
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    while (n > 0 && out[n - 1] == '=')
        out[--n] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : (*p == '/' ? '_' : *p);
    return out;
}

static char *bn_param_b64url(EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return NULL;
    int len = BN_num_bytes(bn);
    unsigned char *buf = malloc((size_t)len);
    char *s = NULL;
    if (buf && BN_bn2bin(bn, buf) == len)
        s = b64url(buf, (size_t)len);
    free(buf);
    BN_free(bn);
    return s;
}

static char *self_signed_cert(EVP_PKEY *pkey)
{
    X509 *x = X509_new();
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    if (x && bio) {
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, pkey);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"fake-securetoken", -1,
                                   -1, 0);
        X509_set_issuer_name(x, name);
        if (X509_sign(x, pkey, EVP_sha256()) > 0 && PEM_write_bio_X509(bio, x) == 1) {
            pem = bio_to_string(bio);
            bio = NULL;
        }
    }
    BIO_free(bio);
    X509_free(x);
    return pem;
}

int fake_google_key_generate(fake_google_key *k, const char *kid)
{
    memset(k, 0, sizeof(*k));
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    if (pkey == NULL)
        return -1;
    BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
    if (priv && PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) == 1)
        k->private_pem = bio_to_string(priv);
    else
        BIO_free(priv);
    if (pub && PEM_write_bio_PUBKEY(pub, pkey) == 1)
        k->public_pem = bio_to_string(pub);
    else
        BIO_free(pub);
    k->kid = strdup(kid ? kid : "");
    k->cert_pem = self_signed_cert(pkey);
    k->n64 = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_N);
    k->e64 = bn_param_b64url(pkey, OSSL_PKEY_PARAM_RSA_E);
    EVP_PKEY_free(pkey);
    if (!k->private_pem || !k->public_pem || !k->kid || !k->cert_pem || !k->n64 || !k->e64) {
        fake_google_key_free(k);
        return -1;
    }
    return 0;
}

void fake_google_key_free(fake_google_key *k)
{
    if (k == NULL)
        return;
    free(k->kid);
    free(k->private_pem);
    free(k->public_pem);
    free(k->cert_pem);
    free(k->n64);
    free(k->e64);
    memset(k, 0, sizeof(*k));
}

char *fg_sign_jwt(const char *alg, const char *header_kid, const char *private_pem, json_t *claims)
{
    jwt_t *jwt = NULL;
    char *claims_text = json_dumps(claims, JSON_COMPACT);
    char *out = NULL;
    if (claims_text && jwt_new(&jwt) == 0 && jwt_add_grants_json(jwt, claims_text) == 0 &&
        (header_kid == NULL || jwt_add_header(jwt, "kid", header_kid) == 0)) {
        int rc;
        if (strcmp(alg, "none") == 0)
            rc = jwt_set_alg(jwt, JWT_ALG_NONE, NULL, 0);
        else
            rc = jwt_set_alg(jwt, jwt_str_alg(alg), (const unsigned char *)private_pem,
                             private_pem ? (int)strlen(private_pem) : 0);
        if (rc == 0)
            out = jwt_encode_str(jwt);
    }
    jwt_free(jwt);
    free(claims_text);
    return out;
}

/* Sets why (when not already set) and returns -1. */
static int refuse(char *why, size_t len, const char *reason)
{
    snprintf(why, len, "%s", reason);
    return -1;
}

static int scope_ok(const char *scope)
{
    if (scope == NULL)
        return 0;
    /* space-separated list; both scopes must be present as whole words */
    const char *need[] = {"https://www.googleapis.com/auth/cloud-platform",
                          "https://www.googleapis.com/auth/datastore"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(need[i]);
        const char *p = scope;
        int found = 0;
        while ((p = strstr(p, need[i])) != NULL && !found) {
            found = (p == scope || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ');
            p += n;
        }
        if (!found)
            return 0;
    }
    return 1;
}

int fg_check_assertion(const char *assertion, const char *public_pem, const char *email, const char *aud,
                       char *why, size_t why_len)
{
    jwt_t *jwt = NULL;
    if (jwt_decode(&jwt, assertion, (const unsigned char *)public_pem, (int)strlen(public_pem)) != 0)
        return refuse(why, why_len, "invalid_grant: signature does not verify");
    int rc = 0;
    long now = (long)time(NULL);
    long iat = jwt_get_grant_int(jwt, "iat"), exp = jwt_get_grant_int(jwt, "exp");
    const char *iss = jwt_get_grant(jwt, "iss"), *a = jwt_get_grant(jwt, "aud");
    if (jwt_get_alg(jwt) != JWT_ALG_RS256)
        rc = refuse(why, why_len, "invalid_grant: alg is not RS256");
    else if (iss == NULL || strcmp(iss, email) != 0)
        rc = refuse(why, why_len, "invalid_grant: iss is not the service account");
    else if (a == NULL || strcmp(a, aud) != 0)
        rc = refuse(why, why_len, "invalid_grant: aud is not the token endpoint");
    else if (!scope_ok(jwt_get_grant(jwt, "scope")))
        rc = refuse(why, why_len, "invalid_scope: cloud-platform and datastore scopes required");
    else if (iat <= 0 || exp <= 0 || exp - iat > 3600 || exp <= iat)
        rc = refuse(why, why_len, "invalid_grant: exp - iat must be 1..3600 s");
    else if (exp <= now || iat > now + 60)
        rc = refuse(why, why_len, "invalid_grant: assertion expired or from the future");
    jwt_free(jwt);
    return rc;
}
