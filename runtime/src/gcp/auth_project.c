/*
 * auth_project.c - who and where the process is: the GCP project ID and the service
 * account e-mail, each resolved once from the environment, the key file or the
 * metadata server and then kept. Also gcp_auth_reset, which forgets all of it.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth_internal.h"
#include "gcp/auth.h"

#define METADATA_PROJECT_PATH "/computeMetadata/v1/project/project-id"
#define METADATA_EMAIL_PATH   "/computeMetadata/v1/instance/service-accounts/default/email"
/* What the Admin SDK uses when it runs against emulators without a service account. */
#define EMULATED_SERVICE_ACCOUNT "emulated-service-acct@email.com"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_project; /* kept for the life of the process (until gcp_auth_reset) */
static char *g_email;

/* Removes surrounding whitespace in place (metadata answers are plain text). */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* FIREBASE_CONFIG holds JSON, or the path of a JSON file. Sets *out to a malloc'd
 * projectId or NULL when there is none; returns nonzero when the variable is unusable. */
static int from_firebase_config(const char *cfg, char **out, ff_error *err)
{
    *out = NULL;
    while (isspace((unsigned char)*cfg))
        cfg++;
    json_error_t jerr;
    json_t *root;
    if (*cfg == '{') {
        root = json_loads(cfg, 0, &jerr);
    } else {
        char *text = gcp_read_file(cfg, 1024 * 1024, NULL);
        if (text == NULL)
            return ff_error_set(err, GCP_AUTH_ERR_PROJECT, "FIREBASE_CONFIG: cannot read %s: %s", cfg,
                                strerror(errno));
        root = json_loads(text, 0, &jerr);
        free(text);
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return ff_error_set(err, GCP_AUTH_ERR_PROJECT, "FIREBASE_CONFIG: not a JSON object");
    }
    const char *id = json_string_value(json_object_get(root, "projectId"));
    if (id && id[0])
        *out = strdup(id);
    json_decref(root);
    return 0;
}

/* Sets *out to a malloc'd project ID; returns 0, or nonzero with err set. */
static int resolve_project(char **out, ff_error *err)
{
    const char *v = gcp_env("GOOGLE_CLOUD_PROJECT");
    v = v ? v : gcp_env("GCLOUD_PROJECT");
    if (v)
        return (*out = strdup(v)) ? 0 : ff_error_set(err, GCP_AUTH_ERR_PROJECT, "out of memory");
    if ((v = gcp_env("FIREBASE_CONFIG")) != NULL) {
        if (from_firebase_config(v, out, err) != 0)
            return GCP_AUTH_ERR_PROJECT;
        if (*out)
            return 0;
    }
    const gcp_sa_key *key = NULL;
    if (gcp_sa_key_get(&key, err) != 0)
        return GCP_AUTH_ERR_KEYFILE;
    if (key && key->project_id)
        return (*out = strdup(key->project_id)) ? 0
                                                : ff_error_set(err, GCP_AUTH_ERR_PROJECT, "out of memory");
    char *body = NULL;
    ff_error merr = {0};
    if (gcp_metadata_get(METADATA_PROJECT_PATH, &body, &merr) != 0)
        return ff_error_set(
            err, GCP_AUTH_ERR_PROJECT,
            "no project ID: set GOOGLE_CLOUD_PROJECT (the metadata server fallback failed: %s)",
            merr.message);
    char *id = trim(body);
    *out = id[0] ? strdup(id) : NULL;
    free(body);
    if (*out == NULL)
        return ff_error_set(err, GCP_AUTH_ERR_PROJECT,
                            "no project ID: metadata server answered an empty one");
    return 0;
}

const char *gcp_project_id(ff_error *err)
{
    ff_pin(); /* g_lock is held across the metadata server's answer: stay on this thread */
    pthread_mutex_lock(&g_lock);
    if (g_project == NULL) {
        char *p = NULL;
        if (resolve_project(&p, err) == 0)
            g_project = p;
    }
    const char *r = g_project;
    pthread_mutex_unlock(&g_lock);
    ff_unpin();
    return r;
}

static int resolve_email(char **out, ff_error *err)
{
    const gcp_sa_key *key = NULL;
    if (gcp_sa_key_get(&key, err) != 0)
        return GCP_AUTH_ERR_KEYFILE;
    if (key)
        return (*out = strdup(key->client_email)) ? 0 : ff_error_set(err, GCP_AUTH_ERR_ARG, "out of memory");
    if (gcp_env("CLOUD_TASKS_EMULATOR_HOST") || gcp_env("FIRESTORE_EMULATOR_HOST"))
        return (*out = strdup(EMULATED_SERVICE_ACCOUNT))
                   ? 0
                   : ff_error_set(err, GCP_AUTH_ERR_ARG, "out of memory");
    char *body = NULL;
    int rc = gcp_metadata_get(METADATA_EMAIL_PATH, &body, err);
    if (rc != 0)
        return rc;
    char *email = trim(body);
    *out = email[0] ? strdup(email) : NULL;
    free(body);
    if (*out == NULL)
        return ff_error_set(err, GCP_AUTH_ERR_METADATA, "metadata server %s: empty service-account e-mail",
                            gcp_metadata_host());
    return 0;
}

const char *gcp_auth_service_account_email(ff_error *err)
{
    ff_pin(); /* as gcp_project_id */
    pthread_mutex_lock(&g_lock);
    if (g_email == NULL) {
        char *e = NULL;
        if (resolve_email(&e, err) == 0)
            g_email = e;
    }
    const char *r = g_email;
    pthread_mutex_unlock(&g_lock);
    ff_unpin();
    return r;
}

void gcp_auth_project_reset(void)
{
    pthread_mutex_lock(&g_lock);
    free(g_project);
    free(g_email);
    g_project = g_email = NULL;
    pthread_mutex_unlock(&g_lock);
}

void gcp_auth_reset(void)
{
    gcp_auth_token_reset();
    gcp_auth_project_reset();
    gcp_sa_key_reset();
}
