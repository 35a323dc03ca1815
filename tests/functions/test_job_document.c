/*
 * test_job_document.c - job_new_document (lib/job.c): the pending job document a start
 * request writes, built without json_pack, its snapshot sharing the session's arrays and
 * the transform config; what it refuses.
 */
#include <criterion/criterion.h>

#include "job_schema.h"
#include "lib/job.h"

static json_t *session_doc(void)
{
    return json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:I}], s:[]}", "experienceId", "e1", "configSource",
                     "draft", "answers", "stepId", "q1", "stepType", "input.text", "value", "hi",
                     "answeredAt", (json_int_t)1700000000000, "capturedMedia");
}

static json_t *transform_doc(void)
{
    return json_pack("{s:[{s:s, s:s, s:{}}], s:[], s:n, s:s}", "nodes", "id", "n1", "type", "ai.image",
                     "config", "variableMappings", "outputFormat", "custom", "kept");
}

Test(job_document, is_a_pending_job_the_schema_accepts)
{
    json_t *s = session_doc(), *t = transform_doc();
    json_t *job = job_new_document("j1", "p1", "s1", s, "step1", t, 3, 1700000000123);
    cr_assert_not_null(job);
    schema_error err;
    cr_expect_eq(job_validate(job, NULL, &err), 0, "%s: %s", err.path, err.message);
    cr_expect_str_eq(json_string_value(json_object_get(job, "id")), "j1");
    cr_expect_str_eq(json_string_value(json_object_get(job, "experienceId")), "e1");
    cr_expect_str_eq(json_string_value(json_object_get(job, "status")), "pending");
    cr_expect_eq(json_integer_value(json_object_get(job, "createdAt")), 1700000000123);
    cr_expect_eq(json_integer_value(json_object_get(job, "updatedAt")), 1700000000123);
    const char *nulls[] = {"progress", "output", "error", "startedAt", "completedAt"};
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        cr_expect(json_is_null(json_object_get(job, nulls[i])), "%s is null", nulls[i]);
    json_t *snap = json_object_get(job, "snapshot");
    cr_expect(json_equal(json_object_get(json_object_get(snap, "sessionInputs"), "answers"),
                         json_object_get(s, "answers")));
    cr_expect(json_equal(json_object_get(snap, "transformConfig"), t), "copied whole, unknown keys too");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(snap, "versions"), "experienceVersion")),
                 3);
    cr_expect(json_is_false(json_object_get(json_object_get(snap, "eventContext"), "applyOverlay")));
    json_decref(job);
    /* the shared parts outlive the job document and are unchanged by its release */
    cr_expect_str_eq(json_string_value(json_object_get(t, "custom")), "kept");
    cr_expect_eq(json_array_size(json_object_get(s, "answers")), 1);
    json_decref(s);
    json_decref(t);
}

Test(job_document, keys_in_the_documented_order)
{
    json_t *s = session_doc(), *t = transform_doc();
    json_t *job = job_new_document("j1", "p1", "s1", s, "step1", t, 1, 1);
    const char *want[] = {"id",        "projectId", "sessionId", "experienceId", "stepId",
                          "status",    "progress",  "output",    "error",        "snapshot",
                          "createdAt", "updatedAt", "startedAt", "completedAt"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(job, key, v)
    {
        cr_assert_lt(i, sizeof(want) / sizeof(want[0]));
        cr_expect_str_eq(key, want[i++]);
    }
    cr_expect_eq(i, sizeof(want) / sizeof(want[0]));
    json_decref(job);
    json_decref(s);
    json_decref(t);
}

Test(job_document, session_arrays_missing_become_empty)
{
    json_t *s = json_pack("{s:s, s:i}", "experienceId", "e1", "answers", 5), *t = transform_doc();
    json_t *job = job_new_document("j1", "p1", "s1", s, "step1", t, 1, 1);
    json_t *inputs = json_object_get(json_object_get(job, "snapshot"), "sessionInputs");
    cr_expect(json_is_array(json_object_get(inputs, "answers")) &&
              json_array_size(json_object_get(inputs, "answers")) == 0);
    cr_expect(json_is_array(json_object_get(inputs, "capturedMedia")));
    json_decref(job);
    json_decref(s);
    json_decref(t);
}

Test(job_document, refuses_what_it_cannot_build)
{
    json_t *s = session_doc(), *t = transform_doc(), *no_exp = json_pack("{s:[]}", "answers");
    cr_expect_null(job_new_document("j1", "p1", "s1", no_exp, "step1", t, 1, 1),
                   "session without experienceId");
    cr_expect_null(job_new_document("j1", "p1", "s1", s, "step1", NULL, 1, 1), "no transform");
    cr_expect_null(job_new_document(NULL, "p1", "s1", s, "step1", t, 1, 1), "no job ID");
    cr_expect_null(job_new_document("j1", "p1", "s1", s, NULL, t, 1, 1), "no step");
    cr_expect_null(job_new_document("j1", "p1", "s1", s, "bad\xff", t, 1, 1), "a step that is not UTF-8");
    /* nothing leaked or released too often: the inputs are intact (ASan checks both) */
    cr_expect_eq(t->refcount, 1);
    cr_expect_eq(json_array_size(json_object_get(s, "answers")), 1);
    json_decref(s);
    json_decref(t);
    json_decref(no_exp);
}
