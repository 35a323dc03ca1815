/*
 * firestore_db.c - the Firestore handle (endpoint, project, timeouts), the process-wide
 * default handle, and fs_call: one authenticated REST call whose failures become
 * fs_status codes.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_idtoken.h"
#include "auth_internal.h"
#include "firestore_internal.h"
#include "gcp/auth.h"

#define PRODUCTION_URL "https://firestore.googleapis.com/v1"

/* ---- status codes -------------------------------------------------------------------- */

static const char *const status_names[] = {
    "OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED",
};
#define N_STATUS ((int)(sizeof(status_names) / sizeof(status_names[0])))

const char *fs_status_name(int code)
{
    return code >= 0 && code < N_STATUS ? status_names[code] : "UNKNOWN";
}

fs_status fs_status_from_name(const char *name)
{
    for (int i = 0; name != NULL && i < N_STATUS; i++)
        if (strcmp(name, status_names[i]) == 0)
            return (fs_status)i;
    return FS_UNKNOWN;
}

fs_status fs_status_from_http(long http)
{
    switch (http) {
    case 200:
        return FS_OK;
    case 400:
        return FS_INVALID_ARGUMENT;
    case 401:
        return FS_UNAUTHENTICATED;
    case 403:
        return FS_PERMISSION_DENIED;
    case 404:
        return FS_NOT_FOUND;
    case 409:
        return FS_ABORTED;
    case 412:
        return FS_FAILED_PRECONDITION;
    case 416:
        return FS_OUT_OF_RANGE;
    case 429:
        return FS_RESOURCE_EXHAUSTED;
    case 499:
        return FS_CANCELLED;
    case 500:
        return FS_INTERNAL;
    case 501:
        return FS_UNIMPLEMENTED;
    case 503:
        return FS_UNAVAILABLE;
    case 504:
        return FS_DEADLINE_EXCEEDED;
    default:
        return FS_UNKNOWN;
    }
}

/* ---- handles ------------------------------------------------------------------------- */

/* Project and database IDs go into URLs unencoded, so only plain characters pass. */
static int plain_id(const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 256)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("-_.:~()", *s) != NULL))
            return 0;
    return 1;
}

static const char *emulator_host(const fs_options *o)
{
    const char *h = o->emulator_host ? o->emulator_host : getenv("FIRESTORE_EMULATOR_HOST");
    if (h == NULL || *h == '\0')
        return NULL;
    return strncmp(h, "http://", 7) == 0 ? h + 7 : h;
}

/*
 * The production base URL: FIRESTORE_ENDPOINT ("https://host[:port]", or http to a
 * loopback address, the rule of the ID-token key URLs) + "/v1", else Google's. Calls
 * keep the production path (access token from gcp/auth.h). malloc'd (caller frees), or
 * NULL with err set.
 */
static char *production_url(ff_error *err)
{
    const char *ep = gcp_env("FIRESTORE_ENDPOINT");
    char *url = NULL;
    if (ep != NULL && (!gcp_keys_url_allowed(ep) || strpbrk(ep, "?#@ ") != NULL)) {
        ff_error_set(err, FS_INVALID_ARGUMENT,
                     "firestore: FIRESTORE_ENDPOINT must be https or a loopback address, not %.200s", ep);
        return NULL;
    }
    if (ep == NULL) {
        url = strdup(PRODUCTION_URL);
    } else {
        size_t n = strlen(ep);
        while (n > 0 && ep[n - 1] == '/')
            n--;
        char *trimmed = strndup(ep, n);
        url = trimmed ? ff_concat_alloc(trimmed, "/v1", NULL) : NULL;
        free(trimmed);
    }
    if (url == NULL)
        ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return url;
}

fs_db *fs_db_open(const fs_options *opts, ff_error *err)
{
    fs_options o = {0};
    if (opts != NULL)
        o = *opts;
    const char *host = emulator_host(&o);
    const char *project = o.project_id ? o.project_id : gcp_project_id(err);
    const char *database = o.database_id ? o.database_id : "(default)";
    if (project == NULL)
        return NULL;
    if (!plain_id(project) || !plain_id(database) || (host != NULL && strpbrk(host, "/?#@ ") != NULL)) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: bad project, database or emulator host");
        return NULL;
    }
    char *prod = NULL;
    if (host == NULL && (prod = production_url(err)) == NULL)
        return NULL;
    fs_db *db = calloc(1, sizeof(*db));
    if (db == NULL) {
        free(prod);
        goto oom;
    }
    db->emulator = host != NULL;
    db->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : 20000;
    db->connect_timeout_ms = o.connect_timeout_ms > 0 ? o.connect_timeout_ms : 5000;
    db->max_attempts = o.max_attempts > 0 ? o.max_attempts : 4;
    db->json_flags = o.json_flags;
    db->base_url = host ? ff_concat_alloc("http://", host, "/v1", NULL) : prod;
    db->root = ff_concat_alloc("projects/", project, "/databases/", database, "/documents", NULL);
    if (db->base_url == NULL || db->root == NULL) {
        fs_db_close(db);
        goto oom;
    }
    return db;
oom:
    ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return NULL;
}

void fs_db_close(fs_db *db)
{
    if (db == NULL)
        return;
    free(db->base_url);
    free(db->root);
    free(db);
}

const char *fs_db_root(const fs_db *db)
{
    return db->root;
}

static struct {
    pthread_mutex_t lock;
    fs_db *db;
} g_default = {PTHREAD_MUTEX_INITIALIZER, NULL};

fs_db *fs_db_default(ff_error *err)
{
    pthread_mutex_lock(&g_default.lock);
    if (g_default.db == NULL)
        g_default.db = fs_db_open(NULL, err);
    fs_db *db = g_default.db;
    pthread_mutex_unlock(&g_default.lock);
    return db;
}

/* ---- calls --------------------------------------------------------------------------- */

/* The calling invocation's deadline, in an invocation slot (ff_slot): the invocation may change threads. */
static ff_slot_id g_deadline = FF_SLOT_ID_INIT;

static intptr_t *deadline_ms(void)
{
    return ff_slot(&g_deadline);
}

void fs_set_deadline(int64_t deadline_mono_ms)
{
    *deadline_ms() = (intptr_t)deadline_mono_ms;
}

static int deadline_passed(void)
{
    int64_t d = (int64_t)*deadline_ms();
    return d > 0 && ff_now_mono_ms() >= d;
}

static int auth_header(const fs_db *db, char *out, size_t len, ff_error *err)
{
    if (db->emulator) { /* the emulator's admin identity; no credentials involved */
        snprintf(out, len, "Bearer owner");
        return 0;
    }
    ff_error aerr = {0};
    if (gcp_auth_header(GCP_SERVICE_FIRESTORE, out, len, &aerr) != 0)
        return ff_error_set(err, FS_UNAUTHENTICATED, "firestore: no credentials: %s", aerr.message);
    return 0;
}

/* The REST method a URL calls, for messages: "commit", "runQuery"..., or "get". */
static const char *operation(const char *url_path)
{
    const char *colon = strrchr(url_path, ':');
    return colon != NULL && strchr(colon, '/') == NULL ? colon + 1 : "get";
}

static int map_failure(const char *op, const gcp_http_response *res, ff_error *err)
{
    char status[48], message[200];
    int code;
    if (gcp_http_google_error(res->body, res->body_len, status, sizeof(status), message, sizeof(message)) &&
        status[0] != '\0')
        code = fs_status_from_name(status);
    else {
        code = fs_status_from_http(res->status);
        snprintf(message, sizeof(message), "HTTP %ld", res->status);
    }
    if (code == FS_OK)
        code = FS_UNKNOWN;
    return ff_error_set(err, code, "firestore %s: %s: %s%s", op, fs_status_name(code), message,
                        res->attempts > 1 ? " (after retries)" : "");
}

int fs_call(fs_db *db, const char *method, const char *url_path, const json_t *body, int retry, json_t **out,
            ff_error *err)
{
    size_t len = 0;
    char *text = body ? ff_json_text(body, &len) : NULL;
    if (body != NULL && text == NULL) {
        if (out != NULL)
            *out = NULL;
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    }
    int rc = fs_call_text(db, method, url_path, text, len, retry, out, err);
    free(text);
    return rc;
}

int fs_call_text(fs_db *db, const char *method, const char *url_path, const char *text, size_t text_len,
                 int retry, json_t **out, ff_error *err)
{
    char *answer = NULL;
    size_t len = 0;
    if (out != NULL)
        *out = NULL;
    int rc = fs_call_raw(db, method, url_path, text, text_len, retry, out ? &answer : NULL, &len, err);
    if (rc == 0 && answer != NULL) {
        json_error_t jerr;
        *out = json_loadb(answer, len, JSON_DECODE_ANY, &jerr);
        if (*out == NULL)
            rc = ff_error_set(err, FS_UNKNOWN, "firestore: unreadable response: %s", jerr.text);
    }
    free(answer);
    return rc;
}

int fs_call_raw(fs_db *db, const char *method, const char *url_path, const char *text, size_t text_len,
                int retry, char **answer, size_t *answer_len, ff_error *err)
{
    if (answer != NULL)
        *answer = NULL;
    if (deadline_passed())
        return ff_error_set(err, FS_DEADLINE_EXCEEDED, "firestore: deadline passed before the call");
    char auth[4096];
    int rc = auth_header(db, auth, sizeof(auth), err);
    if (rc != 0)
        return rc;
    char *url = ff_concat_alloc(db->base_url, "/", url_path, NULL);
    if (url == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    gcp_http_header hdr[] = {{"Authorization", auth}, {"Content-Type", "application/json"}};
    gcp_http_request req = {
        .method = method,
        .url = url,
        .headers = hdr,
        .n_headers = text ? 2 : 1,
        .body = text,
        .body_len = text ? text_len : 0,
        .connect_timeout_ms = db->connect_timeout_ms,
        .timeout_ms = db->timeout_ms,
        .retry = retry,
        .max_attempts = db->max_attempts,
        .deadline_mono_ms = (int64_t)*deadline_ms(),
    };
    const char *op = operation(url_path);
    gcp_http_response res;
    ff_error herr = {0};
    rc = gcp_http_do(&req, &res, &herr);
    if (rc != GCP_HTTP_OK && deadline_passed()) /* our own deadline cut the call short */
        rc = ff_error_set(err, FS_DEADLINE_EXCEEDED, "firestore %s: DEADLINE_EXCEEDED: %s", op, herr.message);
    else if (rc != GCP_HTTP_OK)
        rc = ff_error_set(err, FS_UNAVAILABLE, "firestore %s: UNAVAILABLE: %s", op, herr.message);
    else if (res.status < 200 || res.status >= 300)
        rc = map_failure(op, &res, err);
    else if (answer != NULL && res.body_len > 0) {
        *answer = res.body; /* handed over */
        *answer_len = res.body_len;
        res.body = NULL;
    }
    gcp_http_response_free(&res);
    free(url);
    return rc;
}

int fs_stream_item_error(const json_t *item, const char *op, ff_error *err)
{
    json_t *e = json_object_get(item, "error");
    if (e == NULL)
        return 0;
    return ff_error_set(err, fs_status_from_name(json_string_value(json_object_get(e, "status"))),
                        "firestore %s: %s", op, json_string_value(json_object_get(e, "message")));
}
