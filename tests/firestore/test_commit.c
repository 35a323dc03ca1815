/*
 * test_commit.c - atomic batches against the emulator: all writes apply together, and a
 * failed precondition anywhere leaves nothing behind.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fs_helpers.h"

static fs_db *db;
static char coll[64];

static void setup(void)
{
    db = fst_db();
    fst_unique(coll, sizeof(coll), "commit");
}

static void teardown(void)
{
    fs_db_close(db);
}

TestSuite(commit, .init = setup, .fini = teardown, .timeout = 60);

static const char *path_of(char *out, size_t len, const char *id)
{
    snprintf(out, len, "%s/%s", coll, id);
    return out;
}

Test(commit, all_writes_apply_together)
{
    char a[128], b[128], c[128];
    path_of(a, sizeof(a), "a");
    path_of(b, sizeof(b), "b");
    path_of(c, sizeof(c), "c");
    json_t *one = json_pack("{si}", "v", 1);
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, b, one, NULL, NULL, &err), 0);
    cr_assert_eq(fs_doc_set(db, c, one, NULL, NULL, &err), 0);

    fs_batch *batch = fs_batch_new(db);
    json_t *two = json_pack("{si}", "v", 2);
    cr_assert_eq(fs_batch_create(batch, a, one, &err), 0);
    cr_assert_eq(fs_batch_update(batch, b, two, NULL, &(fs_precondition){FS_PRE_EXISTS, NULL}, &err), 0);
    cr_assert_eq(fs_batch_delete(batch, c, NULL, &err), 0);
    cr_assert_eq(fs_batch_count(batch), 3);
    char when[FS_TIME_SIZE];
    cr_assert_eq(fs_commit(db, batch, when, &err), 0, "%s", err.message);
    cr_assert(strlen(when) > 0);

    json_t *ra = fst_raw_get(a), *rb = fst_raw_get(b), *rc = fst_raw_get(c);
    cr_assert_not_null(ra);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(rb, "fields"), "v"),
                                                       "integerValue")),
                     "2");
    cr_assert_null(rc);
    /* every write of one commit carries the commit time */
    cr_assert_str_eq(json_string_value(json_object_get(ra, "updateTime")), when);
    json_decref(ra);
    json_decref(rb);
    fs_batch_free(batch);
    json_decref(one);
    json_decref(two);
}

Test(commit, failed_precondition_leaves_nothing)
{
    char a[128], b[128];
    path_of(a, sizeof(a), "first");
    path_of(b, sizeof(b), "exists");
    json_t *f = json_pack("{ss}", "s", "x");
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, b, f, NULL, NULL, &err), 0);

    fs_batch *batch = fs_batch_new(db);
    cr_assert_eq(fs_batch_create(batch, a, f, &err), 0);
    cr_assert_eq(fs_batch_create(batch, b, f, &err), 0); /* b exists: must fail */
    cr_assert_eq(fs_commit(db, batch, NULL, &err), FS_ALREADY_EXISTS, "%s", err.message);
    cr_assert_null(fst_raw_get(a), "the first write of a failed commit landed");
    fs_batch_free(batch);

    batch = fs_batch_new(db);
    cr_assert_eq(fs_batch_set(batch, a, f, NULL, &err), 0);
    cr_assert_eq(fs_batch_update(batch, b, f, NULL,
                                 &(fs_precondition){FS_PRE_UPDATE_TIME, "2000-01-01T00:00:00Z"}, &err),
                 0);
    cr_assert_eq(fs_commit(db, batch, NULL, &err), FS_FAILED_PRECONDITION, "%s", err.message);
    cr_assert_null(fst_raw_get(a), "the first write of a failed commit landed");
    fs_batch_free(batch);
    json_decref(f);
}

Test(commit, invalid_write_leaves_batch_unchanged)
{
    fs_batch *batch = fs_batch_new(db);
    json_t *f = json_pack("{si}", "v", 1);
    json_t *bad = json_pack("{s{si}}", "x", "$timestamp", 5);
    ff_error err = {0};
    cr_assert_eq(fs_batch_set(batch, "only-one-segment", f, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_delete(batch, "a/__b__", NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_set(batch, "a/b", bad, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_update(batch, "a/b", f, (const char *const[]){"", NULL}, NULL, &err),
                 FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_set(batch, "a/b", f, &(fs_precondition){99, NULL}, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_count(batch), 0);
    fs_batch_free(batch);
    json_decref(f);
    json_decref(bad);
}

/* A refused write in the middle leaves the writes around it whole: the commit applies both. */
Test(commit, writes_around_a_refused_one_still_commit)
{
    char a[128], c[128];
    path_of(a, sizeof(a), "a");
    path_of(c, sizeof(c), "c");
    fs_batch *batch = fs_batch_new(db);
    json_t *f = json_pack("{si}", "v", 1);
    json_t *bad = json_pack("{s:s, s{si}}", "first", "written", "x", "$timestamp", 5);
    ff_error err = {0};
    cr_assert_eq(fs_batch_create(batch, a, f, &err), 0, "%s", err.message);
    cr_assert_eq(fs_batch_set(batch, c, bad, NULL, &err), FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_update(batch, c, f, (const char *const[]){"v", "", NULL}, NULL, &err),
                 FS_INVALID_ARGUMENT);
    cr_assert_eq(fs_batch_create(batch, c, f, &err), 0, "%s", err.message);
    cr_assert_eq(fs_batch_count(batch), 2);
    cr_assert_eq(fs_commit(db, batch, NULL, &err), 0, "%s", err.message);
    json_t *ra = fst_raw_get(a), *rc = fst_raw_get(c);
    cr_expect_not_null(ra);
    cr_expect_not_null(rc);
    cr_expect_null(json_object_get(json_object_get(rc, "fields"), "first"),
                   "the refused write's half landed");
    json_decref(ra);
    json_decref(rc);
    fs_batch_free(batch);
    json_decref(f);
    json_decref(bad);
}

/* Names and field names that JSON must escape reach Firestore as they are. */
Test(commit, names_and_fields_with_quotes_backslashes_and_unicode)
{
    char p[160];
    snprintf(p, sizeof(p), "%s/q\"uo\\te \xc3\xa9\xe2\x82\xac", coll);
    json_t *f = json_pack("{s:s, s:s}", "k\"ey\\", "v\n\x01\"", "\xc3\xa9", "\xf0\x9f\x98\x80");
    fs_batch *batch = fs_batch_new(db);
    ff_error err = {0};
    cr_assert_eq(fs_batch_create(batch, p, f, &err), 0, "%s", err.message);
    cr_assert_eq(fs_batch_update(batch, p, f, NULL, &(fs_precondition){FS_PRE_EXISTS, NULL}, &err), 0);
    cr_assert_eq(fs_commit(db, batch, NULL, &err), 0, "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, p, NULL, &doc, &err), 0, "%s", err.message);
    cr_expect_str_eq(doc->path, p);
    cr_expect(json_equal(doc->fields, f), "fields changed on the way");
    fs_doc_free(doc);
    fs_batch_free(batch);
    json_decref(f);
}

Test(commit, empty_batch_commits)
{
    fs_batch *batch = fs_batch_new(db);
    ff_error err = {0};
    char when[FS_TIME_SIZE];
    cr_assert_eq(fs_commit(db, batch, when, &err), 0, "%s", err.message);
    fs_batch_free(batch);
}
