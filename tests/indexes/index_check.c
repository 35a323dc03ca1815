/*
 * index_check.c - a structured query reduced to what Firestore needs from an index
 * (scope, equality fields, the ordered fields ending with __name__), then matched
 * against the declared and automatic indexes (rules in index_check.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index_check.h"

#define IX_MAX 16

enum { IX_ASC, IX_DESC, IX_CONTAINS, IX_ANY_ORDER };

typedef struct ix_field {
    const char *path;
    int mode;
} ix_field;

/* What the query needs. Paths borrow from the query JSON. */
typedef struct ix_need {
    const char *collection;
    int group;           /* COLLECTION_GROUP scope */
    ix_field eq[IX_MAX]; /* IX_ANY_ORDER or IX_CONTAINS */
    size_t n_eq;
    ix_field order[IX_MAX]; /* IX_ASC / IX_DESC, __name__ last */
    size_t n_order;
    const char *ineq[IX_MAX];
    size_t n_ineq;
} ix_need;

static const char *mode_name(int mode)
{
    static const char *const names[] = {"ASCENDING", "DESCENDING", "CONTAINS", "ASCENDING|DESCENDING"};
    return names[mode];
}

static int has_eq(const ix_need *n, const char *path)
{
    for (size_t i = 0; i < n->n_eq; i++)
        if (strcmp(n->eq[i].path, path) == 0)
            return 1;
    return 0;
}

static int has_order(const ix_need *n, const char *path)
{
    for (size_t i = 0; i < n->n_order; i++)
        if (strcmp(n->order[i].path, path) == 0)
            return 1;
    return 0;
}

static int unmodelled(char *why, size_t len, const char *what)
{
    snprintf(why, len, "%s", what);
    return -1;
}

static const char *field_path(const json_t *filter)
{
    return json_string_value(json_object_get(json_object_get(filter, "field"), "fieldPath"));
}

/* Adds one filter (recursing through AND composites). Returns 0, or -1 with why set. */
static int add_filter(ix_need *n, const json_t *f, char *why, size_t len)
{
    const json_t *comp = json_object_get(f, "compositeFilter");
    if (comp) {
        if (strcmp(json_string_value(json_object_get(comp, "op")) ?: "", "AND") != 0)
            return unmodelled(why, len, "OR filters are not modelled");
        size_t i;
        const json_t *sub;
        json_array_foreach(json_object_get(comp, "filters"), i, sub)
        {
            if (add_filter(n, sub, why, len) != 0)
                return -1;
        }
        return 0;
    }
    const json_t *ff = json_object_get(f, "fieldFilter");
    const json_t *uf = json_object_get(f, "unaryFilter");
    const json_t *body = ff ? ff : uf;
    const char *path = field_path(body), *op = json_string_value(json_object_get(body, "op"));
    if (path == NULL || op == NULL || n->n_eq == IX_MAX || n->n_ineq == IX_MAX)
        return unmodelled(why, len, "malformed or oversized filter");
    if (strcmp(op, "EQUAL") == 0 || strcmp(op, "IN") == 0 || strcmp(op, "IS_NULL") == 0 ||
        strcmp(op, "IS_NAN") == 0)
        n->eq[n->n_eq++] = (ix_field){path, IX_ANY_ORDER};
    else if (strcmp(op, "ARRAY_CONTAINS") == 0 || strcmp(op, "ARRAY_CONTAINS_ANY") == 0)
        n->eq[n->n_eq++] = (ix_field){path, IX_CONTAINS};
    else
        n->ineq[n->n_ineq++] = path; /* <, <=, >, >=, !=, NOT_IN, IS_NOT_NULL, IS_NOT_NAN */
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The query's needs. Returns 0, or -1 with why set. */
static int need_of(const json_t *sq, ix_need *n, char *why, size_t len)
{
    memset(n, 0, sizeof(*n));
    const json_t *from = json_array_get(json_object_get(sq, "from"), 0);
    n->collection = json_string_value(json_object_get(from, "collectionId"));
    n->group = json_is_true(json_object_get(from, "allDescendants"));
    if (n->collection == NULL || json_array_size(json_object_get(sq, "from")) != 1)
        return unmodelled(why, len, "query without one collection");
    const json_t *where = json_object_get(sq, "where");
    if (where && add_filter(n, where, why, len) != 0)
        return -1;
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(sq, "orderBy"), i, o)
    {
        const char *path = field_path(o), *dir = json_string_value(json_object_get(o, "direction"));
        if (path == NULL || n->n_order == IX_MAX)
            return unmodelled(why, len, "malformed orderBy");
        if (has_eq(n, path) || has_order(n, path))
            continue; /* ordering on an equality field is a no-op */
        n->order[n->n_order++] = (ix_field){path, dir && strcmp(dir, "DESCENDING") == 0 ? IX_DESC : IX_ASC};
    }
    qsort(n->ineq, n->n_ineq, sizeof(n->ineq[0]), cmp_str);
    for (i = 0; i < n->n_ineq; i++)
        if (!has_order(n, n->ineq[i]) && n->n_order < IX_MAX - 1)
            n->order[n->n_order++] = (ix_field){n->ineq[i], IX_ASC};
    if (n->n_order == 0 || strcmp(n->order[n->n_order - 1].path, "__name__") != 0) {
        int dir = n->n_order ? n->order[n->n_order - 1].mode : IX_ASC;
        n->order[n->n_order++] = (ix_field){"__name__", dir};
    }
    return 0;
}

/* The scope an index or override entry declares (default COLLECTION). */
static int is_group_scope(const json_t *entry)
{
    const char *scope = json_string_value(json_object_get(entry, "queryScope"));
    return scope && strcmp(scope, "COLLECTION_GROUP") == 0;
}

/* The mode an index field entry declares. */
static int entry_mode(const json_t *e)
{
    const char *order = json_string_value(json_object_get(e, "order"));
    if (json_object_get(e, "arrayConfig"))
        return IX_CONTAINS;
    return order && strcmp(order, "DESCENDING") == 0 ? IX_DESC : IX_ASC;
}

static int mode_ok(int want, int have)
{
    return want == have || (want == IX_ANY_ORDER && have != IX_CONTAINS);
}

/* The fieldOverride for collection + path ("*" applies to every field), NULL if none. */
static const json_t *override_of(const json_t *indexes, const char *collection, const char *path)
{
    const json_t *wildcard = NULL, *o;
    size_t i;
    json_array_foreach(json_object_get(indexes, "fieldOverrides"), i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "collectionGroup")) ?: "", collection) != 0)
            continue;
        const char *p = json_string_value(json_object_get(o, "fieldPath")) ?: "";
        if (strcmp(p, path) == 0)
            return o;
        if (strcmp(p, "*") == 0)
            wildcard = o;
    }
    return wildcard;
}

/* A single-field index on path with mode in the need's scope, automatic or declared. */
static int single_field(const json_t *indexes, const ix_need *n, const char *path, int mode)
{
    if (strcmp(path, "__name__") == 0)
        return 1;
    const json_t *o = override_of(indexes, n->collection, path);
    if (o == NULL)
        return !n->group; /* automatic: COLLECTION scope only */
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(o, "indexes"), i, e)
    {
        if (is_group_scope(e) == n->group && mode_ok(mode, entry_mode(e)))
            return 1;
    }
    return 0;
}

/*
 * How many leading equality fields of composite index idx serve n, when the rest of it
 * is exactly n's order (with the implicit __name__); -1 when it does not serve n. The
 * equality fields it covers are marked in covered.
 */
static int composite_serves(const json_t *idx, const ix_need *n, int covered[IX_MAX])
{
    if (strcmp(json_string_value(json_object_get(idx, "collectionGroup")) ?: "", n->collection) != 0 ||
        is_group_scope(idx) != n->group)
        return -1;
    const json_t *fields = json_object_get(idx, "fields");
    size_t nf = json_array_size(fields);
    ix_field f[IX_MAX + 1];
    if (nf == 0 || nf > IX_MAX)
        return -1;
    for (size_t i = 0; i < nf; i++)
        f[i] = (ix_field){json_string_value(json_object_get(json_array_get(fields, i), "fieldPath")) ?: "",
                          entry_mode(json_array_get(fields, i))};
    if (strcmp(f[nf - 1].path, "__name__") != 0) { /* implied, in the last field's direction */
        f[nf] = (ix_field){"__name__", f[nf - 1].mode == IX_DESC ? IX_DESC : IX_ASC};
        nf++;
    }
    if (nf < n->n_order)
        return -1;
    size_t prefix = nf - n->n_order;
    for (size_t i = 0; i < n->n_order; i++)
        if (strcmp(f[prefix + i].path, n->order[i].path) != 0 || f[prefix + i].mode != n->order[i].mode)
            return -1;
    int marks[IX_MAX] = {0};
    for (size_t i = 0; i < prefix; i++) {
        size_t k = 0;
        while (k < n->n_eq && strcmp(n->eq[k].path, f[i].path) != 0)
            k++;
        if (k == n->n_eq || !mode_ok(n->eq[k].mode, f[i].mode))
            return -1; /* a leading field the query does not fix */
        marks[k] = 1;
    }
    for (size_t k = 0; k < n->n_eq; k++)
        covered[k] |= marks[k];
    return (int)prefix;
}

static void describe_need(const ix_need *n, char *why, size_t len)
{
    int used = snprintf(why, len, "needs a %s-scope composite index on %s: ",
                        n->group ? "COLLECTION_GROUP" : "COLLECTION", n->collection);
    for (size_t i = 0; i < n->n_eq && used > 0 && (size_t)used < len; i++)
        used += snprintf(why + used, len - (size_t)used, "%s %s, ", n->eq[i].path, mode_name(n->eq[i].mode));
    for (size_t i = 0; i + 1 < n->n_order && used > 0 && (size_t)used < len; i++)
        used += snprintf(why + used, len - (size_t)used, "%s %s%s", n->order[i].path,
                         mode_name(n->order[i].mode), i + 2 < n->n_order ? ", " : "");
}

int ix_served(const json_t *indexes, const json_t *sq, char *why, size_t len)
{
    ix_need n;
    if (need_of(sq, &n, why, len) != 0)
        return -1;
    size_t ordered = n.n_order - 1; /* without __name__ */
    int name_follows = ordered == 0 || n.order[n.n_order - 1].mode == n.order[ordered - 1].mode;
    if (ordered == 0 && n.order[0].mode == IX_ASC) { /* equalities only: merged single fields */
        for (size_t i = 0; i < n.n_eq; i++)
            if (!single_field(indexes, &n, n.eq[i].path, n.eq[i].mode)) {
                snprintf(why, len, "needs a %s-scope single-field %s index on %s.%s (fieldOverrides)",
                         n.group ? "COLLECTION_GROUP" : "COLLECTION", mode_name(n.eq[i].mode), n.collection,
                         n.eq[i].path);
                return 0;
            }
        return 1;
    }
    int single = n.n_eq == 0 && ordered == 1 && name_follows;
    if (single && single_field(indexes, &n, n.order[0].path, n.order[0].mode))
        return 1;
    int covered[IX_MAX] = {0}, any = 0;
    size_t i;
    const json_t *idx;
    json_array_foreach(json_object_get(indexes, "indexes"), i, idx)
    {
        any |= composite_serves(idx, &n, covered) >= 0;
    }
    for (size_t k = 0; k < n.n_eq; k++)
        any &= covered[k];
    if (any)
        return 1;
    if (single)
        snprintf(why, len, "needs a %s-scope single-field %s index on %s.%s (fieldOverrides)",
                 n.group ? "COLLECTION_GROUP" : "COLLECTION", mode_name(n.order[0].mode), n.collection,
                 n.order[0].path);
    else
        describe_need(&n, why, len);
    return 0;
}
