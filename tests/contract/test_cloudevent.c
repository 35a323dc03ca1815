/*
 * test_cloudevent.c - CloudEvent functions over HTTP: binary and structured content
 * modes reach the handler with the event's attributes and data, a malformed event is
 * 400 without invoking it, and a failing handler is 500.
 */
#include <stdlib.h>
#include <string.h>

#include "contract.h"

TestSuite(cloudevent, .fini = ct_fini, .timeout = 60);

static ct_server start_event(void)
{
    const char *args[] = {"--target", "event", "--signature-type", "cloudevent", NULL};
    return ct_start(args, NULL);
}

static long post(const ct_server *s, const char *const headers[], const char *body)
{
    th_response res;
    ct_send(s, "POST", "/", headers, body, body ? strlen(body) : 0, &res);
    long status = res.status;
    th_response_free(&res);
    return status;
}

/* The handler's "event received" log entry (new reference); asserts it exists. */
static json_t *received(const ct_server *s)
{
    json_t *e = ct_log_wait(s, "event received", 3000);
    cr_assert_not_null(e, "the handler did not log the event");
    return e;
}

static const char *str(json_t *e, const char *key)
{
    const char *v = json_string_value(json_object_get(e, key));
    return v ? v : "(absent)";
}

CT_TEST(cloudevent, binary_mode)
{
    ct_server s = start_event();
    const char *h[] = {"ce-id: evt-1",
                       "ce-source: //test/source",
                       "ce-type: test.ok",
                       "ce-specversion: 1.0",
                       "ce-subject: things/1",
                       "Content-Type: application/json",
                       NULL};
    cr_assert_eq(post(&s, h, "{\"x\":1}"), 200);
    json_t *e = received(&s);
    cr_expect_str_eq(str(e, "ceId"), "evt-1");
    cr_expect_str_eq(str(e, "ceType"), "test.ok");
    cr_expect_str_eq(str(e, "ceSource"), "//test/source");
    cr_expect_str_eq(str(e, "ceSubject"), "things/1");
    cr_expect_str_eq(str(e, "ceData"), "{\"x\":1}");
    json_decref(e);
}

CT_TEST(cloudevent, structured_mode)
{
    ct_server s = start_event();
    const char *h[] = {"Content-Type: application/cloudevents+json; charset=utf-8", NULL};
    const char *body = "{\"specversion\":\"1.0\",\"id\":\"evt-2\",\"source\":\"//s\",\"type\":\"test.ok\","
                       "\"data\":{\"n\":[1,2]}}";
    cr_assert_eq(post(&s, h, body), 200);
    json_t *e = received(&s);
    cr_expect_str_eq(str(e, "ceId"), "evt-2");
    cr_expect_str_eq(str(e, "ceSource"), "//s");
    cr_expect_str_eq(str(e, "ceData"), "{\"n\":[1,2]}");
    json_decref(e);
}

CT_TEST(cloudevent, malformed_events_are_400_without_invoking)
{
    ct_server s = start_event();
    const char *missing_id[] = {"ce-source: //s", "ce-type: t", "ce-specversion: 1.0", NULL};
    const char *old_version[] = {"ce-id: 1", "ce-source: //s", "ce-type: t", "ce-specversion: 0.3", NULL};
    const char *structured[] = {"Content-Type: application/cloudevents+json", NULL};
    const char *bad_data[] = {
        "ce-id: 1", "ce-source: //s", "ce-type: t", "ce-specversion: 1.0", "Content-Type: application/json",
        NULL};
    const char *plain[] = {"Content-Type: application/json", NULL};
    cr_expect_eq(post(&s, missing_id, "{}"), 400, "missing ce-id");
    cr_expect_eq(post(&s, old_version, "{}"), 400, "specversion 0.3");
    cr_expect_eq(post(&s, structured, "{\"id\":"), 400, "structured, invalid JSON");
    cr_expect_eq(post(&s, structured, "{\"id\":\"1\",\"type\":\"t\",\"specversion\":\"1.0\"}"), 400,
                 "structured, no source");
    cr_expect_eq(post(&s, bad_data, "{not json"), 400, "binary, invalid JSON data");
    cr_expect_eq(post(&s, plain, "{}"), 400, "not a CloudEvent at all");
    json_t *e = ct_log_wait(&s, "malformed CloudEvent", 3000);
    cr_expect_not_null(e, "malformed events are not logged");
    json_decref(e);
    cr_expect_eq(ct_log_count(&s, "event received"), 0, "the handler ran for a malformed event");
}

CT_TEST(cloudevent, handler_failure_is_500)
{
    ct_server s = start_event();
    const char *h[] = {"ce-id: evt-3", "ce-source: //s", "ce-type: test.fail", "ce-specversion: 1.0", NULL};
    cr_expect_eq(post(&s, h, NULL), 500);
    json_decref(received(&s));
}

CT_TEST(cloudevent, event_function_in_all_functions_mode)
{
    ct_server s = ct_start(NULL, NULL);
    const char *h[] = {"ce-id: evt-4", "ce-source: //s", "ce-type: test.ok", "ce-specversion: 1.0", NULL};
    th_response res;
    ct_send(&s, "POST", "/demo-proj/europe-west1/event", h, "", 0, &res);
    cr_expect_eq(res.status, 200);
    th_response_free(&res);
    json_t *e = received(&s);
    cr_expect_str_eq(str(e, "ceId"), "evt-4");
    json_decref(e);
}
