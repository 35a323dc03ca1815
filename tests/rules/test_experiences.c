/*
 * test_experiences.c - firestore.rules for workspaces/{workspaceId}/experiences/{id} on
 * the emulator: any signed-in user reads, anonymous callers do not; no client writes.
 * Also that the rules have no catch-all: paths not listed are denied to everyone.
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

TestSuite(experiences, .init = setup, .timeout = 60);

static const rh_who signed_in[] = {RH_ADMIN, RH_CREATOR, RH_OTHER};
static const rh_who everyone[] = {RH_ADMIN, RH_CREATOR, RH_OTHER, RH_ANON};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

Test(experiences, any_signed_in_user_reads)
{
    for (size_t i = 0; i < COUNT(signed_in); i++) {
        rh_resp r = rh_call(signed_in[i], "GET", RH_EXPERIENCE, NULL, NULL);
        rh_assert_ok(&r, rh_who_name(signed_in[i]));
        json_t *name =
            json_object_get(json_object_get(json_object_get(r.json, "fields"), "name"), "stringValue");
        cr_assert_str_eq(json_string_value(name), "Photo booth", "%s", r.text);
        rh_resp_free(&r);
    }
    rh_expect_ok(RH_OTHER, "GET", "workspaces/w1/experiences", NULL, NULL); /* list */
}

Test(experiences, anonymous_cannot_read)
{
    rh_expect_denied(RH_ANON, "GET", RH_EXPERIENCE, NULL, NULL);
    rh_expect_denied(RH_ANON, "GET", "workspaces/w1/experiences", NULL, NULL);
}

Test(experiences, nobody_writes)
{
    const char *body = "{\"fields\":{\"name\":{\"stringValue\":\"changed\"}}}";
    for (size_t i = 0; i < COUNT(everyone); i++) {
        rh_expect_denied(everyone[i], "PATCH", RH_EXPERIENCE, "?updateMask.fieldPaths=name", body);
        rh_expect_denied(everyone[i], "POST", "workspaces/w1/experiences", "?documentId=exp-new", body);
        rh_expect_denied(everyone[i], "DELETE", RH_EXPERIENCE, NULL, NULL);
    }
    rh_assert_field(RH_EXPERIENCE, "name", "Photo booth");
    json_t *doc = rh_owner_get("workspaces/w1/experiences/exp-new");
    cr_assert_null(doc, "no experience was created");
}

Test(catch_all, unlisted_paths_are_denied_to_everyone, .init = setup, .timeout = 60)
{
    /* A `match /{document=**}` rule would make these readable (and re-open jobs). */
    rh_seed("projects/p1", "{\"name\":{\"stringValue\":\"platform project\"}}");
    rh_seed("projects/p1/secrets/s1", "{\"v\":{\"stringValue\":\"x\"}}");
    rh_seed("projects/p1/sessions/session-1/private/x", "{\"v\":{\"stringValue\":\"x\"}}");
    static const char *const paths[] = {"projects/p1", "projects/p1/secrets/s1",
                                        "projects/p1/sessions/session-1/private/x", "users/u1"};
    for (size_t i = 0; i < COUNT(everyone); i++)
        for (size_t j = 0; j < COUNT(paths); j++) {
            rh_expect_denied(everyone[i], "GET", paths[j], NULL, NULL);
            rh_expect_denied(everyone[i], "PATCH", paths[j], NULL, "{\"fields\":{}}");
        }
}

Test(catch_all, collection_group_query_on_jobs_is_denied_to_non_admins, .init = setup, .timeout = 60)
{
    const char *query =
        "{\"structuredQuery\":{\"from\":[{\"collectionId\":\"jobs\",\"allDescendants\":true}]}}";
    rh_expect_denied(RH_CREATOR, "POST", "", ":runQuery", query);
    rh_expect_denied(RH_OTHER, "POST", "", ":runQuery", query);
    rh_expect_denied(RH_ANON, "POST", "", ":runQuery", query);
}
