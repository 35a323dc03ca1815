/*
 * fuzz_firestore_value.c - libFuzzer harness for the Firestore value codec and paths.
 *
 * The input is parsed as JSON the way fs_call parses REST responses (JSON_DECODE_ANY)
 * and read both ways:
 *   - as a Firestore REST value / fields object / Document: fs_value_to_json,
 *     fs_fields_to_json, fs_doc_from_rest;
 *   - as plain JSON to write: fs_value_from_json (default and JS-number flags),
 *     fs_fields_from_json.
 * Round-trip properties from gcp/firestore.h's value model (a violation traps). The REST
 * side has non-canonical spellings (integerValue as a JSON number or "+5", doubleValue
 * as an integer, arrayValue {"values": []}, missing geo coordinates), so "equal to the
 * original" is checked on canonical values, i.e. those the encoder produced:
 *   - every value the encoder produces decodes: to_json(from_json(p)) succeeds;
 *   - canonical values round-trip exactly: from_json(to_json(v), 0) == v for
 *     v = from_json(p, flags), whatever the flags;
 *   - decoded REST values are stable: y = to_json(x) re-encodes and decodes to y again
 *     (same for fields objects).
 * The raw bytes (cut at a NUL) also go to the path checks (a path is never both a valid
 * document and a valid collection path), the URL/field-path escapers and mask builders,
 * the status-name table and the Google error-body reader, and both the JSON and the
 * path go through the batch write builders (set, update with and without a mask, create,
 * delete), whose write count must match the calls that succeeded.
 * The one-pass Document reader (fs_doc_parse) reads the same bytes as text: whatever it
 * accepts json_loadb + fs_doc_from_rest accepts and reads the same (name, fields, times);
 * whatever they accept it accepts too, unless the text repeats a key (jansson keeps the
 * last, a typed value then has two members for the reader) or nests past 1000 levels.
 */
#include <stdlib.h>
#include <string.h>

#include "../runtime/src/gcp/firestore_internal.h"
#include "gcp/http.h"
#include "harness_util.h"

static fs_db *g_db;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fz_quiet_logs();
    fs_options opts = {.project_id = "demo-fuzz", .emulator_host = "127.0.0.1:1"};
    ff_error err = {0};
    g_db = fs_db_open(&opts, &err);
    if (g_db == NULL)
        fz_fail(__FILE__, __LINE__, "fs_db_open failed");
    return 0;
}

/* v came from the encoder: it must decode, and re-encode (flags 0) to exactly v. */
static void check_canonical(const json_t *v)
{
    ff_error err = {0};
    json_t *plain = fs_value_to_json(v, &err);
    FZ_ASSERT(plain != NULL, "an encoded value does not decode");
    json_t *again = fs_value_from_json(plain, FS_JSON_DEFAULT, &err);
    FZ_ASSERT(again != NULL, "a decoded value does not encode");
    FZ_ASSERT(json_equal(again, v), "from_json(to_json(v)) != v");
    json_decref(again);
    json_decref(plain);
}

/* Reading x as a REST value: a successful decode is stable under encode + decode. */
static void check_rest_value(const json_t *x)
{
    ff_error err = {0};
    json_t *y = fs_value_to_json(x, &err);
    if (y == NULL) {
        FZ_ASSERT(err.code != 0, "decode failed without an error code");
        return;
    }
    json_t *z = fs_value_from_json(y, FS_JSON_DEFAULT, &err);
    FZ_ASSERT(z != NULL, "a decoded REST value does not encode");
    json_t *y2 = fs_value_to_json(z, &err);
    FZ_ASSERT(y2 != NULL && json_equal(y, y2), "decode(encode(decode(x))) != decode(x)");
    check_canonical(z);
    json_decref(y2);
    json_decref(z);
    json_decref(y);
}

static void check_rest_fields(const json_t *x)
{
    ff_error err = {0};
    json_t *y = fs_fields_to_json(x, &err);
    if (y == NULL)
        return;
    FZ_ASSERT(json_is_object(y), "fields decode to a non-object");
    json_t *z = fs_fields_from_json(y, FS_JSON_DEFAULT, &err);
    FZ_ASSERT(z != NULL, "decoded fields do not encode");
    json_t *y2 = fs_fields_to_json(z, &err);
    FZ_ASSERT(y2 != NULL && json_equal(y, y2), "fields decode(encode(decode(x))) != decode(x)");
    json_decref(y2);
    json_decref(z);
    json_decref(y);
}

static void check_rest_doc(const json_t *x)
{
    ff_error err = {0};
    fs_doc *doc = fs_doc_from_rest(g_db, x, &err);
    if (doc == NULL)
        return;
    FZ_ASSERT(json_is_object(doc->fields), "document fields are not an object");
    FZ_ASSERT(doc->path >= doc->name && doc->id >= doc->name, "doc path/id outside the name");
    FZ_ASSERT(strlen(doc->create_time) < FS_TIME_SIZE && strlen(doc->update_time) < FS_TIME_SIZE,
              "time not terminated");
    fs_doc_free(doc);
}

/* Reading x as plain JSON to write. */
static void check_plain(const json_t *x)
{
    static const unsigned flags[] = {FS_JSON_DEFAULT, FS_JSON_JS_NUMBERS};
    for (size_t i = 0; i < 2; i++) {
        ff_error err = {0};
        json_t *v = fs_value_from_json(x, flags[i], &err);
        if (v != NULL)
            check_canonical(v);
        else
            FZ_ASSERT(err.code == FS_INVALID_ARGUMENT, "encode failed without INVALID_ARGUMENT");
        json_decref(v);
        json_t *f = fs_fields_from_json(x, flags[i], &err);
        if (f != NULL) {
            json_t *back = fs_fields_to_json(f, &err);
            FZ_ASSERT(back != NULL, "encoded fields do not decode");
            json_t *f2 = fs_fields_from_json(back, FS_JSON_DEFAULT, &err);
            FZ_ASSERT(f2 != NULL && json_equal(f, f2), "fields from_json(to_json(f)) != f");
            json_decref(f2);
            json_decref(back);
        }
        json_decref(f);
    }
}

/* The write builders on x as a document's fields (path valid) and on path (fields {}). */
static void check_writes(const json_t *x, const char *path)
{
    static const fs_precondition pre = {FS_PRE_UPDATE_TIME, "2024-01-02T03:04:05.123456Z"};
    fs_batch *b = fs_batch_new(g_db);
    FZ_ASSERT(b != NULL, "fs_batch_new failed");
    ff_error err = {0};
    size_t added = 0;
    added += fs_batch_set(b, "projects/p1/sessions/s1", x, NULL, &err) == 0;
    added += fs_batch_update(b, "projects/p1/sessions/s1", x, NULL, &pre, &err) == 0;
    if (path != NULL) {
        json_t *empty = json_object();
        const char *mask[] = {path, NULL};
        added += fs_batch_update(b, path, empty, mask, NULL, &err) == 0;
        added += fs_batch_create(b, path, empty, &err) == 0;
        added += fs_batch_delete(b, path, NULL, &err) == 0;
        json_decref(empty);
    }
    FZ_ASSERT(fs_batch_count(b) == added, "fs_batch_count differs from the writes added");
    fs_batch_free(b);
}

static void check_paths(const char *s)
{
    ff_error err = {0};
    int doc = fs_check_doc_path(s, &err) == 0;
    int coll = fs_check_collection_path(s, &err) == 0;
    FZ_ASSERT(!(doc && coll), "a path is both a document and a collection");
    (void)fs_path_check(s, FS_PATH_PARENT, &err);
    if (doc) {
        json_t *ref = fs_reference(g_db, s, &err);
        FZ_ASSERT(ref != NULL, "fs_reference refused a valid document path");
        json_decref(ref);
    }
    char *enc = fs_path_encode(s), *q = fs_query_escape(s), *full = fs_full_name(g_db, s);
    char *quoted = fs_field_path_quote(s);
    FZ_ASSERT(enc && q && full && quoted, "escaper failed");
    FZ_ASSERT(strpbrk(q, "/?#&= ") == NULL, "query escape left a reserved character");
    free(enc);
    free(q);
    free(full);
    free(quoted);
    const char *mask[] = {s, "a.b", NULL};
    char *mq = fs_mask_query(mask);
    json_t *mj = fs_mask_json(mask);
    free(mq);
    json_decref(mj);
    fs_status st = fs_status_from_name(s);
    if (st != FS_UNKNOWN)
        FZ_ASSERT(strcmp(fs_status_name(st), s) == 0, "fs_status_name does not invert fs_status_from_name");
    json_decref(fs_timestamp(s));
    check_writes(NULL, s);
}

static void check_doc_reader(const uint8_t *data, size_t size)
{
    ff_error e1 = {0}, e2 = {0};
    fs_doc *fast = fs_doc_parse(g_db, (const char *)data, size, &e1);
    json_t *x = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    fs_doc *ref = x ? fs_doc_from_rest(g_db, x, &e2) : NULL;
    if (fast != NULL) {
        FZ_ASSERT(ref != NULL, "fs_doc_parse accepted what json_loadb + fs_doc_from_rest refuse");
        FZ_ASSERT(strcmp(fast->name, ref->name) == 0 && strcmp(fast->path, ref->path) == 0 &&
                      strcmp(fast->id, ref->id) == 0,
                  "fs_doc_parse: another name");
        FZ_ASSERT(json_equal(fast->fields, ref->fields), "fs_doc_parse: other fields");
        FZ_ASSERT(strcmp(fast->create_time, ref->create_time) == 0 &&
                      strcmp(fast->update_time, ref->update_time) == 0,
                  "fs_doc_parse: other times");
    } else {
        FZ_ASSERT(e1.code != 0, "fs_doc_parse refused without an error code");
        json_t *strict =
            ref ? json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL) : NULL;
        FZ_ASSERT(strict == NULL || fz_json_depth(strict) > 1000,
                  "fs_doc_parse refused a document the reference reads");
        json_decref(strict);
    }
    fs_doc_free(fast);
    fs_doc_free(ref);
    json_decref(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_doc_reader(data, size);
    char *s = strndup((const char *)data, size);
    if (s != NULL)
        check_paths(s);
    free(s);
    char status[8], message[16];
    (void)gcp_http_google_error((const char *)data, size, status, sizeof(status), message, sizeof(message));
    json_t *x = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (x == NULL)
        return 0;
    check_rest_value(x);
    check_rest_fields(x);
    check_rest_doc(x);
    json_t *fields = json_object_get(x, "fields");
    if (fields != NULL) {
        check_rest_fields(fields);
        json_t *wrapped = json_pack("{s{sO}}", "mapValue", "fields", fields);
        check_rest_value(wrapped);
        json_decref(wrapped);
    }
    check_plain(x);
    if (json_is_object(x))
        check_writes(x, NULL);
    json_decref(x);
    return 0;
}
