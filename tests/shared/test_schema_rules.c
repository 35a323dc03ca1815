/*
 * test_schema_rules.c - targeted checks of the schema interpreter's semantics: defaults
 * and "nullable, default null", unknown-field preservation (deep, copied; in place: kept), integer vs
 * number, bounds, unions, enums, error paths, and the API's NULL / ownership contract.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "experience_schema.h"
#include "job_schema.h"
#include "json_util.h"
#include "session_schema.h"
#include "transform_schema.h"

#define MINIMAL_JOB                                                                                          \
    "{\"id\": \"j\", \"projectId\": \"p\", \"sessionId\": \"s\", \"experienceId\": \"e\", "                  \
    "\"snapshot\": {\"sessionInputs\": {\"answers\": [], \"capturedMedia\": []}, \"transformConfig\": {}, "  \
    "\"eventContext\": {\"applyOverlay\": false}, \"versions\": {\"experienceVersion\": 1, "                 \
    "\"eventVersion\": null}}, \"createdAt\": 1, \"updatedAt\": 2}"

/* Validates text with type, expecting success; returns the normalized document. */
static json_t *valid_as(const schema_type *type, const char *text)
{
    json_t *in = tj_parse(text);
    json_t *out = NULL;
    schema_error err;
    cr_assert_eq(schema_validate(type, in, &out, &err), 0, "rejected at '%s': %s", err.path, err.message);
    cr_assert_not_null(out);
    json_decref(in);
    return out;
}

/* Validates text with type, expecting failure at path with a message containing msg. */
static void invalid_as(const schema_type *type, const char *text, const char *path, const char *msg)
{
    json_t *in = tj_parse(text);
    json_t *out = NULL;
    schema_error err;
    cr_expect_eq(schema_validate(type, in, &out, &err), -1, "accepted: %s", text);
    cr_expect_null(out);
    cr_expect_str_eq(err.path, path, "path '%s' (%s), expected '%s'", err.path, err.message, path);
    cr_expect(strstr(err.message, msg) != NULL, "message '%s' lacks '%s'", err.message, msg);
    json_decref(in);
}

static void expect_at(const json_t *doc, const char *path, const char *want_json)
{
    json_t *want = tj_parse(want_json);
    const json_t *got = tj_at(doc, path);
    char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
    cr_expect(got != NULL && json_equal((json_t *)got, want), "%s is %s, expected %s", path, g ? g : "absent",
              want_json);
    free(g);
    json_decref(want);
}

Test(defaults, job_defaults_are_written_explicitly)
{
    json_t *out = valid_as(&job_schema_doc, MINIMAL_JOB);
    static const char *const null_fields[] = {"stepId", "progress",  "output",
                                              "error",  "startedAt", "completedAt"};
    for (size_t i = 0; i < sizeof(null_fields) / sizeof(null_fields[0]); i++) {
        json_t *v = json_object_get(out, null_fields[i]);
        cr_expect(v != NULL && json_is_null(v), "%s must be an explicit null", null_fields[i]);
    }
    expect_at(out, "status", "\"pending\"");
    expect_at(out, "snapshot.transformConfig",
              "{\"nodes\": [], \"variableMappings\": [], \"outputFormat\": null}");
    expect_at(out, "snapshot.eventContext",
              "{\"overlay\": null, \"applyOverlay\": false, \"experienceRef\": null}");
    json_decref(out);
}

Test(defaults, session_and_experience_defaults)
{
    json_t *s =
        valid_as(&session_schema_doc, "{\"id\": \"s\", \"projectId\": \"p\", \"workspaceId\": \"w\", "
                                      "\"experienceId\": \"e\", \"mode\": \"guest\", \"configSource\": "
                                      "\"published\", \"createdAt\": 1, \"updatedAt\": 1}");
    expect_at(s, "status", "\"active\"");
    expect_at(s, "answers", "[]");
    expect_at(s, "capturedMedia", "[]");
    expect_at(s, "jobStatus", "null");
    json_decref(s);
    json_t *e =
        valid_as(&experience_schema_doc, "{\"id\": \"e\", \"name\": \"n\", \"profile\": \"survey\", "
                                         "\"createdAt\": 1, \"updatedAt\": 1, \"draft\": {\"transform\": "
                                         "{\"nodes\": [{\"id\": \"a\", \"type\": \"t\"}]}}}");
    expect_at(e, "draftVersion", "1");
    cr_expect(json_is_integer(json_object_get(e, "draftVersion")));
    expect_at(e, "status", "\"active\"");
    expect_at(e, "draft.steps", "[]");
    expect_at(e, "draft.transform.nodes[0].config", "{}");
    expect_at(e, "draft.transform.variableMappings", "[]");
    expect_at(e, "published", "null");
    json_decref(e);
}

Test(defaults, explicit_null_is_not_replaced_by_a_default)
{
    invalid_as(
        &session_schema_doc,
        "{\"id\": \"s\", \"projectId\": \"p\", \"workspaceId\": \"w\", \"experienceId\": \"e\", \"mode\": "
        "\"guest\", \"configSource\": \"draft\", \"createdAt\": 1, \"updatedAt\": 1, \"answers\": null}",
        "answers", "expected array, received null");
    invalid_as(&transform_schema_mapping, "{\"source\": \"a\", \"target\": \"b\", \"mappingType\": null}",
               "mappingType", "expected string, received null");
}

Test(defaults, nullable_without_default_requires_the_key)
{
    invalid_as(&job_schema_snapshot,
               "{\"sessionInputs\": {\"answers\": [], \"capturedMedia\": []}, \"transformConfig\": {}, "
               "\"eventContext\": {\"applyOverlay\": true}, \"versions\": {\"experienceVersion\": 3}}",
               "versions.eventVersion", "required");
}

Test(defaults, default_containers_are_fresh)
{
    json_t *a = valid_as(&transform_schema_config, "{}");
    json_t *b = valid_as(&transform_schema_config, "{}");
    json_array_append_new(json_object_get(a, "nodes"), json_true());
    cr_expect_eq(json_array_size(json_object_get(b, "nodes")), 0);
    json_decref(a);
    json_decref(b);
}

Test(unknown_fields, preserved_deeply_and_copied)
{
    json_t *in =
        tj_parse("{\"nodes\": [{\"id\": \"n\", \"type\": \"t\", \"config\": {\"deep\": {\"x\": [1]}}, "
                 "\"ui\": {\"pos\": 1}}], \"outputFormat\": {\"crop\": \"c\"}, \"top\": [{\"a\": 1}]}");
    char *before = json_dumps(in, JSON_SORT_KEYS);
    json_t *out = NULL;
    schema_error err;
    cr_assert_eq(transform_config_validate(in, &out, &err), 0, "%s: %s", err.path, err.message);
    expect_at(out, "nodes[0].config.deep.x[0]", "1");
    expect_at(out, "nodes[0].ui", "{\"pos\": 1}");
    expect_at(out, "outputFormat.crop", "\"c\"");
    expect_at(out, "outputFormat.quality", "null");
    expect_at(out, "top", "[{\"a\": 1}]");
    /* The output owns its objects and arrays: changing them leaves the input as it was
     * (scalars are shared, and nothing changes a scalar in place: see schema.h). */
    cr_expect_neq(json_object_get(out, "top"), json_object_get(in, "top"));
    json_object_set_new((json_t *)tj_at(out, "nodes[0].config.deep"), "y", json_true());
    json_array_append_new((json_t *)tj_at(out, "nodes[0].config.deep.x"), json_integer(2));
    json_object_set_new((json_t *)tj_at(out, "nodes[0]"), "id", json_string("changed"));
    char *after = json_dumps(in, JSON_SORT_KEYS);
    cr_expect_str_eq(after, before);
    free(before);
    free(after);
    json_decref(out);
    json_decref(in);
}

/*
 * schema_normalize changes the document itself: the same objects and arrays, unknown
 * subtrees untouched (not copied), defaults added, integral reals of int fields (in
 * objects and arrays) replaced by integers; a top-level scalar is replaced.
 */
Test(unknown_fields, normalized_in_place_without_copies)
{
    static const schema_type ints = {.kind = SCHEMA_ARRAY, .items = &schema_int};
    static const schema_field fields[] = {
        SCHEMA_FIELD("i", &schema_positive_int),
        SCHEMA_FIELD("list", &ints),
        SCHEMA_FIELD_DEFAULT("flag", &schema_bool, "false"),
        SCHEMA_FIELDS_END,
    };
    static const schema_type t = {.kind = SCHEMA_OBJECT, .fields = fields};
    json_t *doc = tj_parse("{\"extra\": {\"deep\": [1.5]}, \"i\": 4.0, \"list\": [1, 2.0]}");
    json_t *const before = doc, *extra = json_object_get(doc, "extra"), *list = json_object_get(doc, "list");
    schema_error err;
    cr_assert_eq(schema_normalize(&t, &doc, &err), 0, "%s: %s", err.path, err.message);
    cr_expect_eq(doc, before, "the document was replaced");
    cr_expect_eq(json_object_get(doc, "extra"), extra, "an unknown subtree was copied");
    cr_expect_eq(json_object_get(doc, "list"), list, "an array was copied");
    expect_at(doc, "extra.deep[0]", "1.5");
    cr_expect(json_is_integer(json_object_get(doc, "i")));
    cr_expect(json_is_integer(json_array_get(list, 1)), "an array's integral real stayed a real");
    expect_at(doc, "flag", "false");
    json_decref(doc);

    doc = json_real(3.0);
    cr_assert_eq(schema_normalize(&schema_int, &doc, &err), 0);
    cr_expect(json_is_integer(doc) && json_integer_value(doc) == 3);
    json_decref(doc);
    doc = tj_parse("{\"i\": 0}");
    cr_expect_eq(schema_normalize(&t, &doc, &err), -1);
    cr_expect_str_eq(err.path, "i");
    json_decref(doc);
    doc = NULL;
    cr_expect_eq(schema_normalize(&t, &doc, &err), -1, "no document accepted");
}

Test(numbers, integral_reals_count_as_integers)
{
    static const schema_field fields[] = {
        SCHEMA_FIELD("i", &schema_positive_int),
        SCHEMA_FIELD("n", &schema_number),
        SCHEMA_FIELDS_END,
    };
    static const schema_type t = {.kind = SCHEMA_OBJECT, .fields = fields};
    json_t *out = valid_as(&t, "{\"i\": 4.0, \"n\": 4.0}");
    cr_expect(json_is_integer(json_object_get(out, "i")), "int field normalized to an integer");
    cr_expect_eq(json_integer_value(json_object_get(out, "i")), 4);
    cr_expect(json_is_real(json_object_get(out, "n")), "number field keeps its real");
    json_decref(out);
    invalid_as(&t, "{\"i\": 4.5, \"n\": 1}", "i", "must be an integer");
    invalid_as(&t, "{\"i\": 1, \"n\": true}", "n", "expected number, received boolean");
}

Test(numbers, safe_integer_range)
{
    json_decref(valid_as(&schema_int, "9007199254740991"));
    json_decref(valid_as(&schema_int, "-9007199254740991"));
    json_decref(valid_as(&schema_int, "-5"));
    invalid_as(&schema_int, "9007199254740992", "", "must be <= 9007199254740991");
    invalid_as(&schema_int, "-9007199254740992", "", "must be >= -9007199254740991");
    invalid_as(&schema_int, "9223372036854775807", "", "must be <= 9007199254740991");
    invalid_as(&schema_int, "-9223372036854775808", "", "must be >= -9007199254740991");
    invalid_as(&schema_int, "1e300", "", "must be <= 9007199254740991");
}

Test(numbers, bounds_inclusive_and_exclusive)
{
    json_decref(valid_as(&schema_percent, "0"));
    json_decref(valid_as(&schema_percent, "100"));
    json_decref(valid_as(&schema_percent, "100.0"));
    invalid_as(&schema_percent, "100.0001", "", "must be <= 100");
    invalid_as(&schema_percent, "-0.5", "", "must be >= 0");
    json_decref(valid_as(&schema_positive_int, "1"));
    invalid_as(&schema_positive_int, "0", "", "must be > 0");
    json_decref(valid_as(&schema_nonnegative_int, "0"));
    invalid_as(&schema_nonnegative_int, "-1", "", "must be >= 0");
}

Test(strings, length_counts_code_points)
{
    cr_expect_eq(schema_utf8_length("abc", 3), 3);
    cr_expect_eq(schema_utf8_length("\xc3\xa9", 2), 1);         /* é */
    cr_expect_eq(schema_utf8_length("\xf0\x9f\x98\x80", 4), 1); /* 😀 */
    cr_expect_eq(schema_utf8_length("", 0), 0);
    static const schema_type two = {
        .kind = SCHEMA_STRING, .bounds = SCHEMA_GE | SCHEMA_LE, .min = 1, .max = 2};
    json_decref(valid_as(&two, "\"\xc3\xa9\xc3\xa9\""));
    invalid_as(&two, "\"\xc3\xa9\xc3\xa9\xc3\xa9\"", "", "length must be <= 2");
    invalid_as(&two, "\"\"", "", "length must be >= 1");
}

Test(strings, enum_compares_the_whole_string)
{
    json_t *v = json_stringn("pending\0x", 9);
    schema_error err;
    cr_expect_eq(schema_validate(&job_schema_status, v, NULL, &err), -1);
    cr_expect(strstr(err.message, "must be one of: pending, running, completed, failed, cancelled") != NULL,
              "%s", err.message);
    json_decref(v);
}

Test(unions, first_matching_json_type_decides)
{
    static const char *const values[] = {"\"x\"", "1", "1.5", "true", "false", "[]", "[\"a\", \"b\"]"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "{\"stepId\": \"q\", \"stepType\": \"t\", \"value\": %s, \"answeredAt\": 1}", values[i]);
        json_t *out = valid_as(&session_schema_answer, text);
        expect_at(out, "value", values[i]);
        json_decref(out);
    }
    invalid_as(&session_schema_answer,
               "{\"stepId\": \"q\", \"stepType\": \"t\", \"value\": [\"a\", [\"b\"]], "
               "\"answeredAt\": 1}",
               "value[1]", "expected string, received array");
}

Test(paths, nested_arrays_and_schema_order)
{
    static const schema_type ints = {.kind = SCHEMA_ARRAY, .items = &schema_int};
    static const schema_type grid = {.kind = SCHEMA_ARRAY, .items = &ints};
    static const schema_field fields[] = {
        SCHEMA_FIELD("first", &schema_string),
        SCHEMA_FIELD("grid", &grid),
        SCHEMA_FIELDS_END,
    };
    static const schema_type t = {.kind = SCHEMA_OBJECT, .fields = fields};
    invalid_as(&t, "{\"first\": \"a\", \"grid\": [[1], [2, \"x\"]]}", "grid[1][1]", "expected integer");
    /* The first failure in table order is reported, whatever the input's key order. */
    invalid_as(&t, "{\"grid\": [[\"x\"]], \"first\": 1}", "first", "expected string, received number");
}

Test(paths, long_paths_are_truncated_safely)
{
    static const schema_type nested = {.kind = SCHEMA_ARRAY, .items = &nested};
    json_t *doc = json_string("leaf");
    for (int i = 0; i < 200; i++) {
        json_t *a = json_array();
        json_array_append_new(a, doc);
        doc = a;
    }
    schema_error err;
    cr_expect_eq(schema_validate(&nested, doc, NULL, &err), -1);
    cr_expect_eq(strlen(err.path), sizeof(err.path) - 1);
    cr_expect_eq(strncmp(err.path, "[0][0][0]", 9), 0, "%s", err.path);
    cr_expect_str_eq(err.message, "expected array, received string");
    json_decref(doc);
}

Test(api, null_arguments)
{
    schema_error err;
    json_t *out = json_true();
    cr_expect_eq(job_validate(NULL, &out, &err), -1);
    cr_expect_null(out);
    cr_expect_str_eq(err.path, "");
    cr_expect_str_eq(err.message, "required");
    json_t *in = tj_parse(MINIMAL_JOB);
    cr_expect_eq(job_validate(in, NULL, NULL), 0, "out and err may be NULL");
    json_object_del(in, "id");
    cr_expect_eq(job_validate(in, NULL, NULL), -1);
    json_decref(in);
}

Test(api, success_clears_the_error)
{
    schema_error err;
    memset(&err, 'x', sizeof(err));
    json_t *in = tj_parse(MINIMAL_JOB);
    cr_expect_eq(job_validate(in, NULL, &err), 0);
    cr_expect_str_eq(err.path, "");
    cr_expect_str_eq(err.message, "");
    json_decref(in);
}

Test(api, bad_default_in_a_table_is_reported)
{
    static const schema_field fields[] = {SCHEMA_FIELD_DEFAULT("x", &schema_int, "{oops"), SCHEMA_FIELDS_END};
    static const schema_type t = {.kind = SCHEMA_OBJECT, .fields = fields};
    invalid_as(&t, "{}", "x", "invalid default");
}

Test(urls, accepted)
{
    static const char *const ok[] = {
        "https://storage.googleapis.com/b/o.png",
        "http://localhost:8080/",
        "https://x/a1.jpg",
        "https://[::1]:9199/o?alt=media",
        "https://u:p@h.example:443/p?q=1#f",
        "HTTP://EXAMPLE.COM",
        "https://h.example:/x",
        "gs://bucket/o",
        "data:image/png;base64,AA",
        "mailto:a@b.example",
        "file:///tmp/x",
        "urn:isbn:123",
        "https://b\u00fccher.example/a b",
        "wss://h.example/s",
        "custom+x.y-z:rest",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect(schema_url_valid(ok[i], strlen(ok[i])), "rejected: %s", ok[i]);
}

Test(urls, rejected)
{
    static const char *const bad[] = {
        "",
        "x",
        "/relative",
        "a.png",
        "https://",
        "https:///x",
        "https:x",
        "https:/x",
        "http://a b/",
        "http://a<b/",
        "http://[::1/",
        "http://h:123456/",
        "http://h:8a/",
        "http://h:70000/",
        " https://h/",
        "https://h/ ",
        "https://h/\t",
        "1a://h",
        "+a:b",
        "://h",
        "https://u@/x",
        "http://h\\x/",
        "ftp://",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(schema_url_valid(bad[i], strlen(bad[i])), "accepted: '%s'", bad[i]);
    cr_expect_not(schema_url_valid("https://h/\0x", 12), "NUL inside");
    cr_expect_not(schema_url_valid(NULL, 0));
}
