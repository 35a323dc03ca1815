/*
 * test_doc.c - single-document operations against the real emulator: every value type
 * written and read back (raw wire and through the client), preconditions, update masks,
 * deletes, batchGet, odd IDs, and concurrent use from many threads.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_helpers.h"

static fs_db *db;
static char coll[64];

static void setup(void)
{
    db = fst_db();
    fst_unique(coll, sizeof(coll), "doc");
}

static void teardown(void)
{
    fs_db_close(db);
}

TestSuite(doc, .init = setup, .fini = teardown, .timeout = 60);

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    cr_assert(j != NULL, "bad test JSON");
    return j;
}

static void path_of(char *out, size_t len, const char *id)
{
    snprintf(out, len, "%s/%s", coll, id);
}

static const char *wire_type(const json_t *raw_doc, const char *field)
{
    json_t *v = json_object_get(json_object_get(raw_doc, "fields"), field);
    cr_assert(json_is_object(v) && json_object_size(v) == 1, "field %s missing in raw document", field);
    return json_object_iter_key(json_object_iter(v));
}

static json_t *wire_value(const json_t *raw_doc, const char *field)
{
    json_t *v = json_object_get(json_object_get(raw_doc, "fields"), field);
    return json_object_iter_value(json_object_iter(v));
}

Test(doc, every_value_type_round_trips)
{
    json_t *fields =
        parse("{\"null\":null,\"t\":true,\"f\":false,\"int\":42,"
              "\"min\":-9223372036854775808,\"max\":9223372036854775807,"
              "\"dbl\":1.5,\"dbl_integral\":4.0,\"str\":\"h\\u00e9llo\",\"empty_str\":\"\","
              "\"ts\":{\"$timestamp\":\"2024-01-02T03:04:05.123456Z\"},"
              "\"bytes\":{\"$bytes\":\"AAH/\"},"
              "\"ref\":{\"$reference\":\"projects/demo-test/databases/(default)/documents/a/b\"},"
              "\"geo\":{\"$geoPoint\":{\"latitude\":48.85,\"longitude\":2.35}},"
              "\"nan\":{\"$double\":\"NaN\"},"
              "\"arr\":[1,\"two\",{\"k\":null}],\"empty_arr\":[],"
              "\"map\":{\"nested\":{\"deep\":[true]}},\"empty_map\":{},"
              "\"escaped\":{\"$map\":{\"$bytes\":\"not bytes\"}}}");
    char path[128];
    path_of(path, sizeof(path), "types");
    ff_error err = {0};
    char ut[FS_TIME_SIZE];
    cr_assert_eq(fs_doc_set(db, path, fields, NULL, ut, &err), 0, "%s", err.message);
    cr_assert(strlen(ut) > 0);

    json_t *raw = fst_raw_get(path);
    cr_assert_not_null(raw);
    const char *want[][2] = {
        {"null", "nullValue"},     {"t", "booleanValue"},       {"int", "integerValue"},
        {"min", "integerValue"},   {"dbl", "doubleValue"},      {"dbl_integral", "doubleValue"},
        {"str", "stringValue"},    {"ts", "timestampValue"},    {"bytes", "bytesValue"},
        {"ref", "referenceValue"}, {"geo", "geoPointValue"},    {"nan", "doubleValue"},
        {"arr", "arrayValue"},     {"empty_arr", "arrayValue"}, {"map", "mapValue"},
        {"empty_map", "mapValue"}, {"escaped", "mapValue"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_assert_str_eq(wire_type(raw, want[i][0]), want[i][1], "field %s", want[i][0]);
    cr_assert_str_eq(json_string_value(wire_value(raw, "min")), "-9223372036854775808");
    cr_assert_str_eq(json_string_value(wire_value(raw, "max")), "9223372036854775807");
    cr_assert_str_eq(json_string_value(wire_value(raw, "int")), "42");
    cr_assert_eq(json_object_size(wire_value(raw, "empty_arr")), 0);
    cr_assert_eq(json_object_size(wire_value(raw, "empty_map")), 0);
    cr_assert_str_eq(json_string_value(wire_value(raw, "bytes")), "AAH/");
    cr_assert_str_eq(json_string_value(wire_value(raw, "nan")), "NaN");
    json_t *inner = json_object_get(json_object_get(wire_value(raw, "escaped"), "fields"), "$bytes");
    cr_assert_str_eq(json_string_value(json_object_get(inner, "stringValue")), "not bytes");
    json_decref(raw);

    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0, "%s", err.message);
    char *got = json_dumps(doc->fields, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert(json_equal(doc->fields, fields), "read back differs: %s", got);
    cr_assert(json_is_real(json_object_get(doc->fields, "dbl_integral")));
    cr_assert(json_is_integer(json_object_get(doc->fields, "int")));
    cr_assert_str_eq(doc->update_time, ut);
    cr_assert_str_eq(doc->path, path);
    cr_assert_str_eq(doc->id, "types");
    free(got);
    fs_doc_free(doc);
    json_decref(fields);
}

/* Our writes of the TypeScript version's documents are byte-for-byte the same values. */
Test(doc, reference_documents_write_identically)
{
    const char *files[] = {"job-completed.json", "job-failed.json", "session-running.json",
                           "experience.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char file[256], path[128];
        snprintf(file, sizeof(file), "tests/firestore/fixtures/%s", files[i]);
        json_t *fixture = fst_load_json(file);
        ff_error err = {0};
        json_t *plain = fs_fields_to_json(json_object_get(fixture, "fields"), &err);
        path_of(path, sizeof(path), files[i]);
        cr_assert_eq(fs_doc_set(db, path, plain, NULL, NULL, &err), 0, "%s", err.message);
        json_t *raw = fst_raw_get(path);
        cr_assert(json_equal(json_object_get(raw, "fields"), json_object_get(fixture, "fields")),
                  "%s: wire form differs", files[i]);
        json_decref(raw);
        json_decref(plain);
        json_decref(fixture);
    }
}

Test(doc, create_with_given_and_generated_ids)
{
    json_t *f = parse("{\"status\":\"pending\"}");
    ff_error err = {0};
    char ut[FS_TIME_SIZE], id[FS_ID_SIZE] = "";
    cr_assert_eq(fs_doc_create(db, coll, "given", f, id, ut, &err), 0, "%s", err.message);
    cr_assert_str_eq(id, "", "id_out is only written for generated IDs");
    cr_assert(strlen(ut) > 0);
    cr_assert_eq(fs_doc_create(db, coll, NULL, f, id, NULL, &err), 0, "%s", err.message);
    cr_assert_eq(strlen(id), 20);
    char path[128];
    path_of(path, sizeof(path), id);
    json_t *raw = fst_raw_get(path);
    cr_assert_not_null(raw, "generated document %s missing", path);
    json_decref(raw);
    json_decref(f);
}

Test(doc, create_on_existing_is_already_exists)
{
    json_t *f = parse("{\"v\":1}"), *g = parse("{\"v\":2}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_create(db, coll, "dup", f, NULL, NULL, &err), 0, "%s", err.message);
    cr_assert_eq(fs_doc_create(db, coll, "dup", g, NULL, NULL, &err), FS_ALREADY_EXISTS, "%s", err.message);
    cr_assert_eq(err.code, FS_ALREADY_EXISTS);
    cr_assert(strstr(err.message, "ALREADY_EXISTS") != NULL, "%s", err.message);
    char path[128];
    path_of(path, sizeof(path), "dup");
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0);
    cr_assert_eq(json_integer_value(json_object_get(doc->fields, "v")), 1, "the first write was overwritten");
    fs_doc_free(doc);
    json_decref(f);
    json_decref(g);
}

Test(doc, get_missing_is_not_found)
{
    char path[128];
    path_of(path, sizeof(path), "missing");
    fs_doc *doc = (fs_doc *)1;
    ff_error err = {0};
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), FS_NOT_FOUND);
    cr_assert_null(doc);
    cr_assert_eq(err.code, FS_NOT_FOUND);
}

Test(doc, update_exists_on_missing_is_not_found)
{
    char path[128];
    path_of(path, sizeof(path), "nobody");
    json_t *f = parse("{\"v\":1}");
    fs_precondition exists = {FS_PRE_EXISTS, NULL};
    ff_error err = {0};
    cr_assert_eq(fs_doc_update(db, path, f, NULL, &exists, NULL, &err), FS_NOT_FOUND, "%s", err.message);
    cr_assert_null(fst_raw_get(path), "the update created the document");
    /* without a precondition an update creates it */
    cr_assert_eq(fs_doc_update(db, path, f, NULL, NULL, NULL, &err), 0, "%s", err.message);
    json_t *raw = fst_raw_get(path);
    cr_assert_not_null(raw);
    json_decref(raw);
    json_decref(f);
}

Test(doc, update_time_precondition)
{
    char path[128], ut[FS_TIME_SIZE], ut2[FS_TIME_SIZE];
    path_of(path, sizeof(path), "versioned");
    json_t *f = parse("{\"v\":1}"), *g = parse("{\"v\":2}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, f, NULL, ut, &err), 0, "%s", err.message);
    cr_assert_eq(fs_doc_update(db, path, g, NULL, &(fs_precondition){FS_PRE_UPDATE_TIME, ut}, ut2, &err), 0,
                 "%s", err.message);
    cr_assert_str_neq(ut, ut2);
    /* ut is stale now */
    cr_assert_eq(fs_doc_update(db, path, f, NULL, &(fs_precondition){FS_PRE_UPDATE_TIME, ut}, NULL, &err),
                 FS_FAILED_PRECONDITION, "%s", err.message);
    cr_assert_eq(fs_doc_delete(db, path, &(fs_precondition){FS_PRE_UPDATE_TIME, ut}, &err),
                 FS_FAILED_PRECONDITION);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0);
    cr_assert_eq(json_integer_value(json_object_get(doc->fields, "v")), 2);
    cr_assert_str_eq(doc->update_time, ut2);
    fs_doc_free(doc);
    cr_assert_eq(fs_doc_update(db, path, f, NULL, &(fs_precondition){FS_PRE_UPDATE_TIME, NULL}, NULL, &err),
                 FS_INVALID_ARGUMENT);
    json_decref(f);
    json_decref(g);
}

Test(doc, update_mask_touches_only_named_fields)
{
    char path[128];
    path_of(path, sizeof(path), "masked");
    json_t *orig = parse("{\"a\":1,\"b\":{\"x\":1,\"y\":2},\"gone\":true,\"unknown\":{\"kept\":[1,2]}}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, orig, NULL, NULL, &err), 0, "%s", err.message);
    json_t *patch = parse("{\"a\":2,\"b\":{\"x\":5,\"y\":99},\"unknown\":\"ignored\"}");
    const char *mask[] = {"a", "b.x", "gone", NULL};
    cr_assert_eq(fs_doc_update(db, path, patch, mask, &(fs_precondition){FS_PRE_EXISTS, NULL}, NULL, &err), 0,
                 "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0);
    json_t *want = parse("{\"a\":2,\"b\":{\"x\":5,\"y\":2},\"unknown\":{\"kept\":[1,2]}}");
    char *got = json_dumps(doc->fields, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert(json_equal(doc->fields, want), "got %s", got);
    free(got);
    fs_doc_free(doc);
    json_decref(want);
    json_decref(orig);
    json_decref(patch);
}

Test(doc, update_without_mask_uses_top_level_keys)
{
    char path[128];
    path_of(path, sizeof(path), "topkeys");
    json_t *orig = parse("{\"keep\":1,\"m\":{\"x\":1,\"y\":2}}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, orig, NULL, NULL, &err), 0);
    json_t *patch = parse("{\"m\":{\"x\":3},\"odd key\":\"s\",\"a.b\":true,\"back`tick\":1}");
    cr_assert_eq(fs_doc_update(db, path, patch, NULL, NULL, NULL, &err), 0, "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0);
    json_t *want = parse("{\"keep\":1,\"m\":{\"x\":3},\"odd key\":\"s\",\"a.b\":true,\"back`tick\":1}");
    char *got = json_dumps(doc->fields, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert(json_equal(doc->fields, want), "got %s", got);
    free(got);
    fs_doc_free(doc);
    json_decref(want);
    json_decref(orig);
    json_decref(patch);
}

Test(doc, get_with_field_mask)
{
    char path[128];
    path_of(path, sizeof(path), "projection");
    json_t *orig = parse("{\"a\":1,\"b\":{\"x\":1,\"y\":2},\"c\":3}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, orig, NULL, NULL, &err), 0);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, path, (const char *const[]){"a", "b.y", NULL}, &doc, &err), 0, "%s",
                 err.message);
    json_t *want = parse("{\"a\":1,\"b\":{\"y\":2}}");
    cr_assert(json_equal(doc->fields, want));
    fs_doc_free(doc);
    json_decref(want);
    json_decref(orig);
}

Test(doc, delete_and_delete_preconditions)
{
    char path[128];
    path_of(path, sizeof(path), "doomed");
    json_t *f = parse("{\"v\":1}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, f, NULL, NULL, &err), 0);
    cr_assert_eq(fs_doc_delete(db, path, &(fs_precondition){FS_PRE_EXISTS, NULL}, &err), 0, "%s",
                 err.message);
    cr_assert_null(fst_raw_get(path));
    cr_assert_eq(fs_doc_delete(db, path, NULL, &err), 0, "deleting a missing document succeeds");
    cr_assert_eq(fs_doc_delete(db, path, &(fs_precondition){FS_PRE_EXISTS, NULL}, &err), FS_NOT_FOUND);
    json_decref(f);
}

Test(doc, odd_ids_are_encoded)
{
    const char *ids[] = {"a b",     "100%",         "q?x=1#frag", "h\xc3\xa9",
                         "(paren)", "plus+and&amp", "~tilde",     "..."};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char path[128];
        path_of(path, sizeof(path), ids[i]);
        json_t *f = json_pack("{ss}", "id", ids[i]);
        ff_error err = {0};
        cr_assert_eq(fs_doc_create(db, coll, ids[i], f, NULL, NULL, &err), 0, "%s: %s", ids[i], err.message);
        fs_doc *doc = NULL;
        cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0, "%s: %s", ids[i], err.message);
        cr_assert_str_eq(doc->id, ids[i]);
        cr_assert_str_eq(json_string_value(json_object_get(doc->fields, "id")), ids[i]);
        fs_doc_free(doc);
        json_decref(f);
    }
}

Test(doc, batch_get_mixed_found_and_missing)
{
    char p1[128], p2[128], p3[128];
    path_of(p1, sizeof(p1), "b1");
    path_of(p2, sizeof(p2), "b-missing");
    path_of(p3, sizeof(p3), "b3");
    json_t *f = parse("{\"v\":1,\"w\":2}");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, p1, f, NULL, NULL, &err), 0);
    cr_assert_eq(fs_doc_set(db, p3, f, NULL, NULL, &err), 0);
    const char *paths[] = {p3, p2, p1, p3};
    fs_doc *out[4];
    cr_assert_eq(fs_doc_batch_get(db, paths, 4, (const char *const[]){"w", NULL}, out, &err), 0, "%s",
                 err.message);
    cr_assert_not_null(out[0]);
    cr_assert_null(out[1]);
    cr_assert_not_null(out[2]);
    cr_assert_not_null(out[3], "a repeated path gets its own copy");
    cr_assert_str_eq(out[0]->path, p3);
    cr_assert_str_eq(out[2]->path, p1);
    cr_assert_null(json_object_get(out[2]->fields, "v"), "mask ignored");
    cr_assert_eq(json_integer_value(json_object_get(out[2]->fields, "w")), 2);
    for (int i = 0; i < 4; i++)
        fs_doc_free(out[i]);
    cr_assert_eq(fs_doc_batch_get(db, paths, 0, NULL, out, &err), 0);
    json_decref(f);
}

static void *worker(void *arg)
{
    long n = (long)arg;
    for (int i = 0; i < 10; i++) {
        char id[32], path[128];
        snprintf(id, sizeof(id), "w%ld-%d", n, i);
        path_of(path, sizeof(path), id);
        json_t *f = json_pack("{sisi}", "thread", (int)n, "i", i);
        ff_error err = {0};
        fs_doc *doc = NULL;
        int rc = fs_doc_create(db, coll, id, f, NULL, NULL, &err);
        if (rc == 0)
            rc = fs_doc_get(db, path, NULL, &doc, &err);
        int ok = rc == 0 && json_equal(doc->fields, f);
        fs_doc_free(doc);
        json_decref(f);
        if (!ok)
            return (void *)1;
    }
    return NULL;
}

Test(doc, many_threads_share_one_handle)
{
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    int failed = 0;
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        failed += rv != NULL;
    }
    cr_assert_eq(failed, 0);
}

Test(doc, js_number_option)
{
    fs_options o = {.project_id = "demo-test", .json_flags = FS_JSON_JS_NUMBERS};
    ff_error err = {0};
    fs_db *js = fs_db_open(&o, &err);
    cr_assert_not_null(js, "%s", err.message);
    char path[128];
    path_of(path, sizeof(path), "js");
    json_t *f = parse("{\"pct\":50.0,\"ratio\":0.5}");
    cr_assert_eq(fs_doc_set(js, path, f, NULL, NULL, &err), 0, "%s", err.message);
    json_t *raw = fst_raw_get(path);
    cr_assert_str_eq(wire_type(raw, "pct"), "integerValue");
    cr_assert_str_eq(wire_type(raw, "ratio"), "doubleValue");
    json_decref(raw);
    json_decref(f);
    fs_db_close(js);
}
