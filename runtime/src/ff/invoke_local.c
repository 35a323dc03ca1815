/*
 * invoke_local.c - ff_invoke_local: runs a function on the calling thread with a request
 * built from arguments, for the local invocation harness and tools. It goes through
 * ff_run_handler (handler.c) like the server's workers, so the handler sees exactly the
 * API it sees under the server.
 */
#include <stdlib.h>
#include <string.h>

#include "request.h"

static int add_headers(ff_request *req, const char *const *headers)
{
    for (size_t i = 0; headers && headers[i]; i++) {
        const char *colon = strchr(headers[i], ':');
        if (colon == NULL)
            continue;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (ff_kv_add(&req->headers, headers[i], (size_t)(colon - headers[i]), v, strlen(v)) != 0)
            return -1;
    }
    return 0;
}

static int take_result(ff_response *res, ff_local_result *out)
{
    out->status = res->status;
    out->n_headers = res->headers.len;
    out->header_names = calloc(res->headers.len + 1, sizeof(char *));
    out->header_values = calloc(res->headers.len + 1, sizeof(char *));
    if (out->header_names == NULL || out->header_values == NULL)
        return -1;
    for (size_t i = 0; i < res->headers.len; i++) {
        out->header_names[i] = res->headers.items[i].name;
        out->header_values[i] = res->headers.items[i].value;
    }
    free(res->headers.items);
    res->headers = (ff_kv_list){0};
    out->body = res->body ? res->body : strdup("");
    out->body_len = res->body ? res->body_len : 0;
    res->body = NULL;
    return out->body ? 0 : -1;
}

int ff_invoke_local(const ff_app *app, const char *name, const char *method, const char *target,
                    const char *const *headers, const char *body, size_t body_len, ff_local_result *out,
                    ff_error *err)
{
    memset(out, 0, sizeof(*out));
    const ff_function_def *def = ff_app_find(app, name);
    if (def == NULL)
        return ff_error_set(err, -1, "unknown function '%s'", name);
    ff_request req;
    ff_response res;
    ff_response_init(&res);
    int rc = ff_request_init(&req, method, strlen(method), target, strlen(target), body ? body : "",
                             body ? body_len : 0);
    if (rc == 0)
        rc = add_headers(&req, headers);
    if (rc == 0) {
        ff_request_parse_trace(&req);
        req.function = def->name;
        req.userdata = def->userdata;
        req.deadline_ms = ff_now_mono_ms() + (int64_t)def->timeout_s * 1000;
        ff_run_handler(def, &req, &res);
        rc = take_result(&res, out);
    }
    ff_request_dispose(&req);
    ff_response_dispose(&res);
    if (rc != 0) {
        ff_local_result_free(out);
        return ff_error_set(err, -1, "out of memory");
    }
    return 0;
}

void ff_local_result_free(ff_local_result *res)
{
    for (size_t i = 0; i < res->n_headers; i++) {
        free(res->header_names ? res->header_names[i] : NULL);
        free(res->header_values ? res->header_values[i] : NULL);
    }
    free(res->header_names);
    free(res->header_values);
    free(res->body);
    memset(res, 0, sizeof(*res));
}
