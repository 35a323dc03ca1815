/*
 * test_http_faults.c - the runtime's outbound HTTP client (gcp/http.h) when a kept-alive
 * connection dies after the request went out and before any byte of the answer (the
 * proxy in front of the Firestore emulator, which keeps connections alive, cuts it).
 *
 * gcp_http promises that a GCP_HTTP_NO_RETRY request (a write that must not happen
 * twice) is repeated only when it provably never left the process, and that every
 * attempt is counted (res->attempts, gcp_http_requests_sent), so that a caller can
 * tell "ALREADY_EXISTS after a retry" (maybe our own first attempt) from a real conflict.
 * libcurl, though, re-sends a request by itself on a fresh connection in that situation.
 * The probe is a createDocument: a second send answers 409 ALREADY_EXISTS.
 */
#include <string.h>

#include "faults.h"
#include "gcp/http.h"

TestSuite(http_faults, .fini = fx_fini);

typedef struct rig {
    hw w; /* a project of our own, and a direct handle to check what landed */
    proxy *p;
    char collection[256]; /* ".../documents/c" through the proxy */
} rig;

static void rig_start(rig *r)
{
    memset(r, 0, sizeof(*r));
    hw_init(&r->w);
    r->p = fx_proxy("FIRESTORE_EMULATOR_HOST");
    snprintf(r->collection, sizeof(r->collection), "http://%s/v1/projects/%s/databases/(default)/documents/c",
             proxy_addr(r->p), r->w.gcp);
}

static int call(const char *method, const char *url, int retry, gcp_http_response *res, ff_error *err)
{
    static const gcp_http_header hdr[] = {{"Authorization", "Bearer owner"}};
    const char *body = "{\"fields\":{\"a\":{\"stringValue\":\"b\"}}}";
    int post = strcmp(method, "POST") == 0;
    gcp_http_request req = {.method = method,
                            .url = url,
                            .headers = hdr,
                            .n_headers = 1,
                            .body = post ? body : NULL,
                            .body_len = post ? strlen(body) : 0,
                            .retry = retry,
                            .timeout_ms = 5000};
    return gcp_http_do(&req, res, err);
}

/* A first call opens the connection the next call reuses; then the next create is cut. */
static void warm_up_and_arm(rig *r)
{
    char url[320];
    snprintf(url, sizeof(url), "%s/warm-up", r->collection);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(call("GET", url, GCP_HTTP_NO_RETRY, &res, &err), 0, "%s", err.message);
    gcp_http_response_free(&res);
    cr_assert_eq(proxy_cut(r->p, 0, "documentId=", 1), 0);
}

/* The write landed once: the document exists. */
static void expect_created(rig *r, const char *id)
{
    char path[64];
    snprintf(path, sizeof(path), "c/%s", id);
    fs_doc *doc = hw_get(&r->w, path);
    cr_expect_not_null(doc, "the create never reached Firestore");
    fs_doc_free(doc);
}

Test(http_faults, no_retry_write_is_not_sent_twice)
{
    rig r;
    rig_start(&r);
    warm_up_and_arm(&r);
    char url[320];
    snprintf(url, sizeof(url), "%s?documentId=once", r.collection);
    gcp_http_response res;
    ff_error err = {0};
    int rc = call("POST", url, GCP_HTTP_NO_RETRY, &res, &err);
    cr_expect_eq(proxy_cuts(r.p), 1, "the create was not cut");
    cr_expect_eq(rc, GCP_HTTP_ERR_TRANSPORT, "the lost answer was not reported: rc %d, status %ld %.200s", rc,
                 res.status, res.body ? res.body : "");
    cr_expect_neq(res.status, 409, "the NO_RETRY create was sent twice (the second send found the first)");
    gcp_http_response_free(&res);
    expect_created(&r, "once");
    fx_done();
}

Test(http_faults, every_send_of_a_safe_request_is_an_attempt)
{
    rig r;
    rig_start(&r);
    warm_up_and_arm(&r);
    char url[320];
    snprintf(url, sizeof(url), "%s?documentId=twice", r.collection);
    gcp_http_response res;
    ff_error err = {0};
    unsigned long before = gcp_http_requests_sent();
    int rc = call("POST", url, GCP_HTTP_RETRY_SAFE, &res, &err);
    cr_expect_eq(rc, 0, "%s", err.message);
    cr_expect_eq(res.status, 409, "the resent create: status %ld", res.status);
    cr_expect_eq(res.attempts, 2, "the create was sent twice but reported %d attempt(s)", res.attempts);
    cr_expect_eq(gcp_http_requests_sent() - before, 2, "gcp_http_requests_sent counted %lu",
                 gcp_http_requests_sent() - before);
    gcp_http_response_free(&res);
    expect_created(&r, "twice");
    fx_done();
}
