/*
 * test_not_found_conflict.c - the 404 and 409 rows of the startTransformPipeline
 * contract, each checked to write NOTHING (no job, session updateTime unchanged):
 *   - no session -> 404 SESSION_NOT_FOUND (and no session appears);
 *   - experience missing -> 404 TRANSFORM_NOT_FOUND;
 *   - the config the session selects has no transform (published null, published
 *     transform null, draft transform null with configSource draft) -> 404 TRANSFORM_NOT_FOUND;
 *   - the session has a job pending or running -> 409 JOB_IN_PROGRESS;
 *   - a session whose last job ended (completed, failed, cancelled) takes a new job;
 *   - a sessionId outside the ID shape (URL-special characters) -> 400, nothing read;
 *     a near miss of an existing ID -> 404;
 *   - a session or experience document that breaks its schema -> 500 INTERNAL_ERROR
 *     without detail ("anything else"), nothing written.
 */
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

TestSuite(not_found_conflict, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

E2E_TEST(not_found_conflict, missing_session_is_404)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    th_response res;
    e2e_request_job(&t, &res);
    e2e_expect_error(&res, 404, "SESSION_NOT_FOUND");
    json_t *ref = e2e_fixture("wire/start-response-404-session.json");
    json_t *body = e2e_body(&res);
    cr_expect(json_equal(body, json_object_get(ref, "body")), "404 body differs from the TypeScript one: %s",
              res.body);
    json_decref(ref);
    json_decref(body);
    th_response_free(&res);
    cr_expect_null(e2e_get_session(&t), "a session was created");
    cr_expect_eq(e2e_count_jobs(&t), 0);
    /* A session of the same ID in another project does not count. */
    t.project = "p2";
    e2e_seed_session(&t, NULL);
    t.project = "p1";
    e2e_expect_start_refused(&t, 404, "SESSION_NOT_FOUND");
}

E2E_TEST(not_found_conflict, missing_experience_is_404)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_session(&t, NULL);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");
    /* An experience of that ID in another workspace does not count. */
    t.workspace = "w2";
    e2e_seed_experience(&t, NULL);
    t.workspace = "w1";
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");
}

E2E_TEST(not_found_conflict, selected_config_without_transform_is_404)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_session(&t, NULL); /* configSource published */

    json_t *e = e2e_experience_fixture(&t);
    json_object_set_new(e, "published", json_null());
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");

    e = e2e_experience_fixture(&t);
    json_object_del(e, "published"); /* absent = null */
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");

    e = e2e_experience_fixture(&t);
    json_object_set_new(json_object_get(e, "published"), "transform", json_null());
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");

    e = e2e_experience_fixture(&t);
    json_object_del(json_object_get(e, "published"), "transform"); /* absent = null */
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");

    /* Draft selected: the draft's transform decides, whatever the published one is. */
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "configSource", json_string("draft"));
    e2e_seed_session(&t, s);
    e = e2e_experience_fixture(&t);
    json_object_set_new(json_object_get(e, "draft"), "transform", json_null());
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 404, "TRANSFORM_NOT_FOUND");
}

E2E_TEST(not_found_conflict, active_job_is_409)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    static const char *const active[] = {"pending", "running"};
    for (size_t i = 0; i < 2; i++) {
        json_t *s = e2e_session_fixture(&t);
        json_object_set_new(s, "jobId", json_string("job-1"));
        json_object_set_new(s, "jobStatus", json_string(active[i]));
        e2e_seed_session(&t, s);
        e2e_seed_job(&t, e2e_job_fixture(&t, "job-1", active[i]));
        e2e_expect_start_refused(&t, 409, "JOB_IN_PROGRESS");
        fs_doc *job = e2e_get_job(&t, "job-1");
        cr_expect_str_eq(e2e_str(job, "status"), active[i], "the active job changed");
        fs_doc_free(job);
    }
}

E2E_TEST(not_found_conflict, second_request_while_pending_is_409)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    char first[64];
    snprintf(first, sizeof(first), "%s", e2e_start_job(&t)); /* the task arrives ~1 s later */
    e2e_expect_start_refused(&t, 409, "JOB_IN_PROGRESS");
    fs_doc *s = e2e_get_session(&t);
    cr_expect_str_eq(e2e_str(s, "jobId"), first);
    fs_doc_free(s);
}

E2E_TEST(not_found_conflict, finished_job_does_not_block)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    static const char *const ended[] = {"completed", "failed", "cancelled"};
    for (size_t i = 0; i < 3; i++) {
        json_t *s = e2e_session_fixture(&t);
        json_object_set_new(s, "jobId", json_string("job-old"));
        json_object_set_new(s, "jobStatus", json_string(ended[i]));
        t.session = i == 0 ? "s-a" : i == 1 ? "s-b" : "s-c";
        json_object_set_new(s, "id", json_string(t.session));
        e2e_seed_session(&t, s);
        const char *id = e2e_start_job(&t);
        fs_doc *after = e2e_get_session(&t);
        cr_expect_str_eq(e2e_str(after, "jobId"), id, "session %s does not point at the new job", t.session);
        cr_expect_str_eq(e2e_str(after, "jobStatus"), "pending");
        fs_doc_free(after);
    }
    cr_expect_eq(e2e_count_jobs(&t), 3);
}

/* "s1#x" must not be read as "s1" (a fragment), nor "s1?x" as s1 with a query. */
E2E_TEST(not_found_conflict, url_special_ids_are_refused_and_near_misses_are_404)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    /* Outside the ID shape ([A-Za-z0-9_-]{1,128}): 400 before any read; near misses: 404. */
    static const struct {
        const char *id;
        long status;
    } cases[] = {{"s1#x", 400},      {"s1?x=1", 400}, {"s1%2F", 400}, {"s1%20", 400}, {"s1.", 400},
                 {"a b#c?d%e", 400}, {"S1", 404},     {"s1-", 404},   {"s1_", 404}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *body = json_pack("{s:s, s:s}", "sessionId", cases[i].id, "stepId", "x");
        char *text = json_dumps(body, JSON_COMPACT);
        e2e_state before = e2e_capture(&t);
        th_response res;
        e2e_post_start(&t, NULL, text, &res);
        e2e_expect_error(&res, cases[i].status,
                         cases[i].status == 400 ? "INVALID_REQUEST" : "SESSION_NOT_FOUND");
        th_response_free(&res);
        e2e_expect_unchanged(&t, &before);
        free(text);
        json_decref(body);
    }
    fs_doc *s = e2e_get_session(&t);
    cr_expect(json_is_null(json_object_get(s->fields, "jobStatus")), "s1 was given a job");
    fs_doc_free(s);
}

E2E_TEST(not_found_conflict, documents_breaking_their_schema_are_500)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed(&t);
    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "configSource", json_string("staging")); /* not draft|published */
    e2e_seed_session(&t, s);
    e2e_expect_start_refused(&t, 500, "INTERNAL_ERROR");

    e2e_seed_session(&t, NULL);
    json_t *e = e2e_experience_fixture(&t);
    json_object_del(e, "draft"); /* required */
    e2e_seed_experience(&t, e);
    e2e_expect_start_refused(&t, 500, "INTERNAL_ERROR");
}
