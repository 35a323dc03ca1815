/*
 * test_recorded.c - every Firestore query the functions send is served in production
 * by firestore.indexes.json (or an automatic index). Queries are recorded by the
 * Firestore client itself (FS_QUERY_LOG=FILE: one JSON line per runQuery, with the
 * sending program) and judged by index_check.c. Checked here:
 *   - the sweeper's queries, recorded from a real server run against the emulator;
 *   - with FS_QUERY_LOG_CHECK=FILE (make test sets it: mk/indexes.mk), every query the
 *     functions binaries sent during the whole run of the suites;
 *   - the recording itself: one line per query sent (cursor included), none for a query
 *     the client refuses.
 * Queries the test programs send themselves (fixtures, listings) are not production
 * queries and are not judged. FS_INDEXES_FILE overrides firestore.indexes.json.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../functions/e2e.h"
#include "index_check.h"

TestSuite(recorded, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/* Programs whose queries are production queries: the functions binaries. */
static int is_product(const char *by)
{
    return by && (strcmp(by, "functions") == 0 || strcmp(by, "functions-test") == 0);
}

static json_t *load_indexes(void)
{
    const char *path = getenv("FS_INDEXES_FILE") ? getenv("FS_INDEXES_FILE") : "firestore.indexes.json";
    json_error_t e;
    json_t *ix = json_load_file(path, 0, &e);
    cr_assert_not_null(ix, "%s: %s (line %d)", path, e.text, e.line);
    return ix;
}

/* The query without its values, cursor and limit: one shape per distinct index need. */
static char *shape_of(const json_t *sq)
{
    json_t *copy = json_deep_copy(sq);
    json_object_del(copy, "startAt");
    json_object_del(copy, "limit");
    json_t *stack[64];
    size_t n = 0;
    stack[n++] = copy;
    while (n > 0) { /* drop every "value" member, depth first */
        json_t *v = stack[--n];
        if (json_is_object(v))
            json_object_del(v, "value");
        const char *key;
        json_t *child;
        size_t i;
        if (json_is_object(v)) {
            json_object_foreach(v, key, child)
            {
                if (n < 64 && (json_is_object(child) || json_is_array(child)))
                    stack[n++] = child;
            }
        } else if (json_is_array(v)) {
            json_array_foreach(v, i, child)
            {
                if (n < 64)
                    stack[n++] = child;
            }
        }
    }
    char *s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    return s;
}

/* Judges every product query of the log; asserts each is served. Returns how many
 * distinct product queries there were. */
static size_t check_log(const char *log)
{
    FILE *f = fopen(log, "r");
    cr_assert_not_null(f, "no query log at %s", log);
    json_t *ix = load_indexes(), *seen = json_object();
    char *line = NULL;
    size_t cap = 0, product = 0, unserved = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *rec = json_loads(line, 0, NULL);
        cr_assert_not_null(rec, "unreadable line in %s: %s", log, line);
        const json_t *sq = json_object_get(rec, "structuredQuery");
        char *shape = shape_of(sq);
        if (is_product(json_string_value(json_object_get(rec, "by"))) && !json_object_get(seen, shape)) {
            json_object_set_new(seen, shape, json_true());
            product++;
            char why[512] = "";
            int r = ix_served(ix, sq, why, sizeof(why));
            if (r != 1) {
                unserved++;
                cr_expect_fail("query not served by firestore.indexes.json in production: %s\n  %s", why,
                               shape);
            }
        }
        free(shape);
        json_decref(rec);
    }
    free(line);
    fclose(f);
    json_decref(seen);
    json_decref(ix);
    cr_expect_eq(unserved, 0, "%zu of %zu recorded queries lack an index", unserved, product);
    return product;
}

E2E_TEST(recorded, the_sweeper_queries_are_indexed)
{
    char log[96], env_log[128];
    snprintf(log, sizeof(log), "/tmp/ff-queries-%d.jsonl", (int)getpid());
    snprintf(env_log, sizeof(env_log), "FS_QUERY_LOG=%s", log);
    unlink(log);
    const char *env[] = {env_log, NULL};
    e2e t;
    e2e_init(&t, env);
    th_response res;
    e2e_http(&t.srv, "POST", "/cleanupStaleJobs", NULL, NULL, &res);
    cr_assert_eq(res.status, 200, "sweep: %ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_geq(check_log(log), 2, "the sweeper's two queries (running, pending) were recorded");
    unlink(log);
}

Test(recorded, every_query_of_the_run_is_indexed)
{
    const char *log = getenv("FS_QUERY_LOG_CHECK");
    if (log == NULL || log[0] == '\0')
        cr_skip_test("FS_QUERY_LOG_CHECK not set (make test sets it after the suites)");
    cr_expect_gt(check_log(log), 0, "the run recorded no query of the functions");
}

Test(recorded, the_client_records_what_it_sends_and_nothing_it_refuses)
{
    char log[96];
    snprintf(log, sizeof(log), "/tmp/ff-queries-client-%d.jsonl", (int)getpid());
    unlink(log);
    setenv("FS_QUERY_LOG", log, 1);
    ff_error err = {0};
    fs_options opts = {.project_id = "demo-indexes"};
    fs_db *db = fs_db_open(&opts, &err);
    cr_assert_not_null(db, "%s", err.message);
    json_t *ref = fs_reference(db, "projects/p1/jobs/j1", &err);
    json_t *after = json_pack("[i, o]", 5, ref);
    const fs_order order[] = {{"createdAt", 0}, {"__name__", 0}};
    fs_query_def q = {
        .collection = "jobs", .all_descendants = 1, .order = order, .n_order = 2, .start_after = after};
    fs_doc_list list = {0};
    cr_assert_eq(fs_query(db, &q, &list, &err), 0, "%s", err.message);
    fs_doc_list_free(&list);
    json_t *bad = json_pack("{s:i}", "createdAt", 5);
    q.start_after = bad; /* a cursor is an array of order values */
    cr_expect_eq(fs_query(db, &q, &list, &err), FS_INVALID_ARGUMENT);
    json_decref(bad);
    json_decref(after);
    fs_db_close(db);
    unsetenv("FS_QUERY_LOG");

    char *text = NULL;
    size_t cap = 0;
    FILE *f = fopen(log, "r");
    cr_assert_not_null(f, "nothing recorded");
    cr_assert_gt(getline(&text, &cap, f), 0);
    json_t *rec = json_loads(text, 0, NULL);
    cr_expect_eq(getline(&text, &cap, f), -1, "the refused query was recorded too");
    fclose(f);
    free(text);
    unlink(log);
    cr_assert_not_null(rec);
    cr_expect_str_eq(json_string_value(json_object_get(rec, "parent")), "");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "by")), program_invocation_short_name);
    const json_t *start = json_object_get(json_object_get(rec, "structuredQuery"), "startAt");
    cr_expect(json_is_false(json_object_get(start, "before")), "start after, not at");
    const json_t *values = json_object_get(start, "values");
    cr_expect_eq(json_array_size(values), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(values, 0), "integerValue")) ?: "",
                     "5");
    cr_expect(strstr(json_string_value(json_object_get(json_array_get(values, 1), "referenceValue")) ?: "",
                     "/documents/projects/p1/jobs/j1") != NULL,
              "the cursor's document as a reference");
    json_decref(rec);
}
