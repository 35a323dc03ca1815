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
static const char *tag_of(const json_t *obj)
{
    if (!json_is_object(obj) || json_object_size(obj) != 1)
        return NULL;
    const char *key = json_object_iter_key(json_object_iter((json_t *)obj));
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strcmp(key, tags[i]) == 0)
            return tags[i];
    return NULL;
}

static json_t *typed(const char *type, json_t *v)
{
    if (v == NULL)
        return NULL;
    return json_pack("{so}", type, v);
}

/* ---- plain JSON -> Firestore ---------------------------------------------------------- */

static json_t *from_json(const json_t *v, unsigned flags, int depth, ff_error *err);

static json_t *map_from_json(const json_t *obj, unsigned flags, int depth, ff_error *err)
{
    json_t *fields = json_object();
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)obj, key, member)
    {
        json_t *fv = from_json(member, flags, depth + 1, err);
        if (fv == NULL) {
            json_decref(fields);
            return NULL;
        }
        json_object_set_new(fields, key, fv);
    }
    if (json_object_size(fields) == 0) {
        json_decref(fields);
        return typed("mapValue", json_object()); /* the Admin SDK writes {} for an empty map */
    }
    return typed("mapValue", json_pack("{so}", "fields", fields));
}

static json_t *array_from_json(const json_t *arr, unsigned flags, int depth, ff_error *err)
{
    if (json_array_size(arr) == 0)
        return typed("arrayValue", json_object());
    json_t *values = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        json_t *fv = from_json(item, flags, depth + 1, err);
        if (fv == NULL) {
            json_decref(values);
            return NULL;
        }
        json_array_append_new(values, fv);
    }
    return typed("arrayValue", json_pack("{so}", "values", values));
}

static json_t *real_from_json(double d, unsigned flags)
{
    int integral = d == floor(d) && fabs(d) <= JS_SAFE_INT && !(d == 0 && signbit(d));
    if ((flags & FS_JSON_JS_NUMBERS) && integral) {
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", (long long)d);
        return typed("integerValue", json_string(buf));
    }
    return typed("doubleValue", json_real(d));
}

static json_t *double_tag(const json_t *v, ff_error *err)
{
    const char *s = json_string_value(v);
    if (json_is_number(v))
        return typed("doubleValue", json_real(json_number_value(v)));
    if (s != NULL && (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0))
        return typed("doubleValue", json_string(s));
    ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: $double wants a number, NaN, Infinity or -Infinity");
    return NULL;
}

static json_t *geo_tag(const json_t *v, ff_error *err)
{
    json_t *lat = json_object_get(v, "latitude"), *lng = json_object_get(v, "longitude");
    if (!json_is_number(lat) || !json_is_number(lng)) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: $geoPoint wants numeric latitude and longitude");
        return NULL;
    }
    return typed("geoPointValue", json_pack("{s:f,s:f}", "latitude", json_number_value(lat), "longitude",
                                            json_number_value(lng)));
}

static json_t *string_tag(const char *tag, const char *type, const json_t *v, ff_error *err)
{
    if (!json_is_string(v)) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: %s wants a string", tag);
        return NULL;
    }
    return typed(type, json_stringn(json_string_value(v), json_string_length(v)));
}

static json_t *tagged_from_json(const char *tag, const json_t *v, unsigned flags, int depth, ff_error *err)
{
    if (strcmp(tag, "$double") == 0)
        return double_tag(v, err);
    if (strcmp(tag, "$timestamp") == 0)
        return string_tag(tag, "timestampValue", v, err);
    if (strcmp(tag, "$bytes") == 0)
        return string_tag(tag, "bytesValue", v, err);
    if (strcmp(tag, "$reference") == 0)
        return string_tag(tag, "referenceValue", v, err);
    if (strcmp(tag, "$geoPoint") == 0)
        return geo_tag(v, err);
    if (json_is_object(v)) /* $map: the object inside is a map, whatever its keys */
        return map_from_json(v, flags, depth, err);
    ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: $map wants an object");
    return NULL;
}

static json_t *from_json(const json_t *v, unsigned flags, int depth, ff_error *err)
{
    if (depth > MAX_DEPTH) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: value nested deeper than %d", MAX_DEPTH);
        return NULL;
    }
    char buf[32];
    switch (json_typeof(v)) {
    case JSON_NULL:
        return typed("nullValue", json_null());
    case JSON_TRUE:
    case JSON_FALSE:
        return typed("booleanValue", json_boolean(json_is_true(v)));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return typed("integerValue", json_string(buf));
    case JSON_REAL:
        return real_from_json(json_real_value(v), flags);
    case JSON_STRING:
        return typed("stringValue", json_stringn(json_string_value(v), json_string_length(v)));
    case JSON_ARRAY:
        return array_from_json(v, flags, depth, err);
    case JSON_OBJECT: {
        const char *tag = tag_of(v);
        if (tag != NULL)
            return tagged_from_json(tag, json_object_get(v, tag), flags, depth, err);
        return map_from_json(v, flags, depth, err);
    }
    }
    ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: unsupported JSON type");
    return NULL;
}

json_t *fs_value_from_json(const json_t *v, unsigned flags, ff_error *err)
{
    if (v == NULL) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: no value");
        return NULL;
    }
    return from_json(v, flags, 0, err);
}

json_t *fs_fields_from_json(const json_t *obj, unsigned flags, ff_error *err)
{
    if (!json_is_object(obj)) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: document fields must be a JSON object");
        return NULL;
    }
    json_t *map = map_from_json(obj, flags, 0, err);
    if (map == NULL)
        return NULL;
    json_t *fields = json_object_get(json_object_get(map, "mapValue"), "fields");
    fields = fields ? json_incref(fields) : json_object();
    json_decref(map);
    return fields;
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
    if (out != NULL && tag_of(out) != NULL)
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
