/*
 * test_request_validation.c - the request rows of the startTransformPipeline contract,
 * each checked to write NOTHING (no job in projects/p1/jobs, the session's updateTime
 * unchanged) and to answer {"success": false, "error": {"code", "message"}} with a
 * client-safe message:
 *   - body not JSON, a JSON array or scalar, sessionId / stepId missing, empty, of the
 *     wrong type, a path-like sessionId -> 400 INVALID_REQUEST (the message names the field);
 *   - projectId missing, empty, repeated, path-like -> 400 INVALID_REQUEST;
 *   - GET / PUT / DELETE / PATCH -> 405 INVALID_REQUEST;
 *   - OPTIONS preflight -> 204 with the CORS headers; POST answers carry CORS too.
 */
#include <string.h>

#include "e2e.h"

TestSuite(request_validation, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

static void expect_400_names(e2e *t, const char *body, const char *field)
{
    e2e_state before = e2e_capture(t);
    th_response res;
    e2e_post_start(t, NULL, body, &res);
    e2e_expect_error(&res, 400, "INVALID_REQUEST");
    if (field != NULL)
        cr_expect(strstr(res.body, field) != NULL, "the 400 for %s does not name %s: %s", body, field,
                  res.body);
    th_response_free(&res);
    e2e_expect_unchanged(t, &before);
}

E2E_TEST(request_validation, invalid_bodies_are_400_and_write_nothing)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    static const struct {
        const char *body, *field; /* field: what the message must name (NULL: anything) */
    } cases[] = {
        {"not json", NULL},
        {"", NULL},
        {"{\"sessionId\": \"s1\", \"stepId\": ", NULL},
        {"[]", NULL},
        {"[{\"sessionId\":\"s1\",\"stepId\":\"x\"}]", NULL},
        {"null", NULL},
        {"\"s1\"", NULL},
        {"42", NULL},
        {"{}", "sessionId"},
        {"{\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":\"\",\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":5,\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":null,\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":[\"s1\"],\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":{\"id\":\"s1\"},\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":\"s1/../s1\",\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":\"s1/jobs/x\",\"stepId\":\"x\"}", "sessionId"},
        {"{\"sessionId\":\"s1\"}", "stepId"},
        {"{\"sessionId\":\"s1\",\"stepId\":\"\"}", "stepId"},
        {"{\"sessionId\":\"s1\",\"stepId\":3}", "stepId"},
        {"{\"sessionId\":\"s1\",\"stepId\":null}", "stepId"},
        {"{\"sessionId\":\"s1\",\"stepId\":true}", "stepId"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_400_names(&t, cases[i].body, cases[i].field);
    /* The same session with a valid body is accepted: the 400s were about the bodies. */
    e2e_start_job(&t);
}

E2E_TEST(request_validation, bad_project_id_is_400_and_writes_nothing)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    static const char *const queries[] = {
        "",
        "projectid=p1",
        "projectId=",
        "projectId",
        "projectId=p1&projectId=p1",
        "projectId=p1&projectId=p2",
        "projectId=a/b",
        "projectId=p1%2Fsessions%2Fs1",
        "projectId=..",
        "projectId=__p1__",
    };
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        e2e_state before = e2e_capture(&t);
        th_response res;
        e2e_post_start(&t, queries[i], "{\"sessionId\":\"s1\",\"stepId\":\"step-1\"}", &res);
        cr_expect_eq(res.status, 400, "query \"%s\": %ld %s", queries[i], res.status, res.body);
        e2e_expect_error(&res, 400, "INVALID_REQUEST");
        th_response_free(&res);
        e2e_expect_unchanged(&t, &before);
    }
    /* Nothing was created under the path-like project either. */
    t.project = "a";
    cr_expect_eq(e2e_count_jobs(&t), 0);
    t.project = "p1";
}

E2E_TEST(request_validation, other_methods_are_405_and_write_nothing)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    static const char *const methods[] = {"GET", "PUT", "DELETE", "PATCH"};
    const char *headers[] = {"Content-Type: application/json", NULL};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        e2e_state before = e2e_capture(&t);
        th_response res;
        const char *body =
            strcmp(methods[i], "GET") == 0 ? NULL : "{\"sessionId\":\"s1\",\"stepId\":\"step-1\"}";
        e2e_http(&t.srv, methods[i], "/startTransformPipeline?projectId=p1", headers, body, &res);
        cr_expect_eq(res.status, 405, "%s: %ld", methods[i], res.status);
        e2e_expect_error(&res, 405, "INVALID_REQUEST");
        th_response_free(&res);
        e2e_expect_unchanged(&t, &before);
    }
}

E2E_TEST(request_validation, cors_preflight_and_cors_on_answers)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    e2e_state before = e2e_capture(&t);
    const char *pre[] = {"Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                         "Access-Control-Request-Headers: content-type, authorization", NULL};
    th_response res;
    e2e_http(&t.srv, "OPTIONS", "/startTransformPipeline?projectId=p1", pre, NULL, &res);
    cr_expect_eq(res.status, 204, "preflight: %ld %s", res.status, res.body);
    const char *origin = th_header_get(&res, "access-control-allow-origin");
    cr_expect(origin && (strcmp(origin, "*") == 0 || strcmp(origin, "https://app.example.com") == 0),
              "Access-Control-Allow-Origin: %s", origin ? origin : "(none)");
    cr_expect(th_header_has_token(&res, "access-control-allow-methods", "POST"),
              "POST not allowed by preflight");
    cr_expect(th_header_has_token(&res, "access-control-allow-headers", "content-type"),
              "content-type not allowed by preflight");
    cr_expect(th_header_has_token(&res, "access-control-allow-headers", "authorization"),
              "authorization not allowed by preflight");
    cr_expect_eq(res.body_len, 0);
    th_response_free(&res);
    e2e_expect_unchanged(&t, &before);

    /* A browser's actual requests: success and error answers both carry the CORS header. */
    const char *post[] = {"Origin: https://app.example.com", "Content-Type: application/json", NULL};
    e2e_http(&t.srv, "POST", "/startTransformPipeline?projectId=p1", post, "{}", &res);
    cr_expect_eq(res.status, 400);
    cr_expect_not_null(th_header_get(&res, "access-control-allow-origin"), "400 without CORS header");
    th_response_free(&res);
    e2e_http(&t.srv, "POST", "/startTransformPipeline?projectId=p1", post,
             "{\"sessionId\":\"s1\",\"stepId\":\"x\"}", &res);
    cr_expect_eq(res.status, 200);
    cr_expect_not_null(th_header_get(&res, "access-control-allow-origin"), "200 without CORS header");
    cr_expect(strstr(th_header_get(&res, "content-type") ?: "", "application/json") != NULL, "not JSON");
    th_response_free(&res);
}

/* The project-qualified route the Firebase emulator also serves. */
E2E_TEST(request_validation, project_qualified_route_works)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    char path[256];
    snprintf(path, sizeof(path), "/%s/europe-west1/startTransformPipeline?projectId=p1", t.srv.gcp_project);
    const char *headers[] = {"Content-Type: application/json", NULL};
    th_response res;
    e2e_http(&t.srv, "POST", path, headers, "{\"sessionId\":\"s1\",\"stepId\":\"x\"}", &res);
    cr_expect_eq(res.status, 200, "%ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_eq(e2e_count_jobs(&t), 1);
}
