/*
 * auth_keys.c - caches of the public keys that sign ID tokens: Google's JWKS (OIDC
 * tokens) and the securetoken x509 certificates (Firebase Auth tokens).
 *
 * Each cache holds an immutable key set swapped whole under a short lock, so lookups
 * never wait on the network while the set is fresh. Fetches are single-flight (one
 * fetch lock per cache); a key set lives for the Cache-Control max-age of its
 * response. An unknown kid refetches once, in case the keys rotated.
 *
 * Outages: a failed fetch is remembered for the failure TTL and its error handed to
 * every request that was waiting on it and to those arriving meanwhile, so an
 * unreachable endpoint costs one timeout, not one per request. Keys that expired during
 * an outage keep verifying tokens (the last set Google published, refetched every 30 s)
 * for at most MAX_STALE_MS past their expiry; after that tokens are refused until a
 * fetch succeeds. Keys are fetched only from https or loopback URLs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "auth_idtoken.h"
#include "auth_internal.h"
#include "gcp/auth.h"
#include "gcp/http.h"

#define GOOGLE_JWKS_URL "https://www.googleapis.com/oauth2/v3/certs"
#define FIREBASE_X509_URL                                                                                    \
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
#define DEFAULT_MAX_AGE_S     60                /* when the response says nothing */
#define LONGEST_MAX_AGE_S     (24 * 3600)       /* never trust a key set longer than a day */
#define KID_REFETCH_GAP_MS    (30 * 1000)       /* unknown kids refetch at most this often */
#define FAILED_FETCH_PAUSE_MS (30 * 1000)       /* after a failed refetch, old keys serve this long */
#define MAX_STALE_MS          (6 * 3600 * 1000) /* expired keys serve at most this long in an outage */

/* The fetch policy (gcp_idtoken_set_fetch_policy); read with relaxed atomics. */
static long g_fetch_timeout_ms = 4000;
static int g_fetch_attempts = 2;
static long g_failure_ttl_ms = 5000;

typedef struct keyset {
    size_t n;
    char **kids;
    EVP_PKEY **keys;
} keyset;

typedef struct key_cache {
    pthread_mutex_t lock;       /* guards the members below */
    pthread_mutex_t fetch_lock; /* one fetch at a time */
    keyset *set;
    int64_t expires_mono_ms;
    int64_t fetched_mono_ms;
    int64_t stale_limit_mono_ms;  /* the set verifies nothing after this, even in an outage */
    int fetched_for_kid;          /* the current set came from an unknown-kid refetch */
    int fetching;                 /* a fetch is under way */
    uint64_t generation;          /* counts successful fetches */
    uint64_t failures;            /* counts failed fetches */
    int64_t failed_until_mono_ms; /* a failed fetch is remembered until then */
    ff_error last_failure;
    char *url; /* override; NULL = environment or default */
} key_cache;

static key_cache g_caches[2] = {
    {.lock = PTHREAD_MUTEX_INITIALIZER, .fetch_lock = PTHREAD_MUTEX_INITIALIZER},
    {.lock = PTHREAD_MUTEX_INITIALIZER, .fetch_lock = PTHREAD_MUTEX_INITIALIZER},
};

static void keyset_free(keyset *ks)
{
    if (ks == NULL)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->kids[i]);
        EVP_PKEY_free(ks->keys[i]);
    }
    free(ks->kids);
    free(ks->keys);
    free(ks);
}

/* Adds (kid, key) to ks, taking ownership of key. Returns 0 or -1. */
static int keyset_add(keyset *ks, const char *kid, EVP_PKEY *key)
{
    char **kids = realloc(ks->kids, (ks->n + 1) * sizeof(*kids));
    if (kids)
        ks->kids = kids;
    EVP_PKEY **keys = kids ? realloc(ks->keys, (ks->n + 1) * sizeof(*keys)) : NULL;
    if (keys)
        ks->keys = keys;
    char *copy = keys ? strdup(kid) : NULL;
    if (copy == NULL) {
        EVP_PKEY_free(key);
        return -1;
    }
    ks->kids[ks->n] = copy;
    ks->keys[ks->n] = key;
    ks->n++;
    return 0;
}

static EVP_PKEY *keyset_find(const keyset *ks, const char *kid)
{
    for (size_t i = 0; ks && i < ks->n; i++)
        if (strcmp(ks->kids[i], kid) == 0)
            return ks->keys[i];
    return NULL;
}

/* An RSA public key from the JWK members n and e (base64url big-endian). */
static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
    size_t nl = 0, el = 0;
    unsigned char *nb = gcp_b64url_decode(n64, strlen(n64), &nl);
    unsigned char *eb = gcp_b64url_decode(e64, strlen(e64), &el);
    BIGNUM *n = nb ? BN_bin2bn(nb, (int)nl, NULL) : NULL;
    BIGNUM *e = eb ? BN_bin2bn(eb, (int)el, NULL) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    if (n && e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nb);
    free(eb);
    return pkey;
}

/* The public key of a PEM certificate. */
static EVP_PKEY *key_from_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *pkey = cert ? X509_get_pubkey(cert) : NULL;
    X509_free(cert);
    BIO_free(bio);
    return pkey;
}

/* Parses a JWKS document; RSA keys only. NULL when nothing usable is in it. */
static keyset *parse_jwks(json_t *root)
{
    keyset *ks = calloc(1, sizeof(*ks));
    json_t *keys = json_object_get(root, "keys"), *jwk;
    size_t i;
    json_array_foreach(keys, i, jwk)
    {
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *n = json_string_value(json_object_get(jwk, "n"));
        const char *e = json_string_value(json_object_get(jwk, "e"));
        if (ks == NULL || !kid || !kty || strcmp(kty, "RSA") != 0 || !n || !e)
            continue;
        EVP_PKEY *pkey = rsa_from_jwk(n, e);
        if (pkey)
            keyset_add(ks, kid, pkey);
    }
    return ks;
}

/* Parses {"kid": "PEM certificate", ...}. */
static keyset *parse_x509_map(json_t *root)
{
    keyset *ks = calloc(1, sizeof(*ks));
    const char *kid;
    json_t *pem;
    json_object_foreach(root, kid, pem)
    {
        EVP_PKEY *pkey = (ks && json_is_string(pem)) ? key_from_cert(json_string_value(pem)) : NULL;
        if (pkey)
            keyset_add(ks, kid, pkey);
    }
    return ks;
}

long gcp_cache_control_max_age(const char *cc)
{
    if (cc == NULL)
        return -1;
    if (strcasestr(cc, "no-store") || strcasestr(cc, "no-cache"))
        return 0;
    const char *p = strcasestr(cc, "max-age=");
    if (p == NULL)
        return -1;
    char *end = NULL;
    long v = strtol(p + 8, &end, 10);
    return (end == p + 8 || v < 0) ? -1 : v;
}

/* Nonzero when keys may be fetched from url: https, or plain http to a loopback host. */
int gcp_keys_url_allowed(const char *url)
{
    if (url == NULL)
        return 0;
    if (strncasecmp(url, "https://", 8) == 0)
        return url[8] != '\0';
    if (strncasecmp(url, "http://", 7) != 0)
        return 0;
    const char *host = url + 7;
    if (strncmp(host, "[::1]", 5) == 0)
        return strchr(":/", host[5]) != NULL; /* also accepts the end of the string */
    size_t n = strcspn(host, ":/?#");
    if (n == 9 && strncasecmp(host, "localhost", 9) == 0)
        return 1;
    if (strncmp(host, "127.", 4) != 0)
        return 0;
    int dots = 0; /* 127.a.b.c: digits and three dots */
    for (size_t i = 0; i < n; i++) {
        if (host[i] == '.')
            dots++;
        else if (host[i] < '0' || host[i] > '9')
            return 0;
    }
    return dots == 3;
}

static const char *source_url(gcp_key_source src, const key_cache *c)
{
    if (c->url)
        return c->url;
    const char *env =
        gcp_env(src == GCP_KEYS_GOOGLE ? "GCP_IDTOKEN_GOOGLE_CERTS_URL" : "GCP_IDTOKEN_FIREBASE_CERTS_URL");
    return env ? env : (src == GCP_KEYS_GOOGLE ? GOOGLE_JWKS_URL : FIREBASE_X509_URL);
}

int gcp_keys_url_copy(gcp_key_source src, char *out, size_t len)
{
    key_cache *c = &g_caches[src];
    pthread_mutex_lock(&c->lock);
    const char *url = source_url(src, c);
    int overridden = strcmp(url, src == GCP_KEYS_GOOGLE ? GOOGLE_JWKS_URL : FIREBASE_X509_URL) != 0;
    ff_strlcpy(out, len, url);
    pthread_mutex_unlock(&c->lock);
    return overridden;
}

/* Downloads and parses the key set of src. Returns it (caller frees) with *max_age_s. */
static keyset *fetch_keyset(gcp_key_source src, const char *url, long *max_age_s, ff_error *err)
{
    if (!gcp_keys_url_allowed(url)) {
        ff_error_set(err, GCP_IDTOKEN_ERR_KEYS, "public keys %s: only https or loopback URLs are allowed",
                     url);
        return NULL;
    }
    gcp_http_request req = {.method = "GET",
                            .url = url,
                            .timeout_ms = __atomic_load_n(&g_fetch_timeout_ms, __ATOMIC_RELAXED),
                            .retry = GCP_HTTP_RETRY_SAFE,
                            .max_attempts = __atomic_load_n(&g_fetch_attempts, __ATOMIC_RELAXED)};
    gcp_http_response res;
    ff_error herr = {0};
    keyset *ks = NULL;
    if (gcp_http_do(&req, &res, &herr) != GCP_HTTP_OK) {
        ff_error_set(err, GCP_IDTOKEN_ERR_KEYS, "public keys %s unreachable: %s", url, herr.message);
    } else if (res.status != 200) {
        ff_error_set(err, GCP_IDTOKEN_ERR_KEYS, "public keys %s: HTTP %ld", url, res.status);
    } else {
        json_t *root = json_loadb(res.body ? res.body : "", res.body_len, 0, NULL);
        ks = json_is_object(root) ? (src == GCP_KEYS_GOOGLE ? parse_jwks(root) : parse_x509_map(root)) : NULL;
        json_decref(root);
        if (ks == NULL || ks->n == 0) {
            keyset_free(ks);
            ks = NULL;
            ff_error_set(err, GCP_IDTOKEN_ERR_KEYS, "public keys %s: no usable key in the response", url);
        }
        long age = gcp_cache_control_max_age(res.cache_control);
        *max_age_s = age < 0 ? DEFAULT_MAX_AGE_S : (age > LONGEST_MAX_AGE_S ? LONGEST_MAX_AGE_S : age);
    }
    gcp_http_response_free(&res);
    return ks;
}

/* With c->lock held: a new reference to the key, or NULL. */
static EVP_PKEY *lookup_locked(key_cache *c, const char *kid)
{
    EVP_PKEY *k = keyset_find(c->set, kid);
    if (k && EVP_PKEY_up_ref(k) != 1)
        k = NULL;
    return k;
}

/* What a lookup that missed should do. */
enum { MISS_FETCH = 1, MISS_GIVE_UP = 2 };

static int miss_action_locked(const key_cache *c, int64_t now)
{
    if (c->set == NULL || now >= c->expires_mono_ms)
        return MISS_FETCH;
    if (c->fetched_for_kid && now - c->fetched_mono_ms < KID_REFETCH_GAP_MS)
        return MISS_GIVE_UP;
    return MISS_FETCH;
}

/* Where a fetch started: the counters it compares against when it gets the fetch lock. */
typedef struct fetch_ticket {
    uint64_t generation, failures;
} fetch_ticket;

/* With c->lock held: a new reference to the key from a set past its max-age (an outage),
 * or NULL once the set is older than its stale limit. */
static EVP_PKEY *lookup_stale_locked(key_cache *c, const char *kid, int64_t now)
{
    return c->set && now < c->stale_limit_mono_ms ? lookup_locked(c, kid) : NULL;
}

/* With c->lock held: records a failed fetch (err) for the failure TTL. */
static void record_failure_locked(key_cache *c, const ff_error *err, int64_t now)
{
    c->failures++;
    c->failed_until_mono_ms = now + __atomic_load_n(&g_failure_ttl_ms, __ATOMIC_RELAXED);
    c->last_failure = *err;
    c->last_failure.code = GCP_IDTOKEN_ERR_KEYS;
    /* keep serving the previous keys for a while instead of refetching on every call */
    if (c->set && now < c->stale_limit_mono_ms)
        c->expires_mono_ms = now + FAILED_FETCH_PAUSE_MS;
}

/*
 * Fetches into c unless another thread fetched since `t` was taken: its success counts
 * (0), and so does its failure (GCP_IDTOKEN_ERR_KEYS with its error), so the requests
 * queued behind one fetch share its outcome. Called with fetch_lock held.
 */
static int refresh(gcp_key_source src, key_cache *c, fetch_ticket t, int for_kid, ff_error *err)
{
    pthread_mutex_lock(&c->lock);
    int succeeded = c->generation != t.generation, failed = c->failures != t.failures;
    if (failed && !succeeded)
        *err = c->last_failure;
    char *url = succeeded || failed ? NULL : strdup(source_url(src, c));
    c->fetching = url != NULL;
    pthread_mutex_unlock(&c->lock);
    if (succeeded || failed)
        return succeeded ? 0 : GCP_IDTOKEN_ERR_KEYS;
    if (url == NULL)
        return ff_error_set(err, GCP_IDTOKEN_ERR_KEYS, "out of memory");
    long max_age = 0;
    keyset *ks = fetch_keyset(src, url, &max_age, err);
    free(url);
    int64_t now = ff_now_mono_ms();
    pthread_mutex_lock(&c->lock);
    c->fetching = 0;
    if (ks == NULL) {
        record_failure_locked(c, err, now);
        pthread_mutex_unlock(&c->lock);
        return GCP_IDTOKEN_ERR_KEYS;
    }
    keyset *old = c->set;
    c->set = ks;
    c->fetched_mono_ms = now;
    c->expires_mono_ms = now + max_age * 1000;
    c->stale_limit_mono_ms = c->expires_mono_ms + MAX_STALE_MS;
    c->fetched_for_kid = for_kid;
    c->failed_until_mono_ms = 0;
    c->generation++;
    pthread_mutex_unlock(&c->lock);
    keyset_free(old); /* keys handed out hold their own references */
    return 0;
}

enum { NEED_FETCH = -1 };

/*
 * With c->lock held: what a lookup answers without fetching (0 with *out set, or an error
 * code), or NEED_FETCH (a fetch to make, or one under way to wait for).
 */
static int lookup_without_fetch_locked(key_cache *c, const char *kid, int64_t now, EVP_PKEY **out,
                                       ff_error *err)
{
    if (c->set && now < c->expires_mono_ms && (*out = lookup_locked(c, kid)) != NULL)
        return 0;
    int recently_failed = now < c->failed_until_mono_ms;
    /* an outage, or a fetch already under way: the old keys rather than a wait */
    if ((recently_failed || c->fetching) && (*out = lookup_stale_locked(c, kid, now)) != NULL)
        return 0;
    if (recently_failed) {
        if (err)
            *err = c->last_failure;
        return GCP_IDTOKEN_ERR_KEYS;
    }
    if (!c->fetching && miss_action_locked(c, now) == MISS_GIVE_UP)
        return ff_error_set(err, GCP_IDTOKEN_ERR_KID, "no public key with this key ID");
    return NEED_FETCH;
}

int gcp_keys_find(gcp_key_source src, const char *kid, EVP_PKEY **out, ff_error *err)
{
    key_cache *c = &g_caches[src];
    *out = NULL;
    pthread_mutex_lock(&c->lock);
    int64_t now = ff_now_mono_ms();
    int rc = lookup_without_fetch_locked(c, kid, now, out, err);
    int fresh = c->set && now < c->expires_mono_ms;
    fetch_ticket t = {c->generation, c->failures};
    pthread_mutex_unlock(&c->lock);
    if (rc != NEED_FETCH)
        return rc;
    ff_pin(); /* fetch_lock is held across the fetch's waits: stay on this thread */
    pthread_mutex_lock(&c->fetch_lock);
    ff_error ferr = {0};
    rc = refresh(src, c, t, fresh, &ferr);
    pthread_mutex_unlock(&c->fetch_lock);
    ff_unpin();
    pthread_mutex_lock(&c->lock);
    /* after a failed fetch, keys past their max-age still beat refusing every caller */
    *out = rc == 0 ? lookup_locked(c, kid) : lookup_stale_locked(c, kid, ff_now_mono_ms());
    pthread_mutex_unlock(&c->lock);
    if (*out) {
        if (rc != 0)
            ff_log_warn(NULL, "ID-token keys: refetch failed, using the previous keys: %s", ferr.message);
        return 0;
    }
    if (rc != 0) {
        if (err)
            *err = ferr;
        return rc;
    }
    return ff_error_set(err, GCP_IDTOKEN_ERR_KID, "no public key with this key ID");
}

void gcp_keys_set_fetch_policy(long timeout_ms, int attempts, long failure_ttl_ms)
{
    if (timeout_ms > 0)
        __atomic_store_n(&g_fetch_timeout_ms, timeout_ms, __ATOMIC_RELAXED);
    if (attempts > 0)
        __atomic_store_n(&g_fetch_attempts, attempts, __ATOMIC_RELAXED);
    if (failure_ttl_ms > 0)
        __atomic_store_n(&g_failure_ttl_ms, failure_ttl_ms, __ATOMIC_RELAXED);
}

void gcp_keys_set_url(gcp_key_source src, const char *url)
{
    key_cache *c = &g_caches[src];
    pthread_mutex_lock(&c->lock);
    free(c->url);
    c->url = gcp_strdup_or_null(url);
    keyset_free(c->set);
    c->set = NULL;
    c->failed_until_mono_ms = 0;
    c->generation++;
    pthread_mutex_unlock(&c->lock);
}

void gcp_keys_reset(void)
{
    for (int i = 0; i < 2; i++) {
        key_cache *c = &g_caches[i];
        pthread_mutex_lock(&c->lock);
        keyset_free(c->set);
        c->set = NULL;
        c->fetched_for_kid = 0;
        c->failed_until_mono_ms = 0;
        c->generation++;
        pthread_mutex_unlock(&c->lock);
    }
}
