/*
 * test_request.c - the handler-facing request API: method, path, query parameters
 * (decoding, repeats, missing), headers, raw body, JSON parsing, trace IDs.
 * Deadlines and cancellation are in test_deadline.c.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

Test(request, method_path_and_raw_query)
{
    ff_request *r = ut_request("PATCH", "/a/b%20c/?x=1&y", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_method(r), "PATCH");
    cr_expect_str_eq(ff_req_path(r), "/a/b%20c/", "the path is not percent-decoded");
    cr_expect_str_eq(r->query, "x=1&y");
    ut_request_free(r);
}

Test(request, path_without_query)
{
    ff_request *r = ut_request("GET", "/only/path", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_path(r), "/only/path");
    cr_expect_null(ff_req_query(r, "x"));
    cr_expect_eq(ff_req_query_count(r, "x"), 0);
    ut_request_free(r);
}

Test(request, query_percent_and_plus_decoding)
{
    ff_request *r = ut_request("GET", "/?q=a%20b+c%2B%2f&k%5B0%5D=v&e=%E2%82%AC", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_query(r, "q"), "a b c+/");
    cr_expect_str_eq(ff_req_query(r, "k[0]"), "v", "names are decoded too");
    cr_expect_str_eq(ff_req_query(r, "e"), "\xe2\x82\xac");
    ut_request_free(r);
}

Test(request, query_repeated_parameters)
{
    ff_request *r = ut_request("GET", "/?id=1&x=0&id=2&id=3", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_query(r, "id"), "1", "the first value wins");
    cr_expect_eq(ff_req_query_count(r, "id"), 3);
    cr_expect_eq(ff_req_query_count(r, "x"), 1);
    ut_request_free(r);
}

Test(request, query_missing_empty_and_flag_parameters)
{
    ff_request *r = ut_request("GET", "/?&&flag&empty=&=novalue&a=1&", NULL, 0, NULL);
    cr_expect_null(ff_req_query(r, "missing"));
    cr_expect_eq(ff_req_query_count(r, "missing"), 0);
    cr_expect_str_eq(ff_req_query(r, "flag"), "", "a key without '=' has the value \"\"");
    cr_expect_str_eq(ff_req_query(r, "empty"), "");
    cr_expect_str_eq(ff_req_query(r, "a"), "1");
    ut_request_free(r);
}

Test(request, query_names_are_case_sensitive)
{
    ff_request *r = ut_request("GET", "/?Q=upper", NULL, 0, NULL);
    cr_expect_null(ff_req_query(r, "q"));
    cr_expect_str_eq(ff_req_query(r, "Q"), "upper");
    ut_request_free(r);
}

Test(request, query_malformed_escapes_kept)
{
    ff_request *r = ut_request("GET", "/?a=%zz&b=%4&c=100%&d=%%41", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_query(r, "a"), "%zz");
    cr_expect_str_eq(ff_req_query(r, "b"), "%4");
    cr_expect_str_eq(ff_req_query(r, "c"), "100%");
    cr_expect_str_eq(ff_req_query(r, "d"), "%A");
    ut_request_free(r);
}

Test(request, headers_case_insensitive)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, "X-Custom-Thing", "one", "x-custom-thing", "two",
                               "content-type", "text/plain", NULL);
    cr_expect_str_eq(ff_req_header(r, "x-custom-thing"), "one");
    cr_expect_str_eq(ff_req_header(r, "X-CUSTOM-THING"), "one", "first value wins");
    cr_expect_str_eq(ff_req_header(r, "Content-Type"), "text/plain");
    cr_expect_null(ff_req_header(r, "x-absent"));
    ut_request_free(r);
}

Test(request, body_with_nuls)
{
    const char body[] = {'a', '\0', 'b', '\0', '\0', 'c'};
    ff_request *r = ut_request("POST", "/", body, sizeof(body), NULL);
    size_t len = 0;
    const char *got = ff_req_body(r, &len);
    cr_assert_eq(len, sizeof(body));
    cr_expect_eq(memcmp(got, body, sizeof(body)), 0);
    cr_expect_eq(got[len], '\0', "the body is NUL-terminated");
    cr_expect_not_null(ff_req_body(r, NULL), "len may be NULL");
    ut_request_free(r);
}

Test(request, empty_body)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    size_t len = 99;
    cr_expect_str_eq(ff_req_body(r, &len), "");
    cr_expect_eq(len, 0);
    ut_request_free(r);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static json_t *parse(ff_request *r, ff_error *err)
{
    memset(err, 0, sizeof(*err));
    return ff_req_json(r, err);
}

Test(request_json, valid_object_parsed_once_and_cached)
{
    const char *body = "{\"a\":[1,2,{\"b\":null}],\"s\":\"\\u00e9\"}";
    ff_request *r = ut_request("POST", "/", body, strlen(body), NULL);
    ff_error err;
    json_t *j = parse(r, &err);
    cr_assert(json_is_object(j));
    cr_expect_eq(json_array_size(json_object_get(j, "a")), 3);
    cr_expect_str_eq(json_string_value(json_object_get(j, "s")), "\xc3\xa9");
    cr_expect_eq(ff_req_json(r, NULL), j, "parsed once, then cached");
    ut_request_free(r);
}

Test(request_json, scalar_body)
{
    ff_request *r = ut_request("POST", "/", "42", 2, NULL);
    ff_error err;
    json_t *j = parse(r, &err);
    cr_assert(json_is_integer(j));
    cr_expect_eq(json_integer_value(j), 42);
    ut_request_free(r);
}

Test(request_json, invalid_reports_error)
{
    const char *bodies[] = {"{\"a\":", "not json", "{\"a\":1}trailing", "[1,]", "\xff\xfe"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ff_request *r = ut_request("POST", "/", bodies[i], strlen(bodies[i]), NULL);
        ff_error err;
        cr_expect_null(parse(r, &err), "[%s] parsed", bodies[i]);
        cr_expect_neq(err.code, 0);
        cr_expect_gt(strlen(err.message), 0, "no message for [%s]", bodies[i]);
        ff_error again;
        cr_expect_null(parse(r, &again), "second call");
        cr_expect_str_eq(again.message, err.message, "the error is kept for later calls");
        ut_request_free(r);
    }
}

Test(request_json, empty_body_is_an_error)
{
    ff_request *r = ut_request("POST", "/", NULL, 0, NULL);
    ff_error err;
    cr_expect_null(parse(r, &err));
    cr_expect_neq(err.code, 0);
    cr_expect(strstr(err.message, "empty") != NULL, "%s", err.message);
    ut_request_free(r);
}

Test(request_json, error_may_be_null)
{
    ff_request *r = ut_request("POST", "/", "{", 1, NULL);
    cr_expect_null(ff_req_json(r, NULL));
    ut_request_free(r);
}

/* 100000 levels of arrays or objects: an error, not a stack overflow. */
static void expect_deep_refused(const char *open, const char *close)
{
    size_t depth = 100000, ol = strlen(open), cl = strlen(close);
    char *body = malloc(depth * (ol + cl) + 2);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++, n += ol)
        memcpy(body + n, open, ol);
    body[n++] = '1';
    for (size_t i = 0; i < depth; i++, n += cl)
        memcpy(body + n, close, cl);
    ff_request *r = ut_request("POST", "/", body, n, NULL);
    free(body);
    ff_error err;
    cr_expect_null(parse(r, &err), "100000 levels of %s parsed", open);
    cr_expect_neq(err.code, 0);
    ut_request_free(r);
}

Test(request_json, deeply_nested_arrays_do_not_crash)
{
    expect_deep_refused("[", "]");
}

Test(request_json, deeply_nested_objects_do_not_crash)
{
    expect_deep_refused("{\"a\":", "}");
}

Test(request_json, body_with_nul_is_invalid_json)
{
    ff_request *r = ut_request("POST", "/", "{\"a\":\"x\0y\"}", 11, NULL);
    ff_error err;
    cr_expect_null(parse(r, &err), "a raw NUL inside a JSON string is not valid JSON");
    ut_request_free(r);
}

/* ---- trace IDs ------------------------------------------------------------------------- */

static const char *trace_of(const char *name, const char *value)
{
    static char out[64];
    ff_request *r = ut_request("GET", "/", NULL, 0, name, value, NULL);
    ff_request_parse_trace(r);
    snprintf(out, sizeof(out), "%s", ff_req_trace_id(r));
    ut_request_free(r);
    return out;
}

Test(request_trace, cloud_trace_context)
{
    cr_expect_str_eq(trace_of("X-Cloud-Trace-Context", "105445aa7843bc8bf206b12000100000/1;o=1"),
                     "105445aa7843bc8bf206b12000100000");
    cr_expect_str_eq(trace_of("x-cloud-trace-context", "abcdef0123;o=1"), "abcdef0123");
}

Test(request_trace, traceparent)
{
    cr_expect_str_eq(trace_of("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                     "4bf92f3577b34da6a3ce929d0e0e4736");
}

Test(request_trace, cloud_header_wins_over_traceparent)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, "traceparent",
                               "00-11111111111111111111111111111111-2222222222222222-01",
                               "X-Cloud-Trace-Context", "33333333333333333333333333333333/1", NULL);
    ff_request_parse_trace(r);
    cr_expect_str_eq(ff_req_trace_id(r), "33333333333333333333333333333333");
    ut_request_free(r);
}

Test(request_trace, invalid_or_absent_gives_empty)
{
    cr_expect_str_eq(trace_of("X-Cloud-Trace-Context", "not-hex!/1"), "");
    cr_expect_str_eq(trace_of("X-Cloud-Trace-Context", "/1;o=1"), "");
    cr_expect_str_eq(trace_of("traceparent", "garbage"), "");
    cr_expect_str_eq(trace_of("X-Other", "105445aa7843bc8bf206b12000100000"), "");
    char longid[100];
    memset(longid, 'a', 80);
    longid[80] = '\0';
    cr_expect_str_eq(trace_of("X-Cloud-Trace-Context", longid), "", "an overlong ID is ignored");
}

Test(request, function_and_userdata)
{
    ff_request *r = ut_request("GET", "/", NULL, 0, NULL);
    cr_expect_str_eq(ff_req_function(r), "", "no function: empty string, not NULL");
    int data = 7;
    r->function = "fn";
    r->userdata = &data;
    cr_expect_str_eq(ff_req_function(r), "fn");
    cr_expect_eq(ff_req_userdata(r), &data);
    ut_request_free(r);
}
