/*
 * firestore_read.c - a REST Document read straight from its JSON text into an fs_doc
 * whose fields are plain JSON, in one pass.
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

#include "firestore_internal.h"

#define MAX_DEPTH 64 /* as firestore_value.c: Firestore allows 20 levels */

typedef struct reader {
    const char *p, *end;
    ff_error *err;
    int failed;
    char *tmp; /* scratch for decoded strings, grown as needed */
    size_t tmp_cap;
} reader;

static json_t *fail(reader *r, const char *what)
{
    if (!r->failed)
        ff_error_set(r->err, FS_UNKNOWN, "firestore: unreadable response: %s", what);
    r->failed = 1;
    return NULL;
}

static json_t *bad_value(reader *r, const char *what)
{
    if (!r->failed)
        ff_error_set(r->err, FS_UNKNOWN, "firestore: malformed value in response (%s)", what);
    r->failed = 1;
    return NULL;
}

static void ws(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* Skips whitespace and c; 0, or -1 (failed) when the next character is not c. */
static int expect(reader *r, char c)
{
    ws(r);
    if (r->p >= r->end || *r->p != c) {
        fail(r, "unexpected character");
        return -1;
    }
    r->p++;
    return 0;
}

/* Whether the next non-space character is c (consumed if so). */
static int accept(reader *r, char c)
{
    ws(r);
    if (r->p < r->end && *r->p == c) {
        r->p++;
        return 1;
    }
    return 0;
}

static int tmp_put(reader *r, size_t *len, const char *s, size_t n)
{
    if (*len + n + 1 > r->tmp_cap) {
        size_t cap = (*len + n + 1) * 2;
        char *p = realloc(r->tmp, cap);
        if (p == NULL) {
            ff_error_set(r->err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
            r->failed = 1;
            return -1;
        }
        r->tmp = p;
        r->tmp_cap = cap;
    }
    memcpy(r->tmp + *len, s, n);
    *len += n;
    r->tmp[*len] = '\0';
    return 0;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* \uXXXX (and its low surrogate) as UTF-8 into tmp; r->p is past the 'u'. */
static int unicode_escape(reader *r, size_t *len)
{
    uint32_t cp, lo;
    if (r->end - r->p < 4 || hex4(r->p, &cp) != 0)
        return -1;
    r->p += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || hex4(r->p + 2, &lo) != 0 ||
            lo < 0xDC00 || lo > 0xDFFF)
            return -1;
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        return -1; /* json_loadb refuses it without JSON_ALLOW_NUL */
    char u[4];
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (size_t i = n - 1; i > 0; i--, cp >>= 6)
        u[i] = (char)(0x80 | (cp & 0x3F));
    u[0] = (char)(n == 1 ? cp : (lead[n] | cp));
    return tmp_put(r, len, u, n);
}

static int escape(reader *r, size_t *len)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (r->p >= r->end)
        return -1;
    char c = *r->p++;
    if (c == 'u')
        return unicode_escape(r, len);
    const char *at = strchr(from, c);
    return at != NULL && c != '\0' ? tmp_put(r, len, to + (at - from), 1) : -1;
}

/* A JSON string, decoded into r->tmp (NUL-terminated, length in *len), its UTF-8 checked. */
static int read_string(reader *r, size_t *len)
{
    if (expect(r, '"') != 0)
        return -1;
    *len = 0;
    if (tmp_put(r, len, "", 0) != 0)
        return -1;
    int high = 0; /* bytes past ASCII seen: UTF-8 to check (escapes always give valid UTF-8) */
    for (;;) {
        const char *run = r->p;
        while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (unsigned char)*r->p >= 0x20)
            high |= (unsigned char)*r->p++ >= 0x80;
        if (r->p > run && tmp_put(r, len, run, (size_t)(r->p - run)) != 0)
            return -1;
        if (r->p >= r->end || (unsigned char)*r->p < 0x20) {
            fail(r, "bad string");
            return -1;
        }
        if (*r->p++ == '"')
            break;
        if (escape(r, len) != 0) {
            if (!r->failed)
                fail(r, "bad escape");
            return -1;
        }
    }
    if (high && !ff_utf8_valid(r->tmp, *len)) {
        fail(r, "string is not UTF-8");
        return -1;
    }
    return 0;
}

/* A string as a new json_t, or NULL (failed). */
static json_t *string_value(reader *r)
{
    size_t len;
    if (read_string(r, &len) != 0)
        return NULL;
    json_t *s = json_stringn_nocheck(r->tmp, len); /* checked above */
    return s ? s : bad_value(r, "out of memory");
}

/* A JSON number as jansson reads one: integer when it has no fraction or exponent. */
static json_t *number_value(reader *r)
{
    ws(r);
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    const char *digits = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    if (r->p == digits || (*digits == '0' && r->p - digits > 1))
        return fail(r, "bad number");
    int real = 0;
    if (r->p < r->end && *r->p == '.') {
        real = 1;
        const char *frac = ++r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == frac)
            return fail(r, "bad number");
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        real = 1;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        const char *exp = r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == exp)
            return fail(r, "bad number");
    }
    char buf[64];
    size_t n = (size_t)(r->p - s);
    if (n >= sizeof(buf))
        return fail(r, "number too long");
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    if (!real) {
        long long v = strtoll(buf, NULL, 10);
        return errno == 0 ? json_integer(v) : fail(r, "integer too big");
    }
    double d = strtod(buf, NULL);
    return errno == ERANGE && (d > 1 || d < -1) ? fail(r, "real overflow") : json_real(d);
}

static int skip_value(reader *r, int depth);

/* The members of an object after its '{', each handed to `member`; 0 or -1. */
static int read_members(reader *r, int (*member)(reader *, const char *key, size_t len, void *ctx), void *ctx)
{
    if (accept(r, '}'))
        return 0;
    do {
        size_t len;
        if (read_string(r, &len) != 0 || expect(r, ':') != 0)
            return -1;
        char stack[128], *key = len < sizeof(stack) ? stack : malloc(len + 1);
        if (key == NULL) {
            bad_value(r, "out of memory");
            return -1;
        }
        memcpy(key, r->tmp, len + 1);
        int rc = member(r, key, len, ctx);
        if (key != stack)
            free(key);
        if (rc != 0)
            return -1;
    } while (accept(r, ','));
    return expect(r, '}');
}

static int skip_member(reader *r, const char *key, size_t len, void *ctx)
{
    return skip_value(r, *(int *)ctx);
}

/* Any JSON value, checked and passed over (members the document does not use). */
static int skip_value(reader *r, int depth)
{
    ws(r);
    if (depth > 2048 || r->p >= r->end) /* jansson's own nesting bound */
        return fail(r, "nesting too deep or truncated"), -1;
    char c = *r->p;
    size_t len;
    if (c == '"')
        return read_string(r, &len);
    if (c == '{') {
        r->p++;
        int d = depth + 1;
        return read_members(r, skip_member, &d);
    }
    if (c == '[') {
        r->p++;
        if (accept(r, ']'))
            return 0;
        do {
            if (skip_value(r, depth + 1) != 0)
                return -1;
        } while (accept(r, ','));
        return expect(r, ']');
    }
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i], n) == 0) {
            r->p += n;
            return 0;
        }
    }
    json_t *num = number_value(r);
    json_decref(num);
    return num ? 0 : -1;
}

/* ---- typed values -------------------------------------------------------------------- */

static json_t *typed_value(reader *r, int depth);

/* A string payload as a new json_t; bad_value(what) when it is not a string. */
static json_t *string_payload(reader *r, const char *what)
{
    ws(r);
    if (r->p >= r->end || *r->p != '"') {
        skip_value(r, 0);
        return bad_value(r, what);
    }
    return string_value(r);
}

static json_t *tagged_string(reader *r, const char *type, const char *tag)
{
    json_t *s = string_payload(r, type);
    return s ? json_pack("{so}", tag, s) : NULL;
}

static json_t *integer_payload(reader *r)
{
    ws(r);
    if (r->p < r->end && *r->p != '"') {
        json_t *n = number_value(r);
        if (n == NULL || json_is_integer(n))
            return n;
        json_decref(n);
        return bad_value(r, "integerValue");
    }
    size_t len;
    if (read_string(r, &len) != 0)
        return NULL;
    char *end;
    errno = 0;
    long long v = strtoll(r->tmp, &end, 10);
    if (len == 0 || errno != 0 || *end != '\0' || end != r->tmp + len)
        return bad_value(r, "integerValue");
    return json_integer(v);
}

static json_t *double_payload(reader *r)
{
    ws(r);
    if (r->p < r->end && *r->p == '"') {
        json_t *s = string_value(r);
        const char *v = json_string_value(s);
        if (v != NULL && (strcmp(v, "NaN") == 0 || strcmp(v, "Infinity") == 0 || strcmp(v, "-Infinity") == 0))
            return json_pack("{so}", "$double", s);
        json_decref(s);
        return s ? bad_value(r, "doubleValue") : NULL;
    }
    if (r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) {
        json_t *n = number_value(r);
        json_t *d = n ? json_real(json_number_value(n)) : NULL;
        json_decref(n);
        return d;
    }
    skip_value(r, 0);
    return bad_value(r, "doubleValue");
}

static json_t *boolean_payload(reader *r)
{
    ws(r);
    if ((size_t)(r->end - r->p) >= 4 && memcmp(r->p, "true", 4) == 0) {
        r->p += 4;
        return json_true();
    }
    if ((size_t)(r->end - r->p) >= 5 && memcmp(r->p, "false", 5) == 0) {
        r->p += 5;
        return json_false();
    }
    skip_value(r, 0);
    return bad_value(r, "booleanValue");
}

/* Opens an object payload: 0 after its '{', else the value is skipped and -1. */
static int object_payload(reader *r, const char *what)
{
    ws(r);
    if (r->p < r->end && *r->p == '{') {
        r->p++;
        return 0;
    }
    skip_value(r, 0);
    bad_value(r, what);
    return -1;
}

typedef struct geo_ctx {
    double lat, lng;
} geo_ctx;

static int geo_member(reader *r, const char *key, size_t len, void *ctx)
{
    geo_ctx *g = ctx;
    double *slot = strcmp(key, "latitude") == 0 ? &g->lat : strcmp(key, "longitude") == 0 ? &g->lng : NULL;
    ws(r);
    if (slot == NULL)
        return skip_value(r, 1);
    if (r->p >= r->end || !(*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))) {
        skip_value(r, 1);
        bad_value(r, "geoPointValue");
        return -1;
    }
    json_t *n = number_value(r);
    if (n == NULL)
        return -1;
    *slot = json_number_value(n);
    json_decref(n);
    return 0;
}

static json_t *geo_payload(reader *r)
{
    geo_ctx g = {0, 0}; /* proto3 JSON leaves out zero coordinates */
    if (object_payload(r, "geoPointValue") != 0 || read_members(r, geo_member, &g) != 0)
        return NULL;
    return json_pack("{s{s:f,s:f}}", "$geoPoint", "latitude", g.lat, "longitude", g.lng);
}

typedef struct coll_ctx {
    json_t *out; /* the array or object being filled */
    int depth;
} coll_ctx;

static int array_member(reader *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    if (strcmp(key, "values") != 0)
        return skip_value(r, 1);
    json_array_clear(c->out); /* a repeated member replaces the earlier one, as in jansson */
    if (expect(r, '[') != 0) {
        r->failed = 0;
        skip_value(r, 1);
        bad_value(r, "arrayValue");
        return -1;
    }
    if (accept(r, ']'))
        return 0;
    do {
        json_t *item = typed_value(r, c->depth + 1);
        if (item == NULL || json_array_append_new(c->out, item) != 0)
            return -1;
    } while (accept(r, ','));
    return expect(r, ']');
}

static json_t *array_payload(reader *r, int depth)
{
    coll_ctx c = {json_array(), depth};
    if (c.out == NULL || object_payload(r, "arrayValue") != 0 || read_members(r, array_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static int field_member(reader *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    json_t *v = typed_value(r, c->depth + 1);
    if (v == NULL)
        return -1;
    if (strlen(key) != len) { /* a key holding "\u0000" was refused when it was read */
        json_decref(v);
        return -1;
    }
    return json_object_set_new(c->out, key, v) == 0 ? 0 : -1;
}

/* A fields object {"k": value, ...} after whitespace, as a new plain object. */
static json_t *fields_object(reader *r, int depth)
{
    coll_ctx c = {json_object(), depth};
    ws(r);
    if (r->p >= r->end || *r->p != '{') {
        skip_value(r, 0);
        json_decref(c.out);
        return bad_value(r, "fields");
    }
    r->p++;
    if (c.out == NULL || read_members(r, field_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    return c.out;
}

static int map_member(reader *r, const char *key, size_t len, void *ctx)
{
    coll_ctx *c = ctx;
    if (strcmp(key, "fields") != 0)
        return skip_value(r, 1);
    json_t *fields = fields_object(r, c->depth);
    if (fields == NULL)
        return -1;
    json_decref(c->out);
    c->out = fields;
    return 0;
}

static json_t *map_payload(reader *r, int depth)
{
    coll_ctx c = {json_object(), depth};
    if (c.out == NULL || object_payload(r, "mapValue") != 0 || read_members(r, map_member, &c) != 0) {
        json_decref(c.out);
        return NULL;
    }
    /* a map that looks like a tagged value is escaped so it reads back as a map */
    return fs_value_tag(c.out) != NULL ? json_pack("{so}", "$map", c.out) : c.out;
}

/* The payload of a value of type `type`. */
static json_t *payload(reader *r, const char *type, int depth)
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
        return skip_value(r, 1) == 0 ? json_null() : NULL;
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
static json_t *typed_value(reader *r, int depth)
{
    if (depth > MAX_DEPTH)
        return bad_value(r, "nested too deep");
    size_t len;
    if (expect(r, '{') != 0)
        return bad_value(r, "not a one-member object");
    if (accept(r, '}') || read_string(r, &len) != 0 || expect(r, ':') != 0)
        return bad_value(r, "not a one-member object");
    char type[32];
    if (len >= sizeof(type)) {
        snprintf(type, sizeof(type), "%s", "?");
    } else {
        memcpy(type, r->tmp, len + 1);
    }
    json_t *v = payload(r, type, depth);
    if (v != NULL && !accept(r, '}')) {
        json_decref(v);
        return bad_value(r, "not a one-member object");
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
static int time_member(reader *r, char dst[FS_TIME_SIZE])
{
    dst[0] = '\0';
    ws(r);
    if (r->p >= r->end || *r->p != '"')
        return skip_value(r, 1);
    json_t *s = string_value(r);
    if (s == NULL)
        return -1;
    snprintf(dst, FS_TIME_SIZE, "%s", json_string_value(s));
    json_decref(s);
    return 0;
}

static int doc_member(reader *r, const char *key, size_t len, void *ctx)
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
        return skip_value(r, 1);
    free(d->name);
    d->name = NULL;
    ws(r);
    if (r->p >= r->end || *r->p != '"')
        return skip_value(r, 1); /* not a string: as if absent */
    json_t *s = string_value(r);
    if (s == NULL)
        return -1;
    d->name = strdup(json_string_value(s));
    json_decref(s);
    return d->name ? 0 : (bad_value(r, "out of memory"), -1);
}

fs_doc *fs_doc_parse(const fs_db *db, const char *text, size_t len, ff_error *err)
{
    reader r = {.p = text, .end = text + len, .err = err};
    doc_ctx d = {0};
    ws(&r);
    int rc = r.p < r.end && *r.p == '{' ? 0 : -1;
    if (rc == 0) {
        r.p++;
        rc = read_members(&r, doc_member, &d);
    }
    if (rc != 0 && !r.failed)
        fail(&r, "not a document");
    ws(&r);
    if (rc == 0 && r.p != r.end)
        rc = -1, fail(&r, "end of text expected");
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

static int first_result_member(reader *r, const char *key, size_t len, void *ctx)
{
    return strcmp(key, "updateTime") == 0 ? time_member(r, ctx) : skip_value(r, 2);
}

/* writeResults: the first result's updateTime; anything but an array of objects reads as none. */
static int write_results(reader *r, commit_ctx *c)
{
    ws(r);
    if (r->p >= r->end || *r->p != '[')
        return skip_value(r, 1);
    r->p++;
    if (accept(r, ']'))
        return 0;
    int i = 0;
    do {
        ws(r);
        int first_object = i++ == 0 && r->p < r->end && *r->p == '{';
        if (first_object)
            r->p++;
        if (first_object ? read_members(r, first_result_member, c->update_time) : skip_value(r, 2))
            return -1;
    } while (accept(r, ','));
    return expect(r, ']');
}

static int commit_member(reader *r, const char *key, size_t len, void *ctx)
{
    commit_ctx *c = ctx;
    if (strcmp(key, "commitTime") == 0)
        return time_member(r, c->commit_time);
    if (strcmp(key, "writeResults") == 0)
        return write_results(r, c);
    return skip_value(r, 1);
}

int fs_commit_parse(const char *text, size_t len, char *commit_time_out, char *update_time_out, ff_error *err)
{
    reader r = {.p = text ? text : "", .end = text ? text + len : "", .err = err};
    commit_ctx c = {"", ""};
    ws(&r);
    int rc = r.p < r.end && *r.p == '{' ? 0 : -1;
    if (rc == 0) {
        r.p++;
        rc = read_members(&r, commit_member, &c);
    }
    ws(&r);
    if (rc == 0 && r.p != r.end)
        rc = -1;
    free(r.tmp);
    if (rc != 0) {
        fail(&r, "not a commit answer");
        return FS_UNKNOWN;
    }
    if (commit_time_out != NULL)
        memcpy(commit_time_out, c.commit_time, FS_TIME_SIZE);
    if (update_time_out != NULL)
        memcpy(update_time_out, c.update_time, FS_TIME_SIZE);
    return 0;
}
