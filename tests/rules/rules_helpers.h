/*
 * rules_helpers.h - the rules suite's helpers: REST calls to the Firestore emulator that
 * the test runner started with firestore.rules loaded ($FIRESTORE_EMULATOR_HOST), made as
 * a given caller with an emulator-style (unsigned) Firebase ID token, owner-credential
 * seeding and reads that bypass the rules, and the canned documents the tests share.
 *
 * Isolation: every test works in its own GCP project (rh_setup), so the fixed document
 * paths below never collide between tests running in parallel.
 */
#ifndef RULES_HELPERS_H
#define RULES_HELPERS_H

#include <jansson.h>
#include <stddef.h>

/* Who makes a request. */
typedef enum rh_who {
    RH_ADMIN,   /* signed in, custom claim admin == true */
    RH_CREATOR, /* signed in, the session's createdBy */
    RH_OTHER,   /* signed in, someone else */
    RH_GUEST,   /* signed in anonymously (sign_in_provider "anonymous"), someone else */
    RH_NONE,    /* no user: no Authorization header */
    RH_OWNER,   /* "Bearer owner": the emulator's admin credential, bypasses rules */
} rh_who;

#define RH_ADMIN_UID   "admin-uid"
#define RH_CREATOR_UID "creator-uid"
#define RH_OTHER_UID   "other-uid"
#define RH_GUEST_UID   "guest-uid"

/* Canned documents (relative to .../documents/), seeded by rh_seed_all. */
#define RH_JOB        "projects/p1/jobs/job-1"
#define RH_SESSION    "projects/p1/sessions/session-1"
#define RH_EXPERIENCE "workspaces/w1/experiences/exp-1"

/* A response: HTTP status (0 = no response) and the parsed JSON body (NULL if none). */
typedef struct rh_resp {
    long status;
    json_t *json;
    char *text; /* raw body, for failure messages */
} rh_resp;

/* Picks a fresh GCP project for the calling test (asserts the emulator is configured). */
void rh_setup(void);
/* Uses gcp_project instead (a test that shares the runner's project with a server). */
void rh_use_project(const char *gcp_project);
/* The current test's GCP project. */
const char *rh_project(void);
/* Display name of a caller, for assertion messages. */
const char *rh_who_name(rh_who who);

/* The uid of a signed-in caller; NULL for RH_NONE and RH_OWNER. */
const char *rh_uid(rh_who who);

/*
 * An emulator ID token for uid: an unsigned JWT ({"alg":"none"}, empty signature) with
 * the Firebase claims of the SDKs' mockUserToken, signed in with provider ("custom",
 * "anonymous"); admin adds the claim admin: true. Caller frees.
 */
char *rh_token(const char *uid, const char *provider, int admin);

/*
 * method on .../documents/{path}{query} as who; body is JSON text or NULL. path may be
 * "" (the documents root, e.g. for ":runQuery"). query starts with '?' or ':' or is NULL.
 */
rh_resp rh_call(rh_who who, const char *method, const char *path, const char *query, const char *body);
/* The same with bearer as the Authorization token ("owner", an ID token; NULL: none). */
rh_resp rh_call_as(const char *bearer, const char *method, const char *path, const char *query,
                   const char *body);
void rh_resp_free(rh_resp *r);

/* Writes a document (REST "fields" JSON text) with owner credentials (asserts 200). */
void rh_seed(const char *path, const char *fields_json);
/* Seeds RH_JOB, RH_SESSION (createdBy RH_CREATOR_UID, a running job) and RH_EXPERIENCE. */
void rh_seed_all(void);
/*
 * A new session's REST fields as the guest app writes them (mode guest, published
 * config, no job, empty answers and media, createdBy uid). New reference.
 */
json_t *rh_new_session_fields(const char *project_id, const char *session_id, const char *uid,
                              const char *workspace_id, const char *experience_id);
/* {"fields": fields} as JSON text (fields is not consumed). Caller frees. */
char *rh_body(json_t *fields);
/* The stored document read with owner credentials (new reference), NULL when absent. */
json_t *rh_owner_get(const char *path);
/* Asserts the stored document's field is the string want, or null when want is NULL. */
void rh_assert_field(const char *path, const char *field, const char *want);

/* Asserts r is a rules denial: 403 with status PERMISSION_DENIED. what names the case. */
void rh_assert_denied(const rh_resp *r, const char *what);
/* Asserts r is 200. */
void rh_assert_ok(const rh_resp *r, const char *what);

/* Shorthands that call, assert and free. */
void rh_expect_denied(rh_who who, const char *method, const char *path, const char *query, const char *body);
void rh_expect_ok(rh_who who, const char *method, const char *path, const char *query, const char *body);

#endif
