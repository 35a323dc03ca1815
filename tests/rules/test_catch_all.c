/*
 * test_catch_all.c - firestore.rules has no catch-all: paths below the listed ones and
 * collection-group queries are denied to everyone, so nothing reaches jobs another way.
 * (Unlisted top-level and subcollection paths per role: test_table.c.)
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>

#include "rules_helpers.h"

static void setup(void)
{
    rh_setup();
    rh_seed_all();
}

TestSuite(catch_all, .init = setup, .timeout = 60);

static const rh_who everyone[] = {RH_ADMIN, RH_CREATOR, RH_OTHER, RH_GUEST, RH_NONE};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

Test(catch_all, paths_below_listed_documents_are_denied)
{
    /* A `match /{document=**}` rule would make these readable and admin-writable. */
    static const char *const paths[] = {"projects/p1/sessions/session-1/private/x",
                                        "projects/p1/jobs/job-1/logs/x",
                                        "workspaces/w1/experiences/exp-1/v/x"};
    for (size_t j = 0; j < COUNT(paths); j++)
        rh_seed(paths[j], "{\"v\":{\"stringValue\":\"x\"}}");
    for (size_t i = 0; i < COUNT(everyone); i++)
        for (size_t j = 0; j < COUNT(paths); j++) {
            rh_expect_denied(everyone[i], "GET", paths[j], NULL, NULL);
            rh_expect_denied(everyone[i], "PATCH", paths[j], NULL, "{\"fields\":{}}");
        }
}

Test(catch_all, collection_group_query_on_jobs_is_denied_to_everyone)
{
    const char *query =
        "{\"structuredQuery\":{\"from\":[{\"collectionId\":\"jobs\",\"allDescendants\":true}]}}";
    for (size_t i = 0; i < COUNT(everyone); i++)
        rh_expect_denied(everyone[i], "POST", "", ":runQuery", query);
}

Test(catch_all, collection_group_query_on_sessions_is_denied_to_non_admins)
{
    const char *query = "{\"structuredQuery\":{\"from\":[{\"collectionId\":\"sessions\",\"allDescendants\":"
                        "true}],\"where\":{\"fieldFilter\":{\"field\":{\"fieldPath\":\"createdBy\"},\"op\":"
                        "\"EQUAL\",\"value\":{\"stringValue\":\"" RH_CREATOR_UID "\"}}}}}";
    rh_expect_denied(RH_CREATOR, "POST", "", ":runQuery", query);
    rh_expect_denied(RH_GUEST, "POST", "", ":runQuery", query);
    rh_expect_denied(RH_NONE, "POST", "", ":runQuery", query);
}
