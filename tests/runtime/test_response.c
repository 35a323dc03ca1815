/*
 * test_response.c - the response API (status, headers, JSON, bytes, text) and
 * ff_url_decode's edge cases.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "unit.h"

static size_t header_count(const ff_response *res, const char *name)
{
    return ff_kv_count(&res->headers, name, 1);
}

static const char *header(const ff_response *res, const char *name)
{
    return ff_kv_get(&res->headers, name, 1);
}

Test(response, untouched_is_200_empty)
{
    ff_response res;
    ff_response_init(&res);
    cr_expect_eq(res.status, 200);
    cr_expect_eq(res.body_len, 0);
    cr_expect_eq(res.headers.len, 0);
    ff_response_dispose(&res);
}

Test(response, json_sets_status_body_and_content_type)
{
    ff_response res;
    ff_response_init(&res);
    ff_res_json(&res, 201, json_pack("{s:i, s:[s]}", "n", 1, "l", "x"));
    cr_expect_eq(res.status, 201);
    cr_expect_str_eq(res.body, "{\"n\":1,\"l\":[\"x\"]}");
    cr_expect_eq(res.body_len, strlen(res.body));
    cr_expect_str_eq(header(&res, "content-type"), "application/json; charset=utf-8");
    ff_response_dispose(&res);
}

Test(response, json_null_and_scalars)
{
    ff_response res;
    ff_response_init(&res);
    ff_res_json(&res, 200, NULL);
    cr_expect_str_eq(res.body, "null");
    ff_res_json(&res, 200, json_string("s"));
    cr_expect_str_eq(res.body, "\"s\"");
    cr_expect_eq(header_count(&res, "content-type"), 1, "setting the body twice keeps one Content-Type");
    ff_response_dispose(&res);
}

Test(response, last_body_setter_wins)
{
    ff_response res;
    ff_response_init(&res);
    ff_res_header(&res, "Content-Type", "text/html");
    ff_res_json(&res, 400, json_object());
    cr_expect_eq(header_count(&res, "content-type"), 1);
    cr_expect_str_eq(header(&res, "content-type"), "application/json; charset=utf-8");
    ff_res_text(&res, 202, "plain");
    cr_expect_eq(res.status, 202);
    cr_expect_str_eq(res.body, "plain");
    cr_expect_str_eq(header(&res, "content-type"), "text/plain; charset=utf-8");
    cr_expect_eq(header_count(&res, "content-type"), 1);
    ff_response_dispose(&res);
}

Test(response, bytes_are_copied_with_nuls)
{
    ff_response res;
    ff_response_init(&res);
    char data[] = {'\x89', 'P', 'N', 'G', '\0', '\r', '\n'};
    ff_res_bytes(&res, 200, "image/png", data, sizeof(data));
    data[1] = 'X';
    cr_assert_eq(res.body_len, sizeof(data));
    cr_expect_eq(res.body[1], 'P', "the body is a copy");
    cr_expect_eq(res.body[4], '\0');
    cr_expect_str_eq(header(&res, "content-type"), "image/png");
    ff_res_bytes(&res, 204, "application/octet-stream", NULL, 0);
    cr_expect_eq(res.body_len, 0);
    cr_expect_eq(res.status, 204);
    ff_response_dispose(&res);
}

Test(response, status_alone)
{
    ff_response res;
    ff_response_init(&res);
    ff_res_status(&res, 418);
    cr_expect_eq(res.status, 418);
    cr_expect_eq(res.body_len, 0);
    ff_response_dispose(&res);
}

Test(response, headers_are_copied_and_repeatable)
{
    ff_response res;
    ff_response_init(&res);
    char value[] = "first";
    ff_res_header(&res, "X-A", value);
    value[0] = 'F';
    ff_res_header(&res, "Set-Cookie", "a=1");
    ff_res_header(&res, "Set-Cookie", "b=2");
    cr_expect_str_eq(header(&res, "x-a"), "first");
    cr_expect_eq(header_count(&res, "set-cookie"), 2);
    ff_response_dispose(&res);
}

Test(response, managed_headers_refused)
{
    ff_response res;
    ff_response_init(&res);
    ff_res_header(&res, "Content-Length", "5");
    ff_res_header(&res, "content-length", "5");
    ff_res_header(&res, "TRANSFER-ENCODING", "chunked");
    ff_res_text(&res, 200, "hello world");
    cr_expect_eq(header_count(&res, "content-length"), 0);
    cr_expect_eq(header_count(&res, "transfer-encoding"), 0);
    cr_expect_eq(res.body_len, 11);
    ff_response_dispose(&res);
}

/* ---- ff_url_decode --------------------------------------------------------------------- */

static void expect_decoded(const char *in, int plus, const char *want)
{
    char *got = ff_url_decode(in, strlen(in), plus);
    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "decode(\"%s\", plus=%d)", in, plus);
    free(got);
}

Test(url_decode, escapes)
{
    expect_decoded("%41%62%2f%2F", 0, "Ab//");
    expect_decoded("%e2%82%AC", 0, "\xe2\x82\xac");
    expect_decoded("plain-text_~.", 0, "plain-text_~.");
    expect_decoded("", 0, "");
}

Test(url_decode, plus)
{
    expect_decoded("a+b", 1, "a b");
    expect_decoded("a+b", 0, "a+b");
    expect_decoded("%2B+", 1, "+ ");
}

Test(url_decode, truncated_and_invalid_escapes_are_literal)
{
    expect_decoded("%", 0, "%");
    expect_decoded("%4", 0, "%4");
    expect_decoded("ab%", 0, "ab%");
    expect_decoded("%zz", 0, "%zz");
    expect_decoded("%4g", 0, "%4g");
    expect_decoded("%g4", 0, "%g4");
    expect_decoded("%%41", 0, "%A");
}

Test(url_decode, length_bounds_the_input)
{
    char *got = ff_url_decode("%41%42", 3, 0);
    cr_expect_str_eq(got, "A");
    free(got);
    got = ff_url_decode("%41", 2, 0); /* the escape is cut by the length */
    cr_expect_str_eq(got, "%4");
    free(got);
}

Test(url_decode, nul_escape)
{
    char *got = ff_url_decode("a%00b", 5, 0);
    cr_expect_eq(memcmp(got, "a\0b", 4), 0, "%%00 decodes to a NUL byte");
    free(got);
}
