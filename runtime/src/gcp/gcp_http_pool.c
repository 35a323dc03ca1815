/*
 * gcp_http_pool.c - the client's process-wide libcurl state: the library (loaded at the
 * first call, gcp_curl.h), a share handle for DNS and TLS sessions, and a pool of easy
 * handles that keep their connections and options between calls. Also points a handle at
 * a call's URL as cheaply as libcurl allows (gcp_http_handle_target) and runs its
 * transfer (gcp_http_handle_perform). Figures: docs/performance.md, "libcurl per call".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "gcp_http_internal.h"

#define POOL_MAX    64
#define WAIT_MAX_MS 1000 /* the longest poll() of a transfer, as curl_easy_perform's */

const gcp_curl_api *gcp_http_lib;

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
    gcp_http_handle *pool[POOL_MAX];
    int n_pool;
} g_http = {.once = PTHREAD_ONCE_INIT, .pool_lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The proxy environment, read once when the client starts. libcurl would read it on every
 * call (five getenv and as many copies); with CURLOPT_PROXY and CURLOPT_NOPROXY set from
 * this snapshot it does not, and chooses the same proxy: <scheme>_proxy (for https also
 * HTTPS_PROXY; never HTTP_PROXY, as libcurl), else all_proxy / ALL_PROXY, none for a host
 * no_proxy / NO_PROXY names. An empty value counts as unset. "" = no proxy.
 */
static struct {
    const char *http, *https, *no;
} g_proxy;

/* The value of the first of the variables set and not empty, copied; "" if none. */
static const char *env_first(const char *a, const char *b, const char *c, const char *d)
{
    const char *names[] = {a, b, c, d};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = names[i] != NULL ? getenv(names[i]) : NULL;
        if (v != NULL && v[0] != '\0')
            return strdup(v) ?: ""; /* lives for the process's lifetime */
    }
    return "";
}

static void proxy_snapshot(void)
{
    g_proxy.http = env_first("http_proxy", "all_proxy", "ALL_PROXY", NULL);
    g_proxy.https = env_first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY");
    g_proxy.no = env_first("no_proxy", "NO_PROXY", NULL, NULL);
}

/* The proxy for url's scheme; NULL for another scheme (libcurl then looks itself). */
static const char *proxy_for(const char *url)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return g_proxy.https;
    if (strncasecmp(url, "http://", 7) == 0)
        return g_proxy.http;
    return NULL;
}

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
    gcp_http_lib = g_http.curl;
    proxy_snapshot();
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

const gcp_curl_api *gcp_http_curl(ff_error *err)
{
    pthread_once(&g_http.once, http_init_once);
    if (g_http.curl == NULL)
        ff_error_set(err, g_http.init_err.code, "%s", g_http.init_err.message);
    return g_http.curl;
}

static void handle_free(gcp_http_handle *hh)
{
    g_http.curl->easy_cleanup(hh->curl);
    if (hh->multi != NULL)
        g_http.curl->multi_cleanup(hh->multi);
    for (int i = 0; i < GCP_HTTP_URL_SLOTS; i++)
        if (hh->url[i] != NULL)
            g_http.curl->url_cleanup(hh->url[i]);
    free(hh);
}

/*
 * A new handle with the options every call shares, set once: a pooled handle keeps them
 * and a call sets only what differs. Resetting the handle and setting them all again
 * after each call cost a tenth of the client's own CPU per call.
 */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp);
static int on_timer(CURLM *multi, long ms, void *arg);

static gcp_http_handle *handle_new(void)
{
    const gcp_curl_api *c = g_http.curl;
    gcp_http_handle *hh = calloc(1, sizeof(*hh));
    if (hh == NULL || (hh->curl = c->easy_init()) == NULL) {
        free(hh);
        return NULL;
    }
    for (int i = 0; i < GCP_HTTP_URL_SLOTS; i++)
        hh->url[i] = c->url(); /* NULL: calls pass the URL string only, as before */
    hh->timer_due = -1;
    if ((hh->multi = c->multi_init()) != NULL) {
        c->multi_setopt(hh->multi, CURLMOPT_MAXCONNECTS, 2L); /* its cache holds the connections */
        c->multi_setopt(hh->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        c->multi_setopt(hh->multi, CURLMOPT_SOCKETDATA, hh);
        c->multi_setopt(hh->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        c->multi_setopt(hh->multi, CURLMOPT_TIMERDATA, hh);
    }
    CURL *h = hh->curl;
    c->easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* signals do not mix with worker threads */
    if (g_http.share != NULL)
        c->easy_setopt(h, CURLOPT_SHARE, g_http.share);
    c->easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    c->easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* A handle talks to one or two hosts (Firestore, Cloud Tasks): two cached connections
     * each keep the process at most 2 * POOL_MAX idle sockets after any burst. */
    c->easy_setopt(h, CURLOPT_MAXCONNECTS, 2L);
    c->easy_setopt(h, CURLOPT_NOPROXY, g_proxy.no);
    c->easy_setopt(h, CURLOPT_WRITEFUNCTION, gcp_http_on_body);
    c->easy_setopt(h, CURLOPT_HEADERFUNCTION, gcp_http_on_header);
    c->easy_setopt(h, CURLOPT_PREREQFUNCTION, gcp_http_on_prereq);
    c->easy_setopt(h, CURLOPT_WRITEDATA, hh);
    c->easy_setopt(h, CURLOPT_HEADERDATA, hh);
    c->easy_setopt(h, CURLOPT_PREREQDATA, hh);
    return hh;
}

gcp_http_handle *gcp_http_handle_take(void)
{
    gcp_http_handle *hh = NULL;
    pthread_mutex_lock(&g_http.pool_lock);
    if (g_http.n_pool > 0)
        hh = g_http.pool[--g_http.n_pool];
    pthread_mutex_unlock(&g_http.pool_lock);
    return hh != NULL ? hh : handle_new();
}

/* Back to the pool with its connections open, without the options that point at the
 * finished call's memory (the next call sets them again). */
void gcp_http_handle_give(gcp_http_handle *hh)
{
    g_http.curl->easy_setopt(hh->curl, CURLOPT_HTTPHEADER, NULL);
    g_http.curl->easy_setopt(hh->curl, CURLOPT_POSTFIELDS, NULL);
    hh->attempt = NULL;
    pthread_mutex_lock(&g_http.pool_lock);
    if (g_http.n_pool < POOL_MAX) {
        g_http.pool[g_http.n_pool++] = hh;
        hh = NULL;
    }
    pthread_mutex_unlock(&g_http.pool_lock);
    if (hh != NULL)
        handle_free(hh);
}

/*
 * The length of url's "scheme://authority" when both are plain (letters, digits and
 * ".-:[]" in the authority: no user info, nothing libcurl would decode or reject), else 0.
 */
static size_t plain_base(const char *url)
{
    const char *p = url;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
        p++;
    if (p == url || strncmp(p, "://", 3) != 0)
        return 0;
    for (p += 3; *p != '/'; p++)
        if (*p == '\0' || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                            (*p >= '0' && *p <= '9') || strchr(".-:[]", *p) != NULL))
            return 0;
    return (size_t)(p - url);
}

/* Characters libcurl's URL parser keeps as written in a path or query: unreserved and
 * sub-delimiters, ':', '@', '/' and '?' (not '%', '#', space or control). */
static int plain_char(unsigned char ch)
{
    static const char set[] = "-._~!$&'()*+,;=:@/?";
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch != '\0' && memchr(set, ch, sizeof(set) - 1) != NULL);
}

/*
 * 1 when libcurl's parser keeps the target "/path[?query]" exactly as written: more than
 * "/", only plain characters, no dot segment for it to remove, a query not empty.
 */
static int plain_target(const char *t)
{
    if (t[0] != '/' || t[1] == '\0' || t[1] == '?')
        return 0;
    int in_query = 0;
    for (const char *p = t; *p != '\0'; p++) {
        if (*p == '?' && !in_query) {
            in_query = 1;
            if (p[1] == '\0')
                return 0;
        } else if (*p == '.' && !in_query && p[-1] == '/')
            return 0;
        else if (!plain_char((unsigned char)*p))
            return 0;
    }
    return 1;
}

/* Parses url into hh->url[i] as libcurl would (its own flags, a cleared handle); 0 or -1. */
static int parse_url(gcp_http_handle *hh, int i, const char *url)
{
    const gcp_curl_api *c = g_http.curl;
    hh->base[i][0] = '\0';
    if (hh->url[i] == NULL || c->url_set(hh->url[i], CURLUPART_URL, NULL, 0) != CURLUE_OK ||
        c->url_set(hh->url[i], CURLUPART_URL, url, CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK)
        return -1;
    size_t n = plain_base(url);
    if (n > 0 && n < sizeof(hh->base[i]) && plain_target(url + n)) {
        memcpy(hh->base[i], url, n);
        hh->base[i][n] = '\0';
    }
    return 0;
}

/* The slot whose plain base url starts with (followed by its path), or -1. */
static int slot_of(const gcp_http_handle *hh, const char *url)
{
    for (int i = 0; i < GCP_HTTP_URL_SLOTS; i++) {
        size_t n = strlen(hh->base[i]);
        if (n > 0 && strncmp(url, hh->base[i], n) == 0 && url[n] == '/')
            return i;
    }
    return -1;
}

/* Replaces the path and query of hh->url[i], whose plain base url shares: what a parse of
 * url would give, without the parse. 0, or -1 when url needs the full parse. */
static int reuse_url(gcp_http_handle *hh, int i, const char *url)
{
    const gcp_curl_api *c = g_http.curl;
    const char *target = url + strlen(hh->base[i]);
    if (!plain_target(target))
        return -1;
    const char *q = strchr(target, '?');
    char path[2048];
    size_t plen = q != NULL ? (size_t)(q - target) : strlen(target);
    if (plen >= sizeof(path))
        return -1;
    memcpy(path, target, plen);
    path[plen] = '\0';
    if (c->url_set(hh->url[i], CURLUPART_PATH, path, 0) != CURLUE_OK ||
        c->url_set(hh->url[i], CURLUPART_QUERY, q != NULL ? q + 1 : NULL, 0) != CURLUE_OK) {
        hh->base[i][0] = '\0';
        return -1;
    }
    return 0;
}

/*
 * libcurl parses a URL string at every transfer and then prints it back whole from the
 * parsed parts, a byte at a time (a tenth of its instructions per call). Handed the URL
 * already parsed (CURLOPT_CURLU, which takes precedence over CURLOPT_URL) with the string
 * beside it, it does neither. A handle keeps one parsed URL per host it talks to, and
 * calls to a host mostly differ in the path: then only the path and query are replaced.
 * A new host takes the slot not used last. A URL that does not parse goes to libcurl as
 * a string, which reports the error as before.
 */
static void target_url(gcp_http_handle *hh, const char *url)
{
    const gcp_curl_api *c = g_http.curl;
    c->easy_setopt(hh->curl, CURLOPT_URL, url);
    int i = slot_of(hh, url);
    if (i < 0 || reuse_url(hh, i, url) != 0) {
        i = i >= 0 ? i : (hh->last + 1) % GCP_HTTP_URL_SLOTS;
        if (parse_url(hh, i, url) != 0)
            i = -1;
    }
    if (i >= 0)
        hh->last = i;
    c->easy_setopt(hh->curl, CURLOPT_CURLU, i >= 0 ? hh->url[i] : NULL);
}

void gcp_http_handle_target(gcp_http_handle *hh, const char *url)
{
    target_url(hh, url);
    const char *proxy = proxy_for(url);
    if (!hh->proxy_set || hh->proxy != proxy) {
        g_http.curl->easy_setopt(hh->curl, CURLOPT_PROXY, proxy);
        hh->proxy = proxy;
        hh->proxy_set = 1;
    }
}

/*
 * The transfer loop. Driven by curl_multi_perform, as curl_easy_perform drives it, libcurl
 * does not know what the last wait saw, so before it reads it polls the socket itself
 * (timeout 0): after a wait that found the answer, a system call for nothing. Driven by
 * curl_multi_socket_action with the readiness our own poll() observed, it uses those bits
 * instead. Its other zero-timeout polls stay: the liveness check of a reused connection
 * and the check right after the request went out (no readiness is known there yet).
 * libcurl says which sockets to watch for what (on_socket) and when its timer is due
 * (on_timer); the loop waits on both. Figures: docs/performance.md.
 */

/* CURLMOPT_SOCKETFUNCTION: what libcurl wants to know of fd from now on, kept in hh->watch.
 * -1 (the transfer fails) if the table is full, which libcurl 7.88 never makes it. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    gcp_http_handle *hh = arg;
    int i = 0;
    while (i < hh->n_watch && hh->watch[i].fd != fd)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < hh->n_watch)
            hh->watch[i] = hh->watch[--hh->n_watch];
        return 0;
    }
    if (i == hh->n_watch) {
        if (i == GCP_HTTP_WATCH_MAX)
            return -1;
        hh->watch[hh->n_watch++].fd = fd;
    }
    hh->watch[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0));
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants CURL_SOCKET_TIMEOUT in ms milliseconds (-1: never). */
static int on_timer(CURLM *multi, long ms, void *arg)
{
    gcp_http_handle *hh = arg;
    hh->timer_due = ms < 0 ? -1 : ms == 0 ? 0 : now_ns() + (int64_t)ms * 1000000;
    return 0;
}

/* How long to wait for a socket: until libcurl's timer, at most WAIT_MAX_MS (rounded up,
 * so that the wait does not end before the timer is due). */
static int wait_ms(const gcp_http_handle *hh)
{
    if (hh->timer_due < 0)
        return WAIT_MAX_MS;
    int64_t left = hh->timer_due == 0 ? 0 : hh->timer_due - now_ns();
    if (left <= 0)
        return 0;
    return left >= (int64_t)WAIT_MAX_MS * 1000000 ? WAIT_MAX_MS : (int)((left + 999999) / 1000000);
}

/* What poll() saw on a socket, in the bits libcurl's own check (Curl_socket_check) would
 * give for the directions it watches: so the transfer takes the paths it took before,
 * e.g. a reset connection is read (and fails as a receive error), not reported as a
 * poll error. */
static int select_bits(const struct pollfd *p)
{
    int bits = 0;
    if ((p->events & POLLIN) && (p->revents & (POLLIN | POLLERR | POLLHUP)))
        bits |= CURL_CSELECT_IN;
    if ((p->events & POLLOUT) && (p->revents & POLLOUT))
        bits |= CURL_CSELECT_OUT;
    if ((p->revents & POLLNVAL) || ((p->events & POLLOUT) && (p->revents & (POLLERR | POLLHUP))))
        bits |= CURL_CSELECT_ERR;
    return bits;
}

/* Waits for what libcurl watches, or its timer, and hands it what happened: every socket
 * poll() found ready with its bits, or the timeout. */
static CURLMcode wait_and_act(gcp_http_handle *hh, int *running)
{
    const gcp_curl_api *c = g_http.curl;
    struct pollfd fds[GCP_HTTP_WATCH_MAX];
    int n = hh->n_watch; /* a copy: the actions below change hh->watch */
    memcpy(fds, hh->watch, (size_t)n * sizeof(fds[0]));
    int ready = ff_poll(fds, (nfds_t)n, wait_ms(hh));
    if (ready < 0 && errno != EINTR)
        return CURLM_UNRECOVERABLE_POLL;
    if (ready <= 0)
        return c->multi_socket_action(hh->multi, CURL_SOCKET_TIMEOUT, 0, running);
    CURLMcode mc = CURLM_OK;
    for (int i = 0; i < n && mc == CURLM_OK; i++)
        if (fds[i].revents != 0)
            mc = c->multi_socket_action(hh->multi, fds[i].fd, select_bits(&fds[i]), running);
    return mc;
}

/*
 * Runs the transfer as curl_easy_perform would, with the same result and the same mapping
 * of multi errors. When libcurl's timer says "now" (a transfer just added; more to do on
 * what it has read, as HTTP/2 asks), the loop runs it without a poll() first: libcurl
 * checks the sockets it needs itself when the readiness is not given. Not twice in a
 * row, so a timer that stays at 0 always meets a poll(), as curl_multi_perform's loop
 * does, and never spins without one.
 */
CURLcode gcp_http_handle_perform(gcp_http_handle *hh)
{
    const gcp_curl_api *c = g_http.curl;
    if (hh->multi == NULL || c->multi_add_handle(hh->multi, hh->curl) != CURLM_OK)
        return c->easy_perform(hh->curl);
    CURLcode rc = CURLE_OK;
    CURLMcode mc = CURLM_OK;
    int running = 1, left, at_once = 0;
    hh->timer_due = 0; /* the transfer is due at once */
    while (mc == CURLM_OK) {
        if (running == 0) {
            CURLMsg *msg = c->multi_info_read(hh->multi, &left);
            if (msg != NULL && msg->msg == CURLMSG_DONE) {
                rc = msg->data.result;
                break;
            }
        }
        at_once = hh->timer_due == 0 && !at_once;
        mc = at_once ? c->multi_socket_action(hh->multi, CURL_SOCKET_TIMEOUT, 0, &running)
                     : wait_and_act(hh, &running);
    }
    if (mc != CURLM_OK)
        rc = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_BAD_FUNCTION_ARGUMENT;
    c->multi_remove_handle(hh->multi, hh->curl);
    hh->n_watch = 0; /* libcurl watches nothing without a transfer; after an error, too */
    hh->timer_due = -1;
    return rc;
}
