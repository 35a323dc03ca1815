/*
 * test_read.c - the one-pass Document reader (fs_doc_parse) against the generic route
 * (json_loadb + fs_doc_from_rest) on the TypeScript version's documents, and its
 * refusals: each malformed text is refused with an error, never half read.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/src/gcp/firestore_internal.h"
#include "fs_helpers.h"

static fs_db *db;

static void setup(void)
{
    fs_options opts = {.project_id = "demo-read", .emulator_host = "127.0.0.1:1"};
    ff_error err = {0};
    db = fs_db_open(&opts, &err);
    cr_assert_not_null(db, "%s", err.message);
}

static void teardown(void)
{
    fs_db_close(db);
}

TestSuite(read, .init = setup, .fini = teardown);

static char *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    cr_assert_not_null(f, "%s", file);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void expect_same(const char *text, size_t len)
{
    ff_error e1 = {0}, e2 = {0};
    json_t *x = json_loadb(text, len, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(x);
    fs_doc *ref = fs_doc_from_rest(db, x, &e2), *fast = fs_doc_parse(db, text, len, &e1);
    cr_assert_not_null(ref, "%s", e2.message);
    cr_assert_not_null(fast, "%s", e1.message);
    cr_expect_str_eq(fast->name, ref->name);
    cr_expect_str_eq(fast->path, ref->path);
    cr_expect_str_eq(fast->id, ref->id);
    cr_expect_str_eq(fast->create_time, ref->create_time);
    cr_expect_str_eq(fast->update_time, ref->update_time);
    cr_expect(json_equal(fast->fields, ref->fields), "fields differ");
    fs_doc_free(ref);
    fs_doc_free(fast);
    json_decref(x);
}

Test(read, reference_documents_read_as_the_generic_route_reads_them)
{
    const char *files[] = {"experience.json", "job-completed.json", "job-failed.json", "job-pending.json",
                           "session-running.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char file[256];
        size_t len;
        snprintf(file, sizeof(file), "tests/firestore/fixtures/%s", files[i]);
        char *text = slurp(file, &len);
        expect_same(text, len);
        free(text);
    }
}

Test(read, every_value_type_and_its_spellings)
{
    const char *doc =
        "{\"name\":\"projects/demo-read/databases/(default)/documents/c/d\",\"fields\":{"
        "\"n\":{\"nullValue\":null},\"t\":{\"booleanValue\":true},\"f\":{\"booleanValue\":false},"
        "\"i\":{\"integerValue\":\"-9223372036854775808\"},\"j\":{\"integerValue\":42},"
        "\"d\":{\"doubleValue\":1.5},\"e\":{\"doubleValue\":3},\"nan\":{\"doubleValue\":\"NaN\"},"
        "\"s\":{\"stringValue\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\xe2\x82\xac\"},"
        "\"ts\":{\"timestampValue\":\"2024-01-01T00:00:00Z\"},\"b\":{\"bytesValue\":\"AAE=\"},"
        "\"r\":{\"referenceValue\":\"projects/p/databases/(default)/documents/a/b\"},"
        "\"g\":{\"geoPointValue\":{\"latitude\":1.5}},\"a\":{\"arrayValue\":{\"values\":[{\"integerValue\":"
        "\"1\"},"
        "{\"arrayValue\":{}}]}},\"m\":{\"mapValue\":{\"fields\":{\"$timestamp\":{\"stringValue\":\"x\"}}}},"
        "\"em\":{\"mapValue\":{}},\"x\":{\"mapValue\":{\"other\":[1,{\"y\":null}],\"fields\":{}}}},"
        "\"createTime\":\"2024-01-01T00:00:00.000001Z\",\"updateTime\":7,\"extra\":{\"k\":[true,false,null,-"
        "1e-3]}}";
    expect_same(doc, strlen(doc));
}

Test(read, malformed_documents_are_refused_with_an_error)
{
    const char *bad[] = {
        "",
        "[]",
        "{\"fields\":{}}",                        /* no name */
        "{\"name\":\"n\",\"fields\":[]}",         /* fields not an object */
        "{\"name\":\"n\",\"fields\":{\"a\":{}}}", /* a value with no member */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"x\",\"integerValue\":\"1\"}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"fooValue\":1}}}", /* unknown type */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"integerValue\":\"1x\"}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"integerValue\":1.5}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"integerValue\":\"99999999999999999999\"}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"doubleValue\":\"1.5\"}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"booleanValue\":1}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":1}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"arrayValue\":{\"values\":{}}}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"geoPointValue\":{\"latitude\":\"1\"}}}}",
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"\\u0000\"}}}", /* NUL */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"\\ud800\"}}}", /* lone surrogate */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"\xff\"}}}",    /* not UTF-8 */
        "{\"name\":\"n\",\"x\":\"\xc0\xaf\"}",                               /* not UTF-8, skipped member */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"\x01\"}}}",    /* raw control character */
        "{\"name\":\"n\",\"fields\":{\"a\":{\"stringValue\":\"x\\q\"}}}",    /* bad escape */
        "{\"name\":\"n\",\"x\":01}",
        "{\"name\":\"n\",\"x\":1.}",
        "{\"name\":\"n\",\"x\":1e999}",
        "{\"name\":\"n\",\"x\":tru}",
        "{\"name\":\"n\"} x", /* trailing text */
        "{\"name\":\"n\",}",
        "{\"name\":\"n\"", /* truncated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ff_error err = {0};
        fs_doc *doc = fs_doc_parse(db, bad[i], strlen(bad[i]), &err);
        cr_expect_null(doc, "accepted: %s", bad[i]);
        cr_expect_neq(err.code, 0, "refused without an error: %s", bad[i]);
        fs_doc_free(doc);
        json_t *x = json_loadb(bad[i], strlen(bad[i]), JSON_DECODE_ANY, NULL);
        fs_doc *ref = x ? fs_doc_from_rest(db, x, &err) : NULL;
        cr_expect_null(ref, "the generic route accepts: %s", bad[i]);
        fs_doc_free(ref);
        json_decref(x);
    }
}

Test(read, values_nested_past_the_bound_are_refused)
{
    char text[8192] = "{\"name\":\"n\",\"fields\":{\"a\":";
    for (int i = 0; i < 70; i++)
        strcat(text, "{\"arrayValue\":{\"values\":[");
    strcat(text, "{\"nullValue\":null}");
    for (int i = 0; i < 70; i++)
        strcat(text, "]}}");
    strcat(text, "}}");
    ff_error err = {0};
    cr_expect_null(fs_doc_parse(db, text, strlen(text), &err));
    cr_expect(strstr(err.message, "nested too deep") != NULL, "%s", err.message);
}

Test(read, commit_answers_give_the_commit_time_and_the_first_update_time)
{
    const struct {
        const char *text, *commit, *update;
    } ok[] = {
        {"{\"writeResults\":[{\"updateTime\":\"u1\",\"transformResults\":[{\"integerValue\":\"1\"}]},"
         "{\"updateTime\":\"u2\"}],\"commitTime\":\"c\"}",
         "c", "u1"},
        {"{\"commitTime\":\"c\"}", "c", ""},                                    /* an empty batch */
        {"{\"writeResults\":[{}],\"commitTime\":\"c\"}", "c", ""},              /* a delete */
        {"{\"writeResults\":{\"updateTime\":\"u\"},\"commitTime\":1}", "", ""}, /* odd shapes read as none */
        {"{\"writeResults\":[\"u\",{\"updateTime\":\"u2\"}]}", "", ""},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char commit[FS_TIME_SIZE] = "x", update[FS_TIME_SIZE] = "x";
        ff_error err = {0};
        cr_assert_eq(fs_commit_parse(ok[i].text, strlen(ok[i].text), commit, update, &err), 0, "%s: %s",
                     ok[i].text, err.message);
        cr_expect_str_eq(commit, ok[i].commit, "%s", ok[i].text);
        cr_expect_str_eq(update, ok[i].update, "%s", ok[i].text);
    }
    const char *bad[] = {"", "[]", "{\"commitTime\":\"c\"", "{\"commitTime\":\"\xff\"}", "{} {}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ff_error err = {0};
        cr_expect_eq(fs_commit_parse(bad[i], strlen(bad[i]), NULL, NULL, &err), FS_UNKNOWN, "accepted: %s",
                     bad[i]);
        cr_expect(strstr(err.message, "unreadable response") != NULL, "%s", err.message);
    }
}
