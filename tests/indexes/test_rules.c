/*
 * test_rules.c - the index checker against Firestore's documented index rules, one
 * query shape at a time: what automatic single-field indexes serve (COLLECTION scope
 * only), what needs a field override or a composite index, directions, the implicit
 * orders (inequality fields, __name__), index merging, and shapes it refuses to judge.
 */
#include <criterion/criterion.h>

#include "index_check.h"

TestSuite(rules, .timeout = 60);

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "bad JSON in the test (%s): %s", e.text, text);
    return j;
}

/* ix_served(indexes, query) with both given as JSON text; why into a static buffer. */
static char g_why[512];
static int served(const char *indexes, const char *query)
{
    json_t *ix = parse(indexes), *q = parse(query);
    g_why[0] = '\0';
    int r = ix_served(ix, q, g_why, sizeof(g_why));
    json_decref(ix);
    json_decref(q);
    return r;
}

#define NONE              "{\"indexes\": [], \"fieldOverrides\": []}"
#define FROM(coll, group) "\"from\": [{\"collectionId\": \"" coll "\", \"allDescendants\": " group "}]"
#define EQ(f, v)                                                                                             \
    "{\"fieldFilter\": {\"field\": {\"fieldPath\": \"" f "\"}, \"op\": \"EQUAL\", \"value\": " v "}}"
#define OP(f, op, v)                                                                                         \
    "{\"fieldFilter\": {\"field\": {\"fieldPath\": \"" f "\"}, \"op\": \"" op "\", \"value\": " v "}}"
#define AND2(a, b)  "{\"compositeFilter\": {\"op\": \"AND\", \"filters\": [" a ", " b "]}}"
#define ORDER(f, d) "{\"field\": {\"fieldPath\": \"" f "\"}, \"direction\": \"" d "\"}"
#define STR         "{\"stringValue\": \"x\"}"
#define INT         "{\"integerValue\": \"5\"}"

/* The sweeper's query shape: status == X, clock <= cutoff, ordered by clock then name. */
#define SWEEP_QUERY(group)                                                                                   \
    "{" FROM("jobs", group) ", \"where\": " AND2(                                                            \
        EQ("status", STR),                                                                                   \
        OP("startedAt", "LESS_THAN_OR_EQUAL",                                                                \
           INT)) ", \"orderBy\": [" ORDER("startedAt", "ASCENDING") ", " ORDER("__name__", "ASCENDING") "]}"
#define SWEEP_INDEX(scope, dir)                                                                              \
    "{\"indexes\": [{\"collectionGroup\": \"jobs\", \"queryScope\": \"" scope "\", \"fields\": ["            \
    "{\"fieldPath\": \"status\", \"order\": \"ASCENDING\"}, {\"fieldPath\": \"startedAt\", \"order\": "      \
    "\"" dir "\"}]}]}"

Test(rules, collection_queries_on_one_field_use_automatic_indexes)
{
    cr_expect_eq(served(NONE, "{" FROM("jobs", "false") ", \"where\": " EQ("status", STR) "}"), 1, "%s",
                 g_why);
    cr_expect_eq(served(NONE, "{" FROM("jobs", "false") ", \"where\": " OP("n", "GREATER_THAN", INT) "}"), 1,
                 "%s", g_why);
    cr_expect_eq(served(NONE, "{" FROM("jobs", "false") ", \"orderBy\": [" ORDER("n", "DESCENDING") "]}"), 1,
                 "%s", g_why);
    cr_expect_eq(
        served(NONE, "{" FROM("jobs", "false") ", \"where\": " OP("tags", "ARRAY_CONTAINS", STR) "}"), 1,
        "%s", g_why);
    cr_expect_eq(served(NONE, "{" FROM("jobs", "true") "}"), 1, "no filter, no order: __name__ only");
}

Test(rules, equalities_alone_merge_single_field_indexes)
{
    cr_expect_eq(served(NONE, "{" FROM("jobs", "false") ", \"where\": " AND2(EQ("a", STR), EQ("b", STR)) "}"),
                 1, "%s", g_why);
}

Test(rules, collection_group_single_field_needs_an_override)
{
    const char *q = "{" FROM("jobs", "true") ", \"where\": " EQ("status", STR) "}";
    cr_expect_eq(served(NONE, q), 0, "no automatic COLLECTION_GROUP single-field index");
    cr_expect(strstr(g_why, "COLLECTION_GROUP") && strstr(g_why, "jobs.status"), "%s", g_why);
    cr_expect_eq(served("{\"fieldOverrides\": [{\"collectionGroup\": \"jobs\", \"fieldPath\": \"status\", "
                        "\"indexes\": [{\"order\": \"ASCENDING\", \"queryScope\": \"COLLECTION_GROUP\"}]}]}",
                        q),
                 1, "%s", g_why);
    cr_expect_eq(served("{\"fieldOverrides\": [{\"collectionGroup\": \"jobs\", \"fieldPath\": \"status\", "
                        "\"indexes\": [{\"order\": \"ASCENDING\", \"queryScope\": \"COLLECTION\"}]}]}",
                        q),
                 0, "an override in COLLECTION scope does not serve a group query");
}

Test(rules, an_override_replaces_the_automatic_indexes)
{
    const char *exempt = "{\"fieldOverrides\": [{\"collectionGroup\": \"jobs\", \"fieldPath\": \"snapshot\", "
                         "\"indexes\": []}]}";
    cr_expect_eq(served(exempt, "{" FROM("jobs", "false") ", \"where\": " EQ("snapshot", STR) "}"), 0,
                 "an exempted field has no index");
    cr_expect_eq(served(exempt, "{" FROM("jobs", "false") ", \"where\": " EQ("status", STR) "}"), 1,
                 "other fields keep theirs");
}

Test(rules, equality_plus_range_needs_a_composite_of_the_scope)
{
    cr_expect_eq(served(NONE, SWEEP_QUERY("true")), 0);
    cr_expect(strstr(g_why, "status") && strstr(g_why, "startedAt ASCENDING"), "names the index: %s", g_why);
    cr_expect_eq(served(SWEEP_INDEX("COLLECTION_GROUP", "ASCENDING"), SWEEP_QUERY("true")), 1, "%s", g_why);
    cr_expect_eq(served(SWEEP_INDEX("COLLECTION", "ASCENDING"), SWEEP_QUERY("true")), 0, "scope must match");
    cr_expect_eq(served(SWEEP_INDEX("COLLECTION_GROUP", "DESCENDING"), SWEEP_QUERY("true")), 0,
                 "direction must match");
    cr_expect_eq(served(SWEEP_INDEX("COLLECTION", "ASCENDING"), SWEEP_QUERY("false")), 1, "%s", g_why);
}

Test(rules, inequalities_order_implicitly)
{
    /* status == x and startedAt <= n, no orderBy: ordered by startedAt ASC, __name__ ASC. */
    const char *q = "{" FROM("jobs", "true") ", \"where\": " AND2(
        EQ("status", STR), OP("startedAt", "LESS_THAN_OR_EQUAL", INT)) "}";
    cr_expect_eq(served(SWEEP_INDEX("COLLECTION_GROUP", "ASCENDING"), q), 1, "%s", g_why);
    /* __name__ against the last field's direction needs __name__ in the index. */
    const char *desc = "{" FROM("jobs", "false") ", \"orderBy\": [" ORDER("n", "ASCENDING") ", " ORDER(
        "__name__", "DESCENDING") "]}";
    cr_expect_eq(served(NONE, desc), 0, "%s", g_why);
}

Test(rules, two_orders_need_a_composite)
{
    const char *q = "{" FROM("jobs", "false") ", \"orderBy\": [" ORDER("a", "ASCENDING") ", " ORDER(
        "b", "DESCENDING") "]}";
    cr_expect_eq(served(NONE, q), 0);
    cr_expect_eq(served("{\"indexes\": [{\"collectionGroup\": \"jobs\", \"fields\": [{\"fieldPath\": \"a\", "
                        "\"order\": \"ASCENDING\"}, {\"fieldPath\": \"b\", \"order\": \"DESCENDING\"}]}]}",
                        q),
                 1, "%s", g_why);
    cr_expect_eq(served("{\"indexes\": [{\"collectionGroup\": \"other\", \"fields\": [{\"fieldPath\": \"a\", "
                        "\"order\": \"ASCENDING\"}, {\"fieldPath\": \"b\", \"order\": \"DESCENDING\"}]}]}",
                        q),
                 0, "another collection's index");
}

Test(rules, composites_merge_over_equality_fields)
{
    const char *q = "{" FROM("jobs", "false") ", \"where\": " AND2(
        EQ("a", STR), EQ("b", STR)) ", \"orderBy\": [" ORDER("t", "ASCENDING") "]}";
    const char *two =
        "{\"indexes\": ["
        "{\"collectionGroup\": \"jobs\", \"fields\": [{\"fieldPath\": \"a\", \"order\": \"ASCENDING\"}, "
        "{\"fieldPath\": \"t\", \"order\": \"ASCENDING\"}]},"
        "{\"collectionGroup\": \"jobs\", \"fields\": [{\"fieldPath\": \"b\", \"order\": \"ASCENDING\"}, "
        "{\"fieldPath\": \"t\", \"order\": \"ASCENDING\"}]}]}";
    cr_expect_eq(served(two, q), 1, "%s", g_why);
    const char *one =
        "{\"indexes\": ["
        "{\"collectionGroup\": \"jobs\", \"fields\": [{\"fieldPath\": \"a\", \"order\": \"ASCENDING\"}, "
        "{\"fieldPath\": \"t\", \"order\": \"ASCENDING\"}]}]}";
    cr_expect_eq(served(one, q), 0, "b is not covered");
}

Test(rules, shapes_it_does_not_model_are_refused)
{
    cr_expect_eq(served(NONE, "{" FROM("jobs", "false") ", \"where\": {\"compositeFilter\": {\"op\": \"OR\", "
                                                        "\"filters\": []}}}"),
                 -1);
    cr_expect_eq(served(NONE, "{\"from\": []}"), -1);
}
