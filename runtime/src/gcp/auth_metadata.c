/*
 * auth_metadata.c - reads from the GCE/Cloud Run metadata server: where it is
 * (GCE_METADATA_HOST, else metadata.google.internal) and one GET with the
 * Metadata-Flavor header it requires. Short timeouts: off Google Cloud the server does
 * not exist and callers must learn that quickly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_internal.h"
#include "gcp/auth.h"
#include "gcp/http.h"

#define METADATA_DEFAULT_HOST "metadata.google.internal"

const char *gcp_metadata_host(void)
{
    const char *h = gcp_env("GCE_METADATA_HOST");
    return h ? h : METADATA_DEFAULT_HOST;
}

int gcp_metadata_get(const char *path, char **body_out, ff_error *err)
{
    *body_out = NULL;
    char url[512];
    const char *host = gcp_metadata_host();
    if ((size_t)snprintf(url, sizeof(url), "http://%s%s", host, path) >= sizeof(url))
        return ff_error_set(err, GCP_AUTH_ERR_METADATA, "metadata server: URL too long");
    static const gcp_http_header hdr[] = {{"Metadata-Flavor", "Google"}};
    gcp_http_request req = {
        .method = "GET",
        .url = url,
        .headers = hdr,
        .n_headers = 1,
        .connect_timeout_ms = 1000,
        .timeout_ms = 5000,
        .retry = GCP_HTTP_RETRY_SAFE,
        .max_attempts = 2,
    };
    gcp_http_response res;
    ff_error herr = {0};
    int rc = gcp_http_do(&req, &res, &herr);
    if (rc != GCP_HTTP_OK) {
        gcp_http_response_free(&res);
        return ff_error_set(err, GCP_AUTH_ERR_METADATA, "metadata server %s unreachable: %s", host,
                            herr.message);
    }
    if (res.status != 200) {
        long status = res.status;
        gcp_http_response_free(&res);
        return ff_error_set(err, GCP_AUTH_ERR_METADATA, "metadata server %s: GET %s answered HTTP %ld", host,
                            path, status);
    }
    *body_out = res.body; /* ownership moves to the caller */
    res.body = NULL;
    gcp_http_response_free(&res);
    if (*body_out == NULL && (*body_out = strdup("")) == NULL)
        return ff_error_set(err, GCP_AUTH_ERR_METADATA, "metadata server: out of memory");
    return 0;
}
