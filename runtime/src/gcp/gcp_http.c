/*
 * gcp_http.c - outbound HTTP on libcurl for Google APIs: one call on a pooled easy handle
 * (gcp_http_pool.c), per-attempt timeouts, and retries with backoff that never repeat a
 * write that may have landed (policy in gcp/http.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gcp/http.h"
#include "gcp_http_internal.h"

#define BODY_MAX           ((size_t)64 << 20) /* a larger response is a bug or an attack */
#define BACKOFF_BASE_MS    100
#define BACKOFF_MAX_MS     5000
#define RETRY_AFTER_MAX_MS 30000

/* ---- one attempt ------------------------------------------------------------------ */

typedef struct gcp_http_attempt {
    gcp_http_response *res;
    size_t cap;
    int too_large;
    long retry_after_ms; /* from Retry-After, -1 if absent */
    size_t headers_len;  /* of res->headers */
    size_t headers_cap;
    int sends;     /* times libcurl sent the request during this attempt */
    int no_repeat; /* GCP_HTTP_NO_RETRY: a second send is refused */
} attempt;

/* Requests the calling invocation has sent (each attempt counts): handlers report round
 * trips. Kept in an invocation slot (ff_slot), as the invocation may change threads. */
static ff_slot_id g_requests = FF_SLOT_ID_INIT;

static intptr_t *requests_sent(void)
{
    return ff_slot(&g_requests);
}

/*
 * Called by libcurl before each send of the request. libcurl sends a request again by
 * itself when a reused keep-alive connection dies before the first byte of the answer,
 * although the request may have reached the server and been applied: a retry in all but
 * name. It is counted as an attempt, and refused for a request that must not be repeated.
 */
int gcp_http_on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    attempt *a = ((gcp_http_handle *)arg)->attempt;
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    if (a->sends++ == 0)
        return CURL_PREREQFUNC_OK;
    a->res->attempts++;
    (*requests_sent())++;
    return a->no_repeat ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/*
 * Appends len bytes to the NUL-terminated buffer *buf holding *used bytes, doubling its
 * capacity *cap (from `first`) as needed. 0, or -1 when out of memory (buffer unchanged).
 */
static int append(char **buf, size_t *used, size_t *cap, size_t first, const char *data, size_t len)
{
    if (*used + len + 1 > *cap) {
        size_t grown = *cap ? *cap : first;
        while (grown < *used + len + 1)
            grown *= 2;
        char *p = realloc(*buf, grown);
        if (p == NULL)
            return -1;
        *buf = p;
        *cap = grown;
    }
    memcpy(*buf + *used, data, len);
    *used += len;
    (*buf)[*used] = '\0';
    return 0;
}

size_t gcp_http_on_body(char *data, size_t size, size_t n, void *arg)
{
    attempt *a = ((gcp_http_handle *)arg)->attempt;
    gcp_http_response *res = a->res;
    size_t len = size * n;
    if (res->body_len + len > BODY_MAX) {
        a->too_large = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    return append(&res->body, &res->body_len, &a->cap, 4096, data, len) == 0 ? len : 0;
}

/* Copies the value of header line "Name: value\r\n" if it is `name`; NULL otherwise. */
static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return NULL;
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    return strndup(v, (size_t)(end - v));
}

static void keep_header(char **slot, char *value)
{
    if (value == NULL)
        return;
    free(*slot);
    *slot = value;
}

/* Keeps the raw header lines of the last response (a new status line starts over). */
static void keep_line(attempt *a, const char *line, size_t len)
{
    gcp_http_response *res = a->res;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        a->headers_len = 0;
        if (res->headers != NULL)
            res->headers[0] = '\0';
        return;
    }
    if (len <= 2)
        return;
    append(&res->headers, &a->headers_len, &a->headers_cap, 1024, line, len);
}

size_t gcp_http_on_header(char *line, size_t size, size_t n, void *arg)
{
    attempt *a = ((gcp_http_handle *)arg)->attempt;
    size_t len = size * n;
    keep_line(a, line, len);
    keep_header(&a->res->content_type, header_value(line, len, "Content-Type"));
    keep_header(&a->res->cache_control, header_value(line, len, "Cache-Control"));
    char *ra = header_value(line, len, "Retry-After");
    if (ra != NULL) {
        char *end;
        errno = 0;
        long s = strtol(ra, &end, 10);
        if (errno == 0 && end != ra && *end == '\0' && s >= 0)
            a->retry_after_ms = s > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : s * 1000;
        free(ra);
    }
    return len;
}

static void response_reset(gcp_http_response *res)
{
    int attempts = res->attempts;
    gcp_http_response_free(res);
    res->attempts = attempts;
}

#define HEADER_LINE_MAX 8192 /* "Name: value" and its NUL; longer headers are refused */

/*
 * The call's headers, and two empty ones that keep libcurl's own out: its Accept (any
 * type: it says nothing) and "Expect: 100-continue" (it would stall every POST over
 * HTTP/1.1 by a round trip). No Accept-Encoding: Google's answers to these calls are a few
 * KiB, for which an inflate per answer costs more CPU than the bytes it saves, and
 * libcurl prints the header, like every header line, a byte at a time (about 5 k
 * instructions a call).
 */
static struct curl_slist *build_headers(const gcp_http_request *req)
{
    struct curl_slist *list = NULL;
    int has_type = 0, has_accept = 0;
    char line[HEADER_LINE_MAX];
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name, *value = req->headers[i].value;
        has_type |= strcasecmp(name, "Content-Type") == 0;
        has_accept |= strcasecmp(name, "Accept") == 0;
        /* "Name;" is curl's way to send a header with an empty value; check_request
         * made sure every line fits */
        ff_concat(line, sizeof(line), name, value[0] == '\0' ? ";" : ": ", value, NULL);
        list = gcp_http_lib->slist_append(list, line);
    }
    if (req->body != NULL && !has_type)
        list = gcp_http_lib->slist_append(list, "Content-Type: application/json");
    if (!has_accept)
        list = gcp_http_lib->slist_append(list, "Accept:");
    return gcp_http_lib->slist_append(list, "Expect:");
}

/*
 * The method and body, on a handle that may have served any other call: POSTFIELDS
 * makes curl POST, HTTPGET makes it GET without a body, and CUSTOMREQUEST replaces only
 * the verb (PATCH, DELETE...); it is cleared for GET and POST.
 */
static void set_method(CURL *h, const gcp_http_request *req)
{
    int is_get = strcmp(req->method, "GET") == 0, is_post = strcmp(req->method, "POST") == 0;
    if (req->body != NULL || is_post) {
        gcp_http_lib->easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        gcp_http_lib->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                  (curl_off_t)(req->body ? req->body_len : 0));
    } else
        gcp_http_lib->easy_setopt(h, CURLOPT_HTTPGET, 1L);
    gcp_http_lib->easy_setopt(h, CURLOPT_CUSTOMREQUEST, is_get || is_post ? NULL : req->method);
}

static long attempt_timeout_ms(const gcp_http_request *req)
{
    long t = req->timeout_ms > 0 ? req->timeout_ms : 30000;
    if (req->deadline_mono_ms > 0) {
        int64_t left = req->deadline_mono_ms - ff_now_mono_ms();
        if (left < t)
            t = left < 1 ? 1 : (long)left;
    }
    return t;
}

static CURLcode perform_once(gcp_http_handle *hh, const gcp_http_request *req, struct curl_slist *hdrs,
                             attempt *a)
{
    CURL *h = hh->curl;
    hh->attempt = a;
    gcp_http_lib->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                              req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
    gcp_http_lib->easy_setopt(h, CURLOPT_TIMEOUT_MS, attempt_timeout_ms(req));
    gcp_http_lib->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    set_method(h, req);
    CURLcode rc = gcp_http_handle_perform(hh);
    if (rc == CURLE_OK)
        gcp_http_lib->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->res->status);
    return rc;
}

/* ---- retry policy ------------------------------------------------------------------ */

/* The request never reached the server: retrying cannot duplicate it. */
static int never_sent(CURLcode rc)
{
    return rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR;
}

static int transient_transport(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int transient_status(const gcp_http_response *res)
{
    if (res->status == 429 || res->status == 503)
        return 1;
    if (res->status < 400)
        return 0;
    char status[32];
    if (!gcp_http_google_error(res->body, res->body_len, status, sizeof(status), NULL, 0))
        return 0;
    return strcmp(status, "UNAVAILABLE") == 0 || strcmp(status, "ABORTED") == 0;
}

static int should_retry(const gcp_http_request *req, CURLcode rc, const gcp_http_response *res)
{
    if (rc != CURLE_OK)
        return req->retry == GCP_HTTP_RETRY_SAFE ? transient_transport(rc) : never_sent(rc);
    return req->retry == GCP_HTTP_RETRY_SAFE && transient_status(res);
}

/* Exponential backoff with "equal jitter": half fixed, half random, so the wait grows
 * with each attempt while concurrent callers spread out. */
static long backoff_ms(int attempt_no, long retry_after_ms)
{
    long cap = BACKOFF_BASE_MS;
    for (int i = 1; i < attempt_no && cap < BACKOFF_MAX_MS; i++)
        cap *= 2;
    if (cap > BACKOFF_MAX_MS)
        cap = BACKOFF_MAX_MS;
    unsigned r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        r = (unsigned)ff_now_mono_ms();
    long wait = cap / 2 + (long)(r % (unsigned)(cap / 2 + 1));
    return retry_after_ms > wait ? retry_after_ms : wait;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- public -------------------------------------------------------------------------- */

static int check_request(const gcp_http_request *req, ff_error *err)
{
    if (req == NULL || req->url == NULL || req->method == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_ARG, "http: request without url or method");
    if (req->n_headers > 0 && req->headers == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_ARG, "http: headers missing");
    for (size_t i = 0; i < req->n_headers; i++)
        if (req->headers[i].name == NULL || req->headers[i].value == NULL ||
            req->headers[i].name[0] == '\0' || strpbrk(req->headers[i].name, ":\r\n ") != NULL ||
            strpbrk(req->headers[i].value, "\r\n") != NULL ||
            strlen(req->headers[i].name) + 2 + strlen(req->headers[i].value) >= HEADER_LINE_MAX)
            return ff_error_set(err, GCP_HTTP_ERR_ARG, "http: invalid header %zu", i);
    return 0;
}

int gcp_http_init(ff_error *err)
{
    ff_error why = {0};
    if (gcp_http_curl(&why) != NULL)
        return 0;
    return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "%s", why.message);
}

unsigned long gcp_http_requests_sent(void)
{
    return (unsigned long)*requests_sent();
}

static int run_attempts(gcp_http_handle *hh, const gcp_http_request *req, struct curl_slist *hdrs,
                        gcp_http_response *res, ff_error *err)
{
    int max = req->max_attempts > 0 ? req->max_attempts : 4;
    for (;;) {
        attempt a = {.res = res, .retry_after_ms = -1, .no_repeat = req->retry != GCP_HTTP_RETRY_SAFE};
        response_reset(res);
        res->attempts++;
        (*requests_sent())++;
        CURLcode rc = perform_once(hh, req, hdrs, &a);
        if (a.too_large)
            return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: response from %s over %zu bytes",
                                req->url, BODY_MAX);
        int again = res->attempts < max && should_retry(req, rc, res);
        long wait = again ? backoff_ms(res->attempts, a.retry_after_ms) : 0;
        if (again && req->deadline_mono_ms > 0 && ff_now_mono_ms() + wait >= req->deadline_mono_ms)
            again = 0;
        if (!again) {
            if (rc == CURLE_ABORTED_BY_CALLBACK && a.sends > 1)
                return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT,
                                    "http: %s %s: connection lost after the request was sent; not repeated",
                                    req->method, req->url);
            if (rc != CURLE_OK)
                return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: %s %s: %s (after %d attempts)",
                                    req->method, req->url, gcp_http_lib->easy_strerror(rc), res->attempts);
            return GCP_HTTP_OK;
        }
        ff_log(NULL, FF_DEBUG, NULL, "http: %s %s attempt %d failed (%s, status %ld); retrying in %ld ms",
               req->method, req->url, res->attempts, gcp_http_lib->easy_strerror(rc), res->status, wait);
        sleep_ms(wait);
    }
}

int gcp_http_do(const gcp_http_request *req, gcp_http_response *res, ff_error *err)
{
    if (res == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_ARG, "http: no response struct");
    memset(res, 0, sizeof(*res));
    int rc = check_request(req, err);
    if (rc != 0)
        return rc;
    if (gcp_http_init(err) != 0)
        return GCP_HTTP_ERR_TRANSPORT;
    gcp_http_handle *hh = gcp_http_handle_take();
    if (hh == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: curl_easy_init failed");
    gcp_http_handle_target(hh, req->url);
    struct curl_slist *hdrs = build_headers(req);
    rc = run_attempts(hh, req, hdrs, res, err);
    gcp_http_handle_give(hh);
    gcp_http_lib->slist_free_all(hdrs);
    return rc;
}

void gcp_http_response_free(gcp_http_response *res)
{
    if (res == NULL)
        return;
    free(res->body);
    free(res->cache_control);
    free(res->content_type);
    free(res->headers);
    memset(res, 0, sizeof(*res));
}

int gcp_http_google_error(const char *body, size_t len, char *status, size_t status_len, char *message,
                          size_t message_len)
{
    ff_strlcpy(status, status_len, "");
    ff_strlcpy(message, message_len, "");
    if (body == NULL || len == 0)
        return 0;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *obj = json_is_array(root) ? json_array_get(root, 0) : root;
    json_t *e = json_object_get(obj, "error");
    int found = json_is_object(e);
    if (found) {
        ff_strlcpy(status, status_len, json_string_value(json_object_get(e, "status")));
        ff_strlcpy(message, message_len, json_string_value(json_object_get(e, "message")));
    }
    json_decref(root);
    return found;
}
