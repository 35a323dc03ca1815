/*
 * test_snapshot.c - what a new job freezes in its snapshot, and loose documents:
 *   - configSource draft -> versions.experienceVersion = draftVersion and the draft's
 *     transform; published -> publishedVersion (1 when it is missing or null) and the
 *     published transform; the other config may lack a transform without harm;
 *   - sessionInputs copies answers and capturedMedia as they are, eventContext and
 *     eventVersion are the fixed "not resolved" values;
 *   - unknown fields of the session (top level and inside answers) survive the whole
 *     pipeline, and unknown fields of the transform config reach the snapshot.
 */
#include <string.h>

#include "e2e.h"

TestSuite(snapshot, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/* Starts a job for session `session_id` (seeded from the fixture with configSource). */
static fs_doc *job_for(e2e *t, const char *session_id, const char *config_source)
{
    t->session = session_id;
    json_t *s = e2e_session_fixture(t);
    json_object_set_new(s, "configSource", json_string(config_source));
    e2e_seed_session(t, s);
    const char *id = e2e_start_job(t);
    fs_doc *job = e2e_get_job(t, id);
    cr_assert_not_null(job, "job %s not found after 200", id);
    e2e_expect_valid_job(job->fields);
    return job;
}

static const json_t *snap(const fs_doc *job, const char *a, const char *b)
{
    const json_t *v = json_object_get(json_object_get(job->fields, "snapshot"), a);
    return b ? json_object_get(v, b) : v;
}

static void expect_version(const fs_doc *job, json_int_t want)
{
    const json_t *v = snap(job, "versions", "experienceVersion");
    cr_expect(json_is_integer(v), "experienceVersion is not an integer");
    cr_expect_eq(json_integer_value(v), want, "experienceVersion %lld, expected %lld",
                 (long long)json_integer_value(v), (long long)want);
    cr_expect(json_is_null(snap(job, "versions", "eventVersion")), "eventVersion is not null");
}

static void expect_transform(const fs_doc *job, const json_t *experience, const char *config)
{
    const json_t *want = json_object_get(json_object_get(experience, config), "transform");
    char *a = json_dumps(snap(job, "transformConfig", NULL), JSON_SORT_KEYS | JSON_COMPACT);
    char *b = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    cr_expect(json_equal(snap(job, "transformConfig", NULL), want),
              "transformConfig %s, expected the %s one %s", a, config, b);
    free(a);
    free(b);
}

E2E_TEST(snapshot, draft_and_published_pick_their_config_and_version)
{
    e2e t;
    e2e_init(&t, NULL);
    json_t *exp = e2e_experience_fixture(&t);
    e2e_seed_experience(&t, json_incref(exp));

    fs_doc *pub = job_for(&t, "s-published", "published");
    expect_version(pub, 2);
    expect_transform(pub, exp, "published");
    fs_doc *draft = job_for(&t, "s-draft", "draft");
    expect_version(draft, 3);
    expect_transform(draft, exp, "draft");
    fs_doc_free(pub);
    fs_doc_free(draft);

    /* The config not selected may have no transform at all. */
    json_object_set_new(json_object_get(exp, "draft"), "transform", json_null());
    e2e_seed_experience(&t, json_incref(exp));
    fs_doc *pub2 = job_for(&t, "s-published-2", "published");
    expect_transform(pub2, exp, "published");
    fs_doc_free(pub2);

    json_t *exp2 = e2e_experience_fixture(&t);
    json_object_set_new(exp2, "published", json_null());
    json_object_set_new(exp2, "publishedVersion", json_null());
    e2e_seed_experience(&t, json_incref(exp2));
    fs_doc *draft2 = job_for(&t, "s-draft-2", "draft");
    expect_version(draft2, 3);
    expect_transform(draft2, exp2, "draft");
    fs_doc_free(draft2);
    json_decref(exp);
    json_decref(exp2);
}

E2E_TEST(snapshot, published_version_missing_or_null_is_1)
{
    e2e t;
    e2e_init(&t, NULL);
    json_t *exp = e2e_experience_fixture(&t);
    json_object_del(exp, "publishedVersion");
    e2e_seed_experience(&t, exp);
    fs_doc *missing = job_for(&t, "s-missing", "published");
    expect_version(missing, 1);
    fs_doc_free(missing);

    exp = e2e_experience_fixture(&t);
    json_object_set_new(exp, "publishedVersion", json_null());
    e2e_seed_experience(&t, exp);
    fs_doc *null = job_for(&t, "s-null", "published");
    expect_version(null, 1);
    fs_doc_free(null);
}

E2E_TEST(snapshot, session_inputs_and_event_context)
{
    e2e t;
    e2e_init(&t, NULL);
    e2e_seed_experience(&t, NULL);
    json_t *s = e2e_session_fixture(&t);
    json_t *answers = json_object_get(s, "answers");
    json_array_append_new(answers, json_pack("{s:s, s:s, s:s, s:I}", "stepId", "q2", "stepType", "input.text",
                                             "value", "hello", "answeredAt", (json_int_t)1795951577300));
    json_array_append_new(answers,
                          json_pack("{s:s, s:s, s:b, s:I}", "stepId", "q3", "stepType", "input.yesNo",
                                    "value", 1, "answeredAt", (json_int_t)1795951577301));
    json_array_append_new(answers,
                          json_pack("{s:s, s:s, s:[s, s], s:I}", "stepId", "q4", "stepType", "input.multi",
                                    "value", "a", "b", "answeredAt", (json_int_t)1795951577302));
    json_array_append_new(answers,
                          json_pack("{s:s, s:s, s:f, s:I}", "stepId", "q5", "stepType", "input.scale",
                                    "value", 2.5, "answeredAt", (json_int_t)1795951577303));
    json_t *want_answers = json_deep_copy(answers);
    json_t *want_media = json_deep_copy(json_object_get(s, "capturedMedia"));
    e2e_seed_session(&t, s);

    const char *id = e2e_start_job(&t);
    fs_doc *job = e2e_get_job(&t, id);
    cr_assert_not_null(job);
    e2e_expect_valid_job(job->fields);
    cr_expect(json_equal(snap(job, "sessionInputs", "answers"), want_answers),
              "answers not copied as they are");
    cr_expect(json_equal(snap(job, "sessionInputs", "capturedMedia"), want_media),
              "capturedMedia not copied");
    const json_t *ctx = snap(job, "eventContext", NULL);
    cr_expect_eq(json_object_size(ctx), 3, "eventContext has %zu keys", json_object_size(ctx));
    cr_expect(json_is_null(json_object_get(ctx, "overlay")));
    cr_expect(json_is_false(json_object_get(ctx, "applyOverlay")));
    cr_expect(json_is_null(json_object_get(ctx, "experienceRef")));
    fs_doc_free(job);
    json_decref(want_answers);
    json_decref(want_media);
}

E2E_TEST(snapshot, unknown_fields_survive_the_pipeline)
{
    e2e t;
    e2e_init(&t, NULL);
    json_t *exp = e2e_experience_fixture(&t);
    json_t *transform = json_object_get(json_object_get(exp, "published"), "transform");
    json_object_set_new(transform, "futureSetting", json_pack("{s:b}", "enabled", 1));
    json_object_set_new(json_array_get(json_object_get(transform, "nodes"), 0), "label", json_string("Gen"));
    json_t *want_transform = json_deep_copy(transform);
    e2e_seed_experience(&t, exp);

    json_t *s = e2e_session_fixture(&t);
    json_object_set_new(s, "customTop", json_pack("{s:[i, s], s:n}", "nested", 1, "x", "nothing"));
    json_object_set_new(s, "clientVersion", json_string("9.9.9"));
    json_t *answer = json_array_get(json_object_get(s, "answers"), 0);
    json_object_set_new(answer, "extra", json_pack("{s:s}", "k", "v"));
    json_object_set_new(json_array_get(json_object_get(s, "capturedMedia"), 0), "meta", json_real(1.5));
    json_t *want_answers = json_deep_copy(json_object_get(s, "answers"));
    json_t *want_top = json_deep_copy(json_object_get(s, "customTop"));
    e2e_seed_session(&t, s);

    const char *id = e2e_start_job(&t);
    fs_doc_free(e2e_wait_job(&t, id, "completed", 15000));
    fs_doc *after = e2e_wait_session(&t, "completed", 2000);
    e2e_expect_valid_session(after->fields);
    cr_expect(json_equal(json_object_get(after->fields, "customTop"), want_top), "customTop lost or changed");
    cr_expect_str_eq(e2e_str(after, "clientVersion"), "9.9.9");
    cr_expect(json_equal(json_object_get(after->fields, "answers"), want_answers), "answers changed");
    const json_t *meta =
        json_object_get(json_array_get(json_object_get(after->fields, "capturedMedia"), 0), "meta");
    cr_expect(json_is_real(meta) && json_real_value(meta) == 1.5, "capturedMedia[0].meta lost");

    fs_doc *job = e2e_get_job(&t, id);
    cr_assert_not_null(job);
    cr_expect(json_equal(snap(job, "sessionInputs", "answers"), want_answers),
              "snapshot answers lost extras");
    cr_expect(json_equal(snap(job, "transformConfig", NULL), want_transform), "transform extras lost");
    fs_doc_free(job);
    fs_doc_free(after);
    json_decref(want_answers);
    json_decref(want_top);
    json_decref(want_transform);
}
