/*
 * test_sessions.c - firestore.rules for projects/{projectId}/sessions/{sessionId} on the
 * emulator: the creator (createdBy == uid) and admins read and update ordinary fields;
 * other users and anonymous callers do neither; nobody changes, clears or removes jobId,
 * jobStatus or createdBy (a client that could would be able to start a second job); no
 * client creates or deletes a session. Denied writes leave the document untouched.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rules_helpers.h"

static void setup(void)
{
    rh_setup();
    rh_seed_all();
}

TestSuite(sessions, .init = setup, .timeout = 60);

#define NOTE_BODY(v) "{\"fields\":{\"note\":{\"stringValue\":\"" v "\"}}}"
#define NOTE_MASK    "?updateMask.fieldPaths=note"

/* The seeded job fields are unchanged. */
static void assert_job_fields_intact(void)
{
    rh_assert_field(RH_SESSION, "jobId", "job-1");
    rh_assert_field(RH_SESSION, "jobStatus", "running");
    rh_assert_field(RH_SESSION, "createdBy", RH_CREATOR_UID);
}

Test(sessions, creator_reads_the_session)
{
    rh_resp r = rh_call(RH_CREATOR, "GET", RH_SESSION, NULL, NULL);
    rh_assert_ok(&r, "creator GET session");
    json_t *v =
        json_object_get(json_object_get(json_object_get(r.json, "fields"), "jobStatus"), "stringValue");
    cr_assert_str_eq(json_string_value(v), "running", "%s", r.text);
    rh_resp_free(&r);
}

Test(sessions, admin_reads_the_session)
{
    rh_expect_ok(RH_ADMIN, "GET", RH_SESSION, NULL, NULL);
}

Test(sessions, other_user_and_anonymous_cannot_read_the_session)
{
    rh_expect_denied(RH_OTHER, "GET", RH_SESSION, NULL, NULL);
    rh_expect_denied(RH_ANON, "GET", RH_SESSION, NULL, NULL);
}

Test(sessions, a_session_without_createdBy_is_readable_by_admins_only)
{
    rh_seed("projects/p1/sessions/orphan", "{\"note\":{\"stringValue\":\"x\"}}");
    rh_seed("projects/p1/sessions/null-owner", "{\"createdBy\":{\"nullValue\":null}}");
    rh_expect_ok(RH_ADMIN, "GET", "projects/p1/sessions/orphan", NULL, NULL);
    rh_expect_ok(RH_ADMIN, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
    rh_expect_denied(RH_CREATOR, "GET", "projects/p1/sessions/orphan", NULL, NULL);
    rh_expect_denied(RH_OTHER, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
    rh_expect_denied(RH_ANON, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
}

Test(sessions, creator_lists_only_own_sessions_by_query)
{
    rh_seed("projects/p1/sessions/session-2", "{\"createdBy\":{\"stringValue\":\"" RH_OTHER_UID "\"}}");
    const char *query =
        "{\"structuredQuery\":{\"from\":[{\"collectionId\":\"sessions\"}],"
        "\"where\":{\"fieldFilter\":{\"field\":{\"fieldPath\":\"createdBy\"},\"op\":\"EQUAL\","
        "\"value\":{\"stringValue\":\"" RH_CREATOR_UID "\"}}}}}";
    rh_resp r = rh_call(RH_CREATOR, "POST", "projects/p1", ":runQuery", query);
    rh_assert_ok(&r, "creator query on createdBy == uid");
    size_t docs = 0, i;
    json_t *item;
    json_array_foreach(r.json, i, item) docs += json_object_get(item, "document") != NULL;
    cr_assert_eq(docs, 1, "only the creator's session: %s", r.text);
    rh_resp_free(&r);
    /* A query that could return other users' sessions is refused as a whole. */
    rh_expect_denied(RH_CREATOR, "GET", "projects/p1/sessions", NULL, NULL);
    rh_expect_denied(RH_OTHER, "GET", "projects/p1/sessions", NULL, NULL);
    rh_expect_denied(RH_ANON, "GET", "projects/p1/sessions", NULL, NULL);
}

Test(sessions, creator_updates_an_ordinary_field)
{
    rh_expect_ok(RH_CREATOR, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by creator"));
    rh_assert_field(RH_SESSION, "note", "by creator");
    assert_job_fields_intact();
}

Test(sessions, admin_updates_an_ordinary_field)
{
    rh_expect_ok(RH_ADMIN, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by admin"));
    rh_assert_field(RH_SESSION, "note", "by admin");
    assert_job_fields_intact();
}

Test(sessions, creator_adds_a_new_field)
{
    rh_expect_ok(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=extra",
                 "{\"fields\":{\"extra\":{\"stringValue\":\"new\"}}}");
    rh_assert_field(RH_SESSION, "extra", "new");
}

Test(sessions, other_user_and_anonymous_cannot_update)
{
    rh_expect_denied(RH_OTHER, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by other"));
    rh_expect_denied(RH_ANON, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by anonymous"));
    rh_assert_field(RH_SESSION, "note", "seeded");
}

Test(sessions, other_user_cannot_take_ownership)
{
    rh_expect_denied(RH_OTHER, "PATCH", RH_SESSION, "?updateMask.fieldPaths=createdBy",
                     "{\"fields\":{\"createdBy\":{\"stringValue\":\"" RH_OTHER_UID "\"}}}");
    assert_job_fields_intact();
}

Test(sessions, creator_cannot_change_jobId)
{
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobId",
                     "{\"fields\":{\"jobId\":{\"stringValue\":\"job-2\"}}}");
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobId",
                     "{\"fields\":{\"jobId\":{\"nullValue\":null}}}");
    /* A mask naming the field with no value removes it. */
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobId", "{\"fields\":{}}");
    assert_job_fields_intact();
}

Test(sessions, creator_cannot_change_jobStatus)
{
    /* Clearing or finishing the status would let a second startTransformPipeline through. */
    static const char *const values[] = {"{\"stringValue\":\"failed\"}", "{\"stringValue\":\"completed\"}",
                                         "{\"stringValue\":\"cancelled\"}", "{\"nullValue\":null}"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body), "{\"fields\":{\"jobStatus\":%s}}", values[i]);
        rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobStatus", body);
    }
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobStatus", "{\"fields\":{}}");
    assert_job_fields_intact();
}

Test(sessions, creator_cannot_change_createdBy)
{
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=createdBy",
                     "{\"fields\":{\"createdBy\":{\"stringValue\":\"" RH_OTHER_UID "\"}}}");
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, "?updateMask.fieldPaths=createdBy",
                     "{\"fields\":{\"createdBy\":{\"nullValue\":null}}}");
    assert_job_fields_intact();
}

Test(sessions, admin_cannot_change_job_fields_either)
{
    rh_expect_denied(RH_ADMIN, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobStatus",
                     "{\"fields\":{\"jobStatus\":{\"nullValue\":null}}}");
    rh_expect_denied(RH_ADMIN, "PATCH", RH_SESSION, "?updateMask.fieldPaths=jobId",
                     "{\"fields\":{\"jobId\":{\"stringValue\":\"job-2\"}}}");
    assert_job_fields_intact();
}

Test(sessions, job_fields_cannot_ride_along_with_an_ordinary_field)
{
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION,
                     "?updateMask.fieldPaths=note&updateMask.fieldPaths=jobStatus",
                     "{\"fields\":{\"note\":{\"stringValue\":\"x\"},\"jobStatus\":{\"nullValue\":null}}}");
    rh_assert_field(RH_SESSION, "note", "seeded");
    assert_job_fields_intact();
}

Test(sessions, whole_document_replace_must_keep_job_fields)
{
    /* Replace that carries the job fields over unchanged: allowed. */
    rh_expect_ok(RH_CREATOR, "PATCH", RH_SESSION, NULL,
                 "{\"fields\":{\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID "\"},"
                 "\"jobId\":{\"stringValue\":\"job-1\"},\"jobStatus\":{\"stringValue\":\"running\"},"
                 "\"note\":{\"stringValue\":\"replaced\"}}}");
    rh_assert_field(RH_SESSION, "note", "replaced");
    /* Replace that drops jobStatus: denied. */
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, NULL,
                     "{\"fields\":{\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID "\"},"
                     "\"jobId\":{\"stringValue\":\"job-1\"},\"note\":{\"stringValue\":\"dropped\"}}}");
    rh_assert_field(RH_SESSION, "note", "replaced");
    assert_job_fields_intact();
}

Test(sessions, creator_cannot_change_jobStatus_in_a_commit)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"writes\":[{\"update\":{\"name\":\"projects/%s/databases/(default)/documents/" RH_SESSION
             "\","
             "\"fields\":{\"jobStatus\":{\"nullValue\":null}}},"
             "\"updateMask\":{\"fieldPaths\":[\"jobStatus\"]}}]}",
             rh_project());
    rh_expect_denied(RH_CREATOR, "POST", "", ":commit", body);
    assert_job_fields_intact();
}

Test(sessions, no_client_creates_or_deletes_a_session)
{
    const char *own = "{\"fields\":{\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID "\"}}}";
    rh_expect_denied(RH_CREATOR, "PATCH", "projects/p1/sessions/session-new", NULL, own);
    rh_expect_denied(RH_CREATOR, "POST", "projects/p1/sessions", "?documentId=session-new", own);
    rh_expect_denied(RH_ADMIN, "POST", "projects/p1/sessions", "?documentId=session-new", own);
    rh_expect_denied(RH_ANON, "POST", "projects/p1/sessions", "?documentId=session-new", own);
    json_t *doc = rh_owner_get("projects/p1/sessions/session-new");
    cr_assert_null(doc, "no session was created");

    rh_expect_denied(RH_CREATOR, "DELETE", RH_SESSION, NULL, NULL);
    rh_expect_denied(RH_ADMIN, "DELETE", RH_SESSION, NULL, NULL);
    rh_expect_denied(RH_OTHER, "DELETE", RH_SESSION, NULL, NULL);
    rh_expect_denied(RH_ANON, "DELETE", RH_SESSION, NULL, NULL);
    doc = rh_owner_get(RH_SESSION);
    cr_assert_not_null(doc, "the session still exists");
    json_decref(doc);
}
