/*
 * test_value.c - the value model without a server: plain JSON <-> Firestore values for
 * every type, the escape of maps that look tagged, number rules, malformed input, and
 * the reference-wire documents the TypeScript version wrote reading back identically.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_helpers.h"

TestSuite(value);

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    cr_assert(j != NULL, "bad test JSON %s: %s", text, jerr.text);
    return j;
}

/* plain JSON text -> Firestore value, compared with the expected wire text */
static void expect_to_fs(const char *plain, unsigned flags, const char *wire)
{
    json_t *in = parse(plain), *want = parse(wire);
    ff_error err = {0};
    json_t *got = fs_value_from_json(in, flags, &err);
    cr_assert(got != NULL, "%s: %s", plain, err.message);
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_assert(json_equal(got, want), "%s -> %s, want %s", plain, text, wire);
    free(text);
    json_decref(in);
    json_decref(want);
    json_decref(got);
}

/* Firestore wire text -> plain JSON, compared with the expected plain text */
static void expect_to_plain(const char *wire, const char *plain)
{
    json_t *in = parse(wire), *want = parse(plain);
    ff_error err = {0};
    json_t *got = fs_value_to_json(in, &err);
    cr_assert(got != NULL, "%s: %s", wire, err.message);
    char *text = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_assert(json_equal(got, want), "%s -> %s, want %s", wire, text, plain);
    /* a real stays a real and an integer an integer */
    cr_assert_eq(json_typeof(got), json_typeof(want), "%s -> %s: JSON type changed", wire, text);
    free(text);
    json_decref(in);
    json_decref(want);
    json_decref(got);
}

Test(value, plain_to_firestore_scalars)
{
    expect_to_fs("null", 0, "{\"nullValue\":null}");
    expect_to_fs("true", 0, "{\"booleanValue\":true}");
    expect_to_fs("false", 0, "{\"booleanValue\":false}");
    expect_to_fs("42", 0, "{\"integerValue\":\"42\"}");
    expect_to_fs("-9223372036854775808", 0, "{\"integerValue\":\"-9223372036854775808\"}");
    expect_to_fs("9223372036854775807", 0, "{\"integerValue\":\"9223372036854775807\"}");
    expect_to_fs("1.5", 0, "{\"doubleValue\":1.5}");
    expect_to_fs("4.0", 0, "{\"doubleValue\":4.0}");
    expect_to_fs("\"h\\u00e9\"", 0, "{\"stringValue\":\"h\\u00e9\"}");
    expect_to_fs("\"\"", 0, "{\"stringValue\":\"\"}");
}

Test(value, plain_to_firestore_containers)
{
    expect_to_fs("[]", 0, "{\"arrayValue\":{}}");
    expect_to_fs("{}", 0, "{\"mapValue\":{}}");
    expect_to_fs("[1,\"a\",null]", 0,
                 "{\"arrayValue\":{\"values\":[{\"integerValue\":\"1\"},{\"stringValue\":\"a\"},{"
                 "\"nullValue\":null}]}}");
    expect_to_fs(
        "{\"a\":{\"b\":[]}}", 0,
        "{\"mapValue\":{\"fields\":{\"a\":{\"mapValue\":{\"fields\":{\"b\":{\"arrayValue\":{}}}}}}}}");
}

Test(value, tagged_values_to_firestore)
{
    expect_to_fs("{\"$timestamp\":\"2024-01-02T03:04:05.123456Z\"}", 0,
                 "{\"timestampValue\":\"2024-01-02T03:04:05.123456Z\"}");
    expect_to_fs("{\"$bytes\":\"AAEC\"}", 0, "{\"bytesValue\":\"AAEC\"}");
    expect_to_fs("{\"$reference\":\"projects/p/databases/(default)/documents/a/b\"}", 0,
                 "{\"referenceValue\":\"projects/p/databases/(default)/documents/a/b\"}");
    expect_to_fs("{\"$geoPoint\":{\"latitude\":48.5,\"longitude\":-2}}", 0,
                 "{\"geoPointValue\":{\"latitude\":48.5,\"longitude\":-2.0}}");
    expect_to_fs("{\"$double\":\"NaN\"}", 0, "{\"doubleValue\":\"NaN\"}");
    expect_to_fs("{\"$double\":\"-Infinity\"}", 0, "{\"doubleValue\":\"-Infinity\"}");
    expect_to_fs("{\"$double\":3}", 0, "{\"doubleValue\":3.0}");
    /* an escaped map: its content is a map even though it has a reserved key */
    expect_to_fs("{\"$map\":{\"$bytes\":\"x\"}}", 0,
                 "{\"mapValue\":{\"fields\":{\"$bytes\":{\"stringValue\":\"x\"}}}}");
    /* not a tag: two members, or an unreserved key */
    expect_to_fs(
        "{\"$bytes\":\"x\",\"y\":1}", 0,
        "{\"mapValue\":{\"fields\":{\"$bytes\":{\"stringValue\":\"x\"},\"y\":{\"integerValue\":\"1\"}}}}");
    expect_to_fs("{\"$other\":1}", 0, "{\"mapValue\":{\"fields\":{\"$other\":{\"integerValue\":\"1\"}}}}");
}

Test(value, js_number_rule)
{
    expect_to_fs("4.0", FS_JSON_JS_NUMBERS, "{\"integerValue\":\"4\"}");
    expect_to_fs("-12.0", FS_JSON_JS_NUMBERS, "{\"integerValue\":\"-12\"}");
    expect_to_fs("4.5", FS_JSON_JS_NUMBERS, "{\"doubleValue\":4.5}");
    expect_to_fs("-0.0", FS_JSON_JS_NUMBERS, "{\"doubleValue\":-0.0}");
    expect_to_fs("9007199254740992.0", FS_JSON_JS_NUMBERS, "{\"integerValue\":\"9007199254740992\"}");
    expect_to_fs("1e300", FS_JSON_JS_NUMBERS, "{\"doubleValue\":1e300}");
    expect_to_fs("7", FS_JSON_JS_NUMBERS, "{\"integerValue\":\"7\"}");
}

Test(value, firestore_to_plain)
{
    expect_to_plain("{\"nullValue\":null}", "null");
    expect_to_plain("{\"booleanValue\":true}", "true");
    expect_to_plain("{\"integerValue\":\"-9223372036854775808\"}", "-9223372036854775808");
    expect_to_plain("{\"integerValue\":\"9223372036854775807\"}", "9223372036854775807");
    expect_to_plain("{\"doubleValue\":2.25}", "2.25");
    /* an encoder may print an integral double without a fraction: still a real */
    expect_to_plain("{\"doubleValue\":4}", "4.0");
    expect_to_plain("{\"doubleValue\":\"Infinity\"}", "{\"$double\":\"Infinity\"}");
    expect_to_plain("{\"stringValue\":\"s\"}", "\"s\"");
    expect_to_plain("{\"timestampValue\":\"2024-01-02T03:04:05Z\"}",
                    "{\"$timestamp\":\"2024-01-02T03:04:05Z\"}");
    expect_to_plain("{\"bytesValue\":\"AAE=\"}", "{\"$bytes\":\"AAE=\"}");
    expect_to_plain("{\"referenceValue\":\"projects/p/databases/(default)/documents/a/b\"}",
                    "{\"$reference\":\"projects/p/databases/(default)/documents/a/b\"}");
    /* proto3 JSON leaves zero coordinates out */
    expect_to_plain("{\"geoPointValue\":{\"longitude\":2.5}}",
                    "{\"$geoPoint\":{\"latitude\":0.0,\"longitude\":2.5}}");
    expect_to_plain("{\"arrayValue\":{}}", "[]");
    expect_to_plain("{\"mapValue\":{}}", "{}");
    expect_to_plain("{\"mapValue\":{\"fields\":{\"$timestamp\":{\"stringValue\":\"x\"}}}}",
                    "{\"$map\":{\"$timestamp\":\"x\"}}");
}

Test(value, malformed_wire_values_are_errors)
{
    const char *bad[] = {"{\"integerValue\":\"12x\"}",
                         "{\"integerValue\":\"9223372036854775808\"}",
                         "{\"integerValue\":\"\"}",
                         "{\"doubleValue\":\"many\"}",
                         "{\"booleanValue\":1}",
                         "{\"stringValue\":3}",
                         "{\"vectorValue\":{}}",
                         "{\"stringValue\":\"a\",\"integerValue\":\"1\"}",
                         "{}",
                         "{\"arrayValue\":{\"values\":{}}}",
                         "{\"mapValue\":{\"fields\":[]}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *v = parse(bad[i]);
        ff_error err = {0};
        json_t *got = fs_value_to_json(v, &err);
        cr_assert(got == NULL, "%s was accepted", bad[i]);
        cr_assert_eq(err.code, FS_UNKNOWN, "%s: code %d", bad[i], err.code);
        json_decref(v);
    }
}

Test(value, bad_tagged_input_is_invalid_argument)
{
    const char *bad[] = {"{\"$timestamp\":5}",    "{\"$bytes\":null}",
                         "{\"$reference\":[]}",   "{\"$geoPoint\":{\"latitude\":\"1\",\"longitude\":2}}",
                         "{\"$double\":\"nan\"}", "{\"$map\":[1]}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *v = parse(bad[i]);
        ff_error err = {0};
        cr_assert_null(fs_value_from_json(v, 0, &err), "%s was accepted", bad[i]);
        cr_assert_eq(err.code, FS_INVALID_ARGUMENT);
        json_decref(v);
    }
    ff_error err = {0};
    json_t *arr = json_array();
    cr_assert_null(fs_fields_from_json(arr, 0, &err));
    cr_assert_eq(err.code, FS_INVALID_ARGUMENT);
    json_decref(arr);
}

Test(value, deep_nesting_is_refused_not_crashing)
{
    json_t *v = json_integer(1);
    for (int i = 0; i < 200; i++)
        v = json_pack("[o]", v);
    ff_error err = {0};
    cr_assert_null(fs_value_from_json(v, 0, &err));
    cr_assert_eq(err.code, FS_INVALID_ARGUMENT);
    json_decref(v);
}

/* Every Firestore value survives wire -> plain -> wire unchanged. */
Test(value, wire_round_trip_is_lossless)
{
    const char *wire =
        "{\"mapValue\":{\"fields\":{"
        "\"n\":{\"nullValue\":null},\"b\":{\"booleanValue\":false},"
        "\"i\":{\"integerValue\":\"-9223372036854775808\"},\"d\":{\"doubleValue\":4.0},"
        "\"d2\":{\"doubleValue\":0.1},\"nan\":{\"doubleValue\":\"NaN\"},"
        "\"s\":{\"stringValue\":\"x\"},\"t\":{\"timestampValue\":\"2024-01-02T03:04:05.000001Z\"},"
        "\"y\":{\"bytesValue\":\"/w==\"},\"r\":{\"referenceValue\":\"projects/p/databases/(default)/"
        "documents/a/b\"},"
        "\"g\":{\"geoPointValue\":{\"latitude\":1.5,\"longitude\":-0.25}},"
        "\"a\":{\"arrayValue\":{\"values\":[{\"mapValue\":{}},{\"arrayValue\":{}}]}},"
        "\"tricky\":{\"mapValue\":{\"fields\":{\"$map\":{\"mapValue\":{}}}}},"
        "\"m\":{\"mapValue\":{\"fields\":{\"$reference\":{\"integerValue\":\"1\"}}}}}}}";
    json_t *in = parse(wire);
    ff_error err = {0};
    json_t *plain = fs_value_to_json(in, &err);
    cr_assert(plain != NULL, "%s", err.message);
    json_t *back = fs_value_from_json(plain, 0, &err);
    cr_assert(back != NULL, "%s", err.message);
    char *text = json_dumps(back, JSON_COMPACT);
    cr_assert(json_equal(in, back), "round trip changed the value: %s", text);
    free(text);
    json_decref(in);
    json_decref(plain);
    json_decref(back);
}

/* The documents the TypeScript version wrote: fields -> plain -> fields is the identity. */
Test(value, reference_wire_documents_round_trip)
{
    const char *files[] = {"experience.json", "job-completed.json", "job-failed.json", "job-pending.json",
                           "session-running.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "tests/firestore/fixtures/%s", files[i]);
        json_t *doc = fst_load_json(path);
        json_t *fields = json_object_get(doc, "fields");
        ff_error err = {0};
        json_t *plain = fs_fields_to_json(fields, &err);
        cr_assert(plain != NULL, "%s: %s", files[i], err.message);
        json_t *back = fs_fields_from_json(plain, 0, &err);
        cr_assert(back != NULL, "%s: %s", files[i], err.message);
        cr_assert(json_equal(fields, back), "%s does not round-trip", files[i]);
        json_decref(plain);
        json_decref(back);
        json_decref(doc);
    }
}

/* Timestamps in milliseconds are integers, as the Admin SDK wrote them. */
Test(value, fixture_timestamps_read_as_integers)
{
    json_t *doc = fst_load_json("tests/firestore/fixtures/job-completed.json");
    ff_error err = {0};
    json_t *plain = fs_fields_to_json(json_object_get(doc, "fields"), &err);
    cr_assert(json_is_integer(json_object_get(plain, "createdAt")));
    cr_assert_eq(json_integer_value(json_object_get(plain, "createdAt")), 1795951578838LL);
    cr_assert(json_is_null(json_object_get(plain, "error")));
    json_t *dims = json_object_get(json_object_get(json_object_get(plain, "output"), "dimensions"), "width");
    cr_assert(json_is_integer(dims));
    json_decref(plain);
    json_decref(doc);
}

Test(value, tag_constructors)
{
    json_t *t = fs_timestamp_ms(1795951578838LL);
    cr_assert_str_eq(json_string_value(json_object_get(t, "$timestamp")), "2026-11-29T11:26:18.838Z");
    json_decref(t);
    t = fs_timestamp_ms(-1);
    cr_assert_str_eq(json_string_value(json_object_get(t, "$timestamp")), "1969-12-31T23:59:59.999Z");
    json_decref(t);
    json_t *b = fs_bytes("\x00\x01\xff", 3);
    cr_assert_str_eq(json_string_value(json_object_get(b, "$bytes")), "AAH/");
    json_decref(b);
    json_t *g = fs_geo_point(1.25, -3);
    cr_assert(json_real_value(json_object_get(json_object_get(g, "$geoPoint"), "longitude")) == -3.0);
    json_decref(g);
    fs_db *db = fst_db_at("127.0.0.1:1");
    ff_error err = {0};
    json_t *r = fs_reference(db, "a/b", &err);
    cr_assert_str_eq(json_string_value(json_object_get(r, "$reference")),
                     "projects/demo-test/databases/(default)/documents/a/b");
    json_decref(r);
    cr_assert_null(fs_reference(db, "a", &err));
    cr_assert_eq(err.code, FS_INVALID_ARGUMENT);
    fs_db_close(db);
}

Test(value, status_names)
{
    cr_assert_str_eq(fs_status_name(FS_FAILED_PRECONDITION), "FAILED_PRECONDITION");
    cr_assert_str_eq(fs_status_name(99), "UNKNOWN");
    cr_assert_eq(fs_status_from_name("UNAUTHENTICATED"), FS_UNAUTHENTICATED);
    cr_assert_eq(fs_status_from_name("WHATEVER"), FS_UNKNOWN);
    cr_assert_eq(fs_status_from_name(NULL), FS_UNKNOWN);
    cr_assert_eq(fs_status_from_http(404), FS_NOT_FOUND);
    cr_assert_eq(fs_status_from_http(409), FS_ABORTED);
    cr_assert_eq(fs_status_from_http(503), FS_UNAVAILABLE);
    cr_assert_eq(fs_status_from_http(418), FS_UNKNOWN);
}
