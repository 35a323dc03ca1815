/*
 * schema.c - the interpreter of schema_type tables (see schema.h): one checker per kind,
 * a path kept while walking ("a.b[2].c"), and the shared building-block types.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

#define SAFE_INT_MAX 9007199254740991.0 /* 2^53 - 1, JS Number.MAX_SAFE_INTEGER */

const schema_type schema_any = {.kind = SCHEMA_ANY};
const schema_type schema_string = {.kind = SCHEMA_STRING};
const schema_type schema_number = {.kind = SCHEMA_NUMBER};
const schema_type schema_int = {.kind = SCHEMA_INT};
const schema_type schema_positive_int = {.kind = SCHEMA_INT, .bounds = SCHEMA_GT, .min = 0};
const schema_type schema_nonnegative_int = {.kind = SCHEMA_INT, .bounds = SCHEMA_GE, .min = 0};
const schema_type schema_percent = {
    .kind = SCHEMA_NUMBER, .bounds = SCHEMA_GE | SCHEMA_LE, .min = 0, .max = 100};
const schema_type schema_bool = {.kind = SCHEMA_BOOL};
const schema_type schema_url = {.kind = SCHEMA_URL};
const schema_type schema_object = {.kind = SCHEMA_OBJECT};
const schema_type schema_array = {.kind = SCHEMA_ARRAY};

/*
 * The walk state: the current path, where to report a failure, and the mode: a new
 * normalized document (schema_validate), or the input normalized in place
 * (schema_normalize), where a container passes itself on and a parent replaces only the
 * children that changed.
 */
typedef struct walk {
    char path[sizeof(((schema_error *)0)->path)];
    size_t len;
    schema_error *err;
    int in_place;
} walk;

typedef int (*checker)(const schema_type *t, const json_t *in, json_t **out, walk *w);

static int check(const schema_type *t, const json_t *in, json_t **out, walk *w);

/* Appends ".name" to the path (no printf: once per field of every document read); returns
 * the length to restore. */
static size_t path_push_name(walk *w, const char *name)
{
    size_t mark = w->len, room = sizeof(w->path) - 1 - w->len;
    if (w->len > 0 && room > 0) {
        w->path[w->len++] = '.';
        room--;
    }
    size_t n = strlen(name);
    n = n < room ? n : room;
    memcpy(w->path + w->len, name, n);
    w->len += n;
    w->path[w->len] = '\0';
    return mark;
}

/* Appends "[i]" to the path, the same way. */
static size_t path_push_index(walk *w, size_t i)
{
    char digits[24];
    size_t n = sizeof(digits);
    digits[--n] = ']';
    do {
        digits[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i != 0);
    digits[--n] = '[';
    size_t mark = w->len, room = sizeof(w->path) - 1 - w->len, len = sizeof(digits) - n;
    len = len < room ? len : room;
    memcpy(w->path + w->len, digits + n, len);
    w->len += len;
    w->path[w->len] = '\0';
    return mark;
}

static void path_pop(walk *w, size_t mark)
{
    w->len = mark;
    w->path[mark] = '\0';
}

__attribute__((format(printf, 2, 3))) static int fail(walk *w, const char *fmt, ...)
{
    if (w->err == NULL)
        return -1;
    snprintf(w->err->path, sizeof(w->err->path), "%s", w->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err->message, sizeof(w->err->message), fmt, ap);
    va_end(ap);
    return -1;
}

const char *schema_json_type_name(const json_t *v)
{
    if (v == NULL)
        return "undefined";
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static bool is_scalar(schema_kind k)
{
    return k != SCHEMA_ANY && k != SCHEMA_OBJECT && k != SCHEMA_ARRAY && k != SCHEMA_UNION;
}

static void append(char *buf, size_t size, const char *s)
{
    size_t used = strlen(buf);
    snprintf(buf + used, size - used, "%s", s);
}

/* Appends the type's name as error messages show it: "string", "string[]" (arrays of
 * scalars), "array" (of objects, arrays or anything), "string | number". */
static void type_label(const schema_type *t, char *buf, size_t size)
{
    static const char *const names[] = {
        [SCHEMA_ANY] = "any",     [SCHEMA_STRING] = "string", [SCHEMA_NUMBER] = "number",
        [SCHEMA_INT] = "integer", [SCHEMA_BOOL] = "boolean",  [SCHEMA_ENUM] = "string",
        [SCHEMA_URL] = "string",  [SCHEMA_OBJECT] = "object", [SCHEMA_ARRAY] = "array",
    };
    if (t->kind == SCHEMA_ARRAY && t->items != NULL && is_scalar(t->items->kind)) {
        type_label(t->items, buf, size);
        append(buf, size, "[]");
    } else if (t->kind == SCHEMA_UNION) {
        for (size_t i = 0; t->alts[i] != NULL; i++) {
            append(buf, size, i > 0 ? " | " : "");
            type_label(t->alts[i], buf, size);
        }
    } else {
        append(buf, size, names[t->kind]);
    }
}

static int mismatch(const schema_type *t, const json_t *in, walk *w)
{
    char label[128] = "";
    type_label(t, label, sizeof(label));
    return fail(w, "expected %s, received %s", label, schema_json_type_name(in));
}

/* Whether the JSON type of v is the one the kind validates (the value may still fail). */
static bool kind_accepts(schema_kind kind, const json_t *v)
{
    switch (kind) {
    case SCHEMA_ANY:
        return true;
    case SCHEMA_STRING:
    case SCHEMA_ENUM:
    case SCHEMA_URL:
        return json_is_string(v);
    case SCHEMA_NUMBER:
    case SCHEMA_INT:
        return json_is_number(v);
    case SCHEMA_BOOL:
        return json_is_boolean(v);
    case SCHEMA_OBJECT:
        return json_is_object(v);
    case SCHEMA_ARRAY:
        return json_is_array(v);
    default:
        return false;
    }
}

/* Prints a bound: integral values in full ("9007199254740991"), others with %g. */
static void format_bound(double v, char *buf, size_t size)
{
    if (v == floor(v) && fabs(v) < 1e17)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%g", v);
}

/* Checks v against the type's bounds; `what` prefixes the message ("length "). */
static int check_bounds(const schema_type *t, double v, const char *what, walk *w)
{
    char b[32];
    if ((t->bounds & SCHEMA_GE) && v < t->min) {
        format_bound(t->min, b, sizeof(b));
        return fail(w, "%smust be >= %s", what, b);
    }
    if ((t->bounds & SCHEMA_GT) && v <= t->min) {
        format_bound(t->min, b, sizeof(b));
        return fail(w, "%smust be > %s", what, b);
    }
    if ((t->bounds & SCHEMA_LE) && v > t->max) {
        format_bound(t->max, b, sizeof(b));
        return fail(w, "%smust be <= %s", what, b);
    }
    return 0;
}

static int check_any(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    *out = w->in_place ? json_incref((json_t *)in) : json_deep_copy(in);
    return 0;
}

/*
 * A scalar that passed its check goes into the normalized document as it is, shared with
 * `in` (a reference, no copy): nothing in the tree modifies a scalar in place (no
 * json_string_set and the like), and a copy per field was a third of a document read's
 * validation.
 */
static json_t *keep(const json_t *in)
{
    return json_incref((json_t *)in);
}

/* Booleans: nothing to check beyond the JSON type. */
static int check_bool(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    *out = keep(in);
    return 0;
}

static int check_string(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    size_t n = schema_utf8_length(json_string_value(in), json_string_length(in));
    if (check_bounds(t, (double)n, "length ", w) != 0)
        return -1;
    *out = keep(in);
    return 0;
}

static int check_number(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    double v = json_number_value(in);
    if (!isfinite(v))
        return fail(w, "must be a finite number");
    if (check_bounds(t, v, "", w) != 0)
        return -1;
    *out = keep(in);
    return 0;
}

static int check_int(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    static const schema_type safe = {
        .bounds = SCHEMA_GE | SCHEMA_LE, .min = -SAFE_INT_MAX, .max = SAFE_INT_MAX};
    const json_int_t safe_max = (json_int_t)SAFE_INT_MAX, i = json_integer_value(in); /* i: 0 for reals */
    double v = json_number_value(in);
    if (json_is_real(in) && (!isfinite(v) || v != floor(v)))
        return fail(w, "must be an integer");
    if (i > safe_max || i < -safe_max) /* its double may round back to 2^53-1: keep it out of range */
        v = i > 0 ? SAFE_INT_MAX + 1 : -SAFE_INT_MAX - 1;
    if (check_bounds(&safe, v, "", w) != 0 || check_bounds(t, v, "", w) != 0)
        return -1;
    *out = json_is_integer(in) ? keep(in) : json_integer((json_int_t)v);
    return 0;
}

static int check_enum(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    if (schema_enum_index(t->values, json_string_value(in), json_string_length(in)) < 0) {
        char list[200] = "";
        for (size_t i = 0; t->values[i] != NULL; i++) {
            append(list, sizeof(list), i > 0 ? ", " : "");
            append(list, sizeof(list), t->values[i]);
        }
        return fail(w, "must be one of: %s", list);
    }
    *out = keep(in);
    return 0;
}

static int check_url(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    if (!schema_url_valid(json_string_value(in), json_string_length(in)))
        return fail(w, "must be a valid URL");
    *out = keep(in);
    return 0;
}

/*
 * A field's default as a new value. The tables' defaults are nearly all null, false, [] or
 * {}: those are made directly, the rest parsed (json_loads was 2 % of a document read).
 */
static json_t *fallback_value(const char *text)
{
    if (strcmp(text, "null") == 0)
        return json_null();
    if (strcmp(text, "false") == 0)
        return json_false();
    if (strcmp(text, "true") == 0)
        return json_true();
    if (strcmp(text, "[]") == 0)
        return json_array();
    if (strcmp(text, "{}") == 0)
        return json_object();
    return json_loads(text, JSON_DECODE_ANY, NULL);
}

/* One declared field of obj (*v: its value, NULL if absent) in *norm: absent -> fallback,
 * null -> kept if nullable. */
static int check_field(const schema_field *f, const json_t *obj, const json_t **v, json_t **norm, walk *w)
{
    size_t mark = path_push_name(w, f->name);
    int rc = 0;
    *v = json_object_get(obj, f->name);
    *norm = NULL;
    if (*v == NULL && f->fallback == NULL)
        rc = fail(w, "required");
    else if (*v == NULL && (*norm = fallback_value(f->fallback)) == NULL)
        rc = fail(w, "invalid default in the schema table");
    else if (*v != NULL && json_is_null(*v) && f->nullable)
        *norm = json_null();
    else if (*v != NULL)
        rc = check(f->type, *v, norm, w);
    path_pop(w, mark);
    return rc;
}

/* Unknown keys of in, deep-copied into out (schema_validate: out owns all its containers). */
static void copy_unknown(const json_t *in, json_t *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v)
    {
        if (json_object_get(out, key) == NULL) /* a key of a jansson object: already checked */
            json_object_set_new_nocheck(out, key, json_deep_copy(v));
    }
}

static int check_object(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    json_t *obj = w->in_place ? (json_t *)in : json_object();
    for (const schema_field *f = t->fields; f != NULL && f->name != NULL; f++) {
        const json_t *v;
        json_t *norm;
        if (check_field(f, in, &v, &norm, w) != 0) {
            if (!w->in_place)
                json_decref(obj);
            return -1;
        }
        if (norm != v || !w->in_place) /* the tables' names are ASCII: jansson need not check them */
            json_object_set_new_nocheck(obj, f->name, norm);
        else
            json_decref(norm); /* unchanged: the reference check passed on */
    }
    if (w->in_place)
        json_incref(obj);
    else
        copy_unknown(in, obj);
    *out = obj;
    return 0;
}

static int check_array(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    json_t *arr = w->in_place ? (json_t *)in : json_array();
    for (size_t i = 0; i < json_array_size(in); i++) {
        size_t mark = path_push_index(w, i);
        json_t *item = json_array_get(in, i), *norm = NULL;
        int rc = check(t->items ? t->items : &schema_any, item, &norm, w);
        path_pop(w, mark);
        if (rc != 0) {
            if (!w->in_place)
                json_decref(arr);
            return -1;
        }
        if (!w->in_place)
            json_array_append_new(arr, norm);
        else if (norm != item)
            json_array_set_new(arr, i, norm);
        else
            json_decref(norm);
    }
    *out = w->in_place ? json_incref(arr) : arr;
    return 0;
}

static int check_union(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    for (size_t i = 0; t->alts[i] != NULL; i++) {
        if (kind_accepts(t->alts[i]->kind, in))
            return check(t->alts[i], in, out, w);
    }
    return mismatch(t, in, w);
}

static int check(const schema_type *t, const json_t *in, json_t **out, walk *w)
{
    static const checker checkers[] = {
        [SCHEMA_ANY] = check_any,     [SCHEMA_STRING] = check_string, [SCHEMA_NUMBER] = check_number,
        [SCHEMA_INT] = check_int,     [SCHEMA_BOOL] = check_bool,     [SCHEMA_ENUM] = check_enum,
        [SCHEMA_URL] = check_url,     [SCHEMA_OBJECT] = check_object, [SCHEMA_ARRAY] = check_array,
        [SCHEMA_UNION] = check_union,
    };
    *out = NULL;
    if (t->kind != SCHEMA_UNION && !kind_accepts(t->kind, in))
        return mismatch(t, in, w);
    return checkers[t->kind](t, in, out, w);
}

int schema_validate(const schema_type *type, const json_t *in, json_t **out, schema_error *err)
{
    walk w = {.path = "", .len = 0, .err = err};
    json_t *norm = NULL;
    if (out != NULL)
        *out = NULL;
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (in == NULL)
        return fail(&w, "required");
    if (check(type, in, &norm, &w) != 0)
        return -1;
    if (out != NULL)
        *out = norm;
    else
        json_decref(norm);
    return 0;
}

int schema_normalize(const schema_type *type, json_t **doc, schema_error *err)
{
    walk w = {.path = "", .len = 0, .err = err, .in_place = 1};
    json_t *norm = NULL;
    if (err != NULL)
        memset(err, 0, sizeof(*err));
    if (*doc == NULL)
        return fail(&w, "required");
    if (check(type, *doc, &norm, &w) != 0)
        return -1;
    json_decref(*doc); /* norm is *doc again, or (a scalar made an integer) its replacement */
    *doc = norm;
    return 0;
}

int schema_enum_index(const char *const *values, const char *s, size_t len)
{
    for (int i = 0; s != NULL && values[i] != NULL; i++) {
        if (strlen(values[i]) == len && memcmp(values[i], s, len) == 0)
            return i;
    }
    return -1;
}
