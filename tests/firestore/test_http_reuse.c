/*
 * test_http_reuse.c - consecutive calls on one thread run on the same pooled curl handle,
 * which keeps its options between calls and gets only what differs set again: nothing
 * of a call (method, body, headers, URL path or query, host) may leak into the next.
 * Also the parsed URL handed to curl: what it sends is what curl sends for the string.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs_helpers.h"

TestSuite(http_reuse, .timeout = 60);

static const fst_reply ok[] = {{200, "{}", 0}};

/* Sends one request to s (path appended to its address); returns what s received (freed by
 * the caller) and asserts the call got the scripted 200. */
static char *send_to(fst_server *s, const char *method, const char *path, const gcp_http_header *hdr,
                     size_t n_hdr, const char *body)
{
    char url[512];
    snprintf(url, sizeof(url), "http://%s%s", fst_server_host(s), path);
    gcp_http_request req = {.method = method,
                            .url = url,
                            .headers = hdr,
                            .n_headers = n_hdr,
                            .body = body,
                            .body_len = body ? strlen(body) : 0,
                            .timeout_ms = 10000};
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_OK, "%s %s: %s", method, path, err.message);
    cr_assert_eq(res.status, 200);
    gcp_http_response_free(&res);
    char *got = fst_server_last(s);
    cr_assert_not_null(got);
    return got;
}

static int starts(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* The head of the request, up to the blank line (what a header search may look at). */
static char *head_of(char *req)
{
    char *end = strstr(req, "\r\n\r\n");
    if (end != NULL)
        end[2] = '\0';
    return req;
}

Test(http_reuse, method_body_and_headers_do_not_carry_over)
{
    fst_server *s = fst_server_start(ok, 1);
    gcp_http_header auth[] = {{"Authorization", "Bearer first"}, {"Content-Type", "text/plain"}};

    char *r = send_to(s, "POST", "/one", auth, 2, "hello");
    cr_assert(starts(r, "POST /one HTTP/1.1\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\nAuthorization: Bearer first\r\n") != NULL, "%s", r);
    cr_assert(strstr(r, "\r\nContent-Type: text/plain\r\n") != NULL, "%s", r);
    cr_assert(strstr(r, "\r\n\r\nhello") != NULL, "%s", r);
    free(r);

    r = head_of(send_to(s, "GET", "/two", NULL, 0, NULL));
    cr_assert(starts(r, "GET /two HTTP/1.1\r\n"), "%s", r);
    cr_assert(strstr(r, "Authorization") == NULL, "a header of the previous call: %s", r);
    cr_assert(strstr(r, "Content-Type") == NULL, "%s", r);
    cr_assert(strstr(r, "Content-Length") == NULL, "a body of the previous call: %s", r);
    free(r);

    r = send_to(s, "PATCH", "/three", NULL, 0, "{\"p\":1}");
    cr_assert(starts(r, "PATCH /three HTTP/1.1\r\n"), "%s", r);
    cr_assert(strstr(r, "\r\nContent-Type: application/json\r\n") != NULL, "%s", r);
    cr_assert(strstr(r, "\r\n\r\n{\"p\":1}") != NULL, "%s", r);
    free(r);

    r = head_of(send_to(s, "DELETE", "/four", NULL, 0, NULL));
    cr_assert(starts(r, "DELETE /four HTTP/1.1\r\n"), "%s", r);
    cr_assert(strstr(r, "Content-Length") == NULL, "%s", r);
    free(r);

    r = head_of(send_to(s, "POST", "/five", NULL, 0, NULL));
    cr_assert(starts(r, "POST /five HTTP/1.1\r\n"), "the verb of the previous call: %s", r);
    cr_assert(strstr(r, "\r\nContent-Length: 0\r\n") != NULL, "%s", r);
    free(r);

    r = head_of(send_to(s, "GET", "/six", NULL, 0, NULL));
    cr_assert(starts(r, "GET /six HTTP/1.1\r\n"), "%s", r);
    free(r);
    fst_server_stop(s);
}

/* No Accept or Accept-Encoding of libcurl's own (answers come uncompressed); a caller's
 * are sent once, as given, and do not carry over to the next call. */
Test(http_reuse, no_accept_headers_unless_the_caller_sets_them)
{
    fst_server *s = fst_server_start(ok, 1);
    char *r = head_of(send_to(s, "GET", "/a", NULL, 0, NULL));
    cr_assert_null(strcasestr(r, "\r\nAccept"), "%s", r);
    free(r);

    gcp_http_header mine[] = {{"Accept-Encoding", "gzip"}, {"Accept", "application/json"}};
    r = head_of(send_to(s, "POST", "/b", mine, 2, "{}"));
    char *ae = strstr(r, "\r\nAccept-Encoding: ");
    cr_assert(ae != NULL && starts(ae, "\r\nAccept-Encoding: gzip\r\n"), "%s", r);
    cr_assert_null(strstr(ae + 2, "\r\nAccept-Encoding"), "sent twice: %s", r);
    char *acc = strstr(r, "\r\nAccept: ");
    cr_assert(acc != NULL && starts(acc, "\r\nAccept: application/json\r\n"), "%s", r);
    cr_assert_null(strstr(acc + 2, "\r\nAccept:"), "sent twice: %s", r);
    free(r);

    r = head_of(send_to(s, "GET", "/c", NULL, 0, NULL));
    cr_assert_null(strcasestr(r, "\r\nAccept"), "carried over: %s", r);
    free(r);
    fst_server_stop(s);
}

/* The handle keeps a parsed URL per host (two) and replaces only the path and query when
 * the next URL has the same scheme and host: a query must not survive, on either host;
 * another host must be reached (a third one taking a slot over), and a URL curl rewrites
 * is rewritten as curl does. */
Test(http_reuse, url_parts_do_not_carry_over)
{
    fst_server *s = fst_server_start(ok, 1), *t = fst_server_start(ok, 1), *u = fst_server_start(ok, 1);
    static const struct {
        const char *path, *line;
    } cases[] = {
        {"/v1/a?x=1&y=(2)", "GET /v1/a?x=1&y=(2) HTTP/1.1\r\n"},
        {"/v1/b", "GET /v1/b HTTP/1.1\r\n"},
        {"/v1/c:commit?q=a.b", "GET /v1/c:commit?q=a.b HTTP/1.1\r\n"},
        {"/v1/./d/../e", "GET /v1/e HTTP/1.1\r\n"},  /* dot segments: curl removes them */
        {"/v1/x%2Fy", "GET /v1/x%2Fy HTTP/1.1\r\n"}, /* kept as written */
        {"/v1/f?", "GET /v1/f? HTTP/1.1\r\n"},
        {"/v1/g#frag", "GET /v1/g HTTP/1.1\r\n"},
        {"/v1/h", "GET /v1/h HTTP/1.1\r\n"},
        {"/", "GET / HTTP/1.1\r\n"},
        {"/v1/i?z", "GET /v1/i?z HTTP/1.1\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *r = send_to(s, "GET", cases[i].path, NULL, 0, NULL);
        cr_assert(starts(r, cases[i].line), "%s: sent %.60s", cases[i].path, r);
        free(r);
        /* another host in between (its query must not survive either), and every third
         * time a third host: the next call must come back to the right one */
        fst_server *other = i % 3 == 2 ? u : t;
        r = send_to(other, "GET", i % 2 ? "/other?n=1" : "/other", NULL, 0, NULL);
        cr_assert(starts(r, i % 2 ? "GET /other?n=1 HTTP/1.1\r\n" : "GET /other HTTP/1.1\r\n"), "%.60s", r);
        free(r);
    }
    cr_assert_eq(fst_server_count(s), (int)(sizeof(cases) / sizeof(cases[0])));
    cr_assert_eq(fst_server_count(t), 7);
    cr_assert_eq(fst_server_count(u), 3);
    fst_server_stop(s);
    fst_server_stop(t);
    fst_server_stop(u);
}

/* A URL curl rejects fails as before (curl parses the string and says why), and leaves
 * nothing behind for the next call. */
Test(http_reuse, a_bad_url_fails_alone)
{
    fst_server *s = fst_server_start(ok, 1);
    char *r = send_to(s, "GET", "/before", NULL, 0, NULL);
    free(r);
    static const char *bad[] = {"http://127.0.0.1:99999/x", "http://exa mple/x", "http:///x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gcp_http_request req = {.method = "GET", .url = bad[i], .max_attempts = 1};
        gcp_http_response res;
        ff_error err = {0};
        cr_assert_eq(gcp_http_do(&req, &res, &err), GCP_HTTP_ERR_TRANSPORT, "%s", bad[i]);
        cr_assert(strstr(err.message, "URL") != NULL || strstr(err.message, "resolve") != NULL, "%s: %s",
                  bad[i], err.message);
        gcp_http_response_free(&res);
        r = send_to(s, "GET", "/after", NULL, 0, NULL);
        cr_assert(starts(r, "GET /after HTTP/1.1\r\n"), "%.60s", r);
        free(r);
    }
    fst_server_stop(s);
}
