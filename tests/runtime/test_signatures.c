/*
 * test_signatures.c - the typed and legacy event signature types through
 * ff_invoke_local: the runtime parses, converts and serializes; bad input is 400 without
 * invoking the function; a failing function is 500 (or its 4xx) with a fixed text.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ff.h"

static int g_calls;
static json_t *g_seen;

static json_t *typed(ff_request *req, json_t *in, ff_error *err)
{
    g_calls++;
    json_t *fail = json_object_get(in, "fail");
    if (json_is_integer(fail)) {
        ff_error_set(err, (int)json_integer_value(fail), "internal detail %d", (int)json_integer_value(fail));
        return NULL;
    }
    return json_pack("{s:O}", "payload", in);
}

static int event(ff_request *req, json_t *data, json_t *context)
{
    g_calls++;
    json_decref(g_seen);
    g_seen = json_pack("{s:O, s:O}", "data", data, "context", context);
    return strcmp(json_string_value(json_object_get(context, "eventId")), "fail") == 0 ? -1 : 0;
}

static ff_app *g_app;

static void setup(void)
{
    g_calls = 0;
    g_seen = NULL;
    g_app = ff_app_new();
    ff_function_def defs[] = {
        {.name = "typed", .signature = FF_SIGNATURE_TYPED, .typed = typed},
        {.name = "event", .signature = FF_SIGNATURE_EVENT, .event = event},
    };
    for (size_t i = 0; i < 2; i++)
        cr_assert_eq(ff_register(g_app, &defs[i], NULL), 0);
}

static void teardown(void)
{
    json_decref(g_seen);
    ff_app_free(g_app);
}

TestSuite(signatures, .init = setup, .fini = teardown);

static ff_local_result invoke(const char *name, const char *const *headers, const char *body)
{
    ff_local_result out;
    ff_error err = {0};
    cr_assert_eq(ff_invoke_local(g_app, name, "POST", "/", headers, body, strlen(body), &out, &err), 0, "%s",
                 err.message);
    return out;
}

Test(signatures, typed_round_trip)
{
    ff_local_result r = invoke("typed", NULL, "{\"message\":\"hi\",\"n\":[1,2]}");
    cr_expect_eq(r.status, 200);
    cr_expect_str_eq(r.body, "{\"payload\":{\"message\":\"hi\",\"n\":[1,2]}}");
    ff_local_result_free(&r);
    r = invoke("typed", NULL, "\"just a string\"");
    cr_expect_eq(r.status, 200, "any JSON value is an input");
    ff_local_result_free(&r);
}

Test(signatures, typed_bad_json_is_400_without_invoking)
{
    const char *bad[] = {"", "{", "{\"a\":1,\"a\":2}", "nope"};
    for (size_t i = 0; i < 4; i++) {
        ff_local_result r = invoke("typed", NULL, bad[i]);
        cr_expect_eq(r.status, 400, "[%s] -> %d", bad[i], r.status);
        ff_local_result_free(&r);
    }
    cr_expect_eq(g_calls, 0);
}

Test(signatures, typed_failure_status_and_no_detail)
{
    ff_local_result r = invoke("typed", NULL, "{\"fail\":500}");
    cr_expect_eq(r.status, 500);
    cr_expect_null(strstr(r.body, "detail"), "internal detail leaked: %s", r.body);
    ff_local_result_free(&r);
    r = invoke("typed", NULL, "{\"fail\":422}");
    cr_expect_eq(r.status, 422);
    ff_local_result_free(&r);
    r = invoke("typed", NULL, "{\"fail\":7}");
    cr_expect_eq(r.status, 500, "a code outside 400..599 is a 500");
    ff_local_result_free(&r);
}

Test(signatures, event_gets_a_legacy_event_as_sent)
{
    ff_local_result r =
        invoke("event", NULL,
               "{\"data\":{\"x\":1},\"eventId\":\"e1\",\"eventType\":\"providers/cloud.firestore/"
               "eventTypes/document.write\",\"resource\":\"projects/p/databases/d/documents/c/1\","
               "\"params\":{\"doc\":\"1\"}}");
    cr_expect_eq(r.status, 200);
    ff_local_result_free(&r);
    json_t *ctx = json_object_get(g_seen, "context");
    cr_expect_str_eq(json_string_value(json_object_get(ctx, "eventType")),
                     "providers/cloud.firestore/eventTypes/document.write");
    cr_expect_not_null(json_object_get(ctx, "params"), "top-level context fields are kept");
    cr_expect_null(json_object_get(ctx, "data"));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(g_seen, "data"), "x")), 1);
}

Test(signatures, event_gets_a_cloudevent_converted_back)
{
    const char *h[] = {"ce-id: e2",
                       "ce-specversion: 1.0",
                       "ce-type: google.cloud.storage.object.v1.finalized",
                       "ce-source: //storage.googleapis.com/projects/_/buckets/b",
                       "ce-subject: objects/f",
                       "content-type: application/json",
                       NULL};
    ff_local_result r = invoke("event", h, "{\"kind\":\"storage#object\"}");
    cr_expect_eq(r.status, 200);
    ff_local_result_free(&r);
    json_t *ctx = json_object_get(g_seen, "context");
    cr_expect_str_eq(json_string_value(json_object_get(ctx, "eventType")), "google.storage.object.finalize");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(ctx, "resource"), "name")),
                     "projects/_/buckets/b/objects/f");
}

Test(signatures, event_refusals_and_failure)
{
    const char *not_events[] = {"{}", "[1]", "{\"data\":1}", "not json"};
    for (size_t i = 0; i < 4; i++) {
        ff_local_result r = invoke("event", NULL, not_events[i]);
        cr_expect_eq(r.status, 400, "[%s] -> %d", not_events[i], r.status);
        ff_local_result_free(&r);
    }
    cr_expect_eq(g_calls, 0);
    ff_local_result r =
        invoke("event", NULL, "{\"data\":{},\"context\":{\"eventId\":\"fail\",\"eventType\":\"t\"}}");
    cr_expect_eq(r.status, 500);
    ff_local_result_free(&r);
}
