/*
 * request.c - the handler-facing request and response API (ff_req_*, ff_res_*), and
 * the construction of requests from what the server copied out of h2o.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "request.h"

/* ---- key/value lists ---------------------------------------------------------- */

int ff_kv_add(ff_kv_list *list, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (list->len == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 8;
        ff_kv *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return -1;
        list->items = items;
        list->cap = cap;
    }
    char *n = strndup(name, name_len);
    char *v = strndup(value, value_len);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return -1;
    }
    list->items[list->len++] = (ff_kv){n, v};
    return 0;
}

static int name_eq(const char *a, const char *b, int icase)
{
    return icase ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

const char *ff_kv_get(const ff_kv_list *list, const char *name, int icase)
{
    for (size_t i = 0; i < list->len; i++)
        if (name_eq(list->items[i].name, name, icase))
            return list->items[i].value;
    return NULL;
}

size_t ff_kv_count(const ff_kv_list *list, const char *name, int icase)
{
    size_t n = 0;
    for (size_t i = 0; i < list->len; i++)
        n += name_eq(list->items[i].name, name, icase);
    return n;
}

void ff_kv_free(ff_kv_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].name);
        free(list->items[i].value);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

/* ---- URL decoding ------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *ff_url_decode(const char *src, size_t len, int plus_space)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (src[i] == '%' && i + 2 < len && (hi = hex_value(src[i + 1])) >= 0 &&
            (lo = hex_value(src[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (src[i] == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = src[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Nonzero when s[0..n) holds "%00", the one escape that decodes to a NUL byte. */
static int has_nul_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
            return 1;
    return 0;
}

/*
 * Splits "a=1&b=2" into decoded pairs. A key without '=' has the value "". A pair whose
 * name or value decodes to a NUL byte is dropped: as a C string it would read as the
 * text before the NUL ("p1%00x" as "p1"), silently naming something else.
 */
static int parse_query(ff_kv_list *out, const char *q)
{
    while (*q) {
        size_t seg = strcspn(q, "&");
        const char *eq = memchr(q, '=', seg);
        size_t klen = eq ? (size_t)(eq - q) : seg;
        if (seg > 0 && !has_nul_escape(q, seg)) {
            char *k = ff_url_decode(q, klen, 1);
            char *v = eq ? ff_url_decode(eq + 1, seg - klen - 1, 1) : strdup("");
            int rc = (k && v) ? ff_kv_add(out, k, strlen(k), v, strlen(v)) : -1;
            free(k);
            free(v);
            if (rc != 0)
                return -1;
        }
        q += seg;
        if (*q == '&')
            q++;
    }
    return 0;
}

/* ---- construction --------------------------------------------------------------- */

int ff_request_init(ff_request *req, const char *method, size_t method_len, const char *target,
                    size_t target_len, const char *body, size_t body_len)
{
    memset(req, 0, sizeof(*req));
    const char *qmark = memchr(target, '?', target_len);
    size_t path_len = qmark ? (size_t)(qmark - target) : target_len;
    req->method = strndup(method, method_len);
    req->path = strndup(target, path_len);
    req->query = qmark ? strndup(qmark + 1, target_len - path_len - 1) : strdup("");
    req->body = malloc(body_len + 1);
    if (!req->method || !req->path || !req->query || !req->body)
        return -1;
    if (body_len)
        memcpy(req->body, body, body_len);
    req->body[body_len] = '\0';
    req->body_len = body_len;
    atomic_init(&req->cancelled, 0);
    return parse_query(&req->query_params, req->query);
}

void ff_request_dispose(ff_request *req)
{
    free(req->method);
    free(req->path);
    free(req->query);
    free(req->url);
    free(req->body);
    ff_kv_free(&req->headers);
    ff_kv_free(&req->query_params);
    json_decref(req->json);
    memset(req, 0, sizeof(*req));
}

/* X-Cloud-Trace-Context: TRACE_ID/SPAN_ID;o=1 ; traceparent: 00-TRACE_ID-SPAN_ID-01 */
void ff_request_parse_trace(ff_request *req)
{
    const char *v = ff_kv_get(&req->headers, "x-cloud-trace-context", 1);
    size_t n = 0;
    if (v != NULL) {
        n = strcspn(v, "/;");
    } else if ((v = ff_kv_get(&req->headers, "traceparent", 1)) != NULL && strlen(v) >= 36 && v[2] == '-') {
        v += 3;
        n = strcspn(v, "-");
    }
    if (n == 0 || n >= sizeof(req->trace_id))
        return;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)v[i]))
            return;
    memcpy(req->trace_id, v, n);
    req->trace_id[n] = '\0';
}

void ff_request_cancel(ff_request *req)
{
    atomic_store(&req->cancelled, 1);
}

/* ---- request accessors ------------------------------------------------------------ */

const char *ff_req_method(const ff_request *req)
{
    return req->method;
}

const char *ff_req_path(const ff_request *req)
{
    return req->path;
}

const char *ff_req_query(const ff_request *req, const char *name)
{
    return ff_kv_get(&req->query_params, name, 0);
}

size_t ff_req_query_count(const ff_request *req, const char *name)
{
    return ff_kv_count(&req->query_params, name, 0);
}

const char *ff_req_header(const ff_request *req, const char *name)
{
    return ff_kv_get(&req->headers, name, 1);
}

const char *ff_req_body(const ff_request *req, size_t *len)
{
    if (len)
        *len = req->body_len;
    return req->body;
}

json_t *ff_req_json(ff_request *req, ff_error *err)
{
    if (!req->json_parsed) {
        req->json_parsed = 1;
        json_error_t jerr;
        if (req->body_len == 0) {
            ff_error_set(&req->json_err, 1, "empty body");
        } else {
            req->json = json_loadb(req->body, req->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
            if (req->json == NULL)
                ff_error_set(&req->json_err, 1, "invalid JSON at position %d: %s", jerr.position, jerr.text);
        }
    }
    if (req->json == NULL && err != NULL)
        *err = req->json_err;
    return req->json;
}

const char *ff_req_function(const ff_request *req)
{
    return req->function ? req->function : "";
}

const char *ff_req_trace_id(const ff_request *req)
{
    return req->trace_id;
}

int64_t ff_req_deadline_ms(const ff_request *req)
{
    return req->deadline_ms;
}

int64_t ff_req_remaining_ms(const ff_request *req)
{
    return req->deadline_ms - ff_now_mono_ms();
}

int ff_req_cancelled(const ff_request *req)
{
    return atomic_load(&((ff_request *)req)->cancelled) || ff_req_remaining_ms(req) <= 0;
}

int ff_req_sleep_ms(const ff_request *req, int64_t ms)
{
    int64_t end = ff_now_mono_ms() + ms;
    for (;;) {
        if (ff_req_cancelled(req))
            return -1;
        int64_t left = end - ff_now_mono_ms();
        if (left <= 0)
            return 0;
        int64_t slice = left < 10 ? left : 10; /* wake often enough to notice cancellation */
        ff_poll(NULL, 0, (int)slice);          /* on a worker, it runs others meanwhile */
    }
}

void *ff_req_userdata(const ff_request *req)
{
    return req->userdata;
}

/* ---- response ----------------------------------------------------------------------- */

void ff_response_init(ff_response *res)
{
    memset(res, 0, sizeof(*res));
    res->status = 200;
}

void ff_response_dispose(ff_response *res)
{
    ff_kv_free(&res->headers);
    free(res->body);
    memset(res, 0, sizeof(*res));
}

void ff_res_status(ff_response *res, int status)
{
    res->status = status;
}

void ff_res_header(ff_response *res, const char *name, const char *value)
{
    if (strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0)
        return;
    ff_kv_add(&res->headers, name, strlen(name), value, strlen(value));
}

/* Replaces the body; drops any earlier Content-Type so the last setter wins. */
static void set_body(ff_response *res, int status, const char *content_type, char *owned, size_t len)
{
    free(res->body);
    res->body = owned;
    res->body_len = len;
    res->status = status;
    for (size_t i = 0; i < res->headers.len; i++) {
        if (strcasecmp(res->headers.items[i].name, "content-type") == 0) {
            free(res->headers.items[i].value);
            res->headers.items[i].value = strdup(content_type);
            return;
        }
    }
    ff_res_header(res, "Content-Type", content_type);
}

void ff_res_json(ff_response *res, int status, json_t *body)
{
    size_t len = 4;
    char *text = body ? ff_json_text(body, &len) : strdup("null");
    json_decref(body);
    if (text == NULL) {
        set_body(res, 500, "text/plain; charset=utf-8", strdup("Internal Server Error"), 21);
        return;
    }
    set_body(res, status, "application/json; charset=utf-8", text, len);
}

void ff_res_bytes(ff_response *res, int status, const char *content_type, const void *data, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        res->status = 500;
        return;
    }
    if (len)
        memcpy(copy, data, len);
    copy[len] = '\0';
    set_body(res, status, content_type, copy, len);
}

void ff_res_text(ff_response *res, int status, const char *text)
{
    ff_res_bytes(res, status, "text/plain; charset=utf-8", text, strlen(text));
}
