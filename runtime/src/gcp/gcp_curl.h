/*
 * gcp_curl.h - libcurl loaded at its first use (dlopen) rather than by the dynamic
 * loader at exec: libcurl pulls in 27 more shared libraries (GnuTLS, Kerberos, LDAP...)
 * whose mapping and symbol binding were more than half of the process's start-up, paid
 * before the first request even by functions that never call out (docs/performance.md).
 * Only the HTTP client (gcp_http.c, gcp_http_pool.c) calls libcurl, through this table.
 */
#ifndef GCP_CURL_H
#define GCP_CURL_H

#include <curl/curl.h>

#include "ff.h"

typedef struct gcp_curl_api {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *h);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode rc);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *share, CURLSHoption option, ...);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *content, unsigned int flags);
    void (*url_cleanup)(CURLU *u);
    curl_version_info_data *(*version_info)(CURLversion age);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption option, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev_bitmask, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_cleanup)(CURLM *m);
} gcp_curl_api;

/* The soname of libcurl's current ABI; the build links against the same one. */
#define GCP_LIBCURL_SONAME "libcurl.so.4"

/*
 * Opens the library `soname` and fills *api with its curl functions, then calls
 * curl_global_init. 0, or GCP_HTTP_ERR_TRANSPORT with err set (the library cannot be
 * loaded, or lacks one of the functions). The library stays loaded on success. Use
 * gcp_curl_load; this is its one-shot step, separate so that tests reach its failures.
 */
int gcp_curl_open(const char *soname, gcp_curl_api *api, ff_error *err);

/*
 * Loads libcurl (once per process; later calls return the same table) and calls
 * curl_global_init. NULL with err set when the library or one of its functions is
 * missing. Thread-safe. The table lives until the process exits.
 */
const gcp_curl_api *gcp_curl_load(ff_error *err);

#endif
