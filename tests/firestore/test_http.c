/*
 * test_http.c - the generic HTTP client against a scripted peer on 127.0.0.1: what it
 * sends, and when it retries (only when safe) and when it must not.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_helpers.h"

static gcp_http_response res;

static void teardown(void)
{
    gcp_http_response_free(&res);
}

TestSuite(http, .fini = teardown, .timeout = 60);

static int call(fst_server *s, const char *method, int retry, int max_attempts, ff_error *err)
{
    char url[128];
    snprintf(url, sizeof(url), "http://%s/x", fst_server_host(s));
    gcp_http_request req = {.method = method,
                            .url = url,
                            .body = strcmp(method, "GET") ? "{\"a\":1}" : NULL,
                            .body_len = 7,
                            .retry = retry,
                            .max_attempts = max_attempts,
                            .timeout_ms = 5000};
    return gcp_http_do(&req, &res, err);
}

Test(http, retries_503_when_safe)
{
    static const fst_reply script[] = {{503, NULL, 0}, {503, NULL, 0}, {200, "{\"ok\":true}", 0}};
    fst_server *s = fst_server_start(script, 3);
    ff_error err = {0};
    cr_assert_eq(call(s, "GET", GCP_HTTP_RETRY_SAFE, 4, &err), GCP_HTTP_OK, "%s", err.message);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.attempts, 3);
    cr_assert_str_eq(res.body, "{\"ok\":true}");
    cr_assert_eq(fst_server_count(s), 3);
    fst_server_stop(s);
}

Test(http, never_retries_503_without_permission)
{
    static const fst_reply script[] = {{503, NULL, 0}, {200, "{}", 0}};
    fst_server *s = fst_server_start(script, 2);
    ff_error err = {0};
    cr_assert_eq(call(s, "POST", GCP_HTTP_NO_RETRY, 4, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 503);
    cr_assert_eq(res.attempts, 1);
    cr_assert_eq(fst_server_count(s), 1);
    fst_server_stop(s);
}

Test(http, retries_429_and_google_unavailable_and_aborted)
{
    static const fst_reply script[] = {
        {429, NULL, 0},
        {500, "{\"error\":{\"code\":500,\"message\":\"try later\",\"status\":\"UNAVAILABLE\"}}", 0},
        {409, "{\"error\":{\"code\":409,\"message\":\"contention\",\"status\":\"ABORTED\"}}", 0},
        {200, "{}", 0}};
    fst_server *s = fst_server_start(script, 4);
    ff_error err = {0};
    cr_assert_eq(call(s, "POST", GCP_HTTP_RETRY_SAFE, 5, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.attempts, 4);
    fst_server_stop(s);
}

Test(http, does_not_retry_permanent_errors)
{
    static const fst_reply script[] = {
        {404, "{\"error\":{\"code\":404,\"message\":\"nope\",\"status\":\"NOT_FOUND\"}}", 0},
        {500, "{\"error\":{\"code\":500,\"message\":\"bug\",\"status\":\"INTERNAL\"}}", 0}};
    fst_server *s = fst_server_start(script, 2);
    ff_error err = {0};
    cr_assert_eq(call(s, "GET", GCP_HTTP_RETRY_SAFE, 4, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 404);
    cr_assert_eq(res.attempts, 1);
    gcp_http_response_free(&res);
    cr_assert_eq(call(s, "GET", GCP_HTTP_RETRY_SAFE, 4, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 500);
    cr_assert_eq(res.attempts, 1);
    cr_assert_eq(fst_server_count(s), 2);
    fst_server_stop(s);
}

Test(http, stops_at_max_attempts)
{
    static const fst_reply script[] = {{503, NULL, 0}};
    fst_server *s = fst_server_start(script, 1);
    ff_error err = {0};
    cr_assert_eq(call(s, "GET", GCP_HTTP_RETRY_SAFE, 3, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 503);
    cr_assert_eq(res.attempts, 3);
    cr_assert_eq(fst_server_count(s), 3);
    fst_server_stop(s);
}

/* The peer read the request and hung up: a write may have landed. */
Test(http, lost_response_is_retried_only_when_safe)
{
    static const fst_reply script[] = {{0, NULL, 1}, {200, "{}", 0}};
    fst_server *s = fst_server_start(script, 2);
    ff_error err = {0};
    cr_assert_eq(call(s, "POST", GCP_HTTP_NO_RETRY, 4, &err), GCP_HTTP_ERR_TRANSPORT);
    cr_assert_eq(res.attempts, 1);
    cr_assert_eq(fst_server_count(s), 1);
    cr_assert(strstr(err.message, "POST") != NULL, "%s", err.message);
    fst_server_stop(s);
    gcp_http_response_free(&res);

    s = fst_server_start(script, 2);
    cr_assert_eq(call(s, "POST", GCP_HTTP_RETRY_SAFE, 4, &err), GCP_HTTP_OK, "%s", err.message);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.attempts, 2);
    fst_server_stop(s);
}

/* Nothing was sent when the connection was refused, so even a write may try again. */
Test(http, refused_connection_is_retried_even_for_writes)
{
    char url[128];
    snprintf(url, sizeof(url), "http://%s/x", fst_closed_host());
    gcp_http_request req = {.method = "POST", .url = url, .body = "{}", .body_len = 2, .max_attempts = 2};
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_ERR_TRANSPORT);
    cr_assert_eq(res.status, 0);
    cr_assert_eq(res.attempts, 2);
}

Test(http, sends_method_headers_and_body)
{
    static const fst_reply script[] = {{201, "{\"x\":1}", 0}};
    fst_server *s = fst_server_start(script, 1);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/v1/thing?a=b", fst_server_host(s));
    gcp_http_header hdr[] = {{"Authorization", "Bearer abc"}, {"X-Empty", ""}};
    gcp_http_request req = {.method = "PATCH",
                            .url = url,
                            .headers = hdr,
                            .n_headers = 2,
                            .body = "{\"k\":\"v\"}",
                            .body_len = 9};
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK, "%s", err.message);
    cr_assert_eq(res.status, 201);
    cr_assert_str_eq(res.content_type, "application/json");
    char *last = fst_server_last(s);
    cr_assert(strncmp(last, "PATCH /v1/thing?a=b HTTP/1.1\r\n", 30) == 0, "%s", last);
    cr_assert(strstr(last, "\r\nAuthorization: Bearer abc\r\n") != NULL);
    cr_assert(strstr(last, "\r\nX-Empty:") != NULL);
    cr_assert(strstr(last, "\r\nContent-Type: application/json\r\n") != NULL);
    cr_assert(strstr(last, "\r\n\r\n{\"k\":\"v\"}") != NULL);
    cr_assert(strstr(last, "Expect:") == NULL);
    free(last);
    fst_server_stop(s);
}

Test(http, refuses_header_injection)
{
    gcp_http_header hdr[] = {{"X-A", "a\r\nX-B: b"}};
    gcp_http_request req = {.method = "GET", .url = "http://127.0.0.1:1/", .headers = hdr, .n_headers = 1};
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_ERR_ARG);
    cr_assert_eq(res.attempts, 0);
}

Test(http, refuses_a_header_line_longer_than_it_sends)
{
    static char big[8200];
    memset(big, 'v', sizeof(big) - 1);
    gcp_http_header hdr[] = {{"X-Big", big}};
    gcp_http_request req = {.method = "GET", .url = "http://127.0.0.1:1/", .headers = hdr, .n_headers = 1};
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_ERR_ARG, "never cut short and sent");
    cr_expect_eq(res.attempts, 0);
    cr_expect(strstr(err.message, "invalid header 0") != NULL, "%s", err.message);
    big[8192 - 1 - 2 - 5 - 1] = '\0'; /* "X-Big: " + value + NUL = 8191 bytes: fits */
    ff_error_clear(&err);
    cr_expect_neq(gcp_http_do(&req, &res, &err), GCP_HTTP_ERR_ARG, "%s", err.message);
    gcp_http_response_free(&res);
}

Test(http, deadline_caps_retries)
{
    static const fst_reply script[] = {{503, NULL, 0}};
    fst_server *s = fst_server_start(script, 1);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/x", fst_server_host(s));
    int64_t start = ff_now_mono_ms();
    gcp_http_request req = {.method = "GET",
                            .url = url,
                            .retry = GCP_HTTP_RETRY_SAFE,
                            .max_attempts = 50,
                            .deadline_mono_ms = start + 400};
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK);
    cr_assert_eq(res.status, 503);
    cr_assert(res.attempts < 10, "%d attempts", res.attempts);
    cr_assert(ff_now_mono_ms() - start < 1500);
    fst_server_stop(s);
}

Test(http, google_error_body)
{
    const char *body =
        "{\"error\":{\"code\":409,\"message\":\"Document already exists: x\",\"status\":\"ALREADY_EXISTS\"}}";
    char status[32], msg[64];
    cr_assert_eq(gcp_http_google_error(body, strlen(body), status, sizeof(status), msg, sizeof(msg)), 1);
    cr_assert_str_eq(status, "ALREADY_EXISTS");
    cr_assert_str_eq(msg, "Document already exists: x");
    const char *arr = "[{\"error\":{\"code\":503,\"message\":\"m\",\"status\":\"UNAVAILABLE\"}}]";
    cr_assert_eq(gcp_http_google_error(arr, strlen(arr), status, sizeof(status), NULL, 0), 1);
    cr_assert_str_eq(status, "UNAVAILABLE");
    cr_assert_eq(gcp_http_google_error("Not Found", 9, status, sizeof(status), msg, sizeof(msg)), 0);
    cr_assert_str_eq(status, "");
    cr_assert_eq(gcp_http_google_error(NULL, 0, NULL, 0, NULL, 0), 0);
}

/* ---- many threads share the client ------------------------------------------------- */

static void *hammer(void *arg)
{
    const char *url = arg;
    for (int i = 0; i < 25; i++) {
        gcp_http_request req = {.method = "GET", .url = url, .retry = GCP_HTTP_RETRY_SAFE};
        gcp_http_response r;
        ff_error err = {0};
        int rc = gcp_http_do(&req, &r, &err);
        int ok = rc == GCP_HTTP_OK && r.status == 200 && strcmp(r.body, "{\"n\":1}") == 0;
        gcp_http_response_free(&r);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

Test(http, concurrent_calls_from_many_threads)
{
    static const fst_reply script[] = {{200, "{\"n\":1}", 0}};
    fst_server *s = fst_server_start(script, 1);
    char url[128];
    snprintf(url, sizeof(url), "http://%s/c", fst_server_host(s));
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, url);
    int failed = 0;
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        failed += rv != NULL;
    }
    cr_assert_eq(failed, 0);
    cr_assert_eq(fst_server_count(s), 200);
    fst_server_stop(s);
}
