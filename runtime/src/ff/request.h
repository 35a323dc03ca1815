/*
 * request.h - the invocation objects behind ff_request and ff_response.
 *
 * An ff_request is built on the event-loop thread from h2o's request by copying
 * everything the handler may read (so the handler, on a worker thread, never touches
 * h2o memory), then handed to a worker. The response is filled by the handler and
 * read back on the loop thread once the worker is done.
 */
#ifndef FF_REQUEST_INTERNAL_H
#define FF_REQUEST_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "ff.h"

typedef struct ff_kv {
    char *name;
    char *value;
} ff_kv;

typedef struct ff_kv_list {
    ff_kv *items;
    size_t len, cap;
} ff_kv_list;

/* Appends copies of name and value. Returns 0, or -1 when out of memory. */
int ff_kv_add(ff_kv_list *list, const char *name, size_t name_len, const char *value, size_t value_len);
/* First value whose name matches (case-insensitive if icase); NULL if none. */
const char *ff_kv_get(const ff_kv_list *list, const char *name, int icase);
size_t ff_kv_count(const ff_kv_list *list, const char *name, int icase);
void ff_kv_free(ff_kv_list *list);

struct ff_request {
    char *method;
    char *path;  /* without query */
    char *query; /* raw query string without '?', or "" */
    char *url;   /* the request target as received (for logs); NULL if same as path */
    ff_kv_list headers;
    ff_kv_list query_params; /* decoded, parsed at construction */
    char *body;              /* NUL-terminated copy */
    size_t body_len;
    json_t *json; /* parsed lazily */
    int json_parsed;
    ff_error json_err;
    char trace_id[64];
    const char *function; /* the registered name; lives as long as the app */
    void *userdata;
    int64_t deadline_ms; /* monotonic */
    atomic_int cancelled;
};

struct ff_response {
    int status;
    ff_kv_list headers;
    char *body;
    size_t body_len;
};

/*
 * Initialises req from parts (all copied). `target` is the request target (path plus
 * optional "?query"). Returns 0, or -1 when out of memory.
 */
int ff_request_init(ff_request *req, const char *method, size_t method_len, const char *target,
                    size_t target_len, const char *body, size_t body_len);
void ff_request_dispose(ff_request *req);
/* Extracts the trace ID from X-Cloud-Trace-Context or traceparent into req->trace_id. */
void ff_request_parse_trace(ff_request *req);
void ff_request_cancel(ff_request *req);

void ff_response_init(ff_response *res);
void ff_response_dispose(ff_response *res);

/*
 * Runs def's handler for req, filling res: HTTP functions directly; CloudEvent functions
 * get the event parsed from req (malformed: 400) and answer 200 or 500.
 */
void ff_run_handler(const ff_function_def *def, ff_request *req, ff_response *res);

/* Percent-decodes src[0..len) ('+' as space when plus_space) into a new string; caller frees. */
char *ff_url_decode(const char *src, size_t len, int plus_space);

#endif
