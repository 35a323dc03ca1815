/*
 * keys_access.h - reaches the static internals of runtime/src/gcp/auth_keys.c for the token
 * harness (keys_access.c compiles auth_keys.c into itself): key-document parsing and an
 * offline key cache, so ID-token verification never fetches anything.
 */
#ifndef FUZZ_KEYS_ACCESS_H
#define FUZZ_KEYS_ACCESS_H

#include <stddef.h>

#include "../runtime/src/gcp/auth_idtoken.h"

/*
 * Parses doc as a fetched key response of src would be parsed (JWKS or x509 map) and
 * checks jwt's signature against every key found. Returns the number of keys, or -1
 * when doc is not a JSON object.
 */
int fz_keys_parse(gcp_key_source src, const char *doc, size_t len, const gcp_jwt *jwt, int *verified);

/* Parses doc and installs it as src's cache. Returns 0, or -1 when it holds no key. */
int fz_keys_install(gcp_key_source src, const char *doc);

/* Marks both caches fresh and just refetched for an unknown kid, so a lookup that
 * misses gives up (GCP_IDTOKEN_ERR_KID) instead of fetching. Call before each lookup. */
void fz_keys_pin(void);

#endif
