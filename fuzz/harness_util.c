/*
 * harness_util.c - request splitting, ff_request building and quiet logging for the
 * libFuzzer harnesses (see harness_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../runtime/src/ff/log.h"
#include "harness_util.h"

void fz_fail(const char *file, int line, const char *msg)
{
    fprintf(stderr, "\n==FUZZ PROPERTY VIOLATED== %s:%d: %s\n", file, line, msg);
    fflush(stderr);
    __builtin_trap();
}

/* Next line of [*p, end): returns its start, sets *len (without "\r\n"), advances *p. */
static const char *next_line(const char **p, const char *end, size_t *len)
{
    const char *start = *p;
    const char *nl = memchr(start, '\n', (size_t)(end - start));
    const char *stop = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    *len = (size_t)(stop - start);
    if (*len > 0 && start[*len - 1] == '\r')
        (*len)--;
    return start;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    if (n)
        memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

int fz_http_split(const uint8_t *data, size_t size, fz_http *h)
{
    memset(h, 0, sizeof(*h));
    const char *p = (const char *)data, *end = p + size;
    size_t len;
    const char *line = next_line(&p, end, &len);
    const char *sp = memchr(line, ' ', len);
    h->method_len = sp ? (size_t)(sp - line) : len;
    h->method = dup_bytes(line, h->method_len);
    h->target_len = sp ? len - h->method_len - 1 : 1;
    h->target = sp ? dup_bytes(sp + 1, h->target_len) : strdup("/");
    h->headers = calloc(1, sizeof(char *));
    if (h->method == NULL || h->target == NULL || h->headers == NULL)
        return -1;
    while (p < end) {
        line = next_line(&p, end, &len);
        if (len == 0)
            break;
        char **grown = realloc(h->headers, (h->n_headers + 2) * sizeof(char *));
        if (grown == NULL)
            return -1;
        h->headers = grown;
        h->headers[h->n_headers] = strndup(line, len);
        if (h->headers[h->n_headers] == NULL)
            return -1;
        h->headers[++h->n_headers] = NULL;
    }
    h->body_len = (size_t)(end - p);
    h->body = dup_bytes(p, h->body_len);
    return h->body ? 0 : -1;
}

void fz_http_free(fz_http *h)
{
    free(h->method);
    free(h->target);
    for (size_t i = 0; h->headers && i < h->n_headers; i++)
        free(h->headers[i]);
    free(h->headers);
    free(h->body);
    memset(h, 0, sizeof(*h));
}

int fz_add_headers(ff_request *req, char *const *headers, const char *skip_name)
{
    for (size_t i = 0; headers && headers[i]; i++) {
        const char *colon = strchr(headers[i], ':');
        if (colon == NULL)
            continue;
        size_t name_len = (size_t)(colon - headers[i]);
        if (skip_name && strlen(skip_name) == name_len && strncasecmp(headers[i], skip_name, name_len) == 0)
            continue;
        const char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (ff_kv_add(&req->headers, headers[i], name_len, v, strlen(v)) != 0)
            return -1;
    }
    return 0;
}

int fz_request_from_http(ff_request *req, const fz_http *h, const char *skip_header)
{
    if (ff_request_init(req, h->method, strlen(h->method), h->target, strlen(h->target), h->body,
                        h->body_len) != 0 ||
        fz_add_headers(req, h->headers, skip_header) != 0)
        return -1;
    ff_request_parse_trace(req);
    return 0;
}

void fz_quiet_logs(void)
{
    static FILE *devnull;
    if (devnull == NULL)
        devnull = fopen("/dev/null", "w");
    if (devnull != NULL)
        ff_log_set_stream(devnull);
}

static char *g_log_buf;
static size_t g_log_len;
static FILE *g_log_mem;

void fz_logs_capture(void)
{
    g_log_mem = open_memstream(&g_log_buf, &g_log_len);
    if (g_log_mem != NULL)
        ff_log_set_stream(g_log_mem);
}

void fz_logs_check(void)
{
    if (g_log_mem == NULL)
        return;
    fz_quiet_logs();
    fclose(g_log_mem);
    g_log_mem = NULL;
    for (char *line = g_log_buf, *nl; line != NULL && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        FZ_ASSERT(nl != NULL, "log line without a newline");
        json_t *entry = json_loadb(line, (size_t)(nl - line), 0, NULL);
        FZ_ASSERT(json_is_object(entry), "log line is not a JSON object");
        FZ_ASSERT(json_is_string(json_object_get(entry, "severity")), "log line without severity");
        FZ_ASSERT(json_is_string(json_object_get(entry, "message")), "log line without message");
        json_decref(entry);
    }
    free(g_log_buf);
    g_log_buf = NULL;
    g_log_len = 0;
}

int fz_json_depth(const json_t *v)
{
    int d = 0;
    const char *key;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, m)
        {
            int dm = fz_json_depth(m);
            d = dm > d ? dm : d;
        }
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            int dm = fz_json_depth(m);
            d = dm > d ? dm : d;
        }
    }
    return json_is_object(v) || json_is_array(v) ? d + 1 : d;
}
