/*
 * gcp_http.c - outbound HTTP on libcurl for Google APIs: a pool of reusable easy handles
 * (each keeps its connections alive between calls), a share handle for DNS and TLS
 * sessions, per-attempt timeouts, and retries with backoff that never repeat a write
 * that may have landed (policy in gcp/http.h). libcurl is loaded at the first call
 * (gcp_curl.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gcp/http.h"
#include "gcp_curl.h"

#define POOL_MAX           64
#define BODY_MAX           ((size_t)64 << 20) /* a larger response is a bug or an attack */
#define BACKOFF_BASE_MS    100
#define BACKOFF_MAX_MS     5000
#define RETRY_AFTER_MAX_MS 30000

/* ---- process-wide state ----------------------------------------------------------- */

/*
 * Connections are not put in the share handle: libcurl does not support sharing the
 * connection cache between concurrent threads. Instead idle easy handles wait in a pool
 * and keep their own connection caches, so a call on any thread reuses a warm handle.
 */
static struct {
    pthread_once_t once;
    const gcp_curl_api *curl; /* NULL: libcurl could not be loaded (init_err says why) */
    ff_error init_err;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL *pool[POOL_MAX];
    int n_pool;
} g_http = {.once = PTHREAD_ONCE_INIT, .pool_lock = PTHREAD_MUTEX_INITIALIZER};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    if (data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&g_http.share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    if (data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&g_http.share_locks[data]);
}

static void http_init_once(void)
{
    if ((g_http.curl = gcp_curl_load(&g_http.init_err)) == NULL)
        return;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&g_http.share_locks[i], NULL);
    g_http.share = g_http.curl->share_init();
    if (g_http.share == NULL)
        return; /* works without sharing, only slower */
    g_http.curl->share_setopt(g_http.share, CURLSHOPT_LOCKFUNC, share_lock);
    g_http.curl->share_setopt(g_http.share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    g_http.curl->share_setopt(g_http.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    g_http.curl->share_setopt(g_http.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

/* Callbacks of every handle; defined with the attempt below. */
static size_t on_body(char *data, size_t size, size_t n, void *arg);
static size_t on_header(char *line, size_t size, size_t n, void *arg);
static int on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port);

/*
 * A new handle with the options every call shares, set once: a pooled handle keeps them
 * and a call sets only what differs (perform_once). Resetting the handle and setting them
 * all again after each call cost a tenth of this file's CPU per call.
 */
static CURL *handle_new(void)
{
    CURL *h = g_http.curl->easy_init();
    if (h == NULL)
        return NULL;
    g_http.curl->easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* signals do not mix with worker threads */
    if (g_http.share != NULL)
        g_http.curl->easy_setopt(h, CURLOPT_SHARE, g_http.share);
    g_http.curl->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    g_http.curl->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* A handle talks to one or two hosts (Firestore, Cloud Tasks): two cached connections
     * each keep the process at most 2 * POOL_MAX idle sockets after any burst. */
    g_http.curl->easy_setopt(h, CURLOPT_MAXCONNECTS, 2L);
    g_http.curl->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl can decode */
    g_http.curl->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    g_http.curl->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    g_http.curl->easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    return h;
}

static CURL *pool_take(void)
{
    CURL *h = NULL;
    pthread_mutex_lock(&g_http.pool_lock);
    if (g_http.n_pool > 0)
        h = g_http.pool[--g_http.n_pool];
    pthread_mutex_unlock(&g_http.pool_lock);
    return h != NULL ? h : handle_new();
}

/* Returns h to the pool, connections open, without the options that point at the
 * finished call's memory (the next call sets every per-call option again). */
static void pool_give(CURL *h)
{
    g_http.curl->easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    g_http.curl->easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    g_http.curl->easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    g_http.curl->easy_setopt(h, CURLOPT_WRITEDATA, NULL);
    g_http.curl->easy_setopt(h, CURLOPT_HEADERDATA, NULL);
    g_http.curl->easy_setopt(h, CURLOPT_PREREQDATA, NULL);
    pthread_mutex_lock(&g_http.pool_lock);
    if (g_http.n_pool < POOL_MAX) {
        g_http.pool[g_http.n_pool++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&g_http.pool_lock);
    if (h != NULL)
        g_http.curl->easy_cleanup(h);
}

/* ---- one attempt ------------------------------------------------------------------ */

typedef struct attempt {
    gcp_http_response *res;
    size_t cap;
    int too_large;
    long retry_after_ms; /* from Retry-After, -1 if absent */
    size_t headers_len;  /* of res->headers */
    size_t headers_cap;
    int sends;     /* times libcurl sent the request during this attempt */
    int no_repeat; /* GCP_HTTP_NO_RETRY: a second send is refused */
} attempt;

/* Requests this thread has sent (each attempt counts): handlers report round trips. */
static __thread unsigned long t_requests;

/*
 * Called by libcurl before each send of the request. libcurl sends a request again by
 * itself when a reused keep-alive connection dies before the first byte of the answer,
 * although the request may have reached the server and been applied: a retry in all but
 * name. It is counted as an attempt, and refused for a request that must not be repeated.
 */
static int on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    attempt *a = arg;
    (void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
    if (a->sends++ == 0)
        return CURL_PREREQFUNC_OK;
    a->res->attempts++;
    t_requests++;
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

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    attempt *a = arg;
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

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    attempt *a = arg;
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

static struct curl_slist *build_headers(const gcp_http_request *req)
{
    struct curl_slist *list = NULL;
    int has_type = 0;
    char line[8192];
    for (size_t i = 0; i < req->n_headers; i++) {
        if (strcasecmp(req->headers[i].name, "Content-Type") == 0)
            has_type = 1;
        /* "Name;" is curl's way to send a header with an empty value */
        if (req->headers[i].value[0] == '\0')
            snprintf(line, sizeof(line), "%s;", req->headers[i].name);
        else
            snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, req->headers[i].value);
        list = g_http.curl->slist_append(list, line);
    }
    if (req->body != NULL && !has_type)
        list = g_http.curl->slist_append(list, "Content-Type: application/json");
    /* 100-continue would stall every POST over HTTP/1.1 by a round trip */
    list = g_http.curl->slist_append(list, "Expect:");
    return list;
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
        g_http.curl->easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        g_http.curl->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
    } else
        g_http.curl->easy_setopt(h, CURLOPT_HTTPGET, 1L);
    g_http.curl->easy_setopt(h, CURLOPT_CUSTOMREQUEST, is_get || is_post ? NULL : req->method);
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

static CURLcode perform_once(CURL *h, const gcp_http_request *req, struct curl_slist *hdrs, attempt *a)
{
    g_http.curl->easy_setopt(h, CURLOPT_URL, req->url);
    g_http.curl->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                             req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 5000L);
    g_http.curl->easy_setopt(h, CURLOPT_TIMEOUT_MS, attempt_timeout_ms(req));
    g_http.curl->easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    g_http.curl->easy_setopt(h, CURLOPT_WRITEDATA, a);
    g_http.curl->easy_setopt(h, CURLOPT_HEADERDATA, a);
    g_http.curl->easy_setopt(h, CURLOPT_PREREQDATA, a);
    set_method(h, req);
    CURLcode rc = g_http.curl->easy_perform(h);
    if (rc == CURLE_OK)
        g_http.curl->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->res->status);
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
            strpbrk(req->headers[i].value, "\r\n") != NULL)
            return ff_error_set(err, GCP_HTTP_ERR_ARG, "http: invalid header %zu", i);
    return 0;
}

int gcp_http_init(ff_error *err)
{
    pthread_once(&g_http.once, http_init_once);
    if (g_http.curl != NULL)
        return 0;
    return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "%s", g_http.init_err.message);
}

unsigned long gcp_http_thread_requests(void)
{
    return t_requests;
}

static int run_attempts(CURL *h, const gcp_http_request *req, struct curl_slist *hdrs, gcp_http_response *res,
                        ff_error *err)
{
    int max = req->max_attempts > 0 ? req->max_attempts : 4;
    for (;;) {
        attempt a = {.res = res, .retry_after_ms = -1, .no_repeat = req->retry != GCP_HTTP_RETRY_SAFE};
        response_reset(res);
        res->attempts++;
        t_requests++;
        CURLcode rc = perform_once(h, req, hdrs, &a);
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
                                    req->method, req->url, g_http.curl->easy_strerror(rc), res->attempts);
            return GCP_HTTP_OK;
        }
        ff_log(NULL, FF_DEBUG, NULL, "http: %s %s attempt %d failed (%s, status %ld); retrying in %ld ms",
               req->method, req->url, res->attempts, g_http.curl->easy_strerror(rc), res->status, wait);
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
    CURL *h = pool_take();
    if (h == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: curl_easy_init failed");
    struct curl_slist *hdrs = build_headers(req);
    rc = run_attempts(h, req, hdrs, res, err);
    pool_give(h);
    g_http.curl->slist_free_all(hdrs);
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

static void copy_str(char *dst, size_t len, const char *src)
{
    if (dst == NULL || len == 0)
        return;
    snprintf(dst, len, "%s", src ? src : "");
}

int gcp_http_google_error(const char *body, size_t len, char *status, size_t status_len, char *message,
                          size_t message_len)
{
    copy_str(status, status_len, "");
    copy_str(message, message_len, "");
    if (body == NULL || len == 0)
        return 0;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *obj = json_is_array(root) ? json_array_get(root, 0) : root;
    json_t *e = json_object_get(obj, "error");
    int found = json_is_object(e);
    if (found) {
        copy_str(status, status_len, json_string_value(json_object_get(e, "status")));
        copy_str(message, message_len, json_string_value(json_object_get(e, "message")));
    }
    json_decref(root);
    return found;
}
