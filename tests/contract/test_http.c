/*
 * test_http.c - HTTP hygiene: keep-alive, HTTP/1.1 pipelining, and what the handler
 * sees of a request (decoded query, case-insensitive headers, raw body, JSON errors).
 * Body limits are in test_body_limit.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract.h"

TestSuite(http, .fini = ct_fini, .timeout = 60);

static const char *str(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));
    return v ? v : "(absent)";
}

CT_TEST(http, keep_alive_reuses_the_connection)
{
    ct_server s = ct_start(NULL, NULL);
    char url[128];
    th_request req = {.url = ct_url(&s, "/echo", url, sizeof(url))};
    th_client *c = th_client_new();
    th_response res;
    for (int i = 0; i < 3; i++) {
        th_client_do(c, &req, &res);
        cr_expect_eq(res.status, 200);
        cr_expect_eq(res.num_connects, i == 0 ? 1 : 0, "request %d opened %ld connections", i,
                     res.num_connects);
        th_response_free(&res);
    }
    th_client_free(c);
}

CT_TEST(http, pipelined_requests_answered_in_order)
{
    ct_server s = ct_start(NULL, NULL);
    int fd = th_raw_connect(s.port);
    cr_assert_geq(fd, 0);
    /* The first is the slowest: the answers must still come back in request order. */
    const char *reqs = "GET /sleep?ms=300 HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /echo?q=second HTTP/1.1\r\nHost: t\r\n\r\n"
                       "POST /echo?q=third HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
    cr_assert_eq(th_raw_send_str(fd, reqs), 0);
    th_response res[3];
    int got = th_raw_read_responses(fd, res, 3, 10000);
    close(fd);
    cr_assert_eq(got, 3, "read %d of 3 pipelined responses", got);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(res[i].status, 200, "response %d -> %ld", i, res[i].status);
    cr_expect(strstr(res[0].body, "sleptMs") != NULL, "first answer is not /sleep: %s", res[0].body);
    json_t *second = ct_body_json(&res[1]), *third = ct_body_json(&res[2]);
    cr_expect_str_eq(str(second, "q"), "second");
    cr_expect_str_eq(str(third, "q"), "third");
    cr_expect_str_eq(str(third, "body"), "hello");
    json_decref(second);
    json_decref(third);
    for (int i = 0; i < 3; i++)
        th_response_free(&res[i]);
}

CT_TEST(http, query_is_decoded_and_counted)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/echo?q=a%20b+c%2B%zz&q=second&other=1", &res);
    cr_assert_eq(res.status, 200);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(str(j, "q"), "a b c+%zz");
    cr_expect_eq(json_integer_value(json_object_get(j, "qCount")), 2);
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(http, headers_are_case_insensitive)
{
    ct_server s = ct_start(NULL, NULL);
    const char *h[] = {"x-TEST: Mixed Case", NULL};
    th_response res;
    ct_send(&s, "GET", "/echo", h, NULL, 0, &res);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(str(j, "xTest"), "Mixed Case");
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(http, raw_body_with_nuls_and_json)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_send(&s, "POST", "/echo", NULL, "a\0b\0c", 5, &res);
    json_t *j = ct_body_json(&res);
    json_t *body = json_object_get(j, "body");
    cr_assert_eq(json_string_length(body), 5, "body length %zu", json_string_length(body));
    cr_expect_eq(memcmp(json_string_value(body), "a\0b\0c", 5), 0);
    json_decref(j);
    th_response_free(&res);

    const char *h[] = {"Content-Type: application/json", NULL};
    ct_send(&s, "POST", "/echo", h, "{\"k\":[1,{\"z\":null}]}", 20, &res);
    j = ct_body_json(&res);
    json_t *want = json_loads("{\"k\":[1,{\"z\":null}]}", 0, NULL);
    cr_expect(json_equal(json_object_get(j, "json"), want), "handler did not get the parsed JSON");
    cr_expect(json_is_null(json_object_get(j, "jsonError")));
    json_decref(want);
    json_decref(j);
    th_response_free(&res);
}

CT_TEST(http, json_errors_are_reported_to_the_handler)
{
    ct_server s = ct_start(NULL, NULL);
    const char *bodies[] = {"{\"a\":", "not json", ""};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        th_response res;
        ct_send(&s, "POST", "/echo", NULL, bodies[i], strlen(bodies[i]), &res);
        cr_assert_eq(res.status, 200, "body [%s] -> %ld", bodies[i], res.status);
        json_t *j = ct_body_json(&res);
        cr_expect(json_is_null(json_object_get(j, "json")));
        cr_expect(json_string_length(json_object_get(j, "jsonError")) > 0, "no jsonError for [%s]",
                  bodies[i]);
        json_decref(j);
        th_response_free(&res);
    }
}

CT_TEST(http, deeply_nested_json_does_not_crash)
{
    ct_server s = ct_start(NULL, NULL);
    size_t depth = 100000;
    char *body = malloc(depth * 2);
    memset(body, '[', depth);
    memset(body + depth, ']', depth);
    th_response res;
    ct_send(&s, "POST", "/echo", NULL, body, depth * 2, &res);
    free(body);
    cr_expect_eq(res.status, 200);
    json_t *j = ct_body_json(&res);
    cr_expect(json_string_length(json_object_get(j, "jsonError")) > 0, "100000 levels parsed?");
    json_decref(j);
    th_response_free(&res);
    ct_get(&s, "/echo", &res); /* still alive */
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
}

CT_TEST(http, handler_response_headers_and_status)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/echo", &res);
    cr_expect_eq(res.status, 200);
    cr_expect_str_eq(th_header_get(&res, "x-echo"), "1");
    cr_expect(strncmp(th_header_get(&res, "content-type"), "application/json", 16) == 0);
    cr_expect_eq(th_header_count(&res, "content-length"), 1);
    th_response_free(&res);
    ct_get(&s, "/fail", &res);
    cr_expect_eq(res.status, 500);
    json_t *j = ct_body_json(&res);
    cr_expect_str_eq(str(j, "error"), "failed");
    json_decref(j);
    th_response_free(&res);
}
