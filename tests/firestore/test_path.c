/*
 * test_path.c - path validation (and that a bad path never reaches the network), URL
 * encoding helpers, field-path quoting, and generated document IDs.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/src/gcp/firestore_internal.h"
#include "fs_helpers.h"

TestSuite(path);

static void expect_doc_ok(const char *p)
{
    ff_error err = {0};
    cr_assert_eq(fs_check_doc_path(p, &err), 0, "%s: %s", p, err.message);
}

static void expect_doc_bad(const char *p)
{
    ff_error err = {0};
    cr_assert_eq(fs_check_doc_path(p, &err), FS_INVALID_ARGUMENT, "%s accepted", p);
    cr_assert_eq(err.code, FS_INVALID_ARGUMENT);
    cr_assert(strncmp(err.message, "firestore: invalid path", 23) == 0, "%s", err.message);
}

Test(path, valid_paths)
{
    expect_doc_ok("projects/p1/sessions/s1");
    expect_doc_ok("a/b");
    expect_doc_ok("c/h\xc3\xa9llo w%rld?#");
    expect_doc_ok("c/__x");
    expect_doc_ok("c/__");
    expect_doc_ok("c/___");
    expect_doc_ok("c/...");
    expect_doc_ok("c/\xf0\x9f\x98\x80");
    ff_error err = {0};
    cr_assert_eq(fs_check_collection_path("jobs", &err), 0);
    cr_assert_eq(fs_check_collection_path("projects/p1/jobs", &err), 0);
}

Test(path, invalid_paths)
{
    expect_doc_bad("");
    expect_doc_bad("a");
    expect_doc_bad("a/b/c");
    expect_doc_bad("a//b/c");
    expect_doc_bad("/a/b");
    expect_doc_bad("a/b/");
    expect_doc_bad("a/.");
    expect_doc_bad("../b");
    expect_doc_bad("a/__id__");
    expect_doc_bad("__a__/b");
    expect_doc_bad("a/____");
    expect_doc_bad("a/\xff");
    expect_doc_bad("a/\xc0\xaf");         /* overlong '/' */
    expect_doc_bad("a/\xed\xa0\x80");     /* UTF-16 surrogate */
    expect_doc_bad("a/\xf4\x90\x80\x80"); /* above U+10FFFF */
    expect_doc_bad("a/\xe2\x82");         /* truncated */
    expect_doc_bad(NULL);
    ff_error err = {0};
    cr_assert_eq(fs_check_collection_path("a/b", &err), FS_INVALID_ARGUMENT);
}

Test(path, segment_length_limit)
{
    char p[1600];
    strcpy(p, "c/");
    memset(p + 2, 'x', 1500);
    p[1502] = '\0';
    expect_doc_ok(p);
    p[1502] = 'x';
    p[1503] = '\0';
    expect_doc_bad(p);
}

static const char *bad_doc = "sessions/__bad__";

/* Every entry point validates before sending: the peer must see no request at all. */
static void expect_no_request(fs_db *db, int (*count)(void *), void *arg)
{
    ff_error err = {0};
    fs_doc *doc = (fs_doc *)1;
    json_t *f = json_pack("{si}", "a", 1);
    cr_assert_eq(fs_doc_get(db, bad_doc, NULL, &doc, &err), FS_INVALID_ARGUMENT);
    cr_assert_null(doc);
    cr_assert_eq(fs_doc_create(db, "c/d", "x", f, NULL, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_doc_create(db, "c", "x/y/z", f, NULL, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_doc_create(db, "c", "..", f, NULL, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_doc_set(db, bad_doc, f, NULL, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_doc_update(db, "a/b/c", f, NULL, NULL, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_doc_delete(db, "a//b", NULL, &err), FS_INVALID_ARGUMENT);
    const char *paths[] = {"ok/doc", bad_doc};
    fs_doc *out[2];
    cr_assert_eq(fs_doc_batch_get(db, paths, 2, NULL, out, &err), FS_INVALID_ARGUMENT);
    cr_assert(out[0] == NULL && out[1] == NULL);
    fs_query_def q = {.parent = "odd", .collection = "c"};
    fs_doc_list list;
    cr_assert_eq(fs_query(db, &q, &list, &err), FS_INVALID_ARGUMENT);
    fs_query_def q2 = {.collection = "a/b"};
    cr_assert_eq(fs_query(db, &q2, &list, &err), FS_INVALID_ARGUMENT);
    cr_assert(strstr(err.message, "invalid") != NULL, "%s", err.message);
    json_decref(f);
    if (count != NULL)
        cr_assert_eq(count(arg), 0, "a request was sent");
}

static int server_count(void *s)
{
    return fst_server_count(s);
}

Test(path, invalid_paths_send_nothing)
{
    static const fst_reply ok[] = {{200, "{}", 0}};
    fst_server *s = fst_server_start(ok, 1);
    fs_db *db = fst_db_at(fst_server_host(s));
    expect_no_request(db, server_count, s);
    fs_db_close(db);
    fst_server_stop(s);
}

/* Pointed at a closed port, the error is still the validation error, not UNAVAILABLE. */
Test(path, validation_error_not_transport_error)
{
    fs_db *db = fst_db_at(fst_closed_host());
    expect_no_request(db, NULL, NULL);
    /* and a valid path does reach the (closed) transport */
    fs_doc *doc = NULL;
    ff_error err = {0};
    cr_assert_eq(fs_doc_get(db, "a/b", NULL, &doc, &err), FS_UNAVAILABLE, "%s", err.message);
    fs_db_close(db);
}

Test(path, encoding_helpers)
{
    char *e = fs_path_encode("c/a b%/\xc3\xa9(x)");
    cr_assert_str_eq(e, "c/a%20b%25/%C3%A9%28x%29");
    free(e);
    char *m = fs_mask_query((const char *const[]){"a", "b.c", "`x y`", NULL});
    cr_assert_str_eq(m, "?mask.fieldPaths=a&mask.fieldPaths=b.c&mask.fieldPaths=%60x%20y%60");
    free(m);
    m = fs_mask_query(NULL);
    cr_assert_str_eq(m, "");
    free(m);
}

Test(path, field_path_quoting)
{
    const char *cases[][2] = {{"status", "status"}, {"_a1", "_a1"},   {"1a", "`1a`"},
                              {"a.b", "`a.b`"},     {"a b", "`a b`"}, {"a`b", "`a\\`b`"},
                              {"a\\b", "`a\\\\b`"}, {"", "``"},       {"\xc3\xa9", "`\xc3\xa9`"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = fs_field_path_quote(cases[i][0]);
        cr_assert_str_eq(q, cases[i][1]);
        free(q);
    }
}

Test(path, generated_ids_are_20_alphanumerics_and_unique)
{
    enum { N = 2000 };
    static char ids[N][FS_ID_SIZE];
    for (int i = 0; i < N; i++) {
        cr_assert_eq(fs_new_id(ids[i], NULL), 0);
        cr_assert_eq(strlen(ids[i]), 20);
        cr_assert_eq(strspn(ids[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 20,
                     "%s", ids[i]);
    }
    qsort(ids, N, FS_ID_SIZE, (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < N; i++)
        cr_assert_str_neq(ids[i - 1], ids[i]);
}

/* A modulo without rejection would make the first 8 characters 25% more likely. */
Test(path, generated_ids_are_unbiased)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    long counts[62] = {0};
    char id[FS_ID_SIZE];
    for (int i = 0; i < 20000; i++) {
        cr_assert_eq(fs_new_id(id, NULL), 0);
        for (int j = 0; j < 20; j++)
            counts[strchr(alphabet, id[j]) - alphabet]++;
    }
    double first = 0, rest = 0;
    for (int i = 0; i < 62; i++) {
        cr_assert_gt(counts[i], 0, "character %c never drawn", alphabet[i]);
        if (i < 8)
            first += counts[i];
        else
            rest += counts[i];
    }
    double ratio = (first / 8) / (rest / 54);
    cr_assert(ratio > 0.97 && ratio < 1.03, "first-8 frequency ratio %.3f", ratio);
}
