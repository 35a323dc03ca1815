/*
 * test_invoke_local.c - ff_invoke_local: a registered function run on the calling
 * thread sees the same request API as under the server (method, target, headers, body,
 * trace, deadline from its timeout), and CloudEvent functions answer 200/400/500.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <strings.h>

#include "ff.h"

static int g_userdata;

/* Reports what it saw as JSON. */
static void report(ff_request *req, ff_response *res)
{
    size_t len;
    const char *body = ff_req_body(req, &len);
    json_t *out =
        json_pack("{s:s, s:s, s:s?, s:s?, s:s%, s:s, s:s, s:I, s:b}", "method", ff_req_method(req), "path",
                  ff_req_path(req), "q", ff_req_query(req, "q"), "h", ff_req_header(req, "x-test"), "body",
                  body, len, "function", ff_req_function(req), "trace", ff_req_trace_id(req), "remaining",
                  (json_int_t)ff_req_remaining_ms(req), "userdata", ff_req_userdata(req) == &g_userdata);
    ff_res_header(res, "X-Seen", "1");
    ff_res_json(res, 201, out);
}

static void untouched(ff_request *req, ff_response *res) {}

static int event(ff_request *req, const ff_cloudevent *ev)
{
    return strcmp(ev->type, "fail") == 0 ? -1 : 0;
}

static ff_app *g_app;

static void setup(void)
{
    g_app = ff_app_new();
    ff_function_def defs[] = {
        {.name = "report",
         .signature = FF_SIGNATURE_HTTP,
         .http = report,
         .timeout_s = 5,
         .userdata = &g_userdata},
        {.name = "untouched", .signature = FF_SIGNATURE_HTTP, .http = untouched},
        {.name = "event", .signature = FF_SIGNATURE_CLOUDEVENT, .cloudevent = event},
    };
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        cr_assert_eq(ff_register(g_app, &defs[i], NULL), 0);
}

static void teardown(void)
{
    ff_app_free(g_app);
}

TestSuite(invoke_local, .init = setup, .fini = teardown);

static const char *result_header(const ff_local_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->header_names[i], name) == 0)
            return r->header_values[i];
    return NULL;
}

Test(invoke_local, http_function_sees_the_request)
{
    const char *headers[] = {"X-Test:  spaced value", "X-Cloud-Trace-Context: abc123/1;o=1", "no colon",
                             NULL};
    ff_local_result r;
    ff_error err = {0};
    cr_assert_eq(ff_invoke_local(g_app, "report", "PUT", "/p/q?q=a+b", headers, "b\0dy", 4, &r, &err), 0,
                 "%s", err.message);
    cr_expect_eq(r.status, 201);
    cr_expect_str_eq(result_header(&r, "x-seen"), "1");
    cr_expect(strncmp(result_header(&r, "content-type"), "application/json", 16) == 0);
    json_t *j = json_loadb(r.body, r.body_len, JSON_ALLOW_NUL, NULL);
    cr_assert_not_null(j, "body: %s", r.body);
    cr_expect_str_eq(json_string_value(json_object_get(j, "method")), "PUT");
    cr_expect_str_eq(json_string_value(json_object_get(j, "path")), "/p/q");
    cr_expect_str_eq(json_string_value(json_object_get(j, "q")), "a b");
    cr_expect_str_eq(json_string_value(json_object_get(j, "h")), "spaced value");
    cr_expect_eq(json_string_length(json_object_get(j, "body")), 4);
    cr_expect_str_eq(json_string_value(json_object_get(j, "function")), "report");
    cr_expect_str_eq(json_string_value(json_object_get(j, "trace")), "abc123");
    json_int_t left = json_integer_value(json_object_get(j, "remaining"));
    cr_expect(left > 4000 && left <= 5000, "deadline from timeout_s=5: %lld ms left", (long long)left);
    cr_expect(json_is_true(json_object_get(j, "userdata")));
    json_decref(j);
    ff_local_result_free(&r);
}

Test(invoke_local, untouched_response_is_200_empty)
{
    ff_local_result r;
    cr_assert_eq(ff_invoke_local(g_app, "untouched", "GET", "/", NULL, NULL, 0, &r, NULL), 0);
    cr_expect_eq(r.status, 200);
    cr_expect_eq(r.body_len, 0);
    cr_assert_not_null(r.body);
    cr_expect_str_eq(r.body, "");
    ff_local_result_free(&r);
}

Test(invoke_local, cloudevent_outcomes)
{
    const char *ok[] = {"ce-id: 1", "ce-source: //s", "ce-type: ok", "ce-specversion: 1.0", NULL};
    const char *fail[] = {"ce-id: 1", "ce-source: //s", "ce-type: fail", "ce-specversion: 1.0", NULL};
    const char *bad[] = {"ce-id: 1", "ce-type: ok", "ce-specversion: 1.0", NULL};
    ff_local_result r;
    cr_assert_eq(ff_invoke_local(g_app, "event", "POST", "/", ok, "{}", 2, &r, NULL), 0);
    cr_expect_eq(r.status, 200);
    ff_local_result_free(&r);
    cr_assert_eq(ff_invoke_local(g_app, "event", "POST", "/", fail, "{}", 2, &r, NULL), 0);
    cr_expect_eq(r.status, 500);
    ff_local_result_free(&r);
    cr_assert_eq(ff_invoke_local(g_app, "event", "POST", "/", bad, "{}", 2, &r, NULL), 0);
    cr_expect_eq(r.status, 400, "no ce-source: malformed");
    ff_local_result_free(&r);
}

Test(invoke_local, unknown_function)
{
    ff_local_result r;
    ff_error err = {0};
    cr_expect_neq(ff_invoke_local(g_app, "nope", "GET", "/", NULL, NULL, 0, &r, &err), 0);
    cr_expect(strstr(err.message, "nope") != NULL, "%s", err.message);
    ff_local_result_free(&r); /* safe on a failed call */
}

Test(invoke_local, no_server_state_before_start)
{
    cr_expect_eq(ff_listen_port(), 0);
    cr_expect_eq(ff_all_functions_mode(), 0);
}
