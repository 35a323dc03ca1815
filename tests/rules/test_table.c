/*
 * test_table.c - firestore.rules as one table: path x operation x role, each cell an
 * expected verdict checked against the emulator (one Criterion test per cell), beside
 * the platform's rules for the same cell (its table of client access). On the platform's
 * paths the two must be equal: the suite fails if a grant of the platform's table is
 * lost or widened, or if anything opens jobs; only unlisted paths (the platform's
 * catch-all) differ, denied, with the reason.
 * Roles: admin (claim admin == true), creator (the seeded session's createdBy), another
 * signed-in user, an anonymous guest, no user. Denied writes must change nothing and
 * granted ones must land (checked with owner reads).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "rules_helpers.h"

typedef enum op { OP_GET, OP_LIST, OP_CREATE, OP_UPDATE, OP_DELETE } op;
static const char *const op_names[] = {"get", "list", "create", "update", "delete"};

/* Roles in verdict-string order. */
static const rh_who roles[] = {RH_ADMIN, RH_CREATOR, RH_OTHER, RH_GUEST, RH_NONE};
#define N_ROLES (sizeof(roles) / sizeof(roles[0]))

/* A place in the database: one seeded document of a collection. */
typedef struct place {
    const char *doc;    /* seeded document */
    const char *fields; /* its REST fields */
} place;

/* Sessions need a body that is a valid own session for create (see session_body). */
#define SESSION_FIELDS                                                                                       \
    "{\"id\":{\"stringValue\":\"s1\"},\"projectId\":{\"stringValue\":\"p1\"},"                               \
    "\"workspaceId\":{\"stringValue\":\"w1\"},\"experienceId\":{\"stringValue\":\"e1\"},"                    \
    "\"mode\":{\"stringValue\":\"guest\"},\"configSource\":{\"stringValue\":\"published\"},"                 \
    "\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID "\"},\"jobId\":{\"nullValue\":null},"                 \
    "\"jobStatus\":{\"nullValue\":null},\"note\":{\"stringValue\":\"seeded\"}}"

static const place P_WORKSPACE = {"workspaces/w1", "{\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_MEDIA = {"workspaces/w1/mediaAssets/a1", "{\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_EXPERIENCE = {"workspaces/w1/experiences/e1", "{\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_PROJECT = {
    "projects/p1", "{\"status\":{\"stringValue\":\"live\"},\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_PROJECT_DELETED = {
    "projects/p1", "{\"status\":{\"stringValue\":\"deleted\"},\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_EVENT = {"projects/p1/events/ev1", "{\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_SESSION = {"projects/p1/sessions/s1", SESSION_FIELDS};
static const place P_JOB = {
    "projects/p1/jobs/j1",
    "{\"status\":{\"stringValue\":\"running\"},\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_UNLISTED_SUB = {"projects/p1/secrets/x1", "{\"note\":{\"stringValue\":\"seeded\"}}"};
static const place P_UNLISTED_TOP = {"users/u1", "{\"note\":{\"stringValue\":\"seeded\"}}"};

/*
 * One row: a place and an operation; verdicts per role ('y' granted, '-' denied) for
 * our rules and for the platform's (its per-path rows; its catch-all for unlisted paths).
 * why: required when the two differ.
 */
typedef struct row {
    const place *at;
    const char *name;
    op op;
    const char *ours, *platform, *why;
} row;

#define NO_CATCH_ALL "no catch-all: it would re-open jobs (rules are OR-ed)"

static const row rows[] = {
    /*                                              ours      platform */
    {&P_WORKSPACE, "workspace", OP_GET, "y----", "y----", NULL},
    {&P_WORKSPACE, "workspace", OP_LIST, "y----", "y----", NULL},
    {&P_WORKSPACE, "workspace", OP_CREATE, "y----", "y----", NULL},
    {&P_WORKSPACE, "workspace", OP_UPDATE, "y----", "y----", NULL},
    {&P_WORKSPACE, "workspace", OP_DELETE, "-----", "-----", NULL},
    {&P_MEDIA, "media asset", OP_GET, "yyyy-", "yyyy-", NULL},
    {&P_MEDIA, "media asset", OP_LIST, "yyyy-", "yyyy-", NULL},
    {&P_MEDIA, "media asset", OP_CREATE, "y----", "y----", NULL},
    {&P_MEDIA, "media asset", OP_UPDATE, "y----", "y----", NULL},
    {&P_MEDIA, "media asset", OP_DELETE, "-----", "-----", NULL},
    {&P_EXPERIENCE, "experience", OP_GET, "yyyy-", "yyyy-", NULL},
    {&P_EXPERIENCE, "experience", OP_LIST, "yyyy-", "yyyy-", NULL},
    {&P_EXPERIENCE, "experience", OP_CREATE, "y----", "y----", NULL},
    {&P_EXPERIENCE, "experience", OP_UPDATE, "y----", "y----", NULL},
    {&P_EXPERIENCE, "experience", OP_DELETE, "-----", "-----", NULL},
    {&P_PROJECT, "project", OP_GET, "yyyy-", "yyyy-", NULL},
    /* A list is granted only if every possible result is: an unfiltered one is admin's. */
    {&P_PROJECT, "project", OP_LIST, "y----", "y----", NULL},
    {&P_PROJECT, "project", OP_CREATE, "y----", "y----", NULL},
    {&P_PROJECT, "project", OP_UPDATE, "y----", "y----", NULL},
    {&P_PROJECT, "project", OP_DELETE, "-----", "-----", NULL},
    {&P_PROJECT_DELETED, "deleted project", OP_GET, "y----", "y----", NULL},
    {&P_PROJECT_DELETED, "deleted project", OP_LIST, "y----", "y----", NULL},
    {&P_PROJECT_DELETED, "deleted project", OP_CREATE, "y----", "y----", NULL},
    {&P_PROJECT_DELETED, "deleted project", OP_UPDATE, "y----", "y----", NULL},
    {&P_PROJECT_DELETED, "deleted project", OP_DELETE, "-----", "-----", NULL},
    {&P_EVENT, "event", OP_GET, "yyyy-", "yyyy-", NULL},
    {&P_EVENT, "event", OP_LIST, "yyyy-", "yyyy-", NULL},
    {&P_EVENT, "event", OP_CREATE, "y----", "y----", NULL},
    {&P_EVENT, "event", OP_UPDATE, "y----", "y----", NULL},
    {&P_EVENT, "event", OP_DELETE, "-----", "-----", NULL},
    {&P_SESSION, "session", OP_GET, "yy---", "yy---", NULL},
    {&P_SESSION, "session", OP_LIST, "y----", "y----", NULL},
    /* Each caller creates its own session (createdBy == its uid); test_sessions.c
     * covers what a new session may not carry. */
    {&P_SESSION, "session", OP_CREATE, "yyyy-", "yyyy-", NULL},
    {&P_SESSION, "session", OP_UPDATE, "yy---", "yy---", NULL},
    {&P_SESSION, "session", OP_DELETE, "-----", "-----", NULL},
    {&P_JOB, "job", OP_GET, "y----", "y----", NULL},
    {&P_JOB, "job", OP_LIST, "y----", "y----", NULL},
    {&P_JOB, "job", OP_CREATE, "-----", "-----", NULL},
    {&P_JOB, "job", OP_UPDATE, "-----", "-----", NULL},
    {&P_JOB, "job", OP_DELETE, "-----", "-----", NULL},
    {&P_UNLISTED_SUB, "unlisted subcollection", OP_GET, "-----", "yyyyy", NO_CATCH_ALL},
    {&P_UNLISTED_SUB, "unlisted subcollection", OP_LIST, "-----", "yyyyy", NO_CATCH_ALL},
    {&P_UNLISTED_SUB, "unlisted subcollection", OP_CREATE, "-----", "y----", NO_CATCH_ALL},
    {&P_UNLISTED_SUB, "unlisted subcollection", OP_UPDATE, "-----", "y----", NO_CATCH_ALL},
    {&P_UNLISTED_SUB, "unlisted subcollection", OP_DELETE, "-----", "y----", NO_CATCH_ALL},
    {&P_UNLISTED_TOP, "unlisted collection", OP_GET, "-----", "yyyyy", NO_CATCH_ALL},
    {&P_UNLISTED_TOP, "unlisted collection", OP_LIST, "-----", "yyyyy", NO_CATCH_ALL},
    {&P_UNLISTED_TOP, "unlisted collection", OP_CREATE, "-----", "y----", NO_CATCH_ALL},
    {&P_UNLISTED_TOP, "unlisted collection", OP_UPDATE, "-----", "y----", NO_CATCH_ALL},
    {&P_UNLISTED_TOP, "unlisted collection", OP_DELETE, "-----", "y----", NO_CATCH_ALL},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* A cell: indices only (parameters cross into Criterion's test processes). */
typedef struct cell {
    int row, role;
} cell;

ParameterizedTestParameters(table, cell)
{
    cell *cells = cr_malloc(N_ROWS * N_ROLES * sizeof(*cells));
    cr_assert_not_null(cells);
    for (size_t r = 0; r < N_ROWS; r++)
        for (size_t w = 0; w < N_ROLES; w++)
            cells[r * N_ROLES + w] = (cell){(int)r, (int)w};
    return cr_make_param_array(cell, cells, N_ROWS * N_ROLES);
}

/* The parent collection of doc, and a sibling document ID that does not exist yet. */
static void collection_of(const char *doc, char *out, size_t len)
{
    snprintf(out, len, "%s", doc);
    char *slash = strrchr(out, '/');
    cr_assert_not_null(slash);
    *slash = '\0';
}

/* Create body: a valid own session for sessions (createdBy = the caller), else a note. */
static void create_body(const row *r, rh_who who, char *out, size_t len)
{
    if (r->at != &P_SESSION) {
        snprintf(out, len, "{\"fields\":{\"note\":{\"stringValue\":\"created\"}}}");
        return;
    }
    const char *uid = rh_uid(who) ? rh_uid(who) : "nobody";
    snprintf(out, len,
             "{\"fields\":{\"id\":{\"stringValue\":\"new1\"},\"projectId\":{\"stringValue\":\"p1\"},"
             "\"workspaceId\":{\"stringValue\":\"w1\"},\"experienceId\":{\"stringValue\":\"e1\"},"
             "\"mode\":{\"stringValue\":\"guest\"},\"configSource\":{\"stringValue\":\"published\"},"
             "\"createdBy\":{\"stringValue\":\"%s\"},\"jobId\":{\"nullValue\":null},"
             "\"jobStatus\":{\"nullValue\":null}}}",
             uid);
}

/* The stored "note" of path (owner read), or "" when the document is absent. */
static void stored_note(const char *path, char *out, size_t len)
{
    json_t *doc = rh_owner_get(path);
    const char *v = json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "fields"), "note"), "stringValue"));
    snprintf(out, len, "%s", doc ? (v ? v : "(no note)") : "");
    json_decref(doc);
}

/* Runs the cell's operation; checks the response and the stored effect. */
static void check(const row *r, rh_who who, int want)
{
    char what[256], coll[256], path[300], body[1024], note[64];
    snprintf(what, sizeof(what), "%s %s as %s (%s)", op_names[r->op], r->name, rh_who_name(who), r->at->doc);
    collection_of(r->at->doc, coll, sizeof(coll));
    rh_resp res;
    switch (r->op) {
    case OP_GET:
        res = rh_call(who, "GET", r->at->doc, NULL, NULL);
        break;
    case OP_LIST:
        res = rh_call(who, "GET", coll, NULL, NULL);
        break;
    case OP_CREATE:
        create_body(r, who, body, sizeof(body));
        res = rh_call(who, "POST", coll, "?documentId=new1", body);
        break;
    case OP_UPDATE:
        res = rh_call(who, "PATCH", r->at->doc, "?updateMask.fieldPaths=note",
                      "{\"fields\":{\"note\":{\"stringValue\":\"changed\"}}}");
        break;
    case OP_DELETE:
    default:
        res = rh_call(who, "DELETE", r->at->doc, NULL, NULL);
        break;
    }
    if (want)
        rh_assert_ok(&res, what);
    else
        rh_assert_denied(&res, what);
    if (r->op == OP_GET && want)
        cr_assert(strstr(res.text, "seeded") != NULL, "%s: the document's data came back: %s", what,
                  res.text);
    rh_resp_free(&res);

    snprintf(path, sizeof(path), "%s/new1", coll);
    switch (r->op) {
    case OP_CREATE:
        stored_note(path, note, sizeof(note));
        cr_assert_eq(note[0] != '\0', want, "%s: the new document %s", what, want ? "is missing" : "exists");
        break;
    case OP_UPDATE:
        stored_note(r->at->doc, note, sizeof(note));
        cr_assert_str_eq(note, want ? "changed" : "seeded", "%s: stored note", what);
        break;
    case OP_DELETE:
        stored_note(r->at->doc, note, sizeof(note));
        cr_assert_eq(note[0] == '\0', want, "%s: the document %s", what, want ? "still exists" : "is gone");
        break;
    default:
        break;
    }
}

ParameterizedTest(cell *c, table, cell, .timeout = 60)
{
    const row *r = &rows[c->row];
    rh_setup();
    rh_seed(r->at->doc, r->at->fields);
    check(r, roles[c->role], r->ours[c->role] == 'y');
}

/* The table against itself (no emulator): on the platform's paths ours grants exactly
 * what the platform's rules grant; only unlisted paths differ (denied, with a reason). */
Test(table, platform_grants_are_kept_and_only_the_catch_all_is_dropped)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        const row *r = &rows[i];
        int unlisted = r->at == &P_UNLISTED_SUB || r->at == &P_UNLISTED_TOP;
        cr_assert_eq(strlen(r->ours), N_ROLES, "row %zu", i);
        cr_assert_eq(strlen(r->platform), N_ROLES, "row %zu", i);
        if (!unlisted)
            cr_assert_str_eq(r->ours, r->platform, "%s %s: a grant of the platform's table changed",
                             op_names[r->op], r->name);
        else
            cr_assert(strcmp(r->ours, "-----") == 0 && r->why != NULL, "%s %s: unlisted paths are denied",
                      op_names[r->op], r->name);
        if (r->at == &P_JOB)
            cr_assert_str_eq(r->ours, (r->op == OP_GET || r->op == OP_LIST) ? "y----" : "-----",
                             "%s job: jobs are server-only and admin-readable", op_names[r->op]);
    }
}

Test(table, every_platform_path_has_every_operation)
{
    static const place *const platform[] = {&P_WORKSPACE,       &P_MEDIA, &P_EXPERIENCE, &P_PROJECT,
                                            &P_PROJECT_DELETED, &P_EVENT, &P_SESSION,    &P_JOB};
    for (size_t p = 0; p < sizeof(platform) / sizeof(platform[0]); p++)
        for (int o = OP_GET; o <= OP_DELETE; o++) {
            int found = 0;
            for (size_t i = 0; i < N_ROWS; i++)
                found += rows[i].at == platform[p] && rows[i].op == (op)o;
            cr_assert_eq(found, 1, "%s: %s must have exactly one row", platform[p]->doc, op_names[o]);
        }
}

/* The list rows are unfiltered queries; a signed-in user's query that itself excludes
 * deleted projects is granted, as on the platform, and returns only live ones. */
Test(table, a_query_for_live_projects_is_granted_to_signed_in_users, .timeout = 60)
{
    rh_setup();
    rh_seed(P_PROJECT.doc, P_PROJECT.fields);
    rh_seed("projects/p2", "{\"status\":{\"stringValue\":\"deleted\"}}");
    const char *query =
        "{\"structuredQuery\":{\"from\":[{\"collectionId\":\"projects\"}],"
        "\"where\":{\"fieldFilter\":{\"field\":{\"fieldPath\":\"status\"},\"op\":\"NOT_EQUAL\","
        "\"value\":{\"stringValue\":\"deleted\"}}}}}";
    rh_resp r = rh_call(RH_GUEST, "POST", "", ":runQuery", query);
    rh_assert_ok(&r, "guest query on status != deleted");
    size_t docs = 0, i;
    json_t *item;
    json_array_foreach(r.json, i, item) docs += json_object_get(item, "document") != NULL;
    cr_assert_eq(docs, 1, "only the live project: %s", r.text);
    rh_resp_free(&r);
    rh_expect_denied(RH_NONE, "POST", "", ":runQuery", query);
}
