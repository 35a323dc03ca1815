/*
 * firestore_query.c - runQuery: a structured query over one collection with ANDed field
 * filters, ordering, a start cursor and a limit, optionally inside a transaction; and,
 * on request (FS_QUERY_LOG), a record of each query for the index check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "firestore_internal.h"

static const char *const op_names[] = {
    [FS_OP_LT] = "LESS_THAN",
    [FS_OP_LE] = "LESS_THAN_OR_EQUAL",
    [FS_OP_GT] = "GREATER_THAN",
    [FS_OP_GE] = "GREATER_THAN_OR_EQUAL",
    [FS_OP_EQ] = "EQUAL",
    [FS_OP_NE] = "NOT_EQUAL",
    [FS_OP_ARRAY_CONTAINS] = "ARRAY_CONTAINS",
    [FS_OP_IN] = "IN",
    [FS_OP_ARRAY_CONTAINS_ANY] = "ARRAY_CONTAINS_ANY",
    [FS_OP_NOT_IN] = "NOT_IN",
    [FS_OP_IS_NULL] = "IS_NULL",
    [FS_OP_IS_NOT_NULL] = "IS_NOT_NULL",
    [FS_OP_IS_NAN] = "IS_NAN",
    [FS_OP_IS_NOT_NAN] = "IS_NOT_NAN",
};

static int field_ok(const char *field)
{
    return field != NULL && field[0] != '\0';
}

static json_t *filter_json(const fs_db *db, const fs_filter *f, ff_error *err)
{
    if (!field_ok(f->field) || f->op < FS_OP_LT || f->op > FS_OP_IS_NOT_NAN) {
        ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid query filter");
        return NULL;
    }
    json_t *field = json_pack("{ss}", "fieldPath", f->field);
    if (f->op >= FS_OP_IS_NULL)
        return json_pack("{s{soss}}", "unaryFilter", "field", field, "op", op_names[f->op]);
    json_t *value = fs_value_from_json(f->value, db->json_flags, err);
    if (value == NULL) {
        json_decref(field);
        return NULL;
    }
    json_t *filter =
        json_pack("{s{sossso}}", "fieldFilter", "field", field, "op", op_names[f->op], "value", value);
    if (filter == NULL)
        ff_error_set(err, FS_INTERNAL, "firestore: cannot build query filter");
    return filter;
}

static json_t *where_json(const fs_db *db, const fs_query_def *q, ff_error *err)
{
    json_t *filters = json_array();
    for (size_t i = 0; i < q->n_filters; i++) {
        json_t *f = filter_json(db, &q->filters[i], err);
        if (f == NULL) {
            json_decref(filters);
            return NULL;
        }
        json_array_append_new(filters, f);
    }
    if (json_array_size(filters) == 1) {
        json_t *only = json_incref(json_array_get(filters, 0));
        json_decref(filters);
        return only;
    }
    return json_pack("{s{ssso}}", "compositeFilter", "op", "AND", "filters", filters);
}

static json_t *order_json(const fs_query_def *q, ff_error *err)
{
    json_t *order = json_array();
    for (size_t i = 0; i < q->n_order; i++) {
        if (!field_ok(q->order[i].field)) {
            json_decref(order);
            ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid query ordering");
            return NULL;
        }
        json_array_append_new(order,
                              json_pack("{s{ss}ss}", "field", "fieldPath", q->order[i].field, "direction",
                                        q->order[i].descending ? "DESCENDING" : "ASCENDING"));
    }
    return order;
}

static json_t *structured_query(const fs_db *db, const fs_query_def *q, ff_error *err)
{
    json_t *sq = json_pack("{s[{ss,sb}]}", "from", "collectionId", q->collection, "allDescendants",
                           q->all_descendants != 0);
    if (q->n_filters > 0) {
        json_t *where = where_json(db, q, err);
        if (where == NULL) {
            json_decref(sq);
            return NULL;
        }
        json_object_set_new(sq, "where", where);
    }
    if (q->n_order > 0) {
        json_t *order = order_json(q, err);
        if (order == NULL) {
            json_decref(sq);
            return NULL;
        }
        json_object_set_new(sq, "orderBy", order);
    }
    if (q->start_after != NULL) {
        json_t *values = json_array();
        size_t i;
        const json_t *v;
        json_array_foreach(q->start_after, i, v)
        {
            json_t *fv = fs_value_from_json(v, db->json_flags, err);
            if (fv == NULL) {
                json_decref(values);
                json_decref(sq);
                return NULL;
            }
            json_array_append_new(values, fv);
        }
        json_object_set_new(sq, "startAt", json_pack("{s:o, s:b}", "values", values, "before", 0));
    }
    if (q->limit > 0)
        json_object_set_new(sq, "limit", json_integer(q->limit));
    if (q->select != NULL) {
        json_t *fields = json_array();
        for (size_t i = 0; q->select[i] != NULL; i++)
            json_array_append_new(fields, json_pack("{ss}", "fieldPath", q->select[i]));
        json_object_set_new(sq, "select", json_pack("{so}", "fields", fields));
    }
    return sq;
}

static int check_query(const fs_query_def *q, ff_error *err)
{
    if (q == NULL || q->collection == NULL || strchr(q->collection, '/') != NULL || q->limit < 0 ||
        (q->n_filters > 0 && q->filters == NULL) || (q->n_order > 0 && q->order == NULL) ||
        (q->start_after != NULL && !json_is_array(q->start_after)))
        return ff_error_set(err, FS_INVALID_ARGUMENT, "firestore: invalid query");
    int rc = fs_path_check(q->parent ? q->parent : "", FS_PATH_PARENT, err);
    return rc ? rc : fs_path_check(q->collection, FS_PATH_COLLECTION, err);
}

static int read_results(const fs_db *db, const json_t *res, fs_doc_list *out, ff_error *err)
{
    if (!json_is_array(res))
        return ff_error_set(err, FS_UNKNOWN, "firestore runQuery: response is not an array");
    out->docs = calloc(json_array_size(res) + 1, sizeof(*out->docs));
    if (out->docs == NULL)
        return ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(res, i, item)
    {
        int rc = fs_stream_item_error(item, "runQuery", err);
        if (rc != 0)
            return rc;
        json_t *doc = json_object_get(item, "document");
        if (doc == NULL)
            continue; /* progress entries carry only a readTime */
        ff_error derr = {0};
        fs_doc *d = fs_doc_from_rest(db, doc, &derr);
        if (d == NULL)
            return ff_error_set(err, derr.code ? derr.code : FS_UNKNOWN, "%s", derr.message);
        out->docs[out->n++] = d;
    }
    return 0;
}

static char *query_url(const fs_db *db, const char *parent)
{
    if (parent == NULL || parent[0] == '\0')
        return ff_concat_alloc(db->root, ":runQuery", NULL);
    char *enc = fs_path_encode(parent);
    char *url = enc ? ff_concat_alloc(db->root, "/", enc, ":runQuery", NULL) : NULL;
    free(enc);
    return url;
}

/*
 * FS_QUERY_LOG=FILE: appends {"parent", "structuredQuery", "by": program} as one line, in
 * one write on an O_APPEND descriptor so lines of concurrent processes do not interleave.
 * Best effort: a query never fails for its record.
 */
static void record_query(const char *parent, const json_t *sq)
{
    const char *file = getenv("FS_QUERY_LOG");
    if (file == NULL || file[0] == '\0')
        return;
    json_t *rec = json_pack("{s:s, s:O, s:s}", "parent", parent ? parent : "", "structuredQuery", sq, "by",
                            program_invocation_short_name);
    char *line = rec ? ff_json_text(rec, NULL) : NULL;
    json_decref(rec);
    int fd = line ? open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0) {
        size_t len = strlen(line);
        line[len] = '\n'; /* replaces the terminator: written with its length */
        ssize_t n = write(fd, line, len + 1);
        (void)n;
        close(fd);
    }
    free(line);
}

int fs_query_in(fs_db *db, const char *txn, const fs_query_def *q, fs_doc_list *out, ff_error *err)
{
    out->docs = NULL;
    out->n = 0;
    int rc = check_query(q, err);
    if (rc != 0)
        return rc;
    ff_error qerr = {0};
    json_t *sq = structured_query(db, q, &qerr);
    if (sq == NULL)
        return ff_error_set(err, qerr.code ? qerr.code : FS_INTERNAL, "%s", qerr.message);
    record_query(q->parent, sq);
    json_t *body = json_pack("{so}", "structuredQuery", sq), *res = NULL;
    if (txn != NULL)
        json_object_set_new(body, "transaction", json_string(txn));
    char *url = query_url(db, q->parent);
    rc = url ? fs_call(db, "POST", url, body, fs_read_retry(txn), &res, err)
             : ff_error_set(err, FS_RESOURCE_EXHAUSTED, "firestore: out of memory");
    if (rc == 0)
        rc = read_results(db, res, out, err);
    if (rc != 0)
        fs_doc_list_free(out);
    free(url);
    json_decref(res);
    json_decref(body);
    return rc;
}

int fs_query(fs_db *db, const fs_query_def *q, fs_doc_list *out, ff_error *err)
{
    return fs_query_in(db, NULL, q, out, err);
}
