/*
 * schema.h - a small table-driven validator for plain JSON (jansson) documents with the
 * semantics of the TypeScript zod schemas it replaces: required fields, enums, integer vs
 * number, ranges, string lengths, URLs, "nullable, default null", defaults filled in, and
 * loose objects (unknown keys are always preserved, never dropped).
 *
 * A schema is a tree of const schema_type / schema_field tables (see job_schema.h,
 * session_schema.h, transform_schema.h, experience_schema.h); schema_validate() walks the
 * input along it and builds a new, normalized document.
 */
#ifndef SHARED_SCHEMA_H
#define SHARED_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where and why validation failed. path uses the zod/JS notation
 * "snapshot.sessionInputs.answers[0].value"; "" is the document itself. */
typedef struct schema_error {
    char path[256];
    char message[256]; /* "required", "expected string, received number", "must be >= 0", ... */
} schema_error;

typedef enum schema_kind {
    SCHEMA_ANY,    /* any JSON value, copied as is */
    SCHEMA_STRING, /* string; bounds apply to its length in Unicode code points */
    SCHEMA_NUMBER, /* integer or real; bounds apply to its value */
    SCHEMA_INT,    /* integer, or a real with an integral value (normalized to an integer);
                      |value| <= 2^53-1 like JS Number.isSafeInteger; bounds apply */
    SCHEMA_BOOL,
    SCHEMA_ENUM,   /* string equal to one of `values` */
    SCHEMA_URL,    /* string accepted by schema_url_valid() */
    SCHEMA_OBJECT, /* object: `fields` checked (NULL = any object), every other key kept */
    SCHEMA_ARRAY,  /* array of `items` (NULL = of anything) */
    SCHEMA_UNION,  /* the first of `alts` whose JSON type matches the value decides */
} schema_kind;

/* schema_type.bounds flags. */
enum {
    SCHEMA_GE = 1, /* value (or length) >= min */
    SCHEMA_GT = 2, /* value > min */
    SCHEMA_LE = 4, /* value (or length) <= max */
};

typedef struct schema_field schema_field;

typedef struct schema_type {
    schema_kind kind;
    unsigned bounds;
    double min, max;
    const char *const *values;             /* SCHEMA_ENUM: NULL-terminated */
    const schema_field *fields;            /* SCHEMA_OBJECT: ends with SCHEMA_FIELDS_END */
    const struct schema_type *items;       /* SCHEMA_ARRAY */
    const struct schema_type *const *alts; /* SCHEMA_UNION: NULL-terminated */
} schema_type;

struct schema_field {
    const char *name;
    const schema_type *type;
    bool nullable;        /* an explicit null is accepted and kept */
    const char *fallback; /* JSON text inserted when the key is absent; NULL = required */
};

/* Field table entries. */
#define SCHEMA_FIELD(n, t)                                                                                   \
    {                                                                                                        \
        .name = (n), .type = (t)                                                                             \
    }
#define SCHEMA_FIELD_NULLABLE(n, t)                                                                          \
    {                                                                                                        \
        .name = (n), .type = (t), .nullable = true                                                           \
    }
#define SCHEMA_FIELD_OR_NULL(n, t)                                                                           \
    {                                                                                                        \
        .name = (n), .type = (t), .nullable = true, .fallback = "null"                                       \
    }
#define SCHEMA_FIELD_DEFAULT(n, t, json)                                                                     \
    {                                                                                                        \
        .name = (n), .type = (t), .fallback = (json)                                                         \
    }
#define SCHEMA_FIELDS_END                                                                                    \
    {                                                                                                        \
        .name = NULL                                                                                         \
    }

/* Building blocks shared by the document schemas. */
extern const schema_type schema_any;
extern const schema_type schema_string;
extern const schema_type schema_number;
extern const schema_type schema_int;
extern const schema_type schema_positive_int;    /* int > 0 */
extern const schema_type schema_nonnegative_int; /* int >= 0 */
extern const schema_type schema_percent;         /* number 0..100 */
extern const schema_type schema_bool;
extern const schema_type schema_url;
extern const schema_type schema_object; /* any object */
extern const schema_type schema_array;  /* array of anything */

/*
 * Validates `in` against `type`. On success returns 0 and, when out is not NULL, stores in
 * *out a new normalized document (defaults filled in, integral reals of int fields made
 * integers, unknown keys deep-copied) that the caller owns and releases with json_decref;
 * `in` is never modified. Its objects and arrays are its own; its strings, numbers and
 * booleans are shared with `in` (references): never change a scalar in place
 * (json_string_set and the like), replace it in its object instead. On failure returns -1, sets *out to NULL
 * and fills err (when not NULL) with the first failing path in schema order and the reason.
 */
int schema_validate(const schema_type *type, const json_t *in, json_t **out, schema_error *err);

/*
 * Validates *doc against `type` like schema_validate and normalizes it in place into what
 * schema_validate's copy would hold (defaults filled in, integral reals of int fields made
 * integers, unknown keys kept), with no copy: for a document the caller holds the only
 * reference to, such as one just read. Keys keep their order, defaults come last. Returns
 * 0, with *doc the normalized document (the same one, unless a top-level scalar had to be
 * replaced); or -1 with err filled in as schema_validate does, *doc then partly
 * normalized (still the caller's to release).
 */
int schema_normalize(const schema_type *type, json_t **doc, schema_error *err);

/* Index of the len-byte string s in the NULL-terminated list values, or -1. */
int schema_enum_index(const char *const *values, const char *s, size_t len);

/* Number of Unicode code points in the UTF-8 string s of len bytes. */
size_t schema_utf8_length(const char *s, size_t len);

/*
 * The URL rule (zod's .url() is WHATWG `new URL()`; this is a reasonable subset):
 *  - no ASCII control characters (NUL, tab, newline, ...) and no leading/trailing space;
 *  - a scheme [A-Za-z][A-Za-z0-9+.-]* followed by ':';
 *  - for the hierarchical web schemes http, https, ws, wss, ftp: "//" then a non-empty
 *    host (after any "user@"), free of space and of the characters <>^|\ and, unless it is
 *    a bracketed IPv6 literal, of []; an optional ":port" of at most 5 digits <= 65535
 *    (stricter than WHATWG, which also accepts "https:host" and backslashes);
 *  - any other scheme (mailto:, data:, file:, urn:, ...) accepts any remaining text.
 */
bool schema_url_valid(const char *s, size_t len);

/* The JSON type of v as zod names it ("string", "number", "object", "null"...; "undefined"
 * for NULL), for error messages. Static string. */
const char *schema_json_type_name(const json_t *v);

#endif
