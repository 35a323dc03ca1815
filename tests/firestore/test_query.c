/*
 * test_query.c - runQuery on the emulator: field filters (binary and unary), ordering,
 * limits, subcollections under a parent document, and root collections.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fs_helpers.h"

static fs_db *db;
static char parent[96]; /* "qp/<unique>": the documents live in parent/items */

static void seed(const char *id, const char *status, int n, const char *tag)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/items/%s", parent, id);
    json_t *f = json_pack("{sssis[s]ss?}", "status", status, "n", n, "tags", tag, "maybe", NULL);
    if (n == 4)
        json_object_set_new(f, "maybe", json_string("set"));
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, f, NULL, NULL, &err), 0, "%s", err.message);
    json_decref(f);
}

static void setup(void)
{
    db = fst_db();
    char id[64];
    fst_unique(id, sizeof(id), "q");
    snprintf(parent, sizeof(parent), "qp/%s", id);
    seed("d1", "pending", 1, "red");
    seed("d2", "running", 2, "blue");
    seed("d3", "pending", 3, "blue");
    seed("d4", "pending", 4, "red");
    seed("d5", "completed", 5, "red");
}

static void teardown(void)
{
    fs_db_close(db);
}

TestSuite(query, .init = setup, .fini = teardown, .timeout = 60);

/* Runs q and compares the result IDs, in order, with want (comma-separated). */
static void expect_ids(const fs_query_def *q, const char *want)
{
    fs_doc_list list;
    ff_error err = {0};
    cr_assert_eq(fs_query(db, q, &list, &err), 0, "%s", err.message);
    char got[256] = "";
    for (size_t i = 0; i < list.n; i++) {
        strcat(got, i ? "," : "");
        strcat(got, list.docs[i]->id);
    }
    cr_assert_str_eq(got, want);
    fs_doc_list_free(&list);
}

Test(query, equality_order_limit)
{
    json_t *pending = json_string("pending");
    fs_filter f[] = {{"status", FS_OP_EQ, pending}};
    fs_order o[] = {{"n", 1}};
    fs_query_def q = {.parent = parent,
                      .collection = "items",
                      .filters = f,
                      .n_filters = 1,
                      .order = o,
                      .n_order = 1,
                      .limit = 2};
    expect_ids(&q, "d4,d3");
    q.limit = 0;
    expect_ids(&q, "d4,d3,d1");
    o[0].descending = 0;
    expect_ids(&q, "d1,d3,d4");
    json_decref(pending);
}

Test(query, range_and_composite_filters)
{
    json_t *two = json_integer(2), *four = json_integer(4), *pending = json_string("pending");
    fs_filter f[] = {{"n", FS_OP_GE, two}, {"n", FS_OP_LT, four}};
    fs_order o[] = {{"n", 0}};
    fs_query_def q = {
        .parent = parent, .collection = "items", .filters = f, .n_filters = 2, .order = o, .n_order = 1};
    expect_ids(&q, "d2,d3");
    fs_filter g[] = {{"n", FS_OP_GT, two}, {"status", FS_OP_EQ, pending}};
    q.filters = g;
    expect_ids(&q, "d3,d4");
    json_decref(two);
    json_decref(four);
    json_decref(pending);
}

Test(query, in_array_contains_and_unary)
{
    json_t *set = json_pack("[ss]", "running", "completed"), *red = json_string("red");
    fs_order o[] = {{"n", 0}};
    fs_filter f[] = {{"status", FS_OP_IN, set}};
    fs_query_def q = {
        .parent = parent, .collection = "items", .filters = f, .n_filters = 1, .order = o, .n_order = 1};
    expect_ids(&q, "d2,d5");
    fs_filter g[] = {{"tags", FS_OP_ARRAY_CONTAINS, red}};
    q.filters = g;
    expect_ids(&q, "d1,d4,d5");
    fs_filter h[] = {{"maybe", FS_OP_IS_NULL, NULL}};
    q.filters = h;
    expect_ids(&q, "d1,d2,d3,d5");
    fs_filter k[] = {{"status", FS_OP_NOT_IN, set}};
    q.filters = k;
    expect_ids(&q, "d1,d3,d4");
    json_decref(set);
    json_decref(red);
}

Test(query, no_match_is_empty_and_documents_carry_fields)
{
    json_t *none = json_string("cancelled");
    fs_filter f[] = {{"status", FS_OP_EQ, none}};
    fs_query_def q = {.parent = parent, .collection = "items", .filters = f, .n_filters = 1};
    expect_ids(&q, "");
    fs_query_def all = {
        .parent = parent, .collection = "items", .limit = 1, .order = (fs_order[]){{"n", 0}}, .n_order = 1};
    fs_doc_list list;
    ff_error err = {0};
    cr_assert_eq(fs_query(db, &all, &list, &err), 0, "%s", err.message);
    cr_assert_eq(list.n, 1);
    cr_assert_str_eq(json_string_value(json_object_get(list.docs[0]->fields, "status")), "pending");
    cr_assert(strlen(list.docs[0]->update_time) > 0);
    fs_doc_list_free(&list);
    json_decref(none);
}

Test(query, root_collection)
{
    char coll[64];
    fst_unique(coll, sizeof(coll), "qroot");
    json_t *f = json_pack("{si}", "n", 1);
    ff_error err = {0};
    cr_assert_eq(fs_doc_create(db, coll, "only", f, NULL, NULL, &err), 0, "%s", err.message);
    fs_query_def q = {.collection = coll};
    expect_ids(&q, "only");
    json_decref(f);
}

Test(query, bad_filters_are_refused)
{
    fs_filter f[] = {{"", FS_OP_EQ, NULL}};
    fs_query_def q = {.parent = parent, .collection = "items", .filters = f, .n_filters = 1};
    fs_doc_list list;
    ff_error err = {0};
    cr_assert_eq(fs_query(db, &q, &list, &err), FS_INVALID_ARGUMENT);
    fs_filter g[] = {{"n", FS_OP_EQ, NULL}}; /* binary filter without a value */
    q.filters = g;
    cr_assert_eq(fs_query(db, &q, &list, &err), FS_INVALID_ARGUMENT);
    fs_filter h[] = {{"n", (fs_op)0, NULL}};
    q.filters = h;
    cr_assert_eq(fs_query(db, &q, &list, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(list.n, 0);
}
