/*
 * test_signatures.c - the typed and legacy event signature types over HTTP, and
 * legacy events reaching a CloudEvent function (converted). The conformance client
 * covers the fixtures (make conformance); these rows pin the error paths.
 */
#include <string.h>

#include "contract.h"

TestSuite(signatures, .fini = ct_fini, .timeout = 60);

static long post(const ct_server *s, const char *path, const char *const headers[], const char *body,
                 th_response *res)
{
    ct_send(s, "POST", path, headers, body, strlen(body), res);
    return res->status;
}

CT_TEST(signatures, typed_answers_json_and_refuses_non_json)
{
    const char *args[] = {"--target", "typed", NULL};
    ct_server s = ct_start(args, NULL);
    th_response res;
    cr_expect_eq(post(&s, "/", NULL, "{\"message\":\"Hello world!\"}", &res), 200);
    cr_expect_str_eq(res.body, "{\"payload\":{\"message\":\"Hello world!\"}}");
    cr_expect(strstr(th_header_get(&res, "content-type"), "application/json") != NULL);
    th_response_free(&res);
    cr_expect_eq(post(&s, "/", NULL, "{not json", &res), 400);
    cr_expect_null(strstr(res.body, "position"), "parser detail leaked: %s", res.body);
    th_response_free(&res);
    cr_expect_eq(post(&s, "/", NULL, "{\"fail\":503}", &res), 503);
    cr_expect_null(strstr(res.body, "purpose"), "function detail leaked: %s", res.body);
    th_response_free(&res);
}

CT_TEST(signatures, legacy_event_function_gets_legacy_and_converted_cloudevents)
{
    const char *args[] = {"--target", "legacy", NULL};
    ct_server s = ct_start(args, NULL);
    th_response res;
    cr_expect_eq(
        post(&s, "/", NULL,
             "{\"data\":{\"v\":1},\"context\":{\"eventId\":\"e1\",\"eventType\":\"google.pubsub.topic."
             "publish\",\"timestamp\":\"2020-01-01T00:00:00Z\",\"resource\":\"projects/p/topics/t\"}}",
             &res),
        200);
    th_response_free(&res);
    json_t *e = ct_log_wait(&s, "legacy event received", 3000);
    cr_assert_not_null(e);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "eventContext"), "eventId")), "e1");
    json_decref(e);
    const char *ce[] = {"ce-id: e2",
                        "ce-specversion: 1.0",
                        "ce-type: google.cloud.pubsub.topic.v1.messagePublished",
                        "ce-source: //pubsub.googleapis.com/projects/p/topics/t",
                        "content-type: application/json",
                        NULL};
    cr_expect_eq(post(&s, "/", ce, "{\"message\":{\"data\":\"aGk=\",\"messageId\":\"e2\"}}", &res), 200);
    th_response_free(&res);
    cr_expect_eq(post(&s, "/", NULL, "{\"no\":\"event\"}", &res), 400);
    th_response_free(&res);
    cr_expect_eq(post(&s, "/", NULL,
                      "{\"data\":{},\"context\":{\"eventId\":\"x\",\"eventType\":\"test.fail\"}}", &res),
                 500);
    th_response_free(&res);
    cr_expect_eq(ct_log_count(&s, "legacy event received"), 3, "the function ran for the refused event");
}

CT_TEST(signatures, cloudevent_function_gets_a_converted_legacy_event)
{
    const char *args[] = {"--target", "event", NULL};
    ct_server s = ct_start(args, NULL);
    th_response res;
    cr_expect_eq(
        post(&s, "/", NULL,
             "{\"eventId\":\"e3\",\"timestamp\":\"2020-01-01T00:00:00Z\",\"eventType\":\"providers/cloud."
             "firestore/eventTypes/document.write\",\"resource\":\"projects/p/databases/(default)/"
             "documents/c/d\",\"data\":{}}",
             &res),
        200);
    th_response_free(&res);
    json_t *e = ct_log_wait(&s, "event received", 3000);
    cr_assert_not_null(e);
    cr_expect_str_eq(json_string_value(json_object_get(e, "ceType")),
                     "google.cloud.firestore.document.v1.written");
    cr_expect_str_eq(json_string_value(json_object_get(e, "ceSubject")), "documents/c/d");
    json_decref(e);
    cr_expect_eq(post(&s, "/", NULL,
                      "{\"eventId\":\"e4\",\"eventType\":\"providers/unknown\",\"resource\":\"r\","
                      "\"data\":{}}",
                      &res),
                 400, "an unknown legacy type");
    th_response_free(&res);
}
