/*
 * gcp_curl.c - loads libcurl with dlopen at the first outbound call and resolves the
 * functions gcp_http.c uses (why: gcp_curl.h).
 */
#include <dlfcn.h>
#include <pthread.h>

#include "gcp/http.h"
#include "gcp_curl.h"

/* Resolves one symbol into *slot; 0, or GCP_HTTP_ERR_TRANSPORT with err set. */
static int resolve(void *lib, const char *soname, const char *name, void **slot, ff_error *err)
{
    *slot = dlsym(lib, name);
    if (*slot != NULL)
        return 0;
    return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: %s has no %s", soname, name);
}

int gcp_curl_open(const char *soname, gcp_curl_api *a, ff_error *err)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
        return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: cannot load %s: %s", soname, dlerror());
    /* POSIX lets a data pointer from dlsym hold a function pointer; hence the casts */
    struct {
        const char *name;
        void **slot;
    } fns[] = {
        {"curl_global_init", (void **)&a->global_init},
        {"curl_easy_init", (void **)&a->easy_init},
        {"curl_easy_setopt", (void **)&a->easy_setopt},
        {"curl_easy_perform", (void **)&a->easy_perform},
        {"curl_easy_getinfo", (void **)&a->easy_getinfo},
        {"curl_easy_cleanup", (void **)&a->easy_cleanup},
        {"curl_easy_strerror", (void **)&a->easy_strerror},
        {"curl_slist_append", (void **)&a->slist_append},
        {"curl_slist_free_all", (void **)&a->slist_free_all},
        {"curl_share_init", (void **)&a->share_init},
        {"curl_share_setopt", (void **)&a->share_setopt},
        {"curl_url", (void **)&a->url},
        {"curl_url_set", (void **)&a->url_set},
        {"curl_url_cleanup", (void **)&a->url_cleanup},
        {"curl_version_info", (void **)&a->version_info},
        {"curl_multi_init", (void **)&a->multi_init},
        {"curl_multi_setopt", (void **)&a->multi_setopt},
        {"curl_multi_add_handle", (void **)&a->multi_add_handle},
        {"curl_multi_remove_handle", (void **)&a->multi_remove_handle},
        {"curl_multi_socket_action", (void **)&a->multi_socket_action},
        {"curl_multi_info_read", (void **)&a->multi_info_read},
        {"curl_multi_cleanup", (void **)&a->multi_cleanup},
    };
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (resolve(lib, soname, fns[i].name, fns[i].slot, err) != 0) {
            dlclose(lib);
            return GCP_HTTP_ERR_TRANSPORT;
        }
    if (a->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        dlclose(lib);
        return ff_error_set(err, GCP_HTTP_ERR_TRANSPORT, "http: curl_global_init failed");
    }
    return 0; /* the library stays loaded for the process's lifetime */
}

static struct {
    pthread_once_t once;
    gcp_curl_api api;
    int rc;
    ff_error err;
} g_curl = {.once = PTHREAD_ONCE_INIT};

static void load_once(void)
{
    g_curl.rc = gcp_curl_open(GCP_LIBCURL_SONAME, &g_curl.api, &g_curl.err);
}

const gcp_curl_api *gcp_curl_load(ff_error *err)
{
    pthread_once(&g_curl.once, load_once);
    if (g_curl.rc == 0)
        return &g_curl.api;
    ff_error_set(err, g_curl.err.code, "%s", g_curl.err.message);
    return NULL;
}
