/*
 * test_sessions.c - firestore.rules for an existing projects/{p}/sessions/{s} on the
 * emulator: the creator (createdBy == uid) and admins read and update ordinary fields;
 * other users, anonymous guests and callers without a user do neither; nobody changes,
 * clears or removes a routing field or a backend field (a client that could would be
 * able to start a second job, move the session or switch it to the draft config); no
 * client deletes a session. Denied writes leave the document untouched. Creation:
 * test_session_create.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
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
    rh_expect_denied(RH_GUEST, "GET", RH_SESSION, NULL, NULL);
    rh_expect_denied(RH_NONE, "GET", RH_SESSION, NULL, NULL);
}

Test(sessions, a_session_without_createdBy_is_readable_by_admins_only)
{
    rh_seed("projects/p1/sessions/orphan", "{\"note\":{\"stringValue\":\"x\"}}");
    rh_seed("projects/p1/sessions/null-owner", "{\"createdBy\":{\"nullValue\":null}}");
    rh_expect_ok(RH_ADMIN, "GET", "projects/p1/sessions/orphan", NULL, NULL);
    rh_expect_ok(RH_ADMIN, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
    rh_expect_denied(RH_CREATOR, "GET", "projects/p1/sessions/orphan", NULL, NULL);
    rh_expect_denied(RH_OTHER, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
    rh_expect_denied(RH_NONE, "GET", "projects/p1/sessions/null-owner", NULL, NULL);
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
    rh_expect_denied(RH_NONE, "GET", "projects/p1/sessions", NULL, NULL);
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
    rh_expect_denied(RH_GUEST, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by guest"));
    rh_expect_denied(RH_NONE, "PATCH", RH_SESSION, NOTE_MASK, NOTE_BODY("by nobody"));
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

/* Every field of the seeded session (rh_seed_all) but note, as REST fields JSON. */
#define SEEDED_LOCKED                                                                                        \
    "\"id\":{\"stringValue\":\"session-1\"},\"projectId\":{\"stringValue\":\"p1\"},"                         \
    "\"workspaceId\":{\"stringValue\":\"w1\"},\"experienceId\":{\"stringValue\":\"exp-1\"},"                 \
    "\"mode\":{\"stringValue\":\"guest\"},\"configSource\":{\"stringValue\":\"published\"},"                 \
    "\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID                                                       \
    "\"},\"createdAt\":{\"integerValue\":\"1700000000000\"},"                                                \
    "\"resultMedia\":{\"nullValue\":null},\"status\":{\"stringValue\":\"active\"},"

Test(sessions, whole_document_replace_must_keep_job_fields)
{
    /* Replace that carries every locked field over unchanged: allowed. */
    rh_expect_ok(RH_CREATOR, "PATCH", RH_SESSION, NULL,
                 "{\"fields\":{" SEEDED_LOCKED "\"jobId\":{\"stringValue\":\"job-1\"},"
                 "\"jobStatus\":{\"stringValue\":\"running\"},\"note\":{\"stringValue\":\"replaced\"}}}");
    rh_assert_field(RH_SESSION, "note", "replaced");
    /* Replace that drops jobStatus: denied. */
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, NULL,
                     "{\"fields\":{" SEEDED_LOCKED "\"jobId\":{\"stringValue\":\"job-1\"},"
                     "\"note\":{\"stringValue\":\"dropped\"}}}");
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

Test(sessions, no_client_deletes_a_session)
{
    static const rh_who everyone[] = {RH_ADMIN, RH_CREATOR, RH_OTHER, RH_GUEST, RH_NONE};
    for (size_t i = 0; i < sizeof(everyone) / sizeof(everyone[0]); i++)
        rh_expect_denied(everyone[i], "DELETE", RH_SESSION, NULL, NULL);
    json_t *doc = rh_owner_get(RH_SESSION);
    cr_assert_not_null(doc, "the session still exists");
    json_decref(doc);
}

/* Tampering as the creator: every protected field, set to another value or removed. */
typedef struct tamper {
    const char *field, *value; /* REST value JSON */
} tamper;

static const tamper tampers[] = {
    {"id", "{\"stringValue\":\"session-2\"}"},
    {"projectId", "{\"stringValue\":\"p2\"}"},
    {"workspaceId", "{\"stringValue\":\"w2\"}"},
    {"experienceId", "{\"stringValue\":\"exp-2\"}"},
    {"configSource", "{\"stringValue\":\"draft\"}"},
    {"mode", "{\"stringValue\":\"preview\"}"},
    {"createdBy", "{\"stringValue\":\"" RH_OTHER_UID "\"}"},
    {"createdAt", "{\"integerValue\":\"1\"}"},
    {"jobId", "{\"stringValue\":\"job-2\"}"},
    {"jobStatus", "{\"stringValue\":\"completed\"}"},
    {"resultMedia", "{\"mapValue\":{\"fields\":{\"url\":{\"stringValue\":\"https://x/y.jpg\"}}}}"},
};

ParameterizedTestParameters(sessions, creator_cannot_change_a_protected_field)
{
    size_t n = sizeof(tampers) / sizeof(tampers[0]);
    size_t *rows = cr_malloc(n * sizeof(*rows));
    cr_assert_not_null(rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = i;
    return cr_make_param_array(size_t, rows, n);
}

ParameterizedTest(size_t *row, sessions, creator_cannot_change_a_protected_field)
{
    const tamper *t = &tampers[*row];
    json_t *seeded = rh_owner_get(RH_SESSION);
    char *want = json_dumps(json_object_get(json_object_get(seeded, "fields"), t->field),
                            JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(seeded);
    char query[128], body[512];
    snprintf(query, sizeof(query), "?updateMask.fieldPaths=%s", t->field);
    snprintf(body, sizeof(body), "{\"fields\":{\"%s\":%s}}", t->field, t->value);
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, query, body);              /* changed */
    rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, query, "{\"fields\":{}}"); /* removed */
    snprintf(body, sizeof(body), "{\"fields\":{\"%s\":{\"nullValue\":null}}}", t->field);
    if (strcmp(t->field, "resultMedia") != 0)                           /* resultMedia is seeded null */
        rh_expect_denied(RH_CREATOR, "PATCH", RH_SESSION, query, body); /* nulled */
    json_t *doc = rh_owner_get(RH_SESSION);
    char *got = json_dumps(json_object_get(json_object_get(doc, "fields"), t->field),
                           JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    cr_assert_str_eq(got, want, "%s changed", t->field);
    free(got);
    free(want);
    json_decref(doc);
}
