/*
 * spawn_http.c - the th_* HTTP client of spawn.h on libcurl: one-shot requests, a
 * keep-alive client, and requests on a thread.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spawn_internal.h"

struct th_client {
    CURL *curl;
};

struct th_async {
    pthread_t tid;
    const th_request *req;
    th_response res;
};

/* What a transfer collects while it runs. */
typedef struct {
    FILE *body;
    char *body_buf;
    size_t body_len;
    th_response *res;
    const th_request *req;
    size_t sent;
} transfer;

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- headers ------------------------------------------------------------------------ */

static void headers_clear(th_response *res)
{
    for (size_t i = 0; i < res->n_headers; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    free(res->headers);
    res->headers = NULL;
    res->n_headers = 0;
}

void th_response_add_header(th_response *res, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (colon == NULL)
        return;
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    th_header *h = realloc(res->headers, (res->n_headers + 1) * sizeof(*h));
    if (h == NULL)
        return;
    res->headers = h;
    h[res->n_headers].name = strndup(line, (size_t)(colon - line));
    h[res->n_headers].value = strndup(v, (size_t)(end - v));
    res->n_headers++;
}

/* curl calls this per header line; a status line starts a new response (after 1xx). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t len = size * n;
    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
        headers_clear(t->res);
    else
        th_response_add_header(t->res, data, len);
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    return fwrite(data, size, n, t->body) * size;
}

/* Feeds a chunked upload in pieces of at most 1000 bytes. */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    transfer *t = arg;
    size_t left = t->req->body_len - t->sent, want = size * n;
    if (want > 1000)
        want = 1000;
    if (left < want)
        want = left;
    memcpy(buf, (const char *)t->req->body + t->sent, want);
    t->sent += want;
    return want;
}

const char *th_header_get(const th_response *res, const char *name)
{
    for (size_t i = 0; i < res->n_headers; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

size_t th_header_count(const th_response *res, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < res->n_headers; i++)
        n += strcasecmp(res->headers[i].name, name) == 0;
    return n;
}

static int list_has_token(const char *list, const char *token)
{
    size_t tlen = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m == tlen && strncasecmp(p, token, tlen) == 0)
            return 1;
        p += n;
    }
    return 0;
}

int th_header_has_token(const th_response *res, const char *name, const char *token)
{
    for (size_t i = 0; i < res->n_headers; i++)
        if (strcasecmp(res->headers[i].name, name) == 0 && list_has_token(res->headers[i].value, token))
            return 1;
    return 0;
}

void th_response_free(th_response *res)
{
    if (res == NULL)
        return;
    headers_clear(res);
    free(res->body);
    memset(res, 0, sizeof(*res));
}

/* ---- transfers ------------------------------------------------------------------------ */

static struct curl_slist *request_headers(const th_request *req)
{
    struct curl_slist *list = NULL;
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        list = curl_slist_append(list, req->headers[i]);
    if (req->chunked)
        list = curl_slist_append(list, "Transfer-Encoding: chunked");
    return list;
}

static void set_method(CURL *curl, const th_request *req, transfer *t)
{
    const char *method = req->method ? req->method : (req->body ? "POST" : "GET");
    if (req->body != NULL && req->chunked) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, t);
    } else if (req->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0 || req->body != NULL)
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
}

static int perform(CURL *curl, const th_request *req, th_response *res)
{
    memset(res, 0, sizeof(*res));
    transfer t = {.res = res, .req = req};
    t.body = open_memstream(&t.body_buf, &t.body_len);
    struct curl_slist *hdrs = request_headers(req);
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 15000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    set_method(curl, req, &t);
    int64_t start = spawn_now_ms();
    res->error = (int)curl_easy_perform(curl);
    res->elapsed_ms = spawn_now_ms() - start;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
    curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &res->num_connects);
    fclose(t.body);
    res->body = t.body_buf;
    res->body_len = t.body_len;
    curl_slist_free_all(hdrs);
    return res->error;
}

th_client *th_client_new(void)
{
    pthread_once(&g_curl_once, curl_init_once);
    th_client *c = calloc(1, sizeof(*c));
    if (c != NULL && (c->curl = curl_easy_init()) == NULL) {
        free(c);
        c = NULL;
    }
    return c;
}

int th_client_do(th_client *c, const th_request *req, th_response *res)
{
    curl_easy_reset(c->curl); /* options only: the connection cache survives */
    return perform(c->curl, req, res);
}

void th_client_free(th_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    free(c);
}

int th_http(const th_request *req, th_response *res)
{
    th_client *c = th_client_new();
    if (c == NULL) {
        memset(res, 0, sizeof(*res));
        res->body = calloc(1, 1);
        return res->error = CURLE_FAILED_INIT;
    }
    int rc = th_client_do(c, req, res);
    th_client_free(c);
    return rc;
}

int th_get(const char *url, th_response *res)
{
    th_request req = {.url = url};
    return th_http(&req, res);
}

/* ---- requests on threads ------------------------------------------------------------- */

static void *async_main(void *arg)
{
    th_async *a = arg;
    th_http(a->req, &a->res);
    return NULL;
}

th_async *th_async_start(const th_request *req)
{
    pthread_once(&g_curl_once, curl_init_once);
    th_async *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->req = req;
    if (pthread_create(&a->tid, NULL, async_main, a) != 0) {
        free(a);
        return NULL;
    }
    return a;
}

int th_async_join(th_async *a, th_response *res)
{
    if (a == NULL) {
        memset(res, 0, sizeof(*res));
        res->body = calloc(1, 1);
        return res->error = CURLE_FAILED_INIT;
    }
    pthread_join(a->tid, NULL);
    *res = a->res;
    free(a);
    return res->error;
}
