/*
 * auth_token.c - OAuth2 access tokens and the Authorization header.
 *
 * One process-wide cache. A token is refreshed REFRESH_MARGIN_MS before it expires by a
 * single thread; meanwhile other threads keep using the old token while it is still
 * usable, or wait for the refresh and share its outcome (no thundering herd, also on
 * failure). Sources: the service-account key file (JWT exchange), else the metadata
 * server. Tokens never reach a log line or an error message.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "auth_internal.h"
#include "gcp/auth.h"
#include "gcp/http.h"

#define TOKEN_MAX           4096
#define REFRESH_MARGIN_MS   (5 * 60 * 1000) /* refresh this long before expiry */
#define USABLE_MARGIN_MS    (10 * 1000)     /* below this a token is no longer handed out */
#define ASSERTION_LIFETIME  3600
#define METADATA_TOKEN_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define FORM_PREFIX         "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done;
    char token[TOKEN_MAX];
    int64_t expiry_mono_ms;
    int refreshing;
    uint64_t generation; /* counts finished refreshes */
    int last_rc;         /* outcome of the last refresh */
    ff_error last_err;
} g_tok = {.lock = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

/* A freshly fetched token. */
typedef struct fetched {
    char token[TOKEN_MAX];
    int64_t expires_in_s;
} fetched;

/* Reads {"access_token": "...", "expires_in": N} into f. Returns 0 or -1. */
static int parse_token_body(const char *body, size_t len, fetched *f)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *tok = json_string_value(json_object_get(root, "access_token"));
    json_t *exp = json_object_get(root, "expires_in");
    int ok = tok && tok[0] && strlen(tok) < sizeof(f->token) && json_is_integer(exp) &&
             json_integer_value(exp) > 0;
    if (ok) {
        ff_strlcpy(f->token, sizeof(f->token), tok);
        f->expires_in_s = json_integer_value(exp);
    }
    json_decref(root);
    return ok ? 0 : -1;
}

/* Describes an OAuth error body ({"error": "...", "error_description": "..."}) into buf. */
static void oauth_error_text(const char *body, size_t len, char *buf, size_t buf_len)
{
    json_t *root = json_loadb(body ? body : "", len, 0, NULL);
    const char *code = json_string_value(json_object_get(root, "error"));
    const char *desc = json_string_value(json_object_get(root, "error_description"));
    snprintf(buf, buf_len, "%s%s%s", code ? code : "no OAuth error in body", desc ? ": " : "",
             desc ? desc : "");
    json_decref(root);
}

static int post_assertion(const gcp_sa_key *key, const char *assertion, gcp_http_response *res, ff_error *err)
{
    size_t len = strlen(assertion) + sizeof(FORM_PREFIX);
    char *form = malloc(len);
    if (form == NULL)
        return ff_error_set(err, GCP_AUTH_ERR_EXCHANGE, "token exchange: out of memory");
    /* the JWT alphabet (base64url and '.') needs no form escaping */
    snprintf(form, len, "%s%s", FORM_PREFIX, assertion);
    static const gcp_http_header hdr[] = {{"Content-Type", "application/x-www-form-urlencoded"}};
    gcp_http_request req = {
        .method = "POST",
        .url = key->token_uri,
        .headers = hdr,
        .n_headers = 1,
        .body = form,
        .body_len = strlen(form),
        .timeout_ms = 15000,
        .retry = GCP_HTTP_RETRY_SAFE, /* asking for another token twice is harmless */
        .max_attempts = 3,
    };
    ff_error herr = {0};
    int rc = gcp_http_do(&req, res, &herr);
    OPENSSL_cleanse(form, strlen(form));
    free(form);
    if (rc != GCP_HTTP_OK)
        return ff_error_set(err, GCP_AUTH_ERR_EXCHANGE, "token exchange for %s at %s failed: %s",
                            key->client_email, key->token_uri, herr.message);
    return 0;
}

/* Source 2: sign an assertion with the key file and exchange it at token_uri. */
static int fetch_from_key(const gcp_sa_key *key, fetched *f, ff_error *err)
{
    char *assertion = gcp_sa_key_assertion(key, ff_now_ms() / 1000, ASSERTION_LIFETIME, err);
    if (assertion == NULL)
        return err ? err->code : GCP_AUTH_ERR_KEYFILE;
    gcp_http_response res;
    int rc = post_assertion(key, assertion, &res, err);
    free(assertion);
    if (rc == 0 && res.status != 200) {
        char why[160];
        oauth_error_text(res.body, res.body_len, why, sizeof(why));
        rc = ff_error_set(err, GCP_AUTH_ERR_EXCHANGE,
                          "token endpoint %s refused the assertion for %s: HTTP %ld %s", key->token_uri,
                          key->client_email, res.status, why);
    } else if (rc == 0 && parse_token_body(res.body, res.body_len, f) != 0) {
        rc = ff_error_set(err, GCP_AUTH_ERR_EXCHANGE,
                          "token endpoint %s: response has no access_token/expires_in", key->token_uri);
    }
    if (res.body)
        OPENSSL_cleanse(res.body, res.body_len);
    gcp_http_response_free(&res);
    return rc;
}

/* Source 3: the metadata server's token for the default service account. */
static int fetch_from_metadata(fetched *f, ff_error *err)
{
    char *body = NULL;
    int rc = gcp_metadata_get(METADATA_TOKEN_PATH, &body, err);
    if (rc != 0)
        return rc;
    size_t len = strlen(body);
    if (parse_token_body(body, len, f) != 0)
        rc = ff_error_set(err, GCP_AUTH_ERR_METADATA,
                          "metadata server %s: token response has no access_token/expires_in",
                          gcp_metadata_host());
    OPENSSL_cleanse(body, len);
    free(body);
    return rc;
}

static int fetch_token(fetched *f, ff_error *err)
{
    const gcp_sa_key *key = NULL;
    int rc = gcp_sa_key_get(&key, err);
    if (rc != 0)
        return rc;
    return key ? fetch_from_key(key, f, err) : fetch_from_metadata(f, err);
}

static int copy_token(const char *token, char *out, size_t out_len, ff_error *err)
{
    size_t n = strlen(token);
    if (n >= out_len)
        return ff_error_set(err, GCP_AUTH_ERR_ARG, "access token buffer too small (%zu bytes)", out_len);
    memcpy(out, token, n + 1);
    return 0;
}

/* With g_tok.lock held: nonzero when the cached token may still be handed out. */
static int usable_locked(int64_t now, int64_t margin)
{
    return g_tok.token[0] && now < g_tok.expiry_mono_ms - margin;
}

/* Runs one refresh (called with the lock held, returns with it held). */
static int refresh_locked(char *out, size_t out_len, ff_error *err)
{
    g_tok.refreshing = 1;
    pthread_mutex_unlock(&g_tok.lock);
    fetched f;
    ff_error ferr = {0};
    ff_pin(); /* callers wait for it on a condition variable, blocking their threads: the
               * refresh keeps its own thread rather than wait for a free one */
    int rc = fetch_token(&f, &ferr);
    ff_unpin();
    int64_t now = ff_now_mono_ms();
    pthread_mutex_lock(&g_tok.lock);
    g_tok.refreshing = 0;
    g_tok.generation++;
    g_tok.last_rc = rc;
    g_tok.last_err = ferr;
    if (rc == 0) {
        memcpy(g_tok.token, f.token, sizeof(g_tok.token));
        g_tok.expiry_mono_ms = now + f.expires_in_s * 1000;
    }
    OPENSSL_cleanse(&f, sizeof(f));
    pthread_cond_broadcast(&g_tok.done);
    if (rc == 0 || usable_locked(now, USABLE_MARGIN_MS)) {
        if (rc != 0)
            ff_log_warn(NULL, "access token refresh failed, using the current token until it expires: %s",
                        ferr.message);
        return copy_token(g_tok.token, out, out_len, err);
    }
    if (err)
        *err = ferr;
    return rc;
}

int gcp_auth_access_token(char *out, size_t out_len, ff_error *err)
{
    if (out == NULL || out_len == 0)
        return ff_error_set(err, GCP_AUTH_ERR_ARG, "gcp_auth_access_token: no output buffer");
    int rc;
    pthread_mutex_lock(&g_tok.lock);
    for (;;) {
        int64_t now = ff_now_mono_ms();
        if (usable_locked(now, REFRESH_MARGIN_MS) ||
            (g_tok.refreshing && usable_locked(now, USABLE_MARGIN_MS))) {
            rc = copy_token(g_tok.token, out, out_len, err);
            break;
        }
        if (!g_tok.refreshing) {
            rc = refresh_locked(out, out_len, err);
            break;
        }
        uint64_t gen = g_tok.generation;
        while (g_tok.refreshing && g_tok.generation == gen)
            pthread_cond_wait(&g_tok.done, &g_tok.lock);
        /* Take the outcome of the refresh we waited for, even a short-lived token or an
         * error, rather than start another refresh at once. */
        if (usable_locked(ff_now_mono_ms(), USABLE_MARGIN_MS)) {
            rc = copy_token(g_tok.token, out, out_len, err);
            break;
        }
        if (g_tok.last_rc != 0) {
            if (err)
                *err = g_tok.last_err;
            rc = g_tok.last_rc;
            break;
        }
    }
    pthread_mutex_unlock(&g_tok.lock);
    return rc;
}

int gcp_auth_header(gcp_service svc, char *out, size_t out_len, ff_error *err)
{
    if (out == NULL || out_len < sizeof("Bearer owner"))
        return ff_error_set(err, GCP_AUTH_ERR_ARG, "gcp_auth_header: output buffer too small");
    if (svc == GCP_SERVICE_FIRESTORE && gcp_env("FIRESTORE_EMULATOR_HOST")) {
        snprintf(out, out_len, "Bearer owner");
        return 0;
    }
    if (svc == GCP_SERVICE_TASKS && gcp_env("CLOUD_TASKS_EMULATOR_HOST")) {
        out[0] = '\0';
        return 0;
    }
    if (svc != GCP_SERVICE_FIRESTORE && svc != GCP_SERVICE_TASKS)
        return ff_error_set(err, GCP_AUTH_ERR_ARG, "gcp_auth_header: unknown service %d", (int)svc);
    memcpy(out, "Bearer ", 7);
    int rc = gcp_auth_access_token(out + 7, out_len - 7, err);
    if (rc != 0)
        out[0] = '\0';
    return rc;
}

void gcp_auth_token_reset(void)
{
    pthread_mutex_lock(&g_tok.lock);
    OPENSSL_cleanse(g_tok.token, sizeof(g_tok.token));
    g_tok.expiry_mono_ms = 0;
    g_tok.last_rc = 0;
    ff_error_clear(&g_tok.last_err);
    pthread_mutex_unlock(&g_tok.lock);
}
