/*
 * cli_invoke.c - `functions invoke NAME`: calls a function with a JSON body or a task
 * payload, over HTTP against a running server or in-process (--local), and prints
 * status, headers and body. Exit status 0 only on 2xx.
 *
 *   functions invoke NAME [--local] [--url BASE] [--method M] [--query K=V]...
 *                         [--header "Name: value"]... [--body JSON | --task JOB SESSION PROJECT]
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
    char *task_body; /* owned */
} invoke_args;

const char cli_invoke_usage[] =
    "usage: functions invoke NAME [--local] [--url BASE] [--method M] [--query K=V]...\n"
    "                        [--header 'Name: value']... [--body JSON | --task JOB SESSION PROJECT]\n"
    "  BASE defaults to $FUNCTIONS_URL or http://127.0.0.1:5001\n";

static int usage(void)
{
    fputs(cli_invoke_usage, stderr);
    return 2;
}

static int parse(invoke_args *a, int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return -1;
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
        else if (strcmp(o, "--header") == 0 && has1 && a->n_headers < MAX_ITEMS)
            a->headers[a->n_headers++] = argv[++i];
        else if (strcmp(o, "--task") == 0 && i + 3 < argc) {
            json_t *t = json_pack("{s:{s:s, s:s, s:s}}", "data", "jobId", argv[i + 1], "sessionId",
                                  argv[i + 2], "projectId", argv[i + 3]);
            free(a->task_body);
            a->task_body = json_dumps(t, JSON_COMPACT);
            json_decref(t);
            a->body = a->task_body;
            i += 3;
        } else
            return -1;
    }
    if (a->body != NULL)
        a->headers[a->n_headers++] = "Content-Type: application/json";
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
    char *t = target(&a);
    int rc = t == NULL ? 2 : a.local ? run_local(app, &a, t) : run_http(&a, t);
    free(t);
    free(a.task_body);
    return rc;
}
