/*
 * test_auth.c - startTransformPipeline with AUTH_REQUIRED=1 (Firebase ID tokens; most
 * servers run in Auth emulator mode, so hand-made unsigned "alg: none" tokens stand in
 * for real ones; signed_tokens_end_to_end uses RS256 tokens signed by the test's own key
 * and no emulator trust), each refusal checked to write nothing:
 *   - no token, a malformed, expired, wrong-project or signed-looking token -> 401
 *     UNAUTHENTICATED, also for a session that does not exist (no 404 before 401);
 *   - a signed-in user who is not the session's creator -> 403 PERMISSION_DENIED;
 *   - the creator -> 200; an admin (custom claim admin: true) -> 200 on anyone's session;
 *   - a session on the draft config: its creator -> 403, an admin -> 200 with the draft;
 *   - a bearer token longer than 8 KiB -> 401 without being parsed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../support/fake_google.h"
#include "e2e.h"

TestSuite(auth, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

static const char *const auth_env[] = {"AUTH_REQUIRED=1", "FIREBASE_AUTH_EMULATOR_HOST=127.0.0.1:1", NULL};

/* Seeds the experience and session s1 created by user-1. */
static void seed_owned(e2e *t)
{
    e2e_seed_experience(t, NULL);
    json_t *s = e2e_session_fixture(t);
    json_object_set_new(s, "createdBy", json_string("user-1"));
    e2e_seed_session(t, s);
}

/* Sends the standard request with `authorization` (a header line or NULL). */
static void request_as(e2e *t, const char *authorization, th_response *res)
{
    t->auth = authorization;
    e2e_request_job(t, res);
    t->auth = NULL;
}

static void expect_refused_as(e2e *t, const char *authorization, long status, const char *code)
{
    t->auth = authorization;
    e2e_expect_start_refused(t, status, code);
    t->auth = NULL;
}

/* "Authorization: Bearer <token>" for uid with claims (may be NULL); steals claims. free(). */
static char *bearer_claims(const e2e *t, const char *project, const char *uid, json_t *claims,
                           long exp_offset_s)
{
    char *line = e2e_bearer(project ? project : t->srv.gcp_project, uid, claims, exp_offset_s);
    json_decref(claims);
    return line;
}

static char *bearer(const e2e *t, const char *project, const char *uid, int admin, long exp_offset_s)
{
    return bearer_claims(t, project, uid, admin ? json_pack("{s:b}", "admin", 1) : NULL, exp_offset_s);
}

E2E_TEST(auth, missing_or_bad_tokens_are_401)
{
    e2e t;
    e2e_init(&t, auth_env);
    seed_owned(&t);
    char *expired = bearer(&t, NULL, "user-1", 0, -60);
    char *other_project = bearer(&t, "demo-someone-else", "user-1", 0, 3600);
    char *valid = bearer(&t, NULL, "user-1", 0, 3600);
    char signed_like[4096];
    snprintf(signed_like, sizeof(signed_like), "%sc2lnbmF0dXJl", valid); /* "alg none" with a signature */
    const char *const lines[] = {
        NULL,
        "Authorization: Bearer",
        "Authorization: Bearer not-a-jwt",
        "Authorization: Basic dXNlci0xOnB3",
        "Authorization: Bearer a.b.c",
        expired,
        other_project,
        signed_like,
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        expect_refused_as(&t, lines[i], 401, "UNAUTHENTICATED");

    /* No 404 before 401: an anonymous caller learns nothing about which sessions exist. */
    t.session = "s-does-not-exist";
    expect_refused_as(&t, NULL, 401, "UNAUTHENTICATED");
    t.session = "s1";

    /* The same token, unexpired and for this project, is accepted. */
    th_response res;
    request_as(&t, valid, &res);
    cr_expect_eq(res.status, 200, "creator refused: %ld %s", res.status, res.body);
    th_response_free(&res);
    free(expired);
    free(other_project);
    free(valid);
}

E2E_TEST(auth, other_user_is_403_creator_and_admin_are_200)
{
    e2e t;
    e2e_init(&t, auth_env);
    seed_owned(&t);
    char *stranger = bearer(&t, NULL, "user-2", 0, 3600);
    char *creator = bearer(&t, NULL, "user-1", 0, 3600);
    char *admin = bearer(&t, NULL, "admin-9", 1, 3600);

    expect_refused_as(&t, stranger, 403, "PERMISSION_DENIED");

    th_response res;
    request_as(&t, creator, &res);
    cr_expect_eq(res.status, 200, "creator: %ld %s", res.status, res.body);
    th_response_free(&res);

    /* An admin may start a job on a session created by someone else. */
    t.session = "s-admin";
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "createdBy", json_string("user-1"));
    e2e_seed_session(&t, s);
    expect_refused_as(&t, stranger, 403, "PERMISSION_DENIED");
    request_as(&t, admin, &res);
    cr_expect_eq(res.status, 200, "admin: %ld %s", res.status, res.body);
    th_response_free(&res);

    /* A session nobody created (createdBy null) is an admin's only. */
    t.session = "s-anonymous";
    e2e_seed_session(&t, e2e_session_fixture(&t));
    expect_refused_as(&t, creator, 403, "PERMISSION_DENIED");
    request_as(&t, admin, &res);
    cr_expect_eq(res.status, 200, "admin on an anonymous session: %ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_eq(e2e_count_jobs(&t), 3);
    free(stranger);
    free(creator);
    free(admin);
}

E2E_TEST(auth, admin_claim_must_be_true)
{
    e2e t;
    e2e_init(&t, auth_env);
    seed_owned(&t);
    /* Only the boolean true makes an admin: not "true", 1, false or a nested claim. */
    json_t *const claims[] = {
        json_pack("{s:s}", "admin", "true"), json_pack("{s:i}", "admin", 1),
        json_pack("{s:b}", "admin", 0),      json_pack("{s:{s:b}}", "claims", "admin", 1),
        json_pack("{s:b}", "isAdmin", 1),
    };
    for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
        char *line = bearer_claims(&t, NULL, "user-3", claims[i], 3600);
        expect_refused_as(&t, line, 403, "PERMISSION_DENIED");
        free(line);
    }
}

E2E_TEST(auth, draft_sessions_are_for_admins_only)
{
    e2e t;
    e2e_init(&t, auth_env);
    e2e_seed_experience(&t, NULL);
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "createdBy", json_string("user-1"));
    json_object_set_new(s, "configSource", json_string("draft"));
    json_object_set_new(s, "mode", json_string("preview"));
    e2e_seed_session(&t, s);
    char *creator = bearer(&t, NULL, "user-1", 0, 3600);
    char *admin = bearer(&t, NULL, "admin-9", 1, 3600);
    expect_refused_as(&t, creator, 403, "PERMISSION_DENIED");
    th_response res;
    request_as(&t, admin, &res);
    cr_expect_eq(res.status, 200, "admin on a draft session: %ld %s", res.status, res.body);
    json_t *b = e2e_body(&res);
    fs_doc *job = e2e_get_job(&t, json_string_value(json_object_get(b, "jobId")));
    json_t *node = json_array_get(
        json_object_get(json_object_get(json_object_get(job->fields, "snapshot"), "transformConfig"),
                        "nodes"),
        0);
    cr_expect_str_eq(json_string_value(json_object_get(node, "id")), "n-draft");
    fs_doc_free(job);
    json_decref(b);
    th_response_free(&res);
    free(creator);
    free(admin);
}

E2E_TEST(auth, overlong_token_is_401)
{
    e2e t;
    e2e_init(&t, auth_env);
    seed_owned(&t);
    json_t *padding = json_pack("{s:s%}", "pad", "", (size_t)0);
    char *pad = malloc(9001);
    memset(pad, 'x', 9000);
    pad[9000] = '\0';
    json_object_set_new(padding, "pad", json_string(pad));
    char *huge = bearer_claims(&t, NULL, "user-1", padding, 3600); /* valid, but over 8 KiB */
    expect_refused_as(&t, huge, 401, "UNAUTHENTICATED");
    free(huge);
    free(pad);
}

/* "Authorization: Bearer <token>" for uid signed by sign_kid (alg RS256, or "none"). free(). */
static char *signed_bearer(fake_google *fg, const e2e *t, const char *alg, const char *sign_kid,
                           const char *uid, int admin)
{
    long now = (long)time(NULL);
    char iss[128];
    snprintf(iss, sizeof(iss), "https://securetoken.google.com/%s", t->srv.gcp_project);
    json_t *c = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "iss", iss, "aud", t->srv.gcp_project, "sub", uid,
                          "iat", now - 10, "exp", now + 3600, "auth_time", now - 10);
    if (admin)
        json_object_set_new(c, "admin", json_true());
    char *tok = fake_google_mint(fg, alg, sign_kid, sign_kid, c), *line = NULL;
    json_decref(c);
    cr_assert_not_null(tok);
    cr_assert_geq(asprintf(&line, "Authorization: Bearer %s", tok), 0);
    free(tok);
    return line;
}

/* Production verification end to end: RS256 tokens against the certificates the fake
 * publishes (key-URL override), no Auth emulator trust. */
E2E_TEST(auth, signed_tokens_end_to_end)
{
    fake_google *fg = fake_google_start();
    cr_assert_not_null(fg);
    cr_assert_eq(fake_google_add_signing_key(fg, "sk-1", 1), 0);
    cr_assert_eq(fake_google_add_signing_key(fg, "sk-rogue", 0), 0);
    char certs[192];
    snprintf(certs, sizeof(certs), "GCP_IDTOKEN_FIREBASE_CERTS_URL=%s%s", fake_google_url(fg),
             FAKE_GOOGLE_X509_PATH);
    const char *env[] = {"AUTH_REQUIRED=1", certs, NULL};
    e2e t;
    e2e_init(&t, env);
    seed_owned(&t);
    char *creator = signed_bearer(fg, &t, "RS256", "sk-1", "user-1", 0);
    char *stranger = signed_bearer(fg, &t, "RS256", "sk-1", "user-2", 0);
    char *rogue = signed_bearer(fg, &t, "RS256", "sk-rogue", "user-1", 0);
    char *unsigned_tok = signed_bearer(fg, &t, "none", NULL, "user-1", 1);
    char *admin = signed_bearer(fg, &t, "RS256", "sk-1", "admin-9", 1);
    expect_refused_as(&t, rogue, 401, "UNAUTHENTICATED");
    expect_refused_as(&t, unsigned_tok, 401, "UNAUTHENTICATED");
    expect_refused_as(&t, stranger, 403, "PERMISSION_DENIED");
    th_response res;
    request_as(&t, creator, &res);
    cr_expect_eq(res.status, 200, "creator with a signed token: %ld %s", res.status, res.body);
    th_response_free(&res);
    t.session = "s-draft";
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "createdBy", json_string("user-1"));
    json_object_set_new(s, "configSource", json_string("draft"));
    e2e_seed_session(&t, s);
    request_as(&t, admin, &res);
    cr_expect_eq(res.status, 200, "admin with a signed token: %ld %s", res.status, res.body);
    th_response_free(&res);
    cr_expect_geq(fake_google_count(fg, FAKE_GOOGLE_X509_PATH), 1, "certificates fetched from the override");
    free(creator);
    free(stranger);
    free(rogue);
    free(unsigned_tok);
    free(admin);
    fake_google_stop(fg);
}
