/*
 * test_cloudevent.c - CloudEvents 1.0 parsing: binary content mode (ce-* headers),
 * structured mode (application/cloudevents+json), required attributes, specversion,
 * data handling and extensions.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../runtime/src/ff/cloudevent.h"
#include "unit.h"

#define CE_BINARY "ce-id", "id-1", "ce-source", "//src", "ce-type", "t.created", "ce-specversion", "1.0"

static int parse(ff_request *r, ff_cloudevent *ev, ff_error *err)
{
    memset(err, 0, sizeof(*err));
    return ff_cloudevent_parse(r, ev, err);
}

static const char *attr(const ff_cloudevent *ev, const char *name)
{
    return json_string_value(json_object_get(ev->attributes, name));
}

Test(ce_binary, required_attributes_and_json_data)
{
    ff_request *r = ut_request("POST", "/", "{\"v\":1}", 7, CE_BINARY, "content-type", "application/json",
                               "ce-subject", "docs/1", "ce-time", "2024-01-01T00:00:00Z", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.id, "id-1");
    cr_expect_str_eq(ev.source, "//src");
    cr_expect_str_eq(ev.type, "t.created");
    cr_expect_str_eq(ev.specversion, "1.0");
    cr_expect_str_eq(ev.subject, "docs/1");
    cr_expect_str_eq(ev.time, "2024-01-01T00:00:00Z");
    cr_expect_str_eq(ev.datacontenttype, "application/json");
    cr_assert(json_is_object(ev.data));
    cr_expect_eq(json_integer_value(json_object_get(ev.data, "v")), 1);
    cr_expect_eq(ev.data_len, 7);
    cr_expect_eq(memcmp(ev.data_raw, "{\"v\":1}", 7), 0);
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_binary, header_names_case_insensitive_and_extensions_kept)
{
    ff_request *r =
        ut_request("POST", "/", NULL, 0, "Ce-Id", "x", "CE-SOURCE", "//s", "ce-Type", "t", "Ce-SpecVersion",
                   "1.0", "ce-traceparent", "00-abc", "ce-myext", "value", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.id, "x");
    cr_expect_str_eq(attr(&ev, "myext"), "value");
    cr_expect_str_eq(attr(&ev, "traceparent"), "00-abc");
    cr_expect_null(ev.subject);
    cr_expect_null(ev.time);
    cr_expect_null(ev.data, "no body, no data");
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_binary, each_required_attribute_missing)
{
    const char *names[] = {"ce-id", "ce-source", "ce-type", "ce-specversion"};
    for (size_t skip = 0; skip < 4; skip++) {
        ff_request *r = ut_request("POST", "/", NULL, 0, NULL);
        for (size_t i = 0; i < 4; i++)
            if (i != skip)
                ff_kv_add(&r->headers, names[i], strlen(names[i]), i == 3 ? "1.0" : "v", i == 3 ? 3 : 1);
        ff_cloudevent ev;
        ff_error err;
        cr_expect_neq(parse(r, &ev, &err), 0, "accepted without %s", names[skip]);
        cr_expect(strstr(err.message, names[skip] + 3) != NULL, "error [%s] does not name %s", err.message,
                  names[skip] + 3);
        ut_request_free(r);
    }
}

Test(ce_binary, empty_required_attribute)
{
    ff_request *r = ut_request("POST", "/", NULL, 0, "ce-id", "", "ce-source", "//s", "ce-type", "t",
                               "ce-specversion", "1.0", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_expect_neq(parse(r, &ev, &err), 0);
    ut_request_free(r);
}

Test(ce_binary, specversion_03_refused)
{
    ff_request *r = ut_request("POST", "/", NULL, 0, "ce-id", "1", "ce-source", "//s", "ce-type", "t",
                               "ce-specversion", "0.3", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_expect_neq(parse(r, &ev, &err), 0);
    cr_expect(strstr(err.message, "0.3") != NULL, "%s", err.message);
    ut_request_free(r);
}

Test(ce_binary, invalid_json_data_refused)
{
    ff_request *r = ut_request("POST", "/", "{nope", 5, CE_BINARY, "content-type", "application/json", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_expect_neq(parse(r, &ev, &err), 0);
    cr_expect(strstr(err.message, "JSON") != NULL, "%s", err.message);
    ut_request_free(r);
}

Test(ce_binary, json_suffix_content_type_is_json)
{
    ff_request *r = ut_request("POST", "/", "[1]", 3, CE_BINARY, "content-type",
                               "application/vnd.thing+json; charset=utf-8", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect(json_is_array(ev.data));
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_binary, non_json_data_kept_raw)
{
    const char body[] = {'b', 'i', '\0', 'n'};
    ff_request *r = ut_request("POST", "/", body, sizeof(body), CE_BINARY, "content-type",
                               "application/octet-stream", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_null(ev.data);
    cr_assert_eq(ev.data_len, sizeof(body));
    cr_expect_eq(memcmp(ev.data_raw, body, sizeof(body)), 0);
    cr_expect_str_eq(ev.datacontenttype, "application/octet-stream");
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce, not_a_cloudevent)
{
    ff_request *r = ut_request("POST", "/", "{}", 2, "content-type", "application/json", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_expect_neq(parse(r, &ev, &err), 0);
    cr_expect_gt(strlen(err.message), 0);
    ut_request_free(r);
}

/* ---- structured mode ------------------------------------------------------------------- */

static ff_request *structured(const char *body)
{
    return ut_request("POST", "/", body, strlen(body), "Content-Type",
                      "application/cloudevents+json; charset=utf-8", NULL);
}

Test(ce_structured, attributes_data_and_extensions)
{
    ff_request *r = structured("{\"specversion\":\"1.0\",\"id\":\"s-1\",\"source\":\"//s\",\"type\":\"t\","
                               "\"subject\":\"sub\",\"datacontenttype\":\"application/json\",\"myext\":\"e\","
                               "\"data\":{\"k\":[true]}}");
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.id, "s-1");
    cr_expect_str_eq(ev.source, "//s");
    cr_expect_str_eq(ev.type, "t");
    cr_expect_str_eq(ev.subject, "sub");
    cr_expect_str_eq(ev.datacontenttype, "application/json");
    cr_expect_str_eq(attr(&ev, "myext"), "e");
    cr_expect_null(json_object_get(ev.attributes, "data"), "data is not an attribute");
    cr_assert(json_is_object(ev.data));
    cr_expect(json_is_true(json_array_get(json_object_get(ev.data, "k"), 0)));
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_structured, ignores_ce_headers)
{
    const char *body = "{\"specversion\":\"1.0\",\"id\":\"body\",\"source\":\"s\",\"type\":\"t\"}";
    ff_request *r = ut_request("POST", "/", body, strlen(body), "content-type",
                               "application/cloudevents+json", "ce-id", "header", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.id, "body");
    cr_expect_null(ev.data);
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_structured, malformed_refused)
{
    const char *bodies[] = {
        "{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"t\"}",              /* no id */
        "{\"specversion\":\"1.0\",\"id\":7,\"source\":\"s\",\"type\":\"t\"}",     /* id not a string */
        "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}", /* old version */
        "{\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}",                         /* no specversion */
        "{\"specversion\":\"1.0\",\"id\":",                                       /* invalid JSON */
        "[1,2]",                                                                  /* not an object */
        "",                                                                       /* empty */
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ff_request *r = structured(bodies[i]);
        ff_cloudevent ev;
        ff_error err;
        cr_expect_neq(parse(r, &ev, &err), 0, "accepted: %s", bodies[i]);
        cr_expect_gt(strlen(err.message), 0);
        ut_request_free(r);
    }
}

Test(ce_structured, data_base64_reaches_the_function_as_bytes)
{
    const char *body = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\","
                       "\"datacontenttype\":\"application/octet-stream\",\"data_base64\":\"AAH/YQ==\"}";
    ff_request *r = structured(body);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_eq(ev.data_len, 4);
    cr_expect_eq(memcmp(ev.data_raw,
                        "\x00\x01\xff"
                        "a",
                        4),
                 0);
    cr_expect_null(ev.data, "bytes of a non-JSON type are not JSON");
    cr_expect_str_eq(ev.datacontenttype, "application/octet-stream");
    cr_expect_null(json_object_get(ev.attributes, "data_base64"));
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_structured, data_base64_of_json_type_is_parsed_too)
{
    const char *body = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\","
                       "\"datacontenttype\":\"application/json\",\"data_base64\":\"eyJhIjoxfQ\"}";
    ff_request *r = structured(body);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_eq(ev.data_len, 7);
    cr_expect_eq(json_integer_value(json_object_get(ev.data, "a")), 1);
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_structured, bad_data_base64_is_refused)
{
    const char *bodies[] = {
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\",\"data_base64\":\"**\"}",
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\",\"data_base64\":7}",
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\",\"data_base64\":\"QQ==\","
        "\"data\":1}",
        "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"//s\",\"type\":\"t\",\"datacontenttype\":"
        "\"application/json\",\"data_base64\":\"e30x\"}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        ff_request *r = structured(bodies[i]);
        ff_cloudevent ev;
        ff_error err;
        cr_expect_neq(parse(r, &ev, &err), 0, "accepted %s", bodies[i]);
        cr_expect_null(ev.attributes);
        ut_request_free(r);
    }
}

Test(ce_binary, header_values_are_percent_decoded)
{
    ff_request *r = ut_request("POST", "/", NULL, 0, "ce-id", "a%20b", "ce-source", "//s/%C3%A9t%C3%A9",
                               "ce-type", "t", "ce-specversion", "1.0", "ce-subject", "100%25+x", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.id, "a b");
    cr_expect_str_eq(ev.source, "//s/\xc3\xa9t\xc3\xa9");
    cr_expect_str_eq(ev.subject, "100%+x", "'+' is not a space in a header");
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
    const char *bad[][2] = {{"ce-subject", "a%00b"}, {"ce-subject", "%ff%fe"}};
    for (size_t i = 0; i < 2; i++) {
        r = ut_request("POST", "/", NULL, 0, CE_BINARY, bad[i][0], bad[i][1], NULL);
        cr_expect_neq(parse(r, &ev, &err), 0, "accepted %s", bad[i][1]);
        ut_request_free(r);
    }
}

Test(ce_tracing, traceparent_header_becomes_the_extension)
{
    const char *tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    ff_request *r = ut_request("POST", "/", NULL, 0, CE_BINARY, "traceparent", tp, "tracestate", "k=v", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(attr(&ev, "traceparent"), tp);
    cr_expect_str_eq(attr(&ev, "tracestate"), "k=v");
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
    /* an event's own traceparent is kept */
    r = ut_request("POST", "/", NULL, 0, CE_BINARY, "ce-traceparent", "00-own", "traceparent", tp, NULL);
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(attr(&ev, "traceparent"), "00-own");
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
}

Test(ce_legacy, a_legacy_event_is_converted)
{
    const char *body =
        "{\"eventId\":\"e1\",\"timestamp\":\"2020-09-29T11:32:00.123Z\",\"eventType\":"
        "\"google.pubsub.topic.publish\",\"resource\":\"projects/p/topics/t\",\"data\":{\"data\":"
        "\"aGk=\"}}";
    ff_request *r = ut_request("POST", "/", body, strlen(body), "content-type", "application/json", NULL);
    ff_cloudevent ev;
    ff_error err;
    cr_assert_eq(parse(r, &ev, &err), 0, "%s", err.message);
    cr_expect_str_eq(ev.type, "google.cloud.pubsub.topic.v1.messagePublished");
    cr_expect_str_eq(ev.source, "//pubsub.googleapis.com/projects/p/topics/t");
    cr_expect_str_eq(ev.id, "e1");
    cr_expect_str_eq(ev.datacontenttype, "application/json");
    cr_expect_not_null(json_object_get(ev.data, "message"));
    ff_cloudevent_dispose(&ev);
    ut_request_free(r);
    const char *no_id = "{\"eventType\":\"google.pubsub.topic.publish\",\"resource\":\"projects/p/topics/t\","
                        "\"data\":{}}";
    r = ut_request("POST", "/", no_id, strlen(no_id), NULL);
    cr_expect_neq(parse(r, &ev, &err), 0, "a legacy event without eventId became a CloudEvent");
    cr_expect(strstr(err.message, "id") != NULL, "%s", err.message);
    ut_request_free(r);
}
