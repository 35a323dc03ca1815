/*
 * test_proxy.c - the fault-injecting proxy itself (proxy.h), against a local HTTP server
 * (fake_google with one route): each mode does what the other fault tests rely on.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/fake_google.h"
#include "faults.h"

#define ROUTE "/hello"
#define REPLY "{\"hello\":\"world, long enough to be cut somewhere in its middle\"}"

typedef struct rig {
    fake_google *fg;
    proxy *p;
    char url[64];
} rig;

static rig rig_start(void)
{
    rig r = {.fg = fake_google_start()};
    cr_assert_not_null(r.fg, "cannot start the fake server");
    fake_google_route(r.fg, "GET", ROUTE, 200, REPLY);
    r.p = fx_proxy_to(fake_google_host(r.fg));
    snprintf(r.url, sizeof(r.url), "http://%s" ROUTE, proxy_addr(r.p));
    return r;
}

static void rig_stop(rig *r)
{
    fx_done();
    fake_google_stop(r->fg);
}

/* One GET through the proxy on a fresh connection (or on c when not NULL). */
static void get(rig *r, th_client *c, long timeout_ms, th_response *res)
{
    th_request req = {.method = "GET", .url = r->url, .timeout_ms = timeout_ms};
    if (c != NULL)
        th_client_do(c, &req, res);
    else
        th_http(&req, res);
}

static void expect_ok(rig *r, th_client *c, const char *what)
{
    th_response res = {0};
    get(r, c, 5000, &res);
    cr_expect_eq(res.status, 200, "%s: status %ld (curl error %d)", what, res.status, res.error);
    cr_expect_str_eq(res.body, REPLY, "%s: body", what);
    th_response_free(&res);
}

TestSuite(proxy, .fini = fx_fini);

Test(proxy, pass_delay_and_drop)
{
    rig r = rig_start();
    expect_ok(&r, NULL, "pass");
    cr_expect_eq(proxy_delay(r.p, 300), 0);
    th_response res = {0};
    get(&r, NULL, 5000, &res);
    cr_expect_eq(res.status, 200, "delay: status %ld", res.status);
    cr_expect_geq(res.elapsed_ms, 600, "delay: answered in %lld ms (two chunks of 300 ms)",
                  (long long)res.elapsed_ms);
    th_response_free(&res);
    cr_expect_eq(proxy_drop(r.p), 0);
    int before = fake_google_count(r.fg, ROUTE);
    get(&r, NULL, 700, &res);
    cr_expect_eq(res.status, 0, "drop: answered %ld", res.status);
    cr_expect_geq(res.elapsed_ms, 650, "drop: the client gave up after %lld ms only",
                  (long long)res.elapsed_ms);
    cr_expect_eq(fake_google_count(r.fg, ROUTE), before, "drop: the request was forwarded");
    th_response_free(&res);
    cr_expect_eq(proxy_pass(r.p), 0);
    expect_ok(&r, NULL, "pass again");
    rig_stop(&r);
}

Test(proxy, cut_mid_response_or_before_forwarding)
{
    rig r = rig_start();
    th_client *c = th_client_new();
    expect_ok(&r, c, "kept-alive connection");
    cr_expect_eq(proxy_cut(r.p, 40, ROUTE, 1), 0);
    int before = fake_google_count(r.fg, ROUTE);
    th_response res = {0};
    get(&r, c, 5000, &res); /* the kept-alive connection is cut too */
    cr_expect_neq(res.error, 0, "cut: the transfer succeeded");
    cr_expect_eq(fake_google_count(r.fg, ROUTE), before + 1,
                 "cut after 40 bytes: the request was not forwarded");
    cr_expect_eq(proxy_cuts(r.p), 1);
    th_response_free(&res);
    expect_ok(&r, c, "after one cut the proxy passes again");

    cr_expect_eq(proxy_cut(r.p, PROXY_BEFORE_FORWARD, "no-such-text", 0), 0);
    expect_ok(&r, NULL, "a request that does not match passes");
    cr_expect_eq(proxy_cut(r.p, PROXY_BEFORE_FORWARD, NULL, 0), 0);
    before = fake_google_count(r.fg, ROUTE);
    for (int i = 0; i < 2; i++) {
        get(&r, NULL, 5000, &res);
        cr_expect_eq(res.status, 0, "cut before forwarding: answered %ld", res.status);
        th_response_free(&res);
    }
    cr_expect_eq(fake_google_count(r.fg, ROUTE), before, "cut before forwarding: the request was forwarded");
    cr_expect_eq(proxy_cuts(r.p), 3, "no limit: every request is cut");
    th_client_free(c);
    rig_stop(&r);
}

Test(proxy, refuse_then_listen_again)
{
    rig r = rig_start();
    th_client *c = th_client_new();
    expect_ok(&r, c, "kept-alive connection");
    int held = th_raw_connect(proxy_port(r.p));
    cr_assert_geq(held, 0);
    cr_expect_eq(proxy_refuse(r.p), 0);
    int fd = th_raw_connect(proxy_port(r.p));
    cr_expect_lt(fd, 0, "refuse: a new connection was accepted");
    if (fd >= 0)
        close(fd);
    char byte;
    cr_expect_leq(read(held, &byte, 1), 0, "refuse: an open connection was not reset");
    close(held);
    th_response res = {0};
    get(&r, c, 2000, &res);
    cr_expect_eq(res.status, 0, "refuse: answered %ld", res.status);
    th_response_free(&res);
    cr_expect_eq(proxy_pass(r.p), 0, "cannot listen on the same port again");
    expect_ok(&r, c, "listening again");
    th_client_free(c);
    rig_stop(&r);
}
