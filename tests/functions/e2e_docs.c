/*
 * e2e_docs.c - the document side of the end-to-end helpers (see e2e.h): fixtures,
 * seeding, reading back through the client and the raw REST API, schema checks, the
 * "nothing was written" comparison, and polling a job or session for a status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "job_schema.h"
#include "session_schema.h"

#define POLL_MS 25

/* ---- documents ------------------------------------------------------------------------ */

json_t *e2e_fixture(const char *name)
{
    const char *dir = getenv("FF_E2E_FIXTURES");
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "tests/functions/fixtures", name);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    cr_assert_not_null(j, "fixture %s: %s (run from the repository root)", path, jerr.text);
    return j;
}

json_t *e2e_wire_fixture_plain(const char *name)
{
    json_t *wire = e2e_fixture(name);
    ff_error err = {0};
    json_t *plain = fs_fields_to_json(json_object_get(wire, "fields"), &err);
    cr_assert_not_null(plain, "fixture %s: %s", name, err.message);
    json_decref(wire);
    return plain;
}

json_t *e2e_session_fixture(const e2e *t)
{
    json_t *s = e2e_fixture("session.json");
    json_object_set_new(s, "id", json_string(t->session));
    json_object_set_new(s, "projectId", json_string(t->project));
    json_object_set_new(s, "workspaceId", json_string(t->workspace));
    json_object_set_new(s, "experienceId", json_string(t->experience));
    return s;
}

json_t *e2e_experience_fixture(const e2e *t)
{
    json_t *e = e2e_fixture("experience.json");
    json_object_set_new(e, "id", json_string(t->experience));
    return e;
}

json_t *e2e_job_fixture(const e2e *t, const char *job_id, const char *status)
{
    json_t *j = e2e_fixture("job.json");
    json_object_set_new(j, "id", json_string(job_id));
    json_object_set_new(j, "projectId", json_string(t->project));
    json_object_set_new(j, "sessionId", json_string(t->session));
    json_object_set_new(j, "experienceId", json_string(t->experience));
    json_object_set_new(j, "status", json_string(status));
    return j;
}

void e2e_put(e2e *t, const char *path, json_t *doc)
{
    ff_error err = {0};
    int rc = fs_doc_set(t->db, path, doc, NULL, NULL, &err);
    json_decref(doc);
    cr_assert_eq(rc, 0, "seeding %s: %s", path, err.message);
}

void e2e_seed_session(e2e *t, json_t *doc)
{
    e2e_put(t, e2e_session_path(t), doc ? doc : e2e_session_fixture(t));
}

void e2e_seed_experience(e2e *t, json_t *doc)
{
    char path[256];
    snprintf(path, sizeof(path), "workspaces/%s/experiences/%s", t->workspace, t->experience);
    e2e_put(t, path, doc ? doc : e2e_experience_fixture(t));
}

void e2e_seed_job(e2e *t, json_t *doc)
{
    const char *id = json_string_value(json_object_get(doc, "id"));
    cr_assert_not_null(id, "job without id");
    char path[256];
    snprintf(path, sizeof(path), "%s", e2e_job_path(t, id));
    e2e_put(t, path, doc);
}

void e2e_seed(e2e *t)
{
    e2e_seed_experience(t, NULL);
    e2e_seed_session(t, NULL);
}

const char *e2e_session_path(const e2e *t)
{
    static char path[256];
    snprintf(path, sizeof(path), "projects/%s/sessions/%s", t->project, t->session);
    return path;
}

const char *e2e_job_path(const e2e *t, const char *job_id)
{
    static char path[256];
    snprintf(path, sizeof(path), "projects/%s/jobs/%s", t->project, job_id);
    return path;
}

fs_doc *e2e_get(e2e *t, const char *path)
{
    fs_doc *doc = NULL;
    ff_error err = {0};
    int rc = fs_doc_get(t->db, path, NULL, &doc, &err);
    cr_assert(rc == 0 || rc == FS_NOT_FOUND, "reading %s: %s", path, err.message);
    return doc;
}

fs_doc *e2e_get_session(e2e *t)
{
    return e2e_get(t, e2e_session_path(t));
}

fs_doc *e2e_get_job(e2e *t, const char *job_id)
{
    return e2e_get(t, e2e_job_path(t, job_id));
}

fs_doc_list e2e_list_jobs(e2e *t)
{
    char parent[128];
    snprintf(parent, sizeof(parent), "projects/%s", t->project);
    const fs_query_def q = {.parent = parent, .collection = "jobs"};
    fs_doc_list list = {0};
    ff_error err = {0};
    int rc = fs_query(t->db, &q, &list, &err);
    cr_assert_eq(rc, 0, "listing %s/jobs: %s", parent, err.message);
    return list;
}

size_t e2e_count_jobs(e2e *t)
{
    fs_doc_list list = e2e_list_jobs(t);
    size_t n = list.n;
    fs_doc_list_free(&list);
    return n;
}

json_t *e2e_rest_get(e2e *t, const char *path)
{
    const char *host = getenv("FIRESTORE_EMULATOR_HOST");
    cr_assert(host != NULL && *host, "FIRESTORE_EMULATOR_HOST is not set");
    char url[768];
    snprintf(url, sizeof(url), "http://%s/v1/projects/%s/databases/(default)/documents/%s", host,
             t->srv.gcp_project, path);
    const char *headers[] = {"Authorization: Bearer owner", NULL};
    th_request req = {.url = url, .headers = headers};
    th_response res;
    th_http(&req, &res);
    cr_assert_eq(res.status, 200, "GET %s: %ld %.300s", url, res.status, res.body);
    json_t *j = json_loadb(res.body, res.body_len, 0, NULL);
    th_response_free(&res);
    cr_assert_not_null(j, "GET %s: not JSON", url);
    return j;
}

const char *e2e_str(const fs_doc *doc, const char *field)
{
    const char *s = doc ? json_string_value(json_object_get(doc->fields, field)) : NULL;
    return s ? s : "";
}

void e2e_expect_valid_job(const json_t *fields)
{
    schema_error err;
    json_t *out = NULL;
    cr_expect_eq(job_validate(fields, &out, &err), 0, "job does not validate: %s: %s", err.path, err.message);
    json_decref(out);
}

void e2e_expect_valid_session(const json_t *fields)
{
    schema_error err;
    json_t *out = NULL;
    cr_expect_eq(session_validate(fields, &out, &err), 0, "session does not validate: %s: %s", err.path,
                 err.message);
    json_decref(out);
}

e2e_state e2e_capture(e2e *t)
{
    e2e_state st = {0};
    fs_doc *s = e2e_get_session(t);
    st.session_exists = s != NULL;
    if (s)
        snprintf(st.session_update_time, sizeof(st.session_update_time), "%s", s->update_time);
    fs_doc_free(s);
    st.n_jobs = e2e_count_jobs(t);
    return st;
}

void e2e_expect_unchanged(e2e *t, const e2e_state *before)
{
    e2e_state now = e2e_capture(t);
    cr_expect_eq(now.n_jobs, before->n_jobs, "jobs written: %zu before, %zu after", before->n_jobs,
                 now.n_jobs);
    cr_expect_eq(now.session_exists, before->session_exists, "session created or deleted");
    cr_expect_str_eq(now.session_update_time, before->session_update_time, "session was written");
}

/* ---- waiting -------------------------------------------------------------------------- */

static int terminal(const char *status)
{
    return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0;
}

/* Polls until path's `field` is `want`; gives up at once on another terminal status. */
static fs_doc *wait_field(e2e *t, const char *path, const char *field, const char *want, int timeout_ms)
{
    int64_t end = spawn_now_ms() + timeout_ms;
    char last[64] = "(missing)";
    for (;;) {
        fs_doc *d = e2e_get(t, path);
        if (d != NULL) {
            snprintf(last, sizeof(last), "%s", e2e_str(d, field));
            if (strcmp(last, want) == 0)
                return d;
        }
        fs_doc_free(d);
        if (terminal(last))
            cr_assert_fail("%s: %s is \"%s\" for good, expected \"%s\"", path, field, last, want);
        if (spawn_now_ms() >= end)
            break;
        spawn_sleep_ms(POLL_MS);
    }
    cr_assert_fail("%s: %s is \"%s\" after %d ms, expected \"%s\"", path, field, last, timeout_ms, want);
    return NULL;
}

fs_doc *e2e_wait_job(e2e *t, const char *job_id, const char *status, int timeout_ms)
{
    return wait_field(t, e2e_job_path(t, job_id), "status", status, timeout_ms);
}

fs_doc *e2e_wait_session(e2e *t, const char *status, int timeout_ms)
{
    return wait_field(t, e2e_session_path(t), "jobStatus", status, timeout_ms);
}
