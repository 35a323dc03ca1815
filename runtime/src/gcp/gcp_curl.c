/*
 * gcp_curl.c - loads libcurl with dlopen at the first outbound call and resolves the
 * functions gcp_http.c uses (why: gcp_curl.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "gcp/http.h"
#include "gcp_curl.h"

/* The soname of libcurl's current ABI; the build links against the same one. */
#define LIBCURL_SONAME "libcurl.so.4"

static struct {
    pthread_once_t once;
    gcp_curl_api api;
    int ok;
    char why[200];
} g_curl = {.once = PTHREAD_ONCE_INIT};

/* Resolves one symbol into *slot; 0 or -1 with g_curl.why set. */
static int resolve(void *lib, const char *name, void **slot)
{
    *slot = dlsym(lib, name);
    if (*slot != NULL)
        return 0;
    snprintf(g_curl.why, sizeof(g_curl.why), "%s: %s missing", LIBCURL_SONAME, name);
    return -1;
}

static void load_once(void)
{
    void *lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(g_curl.why, sizeof(g_curl.why), "cannot load %s: %s", LIBCURL_SONAME, dlerror());
        return;
    }
    gcp_curl_api *a = &g_curl.api;
    /* POSIX lets a data pointer from dlsym hold a function pointer; hence the casts */
    if (resolve(lib, "curl_global_init", (void **)&a->global_init) != 0 ||
        resolve(lib, "curl_easy_init", (void **)&a->easy_init) != 0 ||
        resolve(lib, "curl_easy_setopt", (void **)&a->easy_setopt) != 0 ||
        resolve(lib, "curl_easy_perform", (void **)&a->easy_perform) != 0 ||
        resolve(lib, "curl_easy_getinfo", (void **)&a->easy_getinfo) != 0 ||
        resolve(lib, "curl_easy_cleanup", (void **)&a->easy_cleanup) != 0 ||
        resolve(lib, "curl_easy_strerror", (void **)&a->easy_strerror) != 0 ||
        resolve(lib, "curl_slist_append", (void **)&a->slist_append) != 0 ||
        resolve(lib, "curl_slist_free_all", (void **)&a->slist_free_all) != 0 ||
        resolve(lib, "curl_share_init", (void **)&a->share_init) != 0 ||
        resolve(lib, "curl_share_setopt", (void **)&a->share_setopt) != 0)
        return;
    if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(g_curl.why, sizeof(g_curl.why), "curl_global_init failed");
        return;
    }
    g_curl.ok = 1;
}

const gcp_curl_api *gcp_curl_load(ff_error *err)
{
    pthread_once(&g_curl.once, load_once);
    if (g_curl.ok)
        return &g_curl.api;
    ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: %s", g_curl.why);
    return NULL;
}
