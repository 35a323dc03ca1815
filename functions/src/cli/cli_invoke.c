/*
 * cli_invoke.c - `functions invoke NAME`: calls a function with a JSON body or a task
 * payload, over HTTP against a running server or in-process (--local), and prints
 * status, headers and body. Exit status 0 only on 2xx.
 *
 *   functions invoke NAME [--local] [--url BASE] [--method M] [--query K=V]...
 *                         [--header "Name: value"]... [--body JSON | --task JOB SESSION PROJECT]
 *                         [--auth anonymous | --auth user:UID | --auth admin:UID]
 * --auth signs in on the Auth emulator ($FIREBASE_AUTH_EMULATOR_HOST) as a new anonymous
 * user, or as the named test user (admin: with the custom claim admin == true, through
 * the emulator's unsigned custom tokens), and sends its ID token as a Bearer token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "gcp/http.h"

enum { MAX_ITEMS = 32 };

typedef struct invoke_args {
    const char *name, *base, *method, *body;
    int local;
    const char *query[MAX_ITEMS], *headers[MAX_ITEMS + 2];
    size_t n_query, n_headers;
    const char *auth; /* --auth value or NULL */
    char *task_body;  /* owned */
    char *auth_line;  /* "Authorization: Bearer ..." (owned) */
} invoke_args;

const char cli_invoke_usage[] =
    "usage: functions invoke NAME [--local] [--url BASE] [--method M] [--query K=V]...\n"
    "                        [--header 'Name: value']... [--body JSON | --task JOB SESSION PROJECT]\n"
    "                        [--auth anonymous | --auth user:UID | --auth admin:UID]\n"
    "  BASE defaults to $FUNCTIONS_URL or http://127.0.0.1:5001\n"
    "  --auth: an ID token from the Auth emulator ($FIREBASE_AUTH_EMULATOR_HOST), sent as Bearer\n";

static int usage(void)
{
    fputs(cli_invoke_usage, stderr);
    return 2;
}

/* Says why option o was refused: an unknown flag, or a known one missing its value. */
static int bad_option(const char *o)
{
    static const char *const known[] = {"--url",  "--method", "--body", "--query",
                                        "--auth", "--header", "--task"};
    const char *why = "unknown flag";
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
        if (strcmp(o, known[k]) == 0)
            why = "missing value (or too many) for";
    fprintf(stderr, "functions invoke: %s %s\n", why, o);
    return -1;
}

static int parse(invoke_args *a, int argc, char **argv)
{
    if (argc < 2)
        return -1;
    if (argv[1][0] == '-')
        return bad_option(argv[1]);
    a->name = argv[1];
    a->method = "POST";
    a->base = getenv("FUNCTIONS_URL") ? getenv("FUNCTIONS_URL") : "http://127.0.0.1:5001";
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i];
        int has1 = i + 1 < argc;
        if (strcmp(o, "--local") == 0)
            a->local = 1;
        else if (strcmp(o, "--url") == 0 && has1)
            a->base = argv[++i];
        else if (strcmp(o, "--method") == 0 && has1)
            a->method = argv[++i];
        else if (strcmp(o, "--body") == 0 && has1)
            a->body = argv[++i];
        else if (strcmp(o, "--query") == 0 && has1 && a->n_query < MAX_ITEMS)
            a->query[a->n_query++] = argv[++i];
        else if (strcmp(o, "--auth") == 0 && has1)
            a->auth = argv[++i];
        else if (strcmp(o, "--header") == 0 && has1 && a->n_headers < MAX_ITEMS)
            a->headers[a->n_headers++] = argv[++i];
        else if (strcmp(o, "--task") == 0 && i + 3 < argc) {
            json_t *t = json_pack("{s:{s:s, s:s, s:s}}", "data", "jobId", argv[i + 1], "sessionId",
                                  argv[i + 2], "projectId", argv[i + 3]);
            free(a->task_body);
            a->task_body = ff_json_text(t, NULL);
            json_decref(t);
            a->body = a->task_body;
            i += 3;
        } else
            return bad_option(o);
    }
    if (a->body != NULL)
        a->headers[a->n_headers++] = "Content-Type: application/json";
    return 0;
}

/*
 * The Auth emulator's sign-in request for spec ("anonymous", "user:UID", "admin:UID"):
 * its REST method and JSON body (caller frees), or -1 for a bad spec. The emulator takes
 * a custom token given as plain JSON, unsigned.
 */
static int sign_in_request(const char *spec, const char **method, char **body)
{
    if (strcmp(spec, "anonymous") == 0) {
        *method = "accounts:signUp";
        *body = strdup("{\"returnSecureToken\":true}");
        return *body ? 0 : -1;
    }
    int admin = strncmp(spec, "admin:", 6) == 0;
    if (!admin && strncmp(spec, "user:", 5) != 0)
        return -1;
    const char *uid = spec + (admin ? 6 : 5);
    if (uid[0] == '\0')
        return -1;
    json_t *token = json_pack("{s:s}", "uid", uid);
    if (admin)
        json_object_set_new(token, "claims", json_pack("{s:b}", "admin", 1));
    char *token_text = ff_json_text(token, NULL);
    json_t *req = json_pack("{s:s, s:b}", "token", token_text ? token_text : "", "returnSecureToken", 1);
    *method = "accounts:signInWithCustomToken";
    *body = ff_json_text(req, NULL);
    free(token_text);
    json_decref(token);
    json_decref(req);
    return *body ? 0 : -1;
}

/* Signs in per a->auth and adds the Authorization header. 0, or 2 (message printed). */
static int add_auth(invoke_args *a)
{
    const char *host = getenv("FIREBASE_AUTH_EMULATOR_HOST");
    if (host == NULL || host[0] == '\0') {
        fputs("invoke: --auth needs the Auth emulator: set FIREBASE_AUTH_EMULATOR_HOST\n", stderr);
        return 2;
    }
    const char *method;
    char *body = NULL;
    if (sign_in_request(a->auth, &method, &body) != 0) {
        fprintf(stderr, "invoke: --auth %s: expected anonymous, user:UID or admin:UID\n", a->auth);
        free(body);
        return 2;
    }
    char url[512];
    snprintf(url, sizeof(url), "http://%s/identitytoolkit.googleapis.com/v1/%s?key=emulator", host, method);
    gcp_http_header ct = {"Content-Type", "application/json"};
    gcp_http_request req = {
        .method = "POST", .url = url, .headers = &ct, .n_headers = 1, .body = body, .body_len = strlen(body)};
    gcp_http_response res = {0};
    ff_error err = {0};
    int rc = gcp_http_do(&req, &res, &err);
    free(body);
    json_t *j = rc == GCP_HTTP_OK && res.status == 200 ? json_loads(res.body, 0, NULL) : NULL;
    const char *token = json_string_value(json_object_get(j, "idToken"));
    /* signUp answers with localId; a custom-token sign-in is for the spec's uid. */
    const char *uid =
        strchr(a->auth, ':') ? strchr(a->auth, ':') + 1 : json_string_value(json_object_get(j, "localId"));
    if (token == NULL || uid == NULL) {
        fprintf(stderr, "invoke: sign-in on the Auth emulator at %s failed: %s\n", host,
                rc != GCP_HTTP_OK ? err.message
                : res.body        ? res.body
                                  : "no body");
        json_decref(j);
        gcp_http_response_free(&res);
        return 2;
    }
    fprintf(stderr, "invoke: signed in on the Auth emulator as %s (%s)\n", uid, a->auth);
    size_t len = strlen(token) + 32;
    a->auth_line = malloc(len);
    if (a->auth_line)
        snprintf(a->auth_line, len, "Authorization: Bearer %s", token);
    json_decref(j);
    gcp_http_response_free(&res);
    if (a->auth_line == NULL)
        return 2;
    a->headers[a->n_headers++] = a->auth_line;
    return 0;
}

/* "/NAME?k=v&..." (values as given: the caller encodes them). Caller frees. */
static char *target(const invoke_args *a)
{
    size_t len = strlen(a->name) + 2;
    for (size_t i = 0; i < a->n_query; i++)
        len += strlen(a->query[i]) + 1;
    char *t = malloc(len + 1);
    if (t == NULL)
        return NULL;
    int n = sprintf(t, "/%s", a->name);
    for (size_t i = 0; i < a->n_query; i++)
        n += sprintf(t + n, "%c%s", i == 0 ? '?' : '&', a->query[i]);
    return t;
}

static int report(long status, const char *headers, const char *body)
{
    printf("HTTP %ld\n%s\n%s\n", status, headers ? headers : "", body ? body : "");
    return status >= 200 && status < 300 ? 0 : 1;
}

static int run_local(const ff_app *app, const invoke_args *a, const char *t)
{
    ff_local_result r;
    ff_error err = {0};
    if (ff_invoke_local(app, a->name, a->method, t, a->headers, a->body, a->body ? strlen(a->body) : 0, &r,
                        &err) != 0) {
        fprintf(stderr, "invoke: %s\n", err.message);
        return 2;
    }
    char *headers = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&headers, &len);
    for (size_t i = 0; mem && i < r.n_headers; i++)
        fprintf(mem, "%s: %s\n", r.header_names[i], r.header_values[i]);
    if (mem)
        fclose(mem);
    int rc = report(r.status, headers, r.body);
    free(headers);
    ff_local_result_free(&r);
    return rc;
}

static int run_http(const invoke_args *a, const char *t)
{
    char url[4096];
    snprintf(url, sizeof(url), "%s%s", a->base, t);
    gcp_http_header hs[MAX_ITEMS + 2];
    char names[MAX_ITEMS + 2][128];
    size_t n = 0;
    for (size_t i = 0; i < a->n_headers; i++) {
        const char *colon = strchr(a->headers[i], ':');
        if (colon == NULL || (size_t)(colon - a->headers[i]) >= sizeof(names[0]))
            continue;
        snprintf(names[n], sizeof(names[n]), "%.*s", (int)(colon - a->headers[i]), a->headers[i]);
        hs[n] = (gcp_http_header){names[n], colon[1] == ' ' ? colon + 2 : colon + 1};
        n++;
    }
    gcp_http_request req = {.method = a->method,
                            .url = url,
                            .headers = hs,
                            .n_headers = n,
                            .body = a->body,
                            .body_len = a->body ? strlen(a->body) : 0,
                            .timeout_ms = 620000};
    gcp_http_response res = {0};
    ff_error err = {0};
    int rc = gcp_http_do(&req, &res, &err);
    if (rc != GCP_HTTP_OK) {
        fprintf(stderr, "invoke: %s\n", err.message);
        gcp_http_response_free(&res);
        return 2;
    }
    rc = report(res.status, res.headers, res.body);
    gcp_http_response_free(&res);
    return rc;
}

int cli_invoke(const ff_app *app, int argc, char **argv)
{
    invoke_args a = {0};
    if (parse(&a, argc, argv) != 0) {
        free(a.task_body);
        return usage();
    }
    int rc = a.auth ? add_auth(&a) : 0;
    char *t = rc ? NULL : target(&a);
    if (t != NULL)
        rc = a.local ? run_local(app, &a, t) : run_http(&a, t);
    else if (rc == 0)
        rc = 2;
    free(t);
    free(a.task_body);
    free(a.auth_line);
    return rc;
}
