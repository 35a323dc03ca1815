/*
 * test_wire.c - wire compatibility with the TypeScript version: the job (right after the
 * 200, and once completed) and the session (completed) read back through the
 * emulator's REST API as raw Firestore JSON are compared with the reference documents
 * in fixtures/wire/ (job-pending, job-completed, session-completed): the same keys in
 * every map, recursively, and the same Firestore value type for every value
 * (integerValue vs doubleValue vs nullValue vs mapValue...). Values may differ (IDs,
 * times, progress 100 where the reference has 90). The 200 response has the reference's
 * keys and JSON types.
 */
#include <stdlib.h>
#include <string.h>

#include "e2e.h"

TestSuite(wire, .fini = e2e_fini, .timeout = E2E_TIMEOUT_S);

/* The single key of a Firestore Value ("integerValue", "mapValue", ...), or NULL. */
static const char *value_type(const json_t *v)
{
    if (!json_is_object(v) || json_object_size(v) != 1)
        return NULL;
    void *it = json_object_iter((json_t *)v);
    return json_object_iter_key(it);
}

static void compare_value(const json_t *ref, const json_t *ours, const char *path, int *mismatches);

/* Compares two Firestore "fields" objects (NULL = empty map). */
static void compare_fields(const json_t *ref, const json_t *ours, const char *path, int *mismatches)
{
    const char *key;
    const json_t *v;
    char sub[512];
    json_object_foreach((json_t *)ref, key, v)
    {
        snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
        const json_t *o = json_object_get(ours, key);
        if (o == NULL) {
            cr_expect_fail("%s: missing (reference has %s)", sub, value_type(v) ?: "?");
            (*mismatches)++;
            continue;
        }
        compare_value(v, o, sub, mismatches);
    }
    json_object_foreach((json_t *)ours, key, v)
    {
        if (json_object_get(ref, key) == NULL) {
            cr_expect_fail("%s%s%s: not in the reference (%s)", path, *path ? "." : "", key,
                           value_type(v) ?: "?");
            (*mismatches)++;
        }
    }
}

static void compare_value(const json_t *ref, const json_t *ours, const char *path, int *mismatches)
{
    const char *rt = value_type(ref), *ot = value_type(ours);
    if (rt == NULL || ot == NULL || strcmp(rt, ot) != 0) {
        cr_expect_fail("%s: %s, the reference has %s", path, ot ?: "(not a value)", rt ?: "(not a value)");
        (*mismatches)++;
        return;
    }
    if (strcmp(rt, "mapValue") == 0) {
        compare_fields(json_object_get(json_object_get(ref, rt), "fields"),
                       json_object_get(json_object_get(ours, ot), "fields"), path, mismatches);
    } else if (strcmp(rt, "arrayValue") == 0) {
        const json_t *ra = json_object_get(json_object_get(ref, rt), "values");
        const json_t *oa = json_object_get(json_object_get(ours, ot), "values");
        if (json_array_size(ra) != json_array_size(oa)) {
            cr_expect_fail("%s: %zu elements, the reference has %zu", path, json_array_size(oa),
                           json_array_size(ra));
            (*mismatches)++;
            return;
        }
        char sub[512];
        for (size_t i = 0; i < json_array_size(ra); i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            compare_value(json_array_get(ra, i), json_array_get(oa, i), sub, mismatches);
        }
    }
}

/*
 * Reads `path` through REST and compares it with the fixture wire/<name>, whose
 * `status_field` (a string) must also hold the same value as ours: the same stage.
 */
static void expect_wire_like(e2e *t, const char *path, const char *name, const char *status_field)
{
    json_t *ref = e2e_fixture(name);
    json_t *ours = e2e_rest_get(t, path);
    const json_t *rs =
        json_object_get(json_object_get(json_object_get(ref, "fields"), status_field), "stringValue");
    const json_t *os =
        json_object_get(json_object_get(json_object_get(ours, "fields"), status_field), "stringValue");
    cr_expect(json_equal(rs, os), "%s: %s is %s, the reference is at %s", path, status_field,
              json_string_value(os) ?: "?", json_string_value(rs) ?: "?");
    int mismatches = 0;
    compare_fields(json_object_get(ref, "fields"), json_object_get(ours, "fields"), "", &mismatches);
    if (mismatches > 0) {
        char *dump = json_dumps(json_object_get(ours, "fields"), JSON_SORT_KEYS | JSON_COMPACT);
        cr_log_error("%s vs %s: %d mismatches; ours: %.4000s", path, name, mismatches, dump);
        free(dump);
    }
    cr_expect_eq(mismatches, 0, "%s differs from %s", path, name);
    json_decref(ref);
    json_decref(ours);
}

E2E_TEST(wire, documents_match_the_typescript_wire_format)
{
    const char *env[] = {"TRANSFORM_STUB_DURATION_MS=100", NULL};
    e2e t;
    e2e_init(&t, env);
    e2e_seed(&t);

    th_response res;
    e2e_request_job(&t, &res);
    cr_assert_eq(res.status, 200, "%ld %s", res.status, res.body);
    json_t *body = e2e_body(&res);
    json_t *ref = e2e_fixture("wire/start-response-200.json");
    const json_t *ref_body = json_object_get(ref, "body");
    cr_expect_eq(json_object_size(body), json_object_size(ref_body), "200 body keys: %s", res.body);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)ref_body, key, v)
    {
        const json_t *o = json_object_get(body, key);
        cr_expect(o && json_typeof(o) == json_typeof(v), "200 body: %s missing or of another type", key);
    }
    cr_expect(json_equal(json_object_get(body, "message"), json_object_get(ref_body, "message")),
              "message differs from the TypeScript one: %s", res.body);
    char id[64];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(body, "jobId")) ?: "");
    json_decref(body);
    json_decref(ref);
    th_response_free(&res);

    /* The task arrives ~1 s after the 200: the job is still pending now. */
    expect_wire_like(&t, e2e_job_path(&t, id), "wire/job-pending.json", "status");

    fs_doc_free(e2e_wait_job(&t, id, "completed", 15000));
    fs_doc_free(e2e_wait_session(&t, "completed", 2000));
    expect_wire_like(&t, e2e_job_path(&t, id), "wire/job-completed.json", "status");
    expect_wire_like(&t, e2e_session_path(&t), "wire/session-completed.json", "jobStatus");
}
