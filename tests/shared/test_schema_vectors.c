/*
 * test_schema_vectors.c - runs every shared test vector of tests/fixtures/schemas (see its
 * README.md): valid documents must pass, keep every input value (unknown keys included),
 * normalize idempotently and show the "_expect.fields" values; invalid documents must fail
 * at "_expect.path" with a message containing "_expect.contains". Normalizing in place
 * (schema_normalize, how documents read from Firestore are checked) must give the same
 * document, or the same failure.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experience_schema.h"
#include "job_schema.h"
#include "json_util.h"
#include "session_schema.h"
#include "transform_schema.h"

#define VECTORS "tests/fixtures/schemas"

typedef int (*validator)(const json_t *in, json_t **out, schema_error *err);

typedef struct {
    const char *dir;
    validator validate;
    const schema_type *type;
} schema_entry;

static const schema_entry schemas[] = {
    {"job", job_validate, &job_schema_doc},
    {"session", session_validate, &session_schema_doc},
    {"experience", experience_validate, &experience_schema_doc},
    {"transform_config", transform_config_validate, &transform_schema_config},
    {"experience_config", experience_config_validate, &experience_schema_config},
};
#define N_SCHEMAS (sizeof(schemas) / sizeof(schemas[0]))

/* Loads a vector, splitting off its "_expect" (and "_document", the document to validate
 * when it is not an object). Both returned references are the caller's. */
static json_t *load_vector(const char *path, json_t **expect)
{
    json_error_t jerr;
    json_t *file = json_load_file(path, 0, &jerr);
    cr_assert_not_null(file, "%s: %s (line %d)", path, jerr.text, jerr.line);
    *expect = json_incref(json_object_get(file, "_expect"));
    json_object_del(file, "_expect");
    json_t *doc = json_object_get(file, "_document");
    if (doc == NULL)
        return file;
    json_incref(doc);
    json_decref(file);
    return doc;
}

/* schema_normalize on a copy of doc: its result (the caller's), or NULL with *err set. */
static json_t *normalized_in_place(const schema_entry *e, const json_t *doc, schema_error *err)
{
    json_t *copy = json_deep_copy(doc);
    if (schema_normalize(e->type, &copy, err) == 0)
        return copy;
    json_decref(copy);
    return NULL;
}

static void check_valid(const schema_entry *e, const char *path, const json_t *doc, const json_t *expect)
{
    schema_error err;
    json_t *out = NULL, *again = NULL;
    validator validate = e->validate;
    int rc = validate(doc, &out, &err);
    cr_expect_eq(rc, 0, "%s: rejected at '%s': %s", path, err.path, err.message);
    if (rc != 0)
        return;
    char where[512];
    cr_expect(tj_covers(doc, out, where, sizeof(where)), "%s: input value at '%s' lost or changed", path,
              where);
    cr_expect_eq(validate(out, &again, &err), 0, "%s: normalized output rejected at '%s'", path, err.path);
    cr_expect(json_equal(out, again), "%s: normalizing twice changed the document", path);
    const char *field;
    json_t *want;
    json_object_foreach(json_object_get(expect, "fields"), field, want)
    {
        const json_t *got = tj_at(out, field);
        char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL, *w = json_dumps(want, JSON_ENCODE_ANY);
        cr_expect(got != NULL && json_equal((json_t *)got, want), "%s: %s is %s, expected %s", path, field,
                  g ? g : "absent", w);
        free(g);
        free(w);
    }
    json_t *in_place = normalized_in_place(e, doc, &err);
    cr_expect(in_place != NULL && json_equal(in_place, out), "%s: normalized in place %s", path,
              in_place ? "to another document" : err.message);
    json_decref(in_place);
    json_decref(again);
    json_decref(out);
}

static void check_invalid(const schema_entry *e, const char *path, const json_t *doc, const json_t *expect)
{
    validator validate = e->validate;
    const char *want_path = json_string_value(json_object_get(expect, "path"));
    const char *want_msg = json_string_value(json_object_get(expect, "contains"));
    cr_assert(want_path != NULL && want_msg != NULL, "%s: _expect needs path and contains", path);
    schema_error err;
    json_t *out = (json_t *)doc; /* must be reset to NULL on failure */
    cr_expect_eq(validate(doc, &out, &err), -1, "%s: accepted", path);
    cr_expect_null(out, "%s: output set on failure", path);
    cr_expect_str_eq(err.path, want_path, "%s: failed at '%s' (%s), expected '%s'", path, err.path,
                     err.message, want_path);
    cr_expect(strstr(err.message, want_msg) != NULL, "%s: message '%s' lacks '%s'", path, err.message,
              want_msg);
    schema_error in_place;
    cr_expect_null(normalized_in_place(e, doc, &in_place), "%s: accepted in place", path);
    cr_expect_str_eq(in_place.path, err.path, "%s: in place failed elsewhere", path);
    cr_expect_str_eq(in_place.message, err.message, "%s: in place failed otherwise", path);
}

/* Runs every vector of VECTORS/<schema>/<kind>; returns how many there were. */
static size_t run_vectors(size_t schema, const char *kind)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/%s/%s", VECTORS, schemas[schema].dir, kind);
    char **names = tj_list_json(dir);
    cr_assert_not_null(names, "cannot open %s (tests run from the repository root)", dir);
    size_t n = 0;
    for (; names[n] != NULL; n++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[n]);
        json_t *expect = NULL;
        json_t *doc = load_vector(path, &expect);
        if (strcmp(kind, "valid") == 0)
            check_valid(&schemas[schema], path, doc, expect);
        else
            check_invalid(&schemas[schema], path, doc, expect);
        json_decref(expect);
        json_decref(doc);
    }
    tj_free_names(names);
    return n;
}

#define VECTOR_TESTS(name, index)                                                                            \
    Test(vectors, name##_valid)                                                                              \
    {                                                                                                        \
        cr_expect_gt(run_vectors(index, "valid"), 0, "no valid vectors for %s", schemas[index].dir);         \
    }                                                                                                        \
    Test(vectors, name##_invalid)                                                                            \
    {                                                                                                        \
        cr_expect_gt(run_vectors(index, "invalid"), 0, "no invalid vectors for %s", schemas[index].dir);     \
    }

VECTOR_TESTS(job, 0)
VECTOR_TESTS(session, 1)
VECTOR_TESTS(experience, 2)
VECTOR_TESTS(transform_config, 3)
VECTOR_TESTS(experience_config, 4)

/* A new vector directory without a validator here would silently never run. */
Test(vectors, every_directory_has_a_validator)
{
    DIR *d = opendir(VECTORS);
    cr_assert_not_null(d, "cannot open %s", VECTORS);
    struct dirent *e;
    size_t dirs = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        size_t i = 0;
        while (i < N_SCHEMAS && strcmp(schemas[i].dir, e->d_name) != 0)
            i++;
        cr_expect_lt(i, N_SCHEMAS, "%s/%s has no validator in test_schema_vectors.c", VECTORS, e->d_name);
        dirs++;
    }
    closedir(d);
    cr_expect_eq(dirs, N_SCHEMAS);
}

/* The vectors must include the plain form of every reference-wire document. */
Test(vectors, reference_documents_present)
{
    static const char *const refs[] = {
        "job/valid/ref-job-pending.json",           "job/valid/ref-job-running.json",
        "job/valid/ref-job-completed.json",         "job/valid/ref-job-failed.json",
        "session/valid/ref-session-pending.json",   "session/valid/ref-session-running.json",
        "session/valid/ref-session-completed.json", "experience/valid/ref-experience.json",
    };
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", VECTORS, refs[i]);
        FILE *f = fopen(path, "r");
        cr_expect_not_null(f, "missing %s", path);
        if (f != NULL)
            fclose(f);
    }
}
