/*
 * test_cors.c - CORS for functions registered with it (echo): preflight answered 204
 * without invoking the handler, the origin reflected on normal responses, and no CORS
 * headers at all on functions without it.
 */
#include <string.h>
#include <strings.h>

#include "contract.h"

TestSuite(cors, .fini = ct_fini, .timeout = 60);

#define ORIGIN "https://app.example.test"

static const char *const preflight_headers[] = {"Origin: " ORIGIN, "Access-Control-Request-Method: POST",
                                                "Access-Control-Request-Headers: content-type, x-custom",
                                                NULL};

/* No header whose name starts with access-control-. */
static void expect_no_cors(const th_response *res, const char *what)
{
    for (size_t i = 0; i < res->n_headers; i++)
        cr_expect(strncasecmp(res->headers[i].name, "access-control-", 15) != 0, "%s: unexpected %s: %s",
                  what, res->headers[i].name, res->headers[i].value);
}

CT_TEST(cors, preflight_is_answered_without_invoking)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_send(&s, "OPTIONS", "/echo", preflight_headers, NULL, 0, &res);
    cr_expect_eq(res.status, 204);
    cr_expect_str_eq(th_header_get(&res, "access-control-allow-origin"), ORIGIN);
    const char *methods = th_header_get(&res, "access-control-allow-methods");
    cr_assert_not_null(methods);
    cr_expect(th_header_has_token(&res, "access-control-allow-methods", "POST"), "methods: %s", methods);
    cr_expect(th_header_has_token(&res, "access-control-allow-headers", "content-type") &&
                  th_header_has_token(&res, "access-control-allow-headers", "x-custom"),
              "requested headers not reflected: %s", th_header_get(&res, "access-control-allow-headers"));
    cr_expect(th_header_has_token(&res, "vary", "Origin"), "no Vary: Origin on the preflight");
    cr_expect_eq(res.body_len, 0);
    th_response_free(&res);
    json_t *e = ct_log_wait(&s, "OPTIONS /echo 204", 3000);
    cr_expect_not_null(e, "preflight not access-logged");
    json_decref(e);
    cr_expect_eq(ct_log_count(&s, "echo"), 0, "the handler ran for a preflight");
}

CT_TEST(cors, preflight_in_target_mode)
{
    const char *args[] = {"--target", "echo", NULL};
    ct_server s = ct_start(args, NULL);
    th_response res;
    ct_send(&s, "OPTIONS", "/any/path", preflight_headers, NULL, 0, &res);
    cr_expect_eq(res.status, 204);
    cr_expect_str_eq(th_header_get(&res, "access-control-allow-origin"), ORIGIN);
    th_response_free(&res);
}

CT_TEST(cors, normal_response_reflects_origin)
{
    ct_server s = ct_start(NULL, NULL);
    const char *h[] = {"Origin: " ORIGIN, NULL};
    th_response res;
    ct_send(&s, "POST", "/echo", h, "{}", 2, &res);
    cr_expect_eq(res.status, 200);
    cr_expect_str_eq(th_header_get(&res, "access-control-allow-origin"), ORIGIN);
    cr_expect(th_header_has_token(&res, "vary", "Origin"), "no Vary: Origin");
    cr_expect_eq(th_header_count(&res, "access-control-allow-origin"), 1);
    th_response_free(&res);
}

CT_TEST(cors, plain_options_reaches_the_handler)
{
    ct_server s = ct_start(NULL, NULL);
    const char *h[] = {"Origin: " ORIGIN, NULL}; /* no Access-Control-Request-Method: not a preflight */
    th_response res;
    ct_send(&s, "OPTIONS", "/echo", h, NULL, 0, &res);
    cr_expect_eq(res.status, 200);
    cr_expect(strstr(res.body, "\"method\":\"OPTIONS\"") != NULL, "%s", res.body);
    th_response_free(&res);
}

CT_TEST(cors, no_origin_no_allow_origin)
{
    ct_server s = ct_start(NULL, NULL);
    th_response res;
    ct_get(&s, "/echo", &res);
    cr_expect_eq(res.status, 200);
    cr_expect_null(th_header_get(&res, "access-control-allow-origin"));
    th_response_free(&res);
}

CT_TEST(cors, function_without_cors_has_no_cors_headers)
{
    ct_server s = ct_start(NULL, NULL);
    const char *h[] = {"Origin: " ORIGIN, NULL};
    th_response res;
    ct_send(&s, "GET", "/sleep?ms=0", h, NULL, 0, &res);
    cr_expect_eq(res.status, 200);
    expect_no_cors(&res, "GET /sleep");
    th_response_free(&res);
    ct_send(&s, "OPTIONS", "/fail", preflight_headers, NULL, 0, &res);
    cr_expect_eq(res.status, 500, "a preflight to a non-CORS function must reach it: %ld", res.status);
    expect_no_cors(&res, "OPTIONS /fail");
    th_response_free(&res);
}
