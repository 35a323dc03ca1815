/*
 * test_http_timeouts.c - each call's timeout and deadline apply to that call only: the
 * pooled curl handle a thread's calls share is given them anew every time, so a short
 * one does not outlive its call and a long one does not loosen the next. A proxy in
 * front of the Firestore emulator delays every chunk by DELAY_MS each way.
 */
#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "gcp/http.h"

TestSuite(http_timeouts, .fini = fx_fini);

#define DELAY_MS 600 /* the answer takes at least twice this */
#define SHORT_MS 150
#define LONG_MS  20000

static int get(const proxy *p, long timeout_ms, int64_t deadline, gcp_http_response *res, ff_error *err)
{
    char url[256];
    snprintf(url, sizeof(url), "http://%s/v1/projects/demo-timeouts/databases/(default)/documents/c/none",
             proxy_addr(p));
    static const gcp_http_header hdr[] = {{"Authorization", "Bearer owner"}};
    gcp_http_request req = {.method = "GET",
                            .url = url,
                            .headers = hdr,
                            .n_headers = 1,
                            .timeout_ms = timeout_ms,
                            .deadline_mono_ms = deadline,
                            .max_attempts = 1};
    return gcp_http_do(&req, res, err);
}

static void expect_timeout(const proxy *p, long timeout_ms, int64_t deadline, const char *what)
{
    gcp_http_response res;
    ff_error err = {0};
    int rc = get(p, timeout_ms, deadline, &res, &err);
    cr_expect_eq(rc, GCP_HTTP_ERR_TRANSPORT, "%s: not timed out (rc %d, status %ld)", what, rc, res.status);
    cr_expect(strstr(err.message, "Timeout") != NULL, "%s: %s", what, err.message);
    gcp_http_response_free(&res);
}

static void expect_answer(const proxy *p, const char *what)
{
    gcp_http_response res;
    ff_error err = {0};
    cr_expect_eq(get(p, LONG_MS, 0, &res, &err), GCP_HTTP_OK, "%s: %s", what, err.message);
    cr_expect_eq(res.status, 404, "%s: status %ld", what, res.status);
    gcp_http_response_free(&res);
}

Test(http_timeouts, timeout_applies_to_its_call_only)
{
    proxy *p = fx_proxy("FIRESTORE_EMULATOR_HOST");
    cr_assert_eq(proxy_delay(p, DELAY_MS), 0);
    expect_timeout(p, SHORT_MS, 0, "short timeout");
    expect_answer(p, "long timeout after a short one");
    expect_timeout(p, SHORT_MS, 0, "short timeout after a long one");
    fx_done();
}

Test(http_timeouts, deadline_applies_to_its_call_only)
{
    proxy *p = fx_proxy("FIRESTORE_EMULATOR_HOST");
    cr_assert_eq(proxy_delay(p, DELAY_MS), 0);
    expect_timeout(p, LONG_MS, ff_now_mono_ms() + SHORT_MS, "near deadline");
    expect_answer(p, "no deadline after a near one");
    expect_timeout(p, LONG_MS, ff_now_mono_ms() + SHORT_MS, "near deadline after none");
    fx_done();
}
