/*
 * test_routing.c - which requests reach which function: target mode (every path but
 * /robots.txt and /favicon.ico), all-functions mode (/{fn} and /{project}/{region}/{fn}),
 * unknown functions, and no ETag.
 */
#include <string.h>

#include "contract.h"

TestSuite(routing, .fini = ct_fini, .timeout = 60);

static const char *const target_echo[] = {"--target", "echo", NULL};

/* GETs path and returns the echo function's JSON answer (asserts a 200). */
static json_t *echo_get(const ct_server *s, const char *path)
{
    th_response res;
    ct_get(s, path, &res);
    cr_assert_eq(res.status, 200, "GET %s -> %ld", path, res.status);
    json_t *j = ct_body_json(&res);
    th_response_free(&res);
    return j;
}

static const char *field(json_t *j, const char *name)
{
    return json_string_value(json_object_get(j, name));
}

CT_TEST(routing, target_mode_any_path_reaches_target)
{
    ct_server s = ct_start(target_echo, NULL);
    const char *paths[] = {"/", "/a/b/c", "/sleep", "/demo-proj/europe-west1/fail", "/echo"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        json_t *j = echo_get(&s, paths[i]);
        cr_expect_str_eq(field(j, "function"), "echo", "path %s", paths[i]);
        cr_expect_str_eq(field(j, "path"), paths[i]);
        json_decref(j);
    }
}

CT_TEST(routing, target_mode_keeps_query_and_method)
{
    ct_server s = ct_start(target_echo, NULL);
    th_response res;
    ct_send(&s, "PUT", "/a/b/c?q=x%20y", NULL, "hi", 2, &res);
    cr_assert_eq(res.status, 200);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(field(j, "method"), "PUT");
    cr_expect_str_eq(field(j, "path"), "/a/b/c");
    cr_expect_str_eq(field(j, "q"), "x y");
    cr_expect_str_eq(field(j, "body"), "hi");
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(routing, robots_and_favicon_are_404_without_invoking)
{
    ct_server s = ct_start(target_echo, NULL);
    const char *paths[] = {"/robots.txt", "/favicon.ico", "/robots.txt?x=1"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        th_response res;
        ct_get(&s, paths[i], &res);
        cr_expect_eq(res.status, 404, "GET %s -> %ld", paths[i], res.status);
        th_response_free(&res);
    }
    json_decref(echo_get(&s, "/after")); /* the handler logs "echo" once per invocation */
    json_t *access = ct_log_wait(&s, "GET /after", 3000);
    cr_assert_not_null(access, "no access-log line for /after");
    json_decref(access);
    cr_expect_eq(ct_log_count(&s, "echo"), 1, "the target ran for /robots.txt or /favicon.ico");
}

CT_TEST(routing, robots_is_404_in_all_functions_mode_too)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/favicon.ico", &res);
    cr_expect_eq(res.status, 404);
    th_response_free(&res);
}

CT_TEST(routing, no_etag_header)
{
    ct_server s = ct_start(NULL, NULL);
    const char *paths[] = {"/echo", "/fail", "/nope", "/robots.txt"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        th_response res;
        ct_get(&s, paths[i], &res);
        cr_expect_gt(res.status, 0);
        cr_expect_null(th_header_get(&res, "etag"), "ETag on %s", paths[i]);
        th_response_free(&res);
    }
}

CT_TEST(routing, all_functions_mode_serves_each_function_by_name)
{
    ct_server s = ct_start(NULL, NULL);
    json_t *j = echo_get(&s, "/echo");
    cr_expect_str_eq(field(j, "function"), "echo");
    cr_expect_str_eq(field(j, "path"), "/");
    json_decref(j);
    j = echo_get(&s, "/echo/sub/dir?q=1");
    cr_expect_str_eq(field(j, "path"), "/sub/dir");
    cr_expect_str_eq(field(j, "q"), "1");
    json_decref(j);
    th_response res;
    ct_get(&s, "/fail", &res);
    cr_expect_eq(res.status, 500, "/fail reached something else: %ld", res.status);
    th_response_free(&res);
    ct_get(&s, "/sleep?ms=0", &res);
    cr_expect_eq(res.status, 200);
    cr_expect(strstr(res.body, "sleptMs") != NULL, "not the sleep function: %s", res.body);
    th_response_free(&res);
}

CT_TEST(routing, all_functions_mode_serves_project_region_form)
{
    ct_server s = ct_start(NULL, NULL);
    json_t *j = echo_get(&s, "/demo-proj/europe-west1/echo");
    cr_expect_str_eq(field(j, "function"), "echo");
    cr_expect_str_eq(field(j, "path"), "/");
    json_decref(j);
    j = echo_get(&s, "/demo-proj/us-central1/echo/x?q=2");
    cr_expect_str_eq(field(j, "function"), "echo");
    cr_expect_str_eq(field(j, "path"), "/x");
    cr_expect_str_eq(field(j, "q"), "2");
    json_decref(j);
    th_response res;
    ct_get(&s, "/demo-proj/europe-west1/fail", &res);
    cr_expect_eq(res.status, 500);
    th_response_free(&res);
}

CT_TEST(routing, all_functions_mode_unknown_function_is_404)
{
    ct_server s = ct_start(NULL, NULL);
    const char *paths[] = {
        "/", "/nope", "/echox", "/demo-proj/europe-west1/nope", "/demo-proj/europe-west1", "/ech"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        th_response res;
        ct_get(&s, paths[i], &res);
        cr_expect_eq(res.status, 404, "GET %s -> %ld", paths[i], res.status);
        th_response_free(&res);
    }
    cr_expect_eq(ct_log_count(&s, "echo"), 0);
}
