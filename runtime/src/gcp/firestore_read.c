/*
 * firestore_read.c - Firestore answers read straight from their JSON text in one pass
 * (on firestore_scan.c): a REST Document into an fs_doc whose fields are plain JSON, and
 * a commit answer into its two timestamps.
 *
 * Why not json_loadb + fs_fields_to_json: every Firestore value is an object
 * ({"stringValue": "x"}), so the generic route builds, walks and frees a hash table per
 * value before the plain tree exists; that was most of the CPU of a document read.
 * The result is the one fs_doc_from_rest gives for the same text (the fuzz harness
 * fuzz_firestore_value holds the two routes to it), with the same refusals: malformed
 * JSON, text that is not UTF-8, "\u0000" in a string (json_loadb without
 * JSON_ALLOW_NUL), malformed values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "firestore_scan.h"

#define MAX_DEPTH 64 /* as firestore_value.c: Firestore allows 20 levels */

/* ---- typed values -------------------------------------------------------------------- */

static json_t *typed_value(fs_scan *r, int depth);

/* A string payload as a new json_t; fs_scan_bad(what) when it is not a string. */
static json_t *string_payload(fs_scan *r, const char *what)
{
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != '"') {
        fs_scan_skip(r, 0);
        return fs_scan_bad(r, what);
    }
    return fs_scan_string_value(r);
}

static json_t *tagged_string(fs_scan *r, const char *type, const char *tag)
{
    json_t *s = string_payload(r, type);
    return s ? json_pack("{so}", tag, s) : NULL;
}

static json_t *integer_payload(fs_scan *r)
{
    fs_scan_ws(r);
    if (r->p < r->end && *r->p != '"') {
        json_t *n = fs_scan_number(r);
        if (n == NULL || json_is_integer(n))
            return n;
        json_decref(n);
        return fs_scan_bad(r, "integerValue");
    }
    size_t len;
    if (fs_scan_string(r, &len) != 0)
        return NULL;
    char *end;
    errno = 0;
    long long v = strtoll(r->tmp, &end, 10);
    if (len == 0 || errno != 0 || *end != '\0' || end != r->tmp + len)
        return fs_scan_bad(r, "integerValue");
    return json_integer(v);
}

static json_t *double_payload(fs_scan *r)
{
    fs_scan_ws(r);
    if (r->p < r->end && *r->p == '"') {
        json_t *s = fs_scan_string_value(r);
        const char *v = json_string_value(s);
        if (v != NULL && (strcmp(v, "NaN") == 0 || strcmp(v, "Infinity") == 0 || strcmp(v, "-Infinity") == 0))
            return json_pack("{so}", "$double", s);
        json_decref(s);
        return s ? fs_scan_bad(r, "doubleValue") : NULL;
    }
    if (r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) {
        json_t *n = fs_scan_number(r);
        json_t *d = n ? json_real(json_number_value(n)) : NULL;
        json_decref(n);
        return d;
    }
    fs_scan_skip(r, 0);
    return fs_scan_bad(r, "doubleValue");
}

static json_t *boolean_payload(fs_scan *r)
{
    fs_scan_ws(r);
    if ((size_t)(r->end - r->p) >= 4 && memcmp(r->p, "true", 4) == 0) {
        r->p += 4;
        return json_true();
    }
    if ((size_t)(r->end - r->p) >= 5 && memcmp(r->p, "false", 5) == 0) {
        r->p += 5;
        return json_false();
    }
    fs_scan_skip(r, 0);
    return fs_scan_bad(r, "booleanValue");
}

/* Opens an object payload: 0 after its '{', else the value is skipped and -1. */
static int object_payload(fs_scan *r, const char *what)
{
    fs_scan_ws(r);
    if (r->p < r->end && *r->p == '{') {
        r->p++;
        return 0;
    }
    fs_scan_skip(r, 0);
    fs_scan_bad(r, what);
    return -1;
}

typedef struct geo_ctx {
    double lat, lng;
} geo_ctx;

static int geo_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    geo_ctx *g = ctx;
    double *slot = strcmp(key, "latitude") == 0 ? &g->lat : strcmp(key, "longitude") == 0 ? &g->lng : NULL;
    fs_scan_ws(r);
    if (slot == NULL)
        return fs_scan_skip(r, 1);
    if (r->p >= r->end || !(*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) {
        fs_scan_skip(r, 1);
        fs_scan_bad(r, "geoPointValue");
        return -1;
    }
    json_t *n = fs_scan_number(r);
    if (n == NULL)
        return -1;
    *slot = json_number_value(n);
    json_decref(n);
    return 0;
}

static json_t *geo_payload(fs_scan *r)
{
    geo_ctx g = {0, 0}; /* proto3 JSON leaves out zero coordinates */
    if (object_payload(r, "geoPointValue") != 0 || fs_scan_members(r, geo_member, &g) != 0)
        return NULL;
    return json_pack("{s{s:f,s:f}}", "$geoPoint", "latitude", g.lat, "longitude", g.lng);
}

typedef struct coll_ctx {
    json_t *out; /* the array or object being filled */
    int depth;
} coll_ctx;

static int array_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    if (strcmp(key, "values") != 0)
        return fs_scan_skip(r, 1);
    json_array_clear(c->out); /* a repeated member replaces the earlier one, as in jansson */
    if (fs_scan_expect(r, '[') != 0) {
        r->failed = 0;
        fs_scan_skip(r, 1);
        fs_scan_bad(r, "arrayValue");
        return -1;
    }
    if (fs_scan_accept(r, ']'))
        return 0;
    do {
        json_t *item = typed_value(r, c->depth + 1);
        if (item == NULL || json_array_append_new(c->out, item) != 0)
            return -1;
    } while (fs_scan_accept(r, ','));
    return fs_scan_expect(r, ']');
}

static json_t *array_payload(fs_scan *r, int depth)
{
    coll_ctx c = {json_array(), depth};
    if (c.out == NULL || object_payload(r, "arrayValue") != 0 || fs_scan_members(r, array_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static int field_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    json_t *v = typed_value(r, c->depth + 1);
    if (v == NULL)
        return -1;
    if (strlen(key) != len) { /* a key holding "\u0000" was refused when it was read */
        json_decref(v);
        return -1;
    }
    /* the scanner checked the key's UTF-8 */
    return json_object_setn_new_nocheck(c->out, key, len, v) == 0 ? 0 : -1;
}

/* A fields object {"k": value, ...} after whitespace, as a new plain object. */
static json_t *fields_object(fs_scan *r, int depth)
{
    coll_ctx c = {json_object(), depth};
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != '{') {
        fs_scan_skip(r, 0);
        json_decref(c.out);
        return fs_scan_bad(r, "fields");
    }
    r->p++;
    if (c.out == NULL || fs_scan_members(r, field_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static int map_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    if (strcmp(key, "fields") != 0)
        return fs_scan_skip(r, 1);
    json_t *fields = fields_object(r, c->depth);
    if (fields == NULL)
        return -1;
    json_decref(c->out); /* a repeated member replaces the earlier one, as in jansson */
    c->out = fields;
    return 0;
}

static json_t *map_payload(fs_scan *r, int depth)
{
    coll_ctx c = {NULL, depth}; /* the "fields" member's object; an empty map has none */
    if (object_payload(r, "mapValue") != 0 || fs_scan_members(r, map_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    if (c.out == NULL && (c.out = json_object()) == NULL)
        return fs_scan_bad(r, "out of memory");
    /* a map that looks like a tagged value is escaped so it reads back as a map */
    return fs_value_tag(c.out) != NULL ? json_pack("{so}", "$map", c.out) : c.out;
}

/* The payload of a value of type `type`. */
static json_t *payload(fs_scan *r, const char *type, int depth)
{
    if (strcmp(type, "stringValue") == 0)
        return string_payload(r, type);
    if (strcmp(type, "integerValue") == 0)
        return integer_payload(r);
    if (strcmp(type, "mapValue") == 0)
        return map_payload(r, depth);
    if (strcmp(type, "booleanValue") == 0)
        return boolean_payload(r);
    if (strcmp(type, "timestampValue") == 0)
        return tagged_string(r, type, "$timestamp");
    if (strcmp(type, "nullValue") == 0)
        return fs_scan_skip(r, 1) == 0 ? json_null() : NULL;
    if (strcmp(type, "arrayValue") == 0)
        return array_payload(r, depth);
    if (strcmp(type, "doubleValue") == 0)
        return double_payload(r);
    if (strcmp(type, "bytesValue") == 0)
        return tagged_string(r, type, "$bytes");
    if (strcmp(type, "referenceValue") == 0)
        return tagged_string(r, type, "$reference");
    if (strcmp(type, "geoPointValue") == 0)
        return geo_payload(r);
    if (!r->failed)
        ff_error_set(r->err, FS_UNKNOWN, "firestore: unsupported value type %s", type);
    r->failed = 1;
    return NULL;
}

/* {"<type>Value": payload}: exactly one member. */
static json_t *typed_value(fs_scan *r, int depth)
{
    if (depth > MAX_DEPTH)
        return fs_scan_bad(r, "nested too deep");
    size_t len;
    if (fs_scan_expect(r, '{') != 0)
        return fs_scan_bad(r, "not a one-member object");
    if (fs_scan_accept(r, '}') || fs_scan_string(r, &len) != 0 || fs_scan_expect(r, ':') != 0)
        return fs_scan_bad(r, "not a one-member object");
    char type[32];
    if (len >= sizeof(type)) {
        ff_strlcpy(type, sizeof(type), "?");
    } else {
        memcpy(type, r->tmp, len + 1);
    }
    json_t *v = payload(r, type, depth);
    if (v != NULL && !fs_scan_accept(r, '}')) {
        json_decref(v);
        return fs_scan_bad(r, "not a one-member object");
    }
    return v;
}

/* ---- documents ----------------------------------------------------------------------- */

typedef struct doc_ctx {
    char *name;
    json_t *fields;
    char create_time[FS_TIME_SIZE], update_time[FS_TIME_SIZE];
} doc_ctx;

/* A timestamp member: copied (truncated to FS_TIME_SIZE) when a string, else "". */
static int time_member(fs_scan *r, char dst[FS_TIME_SIZE])
{
    dst[0] = '\0';
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != '"')
        return fs_scan_skip(r, 1);
    json_t *s = fs_scan_string_value(r);
    if (s == NULL)
        return -1;
    ff_strlcpy(dst, FS_TIME_SIZE, json_string_value(s));
    json_decref(s);
    return 0;
}

static int doc_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    doc_ctx *d = ctx;
    if (strcmp(key, "fields") == 0) {
        json_t *fields = fields_object(r, 0);
        if (fields == NULL)
            return -1;
        json_decref(d->fields);
        d->fields = fields;
        return 0;
    }
    if (strcmp(key, "createTime") == 0)
        return time_member(r, d->create_time);
    if (strcmp(key, "updateTime") == 0)
        return time_member(r, d->update_time);
    if (strcmp(key, "name") != 0)
        return fs_scan_skip(r, 1);
    free(d->name);
    d->name = NULL;
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != '"')
        return fs_scan_skip(r, 1); /* not a string: as if absent */
    json_t *s = fs_scan_string_value(r);
    if (s == NULL)
        return -1;
    d->name = strdup(json_string_value(s));
    json_decref(s);
    return d->name ? 0 : (fs_scan_bad(r, "out of memory"), -1);
}

fs_doc *fs_doc_parse(const fs_db *db, const char *text, size_t len, ff_error *err)
{
    fs_scan r = {.p = text, .end = text + len, .err = err};
    doc_ctx d = {0};
    fs_scan_ws(&r);
    int rc = r.p < r.end && *r.p == '{' ? 0 : -1;
    if (rc == 0) {
        r.p++;
        rc = fs_scan_members(&r, doc_member, &d);
    }
    if (rc != 0 && !r.failed)
        fs_scan_fail(&r, "not a document");
    fs_scan_ws(&r);
    if (rc == 0 && r.p != r.end)
        rc = -1, fs_scan_fail(&r, "end of text expected");
    free(r.tmp);
    fs_doc *doc = NULL;
    if (rc == 0)
        doc = fs_doc_new(db, d.name, d.fields ? d.fields : json_object(), d.create_time, d.update_time, err);
    else
        json_decref(d.fields);
    free(d.name);
    return doc;
}

/* ---- commit answers ------------------------------------------------------------------ */

typedef struct commit_ctx {
    char commit_time[FS_TIME_SIZE], update_time[FS_TIME_SIZE];
} commit_ctx;

static int first_result_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    return strcmp(key, "updateTime") == 0 ? time_member(r, ctx) : fs_scan_skip(r, 2);
}

/* writeResults: the first result's updateTime; anything but an array of objects reads as none. */
static int write_results(fs_scan *r, commit_ctx *c)
{
    fs_scan_ws(r);
    if (r->p >= r->end || *r->p != '[')
        return fs_scan_skip(r, 1);
    r->p++;
    if (fs_scan_accept(r, ']'))
        return 0;
    int i = 0;
    do {
        fs_scan_ws(r);
        int first_object = i++ == 0 && r->p < r->end && *r->p == '{';
        if (first_object)
            r->p++;
        if (first_object ? fs_scan_members(r, first_result_member, c->update_time) : fs_scan_skip(r, 2))
            return -1;
    } while (fs_scan_accept(r, ','));
    return fs_scan_expect(r, ']');
}

static int commit_member(fs_scan *r, const char *key, size_t len, void *ctx)
{
    commit_ctx *c = ctx;
    if (strcmp(key, "commitTime") == 0)
        return time_member(r, c->commit_time);
    if (strcmp(key, "writeResults") == 0)
        return write_results(r, c);
    return fs_scan_skip(r, 1);
}

int fs_commit_parse(const char *text, size_t len, char *commit_time_out, char *update_time_out, ff_error *err)
{
    fs_scan r = {.p = text ? text : "", .end = text ? text + len : "", .err = err};
    commit_ctx c = {"", ""};
    fs_scan_ws(&r);
    int rc = r.p < r.end && *r.p == '{' ? 0 : -1;
    if (rc == 0) {
        r.p++;
        rc = fs_scan_members(&r, commit_member, &c);
    }
    fs_scan_ws(&r);
    if (rc == 0 && r.p != r.end)
        rc = -1;
    free(r.tmp);
    if (rc != 0) {
        fs_scan_fail(&r, "not a commit answer");
        return FS_UNKNOWN;
    }
    if (commit_time_out != NULL)
        memcpy(commit_time_out, c.commit_time, FS_TIME_SIZE);
    if (update_time_out != NULL)
        memcpy(update_time_out, c.update_time, FS_TIME_SIZE);
    return 0;
}
