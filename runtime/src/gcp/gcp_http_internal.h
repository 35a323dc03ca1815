/*
 * gcp_http_internal.h - between the two halves of the HTTP client: gcp_http_pool.c keeps
 * libcurl, the share handle and a pool of configured easy handles, and points a handle at
 * the next call's URL; gcp_http.c runs one call on a handle (attempts, callbacks, retries).
 */
#ifndef GCP_HTTP_INTERNAL_H
#define GCP_HTTP_INTERNAL_H

#include <curl/curl.h>
#include <poll.h>
#include <stdint.h>

#include "ff.h"
#include "gcp_curl.h"

struct gcp_http_attempt;

/* Sockets a handle's transfer may have libcurl watch at once: libcurl 7.88 asks for at
 * most 5 per transfer (its MAX_SOCKSPEREASYHANDLE), and a multi handle runs one transfer. */
#define GCP_HTTP_WATCH_MAX 8

/* One pooled easy handle and what this client last set on it. */
#define GCP_HTTP_URL_SLOTS 2

typedef struct gcp_http_handle {
    CURL *curl;
    CURLM *multi; /* runs curl's transfers (gcp_http_handle_perform); NULL: curl_easy_perform */
    /* Parsed URLs lent to curl (CURLOPT_CURLU), one per host the handle talks to (Firestore
     * and Cloud Tasks: a start request alternates between them); NULL entries possible.
     * base[i]: the "scheme://authority" url[i] holds when a later URL may reuse it, else "";
     * url[last] was the last call's. */
    CURLU *url[GCP_HTTP_URL_SLOTS];
    char base[GCP_HTTP_URL_SLOTS][128];
    int last;
    const char *proxy;                /* CURLOPT_PROXY as last set: a string of the proxy snapshot, or NULL */
    int proxy_set;                    /* CURLOPT_PROXY was set at least once */
    struct gcp_http_attempt *attempt; /* the attempt under way: the callbacks' argument */
    /* What multi's transfer waits for (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION):
     * its sockets with POLLIN/POLLOUT for what libcurl wants to know of each, and when
     * libcurl's timer is due (CLOCK_MONOTONIC ns; 0: now; -1: no timer). */
    struct pollfd watch[GCP_HTTP_WATCH_MAX];
    int n_watch;
    int64_t timer_due;
} gcp_http_handle;

/* The libcurl function table once gcp_http_curl has returned it; read only after that. */
extern const gcp_curl_api *gcp_http_lib;

/* The libcurl function table, or NULL with err set when libcurl cannot be loaded. Loads
 * libcurl and sets up the share handle once per process. Thread-safe. */
const gcp_curl_api *gcp_http_curl(ff_error *err);

/* A handle from the pool, or a new one configured with the options every call shares;
 * NULL when libcurl cannot make one. The caller gives it back with gcp_http_handle_give. */
gcp_http_handle *gcp_http_handle_take(void);
void gcp_http_handle_give(gcp_http_handle *hh);

/* Points the handle at url: the URL string, its parsed form, and the proxy the process
 * environment names for its scheme (read once, see gcp_http_pool.c). */
void gcp_http_handle_target(gcp_http_handle *hh, const char *url);

/* Runs the transfer set up on the handle, as curl_easy_perform does; its result. */
CURLcode gcp_http_handle_perform(gcp_http_handle *hh);

/* The callbacks every handle is created with (gcp_http.c); their argument is the handle. */
size_t gcp_http_on_body(char *data, size_t size, size_t n, void *arg);
size_t gcp_http_on_header(char *line, size_t size, size_t n, void *arg);
int gcp_http_on_prereq(void *arg, char *primary_ip, char *local_ip, int primary_port, int local_port);

#endif
