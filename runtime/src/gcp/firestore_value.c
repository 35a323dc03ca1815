/*
 * firestore_value.c - converts between Firestore REST values ({"integerValue": "1"}) and
 * the plain-JSON form handlers work with, both ways and losslessly (mapping in
 * gcp/firestore.h), plus constructors for the tagged values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firestore_internal.h"

/* Firestore allows 20 levels; the cap only protects the stack from hostile input. */
#define MAX_DEPTH   64
#define JS_SAFE_INT 9007199254740992.0 /* 2^53 */

static const char *const tags[] = {"$double", "$timestamp", "$bytes", "$reference", "$geoPoint", "$map"};

/* The tag of a one-member object whose key is reserved, else NULL. */
const char *fs_value_tag(const json_t *obj)
{
    if (!json_is_object(obj) || json_object_size(obj) != 1)
        return NULL;
    const char *key = json_object_iter_key(json_object_iter((json_t *)obj));
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strcmp(key, tags[i]) == 0)
            return tags[i];
    return NULL;
}

/* ---- plain JSON -> Firestore ----------------------------------------------------------
 *
 * Written straight as REST JSON text into an ff_jbuf: a request body is never built as a
 * tree of typed values (one object per value), which cost more than the rest of a write.
 * fs_value_from_json reads the text back for callers that want the tree.
 */

static int write_value(ff_jbuf *b, const json_t *v, unsigned flags, int depth, ff_error *err);

/* The members of a plain object as a fields object {"k": value, ...}. */
static int write_fields(ff_jbuf *b, const json_t *obj, unsigned flags, int depth, ff_error *err)
{
    const char *key;
    json_t *member;
    int first = 1;
    ff_jbuf_lit(b, "{");
    json_object_foreach((json_t *)obj, key, member)
    {
        if (!first)
            ff_jbuf_lit(b, ",");
        first = 0;
        ff_jbuf_string(b, key, strlen(key));
        ff_jbuf_lit(b, ":");
        int rc = write_value(b, member, flags, depth + 1, err);
        if (rc != 0)
            return rc;
    }
    ff_jbuf_lit(b, "}");
    return 0;
}

static int write_map(ff_jbuf *b, const json_t *obj, unsigned flags, int depth, ff_error *err)
{
    if (json_object_size(obj) == 0) {
        ff_jbuf_lit(b, "{\"mapValue\":{}}"); /* the Admin SDK writes {} for an empty map */
        return 0;
    }
    ff_jbuf_lit(b, "{\"mapValue\":{\"fields\":");
    int rc = write_fields(b, obj, flags, depth, err);
    ff_jbuf_lit(b, "}}");
    return rc;
}

static int write_array(ff_jbuf *b, const json_t *arr, unsigned flags, int depth, ff_error *err)
{
    if (json_array_size(arr) == 0) {
        ff_jbuf_lit(b, "{\"arrayValue\":{}}");
        return 0;
    }
    size_t i;
    json_t *item;
    ff_jbuf_lit(b, "{\"arrayValue\":{\"values\":[");
    json_array_foreach(arr, i, item)
    {
        if (i > 0)
            ff_jbuf_lit(b, ",");
        int rc = write_value(b, item, flags, depth + 1, err);
        if (rc != 0)
            return rc;
    }
    ff_jbuf_lit(b, "]}}");
    return 0;
}

/* {"<type>":"<s>"} */
static void write_typed_string(ff_jbuf *b, const char *type, const char *s, size_t n)
{
    ff_jbuf_lit(b, "{\"");
    ff_jbuf_raw(b, type, strlen(type));
    ff_jbuf_lit(b, "\":");
    ff_jbuf_string(b, s, n);
    ff_jbuf_lit(b, "}");
}

static void write_integer(ff_jbuf *b, long long n)
{
    ff_jbuf_lit(b, "{\"integerValue\":\"");
    ff_jbuf_int(b, n);
    ff_jbuf_lit(b, "\"}");
}

/* A number as a JSON real, as json_real(d) prints. */
static void write_real_number(ff_jbuf *b, double d)
{
    json_t *r = json_real(d);
    if (r == NULL)
        b->failed = 1;
    else
        ff_jbuf_value(b, r);
    json_decref(r);
}

static void write_double(ff_jbuf *b, double d)
{
    ff_jbuf_lit(b, "{\"doubleValue\":");
    write_real_number(b, d);
    ff_jbuf_lit(b, "}");
}

static void write_real(ff_jbuf *b, double d, unsigned flags)
{
    int integral = d == floor(d) && fabs(d) <= JS_SAFE_INT && !(d == 0 && signbit(d));
    if ((flags & FS_JSON_JS_NUMBERS) && integral)
        write_integer(b, (long long)d);
    else
        write_double(b, d);
}

static int double_tag(ff_jbuf *b, const json_t *v, ff_error *err)
{
    const char *s = json_string_value(v);
    if (json_is_number(v)) {
        write_double(b, json_number_value(v));
        return 0;
    }
    if (s != NULL && (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0)) {
        write_typed_string(b, "doubleValue", s, strlen(s));
        return 0;
    }
    return ff_error_set(err, FS_INVALID_ARGUMENT,
                        "firestore: $double wants a number, NaN, Infinity or -Infinity");
}

static int geo_tag(ff_jbuf *b, const json_t *v, ff_error *err)
{
    json_t *lat = json_object_get(v, "latitude"), *lng = json_object_get(v, "longitude");
    if (!json_is_number(lat) || !json_is_number(lng))
        return ff_error_set(err, FS_INVALID_ARGUMENT,
                            "firestore: $geoPoint wants numeric latitude and longitude");
    ff_jbuf_lit(b, "{\"geoPointValue\":{\"latitude\":");
    write_real_number(b, json_number_value(lat));
    ff_jbuf_lit(b, ",\"longitude\":");
    write_real_number(b, json_number_value(lng));
    ff_jbuf_lit(b, "}}");
    return 0;
}

static int string_tag(ff_jbuf *b, const char *tag, const char *type, const json_t *v, ff_error *err)
{
    if (!json_is_string(v))
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: %s wants a string", tag);
    write_typed_string(b, type, json_string_value(v), json_string_length(v));
    return 0;
}

static int write_tagged(ff_jbuf *b, const char *tag, const json_t *v, unsigned flags, int depth,
                        ff_error *err)
{
    if (strcmp(tag, "$double") == 0)
        return double_tag(b, v, err);
    if (strcmp(tag, "$timestamp") == 0)
        return string_tag(b, tag, "timestampValue", v, err);
    if (strcmp(tag, "$bytes") == 0)
        return string_tag(b, tag, "bytesValue", v, err);
    if (strcmp(tag, "$reference") == 0)
        return string_tag(b, tag, "referenceValue", v, err);
    if (strcmp(tag, "$geoPoint") == 0)
        return geo_tag(b, v, err);
    if (json_is_object(v)) /* $map: the object inside is a map, whatever its keys */
        return write_map(b, v, flags, depth, err);
    return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: $map wants an object");
}

static int write_value(ff_jbuf *b, const json_t *v, unsigned flags, int depth, ff_error *err)
{
    if (depth > MAX_DEPTH)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: value nested deeper than %d", MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_NULL:
        ff_jbuf_lit(b, "{\"nullValue\":null}");
        return 0;
    case JSON_TRUE:
        ff_jbuf_lit(b, "{\"booleanValue\":true}");
        return 0;
    case JSON_FALSE:
        ff_jbuf_lit(b, "{\"booleanValue\":false}");
        return 0;
    case JSON_INTEGER:
        write_integer(b, (long long)json_integer_value(v));
        return 0;
    case JSON_REAL:
        write_real(b, json_real_value(v), flags);
        return 0;
    case JSON_STRING:
        write_typed_string(b, "stringValue", json_string_value(v), json_string_length(v));
        return 0;
    case JSON_ARRAY:
        return write_array(b, v, flags, depth, err);
    case JSON_OBJECT: {
        const char *tag = fs_value_tag(v);
        if (tag != NULL)
            return write_tagged(b, tag, json_object_get(v, tag), flags, depth, err);
        return write_map(b, v, flags, depth, err);
    }
    }
    return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: unsupported JSON type");
}

/* The outcome of a write into b: rc, or RESOURCE_EXHAUSTED when b ran out of memory. */
static int written(const ff_jbuf *b, int rc, ff_error *err)
{
    if (rc == 0 && b->failed)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    return rc;
}

int fs_value_write(ff_jbuf *b, const json_t *v, unsigned flags, ff_error *err)
{
    if (v == NULL)
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: no value");
    return written(b, write_value(b, v, flags, 0, err), err);
}

int fs_fields_write(ff_jbuf *b, const json_t *obj, unsigned flags, ff_error *err)
{
    if (!json_is_object(obj))
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: document fields must be a JSON object");
    return written(b, write_fields(b, obj, flags, 0, err), err);
}

/* Text written by `write` read back as a tree; NULL with err set on failure. */
static json_t *read_back(int (*write)(ff_jbuf *, const json_t *, unsigned, ff_error *), const json_t *v,
                         unsigned flags, ff_error *err)
{
    char stack[1024];
    ff_jbuf b;
    ff_jbuf_init(&b, stack, sizeof(stack), 0);
    json_t *out = NULL;
    if (write(&b, v, flags, err) == 0) {
        out = json_loadb(b.p, b.len, JSON_ALLOW_NUL, NULL);
        if (out == NULL)
            ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    }
    ff_jbuf_release(&b);
    return out;
}

json_t *fs_value_from_json(const json_t *v, unsigned flags, ff_error *err)
{
    return read_back(fs_value_write, v, flags, err);
}

json_t *fs_fields_from_json(const json_t *obj, unsigned flags, ff_error *err)
{
    return read_back(fs_fields_write, obj, flags, err);
}

/* ---- Firestore -> plain JSON ---------------------------------------------------------- */

static json_t *to_json(const json_t *value, int depth, ff_error *err);

static json_t *bad_value(const char *what, ff_error *err)
{
    ff_error_set(err, FS_UNKNOWN, "firestore: malformed value in response (%s)", what);
    return NULL;
}

static json_t *integer_to_json(const json_t *v, ff_error *err)
{
    if (json_is_integer(v))
        return json_integer(json_integer_value(v));
    const char *s = json_string_value(v);
    if (s == NULL || *s == '\0')
        return bad_value("integerValue", err);
    char *end;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return bad_value("integerValue", err);
    return json_integer(n);
}

static json_t *double_to_json(const json_t *v, ff_error *err)
{
    /* a JSON encoder may print an integral double without a fraction */
    if (json_is_number(v))
        return json_real(json_number_value(v));
    const char *s = json_string_value(v);
    if (s != NULL && (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0))
        return json_pack("{ss}", "$double", s);
    return bad_value("doubleValue", err);
}

static json_t *tag_string(const char *tag, const json_t *v, ff_error *err)
{
    if (!json_is_string(v))
        return bad_value(tag, err);
    return json_pack("{so}", tag, json_stringn(json_string_value(v), json_string_length(v)));
}

static json_t *geo_to_json(const json_t *v, ff_error *err)
{
    if (!json_is_object(v))
        return bad_value("geoPointValue", err);
    /* proto3 JSON leaves out zero coordinates */
    json_t *lat = json_object_get(v, "latitude"), *lng = json_object_get(v, "longitude");
    if ((lat != NULL && !json_is_number(lat)) || (lng != NULL && !json_is_number(lng)))
        return bad_value("geoPointValue", err);
    return json_pack("{s{s:f,s:f}}", "$geoPoint", "latitude", lat ? json_number_value(lat) : 0.0, "longitude",
                     lng ? json_number_value(lng) : 0.0);
}

static json_t *array_to_json(const json_t *v, int depth, ff_error *err)
{
    json_t *values = json_object_get(v, "values");
    if (!json_is_object(v) || (values != NULL && !json_is_array(values)))
        return bad_value("arrayValue", err);
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(values, i, item)
    {
        json_t *j = to_json(item, depth + 1, err);
        if (j == NULL) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, j);
    }
    return out;
}

static json_t *fields_to_json(const json_t *fields, int depth, ff_error *err)
{
    if (fields != NULL && !json_is_object(fields))
        return bad_value("fields", err);
    json_t *out = json_object();
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)fields, key, member)
    {
        json_t *j = to_json(member, depth + 1, err);
        if (j == NULL) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, key, j);
    }
    return out;
}

static json_t *map_to_json(const json_t *v, int depth, ff_error *err)
{
    if (!json_is_object(v))
        return bad_value("mapValue", err);
    json_t *out = fields_to_json(json_object_get(v, "fields"), depth, err);
    /* a map that looks like a tagged value is escaped so it reads back as a map */
    if (out != NULL && fs_value_tag(out) != NULL)
        return json_pack("{so}", "$map", out);
    return out;
}

static json_t *to_json(const json_t *value, int depth, ff_error *err)
{
    if (depth > MAX_DEPTH)
        return bad_value("nested too deep", err);
    if (!json_is_object(value) || json_object_size(value) != 1)
        return bad_value("not a one-member object", err);
    void *it = json_object_iter((json_t *)value);
    const char *type = json_object_iter_key(it);
    json_t *v = json_object_iter_value(it);
    if (strcmp(type, "nullValue") == 0)
        return json_null();
    if (strcmp(type, "booleanValue") == 0)
        return json_is_boolean(v) ? json_boolean(json_is_true(v)) : bad_value(type, err);
    if (strcmp(type, "integerValue") == 0)
        return integer_to_json(v, err);
    if (strcmp(type, "doubleValue") == 0)
        return double_to_json(v, err);
    if (strcmp(type, "stringValue") == 0)
        return json_is_string(v) ? json_stringn(json_string_value(v), json_string_length(v))
                                 : bad_value(type, err);
    if (strcmp(type, "timestampValue") == 0)
        return tag_string("$timestamp", v, err);
    if (strcmp(type, "bytesValue") == 0)
        return tag_string("$bytes", v, err);
    if (strcmp(type, "referenceValue") == 0)
        return tag_string("$reference", v, err);
    if (strcmp(type, "geoPointValue") == 0)
        return geo_to_json(v, err);
    if (strcmp(type, "arrayValue") == 0)
        return array_to_json(v, depth, err);
    if (strcmp(type, "mapValue") == 0)
        return map_to_json(v, depth, err);
    ff_error_set(err, FS_UNKNOWN, "firestore: unsupported value type %s", type);
    return NULL;
}

json_t *fs_value_to_json(const json_t *value, ff_error *err)
{
    return to_json(value, 0, err);
}

json_t *fs_fields_to_json(const json_t *fields, ff_error *err)
{
    return fields_to_json(fields, 0, err);
}
