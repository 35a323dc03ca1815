/*
 * test_http_proxy.c - the proxy environment (http_proxy, https_proxy / HTTPS_PROXY,
 * all_proxy / ALL_PROXY, no_proxy / NO_PROXY) is honoured as libcurl honours it, read
 * once when the client starts (gcp/http.h). Each test runs in a process of its own, so
 * each sets the environment before its first call.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_helpers.h"

static void clear_env(void)
{
    static const char *names[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                  "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unsetenv(names[i]);
}

TestSuite(http_proxy, .init = clear_env, .timeout = 60);

static const fst_reply ok[] = {{200, "{}", 0}};
static const fst_reply refuse[] = {{403, "{}", 0}};

static int get(const char *url, gcp_http_response *res, ff_error *err)
{
    gcp_http_request req = {.method = "GET", .url = url, .max_attempts = 1, .timeout_ms = 10000};
    return gcp_http_do(&req, res, err);
}

/* A GET of server's /direct answered 200 (however it was routed). */
static void get_direct(const fst_server *server)
{
    char url[128];
    snprintf(url, sizeof(url), "http://%s/direct", fst_server_host(server));
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(get(url, &res, &err), GCP_HTTP_OK, "%s", err.message);
    gcp_http_response_free(&res);
}

static void set_proxy(const char *name, const fst_server *p)
{
    char v[64];
    snprintf(v, sizeof(v), "http://%s", fst_server_host(p));
    setenv(name, v, 1);
}

/* http_proxy: the request goes to the proxy, in absolute form. */
Test(http_proxy, http_proxy_is_used)
{
    fst_server *p = fst_server_start(ok, 1);
    set_proxy("http_proxy", p);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(get("http://firestore.invalid/v1/doc?x=1", &res, &err), GCP_HTTP_OK, "%s", err.message);
    cr_assert_eq(res.status, 200);
    char *r = fst_server_last(p);
    cr_assert_not_null(r);
    cr_assert(strncmp(r, "GET http://firestore.invalid/v1/doc?x=1 HTTP/1.1\r\n", 50) == 0, "%.80s", r);
    free(r);
    gcp_http_response_free(&res);
    fst_server_stop(p);
}

/* all_proxy when the scheme has none; no_proxy names hosts that go direct. */
Test(http_proxy, all_proxy_and_no_proxy)
{
    fst_server *p = fst_server_start(ok, 1), *direct = fst_server_start(ok, 1);
    set_proxy("ALL_PROXY", p);
    setenv("NO_PROXY", "localhost,127.0.0.1", 1);
    get_direct(direct);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(get("http://tasks.invalid/proxied", &res, &err), GCP_HTTP_OK, "%s", err.message);
    gcp_http_response_free(&res);
    cr_assert_eq(fst_server_count(direct), 1);
    cr_assert_eq(fst_server_count(p), 1);
    char *r = fst_server_last(p);
    cr_assert(strncmp(r, "GET http://tasks.invalid/proxied ", 33) == 0, "%.80s", r);
    free(r);
    fst_server_stop(p);
    fst_server_stop(direct);
}

/* HTTP_PROXY in capitals is ignored for http, as libcurl does (a CGI environment lets a
 * client set it through a "Proxy:" request header). */
Test(http_proxy, uppercase_http_proxy_is_ignored)
{
    fst_server *p = fst_server_start(ok, 1), *direct = fst_server_start(ok, 1);
    set_proxy("HTTP_PROXY", p);
    get_direct(direct);
    cr_assert_eq(fst_server_count(direct), 1);
    cr_assert_eq(fst_server_count(p), 0);
    fst_server_stop(p);
    fst_server_stop(direct);
}

/* HTTPS_PROXY for https: curl asks the proxy for a tunnel (this one refuses it), while an
 * http call of the same process still goes direct. */
Test(http_proxy, https_proxy_tunnels_https_only)
{
    fst_server *p = fst_server_start(refuse, 1), *direct = fst_server_start(ok, 1);
    set_proxy("HTTPS_PROXY", p);
    gcp_http_response res;
    ff_error err = {0};
    cr_assert_eq(get("https://firestore.invalid/v1/doc", &res, &err), GCP_HTTP_ERR_TRANSPORT);
    gcp_http_response_free(&res);
    char *r = fst_server_last(p);
    cr_assert_not_null(r, "the https call did not go to the proxy: %s", err.message);
    cr_assert(strncmp(r, "CONNECT firestore.invalid:443 HTTP/1.1\r\n", 40) == 0, "%.80s", r);
    free(r);
    get_direct(direct);
    cr_assert_eq(fst_server_count(direct), 1);
    cr_assert_eq(fst_server_count(p), 1);
    fst_server_stop(p);
    fst_server_stop(direct);
}

/* The environment is read when the client starts: a proxy set later is not used. */
Test(http_proxy, environment_read_once)
{
    fst_server *p = fst_server_start(ok, 1), *direct = fst_server_start(ok, 1);
    ff_error err = {0};
    cr_assert_eq(gcp_http_init(&err), 0, "%s", err.message);
    set_proxy("http_proxy", p);
    get_direct(direct);
    cr_assert_eq(fst_server_count(direct), 1);
    cr_assert_eq(fst_server_count(p), 0);
    fst_server_stop(p);
    fst_server_stop(direct);
}
