/*
 * rules_helpers.c - REST calls to the Firestore emulator as admin / creator / other user /
 * anonymous guest / no user / owner, emulator ID tokens, seeding and owner reads for the rules suite.
 * See rules_helpers.h.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rules_helpers.h"
#include "../support/spawn.h"

static char project[64];

void rh_use_project(const char *gcp_project)
{
    cr_assert(strlen(gcp_project) < sizeof(project));
    snprintf(project, sizeof(project), "%s", gcp_project);
}

void rh_setup(void)
{
    const char *host = getenv("FIRESTORE_EMULATOR_HOST");
    cr_assert(host != NULL && host[0] != '\0',
              "FIRESTORE_EMULATOR_HOST is not set: run the suite through scripts/run-tests.sh");
    unsigned char rnd[8];
    cr_assert_eq(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
    int n = snprintf(project, sizeof(project), "demo-rules-");
    for (size_t i = 0; i < sizeof(rnd); i++)
        n += snprintf(project + n, sizeof(project) - (size_t)n, "%02x", rnd[i]);
}

const char *rh_project(void)
{
    cr_assert(project[0] != '\0', "rh_setup was not called");
    return project;
}

const char *rh_who_name(rh_who who)
{
    switch (who) {
    case RH_ADMIN:
        return "admin";
    case RH_CREATOR:
        return "creator";
    case RH_OTHER:
        return "other user";
    case RH_GUEST:
        return "anonymous guest";
    case RH_NONE:
        return "no user";
    case RH_OWNER:
        return "owner";
    }
    return "?";
}

/* base64url without padding of len bytes; caller frees. */
static char *b64url(const char *in, size_t len)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(len * 4 / 3 + 4);
    cr_assert(out != NULL);
    size_t o = 0, i = 0;
    const unsigned char *p = (const unsigned char *)in;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = tbl[v >> 6 & 63];
        out[o++] = tbl[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
    } else if (len - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = tbl[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static char *b64url_json(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    cr_assert(text != NULL);
    char *out = b64url(text, strlen(text));
    free(text);
    return out;
}

const char *rh_uid(rh_who who)
{
    switch (who) {
    case RH_ADMIN:
        return RH_ADMIN_UID;
    case RH_CREATOR:
        return RH_CREATOR_UID;
    case RH_OTHER:
        return RH_OTHER_UID;
    case RH_GUEST:
        return RH_GUEST_UID;
    default:
        return NULL;
    }
}

char *rh_token(const char *uid, const char *provider, int admin)
{
    const char *proj = rh_project();
    char iss[128];
    snprintf(iss, sizeof(iss), "https://securetoken.google.com/%s", proj);
    json_int_t now = (json_int_t)time(NULL);
    json_t *header = json_pack("{s:s, s:s}", "alg", "none", "typ", "JWT");
    json_t *payload = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:{s:s, s:{}}}", "iss", iss, "aud", proj,
                                "sub", uid, "user_id", uid, "iat", now, "exp", now + 3600, "auth_time", now,
                                "firebase", "sign_in_provider", provider, "identities");
    cr_assert(header != NULL && payload != NULL);
    if (admin)
        json_object_set_new(payload, "admin", json_true());
    char *h = b64url_json(header), *p = b64url_json(payload);
    size_t len = strlen(h) + strlen(p) + 3;
    char *tok = malloc(len);
    cr_assert(tok != NULL);
    snprintf(tok, len, "%s.%s.", h, p); /* empty signature */
    free(h);
    free(p);
    json_decref(header);
    json_decref(payload);
    return tok;
}

rh_resp rh_call_as(const char *bearer, const char *method, const char *path, const char *query,
                   const char *body)
{
    char url[2048];
    snprintf(url, sizeof(url), "http://%s/v1/projects/%s/databases/(default)/documents%s%s%s",
             getenv("FIRESTORE_EMULATOR_HOST"), rh_project(), path[0] ? "/" : "", path, query ? query : "");
    char auth[4096] = "";
    if (bearer != NULL)
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
    const char *headers[3] = {"Content-Type: application/json", auth[0] ? auth : NULL, NULL};

    th_request req = {.method = method,
                      .url = url,
                      .headers = headers,
                      .body = body,
                      .body_len = body ? strlen(body) : 0,
                      .timeout_ms = 20000};
    th_response res;
    th_http(&req, &res);
    rh_resp r = {.status = res.status, .json = NULL, .text = strdup(res.body ? res.body : "")};
    cr_assert(r.text != NULL);
    if (res.body_len > 0)
        r.json = json_loads(res.body, 0, NULL);
    cr_assert(res.status != 0, "%s %s: no response (curl error %d)", method, url, res.error);
    th_response_free(&res);
    return r;
}

rh_resp rh_call(rh_who who, const char *method, const char *path, const char *query, const char *body)
{
    if (who == RH_OWNER)
        return rh_call_as("owner", method, path, query, body);
    if (who == RH_NONE)
        return rh_call_as(NULL, method, path, query, body);
    char *tok = rh_token(rh_uid(who), who == RH_GUEST ? "anonymous" : "custom", who == RH_ADMIN);
    rh_resp r = rh_call_as(tok, method, path, query, body);
    free(tok);
    return r;
}

void rh_resp_free(rh_resp *r)
{
    json_decref(r->json);
    free(r->text);
    r->json = NULL;
    r->text = NULL;
}

void rh_seed(const char *path, const char *fields_json)
{
    char body[8192];
    snprintf(body, sizeof(body), "{\"fields\":%s}", fields_json);
    rh_resp r = rh_call(RH_OWNER, "PATCH", path, NULL, body);
    cr_assert_eq(r.status, 200, "seeding %s: %ld %s", path, r.status, r.text);
    rh_resp_free(&r);
}

void rh_seed_all(void)
{
    rh_seed(RH_JOB, "{\"id\":{\"stringValue\":\"job-1\"},\"projectId\":{\"stringValue\":\"p1\"},"
                    "\"sessionId\":{\"stringValue\":\"session-1\"},\"status\":{\"stringValue\":\"running\"},"
                    "\"createdAt\":{\"integerValue\":\"1700000000000\"}}");
    rh_seed(RH_SESSION,
            "{\"id\":{\"stringValue\":\"session-1\"},\"projectId\":{\"stringValue\":\"p1\"},"
            "\"workspaceId\":{\"stringValue\":\"w1\"},\"experienceId\":{\"stringValue\":\"exp-1\"},"
            "\"mode\":{\"stringValue\":\"guest\"},\"configSource\":{\"stringValue\":\"published\"},"
            "\"createdBy\":{\"stringValue\":\"" RH_CREATOR_UID "\"},"
            "\"createdAt\":{\"integerValue\":\"1700000000000\"},"
            "\"jobId\":{\"stringValue\":\"job-1\"},\"jobStatus\":{\"stringValue\":\"running\"},"
            "\"resultMedia\":{\"nullValue\":null},"
            "\"status\":{\"stringValue\":\"active\"},\"note\":{\"stringValue\":\"seeded\"}}");
    rh_seed(RH_EXPERIENCE, "{\"id\":{\"stringValue\":\"exp-1\"},\"name\":{\"stringValue\":\"Photo booth\"},"
                           "\"status\":{\"stringValue\":\"active\"}}");
}

json_t *rh_new_session_fields(const char *project_id, const char *session_id, const char *uid,
                              const char *workspace_id, const char *experience_id)
{
    const char *now = "1700000000000";
    json_t *f = json_pack(
        "{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:n}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:{s:[]}},"
        " s:{s:{s:[]}}, s:{s:n}, s:{s:n}, s:{s:n}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:n}}",
        "id", "stringValue", session_id, "projectId", "stringValue", project_id, "workspaceId", "stringValue",
        workspace_id, "eventId", "nullValue", "experienceId", "stringValue", experience_id, "mode",
        "stringValue", "guest", "configSource", "stringValue", "published", "status", "stringValue", "active",
        "answers", "arrayValue", "values", "capturedMedia", "arrayValue", "values", "resultMedia",
        "nullValue", "jobId", "nullValue", "jobStatus", "nullValue", "createdBy", "stringValue", uid,
        "createdAt", "integerValue", now, "updatedAt", "integerValue", now, "completedAt", "nullValue");
    cr_assert_not_null(f);
    return f;
}

char *rh_body(json_t *fields)
{
    json_t *body = json_pack("{s:O}", "fields", fields);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    cr_assert_not_null(text);
    return text;
}

json_t *rh_owner_get(const char *path)
{
    rh_resp r = rh_call(RH_OWNER, "GET", path, NULL, NULL);
    cr_assert(r.status == 200 || r.status == 404, "owner GET %s: %ld %s", path, r.status, r.text);
    json_t *doc = r.status == 200 ? json_incref(r.json) : NULL;
    cr_assert(r.status != 200 || doc != NULL, "owner GET %s: unparsable body", path);
    rh_resp_free(&r);
    return doc;
}

void rh_assert_field(const char *path, const char *field, const char *want)
{
    json_t *doc = rh_owner_get(path);
    cr_assert(doc != NULL, "%s is missing", path);
    json_t *v = json_object_get(json_object_get(doc, "fields"), field);
    cr_assert(v != NULL, "%s: field %s is absent", path, field);
    if (want == NULL) {
        cr_assert(json_object_get(v, "nullValue") != NULL, "%s: field %s is not null", path, field);
    } else {
        const char *got = json_string_value(json_object_get(v, "stringValue"));
        cr_assert(got != NULL, "%s: field %s is not a string", path, field);
        cr_assert_str_eq(got, want, "%s: field %s", path, field);
    }
    json_decref(doc);
}

void rh_assert_denied(const rh_resp *r, const char *what)
{
    cr_assert_eq(r->status, 403, "%s: expected 403 PERMISSION_DENIED, got %ld %s", what, r->status, r->text);
    json_t *err = json_object_get(r->json, "error");
    const char *status = json_string_value(json_object_get(err, "status"));
    cr_assert(status != NULL && strcmp(status, "PERMISSION_DENIED") == 0,
              "%s: expected error status PERMISSION_DENIED: %s", what, r->text);
}

void rh_assert_ok(const rh_resp *r, const char *what)
{
    cr_assert_eq(r->status, 200, "%s: expected 200, got %ld %s", what, r->status, r->text);
}

static void describe(char *out, size_t len, rh_who who, const char *method, const char *path,
                     const char *query)
{
    snprintf(out, len, "%s: %s %s%s", rh_who_name(who), method, path, query ? query : "");
}

void rh_expect_denied(rh_who who, const char *method, const char *path, const char *query, const char *body)
{
    char what[512];
    describe(what, sizeof(what), who, method, path, query);
    rh_resp r = rh_call(who, method, path, query, body);
    rh_assert_denied(&r, what);
    rh_resp_free(&r);
}

void rh_expect_ok(rh_who who, const char *method, const char *path, const char *query, const char *body)
{
    char what[512];
    describe(what, sizeof(what), who, method, path, query);
    rh_resp r = rh_call(who, method, path, query, body);
    rh_assert_ok(&r, what);
    rh_resp_free(&r);
}
