/*
 * auth_internal.h - helpers shared by the auth_*.c files (not part of the public API):
 * the service-account key file, metadata-server reads, base64url and a few small
 * string utilities.
 */
#ifndef GCP_AUTH_INTERNAL_H
#define GCP_AUTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ff.h"

/* Google's token endpoint, used when a key file has no token_uri. */
#define GCP_AUTH_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
/* Scopes every access token carries: Cloud Tasks (cloud-platform) and Firestore (datastore). */
#define GCP_AUTH_SCOPES                                                                                      \
    "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/datastore"

/* A parsed service-account key file. Strings are owned by the struct. */
typedef struct gcp_sa_key {
    char *path;
    char *client_email;
    char *private_key;    /* PEM */
    char *private_key_id; /* may be NULL */
    char *token_uri;
    char *project_id; /* may be NULL */
} gcp_sa_key;

/*
 * The key file named by GOOGLE_APPLICATION_CREDENTIALS, loaded once and cached.
 * Returns 0 and sets *out to NULL when the variable is unset or empty; 0 and a pointer
 * owned by the cache (valid until gcp_auth_reset) when loaded; or GCP_AUTH_ERR_KEYFILE
 * with err naming the file and the problem.
 */
int gcp_sa_key_get(const gcp_sa_key **out, ff_error *err);
void gcp_sa_key_reset(void);

/*
 * Builds the signed RS256 JWT assertion for the token exchange, valid from now_s for
 * lifetime_s seconds. Returns a malloc'd string (caller frees), or NULL with err set.
 */
char *gcp_sa_key_assertion(const gcp_sa_key *key, int64_t now_s, int lifetime_s, ff_error *err);

/* Empty the access-token cache and the project/e-mail cache (gcp_auth_reset). */
void gcp_auth_token_reset(void);
void gcp_auth_project_reset(void);

/* "host[:port]" of the metadata server: GCE_METADATA_HOST or metadata.google.internal. */
const char *gcp_metadata_host(void);

/*
 * GETs http://<metadata host><path> with Metadata-Flavor: Google. On 200 returns 0 and
 * *body_out (malloc'd, caller frees); otherwise GCP_AUTH_ERR_METADATA with err naming
 * the metadata server and what went wrong.
 */
int gcp_metadata_get(const char *path, char **body_out, ff_error *err);

/* Decodes base64url (padding optional). Returns malloc'd bytes (NUL-terminated, caller
 * frees) and their length in *len, or NULL when the input is not base64url. */
unsigned char *gcp_b64url_decode(const char *in, size_t in_len, size_t *len);
/* Encodes standard base64 with padding. Returns a malloc'd string (caller frees). */
char *gcp_b64_encode(const unsigned char *in, size_t len);

/* malloc'd copy of s (caller frees); NULL when s is NULL or allocation fails. */
char *gcp_strdup_or_null(const char *s);
/* getenv, but an empty value counts as unset. */
const char *gcp_env(const char *name);
/* Reads a whole file; malloc'd, NUL-terminated (caller frees); NULL with errno set. */
char *gcp_read_file(const char *path, size_t max_len, size_t *len);

#endif
