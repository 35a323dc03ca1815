/*
 * test_session_create.c - firestore.rules for creating projects/{p}/sessions/{s}, the
 * guest's first write: a signed-in caller creates only its own session (createdBy ==
 * uid, projectId and id == the path's, workspaceId and experienceId ID-shaped), with no
 * job and no result; a guest plays the published config (mode guest), only an admin
 * may create a draft preview. Both client create paths are checked: createDocument (the
 * SDK's addDoc) and an upsert (setDoc). A refused create leaves nothing behind.
 */
#include <criterion/criterion.h>
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

TestSuite(session_create, .init = setup, .timeout = 60);

#define NEW_ID   "guest-session-1"
#define NEW_PATH "projects/p1/sessions/" NEW_ID
/* A new session's fields as the guest app writes them, for uid. */
#define NEW_FIELDS(uid) rh_new_session_fields("p1", NEW_ID, uid, "w1", "exp-1")

/*
 * A new session's REST body for uid, as the guest app writes it, with field set to the
 * REST value JSON value, or removed when value is NULL (field NULL: unchanged). Caller frees.
 */
static char *session_body(const char *uid, const char *field, const char *value)
{
    json_t *fields = NEW_FIELDS(uid);
    if (field != NULL && value != NULL)
        json_object_set_new(fields, field, json_loads(value, 0, NULL));
    else if (field != NULL)
        json_object_del(fields, field);
    char *text = rh_body(fields);
    json_decref(fields);
    return text;
}

/* Both create paths, expecting want (1 granted, 0 denied); then the stored state. */
static void expect_create(rh_who who, const char *path, const char *body, int want, const char *what)
{
    char coll[256], id[160];
    const char *slash = strrchr(path, '/');
    snprintf(coll, sizeof(coll), "%.*s", (int)(slash - path), path);
    snprintf(id, sizeof(id), "?documentId=%s", slash + 1);
    rh_resp r = rh_call(who, "POST", coll, id, body);
    want ? rh_assert_ok(&r, what) : rh_assert_denied(&r, what);
    rh_resp_free(&r);
    json_t *doc = rh_owner_get(path);
    cr_assert_eq(doc != NULL, want, "%s: the session %s", what, want ? "is missing" : "was created");
    json_decref(doc);
    if (want) /* the upsert onto an existing document is an update: checked elsewhere */
        return;
    r = rh_call(who, "PATCH", path, NULL, body);
    rh_assert_denied(&r, what);
    rh_resp_free(&r);
    doc = rh_owner_get(path);
    cr_assert_null(doc, "%s: the upsert created the session", what);
}

Test(session_create, a_guest_creates_its_own_session)
{
    char *body = session_body(RH_GUEST_UID, NULL, NULL);
    expect_create(RH_GUEST, NEW_PATH, body, 1, "guest creates its own session");
    rh_assert_field(NEW_PATH, "createdBy", RH_GUEST_UID);
    rh_expect_ok(RH_GUEST, "GET", NEW_PATH, NULL, NULL); /* and reads it back */
    free(body);
}

Test(session_create, a_guest_creates_its_session_with_set)
{
    char *body = session_body(RH_GUEST_UID, NULL, NULL);
    rh_expect_ok(RH_GUEST, "PATCH", NEW_PATH, NULL, body);
    rh_assert_field(NEW_PATH, "mode", "guest");
    free(body);
}

/* expect_create with fields (consumed) as the body. */
static void expect_create_fields(rh_who who, json_t *fields, int want, const char *what)
{
    char *body = rh_body(fields);
    json_decref(fields);
    expect_create(who, NEW_PATH, body, want, what);
    free(body);
}

Test(session_create, job_and_result_fields_may_be_absent)
{
    json_t *f = NEW_FIELDS(RH_GUEST_UID);
    json_object_del(f, "jobId");
    json_object_del(f, "jobStatus");
    json_object_del(f, "resultMedia");
    expect_create_fields(RH_GUEST, f, 1, "guest session without job fields");
}

Test(session_create, an_admin_creates_a_draft_preview)
{
    json_t *f = NEW_FIELDS(RH_ADMIN_UID);
    json_object_set_new(f, "configSource", json_pack("{s:s}", "stringValue", "draft"));
    json_object_set_new(f, "mode", json_pack("{s:s}", "stringValue", "preview"));
    expect_create_fields(RH_ADMIN, f, 1, "admin creates a draft preview");
}

Test(session_create, no_user_creates_nothing)
{
    char *body = session_body("nobody", NULL, NULL);
    expect_create(RH_NONE, NEW_PATH, body, 0, "no user");
    free(body);
}

/* What a guest's new session may not carry: one field at a time. */
typedef struct bad_field {
    const char *field, *value; /* value NULL: the field is absent */
} bad_field;

static const bad_field bad_fields[] = {
    {"createdBy", "{\"stringValue\":\"" RH_OTHER_UID "\"}"}, /* someone else's */
    {"createdBy", NULL},
    {"createdBy", "{\"nullValue\":null}"},
    {"projectId", "{\"stringValue\":\"p2\"}"}, /* not the path's project */
    {"projectId", NULL},
    {"id", "{\"stringValue\":\"other-id\"}"}, /* not the path's session */
    {"id", NULL},
    {"jobId", "{\"stringValue\":\"job-9\"}"},
    {"jobStatus", "{\"stringValue\":\"pending\"}"},
    {"jobStatus", "{\"stringValue\":\"completed\"}"},
    {"resultMedia", "{\"mapValue\":{\"fields\":{\"url\":{\"stringValue\":\"https://x/y.jpg\"}}}}"},
    {"configSource", "{\"stringValue\":\"draft\"}"}, /* the draft config is the admin's */
    {"configSource", NULL},
    {"mode", "{\"stringValue\":\"preview\"}"},
    {"mode", NULL},
    {"workspaceId", "{\"stringValue\":\"w/1\"}"}, /* not ID-shaped */
    {"workspaceId", "{\"integerValue\":\"1\"}"},
    {"workspaceId", NULL},
    {"experienceId", "{\"stringValue\":\"exp 1\"}"},
    {"experienceId", "{\"stringValue\":\"\"}"},
    {"experienceId", NULL},
};

Test(session_create, a_guest_cannot_create_a_session_out_of_shape)
{
    for (size_t i = 0; i < sizeof(bad_fields) / sizeof(bad_fields[0]); i++) {
        const bad_field *b = &bad_fields[i];
        char what[256];
        snprintf(what, sizeof(what), "guest session with %s %s", b->field, b->value ? b->value : "absent");
        char *body = session_body(RH_GUEST_UID, b->field, b->value);
        expect_create(RH_GUEST, NEW_PATH, body, 0, what);
        free(body);
    }
}

Test(session_create, an_experience_id_of_129_characters_is_refused)
{
    char value[200], id[130];
    memset(id, 'e', 129);
    id[129] = '\0';
    snprintf(value, sizeof(value), "{\"stringValue\":\"%s\"}", id);
    char *body = session_body(RH_GUEST_UID, "experienceId", value);
    expect_create(RH_GUEST, NEW_PATH, body, 0, "experienceId of 129 characters");
    free(body);
    id[128] = '\0'; /* 128 is the limit, still fine */
    snprintf(value, sizeof(value), "{\"stringValue\":\"%s\"}", id);
    body = session_body(RH_GUEST_UID, "experienceId", value);
    expect_create(RH_GUEST, NEW_PATH, body, 1, "experienceId of 128 characters");
    free(body);
}

Test(session_create, a_session_id_out_of_shape_is_refused)
{
    char *body = session_body(RH_GUEST_UID, "id", "{\"stringValue\":\"bad.id\"}");
    expect_create(RH_GUEST, "projects/p1/sessions/bad.id", body, 0, "session ID with a dot");
    free(body);
}

Test(session_create, a_guest_cannot_take_over_a_session_by_set)
{
    /* setDoc on an existing session is an update of someone else's document. */
    char *body = session_body(RH_GUEST_UID, "id", "{\"stringValue\":\"session-1\"}");
    rh_expect_denied(RH_GUEST, "PATCH", RH_SESSION, NULL, body);
    rh_assert_field(RH_SESSION, "createdBy", RH_CREATOR_UID);
    rh_assert_field(RH_SESSION, "jobStatus", "running");
    free(body);
}
