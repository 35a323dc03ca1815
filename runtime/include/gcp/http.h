/*
 * gcp/http.h - outbound HTTP for the Google Cloud access layer, on libcurl.
 *
 * One process-wide client: connections are kept alive and reused across calls and
 * threads (a pool of curl easy handles, each keeping its connections open between
 * calls; DNS and TLS sessions shared through a curl share handle; HTTP/2 where the
 * server offers it over TLS). Each attempt has a connect timeout and a total timeout.
 *
 * Retries, with exponential backoff and jitter, happen only when they cannot duplicate a
 * write:
 *   - GCP_HTTP_RETRY_SAFE (a read, or a write guarded by a precondition): on a transport
 *     failure, HTTP 429 or 503, or a Google error body whose status is UNAVAILABLE or
 *     ABORTED.
 *   - GCP_HTTP_NO_RETRY: only when the request provably never left this process
 *     (name resolution, TCP connect or TLS handshake failed).
 * A Retry-After header (seconds) lengthens the wait. Retries stop at max_attempts or
 * when the next attempt would start past deadline_mono_ms.
 *
 * Proxies: the environment variables libcurl honours (http_proxy; https_proxy or
 * HTTPS_PROXY; all_proxy or ALL_PROXY; no_proxy or NO_PROXY; never HTTP_PROXY) are
 * honoured the same way, but read once, when the client starts (gcp_http_init or the
 * first call): a change to them later in the process is not seen.
 */
#ifndef GCP_HTTP_H
#define GCP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "ff.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GCP_HTTP_OK = 0,
    GCP_HTTP_ERR_TRANSPORT = 1, /* could not connect, reset, timeout: no HTTP status */
    GCP_HTTP_ERR_ARG = 2,
};

/* Retry policy for one call. */
enum {
    GCP_HTTP_NO_RETRY = 0,
    /* The request is idempotent (a read, or a write guarded by a precondition). */
    GCP_HTTP_RETRY_SAFE = 1,
};

typedef struct gcp_http_header {
    const char *name;
    const char *value;
} gcp_http_header;

typedef struct gcp_http_request {
    const char *method; /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *url;
    /* Extra headers; may be NULL. With a body and no Content-Type here, the body is sent
     * as application/json. No Accept or Accept-Encoding is sent unless given here, so
     * answers come uncompressed; a body sent compressed on request is returned as is. */
    const gcp_http_header *headers;
    size_t n_headers;
    const char *body; /* may be NULL */
    size_t body_len;
    long connect_timeout_ms;  /* 0 = 5000 */
    long timeout_ms;          /* total per attempt; 0 = 30000 */
    int retry;                /* GCP_HTTP_NO_RETRY or GCP_HTTP_RETRY_SAFE */
    int max_attempts;         /* 0 = 4 */
    int64_t deadline_mono_ms; /* absolute, ff_now_mono_ms() scale; 0 = none. Caps every
                                 attempt's timeout and the backoff sleeps. */
} gcp_http_request;

typedef struct gcp_http_response {
    long status; /* HTTP status, 0 if no response */
    char *body;  /* NUL-terminated; owned, free with gcp_http_response_free */
    size_t body_len;
    char *cache_control; /* Cache-Control header value or NULL; owned */
    char *content_type;  /* owned or NULL */
    char *headers;       /* the final response's header lines, "Name: value\r\n" each; owned or NULL */
    int attempts;        /* how many attempts were made */
} gcp_http_response;

/*
 * Performs the request. Returns GCP_HTTP_OK when an HTTP response arrived (any status:
 * check res->status), or an error code with err set. The response describes the last
 * attempt. res must be freed with gcp_http_response_free in every case (it is zeroed
 * first, so freeing after an early error is safe). Thread-safe.
 */
int gcp_http_do(const gcp_http_request *req, gcp_http_response *res, ff_error *err);
void gcp_http_response_free(gcp_http_response *res);

/*
 * Loads libcurl and sets the client up, as the first call would (libcurl is loaded at
 * the first use, not at exec, to keep start-up short). Call it during a warm-up so the
 * first request does not pay for it. Returns 0, or GCP_HTTP_ERR_TRANSPORT with err set
 * when libcurl cannot be loaded. Idempotent, thread-safe.
 */
int gcp_http_init(ff_error *err);

/* How many HTTP requests (attempts) the calling invocation (outside one: the calling
 * thread) has sent so far; the difference across a handler is its round trips to Google
 * APIs. */
unsigned long gcp_http_requests_sent(void);

/*
 * Reads a Google API error body, {"error": {"code": 404, "message": "...", "status":
 * "NOT_FOUND"}} (or a JSON array whose first element is such an object, as streaming
 * methods send). Copies the status and message (truncated, NUL-terminated) into the
 * buffers, which may be NULL. Returns 1 when the body is such an error, else 0.
 */
int gcp_http_google_error(const char *body, size_t len, char *status, size_t status_len, char *message,
                          size_t message_len);

#ifdef __cplusplus
}
#endif
#endif
