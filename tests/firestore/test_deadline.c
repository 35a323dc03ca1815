/*
 * test_deadline.c - the per-thread deadline: calls after it send nothing, and retries
 * stop at it.
 */
#include <criterion/criterion.h>

#include "fs_helpers.h"

static void reset(void)
{
    fs_set_deadline(0);
}

TestSuite(deadline, .fini = reset);

Test(deadline, past_deadline_sends_nothing)
{
    static const fst_reply ok[] = {{200, "[]", 0}};
    fst_server *s = fst_server_start(ok, 1);
    fs_db *db = fst_db_at(fst_server_host(s));
    fs_set_deadline(ff_now_mono_ms() - 1);
    fs_doc *doc = NULL;
    ff_error err = {0};
    cr_assert_eq(fs_doc_get(db, "a/b", NULL, &doc, &err), FS_DEADLINE_EXCEEDED, "%s", err.message);
    cr_assert_eq(fs_txn_begin(db, 0, &err), NULL);
    cr_assert_eq(err.code, FS_DEADLINE_EXCEEDED);
    cr_assert_eq(fst_server_count(s), 0);
    fs_set_deadline(0);
    cr_assert_eq(fs_doc_batch_get(db, (const char *const[]){"a/b"}, 1, NULL, &doc, &err), 0, "%s",
                 err.message);
    cr_assert_null(doc);
    cr_assert_eq(fst_server_count(s), 1);
    fs_db_close(db);
    fst_server_stop(s);
}

Test(deadline, retries_stop_at_the_deadline)
{
    static const fst_reply busy[] = {
        {503, "{\"error\":{\"code\":503,\"message\":\"busy\",\"status\":\"UNAVAILABLE\"}}", 0}};
    fst_server *s = fst_server_start(busy, 1);
    fs_options o = {.project_id = "demo-test", .emulator_host = fst_server_host(s), .max_attempts = 100};
    ff_error err = {0};
    fs_db *db = fs_db_open(&o, &err);
    int64_t start = ff_now_mono_ms();
    fs_set_deadline(start + 500);
    fs_doc *doc = NULL;
    cr_assert_eq(fs_doc_get(db, "a/b", NULL, &doc, &err), FS_UNAVAILABLE, "%s", err.message);
    cr_assert(ff_now_mono_ms() - start < 2000);
    cr_assert(fst_server_count(s) < 20, "%d attempts", fst_server_count(s));
    fs_db_close(db);
    fst_server_stop(s);
}
