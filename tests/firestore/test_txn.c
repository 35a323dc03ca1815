/*
 * test_txn.c - transactions on the emulator: commit, rollback, transactional reads and
 * queries, and conflicts. The emulator locks what a transaction reads; a commit that
 * waits on another transaction's lock fails ABORTED ("Transaction lock timeout") after
 * about two seconds, and fs_run_transaction must then run the body again.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_helpers.h"

static fs_db *db;
static char coll[64];

static void setup(void)
{
    db = fst_db();
    fst_unique(coll, sizeof(coll), "txn");
}

static void teardown(void)
{
    fs_db_close(db);
}

TestSuite(txn, .init = setup, .fini = teardown, .timeout = 120);

static void path_of(char *out, size_t len, const char *id)
{
    snprintf(out, len, "%s/%s", coll, id);
}

static void put(const char *path, long v)
{
    json_t *f = json_pack("{sI}", "v", (json_int_t)v);
    ff_error err = {0};
    cr_assert_eq(fs_doc_set(db, path, f, NULL, NULL, &err), 0, "%s", err.message);
    json_decref(f);
}

static long value(const char *path)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    cr_assert_eq(fs_doc_get(db, path, NULL, &doc, &err), 0, "%s", err.message);
    long v = (long)json_integer_value(json_object_get(doc->fields, "v"));
    fs_doc_free(doc);
    return v;
}

Test(txn, read_write_commit)
{
    char p[128];
    path_of(p, sizeof(p), "simple");
    put(p, 1);
    ff_error err = {0};
    fs_txn *t = fs_txn_begin(db, 0, &err);
    cr_assert_not_null(t, "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_txn_get(t, p, NULL, &doc, &err), 0, "%s", err.message);
    json_t *f = json_pack("{sI}", "v", json_integer_value(json_object_get(doc->fields, "v")) + 1);
    cr_assert_eq(fs_batch_update(fs_txn_writes(t), p, f, NULL, &(fs_precondition){FS_PRE_EXISTS, NULL}, &err),
                 0);
    char when[FS_TIME_SIZE];
    cr_assert_eq(fs_txn_commit(t, when, &err), 0, "%s", err.message);
    cr_assert(strlen(when) > 0);
    cr_assert_eq(fs_txn_commit(t, NULL, &err), FS_FAILED_PRECONDITION, "a second commit must be refused");
    fs_txn_free(t);
    fs_doc_free(doc);
    json_decref(f);
    cr_assert_eq(value(p), 2);
}

Test(txn, rollback_discards_writes)
{
    char p[128], missing[128];
    path_of(p, sizeof(p), "rolled");
    path_of(missing, sizeof(missing), "not-there");
    ff_error err = {0};
    fs_txn *t = fs_txn_begin(db, 0, &err);
    cr_assert_not_null(t, "%s", err.message);
    fs_doc *doc = (fs_doc *)1;
    cr_assert_eq(fs_txn_get(t, missing, NULL, &doc, &err), FS_NOT_FOUND);
    cr_assert_null(doc);
    json_t *f = json_pack("{si}", "v", 1);
    cr_assert_eq(fs_batch_create(fs_txn_writes(t), p, f, &err), 0);
    cr_assert_eq(fs_txn_rollback(t, &err), 0, "%s", err.message);
    fs_txn_free(t);
    cr_assert_null(fst_raw_get(p));
    /* freeing an open transaction rolls it back too */
    t = fs_txn_begin(db, 0, &err);
    cr_assert_eq(fs_batch_create(fs_txn_writes(t), p, f, &err), 0);
    fs_txn_free(t);
    cr_assert_null(fst_raw_get(p));
    json_decref(f);
}

Test(txn, read_only_transaction_reads)
{
    char p[128];
    path_of(p, sizeof(p), "ro");
    put(p, 7);
    ff_error err = {0};
    fs_txn *t = fs_txn_begin(db, 1, &err);
    cr_assert_not_null(t, "%s", err.message);
    const char *paths[] = {p};
    fs_doc *out[1];
    cr_assert_eq(fs_txn_batch_get(t, paths, 1, NULL, out, &err), 0, "%s", err.message);
    cr_assert_eq(json_integer_value(json_object_get(out[0]->fields, "v")), 7);
    fs_doc_free(out[0]);
    cr_assert_eq(fs_txn_commit(t, NULL, &err), 0, "%s", err.message);
    fs_txn_free(t);
}

/* ---- fs_run_transaction ------------------------------------------------------------- */

typedef struct increment {
    const char *path;
    fs_txn *blocker; /* another transaction holding a read lock on path, or NULL */
    int release_at;  /* attempt at which the blocker commits (0 = never) */
    int calls;
} increment;

static int increment_fn(fs_txn *t, void *arg, ff_error *err)
{
    increment *inc = arg;
    inc->calls++;
    if (inc->blocker != NULL && inc->release_at != 0 && fs_txn_attempt(t) >= inc->release_at) {
        /* the competitor writes first, and its lock goes away */
        json_t *f = json_pack("{si}", "v", 100);
        fs_batch_set(fs_txn_writes(inc->blocker), inc->path, f, NULL, err);
        json_decref(f);
        int rc = fs_txn_commit(inc->blocker, NULL, err);
        if (rc != 0)
            return rc;
        inc->blocker = NULL;
    }
    fs_doc *doc = NULL;
    int rc = fs_txn_get(t, inc->path, NULL, &doc, err);
    if (rc != 0)
        return rc;
    json_t *f = json_pack("{sI}", "v", json_integer_value(json_object_get(doc->fields, "v")) + 1);
    fs_doc_free(doc);
    rc = fs_batch_set(fs_txn_writes(t), inc->path, f, NULL, err);
    json_decref(f);
    return rc;
}

static fs_txn *hold_read_lock(const char *path)
{
    ff_error err = {0};
    fs_txn *t = fs_txn_begin(db, 0, &err);
    cr_assert_not_null(t, "%s", err.message);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_txn_get(t, path, NULL, &doc, &err), 0, "%s", err.message);
    fs_doc_free(doc);
    return t;
}

Test(txn, conflict_aborts_and_the_helper_retries)
{
    char p[128];
    path_of(p, sizeof(p), "contended");
    put(p, 1);
    fs_txn *blocker = hold_read_lock(p);
    increment inc = {.path = p, .blocker = blocker, .release_at = 2};
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(db, increment_fn, &inc, 5, &err), 0, "%s", err.message);
    cr_assert_eq(inc.calls, 2, "the body ran %d times", inc.calls);
    /* the competitor's 100 won first; our retry read it and added one */
    cr_assert_eq(value(p), 101);
    fs_txn_free(blocker);
}

Test(txn, gives_up_after_max_attempts)
{
    char p[128];
    path_of(p, sizeof(p), "always-contended");
    put(p, 1);
    fs_txn *blocker = hold_read_lock(p);
    increment inc = {.path = p, .blocker = blocker, .release_at = 0};
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(db, increment_fn, &inc, 2, &err), FS_ABORTED, "%s", err.message);
    cr_assert_eq(err.code, FS_ABORTED);
    cr_assert_eq(inc.calls, 2);
    fs_txn_free(blocker);
    cr_assert_eq(value(p), 1, "an aborted transaction wrote");
}

static int failing_fn(fs_txn *t, void *arg, ff_error *err)
{
    json_t *f = json_pack("{si}", "v", 5);
    fs_batch_set(fs_txn_writes(t), arg, f, NULL, err);
    json_decref(f);
    return ff_error_set(err, FS_FAILED_PRECONDITION, "business rule said no");
}

Test(txn, callback_error_rolls_back)
{
    char p[128];
    path_of(p, sizeof(p), "refused");
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(db, failing_fn, p, 3, &err), FS_FAILED_PRECONDITION);
    cr_assert(strstr(err.message, "business rule said no") != NULL, "%s", err.message);
    cr_assert_null(fst_raw_get(p));
}

static void *increment_thread(void *arg)
{
    for (int i = 0; i < 2; i++) {
        increment inc = {.path = arg};
        ff_error err = {0};
        if (fs_run_transaction(db, increment_fn, &inc, 10, &err) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(txn, concurrent_increments_are_serialised)
{
    char p[128];
    path_of(p, sizeof(p), "counter");
    put(p, 0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, increment_thread, p);
    int failed = 0;
    for (int i = 0; i < 3; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        failed += rv != NULL;
    }
    cr_assert_eq(failed, 0);
    cr_assert_eq(value(p), 6, "lost update");
}

Test(txn, query_inside_transaction)
{
    char p[128];
    path_of(p, sizeof(p), "q1");
    put(p, 3);
    ff_error err = {0};
    fs_txn *t = fs_txn_begin(db, 0, &err);
    cr_assert_not_null(t);
    json_t *three = json_integer(3);
    fs_filter f = {"v", FS_OP_EQ, three};
    fs_query_def q = {.collection = coll, .filters = &f, .n_filters = 1};
    fs_doc_list list;
    cr_assert_eq(fs_txn_query(t, &q, &list, &err), 0, "%s", err.message);
    cr_assert_eq(list.n, 1);
    cr_assert_str_eq(list.docs[0]->path, p);
    fs_doc_list_free(&list);
    cr_assert_eq(fs_txn_commit(t, NULL, &err), 0, "%s", err.message);
    fs_txn_free(t);
    json_decref(three);
}

/* ---- the retry decisions, against a scripted peer ---------------------------------- */

#define BEGIN_OK                                                                                             \
    {                                                                                                        \
        200, "{\"transaction\":\"dHgx\"}", 0                                                                 \
    }
#define FOUND_OK                                                                                             \
    {                                                                                                        \
        200,                                                                                                 \
            "[{\"found\":{\"name\":\"projects/demo-test/databases/(default)/documents/c/"                    \
            "d\",\"fields\":{\"v\":"                                                                         \
            "{\"integerValue\":\"1\"}},\"updateTime\":\"2026-01-01T00:00:00Z\"}}]",                          \
            0                                                                                                \
    }
#define ABORTED_REPLY                                                                                        \
    {                                                                                                        \
        409, "{\"error\":{\"code\":409,\"message\":\"lock timeout\",\"status\":\"ABORTED\"}}", 0             \
    }
#define UNAVAILABLE_REPLY                                                                                    \
    {                                                                                                        \
        503, "{\"error\":{\"code\":503,\"message\":\"down\",\"status\":\"UNAVAILABLE\"}}", 0                 \
    }

Test(txn, aborted_read_reruns_the_whole_transaction)
{
    static const fst_reply script[] = {
        BEGIN_OK, ABORTED_REPLY, {200, "{}", 0}, /* rollback */
        BEGIN_OK, FOUND_OK,      {200, "{\"commitTime\":\"2026-01-01T00:00:01Z\"}", 0}};
    fst_server *s = fst_server_start(script, 6);
    fs_db *sdb = fst_db_at(fst_server_host(s));
    increment inc = {.path = "c/d"};
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(sdb, increment_fn, &inc, 3, &err), 0, "%s", err.message);
    cr_assert_eq(inc.calls, 2);
    /* the aborted read was not repeated on its own: begin, read, rollback, begin, read, commit */
    cr_assert_eq(fst_server_count(s), 6);
    char *last = fst_server_last(s);
    cr_assert(strstr(last, ":commit HTTP/1.1") != NULL, "%s", last);
    cr_assert(strstr(last, "\"transaction\":\"dHgx\"") != NULL, "%s", last);
    cr_assert(strstr(last, "\"integerValue\":\"2\"") != NULL, "%s", last);
    free(last);
    fs_db_close(sdb);
    fst_server_stop(s);
}

Test(txn, unavailable_commit_is_not_run_again)
{
    static const fst_reply script[] = {BEGIN_OK, FOUND_OK, UNAVAILABLE_REPLY, {200, "{}", 0}};
    fst_server *s = fst_server_start(script, 4);
    fs_db *sdb = fst_db_at(fst_server_host(s));
    increment inc = {.path = "c/d"};
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(sdb, increment_fn, &inc, 3, &err), FS_UNAVAILABLE, "%s", err.message);
    cr_assert_eq(inc.calls, 1, "a commit that may have landed was run again");
    /* begin, read, commit, then the rollback of the transaction left open */
    cr_assert_eq(fst_server_count(s), 4);
    char *last = fst_server_last(s);
    cr_assert(strstr(last, ":rollback HTTP/1.1") != NULL, "%s", last);
    free(last);
    fs_db_close(sdb);
    fst_server_stop(s);
}

Test(txn, unavailable_read_reruns_the_transaction)
{
    static const fst_reply script[] = {BEGIN_OK,       UNAVAILABLE_REPLY,
                                       {200, "{}", 0}, BEGIN_OK,
                                       FOUND_OK,       {200, "{\"commitTime\":\"2026-01-01T00:00:01Z\"}", 0}};
    fst_server *s = fst_server_start(script, 6);
    fs_db *sdb = fst_db_at(fst_server_host(s));
    increment inc = {.path = "c/d"};
    ff_error err = {0};
    cr_assert_eq(fs_run_transaction(sdb, increment_fn, &inc, 3, &err), 0, "%s", err.message);
    cr_assert_eq(inc.calls, 2);
    cr_assert_eq(fst_server_count(s), 6);
    fs_db_close(sdb);
    fst_server_stop(s);
}
