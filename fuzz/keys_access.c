/*
 * keys_access.c - compiles runtime/src/gcp/auth_keys.c into this file to reach its static
 * parsers (parse_jwks, parse_x509_map) and its caches (see keys_access.h). The token
 * harness links this instead of auth_keys.c.
 */
#include "../runtime/src/gcp/auth_keys.c"

#include "keys_access.h"

static keyset *parse_doc(gcp_key_source src, const char *doc, size_t len)
{
    json_t *root = json_loadb(doc, len, 0, NULL);
    keyset *ks = NULL;
    if (json_is_object(root))
        ks = src == GCP_KEYS_GOOGLE ? parse_jwks(root) : parse_x509_map(root);
    json_decref(root);
    return ks;
}

int fz_keys_parse(gcp_key_source src, const char *doc, size_t len, const gcp_jwt *jwt, int *verified)
{
    keyset *ks = parse_doc(src, doc, len);
    if (ks == NULL)
        return -1;
    int n = (int)ks->n;
    for (size_t i = 0; i < ks->n; i++) {
        if (keyset_find(ks, ks->kids[i]) == NULL)
            n = -2; /* a listed kid must be found */
        if (jwt != NULL && gcp_jwt_verify_rs256(jwt, ks->keys[i]))
            (*verified)++;
    }
    keyset_free(ks);
    return n;
}

int fz_keys_install(gcp_key_source src, const char *doc)
{
    keyset *ks = parse_doc(src, doc, strlen(doc));
    if (ks == NULL || ks->n == 0) {
        keyset_free(ks);
        return -1;
    }
    key_cache *c = &g_caches[src];
    pthread_mutex_lock(&c->lock);
    keyset_free(c->set);
    c->set = ks;
    c->generation++;
    pthread_mutex_unlock(&c->lock);
    fz_keys_pin();
    return 0;
}

void fz_keys_pin(void)
{
    int64_t now = ff_now_mono_ms();
    for (int i = 0; i < 2; i++) {
        key_cache *c = &g_caches[i];
        pthread_mutex_lock(&c->lock);
        c->expires_mono_ms = now + 3600 * 1000;
        c->stale_limit_mono_ms = c->expires_mono_ms + MAX_STALE_MS;
        c->fetched_mono_ms = now;
        c->fetched_for_kid = 1;
        pthread_mutex_unlock(&c->lock);
    }
}
