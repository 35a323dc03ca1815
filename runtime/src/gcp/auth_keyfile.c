/*
 * auth_keyfile.c - the service-account key file (GOOGLE_APPLICATION_CREDENTIALS):
 * loads and validates it once, and signs the RS256 JWT assertion that is exchanged for
 * an access token at the key's token_uri.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth_internal.h"
#include "gcp/auth.h"

#define KEYFILE_MAX_BYTES (1024 * 1024)

static pthread_mutex_t g_key_lock = PTHREAD_MUTEX_INITIALIZER;
static gcp_sa_key *g_key;

static void sa_key_free(gcp_sa_key *k)
{
    if (k == NULL)
        return;
    free(k->path);
    free(k->client_email);
    /* the private key is secret: do not leave it in freed memory */
    if (k->private_key)
        OPENSSL_cleanse(k->private_key, strlen(k->private_key));
    free(k->private_key);
    free(k->private_key_id);
    free(k->token_uri);
    free(k->project_id);
    free(k);
}

/* A string field: NULL when absent; sets *bad when present but not a non-empty string. */
static const char *str_field(json_t *obj, const char *name, int *bad)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_string(v) || json_string_length(v) == 0) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* Checks that pem holds an RSA private key OpenSSL can read. */
static int rsa_private_key_ok(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (bio == NULL)
        return 0;
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    int ok = pkey != NULL && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA;
    EVP_PKEY_free(pkey);
    return ok;
}

/* Fills k from the parsed JSON; returns 0 or GCP_AUTH_ERR_KEYFILE with err set. */
static int sa_key_fill(gcp_sa_key *k, json_t *root, ff_error *err)
{
    int bad = 0;
    const char *type = str_field(root, "type", &bad);
    if (type && strcmp(type, "service_account") != 0)
        return ff_error_set(err, GCP_AUTH_ERR_KEYFILE,
                            "key file %s: type is \"%s\", only service_account keys are supported", k->path,
                            type);
    const char *email = str_field(root, "client_email", &bad);
    const char *pem = str_field(root, "private_key", &bad);
    const char *token_uri = str_field(root, "token_uri", &bad);
    const char *kid = str_field(root, "private_key_id", &bad);
    const char *project = str_field(root, "project_id", &bad);
    if (bad)
        return ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: a field is empty or not a string",
                            k->path);
    if (email == NULL || pem == NULL)
        return ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: missing %s", k->path,
                            email == NULL ? "client_email" : "private_key");
    if (!rsa_private_key_ok(pem))
        return ff_error_set(err, GCP_AUTH_ERR_KEYFILE,
                            "key file %s: private_key is not a PEM RSA private key", k->path);
    k->client_email = strdup(email);
    k->private_key = strdup(pem);
    k->token_uri = strdup(token_uri ? token_uri : GCP_AUTH_DEFAULT_TOKEN_URI);
    k->private_key_id = gcp_strdup_or_null(kid);
    k->project_id = gcp_strdup_or_null(project);
    if (!k->client_email || !k->private_key || !k->token_uri || (kid && !k->private_key_id) ||
        (project && !k->project_id))
        return ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: out of memory", k->path);
    return 0;
}

/* Reads and validates the key file at path. Returns a new key (caller frees) or NULL. */
static gcp_sa_key *sa_key_load(const char *path, ff_error *err)
{
    size_t len = 0;
    char *text = gcp_read_file(path, KEYFILE_MAX_BYTES, &len);
    if (text == NULL) {
        ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "GOOGLE_APPLICATION_CREDENTIALS: cannot read %s: %s", path,
                     strerror(errno));
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!json_is_object(root)) {
        ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: not a JSON object (line %d: %s)", path,
                     jerr.line, root ? "not an object" : jerr.text);
        json_decref(root);
        return NULL;
    }
    gcp_sa_key *k = calloc(1, sizeof(*k));
    if (k == NULL || (k->path = strdup(path)) == NULL || sa_key_fill(k, root, err) != 0) {
        if (k == NULL || k->path == NULL)
            ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: out of memory", path);
        sa_key_free(k);
        k = NULL;
    }
    json_decref(root);
    return k;
}

int gcp_sa_key_get(const gcp_sa_key **out, ff_error *err)
{
    *out = NULL;
    const char *path = gcp_env("GOOGLE_APPLICATION_CREDENTIALS");
    if (path == NULL)
        return 0;
    pthread_mutex_lock(&g_key_lock);
    if (g_key == NULL)
        g_key = sa_key_load(path, err);
    *out = g_key;
    pthread_mutex_unlock(&g_key_lock);
    return *out ? 0 : GCP_AUTH_ERR_KEYFILE;
}

void gcp_sa_key_reset(void)
{
    pthread_mutex_lock(&g_key_lock);
    sa_key_free(g_key);
    g_key = NULL;
    pthread_mutex_unlock(&g_key_lock);
}

/* Adds the claims Google's token endpoint checks. Returns 0 or a libjwt errno. */
static int add_claims(jwt_t *jwt, const gcp_sa_key *key, int64_t now_s, int lifetime_s)
{
    int rc = jwt_add_grant(jwt, "iss", key->client_email);
    rc = rc ? rc : jwt_add_grant(jwt, "sub", key->client_email);
    rc = rc ? rc : jwt_add_grant(jwt, "aud", key->token_uri);
    rc = rc ? rc : jwt_add_grant(jwt, "scope", GCP_AUTH_SCOPES);
    rc = rc ? rc : jwt_add_grant_int(jwt, "iat", (long)now_s);
    rc = rc ? rc : jwt_add_grant_int(jwt, "exp", (long)(now_s + lifetime_s));
    if (rc == 0 && key->private_key_id)
        rc = jwt_add_header(jwt, "kid", key->private_key_id);
    return rc;
}

char *gcp_sa_key_assertion(const gcp_sa_key *key, int64_t now_s, int lifetime_s, ff_error *err)
{
    if (lifetime_s <= 0 || lifetime_s > 3600) {
        ff_error_set(err, GCP_AUTH_ERR_ARG, "assertion lifetime must be 1..3600 s");
        return NULL;
    }
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0) {
        ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: out of memory building the assertion",
                     key->path);
        return NULL;
    }
    char *out = NULL;
    int rc = add_claims(jwt, key, now_s, lifetime_s);
    if (rc == 0)
        rc = jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)key->private_key,
                         (int)strlen(key->private_key));
    if (rc == 0)
        out = jwt_encode_str(jwt);
    jwt_free(jwt);
    if (out == NULL)
        ff_error_set(err, GCP_AUTH_ERR_KEYFILE, "key file %s: cannot sign the RS256 assertion (%s)",
                     key->path, strerror(rc ? rc : errno));
    return out;
}
