/*
 * gcp/auth.h - credentials for Google APIs and verification of callers' tokens.
 *
 * Access tokens are resolved like Application Default Credentials: emulator variables
 * first, then GOOGLE_APPLICATION_CREDENTIALS (service-account key, RS256 JWT exchanged
 * at token_uri), then the metadata server. Tokens are cached process-wide and
 * refreshed before expiry, once for all threads.
 *
 * Callers' tokens: gcp_idtoken_verify_google checks a Google-signed OIDC ID token (what
 * Cloud Tasks sends), gcp_idtoken_verify_invoker the same token as a Cloud Run service
 * receives it, gcp_idtoken_verify_firebase a Firebase Auth ID token. Public keys are
 * fetched, cached per Cache-Control max-age and refetched on an unknown key ID; a failed
 * fetch is remembered briefly and shared by every request waiting on it.
 */
#ifndef GCP_AUTH_H
#define GCP_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include "ff.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which API a request goes to: emulators are configured per service. */
typedef enum gcp_service { GCP_SERVICE_FIRESTORE = 1, GCP_SERVICE_TASKS = 2 } gcp_service;

/* ff_error codes set by the gcp_auth_ functions. */
enum {
    GCP_AUTH_OK = 0,
    GCP_AUTH_ERR_ARG = 1,      /* bad argument, buffer too small */
    GCP_AUTH_ERR_KEYFILE = 2,  /* GOOGLE_APPLICATION_CREDENTIALS unreadable or malformed */
    GCP_AUTH_ERR_EXCHANGE = 3, /* the token endpoint refused or could not be reached */
    GCP_AUTH_ERR_METADATA = 4, /* the metadata server failed or could not be reached */
    GCP_AUTH_ERR_PROJECT = 5,  /* no source named a project ID */
};

/*
 * Writes the value of the Authorization header for a call to `svc` into out
 * ("Bearer <token>", "Bearer owner" for the Firestore emulator), or an empty string when
 * the call needs no header (Cloud Tasks emulator). Returns 0, or nonzero with err naming
 * the credential source that failed. Never logs the token.
 */
int gcp_auth_header(gcp_service svc, char *out, size_t out_len, ff_error *err);

/*
 * The GCP project ID: GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT, FIREBASE_CONFIG (JSON or
 * path), the key file, or the metadata server, in that order. Returns a pointer valid
 * for the life of the process, or NULL with err set.
 */
const char *gcp_project_id(ff_error *err);

/*
 * Copies a current OAuth2 access token (no "Bearer ") into out, from the key file or
 * the metadata server (emulator variables are not consulted). Cached; refreshed 5
 * minutes before expiry by one thread while the others keep using the valid token or
 * wait for the new one. Returns 0 or a GCP_AUTH_ERR_ code with err naming the source.
 */
int gcp_auth_access_token(char *out, size_t out_len, ff_error *err);

/*
 * The service account the process runs as: client_email of the key file, else
 * "emulated-service-acct@email.com" when an emulator variable is set (as the Admin SDK
 * does), else the metadata server's default service account. Returns a pointer valid
 * for the life of the process, or NULL with err set.
 */
const char *gcp_auth_service_account_email(ff_error *err);

/*
 * Forgets cached tokens, key file, project ID and e-mail so that the next call reads
 * the environment again. For tests: not to be called while other threads use this
 * module; pointers returned earlier become invalid.
 */
void gcp_auth_reset(void);

/* ---- ID tokens ----------------------------------------------------------------- */

/* ff_error codes set by the gcp_idtoken_ functions. */
enum {
    GCP_IDTOKEN_OK = 0,
    GCP_IDTOKEN_ERR_ARG = 1,       /* NULL or empty argument */
    GCP_IDTOKEN_ERR_MALFORMED = 2, /* not three base64url JSON parts */
    GCP_IDTOKEN_ERR_ALG = 3,       /* not RS256 (or "none" outside Auth-emulator mode) */
    GCP_IDTOKEN_ERR_KID = 4,       /* no published key has this key ID, even after a refetch */
    GCP_IDTOKEN_ERR_SIGNATURE = 5, /* the signature does not match the key */
    GCP_IDTOKEN_ERR_EXPIRED = 6,   /* exp in the past, or iat/auth_time in the future */
    GCP_IDTOKEN_ERR_ISSUER = 7,
    GCP_IDTOKEN_ERR_AUDIENCE = 8,
    GCP_IDTOKEN_ERR_CLAIMS = 9, /* sub empty, email mismatch or unverified, bad claim types */
    GCP_IDTOKEN_ERR_KEYS = 10,  /* the public keys could not be fetched or parsed (server-side) */
    /* A valid token, but of another identity (e-mail not the expected one, or unverified):
     * with GCP_IDTOKEN_ERR_AUDIENCE, the "authenticated but not allowed" outcomes (403). */
    GCP_IDTOKEN_ERR_IDENTITY = 11,
};

/* A verified token. Free with gcp_idtoken_result_free. */
typedef struct gcp_idtoken_result {
    char *uid;             /* sub; never NULL after success */
    char *email;           /* NULL when the token has none */
    int email_verified;    /* email_verified claim, 0 when absent */
    json_t *claims;        /* every claim of the payload; owned reference */
    json_t *custom_claims; /* the claims that are not standard ones (e.g. "admin"); owned */
} gcp_idtoken_result;

/*
 * Verifies a Google-signed OIDC ID token (RS256, Google's JWKS): issuer
 * https://accounts.google.com or accounts.google.com, not expired, aud == audience
 * (else GCP_IDTOKEN_ERR_AUDIENCE), and, when expected_email is not NULL, email ==
 * expected_email with email_verified (else GCP_IDTOKEN_ERR_IDENTITY). Returns 0 and
 * fills *out (caller frees with gcp_idtoken_result_free), or a GCP_IDTOKEN_ERR_ code with
 * err set (out left empty). Thread-safe.
 */
int gcp_idtoken_verify_google(const char *token, const char *audience, const char *expected_email,
                              gcp_idtoken_result *out, ff_error *err);

/* What Cloud Run puts in place of the signature of a token it verified itself. */
#define GCP_IDTOKEN_SIGNATURE_REMOVED "SIGNATURE_REMOVED_BY_GOOGLE"

/*
 * The invoker's token as a Cloud Run service receives it. Cloud Run verifies the ID token
 * of Authorization (or X-Serverless-Authorization, which then takes precedence) and
 * forwards it with its signature replaced by GCP_IDTOKEN_SIGNATURE_REMOVED, so the
 * container cannot check that signature. A token that still carries a signature is
 * verified like gcp_idtoken_verify_google. One whose signature Cloud Run removed is
 * accepted on its header (RS256, kid) and claims alone, and only on Cloud Run (K_SERVICE
 * set), where only the platform can have removed it. Same results as
 * gcp_idtoken_verify_google.
 */
int gcp_idtoken_verify_invoker(const char *token, const char *audience, const char *expected_email,
                               gcp_idtoken_result *out, ff_error *err);

/*
 * Verifies a Firebase Auth ID token for project_id (NULL = gcp_project_id()): RS256
 * against the securetoken x509 certificates, iss https://securetoken.google.com/<project>,
 * aud == project, exp in the future, iat and auth_time not in the future, sub non-empty
 * and at most 128 characters. Unsigned tokens (alg "none") of the Auth emulator are
 * accepted only in emulator mode: FIREBASE_AUTH_EMULATOR_HOST and FIRESTORE_EMULATOR_HOST
 * set and K_SERVICE unset (never on Cloud Run); otherwise they are always rejected.
 * Returns as gcp_idtoken_verify_google.
 */
int gcp_idtoken_verify_firebase(const char *token, const char *project_id, gcp_idtoken_result *out,
                                ff_error *err);

void gcp_idtoken_result_free(gcp_idtoken_result *res);

/*
 * Where public keys come from. Defaults, in this order of precedence: the setter, the
 * variables GCP_IDTOKEN_GOOGLE_CERTS_URL / GCP_IDTOKEN_FIREBASE_CERTS_URL, then
 * https://www.googleapis.com/oauth2/v3/certs (JWKS) and
 * https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com
 * (x509 PEM by kid). NULL restores the default. Copies the strings and empties the
 * key caches. Thread-safe. An override must be https, or http to a loopback address
 * (127.0.0.0/8, localhost, [::1]); keys are never fetched from any other URL.
 */
void gcp_idtoken_set_key_urls(const char *google_jwks_url, const char *firebase_x509_url);

/*
 * Start-up check of the verifier's configuration: returns 0, or -1 with err set when a
 * key URL override is not allowed (see gcp_idtoken_set_key_urls). Logs a WARNING for
 * every relaxation: a key URL overridden, unsigned emulator tokens accepted, and
 * FIREBASE_AUTH_EMULATOR_HOST set but ignored outside emulator mode.
 */
int gcp_idtoken_config_check(ff_error *err);

/*
 * Key fetching: each attempt's timeout, attempts per fetch, and how long a failed fetch
 * is remembered (callers meanwhile get GCP_IDTOKEN_ERR_KEYS without a new fetch). 0 keeps
 * a value; defaults 4000 ms, 2, 5000 ms. For tests; thread-safe.
 */
void gcp_idtoken_set_fetch_policy(long timeout_ms, int attempts, long failure_ttl_ms);

/* Empties the key caches and forgets failed fetches (tests). Thread-safe. */
void gcp_idtoken_reset(void);

#ifdef __cplusplus
}
#endif
#endif
